// Phase "Builder": which builder the runner's docker offers, whether it can do what the settings ask,
// and the registry cache it may read and write. No side effects.
import type { ECRClient } from "@aws-sdk/client-ecr";
import { type BuildSpec, buildProblems, ociLabels } from "@shipline/core/docker/build";
import { type BuilderInfo, detectBuilder } from "@shipline/core/docker/builder";
import type { DockerCli } from "@shipline/core/docker/cli";
import { findRepository, isTagMutable, type RepositoryInfo } from "@shipline/core/ecr/repository";
import { UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { BuildSettings, Settings } from "../settings";
import type { TagRules } from "./inspect";

/** The registry cache (buildx only): in another repository when one is given, and whether it is written. */
export interface CachePlan {
  repository: RepositoryInfo | undefined;
  writable: boolean;
}

export interface PreparedBuild {
  builder: BuilderInfo;
  spec: Omit<BuildSpec, "secretFiles" | "image" | "cache">;
  cache: CachePlan | undefined;
}

function specOf(context: ActionContext, settings: Settings, build: BuildSettings): PreparedBuild["spec"] {
  const env = context.env;
  const source = env.GITHUB_REPOSITORY
    ? `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}`
    : undefined;
  return {
    context: build.context,
    dockerfile: build.dockerfile,
    labels: ociLabels(
      {
        created: new Date(context.clock.now()),
        revision: build.commitSha,
        source,
        version: settings.version,
      },
      build.labels,
    ),
    buildArgs: build.buildArgs,
    target: build.target,
    platforms: build.platforms,
    network: build.network,
    provenance: build.provenance,
  };
}

function refuseWhatTheBuilderCannotDo(
  spec: PreparedBuild["spec"],
  build: BuildSettings,
  builder: BuilderInfo,
): void {
  const problems = buildProblems(
    { ...spec, image: "", secretFiles: build.secrets.map((s) => ({ id: s.id, path: "" })) },
    builder.kind,
  );
  const [first] = problems;
  if (!first) return;
  throw new UserError(problems.map((p) => `Input \`${p.input}\`: ${p.message}`).join("\n"), {
    input: first.input,
    fix: first.fix,
  });
}

async function cachePlan(
  context: ActionContext,
  ecr: ECRClient,
  build: BuildSettings,
  builder: BuilderInfo,
  rules: TagRules,
): Promise<CachePlan | undefined> {
  const { logger } = context;
  if (!build.cache) return undefined;
  if (builder.kind !== "buildx") {
    logger.info("The registry cache needs docker buildx; building without a cache.");
    return undefined;
  }
  let repository: RepositoryInfo | undefined;
  if (build.cacheRepository) {
    repository = await findRepository(ecr, build.cacheRepository);
    if (!repository) {
      throw new UserError(`The cache repository "${build.cacheRepository.name}" does not exist.`, {
        input: "cache-repository",
        fix: "Create it (MUTABLE tags), or leave `cache-repository` empty to keep the cache beside the image.",
      });
    }
  }
  const writable = isTagMutable(repository ?? rules, build.cacheTag);
  if (!writable) {
    logger.warning(
      `The cache tag ${build.cacheTag} cannot be rewritten in an IMMUTABLE repository: reading the cache only. Give \`cache-repository\` a MUTABLE repository to keep it fresh.`,
    );
  }
  return { repository, writable };
}

export function prepare(
  context: ActionContext,
  ecr: ECRClient,
  settings: Settings,
  build: BuildSettings,
  rules: TagRules,
  docker: DockerCli,
): Promise<PreparedBuild> {
  return context.logger.group("Builder", async () => {
    const builder = await detectBuilder(docker);
    context.logger.info(`Builder: ${builder.description}.`);
    const spec = specOf(context, settings, build);
    refuseWhatTheBuilderCannotDo(spec, build, builder);
    return { builder, spec, cache: await cachePlan(context, ecr, build, builder, rules) };
  });
}
