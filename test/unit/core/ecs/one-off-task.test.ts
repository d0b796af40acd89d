// The one-off ECS task and the CloudWatch Logs readers with SDK-level mocks and simulated time.
import {
  CloudWatchLogsClient,
  GetLogEventsCommand,
  ResourceNotFoundException,
} from "@aws-sdk/client-cloudwatch-logs";
import {
  ConflictException,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { LogStreamFollower, tailLogStream } from "../../../../packages/core/src/aws/logs";
import {
  describeTaskFailure,
  followTask,
  followTasks,
  TaskWaitTimeout,
} from "../../../../packages/core/src/ecs/one-off-follow";
import {
  awslogsStream,
  clientTokenFor,
  containerOverridesFor,
  type OneOffTaskRequest,
  placementFrom,
  runTaskInput,
  servicePlacement,
  startedByFor,
  startOneOffTasks,
  taskContainer,
} from "../../../../packages/core/src/ecs/one-off-task";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { CancelledError, UserError } from "../../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

const ecsMock = mockClient(ECSClient);
const logsMock = mockClient(CloudWatchLogsClient);
const ecs = new ECSClient({ region: "eu-west-1" });
const logs = new CloudWatchLogsClient({ region: "eu-west-1" });
const TASK = "arn:aws:ecs:eu-west-1:123456789012:task/prod/0123456789abcdef";

beforeEach(() => {
  ecsMock.reset();
  logsMock.reset();
});

function task(lastStatus: string, extra: Partial<Task> = {}, container: Record<string, unknown> = {}): Task {
  return {
    taskArn: TASK,
    lastStatus,
    containers: [{ name: "app", lastStatus, ...container }],
    ...extra,
  } as Task;
}

/** A log stream whose lines appear as the test pushes them; GetLogEvents pages 2 events at a time. */
function fakeStream(): string[] {
  const lines: string[] = [];
  logsMock
    .on(GetLogEventsCommand)
    .callsFake((input: { nextToken?: string; startFromHead?: boolean; limit?: number }) => {
      if (lines.length === 0 && !input.nextToken) {
        throw new ResourceNotFoundException({
          message: "The specified log stream does not exist.",
          $metadata: {},
        });
      }
      if (input.startFromHead === false) {
        const limit = input.limit ?? 10_000;
        return {
          events: lines.slice(-limit).map((message, i) => ({ timestamp: i, message })),
          nextForwardToken: `f/${lines.length}`,
        };
      }
      const from = input.nextToken ? Number(input.nextToken.slice(2)) : 0;
      const page = lines.slice(from, from + 2);
      return {
        events: page.map((message, i) => ({ timestamp: from + i, message: `${message}\n` })),
        nextForwardToken: `f/${from + page.length}`,
      };
    });
  return lines;
}

function follow(
  clock: SimulatedClock,
  logger: RecordingLogger,
  extra: { signal?: AbortSignal; timeoutMs?: number } = {},
) {
  return followTask(ecs, logs, {
    cluster: "prod",
    taskArn: TASK,
    container: "app",
    logStream: { group: "/ecs/shop", stream: "migrate/app/0123456789abcdef" },
    clock,
    logger,
    timeoutMs: extra.timeoutMs ?? 600_000,
    intervalMs: 5_000,
    tailLines: 3,
    actor: "shipline migrate",
    timeoutFix: "Raise `timeout`.",
    ...(extra.signal ? { signal: extra.signal } : {}),
  });
}

describe("servicePlacement", () => {
  it("copies the service's network configuration, capacity providers and platform version", async () => {
    const networkConfiguration = {
      awsvpcConfiguration: {
        subnets: ["subnet-a", "subnet-b"],
        securityGroups: ["sg-1"],
        assignPublicIp: "DISABLED" as const,
      },
    };
    ecsMock.on(DescribeServicesCommand).resolves({
      services: [
        {
          serviceArn: "arn:svc",
          serviceName: "web",
          status: "ACTIVE",
          taskDefinition: "arn:td:7",
          networkConfiguration,
          launchType: "FARGATE",
          capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
          platformVersion: "1.4.0",
        },
      ],
    });
    const placement = await servicePlacement(ecs, "prod", "web");
    expect(placement).toEqual({
      serviceArn: "arn:svc",
      taskDefinition: "arn:td:7",
      networkConfiguration,
      launchType: undefined,
      capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
      platformVersion: "1.4.0",
    });
  });

  it("names a missing service", async () => {
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [], failures: [{ arn: "web", reason: "MISSING" }] });
    await expect(servicePlacement(ecs, "prod", "web")).rejects.toThrow(
      /ECS service "web" was not found in cluster "prod" \(MISSING\)/,
    );
  });
});

describe("taskContainer", () => {
  const definitions = (containers: { name: string; log?: boolean; essential?: boolean }[]) =>
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:7",
        status: "ACTIVE",
        containerDefinitions: containers.map((c) => ({
          name: c.name,
          ...(c.essential !== undefined ? { essential: c.essential } : {}),
          ...(c.log
            ? {
                logConfiguration: {
                  logDriver: "awslogs",
                  options: { "awslogs-group": "/ecs/shop", "awslogs-stream-prefix": "migrate" },
                },
              }
            : {}),
        })),
      },
    });

  it("takes the only container and its awslogs settings", async () => {
    definitions([{ name: "app", log: true }]);
    expect(await taskContainer(ecs, "shop:7", undefined)).toEqual({
      taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:7",
      container: "app",
      containers: ["app"],
      logs: { group: "/ecs/shop", streamPrefix: "migrate" },
    });
  });

  it("takes the only essential container when the others are sidecars that may stop", async () => {
    definitions([{ name: "log-router", essential: false }, { name: "app" }]);
    expect(await taskContainer(ecs, "shop:7", undefined)).toMatchObject({
      container: "app",
      containers: ["log-router", "app"],
    });
  });

  it.each([
    ["a deregistered revision", "INACTIVE" as const],
    ["a revision being deleted", "DELETE_IN_PROGRESS" as const],
  ])("refuses %s (%s), naming the input: ECS starts no task of it", async (_, status) => {
    ecsMock.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: { status, containerDefinitions: [{ name: "app" }] },
    });
    const error = await taskContainer(ecs, "shop:3", undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toContain(`shop:3 is ${status}`);
    expect((error as UserError).input).toBe("task-definition");
  });

  it("asks which container when there are several, and names the ones there are", async () => {
    definitions([{ name: "app" }, { name: "envoy" }]);
    await expect(taskContainer(ecs, "shop:7", undefined, "runs the backfill")).rejects.toThrow(
      /has 2 containers \(app, envoy\); which one runs the backfill\?/,
    );
    await expect(taskContainer(ecs, "shop:7", "migrator")).rejects.toThrow(
      /has no container "migrator" \(it has app, envoy\)/,
    );
    expect((await taskContainer(ecs, "shop:7", "envoy")).logs).toBeUndefined();
  });
});

const TD = "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop:7";

function request(extra: Partial<OneOffTaskRequest> = {}): OneOffTaskRequest {
  const clientToken = clientTokenFor(["acme/shop", "1001", "1", "backfill"]);
  return {
    cluster: "prod",
    taskDefinitionArn: TD,
    containerOverrides: [{ name: "app", command: ["npm", "run", "backfill"] }],
    placement: {
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a"] } },
      launchType: "FARGATE",
      capacityProviderStrategy: undefined,
      platformVersion: "LATEST",
    },
    count: 1,
    tags: [],
    clientToken,
    startedBy: startedByFor(clientToken),
    ...extra,
  };
}

describe("placementFrom", () => {
  const service = {
    networkConfiguration: {
      awsvpcConfiguration: {
        subnets: ["subnet-a"],
        securityGroups: ["sg-web"],
        assignPublicIp: "DISABLED" as const,
      },
    },
    launchType: undefined,
    capacityProviderStrategy: [{ capacityProvider: "FARGATE_SPOT", weight: 1 }],
    platformVersion: "1.4.0",
  };

  it.each([
    ["keeps the service's settings when nothing is given", {}, service],
    [
      "replaces the subnets alone, keeping the security groups",
      { subnets: ["subnet-x"] },
      {
        ...service,
        networkConfiguration: {
          awsvpcConfiguration: {
            subnets: ["subnet-x"],
            securityGroups: ["sg-web"],
            assignPublicIp: "DISABLED",
          },
        },
      },
    ],
    [
      "a launch type given replaces the service's capacity providers",
      { launchType: "FARGATE" as const },
      { ...service, launchType: "FARGATE", capacityProviderStrategy: undefined },
    ],
    [
      "a platform version given wins",
      { platformVersion: "LATEST" },
      { ...service, platformVersion: "LATEST" },
    ],
  ])("%s", (_, given, expected) => {
    expect(placementFrom(service, given)).toEqual(expected);
  });

  it("builds a placement from the inputs alone, without a service", () => {
    expect(
      placementFrom(undefined, { subnets: ["subnet-a"], securityGroups: ["sg-1"], launchType: "FARGATE" }),
    ).toEqual({
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a"], securityGroups: ["sg-1"] } },
      launchType: "FARGATE",
      capacityProviderStrategy: undefined,
      platformVersion: undefined,
    });
  });
});

describe("containerOverridesFor", () => {
  const target = {
    taskDefinitionArn: TD,
    container: "app",
    containers: ["app", "envoy"],
    networkMode: "awsvpc",
    logs: undefined,
  };

  it("gives the command and unprefixed variables to the deciding container, sizes to the one named", () => {
    expect(
      containerOverridesFor(target, {
        command: ["npm", "run", "seed"],
        environment: [
          { container: undefined, name: "SEED", value: "demo" },
          { container: "envoy", name: "LOG", value: "warn" },
        ],
        cpu: { envoy: 128 },
        memory: { app: 2048 },
      }),
    ).toEqual([
      {
        name: "app",
        command: ["npm", "run", "seed"],
        environment: [{ name: "SEED", value: "demo" }],
        memory: 2048,
      },
      { name: "envoy", environment: [{ name: "LOG", value: "warn" }], cpu: 128 },
    ]);
  });

  it("asks for nothing when nothing is overridden", () => {
    expect(
      containerOverridesFor(target, { command: undefined, environment: [], cpu: {}, memory: {} }),
    ).toEqual([]);
  });

  it("names the input and the containers there are when one is unknown", () => {
    expect(() =>
      containerOverridesFor(target, {
        command: undefined,
        environment: [],
        cpu: { worker: 256 },
        memory: {},
      }),
    ).toThrow(
      /`cpu` names container "worker", which task definition \S+ does not have \(it has app, envoy\)/,
    );
  });
});

describe("startOneOffTasks", () => {
  const started = (extra: Partial<Task> = {}) =>
    ({
      ...task("PROVISIONING"),
      taskDefinitionArn: TD,
      startedBy: request().startedBy,
      overrides: { containerOverrides: [{ name: "app", command: ["npm", "run", "backfill"] }] },
      ...extra,
    }) as Task;

  it("sends only what was asked: overrides, placement, tags, count, the client token and startedBy", async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock.on(RunTaskCommand).resolves({ tasks: [started()] });
    const asked = request({ tags: [{ key: "purpose", value: "backfill" }] });
    const out = await startOneOffTasks(ecs, asked, new RecordingLogger());
    expect(out).toMatchObject({ resumed: false, tasks: [{ taskArn: TASK }] });
    expect(asked.clientToken).toMatch(/^[0-9a-f]{64}$/);
    expect(asked.startedBy).toHaveLength(36);
    expect(ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input).toEqual({
      cluster: "prod",
      taskDefinition: TD,
      count: 1,
      startedBy: asked.startedBy,
      clientToken: asked.clientToken,
      overrides: { containerOverrides: [{ name: "app", command: ["npm", "run", "backfill"] }] },
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a"] } },
      launchType: "FARGATE",
      platformVersion: "LATEST",
      tags: [{ key: "purpose", value: "backfill" }],
    });
  });

  it("looks for the tasks of an earlier run by the very startedBy RunTask tags them with", async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock.on(RunTaskCommand).resolves({ tasks: [started()] });
    await startOneOffTasks(ecs, request(), new RecordingLogger());
    const tagged = ecsMock.commandCalls(RunTaskCommand)[0]?.args[0].input.startedBy;
    const looked = ecsMock.commandCalls(ListTasksCommand).map((c) => c.args[0].input.startedBy);
    expect(looked).toEqual([tagged, tagged]);
  });

  it.each([
    ["longer than the 36 characters ECS keeps", `shipline-${"a".repeat(40)}`],
    ["with a character ECS refuses", "shipline:backfill"],
  ])("refuses a startedBy %s before asking ECS anything", async (_, startedBy) => {
    // A startedBy cut to fit when the task starts, but looked for uncut, would never find its task.
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock.on(RunTaskCommand).resolves({ tasks: [started({ startedBy: startedBy.slice(0, 36) })] });
    await expect(startOneOffTasks(ecs, request({ startedBy }), new RecordingLogger())).rejects.toThrow(
      /startedBy .* is not one ECS takes/,
    );
    expect(ecsMock.commandCalls(ListTasksCommand)).toEqual([]);
    expect(ecsMock.commandCalls(RunTaskCommand)).toEqual([]);
  });

  it("sends no overrides at all when none are asked for", () => {
    expect(runTaskInput(request({ containerOverrides: [] }))).not.toHaveProperty("overrides");
  });

  it("follows the tasks the same step already started instead of calling RunTask", async () => {
    ecsMock.on(ListTasksCommand, { desiredStatus: "STOPPED" }).resolves({ taskArns: [TASK] });
    ecsMock.on(ListTasksCommand, { desiredStatus: "RUNNING" }).resolves({ taskArns: [] });
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [started({ lastStatus: "STOPPED" })] });
    const logger = new RecordingLogger();
    const out = await startOneOffTasks(ecs, request(), logger);
    expect(out).toMatchObject({ resumed: true, tasks: [{ taskArn: TASK }] });
    expect(ecsMock.commandCalls(RunTaskCommand)).toEqual([]);
    expect(logger.text("info")).toMatch(
      /already started task \S+ .*following it instead of starting another/,
    );
  });

  it("refuses to follow tasks of the same step that ran another command, and starts nothing", async () => {
    ecsMock.on(ListTasksCommand, { desiredStatus: "RUNNING" }).resolves({ taskArns: [TASK] });
    ecsMock.on(ListTasksCommand, { desiredStatus: "STOPPED" }).resolves({ taskArns: [] });
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        started({ overrides: { containerOverrides: [{ name: "app", command: ["npm", "run", "seed"] }] } }),
      ],
    });
    const error = await startOneOffTasks(ecs, request(), new RecordingLogger()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      /already started task .* with other parameters \(container overrides\)/,
    );
    expect((error as UserError).fix).toMatch(/idempotency-key/);
    expect(ecsMock.commandCalls(RunTaskCommand)).toEqual([]);
  });

  it("turns ECS's ConflictException into an error naming the tasks the token started", async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock
      .on(RunTaskCommand)
      .rejects(new ConflictException({ message: "conflict", $metadata: {}, resourceIds: [TASK] }));
    const error = await startOneOffTasks(ecs, request(), new RecordingLogger()).catch((e: unknown) => e);
    expect((error as UserError).message).toContain(
      `already started task ${TASK} in cluster prod with other parameters`,
    );
  });

  it("explains a task ECS would not place", async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock
      .on(RunTaskCommand)
      .resolves({ tasks: [], failures: [{ arn: "arn:cluster", reason: "RESOURCE:MEMORY" }] });
    const error = await startOneOffTasks(ecs, request(), new RecordingLogger()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/ECS did not start the task: arn:cluster RESOURCE:MEMORY/);
  });

  it("stops the part of a set that started when the rest could not, and fails", async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock.on(RunTaskCommand).resolves({
      tasks: [started()],
      failures: [{ arn: "arn:cluster", reason: "Capacity is unavailable at this time." }],
    });
    ecsMock.on(StopTaskCommand).resolves({});
    const error = await startOneOffTasks(ecs, request({ count: 2 }), new RecordingLogger()).catch(
      (e: unknown) => e,
    );
    expect((error as UserError).message).toMatch(
      /did not start the 2 tasks: arn:cluster Capacity is unavailable/,
    );
    expect(ecsMock.commandCalls(StopTaskCommand)[0]?.args[0].input).toMatchObject({ task: TASK });
  });

  it("does not trust an answer naming another task definition", async () => {
    ecsMock.on(ListTasksCommand).resolves({ taskArns: [] });
    ecsMock.on(RunTaskCommand).resolves({ tasks: [started({ taskDefinitionArn: `${TD.slice(0, -1)}6` })] });
    ecsMock.on(StopTaskCommand).resolves({});
    const error = await startOneOffTasks(ecs, request(), new RecordingLogger()).catch((e: unknown) => e);
    expect((error as UserError).message).toMatch(/answered with task definition \S+shop:6, not \S+shop:7/);
  });
});

describe("followTask", () => {
  it("judges a task that had already stopped at the first poll, with its whole log", async () => {
    const lines = fakeStream();
    lines.push("applying 2 migrations", "applied 20240101_init", "applied 20240201_role");
    ecsMock
      .on(DescribeTasksCommand)
      .resolves({ tasks: [task("STOPPED", { stopCode: "EssentialContainerExited" }, { exitCode: 0 })] });
    const clock = new SimulatedClock();
    const logger = new RecordingLogger();
    const outcome = await follow(clock, logger);
    expect(outcome.succeeded).toBe(true);
    expect(ecsMock.commandCalls(DescribeTasksCommand)).toHaveLength(1);
    expect(logger.text("info")).toContain(
      "│ applying 2 migrations\n│ applied 20240101_init\n│ applied 20240201_role",
    );
  });

  it("follows PENDING straight to STOPPED without waiting for RUNNING, streaming lines as they arrive", async () => {
    const lines = fakeStream();
    const states = [
      task("PROVISIONING"),
      task("PENDING"),
      task(
        "STOPPED",
        { stopCode: "EssentialContainerExited", stoppedReason: "Essential container in task exited" },
        { exitCode: 1 },
      ),
    ];
    let poll = 0;
    ecsMock.on(DescribeTasksCommand).callsFake(() => {
      poll++;
      if (poll === 2) lines.push("migrating", "step 1 ok", "step 2 ok");
      if (poll === 3) lines.push('ERROR: column "role" contains null values');
      return { tasks: [states[Math.min(poll, states.length) - 1]] };
    });
    const clock = new SimulatedClock();
    const logger = new RecordingLogger();
    const outcome = await follow(clock, logger);
    expect(outcome.succeeded).toBe(false);
    expect(outcome.container.exitCode).toBe(1);
    expect(outcome.logTail.map((l) => l.message)).toEqual([
      "step 1 ok",
      "step 2 ok",
      'ERROR: column "role" contains null values',
    ]);
    expect(logger.text("progress")).toMatch(/PROVISIONING.*\n.*PENDING.*\n.*STOPPED/);
    const message = describeTaskFailure(outcome);
    expect(message).toMatch(
      /container "app" exit code 1\.\nstopCode: EssentialContainerExited\nstoppedReason: Essential container in task exited\nLast 3 log lines:/,
    );
  });

  it("fails a task that never started, with no exit code and the reason", async () => {
    fakeStream();
    ecsMock.on(DescribeTasksCommand).resolves({
      tasks: [
        task("STOPPED", {
          stopCode: "TaskFailedToStart",
          stoppedReason: "CannotPullContainerError: pull image manifest has been retried 5 time(s)",
        }),
      ],
    });
    const outcome = await follow(new SimulatedClock(), new RecordingLogger());
    expect(outcome.succeeded).toBe(false);
    expect(outcome.container.exitCode).toBeUndefined();
    expect(describeTaskFailure(outcome)).toMatch(
      /no exit code \(the container did not run to completion\)[\s\S]*CannotPullContainerError[\s\S]*wrote no log lines/,
    );
  });

  it("stops the task when the workflow is cancelled", async () => {
    fakeStream();
    const controller = new AbortController();
    let polls = 0;
    ecsMock.on(DescribeTasksCommand).callsFake(() => {
      if (++polls === 2) controller.abort(new CancelledError());
      return { tasks: [task("RUNNING")] };
    });
    ecsMock.on(StopTaskCommand).resolves({});
    const error = await follow(new SimulatedClock(), new RecordingLogger(), {
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect(ecsMock.commandCalls(StopTaskCommand)[0]?.args[0].input).toMatchObject({
      cluster: "prod",
      task: TASK,
      reason: "The GitHub workflow run was cancelled.",
    });
  });

  it("stops the task at the timeout and shows the log tail", async () => {
    const lines = fakeStream();
    lines.push("waiting for lock on accounts");
    ecsMock.on(DescribeTasksCommand).resolves({ tasks: [task("RUNNING")] });
    ecsMock.on(StopTaskCommand).resolves({});
    const clock = new SimulatedClock();
    const error = await follow(clock, new RecordingLogger(), { timeoutMs: 60_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TaskWaitTimeout);
    expect((error as TaskWaitTimeout).outcomes).toMatchObject([{ taskArn: TASK, lastStatus: "RUNNING" }]);
    expect(ecsMock.commandCalls(StopTaskCommand)[0]?.args[0].input.reason).toBe(
      "shipline migrate timeout of 1m reached.",
    );
    expect((error as UserError).message).toMatch(
      /did not stop within 1m, so it was stopped\. The last 1 log lines:\nwaiting for lock on accounts/,
    );
    expect(ecsMock.commandCalls(StopTaskCommand)).toHaveLength(1);
    expect(ecsMock.commandCalls(DescribeTasksCommand).length).toBeLessThanOrEqual(14);
  });
});

describe("followTasks", () => {
  const SECOND = "arn:aws:ecs:eu-west-1:123456789012:task/prod/fedcba9876543210";

  it("follows several tasks until every one stopped, and judges each by its own exit code", async () => {
    fakeStream();
    let poll = 0;
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => {
      poll++;
      const first = task(poll >= 2 ? "STOPPED" : "RUNNING", {}, poll >= 2 ? { exitCode: 0 } : {});
      const second = {
        ...task(poll >= 3 ? "STOPPED" : "RUNNING", {}, poll >= 3 ? { exitCode: 2 } : {}),
        taskArn: SECOND,
      };
      return { tasks: [first, second].filter((t) => input.tasks.includes(t.taskArn ?? "")) };
    });
    const outcomes = await followTasks(ecs, logs, {
      cluster: "prod",
      tasks: [
        { taskArn: TASK, logStream: undefined },
        { taskArn: SECOND, logStream: undefined },
      ],
      container: "app",
      clock: new SimulatedClock(),
      logger: new RecordingLogger(),
      timeoutMs: 600_000,
      intervalMs: 5_000,
      tailLines: 3,
      actor: "shipline run-task",
      timeoutFix: "Raise `timeout`.",
    });
    expect(outcomes.map((o) => [o.taskArn, o.container.exitCode, o.succeeded])).toEqual([
      [TASK, 0, true],
      [SECOND, 2, false],
    ]);
    // A stopped task is not asked about again.
    expect(ecsMock.commandCalls(DescribeTasksCommand)[2]?.args[0].input.tasks).toEqual([SECOND]);
  });

  it("shows each log line marked as the task's, tagged by task when there are several", async () => {
    const lines = fakeStream();
    lines.push("shard starting");
    ecsMock.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
      tasks: input.tasks.map((arn) => ({ ...task("STOPPED", {}, { exitCode: 0 }), taskArn: arn })),
    }));
    const logger = new RecordingLogger();
    const stream = { group: "/ecs/shop", stream: "backfill/app/x" };
    await followTasks(ecs, logs, {
      cluster: "prod",
      tasks: [
        { taskArn: TASK, logStream: stream },
        { taskArn: SECOND, logStream: stream },
      ],
      container: "app",
      clock: new SimulatedClock(),
      logger,
      timeoutMs: 600_000,
      intervalMs: 5_000,
      tailLines: 3,
      actor: "shipline run-task",
      timeoutFix: "Raise `timeout`.",
    });
    expect(logger.lines.filter((l) => l.level === "info").map((l) => l.message)).toEqual([
      "│ [01234567] shard starting",
      "│ [fedcba98] shard starting",
    ]);
  });

  it("says now and then that a long quiet task still runs, with how many lines it wrote", async () => {
    const lines = fakeStream();
    lines.push("backfilled 1000 rows");
    let poll = 0;
    ecsMock.on(DescribeTasksCommand).callsFake(() => {
      poll++;
      return { tasks: [poll > 30 ? task("STOPPED", {}, { exitCode: 0 }) : task("RUNNING")] };
    });
    const logger = new RecordingLogger();
    await follow(new SimulatedClock(), logger);
    const progress = logger.text("progress").split("\n");
    // One line when it was first seen RUNNING, one a minute (every 12th poll of 5 s) while nothing changed.
    expect(
      progress.filter((l) => /RUNNING \(container RUNNING\), \S+, 1 log lines so far$/.test(l)),
    ).toHaveLength(2);
    expect(progress.at(-1)).toMatch(/STOPPED/);
  });
});

describe("CloudWatch Logs readers", () => {
  it("tails the last lines of a stream, and a missing stream has none", async () => {
    const lines = fakeStream();
    expect(await tailLogStream(logs, { group: "g", stream: "s", limit: 2 })).toEqual([]);
    lines.push("a", "b", "c");
    expect((await tailLogStream(logs, { group: "g", stream: "s", limit: 2 })).map((l) => l.message)).toEqual([
      "b",
      "c",
    ]);
  });

  it("follows a stream across pages, returning only what is new each time", async () => {
    const lines = fakeStream();
    const follower = new LogStreamFollower(logs, { group: "g", stream: "s" });
    expect(await follower.read()).toEqual([]);
    lines.push("1", "2", "3", "4", "5");
    expect((await follower.read()).map((l) => l.message)).toEqual(["1", "2", "3", "4", "5"]);
    expect(await follower.read()).toEqual([]);
    lines.push("6");
    expect((await follower.read()).map((l) => l.message)).toEqual(["6"]);
    expect(follower.recent(2).map((l) => l.message)).toEqual(["5", "6"]);
  });

  it("names awslogs streams as ECS does", () => {
    expect(awslogsStream("migrate", "app", TASK)).toBe("migrate/app/0123456789abcdef");
  });
});
