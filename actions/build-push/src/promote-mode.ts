// Promote mode: add tags to an image already in ECR with BatchGetImage + PutImage. No pull, no push,
// no rebuild: the digest cannot change.
import type { ECRClient } from "@aws-sdk/client-ecr";
import { describeImageId, digestsOfTags, getManifest } from "@shipline/core/ecr/images";
import { findRepository, repositoryNotFound } from "@shipline/core/ecr/repository";
import { applyTagChanges, conflictError, planTagChanges } from "@shipline/core/ecr/tagging";
import { UserError } from "@shipline/core/errors";
import type { ActionContext } from "@shipline/core/run";
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

  const image = await logger.group("Source image", async () => {
    const manifest = await getManifest(ecr, repoId, source);
    if (!manifest) {
      throw new UserError(`The image to promote (${describeImageId(source)}) is not in ${repository.name}.`, {
        input: "source",
        fix: "Promote an image that was built and pushed (build-push's `image` output of the staging run).",
      });
    }
    logger.info(`${describeImageId(source)} is ${manifest.digest} (${manifest.mediaType}).`);
    return manifest;
  });
  report.source = describeImageId(source);
  report.digest = image.digest;
  report.image = `${repository.uri}@${image.digest}`;
  report.tags = plan.tags.map((t) => t.name);

  // Every tag is checked before the first one is written: a refused promote changes nothing.
  const current = await digestsOfTags(ecr, repoId, report.tags);
  const tagPlan = planTagChanges(plan.tags, current, image.digest, repository);
  if (tagPlan.conflicts.length > 0) throw conflictError(repository.name, tagPlan.conflicts);

  if (plan.scan) await runScanGate(context, ecr, repository, image.digest, plan.scan, report);

  report.tagChanges = await logger.group("Tags", () =>
    applyTagChanges(ecr, repoId, image, tagPlan.changes, logger),
  );
}
