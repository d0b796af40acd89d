// A real Docker engine for tests: Debian's dockerd started on a unix socket in a temp dir, with its
// own data root, exec root and pid file, and no host networking changes (no bridge, no iptables, no
// IP forwarding). Builds use `--network host`. It never touches a daemon it did not start, and it
// is stopped by PID.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hasCommand } from "../availability";

/** Debian's docker.io client: its `docker build` has BuildKit built in (DOCKER_BUILDKIT=1) without buildx. */
export const DEBIAN_DOCKER_CLIENT = "/usr/bin/docker";
const BUSYBOX = "/bin/busybox";

export function dockerAvailable(): boolean {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return root && hasCommand("dockerd") && existsSync(DEBIAN_DOCKER_CLIENT);
}

export const DOCKER_INSTALL_HINT = "apt-get install -y docker.io busybox-static (dockerd needs root)";

/** The major version of a docker client binary. */
export function clientMajorVersion(client: string): number {
  const out = spawnSync(client, ["version", "--format", "{{.Client.Version}}"], { encoding: "utf8" });
  return Number((out.stdout ?? "").trim().split(".")[0]);
}

/**
 * Docker clients on this machine other than Debian's, whose `docker build` without buildx can only use
 * the legacy builder (clients from 23 on dropped the built-in BuildKit path). Used to test the fallback.
 */
export function modernClientsWithoutBuildx(): string[] {
  const found: string[] = [];
  for (const candidate of ["/usr/local/bin/docker"]) {
    if (!existsSync(candidate) || clientMajorVersion(candidate) < 23) continue;
    const buildx = spawnSync(candidate, ["buildx", "version"], { encoding: "utf8" });
    if (buildx.status !== 0) found.push(candidate);
  }
  return found;
}

export interface DockerEngine {
  /** unix:///.../docker.sock */
  readonly host: string;
  readonly dir: string;
  readonly pid: number;
  /**
   * The environment a process needs to use this engine with the given client: DOCKER_HOST, a PATH
   * whose first `docker` is that client, and a private DOCKER_CONFIG (logins never reach ~/.docker).
   */
  env(client?: string): Record<string, string>;
  /** Runs a docker command against this engine with Debian's client; throws on failure. */
  docker(args: string[], options?: { cwd?: string; input?: string }): string;
  /** A base image with a static busybox (sh, test, cat, ...), imported locally: no Docker Hub needed. */
  importBusyboxBase(tag: string): string;
  stop(): Promise<void>;
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts dockerd in a temp dir and waits until it answers. */
export async function startDockerEngine(options: { startTimeoutMs?: number } = {}): Promise<DockerEngine> {
  // Short path: a unix socket path must stay under ~108 bytes.
  const dir = mkdtempSync(join(tmpdir(), "sl-dockerd-"));
  const socket = join(dir, "docker.sock");
  const host = `unix://${socket}`;
  const logFile = join(dir, "dockerd.log");
  const configDir = join(dir, "client-config");
  mkdirSync(configDir, { recursive: true });
  const log = openSync(logFile, "a");
  const child = spawn(
    "dockerd",
    [
      "--iptables=false",
      "--ip-forward=false",
      "--bridge=none",
      `--data-root=${join(dir, "data")}`,
      `--exec-root=${join(dir, "exec")}`,
      `--pidfile=${join(dir, "dockerd.pid")}`,
      "-H",
      host,
    ],
    { stdio: ["ignore", log, log] },
  );
  closeSync(log);
  const pid = child.pid;
  if (pid === undefined) throw new Error("could not start dockerd");
  // A test process that dies without stopping the engine must not leave it running.
  const onExit = (): void => {
    if (alive(pid)) process.kill(pid, "SIGTERM");
  };
  process.once("exit", onExit);

  const baseEnv = (client = DEBIAN_DOCKER_CLIENT): Record<string, string> => {
    const binDir = join(dir, `bin-${client.replace(/[^a-z0-9]/gi, "_")}`);
    if (!existsSync(binDir)) {
      mkdirSync(binDir, { recursive: true });
      symlinkSync(client, join(binDir, "docker"));
    }
    return {
      DOCKER_HOST: host,
      DOCKER_CONFIG: configDir,
      PATH: `${binDir}:${process.env.PATH ?? "/usr/bin:/bin"}`,
    };
  };
  const docker = (args: string[], opts: { cwd?: string; input?: string } = {}): string =>
    execFileSync(DEBIAN_DOCKER_CLIENT, args, {
      cwd: opts.cwd,
      input: opts.input,
      encoding: "utf8",
      env: { ...process.env, ...baseEnv(), DOCKER_BUILDKIT: "1" },
      stdio: ["pipe", "pipe", "pipe"],
    });

  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(
        `dockerd exited with ${child.exitCode}:\n${readFileSync(logFile, "utf8").slice(-3000)}`,
      );
    }
    const probe = spawnSync(DEBIAN_DOCKER_CLIENT, ["version", "--format", "{{.Server.Version}}"], {
      env: { ...process.env, DOCKER_HOST: host },
      encoding: "utf8",
    });
    if (probe.status === 0) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`dockerd did not answer in time:\n${readFileSync(logFile, "utf8").slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  return {
    host,
    dir,
    pid,
    env: baseEnv,
    docker,
    importBusyboxBase(tag) {
      if (!existsSync(BUSYBOX)) throw new Error(`${BUSYBOX} is missing: apt-get install -y busybox-static`);
      const rootfs = mkdtempSync(join(dir, "rootfs-"));
      mkdirSync(join(rootfs, "bin"));
      mkdirSync(join(rootfs, "tmp"));
      chmodSync(join(rootfs, "tmp"), 0o1777);
      copyFileSync(BUSYBOX, join(rootfs, "bin", "busybox"));
      chmodSync(join(rootfs, "bin", "busybox"), 0o755);
      for (const tool of ["sh", "cat", "test", "echo", "ls", "wc", "grep", "true", "false"]) {
        symlinkSync("busybox", join(rootfs, "bin", tool));
      }
      const tar = execFileSync("tar", ["-C", rootfs, "-c", "."], { maxBuffer: 64 * 1024 * 1024 });
      execFileSync(DEBIAN_DOCKER_CLIENT, ["import", "-", tag], {
        input: tar,
        env: { ...process.env, DOCKER_HOST: host },
        stdio: ["pipe", "pipe", "pipe"],
      });
      rmSync(rootfs, { recursive: true, force: true });
      return tag;
    },
    async stop() {
      process.off("exit", onExit);
      const containerdPidFile = join(dir, "exec", "containerd", "containerd.pid");
      const containerdPid = existsSync(containerdPidFile)
        ? Number(readFileSync(containerdPidFile, "utf8").trim())
        : undefined;
      if (alive(pid)) {
        process.kill(pid, "SIGTERM");
        if (!(await waitForExit(child, 20_000))) {
          process.kill(pid, "SIGKILL");
          await waitForExit(child, 5_000);
        }
      }
      // dockerd stops the containerd it started; a killed dockerd may leave it behind.
      if (containerdPid && alive(containerdPid)) process.kill(containerdPid, "SIGTERM");
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch (error) {
        console.warn(`could not remove ${dir}: ${String(error)}`);
      }
    },
  };
}
