// Promote mode: add tags to an image already in ECR with BatchGetImage + PutImage. No pull, no push,
// no rebuild: the digest cannot change.
import type { ECRClient } from "@aws-sdk/client-ecr";
import { describeImageId } from "@shipline/core/ecr/images";
import { findRepository, repositoryNotFound } from "@shipline/core/ecr/repository";
import { applyTagChanges, conflictError, planPromotion } from "@shipline/core/ecr/tagging";
import type { ActionContext } from "@shipline/core/runtime/run";
import { refuseImmutableMovingTags } from "./build-mode";
import type { Plan } from "./plan";
import type { RunReport } from "./report";
import { runScanGate } from "./scan-gate";

export async function promote(
  context: ActionContext,
  plan: Plan,
  ecr: ECRClient,
  report: RunReport,
): Promise<void> {
  const { logger } = context;
  const source = plan.source;
  if (!source) throw new Error("promote mode without a source");

  const repository = await logger.group("Repository", async () => {
    const found = await findRepository(ecr, plan.repository);
    if (!found) throw repositoryNotFound(plan.repository);
    logger.info(`${found.uri}: tags ${found.mutability}, scan on push ${found.scanOnPush ? "on" : "off"}.`);
    return found;
  });
  const repoId = { name: repository.name, registryId: repository.registryId };
  report.repositoryUri = repository.uri;
  report.registry = repository.registry;
  refuseImmutableMovingTags(plan.tags, repository);

  const promotion = await logger.group("Source image", async () => {
    const planned = await planPromotion(ecr, repository, source, plan.tags);
    logger.info(`${describeImageId(source)} is ${planned.image.digest} (${planned.image.mediaType}).`);
    return planned;
  });
  const digest = promotion.image.digest;
  report.source = describeImageId(source);
  report.digest = digest;
  report.image = `${repository.uri}@${digest}`;
  report.tags = plan.tags.map((t) => t.name);
  // Every tag is checked before the first one is written: a refused promote changes nothing.
  if (promotion.conflicts.length > 0) throw conflictError(repository.name, promotion.conflicts);

  if (plan.scan) await runScanGate(context, ecr, repository, digest, plan.scan, report);

  report.tagChanges = await logger.group("Tags", () =>
    applyTagChanges(ecr, repoId, promotion.image, promotion.changes, logger),
  );
}
