// Tagging an image that is already in ECR (promotion, and the extra tags of a build): plan which tags
// to add or move from what each tag names now, refuse what ECR or the release rules would not allow
// before changing anything, then PutImage the same manifest bytes under each tag. No layer moves.
import { type ECRClient, PutImageCommand } from "@aws-sdk/client-ecr";
import { type ImageTag, inputOfTagKind } from "../docker/tags";
import { UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { type ImageManifest, type RepositoryId, repositoryParams, shortDigest } from "./images";
import { isAwsError, isTagMutable, type RepositoryInfo } from "./repository";

export type TagChange =
  | { tag: string; action: "add" }
  | { tag: string; action: "unchanged" }
  | { tag: string; action: "move"; from: string };

export interface TagConflict {
  tag: string;
  /** The image the tag names now. */
  current: string;
  reason: "immutable" | "pinned";
}

export interface TagPlan {
  changes: TagChange[];
  conflicts: TagConflict[];
}

/** The rules a repository sets on moving tags; undefined where the caller has not read them. */
export type TagRules = Pick<RepositoryInfo, "mutability" | "exclusionFilters">;

/**
 * Whether planning these tags onto `digest` depends on the repository's rules: a moving tag (which an
 * immutable repository refuses up front), or a tag that already names another image (moved or
 * refused, and the refusal says which rule). A new pinned tag, or one already on the image, does not.
 */
export function tagRulesNeeded(
  tags: readonly Pick<ImageTag, "name" | "moving">[],
  current: ReadonlyMap<string, string | undefined>,
  digest: string,
): boolean {
  return tags.some((tag) => {
    const now = current.get(tag.name);
    return tag.moving || (now !== undefined && now !== digest);
  });
}

/**
 * What tagging `digest` with each tag would do, given what the tags name now. A tag on another image
 * is a conflict when the repository makes it immutable, or when it is pinned (a commit or an exact
 * version names exactly one image, even where ECR would allow the move). `rules` may be left out only
 * where tagRulesNeeded says no decision depends on them.
 */
export function planTagChanges(
  tags: readonly Pick<ImageTag, "name" | "pinned">[],
  current: ReadonlyMap<string, string | undefined>,
  digest: string,
  rules: TagRules | undefined,
): TagPlan {
  const changes: TagChange[] = [];
  const conflicts: TagConflict[] = [];
  const mutable = (tag: string): boolean => {
    if (!rules) throw new Error(`the repository's tag rules are needed to plan ${tag}`);
    return isTagMutable(rules, tag);
  };
  for (const tag of tags) {
    const now = current.get(tag.name);
    if (now === undefined) changes.push({ tag: tag.name, action: "add" });
    else if (now === digest) changes.push({ tag: tag.name, action: "unchanged" });
    else if (!mutable(tag.name)) conflicts.push({ tag: tag.name, current: now, reason: "immutable" });
    else if (tag.pinned) conflicts.push({ tag: tag.name, current: now, reason: "pinned" });
    else changes.push({ tag: tag.name, action: "move", from: now });
  }
  return { changes, conflicts };
}

/** Moving tags (branch, environment, `1.5`) that the repository would refuse to move later. */
export function immutableMovingTags(
  tags: readonly Pick<ImageTag, "name" | "moving" | "kind">[],
  repository: Pick<RepositoryInfo, "mutability" | "exclusionFilters">,
): string[] {
  return tags.filter((tag) => tag.moving && !isTagMutable(repository, tag.name)).map((tag) => tag.name);
}

/**
 * The refusal of moving tags an immutable repository could not let move, naming the inputs that ask
 * for them; undefined when there is none.
 */
export function movingTagsRefusal(
  tags: readonly Pick<ImageTag, "name" | "moving" | "kind">[],
  repository: Pick<RepositoryInfo, "name" | "mutability" | "exclusionFilters">,
): UserError | undefined {
  const refused = immutableMovingTags(tags, repository);
  if (refused.length === 0) return undefined;
  const inputs = [
    ...new Set(tags.filter((t) => refused.includes(t.name)).map((t) => inputOfTagKind(t.kind))),
  ];
  return new UserError(
    `${repository.name} has ${repository.mutability} tags, but ${refused.map((t) => `\`${t}\``).join(", ")} would have to move to each new image.`,
    {
      input: inputs[0] ?? "tags",
      fix: `Drop ${inputs.map((i) => `\`${i}\``).join(", ")} (tag by commit and version only), or exclude these tags from immutability in the repository's settings.`,
    },
  );
}

export function conflictError(repository: string, conflicts: readonly TagConflict[]): UserError {
  const lines = conflicts.map((c) =>
    c.reason === "immutable"
      ? `- \`${c.tag}\` already names sha256:${shortDigest(c.current)}…, and ${repository} does not let it move (tag immutability).`
      : `- \`${c.tag}\` already names sha256:${shortDigest(c.current)}…; a commit or version tag names exactly one image, so it is not moved.`,
  );
  return new UserError(`Cannot tag the image in ${repository}:\n${lines.join("\n")}`, {
    input: "tags",
    fix: "Release under a new version, or drop the tag; nothing was changed in ECR.",
  });
}

export interface ApplyResult {
  tag: string;
  action: "added" | "moved" | "unchanged";
  from?: string;
}

function putImageRefused(tag: string, repository: RepositoryId, written: readonly ApplyResult[]): UserError {
  const before = written.filter((r) => r.action !== "unchanged").map((r) => `\`${r.tag}\``);
  return new UserError(
    `ECR refused to move \`${tag}\` in ${repository.name}: the tag was taken by another image meanwhile and the repository's tags are immutable.${before.length > 0 ? ` Written before the refusal: ${before.join(", ")}.` : " Nothing was written."}`,
    { input: "tags", fix: "Find which run took the tag; release under a new version or drop the tag." },
  );
}

/** PutImage of the image's own manifest bytes under one tag; the answer must name the image's digest. */
async function putTag(
  client: ECRClient,
  repository: RepositoryId,
  image: ImageManifest,
  tag: string,
): Promise<"written" | "already"> {
  try {
    const out = await client.send(
      new PutImageCommand({
        ...repositoryParams(repository),
        imageManifest: image.manifest,
        imageManifestMediaType: image.mediaType,
        // ECR checks the bytes hash to this digest, so the tag cannot land on anything else.
        imageDigest: image.digest,
        imageTag: tag,
      }),
    );
    const answered = out.image?.imageId?.imageDigest;
    if (answered !== image.digest) {
      throw new UserError(
        `ECR answered PutImage of \`${tag}\` in ${repository.name} with digest ${answered ?? "(none)"}, not ${image.digest}.`,
        {
          input: "aws-endpoint-url",
          fix: `Check what \`${tag}\` names in the repository before using it; the endpoint does not answer PutImage as ECR does.`,
        },
      );
    }
    return "written";
  } catch (error) {
    if (isAwsError(error, "ImageAlreadyExistsException")) return "already";
    throw error;
  }
}

/** PutImage of the same manifest bytes under each tag to add or move. ImageAlreadyExists is success. */
export async function applyTagChanges(
  client: ECRClient,
  repository: RepositoryId,
  image: ImageManifest,
  changes: readonly TagChange[],
  logger: Logger,
): Promise<ApplyResult[]> {
  const results: ApplyResult[] = [];
  for (const change of changes) {
    if (change.action === "unchanged") {
      results.push({ tag: change.tag, action: "unchanged" });
      continue;
    }
    let put: "written" | "already";
    try {
      put = await putTag(client, repository, image, change.tag);
    } catch (error) {
      if (isAwsError(error, "ImageTagAlreadyExistsException"))
        throw putImageRefused(change.tag, repository, results);
      throw error;
    }
    if (put === "already") {
      logger.info(`${change.tag} already names sha256:${shortDigest(image.digest)}….`);
      results.push({ tag: change.tag, action: "unchanged" });
    } else if (change.action === "move") {
      logger.info(
        `Moved ${change.tag} from sha256:${shortDigest(change.from)}… to sha256:${shortDigest(image.digest)}….`,
      );
      results.push({ tag: change.tag, action: "moved", from: change.from });
    } else {
      logger.info(`Tagged sha256:${shortDigest(image.digest)}… as ${change.tag}.`);
      results.push({ tag: change.tag, action: "added" });
    }
  }
  return results;
}
