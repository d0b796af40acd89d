// The ECS simulator's task runtime plug-in, with a trivial runtime: one loopback HTTP server per task
// that answers with the task's APP_VERSION.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { RegisterTaskDefinitionCommand, RunTaskCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import {
  type Simulator,
  startSimulator,
  type TaskRuntime,
  type TaskRuntimeControls,
  type TaskRuntimeTask,
} from "../../sim/index";
import { simulatorClients } from "./clients";
import { NETWORK, REGISTRY, TG, webScenario, webTaskDefinition } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const MINUTE = 60_000;

/** One HTTP server per task, answering with its APP_VERSION; records what the simulator told it. */
class ServerPerTask implements TaskRuntime {
  readonly servers = new Map<string, Server>();
  readonly started: TaskRuntimeTask[] = [];
  readonly stopped: string[] = [];
  readonly controls = new Map<string, TaskRuntimeControls>();
  closed = false;
  failNext: string | undefined;

  async onTaskStarting(task: TaskRuntimeTask, controls: TaskRuntimeControls) {
    this.started.push(task);
    this.controls.set(task.taskArn, controls);
    if (this.failNext) {
      const message = this.failNext;
      this.failNext = undefined;
      throw new Error(message);
    }
    const version = task.containers[0]?.environment.APP_VERSION ?? "?";
    const server = createServer((_req, res) => res.end(version));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    this.servers.set(task.taskArn, server);
    controls.log("app", [`serving version ${version}`]);
    return { host: "127.0.0.1", port: (server.address() as AddressInfo).port };
  }

  async onTaskStopping(task: TaskRuntimeTask) {
    this.stopped.push(task.taskArn);
    const server = this.servers.get(task.taskArn);
    this.servers.delete(task.taskArn);
    await new Promise((resolve) => server?.close(resolve));
  }

  async close() {
    this.closed = true;
    for (const server of this.servers.values()) server.close();
  }
}

/**
 * Waits for what the runtime does in real time (servers starting and stopping): simulated time does
 * not wait for it. The bound is generous, for a loaded machine; it only ends a hung test.
 */
async function eventually(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function startWithRuntime(runtime: ServerPerTask): Promise<{ s: Simulator }> {
  const s = await startSimulator({ clock: { mode: "manual" } });
  await s.ecs.setTaskRuntime(runtime);
  s.load(webScenario());
  return { s };
}

describe("task runtime plug-in", () => {
  it("runs one server per RUNNING task with its revision's environment, and stops the drained ones", async () => {
    const runtime = new ServerPerTask();
    const { s } = await startWithRuntime(runtime);
    sim = s;
    await eventually(() => s.ecs.servingEndpoints("web").length === 3);
    expect(
      runtime.started.map((t) => [
        t.serviceName,
        t.family,
        t.revision,
        t.containers[0]?.environment.APP_VERSION,
      ]),
    ).toEqual(Array(3).fill(["web", "web", 1, "1"]));
    const answers = await Promise.all(
      s.ecs
        .servingEndpoints("web")
        .map((e) => fetch(`http://${e.endpoint.host}:${e.endpoint.port}/`).then((r) => r.text())),
    );
    expect(answers).toEqual(["1", "1", "1"]);
    expect(s.ecs.servingEndpoints("web").map((e) => e.weight)).toEqual([1 / 3, 1 / 3, 1 / 3]);

    const { ecs: client } = simulatorClients(s);
    await client.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${REGISTRY}/web:2`) as never));
    await client.send(new UpdateServiceCommand({ service: "web", taskDefinition: "web:2" }));
    // Both revisions serve while the new tasks are healthy and the old ones not yet drained.
    expect(
      s.runUntil(() => s.elbv2.targets(TG).filter((t) => t.state === "healthy").length === 6, 10 * MINUTE),
    ).toBe(true);
    await eventually(() => s.ecs.servingEndpoints("web").length === 6);
    const mixed = s.ecs.servingEndpoints("web");
    expect(new Set(mixed.map((e) => e.taskDefinitionArn.split("/")[1]))).toEqual(new Set(["web:1", "web:2"]));
    expect(mixed.reduce((sum, e) => sum + e.weight, 0)).toBeCloseTo(1, 10);

    expect(s.runUntil(() => s.ecs.service("web").deployments?.length === 1, 10 * MINUTE)).toBe(true);
    await eventually(() => runtime.stopped.length === 3 && runtime.servers.size === 3);
    const after = await Promise.all(
      s.ecs
        .servingEndpoints("web")
        .map((e) => fetch(`http://${e.endpoint.host}:${e.endpoint.port}/`).then((r) => r.text())),
    );
    expect(after).toEqual(["2", "2", "2"]);
    const firstStream = `web/app/${runtime.started[3]?.taskId}`;
    expect(s.logs.lines("/ecs/web", firstStream)).toEqual(["serving version 2"]);
  });

  it("stops a task whose process exits, and one whose start fails, with the exit code the runtime reports", async () => {
    const runtime = new ServerPerTask();
    const { s } = await startWithRuntime(runtime);
    sim = s;
    await eventually(() => s.ecs.servingEndpoints("web").length === 3);
    const victim = runtime.started[0]?.taskArn ?? "";
    runtime.controls.get(victim)?.exit(3, "panic: nil map");
    s.advance(1_000);
    const task = s.ecs.task(victim);
    expect(task?.stopCode).toBe("EssentialContainerExited");
    expect(task?.containers?.[0]).toMatchObject({ exitCode: 3, reason: "panic: nil map" });

    runtime.failNext = "exec format error";
    expect(s.runUntil(() => runtime.started.length === 4, 10 * MINUTE)).toBe(true);
    const failing = runtime.started[3]?.taskArn ?? "";
    await eventually(() => s.pendingEvents().some((e) => e.label.startsWith("runtime exit")));
    s.advance(1_000);
    expect(s.ecs.task(failing)?.containers?.[0]).toMatchObject({
      exitCode: 1,
      reason: "exec format error",
    });
  });

  it("lets the runtime's health verdict override the scenario's", async () => {
    const runtime = new ServerPerTask();
    const { s } = await startWithRuntime(runtime);
    sim = s;
    await eventually(() => s.ecs.servingEndpoints("web").length === 3);
    const sick = runtime.started[1]?.taskArn ?? "";
    runtime.controls.get(sick)?.setHealthy(false);
    expect(s.runUntil(() => s.ecs.task(sick)?.desiredStatus === "STOPPED", 10 * MINUTE)).toBe(true);
    expect(s.ecs.task(sick)?.stoppedReason).toMatch(/^Task failed ELB health checks in \(target-group /);
    await s.stop();
    sim = undefined;
    expect(runtime.closed).toBe(true);
  });

  it("hands a RunTask's command and environment overrides to the runtime", async () => {
    const runtime = new ServerPerTask();
    const { s } = await startWithRuntime(runtime);
    sim = s;
    const { ecs } = simulatorClients(s);
    await ecs.send(
      new RunTaskCommand({
        taskDefinition: "web:1",
        launchType: "FARGATE",
        networkConfiguration: NETWORK,
        startedBy: "smoke",
        overrides: {
          containerOverrides: [
            {
              name: "app",
              command: ["node", "smoke.js"],
              environment: [
                { name: "APP_VERSION", value: "override" },
                { name: "TARGET", value: "staging" },
              ],
            },
          ],
        },
      }),
    );
    expect(s.runUntil(() => runtime.started.length === 4, 10 * MINUTE)).toBe(true);
    const task = runtime.started[3];
    expect(task).toMatchObject({ startedBy: "smoke", group: "family:web", family: "web", revision: 1 });
    expect(task?.serviceName).toBeUndefined();
    expect(task?.containers[0]).toMatchObject({
      name: "app",
      command: ["node", "smoke.js"],
      environment: { APP_VERSION: "override", TARGET: "staging" },
      portMappings: [{ containerPort: 8080, protocol: "tcp" }],
    });
  });

  it("hands the task definition's secrets to the runtime by name, source and the value read with the execution role", async () => {
    const runtime = new ServerPerTask();
    const { s } = await startWithRuntime(runtime);
    sim = s;
    const { ecs } = simulatorClients(s);
    const definition = webTaskDefinition(`${REGISTRY}/web:1`);
    const [app] = definition.containerDefinitions;
    const valueFrom = s.secretsmanager.put("web/db-url", "postgres://web:canary-7Q@db/web");
    s.iam.allow(String(definition.executionRoleArn), {
      actions: ["secretsmanager:GetSecretValue"],
      resources: [valueFrom],
    });
    await ecs.send(
      new RegisterTaskDefinitionCommand({
        ...definition,
        containerDefinitions: [{ ...app, secrets: [{ name: "DATABASE_URL", valueFrom }] }],
      } as never),
    );
    await ecs.send(
      new RunTaskCommand({ taskDefinition: "web:2", launchType: "FARGATE", networkConfiguration: NETWORK }),
    );
    expect(s.runUntil(() => runtime.started.length === 4, 10 * MINUTE)).toBe(true);
    const container = runtime.started[3]?.containers[0];
    expect(container?.secrets).toEqual({ DATABASE_URL: valueFrom });
    expect(container?.secretValues).toEqual({ DATABASE_URL: "postgres://web:canary-7Q@db/web" });
    expect(container?.environment).toEqual({ APP_VERSION: "1" });
    // Service tasks of a definition without secrets get none.
    expect(runtime.started[0]?.containers[0]?.secrets).toEqual({});
  });
});
