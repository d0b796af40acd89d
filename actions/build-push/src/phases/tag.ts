// Phase "Tags": the image's other tags, written by PutImage of its own manifest (no layer moves).
import type { ECRClient } from "@aws-sdk/client-ecr";
import type { ImageTag } from "@shipline/core/docker/tags";
import { executePromotion, type PromotionPlan, readPromotion } from "@shipline/core/ecr/promotion";
import type { RepositoryInfo } from "@shipline/core/ecr/repository";
import type { ApplyResult } from "@shipline/core/ecr/tagging";
import type { ActionContext } from "@shipline/core/runtime/run";

/**
 * Writes the tags of a promotion planned before (and refused before, had it conflicts). `stale`: the
 * plan was read before a wait (the scan gate), so the tags are checked again right before the writes.
 */
export async function tag(
  context: ActionContext,
  ecr: ECRClient,
  plan: PromotionPlan,
  stale: boolean,
): Promise<ApplyResult[]> {
  const outcome = await context.logger.group("Tags", () =>
    executePromotion(ecr, plan, context.logger, { stale }),
  );
  return outcome.results;
}

/** Gives an image just pushed its other tags, planned against what they name right now. */
export function retag(
  context: ActionContext,
  ecr: ECRClient,
  repository: RepositoryInfo,
  digest: string,
  tags: readonly ImageTag[],
): Promise<ApplyResult[]> {
  return context.logger.group("Tags", async () => {
    const target = {
      ref: { name: repository.name, registryId: repository.registryId },
      described: repository,
    };
    const plan = await readPromotion(ecr, target, { digest }, tags);
    if (!plan) throw new Error(`ECR lost ${digest}`);
    return (await executePromotion(ecr, plan, context.logger)).results;
  });
}
