// Which builder the runner's docker offers: buildx when installed; else `docker build` with BuildKit
// when the client still has it built in (before Docker 23); else the legacy builder.
import { UserError } from "../runtime/errors";
import type { DockerCli } from "./cli";

export type BuilderKind = "buildx" | "buildkit" | "legacy";

export interface BuilderInfo {
  kind: BuilderKind;
  clientVersion: string;
  serverVersion: string;
  buildxVersion: string | undefined;
  /** One line for the log and the summary. */
  description: string;
}

/** Client versions from 23 on run BuildKit only through buildx; older ones have it built in. */
export function clientHasBuiltInBuildKit(clientVersion: string): boolean {
  const major = Number(clientVersion.split(".")[0]);
  return Number.isFinite(major) && major > 0 && major < 23;
}

export function chooseBuilder(clientVersion: string, buildxVersion: string | undefined): BuilderKind {
  if (buildxVersion) return "buildx";
  return clientHasBuiltInBuildKit(clientVersion) ? "buildkit" : "legacy";
}

/** Asks docker what it can do; fails with a UserError when no engine answers. */
export async function detectBuilder(docker: DockerCli): Promise<BuilderInfo> {
  const version = await docker.run(["version", "--format", "{{.Client.Version}}|{{.Server.Version}}"], {
    echo: false,
  });
  const [clientVersion = "", serverVersion = ""] = version.stdout.trim().split("|");
  if (version.exitCode !== 0 || serverVersion === "") {
    const detail = (version.stderr.trim() || version.stdout.trim()).split("\n").slice(-2).join(" ");
    throw new UserError(`No Docker engine answers (${detail || `docker exited with ${version.exitCode}`}).`, {
      fix: "Run on a runner with Docker (ubuntu-latest has it), or point DOCKER_HOST at a running engine.",
    });
  }
  const buildx = await docker.run(["buildx", "version"], { echo: false });
  const buildxVersion = buildx.exitCode === 0 ? buildx.stdout.trim().split(/\s+/)[1] : undefined;
  const kind = chooseBuilder(clientVersion, buildxVersion);
  const description =
    kind === "buildx"
      ? `docker buildx ${buildxVersion ?? ""} (client ${clientVersion}, engine ${serverVersion})`
      : kind === "buildkit"
        ? `docker build with BuildKit (client ${clientVersion} has no buildx; engine ${serverVersion})`
        : `docker build with the legacy builder (client ${clientVersion} has no buildx and no built-in BuildKit; engine ${serverVersion})`;
  return { kind, clientVersion, serverVersion, buildxVersion, description };
}
