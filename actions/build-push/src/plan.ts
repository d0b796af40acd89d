// Turns the parsed inputs and the workflow's environment into one checked plan, before any call to
// AWS or Docker: every problem is reported at once, each naming its input and the fix.
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { branchOfRun, computeTags, type ImageTag, TagError, tagOfRef } from "@shipline/core/docker/tags";
import { DIGEST_PATTERN, type ImageId } from "@shipline/core/ecr/images";
import {
  parseRepositoryRef,
  type RepositoryRef,
  type RepositorySettings,
} from "@shipline/core/ecr/repository";
import type { ScanPolicy, ThresholdSeverity } from "@shipline/core/ecr/scan";
import { UserError } from "@shipline/core/runtime/errors";
import type { Inputs } from "./inputs";

export interface BuildPlan {
  /** Absolute paths. */
  context: string;
  dockerfile: string;
  target: string | undefined;
  buildArgs: Record<string, string>;
  secrets: { id: string; value: string }[];
  platforms: string[];
  network: string | undefined;
  labels: Record<string, string>;
  cache: boolean;
  cacheRepository: RepositoryRef | undefined;
  cacheTag: string;
  provenance: boolean;
  skipExisting: boolean;
  commitSha: string;
}

export interface ScanGatePlan {
  policy: ScanPolicy;
  ignore: string[];
  timeoutMs: number;
  intervalMs: number;
}

export interface Plan {
  mode: "build" | "promote";
  repository: RepositoryRef;
  /** The region the registry is in, when the inputs say (input or repository URI). */
  region: string | undefined;
  /** Every tag the image should end up with; in build mode the commit tag comes first. */
  tags: ImageTag[];
  /** Build mode: the tag the image is pushed under and found by on a re-run. */
  commitTag: ImageTag | undefined;
  version: string | undefined;
  build: BuildPlan | undefined;
  /** Promote mode: the image to tag. */
  source: ImageId | undefined;
  /** Settings for a repository this run may create. */
  create: RepositorySettings | undefined;
  scan: ScanGatePlan | undefined;
}

interface Problem {
  input: string;
  message: string;
  fix: string;
}

function problemsError(problems: Problem[]): UserError {
  const first = problems[0] as Problem;
  if (problems.length === 1) {
    return new UserError(`Input \`${first.input}\`: ${first.message}`, {
      input: first.input,
      fix: first.fix,
    });
  }
  const lines = problems.map((p) => `- \`${p.input}\`: ${p.message} ${p.fix}`);
  return new UserError(`${problems.length} inputs are invalid:\n${lines.join("\n")}`, {
    input: first.input,
    fix: "Correct the inputs listed above.",
  });
}

/**
 * Reads `source`: a tag, a digest, or an image reference (`<uri>@sha256:...`, `<uri>:<tag>`) that must
 * name the same repository.
 */
export function parseSource(value: string, repository: RepositoryRef): ImageId {
  if (DIGEST_PATTERN.test(value)) return { digest: value };
  const at = value.indexOf("@");
  let name: string | undefined;
  let id: ImageId;
  if (at >= 0) {
    name = value.slice(0, at);
    const digest = value.slice(at + 1);
    if (!DIGEST_PATTERN.test(digest)) throw new Error(`"${digest}" is not a sha256 digest`);
    id = { digest };
  } else {
    const slash = value.lastIndexOf("/");
    const colon = value.lastIndexOf(":");
    if (slash < 0) return { tag: value };
    if (colon < slash) throw new Error(`"${value}" names no tag or digest`);
    name = value.slice(0, colon);
    id = { tag: value.slice(colon + 1) };
  }
  if (name !== repository.name && !name.endsWith(`/${repository.name}`)) {
    throw new Error(`"${value}" is in another repository than ${repository.name}`);
  }
  return id;
}

function insideWorkspace(path: string, workspace: string): boolean {
  const rel = relative(workspace, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

export function planFromInputs(inputs: Inputs, env: NodeJS.ProcessEnv, workspace: string): Plan {
  const problems: Problem[] = [];
  const problem = (input: string, message: string, fix: string): void => {
    problems.push({ input, message, fix });
  };

  let repository: RepositoryRef = { name: inputs.repository };
  try {
    repository = parseRepositoryRef(inputs.repository);
  } catch (error) {
    problem("repository", `${(error as Error).message}.`, 'Give a repository name such as "shop/web".');
  }
  if (inputs.registryId) {
    if (repository.registryId && repository.registryId !== inputs.registryId) {
      problem(
        "registry-id",
        `it says ${inputs.registryId} but the repository URI is in ${repository.registryId}.`,
        "Give one of them, or make them agree.",
      );
    }
    repository = { ...repository, registryId: inputs.registryId };
  }
  if (inputs.awsRegion && repository.region && inputs.awsRegion !== repository.region) {
    problem(
      "aws-region",
      `it says ${inputs.awsRegion} but the repository URI is in ${repository.region}.`,
      "Drop `aws-region`, or make it agree with the URI.",
    );
  }
  const region = inputs.awsRegion ?? repository.region;

  const version = inputs.version ?? tagOfRef(env.GITHUB_REF);
  const promote = inputs.mode === "promote";
  const commitSha = inputs.commit ?? env.GITHUB_SHA;

  let tags: ImageTag[] = [];
  try {
    tags = computeTags({
      commitSha,
      commitTag: promote ? "none" : inputs.commitTag,
      branch: !promote && inputs.branchTag ? branchOfRun(env.GITHUB_REF, env.GITHUB_HEAD_REF) : undefined,
      environment: inputs.environment,
      version,
      semverTags: inputs.semverTags,
      extraTags: inputs.tags ?? [],
    });
  } catch (error) {
    if (!(error instanceof TagError)) throw error;
    problem(error.input, error.message, error.fix);
  }

  let source: ImageId | undefined;
  let build: BuildPlan | undefined;
  if (promote) {
    if (!inputs.source) {
      problem(
        "source",
        "promote mode needs the image to promote.",
        "Give `source`: a tag, a digest, or build-push's `image` output.",
      );
    } else {
      try {
        source = parseSource(inputs.source, repository);
      } catch (error) {
        problem(
          "source",
          `${(error as Error).message}.`,
          "Give a tag, a sha256 digest, or `<repository-uri>@sha256:...`.",
        );
      }
    }
    if (tags.length === 0 && problems.length === 0) {
      problem(
        "tags",
        "promote mode has no tag to add.",
        "Run on a version tag, or give `version`, `environment` or `tags`.",
      );
    }
  } else {
    if (inputs.source) {
      problem("source", "it is only used in promote mode.", "Remove `source`, or set `mode: promote`.");
    }
    const context = resolve(workspace, inputs.context);
    const dockerfile = inputs.dockerfile
      ? resolve(workspace, inputs.dockerfile)
      : join(context, "Dockerfile");
    if (!insideWorkspace(context, workspace)) {
      problem(
        "context",
        `${inputs.context} is outside the workspace.`,
        "Give a directory inside the repository.",
      );
    } else if (!existsSync(context) || !statSync(context).isDirectory()) {
      problem(
        "context",
        `the directory ${inputs.context} does not exist.`,
        "Check out the repository first, and check the path.",
      );
    } else if (!existsSync(dockerfile) || !statSync(dockerfile).isFile()) {
      const shown = relative(workspace, dockerfile) || dockerfile;
      problem(
        inputs.dockerfile ? "dockerfile" : "context",
        `there is no Dockerfile at ${shown}.`,
        "Give `dockerfile`, or a `context` that holds a Dockerfile.",
      );
    }
    let cacheRepository: RepositoryRef | undefined;
    if (inputs.cacheRepository) {
      try {
        cacheRepository = parseRepositoryRef(inputs.cacheRepository);
      } catch (error) {
        problem(
          "cache-repository",
          `${(error as Error).message}.`,
          'Give a repository name such as "shop/web-cache".',
        );
      }
    }
    build = {
      context,
      dockerfile,
      target: inputs.target,
      buildArgs: inputs.buildArgs ?? {},
      secrets: Object.entries(inputs.secrets ?? {}).map(([id, value]) => ({ id, value })),
      platforms: inputs.platforms ?? [],
      network: inputs.network,
      labels: inputs.labels ?? {},
      cache: inputs.cache,
      cacheRepository,
      cacheTag: inputs.cacheTag,
      provenance: inputs.provenance,
      skipExisting: inputs.skipExisting,
      commitSha: commitSha ?? "",
    };
  }

  let scan: ScanGatePlan | undefined;
  const threshold = inputs.scanSeverityThreshold?.toUpperCase() as ThresholdSeverity | undefined;
  if (threshold) {
    const allowed: ScanPolicy["allowed"] = {};
    for (const [key, value] of Object.entries(inputs.scanAllowedFindings ?? {})) {
      if (!/^\d+$/.test(value)) {
        problem(
          "scan-allowed-findings",
          `${key}=${value} is not a whole number of findings.`,
          "Write severity=count, such as high=3.",
        );
        continue;
      }
      allowed[key.toUpperCase() as ThresholdSeverity] = Number(value);
    }
    scan = {
      policy: { threshold, allowed },
      ignore: inputs.scanIgnore ?? [],
      timeoutMs: inputs.scanTimeout,
      intervalMs: inputs.scanPollInterval,
    };
  } else {
    for (const name of ["scan-allowed-findings", "scan-ignore"] as const) {
      const given = name === "scan-ignore" ? inputs.scanIgnore : inputs.scanAllowedFindings;
      if (given !== undefined) {
        problem(
          name,
          "it has no effect without the scan gate.",
          "Set `scan-severity-threshold` too, or remove it.",
        );
      }
    }
  }

  if (problems.length > 0) throw problemsError(problems);
  return {
    mode: inputs.mode,
    repository,
    region,
    tags,
    commitTag: tags.find((t) => t.kind === "commit"),
    version,
    build,
    source,
    create: inputs.createRepository
      ? { mutability: inputs.tagMutability, scanOnPush: inputs.scanOnPush }
      : undefined,
    scan,
  };
}
