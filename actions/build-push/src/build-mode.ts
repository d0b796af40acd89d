// Build mode: build the commit's image once and push it under the commit tag, or find it already in
// ECR; then gate on its scan and add the other tags by PutImage (the same path as a promote).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ECRClient } from "@aws-sdk/client-ecr";
import { BuildFailedError, type BuildSpec, buildAndPush, buildProblems } from "@shipline/core/docker/build";
import { type BuilderInfo, detectBuilder } from "@shipline/core/docker/builder";
import { DockerCli } from "@shipline/core/docker/cli";
import { dockerLogin } from "@shipline/core/docker/login";
import type { ImageTag } from "@shipline/core/docker/tags";
import { digestsOfTags, findImage, getManifest, type ImageInfo } from "@shipline/core/ecr/images";
import { getRegistryLogin } from "@shipline/core/ecr/login";
import {
  createRepository,
  findRepository,
  isTagMutable,
  type RepositoryInfo,
  repositoryNotFound,
} from "@shipline/core/ecr/repository";
import {
  applyTagChanges,
  conflictError,
  immutableMovingTags,
  planTagChanges,
  shortDigest,
} from "@shipline/core/ecr/tagging";
import { UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { BuildPlan, Plan } from "./plan";
import type { RunReport } from "./report";
import { runScanGate } from "./scan-gate";

export const REGISTRY_STATE = "registry";

/** Moving tags cannot live in a repository that will not let them move: refuse before anything. */
export function refuseImmutableMovingTags(
  tags: readonly ImageTag[],
  repository: Pick<RepositoryInfo, "name" | "mutability" | "exclusionFilters">,
): void {
  const refused = immutableMovingTags(tags, repository);
  if (refused.length === 0) return;
  const inputs = [...new Set(tags.filter((t) => refused.includes(t.name)).map((t) => inputOfKind(t.kind)))];
  throw new UserError(
    `${repository.name} has ${repository.mutability} tags, but ${refused.map((t) => `\`${t}\``).join(", ")} would have to move to each new image.`,
    {
      input: inputs[0] ?? "tags",
      fix: `Drop ${inputs.map((i) => `\`${i}\``).join(", ")} (tag by commit and version only), or exclude these tags from immutability in the repository's settings.`,
    },
  );
}

function inputOfKind(kind: ImageTag["kind"]): string {
  switch (kind) {
    case "branch":
      return "branch-tag";
    case "environment":
      return "environment";
    case "semver":
      return "semver-tags";
    case "version":
      return "version";
    case "commit":
      return "commit-tag";
    default:
      return "tags";
  }
}

/** OCI labels every image gets, then the user's (which win). */
function imageLabels(context: ActionContext, plan: Plan, build: BuildPlan): Record<string, string> {
  const env = context.env;
  const labels: Record<string, string> = {
    "org.opencontainers.image.created": new Date(context.clock.now()).toISOString(),
    "org.opencontainers.image.revision": build.commitSha,
  };
  if (env.GITHUB_REPOSITORY) {
    labels["org.opencontainers.image.source"] =
      `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${env.GITHUB_REPOSITORY}`;
  }
  if (plan.version) labels["org.opencontainers.image.version"] = plan.version;
  return { ...labels, ...build.labels };
}

interface Prepared {
  builder: BuilderInfo;
  spec: Omit<BuildSpec, "secretFiles" | "image" | "cache">;
  /** The registry cache (buildx only): in another repository when one is given, and whether it is written. */
  cache: { repository: RepositoryInfo | undefined; writable: boolean } | undefined;
}

/** Detects the builder and checks it can do what the inputs ask; no side effects. */
async function prepareBuild(
  context: ActionContext,
  ecr: ECRClient,
  plan: Plan,
  build: BuildPlan,
  repository: Pick<RepositoryInfo, "mutability" | "exclusionFilters">,
  docker: DockerCli,
): Promise<Prepared> {
  const { logger } = context;
  const builder = await detectBuilder(docker);
  logger.info(`Builder: ${builder.description}.`);
  const spec: Prepared["spec"] = {
    context: build.context,
    dockerfile: build.dockerfile,
    labels: imageLabels(context, plan, build),
    buildArgs: build.buildArgs,
    target: build.target,
    platforms: build.platforms,
    network: build.network,
    provenance: build.provenance,
  };
  const problems = buildProblems(
    { ...spec, image: "", secretFiles: build.secrets.map((s) => ({ id: s.id, path: "" })) },
    builder.kind,
  );
  if (problems.length > 0) {
    const first = problems[0] as (typeof problems)[number];
    throw new UserError(problems.map((p) => `Input \`${p.input}\`: ${p.message}`).join("\n"), {
      input: first.input,
      fix: first.fix,
    });
  }
  if (!build.cache) return { builder, spec, cache: undefined };
  if (builder.kind !== "buildx") {
    logger.info("The registry cache needs docker buildx; building without a cache.");
    return { builder, spec, cache: undefined };
  }
  let cacheRepository: RepositoryInfo | undefined;
  if (build.cacheRepository) {
    cacheRepository = await findRepository(ecr, build.cacheRepository);
    if (!cacheRepository) {
      throw new UserError(`The cache repository "${build.cacheRepository.name}" does not exist.`, {
        input: "cache-repository",
        fix: "Create it (MUTABLE tags), or leave `cache-repository` empty to keep the cache beside the image.",
      });
    }
  }
  const writable = isTagMutable(cacheRepository ?? repository, build.cacheTag);
  if (!writable) {
    logger.warning(
      `The cache tag ${build.cacheTag} cannot be rewritten in an IMMUTABLE repository: reading the cache only. Give \`cache-repository\` a MUTABLE repository to keep it fresh.`,
    );
  }
  return { builder, spec, cache: { repository: cacheRepository, writable } };
}

export async function buildMode(
  context: ActionContext,
  plan: Plan,
  ecr: ECRClient,
  report: RunReport,
): Promise<void> {
  const { logger } = context;
  const build = plan.build;
  const commitTag = plan.commitTag;
  if (!build || !commitTag) throw new Error("build mode without a build plan");
  const otherTags = plan.tags.filter((t) => t !== commitTag);

  // ---- checks: nothing below changes anything until "Build and push" -------------------------------
  let repository = await logger.group("Repository", async () => {
    const found = await findRepository(ecr, plan.repository);
    if (found)
      logger.info(`${found.uri}: tags ${found.mutability}, scan on push ${found.scanOnPush ? "on" : "off"}.`);
    else if (plan.create) logger.info(`${plan.repository.name} does not exist yet; it will be created.`);
    else throw repositoryNotFound(plan.repository);
    return found;
  });
  const settings = repository ?? {
    name: plan.repository.name,
    mutability: plan.create?.mutability ?? "MUTABLE",
    exclusionFilters: [],
  };
  refuseImmutableMovingTags(plan.tags, settings);

  let existing: ImageInfo | undefined;
  let current = new Map<string, string | undefined>();
  if (repository) {
    const repoId = { name: repository.name, registryId: repository.registryId };
    existing = await logger.group("Existing image", async () => {
      const found = await findImage(ecr, repoId, { tag: commitTag.name });
      if (found) {
        logger.info(
          `${commitTag.name} is already in ECR: ${found.digest}${found.pushedAt ? `, pushed ${found.pushedAt.toISOString()}` : ""}.`,
        );
      } else {
        logger.info(`No image is tagged ${commitTag.name} yet.`);
      }
      return found;
    });
    if (existing && !build.skipExisting && !isTagMutable(repository, commitTag.name)) {
      throw new UserError(
        `\`skip-existing\` is false, but ${commitTag.name} already names sha256:${shortDigest(existing.digest)}… and ${repository.name} does not let tags move.`,
        {
          input: "skip-existing",
          fix: "Set `skip-existing: true` to reuse the image, or rebuild from a new commit.",
        },
      );
    }
    current = await digestsOfTags(
      ecr,
      repoId,
      otherTags.map((t) => t.name),
    );
    // A new build gets a new digest: any tag that may not move to it is refused now, not after the push.
    const target = existing && build.skipExisting ? existing.digest : "sha256:(the new image)";
    const conflicts = planTagChanges(otherTags, current, target, repository).conflicts;
    if (conflicts.length > 0) throw conflictError(repository.name, conflicts);
  }

  let digest: string;
  const docker = new DockerCli(logger, "docker", context.signal);
  if (existing && build.skipExisting) {
    digest = existing.digest;
    report.skipped = `skipped: ECR already holds ${commitTag.name}`;
    logger.info(`Skipping the build: the image for this commit is already in ECR (${digest}).`);
  } else {
    const prepared = await logger.group("Builder", () =>
      prepareBuild(context, ecr, plan, build, settings, docker),
    );
    report.builder = prepared.builder.description;

    // ---- changes start here ----------------------------------------------------------------------
    if (!repository) {
      const create = plan.create;
      if (!create) throw repositoryNotFound(plan.repository);
      repository = await logger.group("Create repository", () =>
        createRepository(ecr, plan.repository, create, logger),
      );
      report.createdRepository = true;
    }
    const created = repository;
    const image = `${created.uri}:${commitTag.name}`;
    const cacheRef = prepared.cache
      ? `${prepared.cache.repository?.uri ?? created.uri}:${build.cacheTag}`
      : undefined;
    const spec: Omit<BuildSpec, "secretFiles"> = {
      ...prepared.spec,
      image,
      ...(cacheRef
        ? { cache: { from: cacheRef, ...(prepared.cache?.writable ? { to: cacheRef } : {}) } }
        : {}),
    };

    await logger.group("Registry login", async () => {
      const login = await getRegistryLogin(ecr, logger);
      await dockerLogin(docker, created.registry, login.username, login.password);
      // The post step logs out again.
      context.state.set(REGISTRY_STATE, created.registry);
      logger.info(
        `Logged in to ${created.registry}${login.expiresAt ? ` (token valid until ${login.expiresAt.toISOString()})` : ""}.`,
      );
    });

    const workDir = mkdtempSync(join(context.env.RUNNER_TEMP || tmpdir(), "build-push-"));
    try {
      const secretFiles = build.secrets.map((secret, index) => {
        const path = join(workDir, `secret-${index}`);
        writeFileSync(path, secret.value, { mode: 0o600 });
        return { id: secret.id, path };
      });
      const pushed = await logger.group(`Build and push ${image}`, async () => {
        try {
          return await buildAndPush(docker, { ...spec, secretFiles }, prepared.builder, workDir);
        } catch (error) {
          if (!(error instanceof BuildFailedError)) throw error;
          throw new UserError(`docker ${error.step} of ${image} failed: ${error.failure.message}`, {
            fix:
              error.step === "build"
                ? "Read the build log above; the failing step and its output are there."
                : "Check that the job's role may push to this repository (ecr:InitiateLayerUpload, ecr:UploadLayerPart, ecr:CompleteLayerUpload, ecr:BatchCheckLayerAvailability, ecr:PutImage).",
          });
        }
      });
      // The registry's word is the truth: the digest ECR now holds under the commit tag.
      const stored = await findImage(
        ecr,
        { name: created.name, registryId: created.registryId },
        { tag: commitTag.name },
      );
      if (stored?.digest !== pushed.digest) {
        throw new Error(
          `pushed ${pushed.digest} but ECR holds ${stored?.digest ?? "nothing"} under ${commitTag.name}`,
        );
      }
      digest = pushed.digest;
      report.built = true;
      logger.info(`Pushed ${image} as ${digest}.`);
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }

  const final = repository;
  if (!final) throw new Error("no repository after the build");
  const repoId = { name: final.name, registryId: final.registryId };
  report.repositoryUri = final.uri;
  report.registry = final.registry;
  report.digest = digest;
  report.image = `${final.uri}@${digest}`;
  report.tags = [commitTag.name];
  // A rebuild asked for with `skip-existing: false` moved the commit tag off the image ECR held.
  report.tagChanges = [
    !report.built
      ? { tag: commitTag.name, action: "unchanged" }
      : existing
        ? { tag: commitTag.name, action: "moved", from: existing.digest }
        : { tag: commitTag.name, action: "added" },
  ];

  if (plan.scan) await runScanGate(context, ecr, final, digest, plan.scan, report);

  if (otherTags.length > 0) {
    const applied = await logger.group("Tags", async () => {
      const manifest = await getManifest(ecr, repoId, { digest });
      if (!manifest) throw new Error(`ECR lost ${digest}`);
      const now = await digestsOfTags(
        ecr,
        repoId,
        otherTags.map((t) => t.name),
      );
      const tagPlan = planTagChanges(otherTags, now, digest, final);
      if (tagPlan.conflicts.length > 0) throw conflictError(final.name, tagPlan.conflicts);
      return applyTagChanges(ecr, repoId, manifest, tagPlan.changes, logger);
    });
    report.tagChanges.push(...applied);
  }
  report.tags = plan.tags.map((t) => t.name);
}
