// Building and pushing one image with whichever builder the runner has: `docker buildx build --push`
// (platforms, registry cache, provenance), or `docker build` (BuildKit or legacy) then `docker push`.
// The digest comes from what the registry acknowledged, never from the local image.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BuilderInfo, BuilderKind } from "./builder";
import type { DockerCli } from "./cli";
import { DockerCommandError } from "./cli";

export interface BuildSpec {
  /** Absolute path of the build context. */
  context: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** The one reference pushed: <repository-uri>:<commit tag>. */
  image: string;
  labels: Readonly<Record<string, string>>;
  buildArgs: Readonly<Record<string, string>>;
  /** Build secrets, each in a file only the build reads. */
  secretFiles: readonly { id: string; path: string }[];
  target?: string | undefined;
  platforms: readonly string[];
  network?: string | undefined;
  /** Registry cache references (buildx only); `to` is left out when the cache cannot be written. */
  cache?: { from: string; to?: string | undefined } | undefined;
  provenance: boolean;
}

/** Where an image comes from, for its OCI labels. */
export interface ImageOrigin {
  created: Date;
  /** The commit SHA built. */
  revision: string;
  /** https://github.com/owner/repo, when known. */
  source?: string | undefined;
  version?: string | undefined;
}

/** The OCI labels every image gets, then the caller's (which win). */
export function ociLabels(
  origin: ImageOrigin,
  labels: Readonly<Record<string, string>>,
): Record<string, string> {
  const oci: Record<string, string> = {
    "org.opencontainers.image.created": origin.created.toISOString(),
    "org.opencontainers.image.revision": origin.revision,
  };
  if (origin.source) oci["org.opencontainers.image.source"] = origin.source;
  if (origin.version) oci["org.opencontainers.image.version"] = origin.version;
  return { ...oci, ...labels };
}

export interface BuildProblem {
  input: string;
  message: string;
  fix: string;
}

const BUILDX_FIX = "Add docker/setup-buildx-action before this step.";

/** What the builder cannot do of what the spec asks; checked before anything is built or pushed. */
export function buildProblems(spec: BuildSpec, kind: BuilderKind): BuildProblem[] {
  if (kind === "buildx") return [];
  const problems: BuildProblem[] = [];
  if (spec.platforms.length > 1) {
    problems.push({
      input: "platforms",
      message: `building for ${spec.platforms.length} platforms needs docker buildx, which this runner lacks.`,
      fix: BUILDX_FIX,
    });
  }
  if (spec.provenance) {
    problems.push({
      input: "provenance",
      message: "provenance attestations need docker buildx.",
      fix: BUILDX_FIX,
    });
  }
  if (kind === "legacy" && spec.secretFiles.length > 0) {
    problems.push({
      input: "secrets",
      message: "build secrets need BuildKit, and this docker has neither buildx nor a built-in BuildKit.",
      fix: BUILDX_FIX,
    });
  }
  return problems;
}

export interface BuildCommand {
  args: string[];
  env: Record<string, string>;
}

/** The docker command line of the build (and, with buildx, the push). */
export function buildCommand(
  spec: BuildSpec,
  kind: BuilderKind,
  files: { metadataFile: string; iidFile: string },
): BuildCommand {
  const args = kind === "buildx" ? ["buildx", "build"] : ["build"];
  args.push("--file", spec.dockerfile, "--tag", spec.image);
  if (kind !== "legacy") args.push("--progress", "plain");
  for (const [key, value] of Object.entries(spec.labels)) args.push("--label", `${key}=${value}`);
  for (const [key, value] of Object.entries(spec.buildArgs)) args.push("--build-arg", `${key}=${value}`);
  for (const secret of spec.secretFiles) args.push("--secret", `id=${secret.id},src=${secret.path}`);
  if (spec.target) args.push("--target", spec.target);
  if (spec.network) args.push("--network", spec.network);
  if (spec.platforms.length > 0) args.push("--platform", spec.platforms.join(","));
  if (kind === "buildx") {
    args.push(`--provenance=${spec.provenance ? "mode=min" : "false"}`);
    if (spec.cache) {
      args.push("--cache-from", `type=registry,ref=${spec.cache.from}`);
      if (spec.cache.to) {
        // ECR stores a cache only as an image manifest with OCI media types.
        args.push(
          "--cache-to",
          `type=registry,ref=${spec.cache.to},mode=max,image-manifest=true,oci-mediatypes=true`,
        );
      }
    }
    args.push("--metadata-file", files.metadataFile, "--push");
  } else {
    args.push("--iidfile", files.iidFile);
  }
  args.push(spec.context);
  // Set both ways: a DOCKER_BUILDKIT=1 left in the job's environment breaks clients without buildx.
  const env: Record<string, string> = kind === "legacy" ? { DOCKER_BUILDKIT: "0" } : { DOCKER_BUILDKIT: "1" };
  return { args, env };
}

/** The digest `docker push` reports for the tag: "<tag>: digest: sha256:... size: 528". */
export function parsePushDigest(output: string, tag: string): string | undefined {
  const escaped = tag.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const exact = new RegExp(`^${escaped}: digest: (sha256:[a-f0-9]{64})`, "m").exec(output);
  return exact?.[1] ?? /digest: (sha256:[a-f0-9]{64})/.exec(output)?.[1];
}

export interface BuildResult {
  /** The manifest digest the registry acknowledged. */
  digest: string;
}

export class BuildFailedError extends Error {
  constructor(
    readonly step: "build" | "push",
    readonly failure: DockerCommandError,
  ) {
    super(failure.message);
    this.name = "BuildFailedError";
  }
}

/** Builds and pushes `spec.image`; returns the pushed manifest digest. */
export async function buildAndPush(
  docker: DockerCli,
  spec: BuildSpec,
  builder: BuilderInfo,
  workDir: string,
): Promise<BuildResult> {
  const files = { metadataFile: join(workDir, "build-metadata.json"), iidFile: join(workDir, "image-id") };
  const command = buildCommand(spec, builder.kind, files);
  const built = await docker.run(command.args, { env: command.env });
  if (built.exitCode !== 0) throw new BuildFailedError("build", new DockerCommandError(command.args, built));

  if (builder.kind === "buildx") {
    const metadata = JSON.parse(readFileSync(files.metadataFile, "utf8")) as Record<string, unknown>;
    const digest = metadata["containerimage.digest"];
    if (typeof digest !== "string")
      throw new Error(`buildx wrote no containerimage.digest in ${files.metadataFile}`);
    return { digest };
  }
  const pushed = await docker.run(["push", spec.image]);
  if (pushed.exitCode !== 0)
    throw new BuildFailedError("push", new DockerCommandError(["push", spec.image], pushed));
  const tag = spec.image.slice(spec.image.lastIndexOf(":") + 1);
  const digest = parsePushDigest(pushed.stdout, tag);
  if (!digest) throw new Error(`docker push printed no digest for ${spec.image}`);
  return { digest };
}
