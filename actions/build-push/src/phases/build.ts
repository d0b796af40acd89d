// Build mode: build the commit's image once and push it under the commit tag, or find it already in
// ECR; then gate on its scan and add the other tags by PutImage (the same path as a promote).
import type { ECRClient } from "@aws-sdk/client-ecr";
import { DockerCli } from "@shipline/core/docker/cli";
import { commitTagChange } from "@shipline/core/ecr/commit-image";
import type { RepositoryInfo } from "@shipline/core/ecr/repository";
import { scanGateError } from "@shipline/core/ecr/scan";
import type { ActionContext } from "@shipline/core/runtime/run";
import { type BuildPushOutcome, imageFacts, startOutcome } from "../report";
import type { Settings } from "../settings";
import { inspect } from "./inspect";
import { prepare } from "./prepare";
import { create, push } from "./push";
import { scan } from "./scan";
import { retag } from "./tag";

export async function build(
  context: ActionContext,
  settings: Settings,
  ecr: ECRClient,
): Promise<BuildPushOutcome> {
  const { build: options, commitTag } = settings;
  if (!options || !commitTag) throw new Error("build mode without build settings");
  const { logger } = context;
  let outcome = startOutcome(settings);
  try {
    // Checks: nothing changes until the repository is created or the image pushed.
    const target = await inspect(context, settings, ecr, commitTag, options.skipExisting);
    let repository: RepositoryInfo;
    let digest: string;
    if (target.plan.action === "reuse" && target.repository) {
      repository = target.repository;
      digest = target.plan.digest;
      outcome = { ...outcome, skipped: `skipped: ECR already holds ${commitTag.name}` };
      logger.info(`Skipping the build: the image for this commit is already in ECR (${digest}).`);
    } else {
      const docker = new DockerCli(logger, "docker", context.signal);
      const prepared = await prepare(context, ecr, settings, options, target.rules, docker);
      outcome = { ...outcome, builder: prepared.builder.description };
      repository = target.repository ?? (await create(context, ecr, settings));
      outcome = { ...outcome, createdRepository: !target.repository };
      digest = await push(context, ecr, docker, repository, prepared, options, commitTag.name);
      outcome = { ...outcome, built: true };
    }
    outcome = {
      ...outcome,
      ...imageFacts(repository, digest),
      tags: [commitTag.name],
      // A rebuild asked for with `skip-existing: false` moved the commit tag off the image ECR held.
      tagChanges: [commitTagChange(target.plan)],
    };

    if (settings.scan) {
      const gate = await scan(context, ecr, repository, digest, settings.scan);
      outcome = { ...outcome, scan: gate };
      if (!gate.passed) throw scanGateError(digest, gate);
    }
    const otherTags = settings.tags.filter((t) => t !== commitTag);
    const applied = otherTags.length > 0 ? await retag(context, ecr, repository, digest, otherTags) : [];
    return {
      ...outcome,
      tagChanges: [...outcome.tagChanges, ...applied],
      tags: settings.tags.map((t) => t.name),
    };
  } catch (error) {
    return { ...outcome, failure: { error } };
  }
}
