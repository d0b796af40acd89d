// Promotion: putting more tags on an image ECR already holds, by the image's own manifest bytes. The
// plan says which digest the tags will name and, tag by tag, whether each is added, moved (from which
// image) or already there, and which tags may not be given to it and why; executing it writes the tags.
import type { ECRClient } from "@aws-sdk/client-ecr";
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
import type { RepositoryInfo } from "./repository";
import { type ApplyResult, applyTagChanges, conflictError, planTagChanges, type TagPlan } from "./tagging";

export interface PromotionPlan extends TagPlan {
  /** The repository the image and its tags are in. */
  repository: Pick<RepositoryInfo, "name" | "registryId">;
  /** The image as the caller named it (a tag or a digest). */
  source: ImageId;
  /** The image as ECR stores it: its digest is what every tag will name. */
  image: ImageManifest;
}

export interface PromotionOutcome {
  digest: string;
  /** One result per tag of the plan, in its order. */
  results: ApplyResult[];
}

type TagsToPlan = readonly Pick<ImageTag, "name" | "pinned">[];

function repositoryId(repository: Pick<RepositoryInfo, "name" | "registryId">): RepositoryId {
  return { name: repository.name, registryId: repository.registryId };
}

/**
 * Reads the image and what each tag names now, and plans the tags; undefined when ECR does not hold
 * the image. Nothing is written.
 */
export async function readPromotion(
  client: ECRClient,
  repository: RepositoryInfo,
  source: ImageId,
  tags: TagsToPlan,
): Promise<PromotionPlan | undefined> {
  const id = repositoryId(repository);
  const image = await getManifest(client, id, source);
  if (!image) return undefined;
  const current = await digestsOfTags(
    client,
    id,
    tags.map((t) => t.name),
  );
  return { repository, source, image, ...planTagChanges(tags, current, image.digest, repository) };
}

/**
 * The plan of a promote: refused when the image to promote is missing. The caller refuses the plan's
 * `conflicts` (conflictError) before a single write: a refused promote changes nothing.
 */
export async function planPromotion(
  client: ECRClient,
  repository: RepositoryInfo,
  source: ImageId,
  tags: TagsToPlan,
): Promise<PromotionPlan> {
  const plan = await readPromotion(client, repository, source, tags);
  if (!plan) {
    throw new UserError(`The image to promote (${describeImageId(source)}) is not in ${repository.name}.`, {
      input: "source",
      fix: "Promote an image that was built and pushed (build-push's `image` output of the staging run).",
    });
  }
  return plan;
}

/** Writes the plan's tags; a plan with conflicts is refused whole, before any write. */
export async function executePromotion(
  client: ECRClient,
  plan: PromotionPlan,
  logger: Logger,
): Promise<PromotionOutcome> {
  if (plan.conflicts.length > 0) throw conflictError(plan.repository.name, plan.conflicts);
  const results = await applyTagChanges(
    client,
    repositoryId(plan.repository),
    plan.image,
    plan.changes,
    logger,
  );
  return { digest: plan.image.digest, results };
}

/** Promotes an image in one call, for callers without a gate between the plan and the writes. */
export async function promoteImage(
  client: ECRClient,
  repository: RepositoryInfo,
  source: ImageId,
  tags: TagsToPlan,
  logger: Logger,
): Promise<PromotionOutcome> {
  return executePromotion(client, await planPromotion(client, repository, source, tags), logger);
}
