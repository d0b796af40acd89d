// The real services build-push runs against in its tests: a Docker engine, a registry with htpasswd
// auth, and the simulator's ECR in front of that registry, plus a workspace holding the fixture images.
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { available } from "../../rig/availability";
import { type ActionRun, ROOT, runAction } from "../../rig/harness";
import {
  DEBIAN_DOCKER_CLIENT,
  DOCKER_INSTALL_HINT,
  type DockerEngine,
  dockerAvailable,
  startDockerEngine,
} from "../../rig/services/docker";
import {
  type LocalRegistry,
  REGISTRY_INSTALL_HINT,
  registryAvailable,
  skopeoAvailable,
  startRegistry,
} from "../../rig/services/registry";
import { type EcrScenario, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";

export const BUSYBOX_BASE = "shipline-test/busybox:1";

/** Whether the stack can run here; in CI a missing service fails instead. */
export function stackAvailable(): boolean {
  if (dockerAvailable() && registryAvailable() && skopeoAvailable()) return true;
  return available("Docker engine and registry", false, `${DOCKER_INSTALL_HINT}; ${REGISTRY_INSTALL_HINT}`);
}

export interface Stack {
  engine: DockerEngine;
  registry: LocalRegistry;
  sim: Simulator;
  workspace: string;
  /** Loads a fresh ECR state in front of the same registry (repositories, scan rules). */
  reset(ecr?: Omit<EcrScenario, "registry">, clockFactor?: number): void;
  stop(): Promise<void>;
}

export async function startStack(options: { busybox?: boolean } = {}): Promise<Stack> {
  const [engine, registry] = await Promise.all([startDockerEngine(), startRegistry()]);
  const sim = await startSimulator();
  const workspace = mkdtempSync(join(tmpdir(), "sl-build-push-ws-"));
  cpSync(join(ROOT, "test", "fixtures", "images"), workspace, { recursive: true });
  if (options.busybox) engine.importBusyboxBase(BUSYBOX_BASE);
  const stack: Stack = {
    engine,
    registry,
    sim,
    workspace,
    reset(ecr = {}, clockFactor = 60) {
      sim.load({
        clock: { mode: "scaled", factor: clockFactor },
        ecr: {
          ...ecr,
          registry: { url: registry.url, username: registry.username, password: registry.password },
        },
      });
    },
    async stop() {
      await sim.stop();
      await Promise.all([engine.stop(), registry.stop()]);
      rmSync(workspace, { recursive: true, force: true });
    },
  };
  stack.reset();
  return stack;
}

export const SHA_A = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
export const SHA_B = "b2c3d4e5f60718293a4b5c6d7e8f901234567890";

export interface BuildPushRun extends ActionRun {
  /** The simulator calls this run made. */
  calls: Simulator["calls"];
}

/** Runs the committed bundle against the stack, the way the runner would. */
export async function runBuildPush(
  stack: Stack,
  inputs: Record<string, string | undefined>,
  options: {
    sha?: string;
    ref?: string;
    client?: string;
    post?: { state: Record<string, string> };
    env?: Record<string, string>;
    /** Cancel the run (SIGINT, as the runner does) when a log line matches. */
    cancelWhen?: RegExp;
  } = {},
): Promise<BuildPushRun> {
  const before = stack.sim.calls.length;
  const ref = options.ref ?? "refs/heads/main";
  const run = await runAction("build-push", {
    inputs,
    workspace: stack.workspace,
    timeoutMs: 120_000,
    ...(options.post ? { post: options.post } : {}),
    ...(options.cancelWhen ? { cancelWhen: options.cancelWhen } : {}),
    env: {
      ...stack.engine.env(options.client ?? DEBIAN_DOCKER_CLIENT),
      ...simulatorEnv(stack.sim),
      GITHUB_SHA: options.sha ?? SHA_A,
      GITHUB_REF: ref,
      GITHUB_REF_NAME: ref.replace(/^refs\/(heads|tags)\//, ""),
      ...options.env,
    },
  });
  return { ...run, calls: stack.sim.calls.slice(before) };
}

/** The docker client config the runs share (DOCKER_CONFIG of the engine's environment). */
export function dockerConfig(stack: Stack): { auths?: Record<string, unknown> } {
  const path = join(stack.engine.env().DOCKER_CONFIG as string, "config.json");
  try {
    return JSON.parse(readFileSync(path, "utf8")) as { auths?: Record<string, unknown> };
  } catch {
    return {};
  }
}

export const MUTATING_ECR_CALLS = ["CreateRepository", "PutImage", "GetAuthorizationToken", "StartImageScan"];
