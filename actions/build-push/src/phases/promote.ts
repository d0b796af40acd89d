// Promote mode: add tags to an image already in ECR with BatchGetImage + PutImage. No pull, no push,
// no rebuild: the digest cannot change. Every tag is checked before the first one is written.
import type { ECRClient } from "@aws-sdk/client-ecr";
import { describeImageId } from "@shipline/core/ecr/images";
import { type PromotionPlan, planPromotion } from "@shipline/core/ecr/promotion";
import { type RepositoryInfo, repositoryNotFound } from "@shipline/core/ecr/repository";
import { scanGateError } from "@shipline/core/ecr/scan";
import { conflictError, movingTagsRefusal } from "@shipline/core/ecr/tagging";
import type { ActionContext } from "@shipline/core/runtime/run";
import { type BuildPushOutcome, imageFacts, startOutcome } from "../report";
import type { Settings } from "../settings";
import { locate } from "./locate";
import { scan } from "./scan";
import { tag } from "./tag";

function readSource(
  context: ActionContext,
  ecr: ECRClient,
  repository: RepositoryInfo,
  settings: Settings,
): Promise<PromotionPlan> {
  const { logger } = context;
  const source = settings.source;
  if (!source) throw new Error("promote mode without a source");
  return logger.group("Source image", async () => {
    const plan = await planPromotion(ecr, repository, source, settings.tags);
    logger.info(`${describeImageId(source)} is ${plan.image.digest} (${plan.image.mediaType}).`);
    return plan;
  });
}

export async function promote(
  context: ActionContext,
  settings: Settings,
  ecr: ECRClient,
): Promise<BuildPushOutcome> {
  let outcome = startOutcome(settings);
  try {
    const repository = await locate(context, ecr, settings.repository, undefined);
    if (!repository) throw repositoryNotFound(settings.repository);
    outcome = { ...outcome, repositoryUri: repository.uri, registry: repository.registry };
    const refusal = movingTagsRefusal(settings.tags, repository);
    if (refusal) throw refusal;

    const plan = await readSource(context, ecr, repository, settings);
    outcome = {
      ...outcome,
      ...imageFacts(repository, plan.image.digest),
      source: describeImageId(plan.source),
      tags: settings.tags.map((t) => t.name),
    };
    // A refused promote still says which image it was asked to promote, and changes nothing.
    if (plan.conflicts.length > 0) throw conflictError(repository.name, plan.conflicts);

    if (settings.scan) {
      const gate = await scan(context, ecr, repository, plan.image.digest, settings.scan);
      outcome = { ...outcome, scan: gate };
      if (!gate.passed) throw scanGateError(plan.image.digest, gate);
    }
    return { ...outcome, tagChanges: await tag(context, ecr, plan) };
  } catch (error) {
    return { ...outcome, failure: { error } };
  }
}
