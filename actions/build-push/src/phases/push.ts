// Phases "Create repository", "Registry login" and "Build and push": the first changes a build makes.
// The digest is the one ECR holds under the commit tag afterwards, checked against what was pushed.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ECRClient } from "@aws-sdk/client-ecr";
import { BuildFailedError, type BuildSpec, buildAndPush } from "@shipline/core/docker/build";
import type { DockerCli } from "@shipline/core/docker/cli";
import { dockerLogin } from "@shipline/core/docker/login";
import { findImage } from "@shipline/core/ecr/images";
import { getRegistryLogin } from "@shipline/core/ecr/login";
import { createRepository, type RepositoryInfo, repositoryNotFound } from "@shipline/core/ecr/repository";
import { UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { BuildSettings, Settings } from "../settings";
import type { PreparedBuild } from "./prepare";

/** Saved for the post step, which logs docker out of this registry. */
export const REGISTRY_STATE = "registry";

/** Creates the missing repository with the settings asked for (refused when none were). */
export function create(context: ActionContext, ecr: ECRClient, settings: Settings): Promise<RepositoryInfo> {
  const repositorySettings = settings.create;
  if (!repositorySettings) throw repositoryNotFound(settings.repository);
  return context.logger.group("Create repository", () =>
    createRepository(ecr, settings.repository, repositorySettings, context.logger),
  );
}

function login(
  context: ActionContext,
  ecr: ECRClient,
  docker: DockerCli,
  repository: RepositoryInfo,
): Promise<void> {
  const { logger } = context;
  return logger.group("Registry login", async () => {
    const credentials = await getRegistryLogin(ecr, logger);
    await dockerLogin(docker, repository.registry, credentials.username, credentials.password);
    context.state.set(REGISTRY_STATE, repository.registry);
    logger.info(
      `Logged in to ${repository.registry}${credentials.expiresAt ? ` (token valid until ${credentials.expiresAt.toISOString()})` : ""}.`,
    );
  });
}

function specFor(
  repository: RepositoryInfo,
  prepared: PreparedBuild,
  build: BuildSettings,
  commitTag: string,
) {
  const image = `${repository.uri}:${commitTag}`;
  const cacheRef = prepared.cache
    ? `${prepared.cache.repository?.uri ?? repository.uri}:${build.cacheTag}`
    : undefined;
  const spec: Omit<BuildSpec, "secretFiles"> = {
    ...prepared.spec,
    image,
    ...(cacheRef ? { cache: { from: cacheRef, ...(prepared.cache?.writable ? { to: cacheRef } : {}) } } : {}),
  };
  return spec;
}

function buildFailure(error: BuildFailedError, image: string): UserError {
  return new UserError(`docker ${error.step} of ${image} failed: ${error.failure.message}`, {
    fix:
      error.step === "build"
        ? "Read the build log above; the failing step and its output are there."
        : "Check that the job's role may push to this repository (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:BatchCheckLayerAvailability, ecr:PutImage).",
  });
}

/** Builds with the secrets in files only the build reads, removed afterwards; returns the pushed digest. */
async function buildInWorkDir(
  context: ActionContext,
  docker: DockerCli,
  spec: Omit<BuildSpec, "secretFiles">,
  prepared: PreparedBuild,
  build: BuildSettings,
): Promise<string> {
  const workDir = mkdtempSync(join(context.env.RUNNER_TEMP || tmpdir(), "build-push-"));
  try {
    const secretFiles = build.secrets.map((secret, index) => {
      const path = join(workDir, `secret-${index}`);
      writeFileSync(path, secret.value, { mode: 0o600 });
      return { id: secret.id, path };
    });
    return await context.logger.group(`Build and push ${spec.image}`, async () => {
      try {
        return (await buildAndPush(docker, { ...spec, secretFiles }, prepared.builder, workDir)).digest;
      } catch (error) {
        if (!(error instanceof BuildFailedError)) throw error;
        throw buildFailure(error, spec.image);
      }
    });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export async function push(
  context: ActionContext,
  ecr: ECRClient,
  docker: DockerCli,
  repository: RepositoryInfo,
  prepared: PreparedBuild,
  build: BuildSettings,
  commitTag: string,
): Promise<string> {
  const spec = specFor(repository, prepared, build, commitTag);
  await login(context, ecr, docker, repository);
  const pushed = await buildInWorkDir(context, docker, spec, prepared, build);
  // The registry's word is the truth: the digest ECR now holds under the commit tag.
  const stored = await findImage(
    ecr,
    { name: repository.name, registryId: repository.registryId },
    { tag: commitTag },
  );
  if (stored?.digest !== pushed) {
    throw new Error(`pushed ${pushed} but ECR holds ${stored?.digest ?? "nothing"} under ${commitTag}`);
  }
  context.logger.info(`Pushed ${spec.image} as ${pushed}.`);
  return pushed;
}
