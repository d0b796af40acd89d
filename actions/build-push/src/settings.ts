// The inputs of build-push and the workflow's environment made into checked settings, before any call
// to AWS or Docker: every problem is reported at once, each naming its input and the fix.
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import {
  branchOfRun,
  computeTags,
  type ImageTag,
  TAG_PATTERN,
  TagError,
  tagOfRef,
} from "@shipline/core/docker/tags";
import { DIGEST_PATTERN, type ImageId } from "@shipline/core/ecr/images";
import {
  parseRepositoryRef,
  type RepositoryRef,
  type RepositorySettings,
} from "@shipline/core/ecr/repository";
import type { ScanGate, ScanPolicy, ThresholdSeverity } from "@shipline/core/ecr/scan";
import { UserError } from "@shipline/core/runtime/errors";
import type { Inputs } from "./inputs";

export interface BuildSettings {
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

export interface Settings {
  mode: "build" | "promote";
  repository: RepositoryRef;
  /** The region the registry is in, when the inputs say (input or repository URI). */
  region: string | undefined;
  /** Every tag the image should end up with; in build mode the commit tag comes first. */
  tags: ImageTag[];
  /** Build mode: the tag the image is pushed under and found by on a re-run. */
  commitTag: ImageTag | undefined;
  version: string | undefined;
  build: BuildSettings | undefined;
  /** Promote mode: the image to tag. */
  source: ImageId | undefined;
  /** Promote mode: registry-host/name, when `source` is an image reference that says. */
  sourceUri: string | undefined;
  /** Settings for a repository this run may create. */
  create: RepositorySettings | undefined;
  scan: ScanGate | undefined;
}

/** The problems found so far; each check adds to it, and all of them are reported together. */
class Problems {
  readonly list: { input: string; message: string; fix: string }[] = [];

  add(input: string, message: string, fix: string): void {
    this.list.push({ input, message, fix });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }

  error(): UserError {
    const [first, ...rest] = this.list;
    if (!first) throw new Error("no problem to report");
    if (rest.length === 0) {
      return new UserError(`Input \`${first.input}\`: ${first.message}`, {
        input: first.input,
        fix: first.fix,
      });
    }
    const lines = this.list.map((p) => `- \`${p.input}\`: ${p.message} ${p.fix}`);
    return new UserError(`${this.list.length} inputs are invalid:\n${lines.join("\n")}`, {
      input: first.input,
      fix: "Correct the inputs listed above.",
    });
  }
}

/** The image promote mode tags, as the `source` input names it. */
export interface SourceImage {
  id: ImageId;
  /** registry-host/name, when the source is an image reference that names its registry. */
  uri: string | undefined;
  /** Account and region, when that registry is ECR's. */
  registry: RepositoryRef | undefined;
}

const DIGEST_HINT = "a digest is sha256: and 64 lower-case hex digits";

function checkDigest(digest: string): ImageId {
  if (!DIGEST_PATTERN.test(digest)) throw new Error(`"${digest}" is not a digest (${DIGEST_HINT})`);
  return { digest };
}

function checkTag(tag: string): ImageId {
  if (!TAG_PATTERN.test(tag)) {
    throw new Error(
      `"${tag}" is not a valid tag (1 to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-')`,
    );
  }
  return { tag };
}

/** The registry host in front of the repository name, by Docker's rule: it has a "." or ":", or is localhost. */
function registryHost(name: string, repository: RepositoryRef): string | undefined {
  if (name === repository.name) return undefined;
  const host = name.slice(0, -(repository.name.length + 1));
  if (!name.endsWith(`/${repository.name}`) || !(/[.:]/.test(host) || host === "localhost")) {
    throw new Error(`"${name}" is another repository than ${repository.name}`);
  }
  return host;
}

/**
 * Reads `source`: a tag, a digest, or an image reference (`<uri>@sha256:...`, `<uri>:<tag>`) that must
 * name the same repository. Each part is checked against the grammar ECR enforces, so a malformed id
 * never reaches BatchGetImage. Throws an Error saying what is wrong.
 */
export function parseSource(value: string, repository: RepositoryRef): SourceImage {
  const at = value.indexOf("@");
  const slash = value.lastIndexOf("/", at >= 0 ? at : value.length);
  if (slash < 0) {
    // No repository part: a bare digest ("sha256:...", or another algorithm's) or a tag.
    if (at >= 0) throw new Error(`"${value}" names no repository before the "@"`);
    return {
      id: /^[a-z0-9]+:/i.test(value) ? checkDigest(value) : checkTag(value),
      uri: undefined,
      registry: undefined,
    };
  }
  let name: string;
  let id: ImageId;
  if (at >= 0) {
    // name[:tag]@digest: the digest pins the image, a tag beside it says nothing more.
    const colon = value.lastIndexOf(":", at);
    name = value.slice(0, colon > slash ? colon : at);
    id = checkDigest(value.slice(at + 1));
  } else {
    const colon = value.lastIndexOf(":");
    if (colon < slash) throw new Error(`"${value}" names no tag or digest`);
    name = value.slice(0, colon);
    id = checkTag(value.slice(colon + 1));
  }
  const host = registryHost(name, repository);
  let registry: RepositoryRef | undefined;
  if (host?.includes(".dkr.ecr")) registry = parseRepositoryRef(name);
  return { id, uri: host ? name : undefined, registry };
}

/** The repository, with the account and region that `registry-id`, `aws-region` or its URI give. */
function registryOf(
  inputs: Inputs,
  problems: Problems,
): { repository: RepositoryRef; region: string | undefined } {
  let repository: RepositoryRef = { name: inputs.repository };
  try {
    repository = parseRepositoryRef(inputs.repository);
  } catch (error) {
    problems.add("repository", `${(error as Error).message}.`, 'Give a repository name such as "shop/web".');
  }
  if (inputs.registryId) {
    if (repository.registryId && repository.registryId !== inputs.registryId) {
      problems.add(
        "registry-id",
        `it says ${inputs.registryId} but the repository URI is in ${repository.registryId}.`,
        "Give one of them, or make them agree.",
      );
    }
    repository = { ...repository, registryId: inputs.registryId };
  }
  if (inputs.awsRegion && repository.region && inputs.awsRegion !== repository.region) {
    problems.add(
      "aws-region",
      `it says ${inputs.awsRegion} but the repository URI is in ${repository.region}.`,
      "Drop `aws-region`, or make it agree with the URI.",
    );
  }
  return { repository, region: inputs.awsRegion ?? repository.region };
}

function tagsOf(
  inputs: Inputs,
  env: NodeJS.ProcessEnv,
  version: string | undefined,
  problems: Problems,
): ImageTag[] {
  const promote = inputs.mode === "promote";
  try {
    return computeTags({
      commitSha: inputs.commit ?? env.GITHUB_SHA,
      commitTag: promote ? "none" : inputs.commitTag,
      branch: !promote && inputs.branchTag ? branchOfRun(env.GITHUB_REF, env.GITHUB_HEAD_REF) : undefined,
      environment: inputs.environment,
      version,
      semverTags: inputs.semverTags,
      extraTags: inputs.tags ?? [],
    });
  } catch (error) {
    if (!(error instanceof TagError)) throw error;
    problems.add(error.input, error.message, error.fix);
    return [];
  }
}

/** A source in an ECR registry must be in the account and region the repository is in. */
function checkSourceRegistry(
  source: SourceImage,
  repository: RepositoryRef,
  region: string | undefined,
  problems: Problems,
): void {
  const registry = source.registry;
  if (!registry) return;
  if (repository.registryId && registry.registryId !== repository.registryId) {
    problems.add(
      "source",
      `it is in account ${registry.registryId}, but the repository is in ${repository.registryId}.`,
      "Promote within one repository: give the source from the same registry, or only its tag or digest.",
    );
  }
  if (region && registry.region !== region) {
    problems.add(
      "source",
      `it is in ${registry.region}, but the repository is in ${region}.`,
      "Promote within one repository: give the source from the same region, or only its tag or digest.",
    );
  }
}

/** Promote mode: the image to add tags to, and something to add. */
function sourceOf(
  inputs: Inputs,
  repository: RepositoryRef,
  region: string | undefined,
  tags: readonly ImageTag[],
  problems: Problems,
): SourceImage | undefined {
  let source: SourceImage | undefined;
  if (!inputs.source) {
    problems.add(
      "source",
      "promote mode needs the image to promote.",
      "Give `source`: a tag, a digest, or build-push's `image` output.",
    );
  } else {
    try {
      source = parseSource(inputs.source, repository);
      checkSourceRegistry(source, repository, region, problems);
    } catch (error) {
      problems.add(
        "source",
        `${(error as Error).message}.`,
        "Give a tag, a sha256 digest, or `<repository-uri>@sha256:...`.",
      );
    }
  }
  if (tags.length === 0 && problems.empty) {
    problems.add(
      "tags",
      "promote mode has no tag to add.",
      "Run on a version tag, or give `version`, `environment` or `tags`.",
    );
  }
  return source;
}

function insideWorkspace(path: string, workspace: string): boolean {
  const rel = relative(workspace, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** The build context is a directory inside the workspace, and the Dockerfile a file. */
function checkContext(
  inputs: Inputs,
  context: string,
  dockerfile: string,
  workspace: string,
  problems: Problems,
): void {
  if (!insideWorkspace(context, workspace)) {
    problems.add(
      "context",
      `${inputs.context} is outside the workspace.`,
      "Give a directory inside the repository.",
    );
  } else if (!existsSync(context) || !statSync(context).isDirectory()) {
    problems.add(
      "context",
      `the directory ${inputs.context} does not exist.`,
      "Check out the repository first, and check the path.",
    );
  } else if (!existsSync(dockerfile) || !statSync(dockerfile).isFile()) {
    const shown = relative(workspace, dockerfile) || dockerfile;
    problems.add(
      inputs.dockerfile ? "dockerfile" : "context",
      `there is no Dockerfile at ${shown}.`,
      "Give `dockerfile`, or a `context` that holds a Dockerfile.",
    );
  }
}

function cacheRepositoryOf(inputs: Inputs, problems: Problems): RepositoryRef | undefined {
  if (!inputs.cacheRepository) return undefined;
  try {
    return parseRepositoryRef(inputs.cacheRepository);
  } catch (error) {
    problems.add(
      "cache-repository",
      `${(error as Error).message}.`,
      'Give a repository name such as "shop/web-cache".',
    );
    return undefined;
  }
}

/** Build mode: what to build, from where, with what. */
function buildOf(
  inputs: Inputs,
  env: NodeJS.ProcessEnv,
  workspace: string,
  problems: Problems,
): BuildSettings {
  if (inputs.source) {
    problems.add("source", "it is only used in promote mode.", "Remove `source`, or set `mode: promote`.");
  }
  const context = resolve(workspace, inputs.context);
  const dockerfile = inputs.dockerfile ? resolve(workspace, inputs.dockerfile) : join(context, "Dockerfile");
  checkContext(inputs, context, dockerfile, workspace, problems);
  return {
    context,
    dockerfile,
    target: inputs.target,
    buildArgs: inputs.buildArgs ?? {},
    secrets: Object.entries(inputs.secrets ?? {}).map(([id, value]) => ({ id, value })),
    platforms: inputs.platforms ?? [],
    network: inputs.network,
    labels: inputs.labels ?? {},
    cache: inputs.cache,
    cacheRepository: cacheRepositoryOf(inputs, problems),
    cacheTag: inputs.cacheTag,
    provenance: inputs.provenance,
    skipExisting: inputs.skipExisting,
    commitSha: inputs.commit ?? env.GITHUB_SHA ?? "",
  };
}

function allowedFindings(inputs: Inputs, problems: Problems): ScanPolicy["allowed"] {
  const allowed: ScanPolicy["allowed"] = {};
  for (const [key, value] of Object.entries(inputs.scanAllowedFindings ?? {})) {
    if (!/^\d+$/.test(value)) {
      problems.add(
        "scan-allowed-findings",
        `${key}=${value} is not a whole number of findings.`,
        "Write severity=count, such as high=3.",
      );
      continue;
    }
    allowed[key.toUpperCase() as ThresholdSeverity] = Number(value);
  }
  return allowed;
}

/** The scan gate, when a threshold is set; its other inputs are refused without one. */
function scanGateOf(inputs: Inputs, problems: Problems): ScanGate | undefined {
  const threshold = inputs.scanSeverityThreshold?.toUpperCase() as ThresholdSeverity | undefined;
  if (threshold) {
    return {
      policy: { threshold, allowed: allowedFindings(inputs, problems) },
      ignore: inputs.scanIgnore ?? [],
      timeoutMs: inputs.scanTimeout,
      intervalMs: inputs.scanPollInterval,
    };
  }
  for (const name of ["scan-allowed-findings", "scan-ignore"] as const) {
    const given = name === "scan-ignore" ? inputs.scanIgnore : inputs.scanAllowedFindings;
    if (given !== undefined) {
      problems.add(
        name,
        "it has no effect without the scan gate.",
        "Set `scan-severity-threshold` too, or remove it.",
      );
    }
  }
  return undefined;
}

export function settingsFromInputs(inputs: Inputs, env: NodeJS.ProcessEnv, workspace: string): Settings {
  const problems = new Problems();
  const located = registryOf(inputs, problems);
  const version = inputs.version ?? tagOfRef(env.GITHUB_REF);
  const tags = tagsOf(inputs, env, version, problems);
  const promote = inputs.mode === "promote";
  const source = promote ? sourceOf(inputs, located.repository, located.region, tags, problems) : undefined;
  const build = promote ? undefined : buildOf(inputs, env, workspace, problems);
  const scan = scanGateOf(inputs, problems);
  if (!problems.empty) throw problems.error();
  // A source in an ECR registry says which account and region to promote in, when nothing else did.
  const repository: RepositoryRef = {
    ...located.repository,
    registryId: located.repository.registryId ?? source?.registry?.registryId,
  };
  return {
    mode: inputs.mode,
    repository,
    region: located.region ?? source?.registry?.region,
    tags,
    commitTag: tags.find((t) => t.kind === "commit"),
    version,
    build,
    source: source?.id,
    sourceUri: source?.uri,
    create: inputs.createRepository
      ? { mutability: inputs.tagMutability, scanOnPush: inputs.scanOnPush }
      : undefined,
    scan,
  };
}
