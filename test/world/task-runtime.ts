// The simulator's task runtime for the world: each RUNNING task of the service is one real process of
// the demo web service, started with the environment the container would have (the image's own ENV,
// then the task definition's), health-checked over HTTP like the load balancer would, its output
// written to the task's awslogs stream, its exit reported back as the container's. A one-off task
// (RunTask, e.g. a migration) runs its command as one real process the same way, until it exits.
// Every process gets the task definition's secrets in its environment, with the values the simulator
// read from Secrets Manager and SSM with the task's execution role as the task started.
import { type ChildProcess, spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { DEMO_SERVICE_SCRIPT } from "../fixtures/demo-service/launch";
import type { TaskEndpoint, TaskRuntime, TaskRuntimeControls, TaskRuntimeTask } from "./account";

/** The environment an image sets (its config's Env), by image reference and digest. */
export type ImageEnvironment = (image: string, digest: string | undefined) => Promise<Record<string, string>>;

/**
 * A local directory that stands for the image's file system (its root), given the image and the
 * environment it sets; undefined when the image's files are not known.
 */
export type ImageFiles = (
  image: string,
  digest: string | undefined,
  env: Record<string, string>,
) => Promise<string | undefined>;

/** A one-off task's process: what it ran and how it ended. */
export interface OneOffRun {
  taskArn: string;
  revision: string;
  /** The command as the task ran it (the image's paths). */
  command: string[];
  /** The names of the variables the task definition's secrets set (never their values). */
  secretNames: string[];
  pid: number;
  /** undefined while it runs. */
  exitCode: number | undefined;
}

interface RunningTask {
  task: TaskRuntimeTask;
  child: ChildProcess;
  endpoint?: TaskEndpoint;
  version: string;
  stopping: boolean;
  healthTimer: NodeJS.Timeout | undefined;
}

export interface TaskProcess {
  taskId: string;
  revision: string;
  version: string;
  pid: number;
}

export class DemoTaskRuntime implements TaskRuntime {
  readonly #running = new Map<string, RunningTask>();
  readonly #oneOffChildren = new Map<string, ChildProcess>();
  /** Every service task that got a process, for the timeline and the tests. */
  readonly started: TaskProcess[] = [];
  /** Every one-off task that got a process. */
  readonly oneOff: OneOffRun[] = [];
  readonly #imageEnvironment: ImageEnvironment;
  readonly #imageFiles: ImageFiles | undefined;
  readonly #node: string;

  constructor(options: {
    imageEnvironment: ImageEnvironment;
    imageFiles?: ImageFiles;
    node?: string;
  }) {
    this.#imageEnvironment = options.imageEnvironment;
    this.#imageFiles = options.imageFiles;
    this.#node = options.node ?? process.execPath;
    process.on("exit", this.#killAll);
  }

  /** Every process this runtime started that has not exited yet. */
  readonly #alive = new Set<ChildProcess>();

  /**
   * The last resort when this process ends without close() (killed, or a broken pipe): its task
   * processes end with it instead of serving on, orphaned. Synchronous, as an exit handler must be.
   */
  readonly #killAll = (): void => {
    for (const child of this.#alive) child.kill("SIGKILL");
  };

  #spawn(args: string[], options: { env: Record<string, string>; cwd?: string }): ChildProcess {
    const child = spawn(this.#node, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    this.#alive.add(child);
    child.once("exit", () => this.#alive.delete(child));
    return child;
  }

  /** The processes running now. */
  processes(): TaskProcess[] {
    return [...this.#running.values()]
      .filter((r) => !r.stopping)
      .map((r) => ({
        taskId: r.task.taskId,
        revision: `${r.task.family}:${r.task.revision}`,
        version: r.version,
        pid: r.child.pid ?? -1,
      }));
  }

  /**
   * Changes how the running processes of a version behave from now on (the demo service's control
   * endpoint: `failureRate`, `latencyMs`, ...); how many processes took the change.
   */
  async setBehaviour(version: string, patch: Record<string, unknown>): Promise<number> {
    const targets = [...this.#running.values()].filter(
      (r) => !r.stopping && r.version === version && r.endpoint,
    );
    const answers = await Promise.all(
      targets.map(async (r) => {
        const { host, port } = r.endpoint as TaskEndpoint;
        const response = await fetch(`http://${host}:${port}/__control`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(patch),
          signal: AbortSignal.timeout(5_000),
        }).catch(() => undefined);
        await response?.arrayBuffer();
        return response?.ok === true;
      }),
    );
    return answers.filter(Boolean).length;
  }

  async onTaskStarting(
    task: TaskRuntimeTask,
    controls: TaskRuntimeControls,
  ): Promise<TaskEndpoint | undefined> {
    if (task.serviceName === undefined) return this.#startOneOff(task, controls);
    const container =
      task.containers.find((c) => c.essential && c.portMappings.length > 0) ?? task.containers[0];
    if (!container) throw new Error("the task has no container");
    // Not answering yet: the load balancer's checks fail until the process serves /health.
    controls.setHealthy(false);
    const { env: containerEnv } = await this.#containerEnvironment(container);
    const env: Record<string, string> = { ...containerEnv, PORT: "0", HOST: "127.0.0.1" };
    const child = this.#spawn([DEMO_SERVICE_SCRIPT], { env });
    const running: RunningTask = {
      task,
      child,
      version: env.VERSION ?? "dev",
      stopping: false,
      healthTimer: undefined,
    };
    this.#running.set(task.taskArn, running);
    const stderr: string[] = [];
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", (line) => {
      stderr.push(line);
      controls.log(container.name, [line], Date.now());
    });
    const stdout = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const endpoint = await new Promise<TaskEndpoint>((resolve, reject) => {
      // A guard against a process that hangs, not a measure of speed: a busy machine may take long.
      const timer = setTimeout(() => reject(new Error("the service did not listen within 60 s")), 60_000);
      stdout.once("line", (line) => {
        clearTimeout(timer);
        try {
          const listening = JSON.parse(line) as { port: number };
          resolve({ host: "127.0.0.1", port: listening.port });
        } catch {
          reject(new Error(`unexpected first line: ${line}`));
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        // Let the last stderr lines reach the log first.
        setTimeout(() => reject(new Error(stderr.at(-1) ?? `exited with ${code}`)), 50);
      });
    });
    running.endpoint = endpoint;
    stdout.on("line", (line) => controls.log(container.name, [line], Date.now()));
    this.started.push({
      taskId: task.taskId,
      revision: `${task.family}:${task.revision}`,
      version: running.version,
      pid: child.pid ?? -1,
    });
    controls.log(
      container.name,
      [`listening on ${endpoint.host}:${endpoint.port} (version ${running.version})`],
      Date.now(),
    );
    child.once("exit", (code, signal) => {
      if (running.healthTimer) clearTimeout(running.healthTimer);
      this.#running.delete(task.taskArn);
      if (!running.stopping) controls.exit(code ?? 1, stderr.at(-1) ?? `exited (${signal ?? code})`);
    });
    // The load balancer's health check, on real responses: one at a time, the next a quarter second
    // after the last answer, with the ALB's default 5 s timeout, so a busy machine slows the checks
    // down instead of failing a healthy process.
    const check = async (): Promise<void> => {
      try {
        const response = await fetch(`http://${endpoint.host}:${endpoint.port}/health`, {
          signal: AbortSignal.timeout(5_000),
        });
        await response.arrayBuffer();
        if (!running.stopping) controls.setHealthy(response.ok);
      } catch {
        if (!running.stopping) controls.setHealthy(false);
      }
    };
    const next = (): void => {
      running.healthTimer = setTimeout(() => {
        void check().then(() => {
          if (!running.stopping && this.#running.get(task.taskArn) === running) next();
        });
      }, 250);
    };
    await check();
    next();
    return endpoint;
  }

  /** What the container's process sees, as the agent assembles it: image, task definition, secrets. */
  async #containerEnvironment(
    container: TaskRuntimeTask["containers"][number],
  ): Promise<{ env: Record<string, string>; imageEnv: Record<string, string> }> {
    const imageEnv = await this.#imageEnvironment(container.image, container.imageDigest);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      ...imageEnv,
      ...container.environment,
      // Fetched by the simulator with the execution role before the task started, as ECS does.
      ...container.secretValues,
    };
    return { env, imageEnv };
  }

  /**
   * A one-off task: its essential container's command (after overrides) as one process, in a
   * directory that stands for the image. The image's /app is the demo service fixture, so its scripts
   * run from there (where their dependencies resolve); other absolute paths point into the image.
   */
  async #startOneOff(task: TaskRuntimeTask, controls: TaskRuntimeControls): Promise<undefined> {
    const container = task.containers.find((c) => c.essential) ?? task.containers[0];
    if (!container) throw new Error("the task has no container");
    const { env, imageEnv } = await this.#containerEnvironment(container);
    const command = container.command ?? ["node", "/app/server.mjs"];
    const root = await this.#imageFiles?.(container.image, container.imageDigest, imageEnv);
    if (!root)
      throw new Error(`CannotPullContainerError: the files of ${container.image} are not known here`);
    const fixtures = dirname(DEMO_SERVICE_SCRIPT);
    const [program, ...args] = command.map((word) => {
      if (/^\/app\/[\w-]+\.mjs$/.test(word)) return join(fixtures, word.slice("/app/".length));
      return word.startsWith("/") ? join(root, word) : word;
    });
    if (program !== "node")
      throw new Error(`CannotStartContainerError: the demo runs node commands only, not ${command[0]}`);
    const child = this.#spawn(args, { env, cwd: root });
    const run: OneOffRun = {
      taskArn: task.taskArn,
      revision: `${task.family}:${task.revision}`,
      command,
      secretNames: Object.keys(container.secrets),
      pid: child.pid ?? -1,
      exitCode: undefined,
    };
    this.oneOff.push(run);
    this.#oneOffChildren.set(task.taskArn, child);
    const stderr: string[] = [];
    const streams = [
      createInterface({ input: child.stdout as NodeJS.ReadableStream }),
      createInterface({ input: child.stderr as NodeJS.ReadableStream }),
    ];
    streams[0]?.on("line", (line) => controls.log(container.name, [line]));
    streams[1]?.on("line", (line) => {
      stderr.push(line);
      controls.log(container.name, [line]);
    });
    // "close" comes after the output is read to its end: the last lines are in the log before the exit.
    child.once("close", (code, signal) => {
      run.exitCode = code ?? 1;
      // Stopped by ECS (StopTask, the simulator closing): the stop already decides how the task ends.
      if (this.#oneOffChildren.get(task.taskArn) !== child) return;
      this.#oneOffChildren.delete(task.taskArn);
      controls.exit(run.exitCode, stderr.at(-1) ?? `exited (${signal ?? code})`);
    });
    return undefined;
  }

  onTaskStopping(task: TaskRuntimeTask): void {
    const oneOff = this.#oneOffChildren.get(task.taskArn);
    if (oneOff) {
      this.#oneOffChildren.delete(task.taskArn);
      void stopChild(oneOff);
      return;
    }
    const running = this.#running.get(task.taskArn);
    if (!running) return;
    running.stopping = true;
    if (running.healthTimer) clearTimeout(running.healthTimer);
    stopChild(running.child);
  }

  async close(): Promise<void> {
    for (const r of this.#running.values()) {
      r.stopping = true;
      if (r.healthTimer) clearTimeout(r.healthTimer);
    }
    this.#running.clear();
    this.#oneOffChildren.clear();
    // Every process still alive, those already told to stop included.
    await Promise.all([...this.#alive].map(stopChild));
    process.off("exit", this.#killAll);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}
