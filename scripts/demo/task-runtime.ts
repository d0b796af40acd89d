// The simulator's task runtime for the demo: each RUNNING task of the service is one real process of
// the demo web service, started with the environment the container would have (the image's own ENV,
// then the task definition's), health-checked over HTTP like the load balancer would, its output
// written to the task's awslogs stream, its exit reported back as the container's.
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { DEMO_SERVICE_SCRIPT } from "../../test/fixtures/demo-service/launch";
import type {
  TaskEndpoint,
  TaskRuntime,
  TaskRuntimeControls,
  TaskRuntimeTask,
} from "../../test/sim/services/ecs-task-runtime";

/** The environment an image sets (its config's Env), by image reference and digest. */
export type ImageEnvironment = (image: string, digest: string | undefined) => Promise<Record<string, string>>;

interface RunningTask {
  task: TaskRuntimeTask;
  child: ChildProcess;
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
  /** Every task that got a process, for the timeline and the tests. */
  readonly started: TaskProcess[] = [];
  readonly #imageEnvironment: ImageEnvironment;
  readonly #node: string;

  constructor(options: { imageEnvironment: ImageEnvironment; node?: string }) {
    this.#imageEnvironment = options.imageEnvironment;
    this.#node = options.node ?? process.execPath;
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

  async onTaskStarting(task: TaskRuntimeTask, controls: TaskRuntimeControls): Promise<TaskEndpoint> {
    const container =
      task.containers.find((c) => c.essential && c.portMappings.length > 0) ?? task.containers[0];
    if (!container) throw new Error("the task has no container");
    // Not answering yet: the load balancer's checks fail until the process serves /health.
    controls.setHealthy(false);
    const imageEnv = await this.#imageEnvironment(container.image, container.imageDigest);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      ...imageEnv,
      ...container.environment,
      PORT: "0",
      HOST: "127.0.0.1",
    };
    const child = spawn(this.#node, [DEMO_SERVICE_SCRIPT], { env, stdio: ["ignore", "pipe", "pipe"] });
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
      controls.log(container.name, [line]);
    });
    const stdout = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const endpoint = await new Promise<TaskEndpoint>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the service did not listen within 15 s")), 15_000);
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
    stdout.on("line", (line) => controls.log(container.name, [line]));
    this.started.push({
      taskId: task.taskId,
      revision: `${task.family}:${task.revision}`,
      version: running.version,
      pid: child.pid ?? -1,
    });
    controls.log(container.name, [
      `listening on ${endpoint.host}:${endpoint.port} (version ${running.version})`,
    ]);
    child.once("exit", (code, signal) => {
      if (running.healthTimer) clearInterval(running.healthTimer);
      this.#running.delete(task.taskArn);
      if (!running.stopping) controls.exit(code ?? 1, stderr.at(-1) ?? `exited (${signal ?? code})`);
    });
    // The load balancer's health check, on real responses.
    const check = async (): Promise<void> => {
      try {
        const response = await fetch(`http://${endpoint.host}:${endpoint.port}/health`, {
          signal: AbortSignal.timeout(1_000),
        });
        await response.arrayBuffer();
        if (!running.stopping) controls.setHealthy(response.ok);
      } catch {
        if (!running.stopping) controls.setHealthy(false);
      }
    };
    await check();
    running.healthTimer = setInterval(() => void check(), 250);
    return endpoint;
  }

  onTaskStopping(task: TaskRuntimeTask): void {
    const running = this.#running.get(task.taskArn);
    if (!running) return;
    running.stopping = true;
    if (running.healthTimer) clearInterval(running.healthTimer);
    stopChild(running.child);
  }

  async close(): Promise<void> {
    const all = [...this.#running.values()];
    this.#running.clear();
    await Promise.all(
      all.map((r) => {
        r.stopping = true;
        if (r.healthTimer) clearInterval(r.healthTimer);
        return stopChild(r.child);
      }),
    );
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
