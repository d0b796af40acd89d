// One-off tasks in the ECS simulator (RunTask / DescribeTasks / ListTasks / StopTask), through the real
// SDK clients: exit codes, logs, tasks that stop between two polls, idempotency, placement failures.
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  DescribeTasksCommand,
  InvalidParameterException,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type RunTaskCommandInput,
  StopTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import { type Scenario, type Simulator, startSimulator } from "../../sim/index";
import { simulatorClients } from "./clients";
import { NETWORK, REGISTRY, webScenario, webTaskDefinition } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const MIGRATE_IMAGE = `${REGISTRY}/web:2`;

function migrationScenario(images: Record<string, unknown> = {}): Scenario {
  const base = webScenario();
  const ecs = base.ecs as { images: Record<string, unknown>; taskDefinitions: unknown[] };
  return {
    ...base,
    ecs: {
      ...ecs,
      images: {
        ...ecs.images,
        [MIGRATE_IMAGE]: {
          commands: {
            migrate: {
              exitCode: 1,
              runMs: 20_000,
              logs: ["applying 0042_add_orders_index.sql"],
              exitLogs: ['ERROR: relation "orders" does not exist', "migration failed"],
            },
            "db:version": { exitCode: 0, runMs: 2_000, logs: ["schema version 41"] },
          },
        },
        ...images,
      },
      taskDefinitions: [...ecs.taskDefinitions, webTaskDefinition(MIGRATE_IMAGE)],
    },
  };
}

const migration = (extra: Partial<RunTaskCommandInput> = {}): RunTaskCommandInput => ({
  cluster: "default",
  taskDefinition: "web:2",
  launchType: "FARGATE",
  networkConfiguration: NETWORK,
  startedBy: "shipline-migrate",
  overrides: {
    containerOverrides: [
      {
        name: "app",
        command: ["npm", "run", "migrate"],
        environment: [{ name: "MIGRATION_SET", value: "0042" }],
      },
    ],
  },
  ...extra,
});

async function describeTask(s: Simulator, arn: string): Promise<Task> {
  const { ecs } = simulatorClients(s);
  const out = await ecs.send(new DescribeTasksCommand({ cluster: "default", tasks: [arn] }));
  const task = out.tasks?.[0];
  if (!task) throw new Error(`task ${arn} is missing: ${JSON.stringify(out.failures)}`);
  return task;
}

/** Polls like a client would: every `intervalMs` of simulated time, recording each lastStatus seen. */
async function pollUntilStopped(
  s: Simulator,
  arn: string,
  intervalMs: number,
): Promise<{ task: Task; seen: string[] }> {
  const seen: string[] = [];
  for (let i = 0; i < 200; i++) {
    const task = await describeTask(s, arn);
    seen.push(task.lastStatus ?? "");
    if (task.lastStatus === "STOPPED") return { task, seen };
    s.advance(intervalMs);
  }
  throw new Error("the task never stopped");
}

describe("RunTask", () => {
  it("runs a migration that exits 1, with its exit code, stop reason and log output", async () => {
    sim = await startSimulator({ scenario: migrationScenario() });
    const { ecs, logs } = simulatorClients(sim);
    const out = await ecs.send(new RunTaskCommand(migration({ clientToken: "run-42-attempt-1" })));
    expect(out.failures).toEqual([]);
    const started = out.tasks?.[0];
    expect(started).toMatchObject({
      lastStatus: "PROVISIONING",
      desiredStatus: "RUNNING",
      group: "family:web",
      startedBy: "shipline-migrate",
      launchType: "FARGATE",
      platformVersion: "1.4.0",
      taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:2",
    });
    expect(started?.overrides?.containerOverrides?.[0]?.command).toEqual(["npm", "run", "migrate"]);
    expect(started?.attachments?.[0]?.details?.find((d) => d.name === "subnetId")?.value).toMatch(
      /^subnet-[ab]$/,
    );

    const { task } = await pollUntilStopped(sim, started?.taskArn ?? "", 5_000);
    expect(task).toMatchObject({
      lastStatus: "STOPPED",
      desiredStatus: "STOPPED",
      stopCode: "EssentialContainerExited",
      stoppedReason: "Essential container in task exited",
    });
    expect(task.containers?.[0]).toMatchObject({ name: "app", lastStatus: "STOPPED", exitCode: 1 });
    expect(task.containers?.[0]?.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect((task.stoppedAt?.getTime() ?? 0) - (task.startedAt?.getTime() ?? 0)).toBeGreaterThanOrEqual(
      20_000,
    );

    const taskId = task.taskArn?.split("/").at(-1);
    const output = await logs.send(
      new GetLogEventsCommand({
        logGroupName: "/ecs/web",
        logStreamName: `web/app/${taskId}`,
        startFromHead: true,
      }),
    );
    expect(output.events?.map((e) => e.message)).toEqual([
      "applying 0042_add_orders_index.sql",
      'ERROR: relation "orders" does not exist',
      "migration failed",
    ]);
  });

  it("shows a fast task going from PENDING to STOPPED between two polls, having never been seen RUNNING", async () => {
    sim = await startSimulator({ scenario: migrationScenario() });
    const { ecs } = simulatorClients(sim);
    const out = await ecs.send(
      new RunTaskCommand(
        migration({
          overrides: { containerOverrides: [{ name: "app", command: ["npm", "run", "db:version"] }] },
        }),
      ),
    );
    sim.advance(6_000);
    const { task, seen } = await pollUntilStopped(sim, out.tasks?.[0]?.taskArn ?? "", 30_000);
    expect(seen).toEqual(["PENDING", "STOPPED"]);
    expect(task.containers?.[0]?.exitCode).toBe(0);
    // It did run, just between the polls.
    expect(task.startedAt).toBeInstanceOf(Date);
    expect(task.stopCode).toBe("EssentialContainerExited");
  });

  it("is idempotent per clientToken: the same token returns the same task and starts no second one", async () => {
    sim = await startSimulator({ scenario: migrationScenario() });
    const { ecs } = simulatorClients(sim);
    const first = await ecs.send(new RunTaskCommand(migration({ clientToken: "deploy-1234-migrate" })));
    sim.advance(30_000);
    const again = await ecs.send(new RunTaskCommand(migration({ clientToken: "deploy-1234-migrate" })));
    expect(again.tasks?.map((t) => t.taskArn)).toEqual(first.tasks?.map((t) => t.taskArn));
    expect(again.tasks?.[0]?.lastStatus).toBe("RUNNING");
    const listed = await ecs.send(
      new ListTasksCommand({ cluster: "default", startedBy: "shipline-migrate" }),
    );
    expect(listed.taskArns).toHaveLength(1);

    await expect(
      ecs.send(
        new RunTaskCommand(migration({ clientToken: "deploy-1234-migrate", taskDefinition: "web:1" })),
      ),
    ).rejects.toMatchObject({ name: "ConflictException", resourceIds: first.tasks?.map((t) => t.taskArn) });
  });

  it.each([
    [
      "the network configuration",
      { networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-z"] } } },
    ],
    [
      "the launch settings",
      { launchType: undefined, capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT" }] },
    ],
    ["the tags", { tags: [{ key: "purpose", value: "backfill" }] }],
    [
      "the environment override",
      { overrides: { containerOverrides: [{ name: "app", command: ["npm", "run", "migrate"] }] } },
    ],
  ] as [string, Partial<RunTaskCommandInput>][])(
    "refuses a clientToken used again with a different request (%s), starting nothing",
    async (_, change) => {
      sim = await startSimulator({ scenario: migrationScenario() });
      const { ecs } = simulatorClients(sim);
      const first = await ecs.send(new RunTaskCommand(migration({ clientToken: "backfill-7-1" })));
      await expect(
        ecs.send(new RunTaskCommand({ ...migration({ clientToken: "backfill-7-1" }), ...change })),
      ).rejects.toMatchObject({ name: "ConflictException", resourceIds: first.tasks?.map((t) => t.taskArn) });
      expect(sim.ecs.tasks({ family: "web" }).filter((t) => t.group === "family:web")).toHaveLength(1);
    },
  );

  it("scopes a clientToken to its cluster and forgets it after 24 hours, as ECS does", async () => {
    const base = migrationScenario();
    sim = await startSimulator({
      scenario: { ...base, ecs: { ...(base.ecs as object), clusters: ["default", "batch"] } },
    });
    const { ecs } = simulatorClients(sim);
    const first = await ecs.send(new RunTaskCommand(migration({ clientToken: "nightly-1" })));
    const otherCluster = await ecs.send(
      new RunTaskCommand(migration({ clientToken: "nightly-1", cluster: "batch" })),
    );
    expect(otherCluster.tasks?.[0]?.taskArn).not.toBe(first.tasks?.[0]?.taskArn);
    sim.advance(24 * 60 * 60 * 1000);
    const dayLater = await ecs.send(new RunTaskCommand(migration({ clientToken: "nightly-1" })));
    expect(dayLater.tasks?.[0]?.taskArn).not.toBe(first.tasks?.[0]?.taskArn);
  });

  it("gives containers the cpu and memory of their overrides, and the task its own size override", async () => {
    sim = await startSimulator({ scenario: migrationScenario() });
    const { ecs } = simulatorClients(sim);
    const out = await ecs.send(
      new RunTaskCommand(
        migration({
          overrides: {
            cpu: "512",
            memory: "1024",
            containerOverrides: [{ name: "app", command: ["npm", "run", "migrate"], cpu: 384, memory: 900 }],
          },
        }),
      ),
    );
    const task = await describeTask(sim, out.tasks?.[0]?.taskArn ?? "");
    expect(task).toMatchObject({ cpu: "512", memory: "1024" });
    expect(task.containers?.[0]).toMatchObject({ name: "app", cpu: "384", memory: "900" });
    await expect(
      ecs.send(
        new RunTaskCommand(migration({ overrides: { containerOverrides: [{ name: "app", memory: -1 }] } })),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterException" });
  });

  it("writes a command's runLogs one at a time while it runs, so a follower sees them arrive", async () => {
    sim = await startSimulator({
      scenario: migrationScenario({
        [`${REGISTRY}/web:2`]: {
          commands: {
            backfill: {
              exitCode: 0,
              runMs: 40_000,
              logs: ["start"],
              runLogs: ["25%", "50%", "75%"],
              exitLogs: ["done"],
            },
          },
        },
      }),
    });
    const { ecs } = simulatorClients(sim);
    const out = await ecs.send(
      new RunTaskCommand(
        migration({
          overrides: { containerOverrides: [{ name: "app", command: ["npm", "run", "backfill"] }] },
        }),
      ),
    );
    const taskId = out.tasks?.[0]?.taskArn?.split("/").at(-1) ?? "";
    const lines = () => sim?.logs.lines("/ecs/web", `web/app/${taskId}`) ?? [];
    await sim.runUntil(() => lines().length > 0, 60_000);
    expect(lines()).toEqual(["start"]);
    sim.advance(10_000);
    expect(lines()).toEqual(["start", "25%"]);
    sim.advance(20_000);
    expect(lines()).toEqual(["start", "25%", "50%", "75%"]);
    sim.advance(10_000);
    expect(lines()).toEqual(["start", "25%", "50%", "75%", "done"]);
  });

  it.each([
    ["its own clientToken", "deploy-1234-migrate"],
    ["the clientToken the SDK fills in", undefined],
  ])(
    "starts one task when a RunTask's answer is lost and the SDK retries it, by %s",
    async (_, clientToken) => {
      sim = await startSimulator({
        scenario: {
          ...migrationScenario(),
          faults: [{ service: "ecs", operation: "RunTask", kind: "drop-response", count: 1 }],
        },
      });
      const { ecs } = simulatorClients(sim);
      const out = await ecs.send(new RunTaskCommand(migration(clientToken ? { clientToken } : {})));
      const calls = sim.calls.filter((c) => c.operation === "RunTask");
      expect(calls.map((c) => c.fault ?? "answered")).toEqual(["drop-response", "answered"]);
      // Both attempts carry the same token: the caller's, or the UUID the SDK generated once.
      const tokens = calls.map((c) => c.input.clientToken);
      const expected =
        clientToken ??
        expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(tokens).toEqual([expected, expected]);
      expect(tokens[1]).toBe(tokens[0]);
      const listed = await ecs.send(
        new ListTasksCommand({ cluster: "default", startedBy: "shipline-migrate" }),
      );
      expect(listed.taskArns).toEqual(out.tasks?.map((t) => t.taskArn));
    },
  );

  it("registers a second revision when a RegisterTaskDefinition's answer is lost: the call is not idempotent", async () => {
    sim = await startSimulator({
      scenario: {
        ...migrationScenario(),
        faults: [{ service: "ecs", operation: "RegisterTaskDefinition", kind: "drop-response", count: 1 }],
      },
    });
    const { ecs } = simulatorClients(sim);
    const out = await ecs.send(
      new RegisterTaskDefinitionCommand(webTaskDefinition(`${REGISTRY}/web:3`) as never),
    );
    expect(out.taskDefinition?.revision).toBe(4);
    expect(sim.calls.map((c) => c.fault ?? "answered")).toEqual(["drop-response", "answered"]);
  });

  it("starts `count` tasks and lists them by family, startedBy and desired status", async () => {
    sim = await startSimulator({ scenario: migrationScenario() });
    const { ecs } = simulatorClients(sim);
    const out = await ecs.send(
      new RunTaskCommand(
        migration({
          count: 2,
          startedBy: "nightly",
          overrides: { containerOverrides: [{ name: "app", command: ["sleep", "3600"] }] },
        }),
      ),
    );
    expect(out.tasks).toHaveLength(2);
    const byStarter = await ecs.send(new ListTasksCommand({ cluster: "default", startedBy: "nightly" }));
    expect(byStarter.taskArns?.sort()).toEqual(out.tasks?.map((t) => t.taskArn).sort());
    const byFamily = await ecs.send(new ListTasksCommand({ cluster: "default", family: "web" }));
    expect(byFamily.taskArns).toHaveLength(5);
    const byService = await ecs.send(new ListTasksCommand({ cluster: "default", serviceName: "web" }));
    expect(byService.taskArns).toHaveLength(3);
    await expect(
      ecs.send(new ListTasksCommand({ cluster: "default", serviceName: "api" })),
    ).rejects.toMatchObject({
      name: "ServiceNotFoundException",
    });
  });

  it("stops a task on request: UserInitiated, SIGTERM exit code, visible as STOPPED for an hour", async () => {
    sim = await startSimulator({ scenario: migrationScenario() });
    const { ecs } = simulatorClients(sim);
    const out = await ecs.send(
      new RunTaskCommand(
        migration({ overrides: { containerOverrides: [{ name: "app", command: ["sleep", "3600"] }] } }),
      ),
    );
    const arn = out.tasks?.[0]?.taskArn ?? "";
    sim.advance(60_000);
    const stopping = await ecs.send(
      new StopTaskCommand({ cluster: "default", task: arn, reason: "Workflow run 991 was cancelled" }),
    );
    expect(stopping.task).toMatchObject({ desiredStatus: "STOPPED", stopCode: "UserInitiated" });
    const { task } = await pollUntilStopped(sim, arn, 5_000);
    expect(task.stoppedReason).toBe("Workflow run 991 was cancelled");
    expect(task.containers?.[0]?.exitCode).toBe(143);
    expect(
      (await ecs.send(new ListTasksCommand({ cluster: "default", startedBy: "shipline-migrate" }))).taskArns,
    ).toEqual([]);
    expect(
      (
        await ecs.send(
          new ListTasksCommand({
            cluster: "default",
            startedBy: "shipline-migrate",
            desiredStatus: "STOPPED",
          }),
        )
      ).taskArns,
    ).toEqual([arn]);
    sim.advance(61 * 60_000);
    const gone = await ecs.send(new DescribeTasksCommand({ cluster: "default", tasks: [arn] }));
    expect(gone.failures).toEqual([{ arn, reason: "MISSING" }]);
  });

  it("fails to start when the image cannot be pulled", async () => {
    sim = await startSimulator({
      scenario: migrationScenario({ [`${REGISTRY}/web:missing`]: { kind: "pull-error" } }),
    });
    const { ecs } = simulatorClients(sim);
    await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${REGISTRY}/web:missing`) as never));
    const out = await ecs.send(new RunTaskCommand(migration({ taskDefinition: "web:3" })));
    const { task } = await pollUntilStopped(sim, out.tasks?.[0]?.taskArn ?? "", 10_000);
    expect(task.stopCode).toBe("TaskFailedToStart");
    expect(task.stoppedReason).toMatch(/^CannotPullContainerError: .*web:missing: not found$/);
    expect(task.containers?.[0]?.exitCode).toBeUndefined();
    expect(task.containers?.[0]?.reason).toBe(task.stoppedReason);
    expect(task.startedAt).toBeUndefined();
  });

  it("fails to start when the awslogs group is missing, unless the driver may create it", async () => {
    sim = await startSimulator({ scenario: migrationScenario() });
    const { ecs } = simulatorClients(sim);
    const withGroup = (group: string, create: boolean) => {
      const td = webTaskDefinition(`${REGISTRY}/web:2`, { family: `job-${create}` });
      const container = td.containerDefinitions[0] as {
        logConfiguration: { options: Record<string, string> };
      };
      container.logConfiguration.options["awslogs-group"] = group;
      if (create) container.logConfiguration.options["awslogs-create-group"] = "true";
      return td;
    };
    await ecs.send(new RegisterTaskDefinitionCommand(withGroup("/ecs/jobs", false) as never));
    await ecs.send(new RegisterTaskDefinitionCommand(withGroup("/ecs/jobs", true) as never));
    const command = { containerOverrides: [{ name: "app", command: ["npm", "run", "db:version"] }] };
    const missing = await ecs.send(
      new RunTaskCommand(migration({ taskDefinition: "job-false", overrides: command })),
    );
    const created = await ecs.send(
      new RunTaskCommand(migration({ taskDefinition: "job-true", overrides: command })),
    );
    const failed = (await pollUntilStopped(sim, missing.tasks?.[0]?.taskArn ?? "", 10_000)).task;
    expect(failed.stopCode).toBe("TaskFailedToStart");
    expect(failed.stoppedReason).toMatch(
      /^ResourceInitializationError: .*The specified log group does not exist/,
    );
    const ran = (await pollUntilStopped(sim, created.tasks?.[0]?.taskArn ?? "", 10_000)).task;
    expect(ran.containers?.[0]?.exitCode).toBe(0);
  });

  it("validates before starting anything: network configuration, overrides, placement", async () => {
    sim = await startSimulator({ scenario: migrationScenario() });
    const { ecs } = simulatorClients(sim);
    await expect(
      ecs.send(new RunTaskCommand(migration({ networkConfiguration: undefined }))),
    ).rejects.toMatchObject({
      name: "InvalidParameterException",
      message: "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    });
    await expect(
      ecs.send(new RunTaskCommand(migration({ overrides: { containerOverrides: [{ name: "migrator" }] } }))),
    ).rejects.toBeInstanceOf(InvalidParameterException);
    await expect(ecs.send(new RunTaskCommand(migration({ cluster: "prod" })))).rejects.toMatchObject({
      name: "ClusterNotFoundException",
    });
    // No launch type and no default capacity provider strategy means EC2, and there are no instances.
    const ec2 = await ecs.send(new RunTaskCommand(migration({ launchType: undefined })));
    expect(ec2.tasks).toEqual([]);
    expect(ec2.failures).toEqual([
      {
        arn: "arn:aws:ecs:eu-west-1:123456789012:cluster/default",
        reason: "No Container Instances were found in your cluster.",
      },
    ]);
    const spot = await ecs.send(
      new RunTaskCommand(
        migration({
          launchType: undefined,
          capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
        }),
      ),
    );
    expect(spot.tasks?.[0]).toMatchObject({ capacityProviderName: "FARGATE_SPOT" });
    expect(spot.tasks?.[0]?.launchType).toBeUndefined();
    const tasks = [...(sim.calls ?? [])].filter((c) => c.operation === "RunTask" && c.status === 200);
    expect(tasks).toHaveLength(2);
  });
});
