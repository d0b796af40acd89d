// Tagging an image that is already in ECR (promotion, and the extra tags of a build): plan which tags
// to add or move from what each tag names now, refuse what ECR or the release rules would not allow
// before changing anything, then PutImage the same manifest bytes under each tag. No layer moves.
import { type ECRClient, PutImageCommand } from "@aws-sdk/client-ecr";
import { type ImageTag, inputOfTagKind } from "../docker/tags";
import { UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { type ImageManifest, type RepositoryId, shortDigest } from "./images";
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

/**
 * What tagging `digest` with each tag would do, given what the tags name now. A tag on another image
 * is a conflict when the repository makes it immutable, or when it is pinned (a commit or an exact
 * version names exactly one image, even where ECR would allow the move).
 */
export function planTagChanges(
  tags: readonly Pick<ImageTag, "name" | "pinned">[],
  current: ReadonlyMap<string, string | undefined>,
  digest: string,
  repository: Pick<RepositoryInfo, "mutability" | "exclusionFilters">,
): TagPlan {
  const changes: TagChange[] = [];
  const conflicts: TagConflict[] = [];
  for (const tag of tags) {
    const now = current.get(tag.name);
    if (now === undefined) changes.push({ tag: tag.name, action: "add" });
    else if (now === digest) changes.push({ tag: tag.name, action: "unchanged" });
    else if (!isTagMutable(repository, tag.name))
      conflicts.push({ tag: tag.name, current: now, reason: "immutable" });
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
    try {
      const out = await client.send(
        new PutImageCommand({
          repositoryName: repository.name,
          ...(repository.registryId ? { registryId: repository.registryId } : {}),
          imageManifest: image.manifest,
          imageManifestMediaType: image.mediaType,
          imageTag: change.tag,
        }),
      );
      const written = out.image?.imageId?.imageDigest;
      if (written !== image.digest) {
        throw new Error(`PutImage of ${change.tag} gave digest ${written}, expected ${image.digest}`);
      }
      if (change.action === "move") {
        logger.info(
          `Moved ${change.tag} from sha256:${shortDigest(change.from)}… to sha256:${shortDigest(image.digest)}….`,
        );
        results.push({ tag: change.tag, action: "moved", from: change.from });
      } else {
        logger.info(`Tagged sha256:${shortDigest(image.digest)}… as ${change.tag}.`);
        results.push({ tag: change.tag, action: "added" });
      }
    } catch (error) {
      if (isAwsError(error, "ImageAlreadyExistsException")) {
        logger.info(`${change.tag} already names sha256:${shortDigest(image.digest)}….`);
        results.push({ tag: change.tag, action: "unchanged" });
        continue;
      }
      if (isAwsError(error, "ImageTagAlreadyExistsException")) {
        throw new UserError(
          `ECR refused to move \`${change.tag}\` in ${repository.name}: the tag was taken by another image meanwhile and the repository's tags are immutable.`,
          { input: "tags", fix: "Find which run took the tag; release under a new version or drop the tag." },
        );
      }
      throw error;
    }
  }
  return results;
}
