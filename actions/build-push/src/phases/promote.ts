// Promote mode: add tags to an image already in ECR with BatchGetImage + PutImage. No pull, no push,
// no rebuild: the digest cannot change. One BatchGetImage reads the source and every tag; every tag is
// checked before the first one is written.
import type { ECRClient } from "@aws-sdk/client-ecr";
import { describeImageId } from "@shipline/core/ecr/images";
import { type PromotionPlan, planPromotion } from "@shipline/core/ecr/promotion";
import { scanGateError } from "@shipline/core/ecr/scan";
import { conflictError, movingTagsRefusal } from "@shipline/core/ecr/tagging";
import type { ActionContext } from "@shipline/core/runtime/run";
import { type BuildPushOutcome, imageFacts, startOutcome } from "../report";
import type { Settings } from "../settings";
import { scan } from "./scan";
import { tag } from "./tag";

function readSource(context: ActionContext, ecr: ECRClient, settings: Settings): Promise<PromotionPlan> {
  const { logger } = context;
  const source = settings.source;
  if (!source) throw new Error("promote mode without a source");
  return logger.group("Source image", async () => {
    const target = {
      ref: settings.repository,
      uri: settings.sourceUri,
      describe: settings.scan !== undefined,
    };
    const plan = await planPromotion(ecr, target, source, settings.tags);
    const described = plan.repository.described;
    if (described) {
      logger.info(
        `${described.uri}: tags ${described.mutability}, scan on push ${described.scanOnPush ? "on" : "off"}.`,
      );
    }
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
    const plan = await readSource(context, ecr, settings);
    const { repository } = plan;
    outcome = {
      ...outcome,
      ...imageFacts(repository, plan.image.digest),
      source: describeImageId(plan.source),
      tags: settings.tags.map((t) => t.name),
    };
    // The plan described the repository whenever a tag moves, so its rules are known here when needed.
    const refusal = repository.described && movingTagsRefusal(settings.tags, repository.described);
    if (refusal) throw refusal;
    // A refused promote still says which image it was asked to promote, and changes nothing.
    if (plan.conflicts.length > 0) throw conflictError(repository.name, plan.conflicts);

    if (settings.scan) {
      if (!repository.described) throw new Error("the scan gate needs the repository described");
      const gate = await scan(context, ecr, repository.described, plan.image.digest, settings.scan);
      outcome = { ...outcome, scan: gate };
      if (!gate.passed) throw scanGateError(plan.image.digest, gate);
    }
    return { ...outcome, tagChanges: await tag(context, ecr, plan, settings.scan !== undefined) };
  } catch (error) {
    return { ...outcome, failure: { error } };
  }
}
