// Tagging an image that is already in ECR (promotion, and the extra tags of a build): plan which tags
// to add or move from what each tag names now, refuse what ECR or the release rules would not allow
// before changing anything, then PutImage the same manifest bytes under each tag. No layer moves.
import { type ECRClient, PutImageCommand } from "@aws-sdk/client-ecr";
import type { ImageTag } from "../docker/tags";
import { UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import {
  describeImageId,
  digestsOfTags,
  getManifest,
  type ImageId,
  type ImageManifest,
  type RepositoryId,
} from "./images";
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

export function shortDigest(digest: string): string {
  return digest.replace(/^sha256:/, "").slice(0, 12);
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

export interface PromotionPlan extends TagPlan {
  /** The source image, as ECR stores it. */
  image: ImageManifest;
}

/**
 * Reads the image to promote (refused when it is missing) and what each tag names now. The caller
 * refuses `conflicts` with conflictError before a single write: a refused promote changes nothing.
 */
export async function planPromotion(
  client: ECRClient,
  repository: RepositoryInfo,
  source: ImageId,
  tags: readonly Pick<ImageTag, "name" | "pinned">[],
): Promise<PromotionPlan> {
  const repoId = { name: repository.name, registryId: repository.registryId };
  const image = await getManifest(client, repoId, source);
  if (!image) {
    throw new UserError(`The image to promote (${describeImageId(source)}) is not in ${repository.name}.`, {
      input: "source",
      fix: "Promote an image that was built and pushed (build-push's `image` output of the staging run).",
    });
  }
  const current = await digestsOfTags(
    client,
    repoId,
    tags.map((t) => t.name),
  );
  return { image, ...planTagChanges(tags, current, image.digest, repository) };
}

/** Promotes an image in one call, for callers without a gate between the plan and the writes. */
export async function promoteImage(
  client: ECRClient,
  repository: RepositoryInfo,
  source: ImageId,
  tags: readonly Pick<ImageTag, "name" | "pinned">[],
  logger: Logger,
): Promise<{ digest: string; results: ApplyResult[] }> {
  const { image, changes, conflicts } = await planPromotion(client, repository, source, tags);
  if (conflicts.length > 0) throw conflictError(repository.name, conflicts);
  const repoId = { name: repository.name, registryId: repository.registryId };
  return { digest: image.digest, results: await applyTagChanges(client, repoId, image, changes, logger) };
}
