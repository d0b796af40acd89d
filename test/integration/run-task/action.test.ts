// run-task through the committed bundle and the AWS simulator. Simulated time moves only when the step
// reads the task (each DescribeTasks first moves it on by STEP_MS), so what each poll sees is the
// same on an idle machine and a loaded one: the assertions are about the sequence of states, never
// about how fast the bundle ran.
import { afterEach, describe, expect, it } from "vitest";
import { type ActionRun, type RunActionOptions, runAction } from "../../rig/harness";
import {
  type Override,
  type Scenario,
  type SimProfile,
  type Simulator,
  simulatorEnv,
  startSimulator,
} from "../../sim/index";

const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const ACCOUNT = "arn:aws:ecs:eu-west-1:123456789012";
/** A guard for tests that run the bundle several times on a loaded machine, not a measure of speed. */
const BUNDLE_RUNS_MS = 180_000;
/** Simulated time one poll of the step stands for. */
const STEP_MS = 5_000;
const NETWORK = {
  awsvpcConfiguration: {
    subnets: ["subnet-0a1", "subnet-0b2"],
    securityGroups: ["sg-0db"],
    assignPublicIp: "DISABLED",
  },
};

function taskDefinition(image: string) {
  return {
    family: "shop",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "512",
    memory: "1024",
    executionRoleArn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
    containerDefinitions: [
      {
        name: "app",
        image,
        essential: true,
        command: ["node", "server.js"],
        logConfiguration: {
          logDriver: "awslogs",
          options: {
            "awslogs-group": "/ecs/shop",
            "awslogs-region": "eu-west-1",
            "awslogs-stream-prefix": "shop",
          },
        },
      },
      {
        name: "log-router",
        image: `${REGISTRY}/fluent-bit:3`,
        essential: false,
      },
    ],
  };
}

const BACKFILL = {
  exitCode: 0,
  runMs: 60_000,
  logs: ["backfill: 3 batches of 500 orders"],
  runLogs: ["batch 1/3 done", "batch 2/3 done", "batch 3/3 done"],
  exitLogs: ["backfill complete: 1500 orders"],
};
const FAILS = {
  exitCode: 3,
  runMs: 30_000,
  logs: ["checking orders"],
  runLogs: ["checked 1000 orders"],
  exitLogs: ["Error: 12 orders have no customer", "exiting with status 3"],
};
const FOREVER = { exitCode: 0, runMs: 36_000_000, logs: ["waiting for the lock on orders"] };

/** Service "web" runs shop:1 on Fargate; shop:2's image runs the commands above. */
function scenario(): Scenario {
  return {
    clock: { mode: "manual" },
    seed: 5,
    logs: { groups: [{ name: "/ecs/shop" }] },
    ecs: {
      clusters: ["prod"],
      images: {
        [`${REGISTRY}/shop:1`]: { commands: { smoke: { exitCode: 0, runMs: 5_000 } } },
        [`${REGISTRY}/shop:2`]: {
          commands: { backfill: BACKFILL, "check-orders": FAILS, "wait-for-lock": FOREVER },
        },
      },
      taskDefinitions: [taskDefinition(`${REGISTRY}/shop:1`), taskDefinition(`${REGISTRY}/shop:2`)],
      services: [
        {
          cluster: "prod",
          serviceName: "web",
          taskDefinition: "shop:1",
          desiredCount: 1,
          launchType: "FARGATE",
          platformVersion: "1.4.0",
          networkConfiguration: NETWORK,
        },
      ],
    },
  };
}

/** Each DescribeTasks moves simulated time on by STEP_MS first: the step's polls are its clock. */
const clockedByPolls: Override = {
  service: "ecs",
  operation: "DescribeTasks",
  handle: ({ sim, next }) => {
    sim.advance(STEP_MS);
    return next();
  },
};

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function start(profile: SimProfile = "aws"): Promise<Simulator> {
  sim = await startSimulator({ scenario: scenario(), profile, overrides: [clockedByPolls] });
  return sim;
}

function runTask(
  s: Simulator,
  inputs: Record<string, string>,
  options: Omit<RunActionOptions, "inputs"> = {},
): Promise<ActionRun> {
  return runAction("run-task", {
    timeoutMs: 90_000,
    ...options,
    env: { ...simulatorEnv(s), ...options.env },
    inputs: {
      cluster: "prod",
      service: "web",
      "task-definition": "shop:2",
      "poll-interval": "100ms",
      ...inputs,
    },
  });
}

/** The one-off tasks (the service's own task runs shop:1). */
function oneOffTasks(s: Simulator) {
  return s.ecs
    .tasks({ cluster: "prod" })
    .filter((t) => t.taskDefinitionArn === `${ACCOUNT}:task-definition/shop:2`);
}

describe("run-task bundle", () => {
  it("passes a task that exits 0, with the service's placement and its log lines shown while it runs", async () => {
    const s = await start();
    const result = await runTask(s, {
      command: "npm run backfill -- --since 2024-01-01",
      environment: "BATCH_SIZE=500\nlog-router.LOG_LEVEL=warn",
      memory: "app=900",
      tags: "purpose=backfill",
    });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    const runTaskCalls = s.callsTo("RunTask", "ecs");
    expect(runTaskCalls).toHaveLength(1);
    expect(runTaskCalls[0]?.input).toMatchObject({
      cluster: "prod",
      taskDefinition: `${ACCOUNT}:task-definition/shop:2`,
      count: 1,
      launchType: "FARGATE",
      platformVersion: "1.4.0",
      networkConfiguration: NETWORK,
      tags: [{ key: "purpose", value: "backfill" }],
      clientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      startedBy: expect.stringMatching(/^shipline-[0-9a-f]{27}$/),
      overrides: {
        containerOverrides: [
          {
            name: "app",
            command: ["npm", "run", "backfill", "--", "--since", "2024-01-01"],
            environment: [{ name: "BATCH_SIZE", value: "500" }],
            memory: 900,
          },
          { name: "log-router", environment: [{ name: "LOG_LEVEL", value: "warn" }] },
        ],
      },
    });
    const [task] = oneOffTasks(s);
    expect(task?.containers?.find((c) => c.name === "app")?.memory).toBe("900");
    expect(result.outputs["task-arn"]).toBe(task?.taskArn);
    expect(result.outputs["exit-code"]).toBe("0");
    const taskId = task?.taskArn?.split("/").at(-1);
    expect(result.outputs["log-url"]).toBe(
      `https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fshop/log-events/shop$252Fapp$252F${taskId}`,
    );
    // Live: each batch line shows between polls that still see the task RUNNING.
    const log = result.stdout;
    const running = [...log.matchAll(/: RUNNING \(container RUNNING\)/g)].map((m) => m.index ?? 0);
    expect(running.length).toBeGreaterThan(0);
    expect(log.indexOf("│ batch 1/3 done")).toBeGreaterThan(running[0] ?? 0);
    expect(log.indexOf("│ batch 3/3 done")).toBeLessThan(log.search(/: STOPPED \(container STOPPED\)/));
    expect(log).toContain("│ backfill complete: 1500 orders");
    expect(s.callsTo("StopTask", "ecs")).toEqual([]);
    const report = JSON.parse(result.outputs.report ?? "{}");
    expect(report).toMatchObject({ verdict: "pass", resumed: false, exitCode: 0, container: "app" });
    expect(result.summary).toMatch(/One-off task: ✅ passed/);
    expect(result.summary).toContain(
      `[${taskId}](https://eu-west-1.console.aws.amazon.com/ecs/v2/clusters/prod/tasks/${taskId}/configuration?region=eu-west-1)`,
    );
  });

  it(
    "runs `count` copies, follows each with its lines marked by task, and passes when all exit 0",
    async () => {
      const s = await start();
      const result = await runTask(s, { command: "npm run backfill", count: "2" });
      expect(result.errors).toEqual([]);
      const tasks = oneOffTasks(s);
      expect(tasks).toHaveLength(2);
      expect(JSON.parse(result.outputs["task-arns"] ?? "[]")).toEqual(tasks.map((t) => t.taskArn));
      for (const task of tasks) {
        const id = task.taskArn?.split("/").at(-1)?.slice(0, 8);
        expect(result.stdout).toContain(`│ [${id}] backfill complete: 1500 orders`);
        expect(task.stopCode).toBe("EssentialContainerExited");
      }
    },
    BUNDLE_RUNS_MS,
  );

  it("fails a task that exits 3 with the exit code, why, and the log tail", async () => {
    const s = await start();
    const result = await runTask(s, { command: "npm run check-orders", "log-tail-lines": "3" });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    const message = result.errors[0]?.message ?? "";
    expect(message).toMatch(
      /^The task failed\.\nTask arn:aws:ecs:\S+ stopped after \S+: container "app" exit code 3\./,
    );
    expect(message).toContain("stopCode: EssentialContainerExited");
    expect(message).toContain(
      "Last 3 log lines:\n  checked 1000 orders\n  Error: 12 orders have no customer\n  exiting with status 3",
    );
    expect(message).toContain('Why: Container "app" exited with code 3.');
    expect(message).toMatch(/Fix: The task's command failed: read its log lines above/);
    expect(result.outputs["exit-code"]).toBe("3");
    expect(JSON.parse(result.outputs.report ?? "{}")).toMatchObject({
      verdict: "fail",
      tasks: [
        {
          exitCode: 3,
          stopCode: "EssentialContainerExited",
          explanation: { cause: 'Container "app" exited with code 3.' },
        },
      ],
    });
    expect(result.summary).toContain("Last 3 log lines of app in task");
    expect(result.summary).toContain("Error: 12 orders have no customer");
  });

  it(
    "stops the task when the timeout passes, and fails with the log tail",
    async () => {
      const s = await start();
      const result = await runTask(s, { command: "npm run wait-for-lock", timeout: "10s" });
      expect(result.exitCode).toBe(1);
      const stops = s.callsTo("StopTask", "ecs");
      expect(stops).toHaveLength(1);
      expect(stops[0]?.input).toMatchObject({
        cluster: "prod",
        reason: "shipline run-task timeout of 10s reached.",
      });
      const [task] = oneOffTasks(s);
      expect(task?.desiredStatus).toBe("STOPPED");
      expect(task?.stopCode).toBe("UserInitiated");
      expect(result.errors[0]?.message).toMatch(
        /did not stop within 10s, so it was stopped\. The last \d+ log lines:\nwaiting for the lock on orders/,
      );
      expect(result.errors[0]?.message).toMatch(/Fix: Find out what the task waited on/);
      expect(JSON.parse(result.outputs.report ?? "{}")).toMatchObject({ verdict: "timed-out" });
    },
    BUNDLE_RUNS_MS,
  );

  it(
    "starts no second task when the step is re-run in the same attempt, and a new one for a new attempt",
    async () => {
      const s = await start();
      const inputs = { command: "npm run backfill" };
      const first = await runTask(s, inputs);
      const again = await runTask(s, inputs);
      expect(first.exitCode).toBe(0);
      expect(again.exitCode).toBe(0);
      expect(again.outputs["task-arn"]).toBe(first.outputs["task-arn"]);
      expect(again.stdout).toContain("following it instead of starting another");
      expect(s.callsTo("RunTask", "ecs")).toHaveLength(1);
      expect(oneOffTasks(s)).toHaveLength(1);
      expect(JSON.parse(again.outputs.report ?? "{}")).toMatchObject({ verdict: "pass", resumed: true });

      const otherCommand = await runTask(s, { command: "npm run check-orders" });
      expect(otherCommand.exitCode).toBe(1);
      expect(otherCommand.errors[0]?.message).toMatch(
        /already started task \S+ in cluster prod with other parameters/,
      );
      expect(otherCommand.errors[0]?.message).toMatch(/idempotency-key/);
      expect(s.callsTo("RunTask", "ecs")).toHaveLength(1);

      const nextAttempt = await runTask(s, inputs, { env: { GITHUB_RUN_ATTEMPT: "2" } });
      expect(nextAttempt.exitCode).toBe(0);
      expect(nextAttempt.outputs["task-arn"]).not.toBe(first.outputs["task-arn"]);
      expect(oneOffTasks(s)).toHaveLength(2);
    },
    BUNDLE_RUNS_MS,
  );

  it(
    "starts no second task on a re-run where the endpoint ignores the client token",
    async () => {
      const s = await start("compat");
      const first = await runTask(s, { command: "npm run backfill" });
      const again = await runTask(s, { command: "npm run backfill" });
      expect([first.exitCode, again.exitCode]).toEqual([0, 0]);
      expect(again.outputs["task-arn"]).toBe(first.outputs["task-arn"]);
      expect(oneOffTasks(s)).toHaveLength(1);
    },
    BUNDLE_RUNS_MS,
  );

  it("stops the task when the workflow is cancelled", async () => {
    const s = await start();
    const result = await runTask(
      s,
      { command: "npm run wait-for-lock" },
      { cancelWhen: /│ waiting for the lock on orders/ },
    );
    expect(result.exitCode).not.toBe(0);
    const stops = s.callsTo("StopTask", "ecs");
    expect(stops).toHaveLength(1);
    expect(stops[0]?.input).toMatchObject({
      cluster: "prod",
      reason: "The GitHub workflow run was cancelled.",
    });
    expect(oneOffTasks(s)[0]?.stopCode).toBe("UserInitiated");
    expect(result.outputs["task-arn"]).toBe(oneOffTasks(s)[0]?.taskArn);
  });

  it("refuses, before starting anything, an override for a container the task definition lacks", async () => {
    const s = await start();
    const result = await runTask(s, { memory: "worker=2048" });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.message).toMatch(
      /`memory` names container "worker", which task definition \S+ does not have \(it has app, log-router\)/,
    );
    expect(s.callsTo("RunTask", "ecs")).toEqual([]);
  });

  it("refuses, before starting anything, a task definition that is being deleted, naming the input", async () => {
    const s = await start();
    s.ecs.deleteTaskDefinition("shop:2");
    const result = await runTask(s, { command: "npm run backfill" });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.message).toMatch(
      /Task definition shop:2 is DELETE_IN_PROGRESS \(being deleted\): ECS starts no new task of it\.\nFix: Give `task-definition` an ACTIVE revision/,
    );
    expect(s.callsTo("RunTask", "ecs")).toEqual([]);
    expect(oneOffTasks(s)).toEqual([]);
  });

  it("refuses a credential in the environment overrides without printing its value", async () => {
    const s = await start();
    const value = "postgres://backfill:s3cr3t-pa55@db.internal:5432/shop";
    const result = await runTask(s, { environment: `DATABASE_URL=${value}` });
    expect(result.exitCode).toBe(1);
    expect(result.errors[0]?.message).toMatch(/DATABASE_URL looks like a credential/);
    // Registered as masks (the runner hides it), and not once written where a person reads.
    expect(result.masks).toContain("s3cr3t-pa55");
    expect(result.visibleLog).not.toContain("s3cr3t-pa55");
    expect(JSON.stringify(result.outputs)).not.toContain("s3cr3t-pa55");
    expect(s.calls).toEqual([]);
  });

  it("runs the service's current task definition when none is given", async () => {
    const s = await start();
    const result = await runTask(s, { "task-definition": "", command: "npm run smoke" });
    expect(result.errors).toEqual([]);
    expect(s.callsTo("RunTask", "ecs")[0]?.input).toMatchObject({
      taskDefinition: `${ACCOUNT}:task-definition/shop:1`,
    });
  });
});
