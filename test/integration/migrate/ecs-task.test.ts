// Mode ecs-task through the committed bundle and the AWS simulator: the one-off task copies the
// service's placement, its log streams into the job, exit code 0 alone succeeds, a task that stopped
// before the first poll is judged right, a retried step starts no second task, cancellation stops it.
import { afterEach, describe, expect, it } from "vitest";
import { type ActionRun, runAction } from "../../rig/harness";
import { type Scenario, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import { tempWorkspace } from "./workspace";

const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const NETWORK = {
  awsvpcConfiguration: {
    subnets: ["subnet-a", "subnet-b"],
    securityGroups: ["sg-db-clients"],
    assignPublicIp: "DISABLED",
  },
};

function taskDefinition(image: string) {
  return {
    family: "shop",
    networkMode: "awsvpc",
    requiresCompatibilities: ["FARGATE"],
    cpu: "256",
    memory: "512",
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
    ],
  };
}

/**
 * Service "web" runs shop:1; shop:2 is the new task definition whose image migrates as told. Getting a
 * task to RUNNING and tearing it down take a few simulated seconds instead of Fargate's half minute:
 * what is tested is the action following the run, and the wait would only be wall time.
 */
function scenario(migration: Record<string, unknown>, factor: number): Scenario {
  return {
    clock: { mode: "scaled", factor },
    seed: 11,
    logs: { groups: [{ name: "/ecs/shop" }] },
    ecs: {
      timings: { provisioningMs: 1_000, pullMs: 3_000, stoppingMs: 1_000, deprovisioningMs: 1_000 },
      images: {
        [`${REGISTRY}/shop:1`]: {},
        [`${REGISTRY}/shop:2`]: { commands: { "migrate deploy": migration } },
      },
      taskDefinitions: [taskDefinition(`${REGISTRY}/shop:1`), taskDefinition(`${REGISTRY}/shop:2`)],
      services: [
        {
          cluster: "default",
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

const MIGRATES = {
  exitCode: 0,
  runMs: 30_000,
  logs: ["Prisma schema loaded from prisma/schema.prisma", "2 migrations found in prisma/migrations"],
  exitLogs: ["Applying migration `20240201000000_role`", "All migrations have been successfully applied."],
};
const FAILS = {
  exitCode: 1,
  runMs: 20_000,
  logs: ["2 migrations found in prisma/migrations", "Applying migration `20240201000000_role`"],
  exitLogs: [
    'Error: P3018 A migration failed to apply: column "role" of relation "User" contains null values',
  ],
};

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

async function run(
  s: Simulator,
  extra: { inputs?: Record<string, string>; env?: Record<string, string>; cancelAfterMs?: number } = {},
): Promise<ActionRun> {
  return runAction("migrate", {
    workspace: tempWorkspace(),
    env: { ...simulatorEnv(s), ...extra.env },
    inputs: {
      mode: "ecs-task",
      cluster: "default",
      service: "web",
      "task-definition": "shop:2",
      command: "npx prisma migrate deploy",
      "poll-interval": "1s",
      ...extra.inputs,
    },
    ...(extra.cancelAfterMs !== undefined ? { cancelAfterMs: extra.cancelAfterMs } : {}),
  });
}

describe("migrate bundle: one-off ECS task", () => {
  it("succeeds on exit code 0, with the service's network configuration and the log streamed as it arrives", async () => {
    // 1 real second = 15 simulated seconds: the task runs for several polls.
    sim = await startSimulator({ scenario: scenario(MIGRATES, 15) });
    const result = await run(sim);
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    const runTask = sim.callsTo("RunTask", "ecs");
    expect(runTask).toHaveLength(1);
    expect(runTask[0]?.input).toMatchObject({
      cluster: "default",
      taskDefinition: expect.stringMatching(/task-definition\/shop:2$/),
      count: 1,
      launchType: "FARGATE",
      platformVersion: "1.4.0",
      networkConfiguration: NETWORK,
      overrides: { containerOverrides: [{ name: "app", command: ["npx", "prisma", "migrate", "deploy"] }] },
      clientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(result.outputs["task-arn"]).toMatch(
      /^arn:aws:ecs:eu-west-1:123456789012:task\/default\/[0-9a-f]+$/,
    );
    // Streamed between polls: the first lines appear before the task is reported stopped.
    const log = result.stdout;
    expect(log.indexOf("│ Prisma schema loaded from prisma/schema.prisma")).toBeGreaterThan(-1);
    expect(log.indexOf("│ Prisma schema loaded")).toBeLessThan(log.search(/: STOPPED \(container/));
    expect(log).toContain("│ All migrations have been successfully applied.");
    expect(log).toMatch(/: RUNNING \(container RUNNING\)/);
    expect(sim.callsTo("DescribeTasks", "ecs").length).toBeGreaterThan(2);
    expect(sim.callsTo("StopTask", "ecs")).toEqual([]);
    expect(result.summary).toMatch(/\| arn:aws:ecs:[^|]+ \| app \| 0 \| EssentialContainerExited \|/);
  });

  it("says once why the log does not show when it cannot be read, and still judges the task", async () => {
    sim = await startSimulator({
      scenario: {
        ...scenario(MIGRATES, 15),
        faults: [{ service: "logs", operation: "GetLogEvents", kind: "throttle" }],
      },
    });
    const result = await run(sim, { inputs: { "aws-max-attempts": "1" } });
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    const warnings = result.annotations.filter(
      (a) => a.level === "warning" && a.message.includes("Cannot read the task's log"),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(
      /Cannot read the task's log \(\/ecs\/shop shop\/app\/[0-9a-f]+\): ThrottlingException: .*allow logs:GetLogEvents/,
    );
    expect(sim.callsTo("GetLogEvents", "logs").length).toBeGreaterThan(1);
  });

  it("says the task keeps running when AWS stops answering while it is followed, and sets task-arn", async () => {
    sim = await startSimulator({ scenario: scenario(MIGRATES, 15) });
    const s = sim;
    let faulted: Promise<Response> | undefined;
    const result = await runAction("migrate", {
      workspace: tempWorkspace(),
      env: simulatorEnv(s),
      inputs: {
        mode: "ecs-task",
        cluster: "default",
        service: "web",
        "task-definition": "shop:2",
        command: "npx prisma migrate deploy",
        "poll-interval": "1s",
        "aws-max-attempts": "1",
      },
      onLine: (line) => {
        if (!faulted && line.startsWith("Started arn:aws:ecs:")) {
          faulted = fetch(`${s.endpoint}/_sim/faults`, {
            method: "POST",
            body: JSON.stringify({ service: "ecs", operation: "DescribeTasks", kind: "throttle" }),
          });
        }
      },
    });
    await faulted;
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.message).toMatch(
      /^Task arn:aws:ecs:\S+ was started and keeps running in ECS, but this step could not follow it: AWS kept throttling migrate's calls/,
    );
    expect(result.errors[0]?.message).toMatch(/Before re-running the job, wait for the task to stop/);
    expect(result.stdout).not.toContain("This is a bug in shipline");
    expect(result.outputs["task-arn"]).toMatch(/^arn:aws:ecs:eu-west-1:123456789012:task\/default\//);
    expect(sim.callsTo("StopTask", "ecs")).toEqual([]);
  });

  it("fails on exit code 1 with the stop code, stopped reason, exit code and log tail", async () => {
    sim = await startSimulator({ scenario: scenario(FAILS, 60) });
    const result = await run(sim, { inputs: { "log-tail-lines": "2" } });
    expect(result.exitCode).toBe(1);
    const message = result.errors.at(-1)?.message ?? "";
    expect(message).toMatch(
      /The migration task failed\.\nTask arn:aws:ecs:\S+ stopped after \S+: container "app" exit code 1\./,
    );
    expect(message).toContain("stopCode: EssentialContainerExited");
    expect(message).toContain("stoppedReason: Essential container in task exited");
    expect(message).toContain(
      'Last 2 log lines:\n  Applying migration `20240201000000_role`\n  Error: P3018 A migration failed to apply: column "role" of relation "User" contains null values',
    );
    expect(message).toMatch(/Fix: The migration command failed/);
    expect(result.summary).toContain("Last 2 log lines");
  });

  /**
   * 1 real second = 1 simulated hour, and the first DescribeTasks is held back half a second:
   * provisioning, pull, the whole run and the stop all happen before ECS answers it.
   */
  async function stoppedBeforeTheFirstPoll(migration: Record<string, unknown>): Promise<ActionRun> {
    const s = await startSimulator({ scenario: scenario(migration, 3_600) });
    sim = s;
    s.injectFault({ service: "ecs", operation: "DescribeTasks", kind: "latency", latencyMs: 500, count: 1 });
    const result = await run(s, { inputs: { "poll-interval": "30s" } });
    expect(s.callsTo("DescribeTasks", "ecs")).toHaveLength(1);
    expect(result.stdout).not.toMatch(/: RUNNING \(/);
    return result;
  }

  it("judges a task that went from PENDING to STOPPED before the first poll", async () => {
    const result = await stoppedBeforeTheFirstPoll(FAILS);
    expect(result.exitCode).toBe(1);
    expect(result.errors.at(-1)?.message).toMatch(/exit code 1\.\nstopCode: EssentialContainerExited/);
    expect(result.errors.at(-1)?.message).toContain("P3018 A migration failed to apply");
  });

  it("judges a fast successful task that stopped before the first poll as a success", async () => {
    const result = await stoppedBeforeTheFirstPoll(MIGRATES);
    expect(result.errors).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("│ All migrations have been successfully applied.");
  });

  it("starts no second task when the step is retried", async () => {
    sim = await startSimulator({ scenario: scenario(MIGRATES, 60) });
    const first = await run(sim);
    const retried = await run(sim);
    expect(first.exitCode).toBe(0);
    expect(retried.exitCode).toBe(0);
    expect(retried.outputs["task-arn"]).toBe(first.outputs["task-arn"]);
    // The retry finds the task by its startedBy and follows it: it does not even ask RunTask again.
    expect(sim.callsTo("RunTask", "ecs")).toHaveLength(1);
    expect(retried.stdout).toContain("following it instead of starting another");
    // The service's own task runs shop:1; the migration tasks run shop:2.
    const migrationTasks = () =>
      (sim?.ecs.tasks() ?? []).filter((t) => t.taskDefinitionArn?.endsWith(":task-definition/shop:2"));
    expect(migrationTasks()).toHaveLength(1);
    // A new attempt of the job is a new run: it gets a task of its own.
    const rerun = await run(sim, { env: { GITHUB_RUN_ATTEMPT: "2" } });
    expect(rerun.outputs["task-arn"]).not.toBe(first.outputs["task-arn"]);
    expect(migrationTasks()).toHaveLength(2);
    expect(sim.callsTo("RunTask", "ecs")).toHaveLength(2);
  });

  it("fails a task that could not start with the reason and no exit code", async () => {
    sim = await startSimulator({
      scenario: scenario({ pullError: "pull access denied for shop, repository does not exist" }, 60),
    });
    const result = await run(sim);
    expect(result.exitCode).toBe(1);
    const message = result.errors.at(-1)?.message ?? "";
    expect(message).toContain("no exit code (the container did not run to completion)");
    expect(message).toContain("stopCode: TaskFailedToStart");
    expect(message).toContain("CannotPullContainerError: pull access denied");
    expect(message).toContain("Why: The task never ran: its image could not be pulled.");
    expect(message).toMatch(/Fix: Check the image exists at that tag or digest/);
  });

  it("stops the task when the workflow is cancelled", async () => {
    sim = await startSimulator({ scenario: scenario({ ...MIGRATES, runMs: 3_600_000 }, 10) });
    const result = await run(sim, { cancelAfterMs: 4_000 });
    expect(result.exitCode).not.toBe(0);
    const stops = sim.callsTo("StopTask", "ecs");
    expect(stops).toHaveLength(1);
    expect(stops[0]?.input).toMatchObject({
      cluster: "default",
      reason: "The GitHub workflow run was cancelled.",
    });
    expect(result.stdout).toContain("Stopped task");
  });

  it("refuses a container the task definition lacks before taking the backup", async () => {
    sim = await startSimulator({
      scenario: { ...scenario(MIGRATES, 60), rds: { instances: [{ id: "shop-db" }] } },
    });
    const result = await run(sim, {
      inputs: { container: "migrator", backup: "always", "db-instance-identifier": "shop-db" },
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]?.message).toMatch(/has no container "migrator" \(it has app\)/);
    expect(sim.calls.filter((c) => c.service === "rds")).toEqual([]);
    expect(sim.callsTo("RunTask", "ecs")).toEqual([]);
  });

  it("refuses a task definition with several containers and no container named, before running anything", async () => {
    const base = scenario(MIGRATES, 60);
    const ecs = base.ecs as { taskDefinitions: ReturnType<typeof taskDefinition>[] };
    const two = taskDefinition(`${REGISTRY}/shop:2`);
    two.containerDefinitions.push({
      ...two.containerDefinitions[0],
      name: "sidecar",
    } as (typeof two.containerDefinitions)[number]);
    ecs.taskDefinitions[1] = two;
    sim = await startSimulator({ scenario: base });
    const result = await run(sim);
    expect(result.exitCode).toBe(1);
    expect(result.errors.at(-1)?.message).toMatch(
      /has 2 containers \(app, sidecar\); which one runs the migration\?/,
    );
    expect(sim.callsTo("RunTask", "ecs")).toEqual([]);
  });
});
