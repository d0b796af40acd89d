// The rollout follower: the verdict of each observation (service deployment status first, rolloutState
// without that API), the progress line, and polling in simulated time with SDK-level mocks.
import {
  type Deployment,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  ECSClient,
  type Service,
  type ServiceDeployment,
} from "@aws-sdk/client-ecs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  followRollout,
  judgeRollout,
  progressLine,
  type RolloutWatch,
  startedDeployment,
} from "../../../../packages/core/src/ecs/rollout";
import { ServiceDeploymentsApi } from "../../../../packages/core/src/ecs/service-deployments";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import { PollTimeoutError } from "../../../../packages/core/src/runtime/poller";

const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
const SD = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/abc";

const watch: RolloutWatch = {
  cluster: "prod",
  service: "web",
  taskDefinitionArn: TD(2),
  serviceDeploymentArn: SD,
  deploymentId: "ecs-svc/2",
  startedAt: 0,
  knownEventIds: ["e0"],
  mode: "deploy",
};

function deployment(id: string, n: number, extra: Partial<Deployment> = {}): Deployment {
  return {
    id,
    status: "PRIMARY",
    taskDefinition: TD(n),
    desiredCount: 3,
    runningCount: 0,
    pendingCount: 0,
    failedTasks: 0,
    rolloutState: "IN_PROGRESS",
    ...extra,
  };
}

function service(deployments: Deployment[], extra: Partial<Service> = {}): Service {
  return {
    serviceName: "web",
    taskDefinition: deployments.find((d) => d.status === "PRIMARY")?.taskDefinition,
    desiredCount: 3,
    deployments,
    deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
    events: [],
    ...extra,
  };
}

function sd(status: ServiceDeployment["status"], extra: Partial<ServiceDeployment> = {}): ServiceDeployment {
  return { serviceDeploymentArn: SD, status, ...extra };
}

describe("judgeRollout with the service deployments API", () => {
  const rolling = service([
    deployment("ecs-svc/2", 2),
    deployment("ecs-svc/1", 1, { status: "ACTIVE", rolloutState: "COMPLETED" }),
  ]);
  it.each([
    ["PENDING", "in-progress"],
    ["IN_PROGRESS", "in-progress"],
    ["ROLLBACK_REQUESTED", "failed"],
    ["ROLLBACK_IN_PROGRESS", "failed"],
    ["ROLLBACK_SUCCESSFUL", "failed"],
    ["ROLLBACK_FAILED", "failed"],
    ["STOP_REQUESTED", "failed"],
    ["STOPPED", "failed"],
  ] as const)("%s is %s", (status, state) => {
    expect(judgeRollout(watch, { service: rolling, serviceDeployment: sd(status) }).state).toBe(state);
  });

  it("succeeds on SUCCESSFUL when the service runs the new revision", () => {
    const done = service([deployment("ecs-svc/2", 2, { rolloutState: "COMPLETED" })]);
    expect(judgeRollout(watch, { service: done, serviceDeployment: sd("SUCCESSFUL") })).toMatchObject({
      state: "succeeded",
      reason: "ECS reports the service deployment SUCCESSFUL on web:2.",
    });
  });

  it("does not call SUCCESSFUL a success when another revision replaced it", () => {
    const replaced = service([deployment("ecs-svc/3", 3)]);
    expect(judgeRollout(watch, { service: replaced, serviceDeployment: sd("SUCCESSFUL") })).toMatchObject({
      state: "failed",
      reason: expect.stringContaining("now runs web:3"),
    });
  });

  it("says plainly why ECS is rolling back", () => {
    const verdict = judgeRollout(watch, {
      service: rolling,
      serviceDeployment: sd("ROLLBACK_IN_PROGRESS", {
        rollback: {
          reason: "Service deployment rolled back because the circuit breaker threshold was exceeded.",
        },
      }),
    });
    expect(verdict).toEqual({
      state: "failed",
      status: "ROLLBACK_IN_PROGRESS",
      reason:
        "ECS is rolling the deployment of web:2 back (ROLLBACK_IN_PROGRESS): Service deployment rolled back because the circuit breaker threshold was exceeded.",
    });
  });

  it("in rollback mode succeeds only on ROLLBACK_SUCCESSFUL back on the target", () => {
    const back = { ...watch, mode: "rollback" as const, taskDefinitionArn: TD(1) };
    const onOne = service([deployment("ecs-svc/9", 1, { rolloutState: "COMPLETED" })]);
    expect(judgeRollout(back, { service: onOne, serviceDeployment: sd("ROLLBACK_IN_PROGRESS") }).state).toBe(
      "in-progress",
    );
    expect(judgeRollout(back, { service: onOne, serviceDeployment: sd("ROLLBACK_SUCCESSFUL") }).state).toBe(
      "succeeded",
    );
    expect(judgeRollout(back, { service: onOne, serviceDeployment: sd("ROLLBACK_FAILED") }).state).toBe(
      "failed",
    );
  });
});

describe("judgeRollout without the service deployments API", () => {
  const noApi = { ...watch, serviceDeploymentArn: undefined };
  it("follows the deployment's rolloutState", () => {
    expect(judgeRollout(noApi, { service: service([deployment("ecs-svc/2", 2)]) }).state).toBe("in-progress");
    expect(
      judgeRollout(noApi, { service: service([deployment("ecs-svc/2", 2, { rolloutState: "COMPLETED" })]) })
        .state,
    ).toBe("succeeded");
  });

  it("fails when the circuit breaker rolled back: the failed deployment is ACTIVE, an older revision PRIMARY", () => {
    const rolledBack = service([
      deployment("ecs-svc/3", 1, {
        rolloutStateReason: "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1.",
      }),
      deployment("ecs-svc/2", 2, {
        status: "ACTIVE",
        rolloutState: "FAILED",
        rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
      }),
    ]);
    const verdict = judgeRollout(noApi, { service: rolledBack });
    expect(verdict.state).toBe("failed");
    expect(verdict.state === "failed" && verdict.reason).toContain(
      "ECS deployment circuit breaker: tasks failed to start. ECS rolled back",
    );
  });

  it("fails on FAILED without rollback, and when the deployment was replaced", () => {
    expect(
      judgeRollout(noApi, { service: service([deployment("ecs-svc/2", 2, { rolloutState: "FAILED" })]) })
        .state,
    ).toBe("failed");
    const replaced = service([deployment("ecs-svc/3", 3), deployment("ecs-svc/2", 2, { status: "ACTIVE" })]);
    expect(judgeRollout(noApi, { service: replaced })).toMatchObject({
      state: "failed",
      reason: expect.stringContaining("replaced by deployment ecs-svc/3 (web:3)"),
    });
  });

  it("in scale mode waits for every task of the desired count", () => {
    const scale = { ...noApi, mode: "scale" as const };
    const settled = deployment("ecs-svc/2", 2, { rolloutState: "COMPLETED", runningCount: 3 });
    expect(
      judgeRollout(scale, { service: service([settled], { runningCount: 2, pendingCount: 1 }) }).state,
    ).toBe("in-progress");
    expect(
      judgeRollout(scale, { service: service([settled], { runningCount: 3, pendingCount: 0 }) }).state,
    ).toBe("succeeded");
  });
});

describe("progressLine", () => {
  it("shows counts, circuit-breaker failures against the threshold, stage and status", () => {
    const line = progressLine(watch, {
      service: service([deployment("ecs-svc/2", 2)]),
      serviceDeployment: sd("IN_PROGRESS", {
        lifecycleStage: "SCALE_UP",
        targetServiceRevision: { requestedTaskCount: 3, runningTaskCount: 2, pendingTaskCount: 1 },
        deploymentCircuitBreaker: { status: "MONITORING", failureCount: 1, threshold: 3 },
      }),
    });
    expect(line).toBe("web: 2/3 running, 1 pending · failed tasks 1/3 · stage SCALE_UP · IN_PROGRESS");
  });

  it("shows the production traffic share of a blue/green deployment and the breaker from deployments[]", () => {
    expect(
      progressLine(watch, {
        service: service([deployment("ecs-svc/2", 2)]),
        serviceDeployment: sd("IN_PROGRESS", {
          lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT",
          sourceServiceRevisions: [{ arn: "blue" }],
          targetServiceRevision: {
            requestedTaskCount: 2,
            runningTaskCount: 2,
            pendingTaskCount: 0,
            requestedProductionTrafficWeight: 100,
          },
        }),
      }),
    ).toBe(
      "web: 2/2 running, 0 pending · failed tasks 0/3 · production traffic 100 % · stage PRODUCTION_TRAFFIC_SHIFT · IN_PROGRESS",
    );
    expect(
      progressLine(
        { ...watch, serviceDeploymentArn: undefined },
        { service: service([deployment("ecs-svc/2", 2, { runningCount: 1, failedTasks: 2 })]) },
      ),
    ).toBe("web: 1/3 running, 0 pending · failed tasks 2/3 · IN_PROGRESS");
  });
});

describe("followRollout", () => {
  const ecsMock = mockClient(ECSClient);
  const ecs = new ECSClient({ region: "eu-west-1" });
  beforeEach(() => ecsMock.reset());

  function script(steps: { service: Service; sd: ServiceDeployment }[]): void {
    // Step i is what ECS says at poll i; the service deployment is read only when the service changed.
    let i = -1;
    ecsMock.on(DescribeServicesCommand).callsFake(() => {
      i++;
      return { services: [(steps[Math.min(i, steps.length - 1)] as { service: Service }).service] };
    });
    ecsMock.on(DescribeServiceDeploymentsCommand).callsFake(() => {
      const step = steps[Math.min(i, steps.length - 1)] as { sd: ServiceDeployment };
      return { serviceDeployments: [step.sd] };
    });
  }

  it("writes one progress line per change and every new event once, then succeeds", async () => {
    const event = (id: string, message: string) => ({ id, message, createdAt: new Date() });
    const old = event("e0", "(service web) has reached a steady state.");
    const started = event("e1", "(service web) has started 3 tasks: (task a) (task b) (task c).");
    const done = event("e2", "(service web) (deployment ecs-svc/2) deployment completed.");
    const inProgress = {
      service: service([deployment("ecs-svc/2", 2)], { events: [started, old] }),
      sd: sd("IN_PROGRESS"),
    };
    script([
      inProgress,
      inProgress,
      inProgress,
      {
        service: service([deployment("ecs-svc/2", 2, { rolloutState: "COMPLETED", runningCount: 3 })], {
          events: [done, started, old],
        }),
        sd: sd("SUCCESSFUL"),
      },
    ]);
    const logger = new RecordingLogger();
    const clock = new SimulatedClock();
    const result = await followRollout(ecs, new ServiceDeploymentsApi(ecs, logger), watch, {
      clock,
      logger,
      intervalMs: 5_000,
      timeoutMs: 60_000,
    });
    expect(result.outcome).toBe("succeeded");
    expect(result.polls).toBe(4);
    expect(result.events.map((e) => e.id)).toEqual(["e1", "e2"]);
    const progress = logger.lines.filter((l) => l.level === "progress").map((l) => l.message);
    expect(progress).toEqual([
      "web event: (service web) has started 3 tasks: (task a) (task b) (task c).",
      "web: 0/3 running, 0 pending · failed tasks 0/3 · IN_PROGRESS",
      "web event: (service web) (deployment ecs-svc/2) deployment completed.",
      "web: 3/3 running, 0 pending · failed tasks 0/3 · SUCCESSFUL",
    ]);
    expect(clock.sleeps).toEqual([5_000, 5_000, 5_000]);
  });

  it("reads a rollout it just started one interval later, and one in flight at once", async () => {
    const done = {
      service: service([deployment("ecs-svc/2", 2, { rolloutState: "COMPLETED", runningCount: 3 })]),
      sd: sd("SUCCESSFUL"),
    };
    for (const [justStarted, firstReadAt] of [
      [true, 5_000],
      [false, 0],
    ] as const) {
      ecsMock.reset();
      const clock = new SimulatedClock(0);
      const readAt: number[] = [];
      ecsMock.on(DescribeServicesCommand).callsFake(() => {
        readAt.push(clock.now());
        return { services: [done.service] };
      });
      ecsMock.on(DescribeServiceDeploymentsCommand).resolves({ serviceDeployments: [done.sd] });
      const logger = new RecordingLogger();
      const result = await followRollout(ecs, new ServiceDeploymentsApi(ecs, logger), watch, {
        clock,
        logger,
        intervalMs: 5_000,
        timeoutMs: 60_000,
        justStarted,
      });
      expect(result.outcome).toBe("succeeded");
      expect(readAt).toEqual([firstReadAt]);
    }
  });

  it("rides out a failed read, but not three in a row", async () => {
    let calls = 0;
    ecsMock.on(DescribeServicesCommand).callsFake(() => {
      calls++;
      if (calls === 2) throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
      return {
        services: [
          service([deployment("ecs-svc/2", 2, { rolloutState: calls > 2 ? "COMPLETED" : "IN_PROGRESS" })]),
        ],
      };
    });
    ecsMock
      .on(DescribeServiceDeploymentsCommand)
      .callsFake(() => ({ serviceDeployments: [sd(calls > 2 ? "SUCCESSFUL" : "IN_PROGRESS")] }));
    const logger = new RecordingLogger();
    const result = await followRollout(ecs, new ServiceDeploymentsApi(ecs, logger), watch, {
      clock: new SimulatedClock(),
      logger,
      intervalMs: 1_000,
      timeoutMs: 60_000,
    });
    expect(result.outcome).toBe("succeeded");
    expect(logger.text("warning")).toContain(
      "reading the rollout failed (Rate exceeded); trying again at the next poll",
    );

    ecsMock.reset();
    ecsMock
      .on(DescribeServicesCommand)
      .rejects(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
    await expect(
      followRollout(ecs, new ServiceDeploymentsApi(ecs, logger), watch, {
        clock: new SimulatedClock(),
        logger,
        intervalMs: 1_000,
        timeoutMs: 60_000,
        toleratedFailures: 2,
      }),
    ).rejects.toThrow("Rate exceeded");
  });

  it("gives up at the deadline with PollTimeoutError", async () => {
    script([{ service: service([deployment("ecs-svc/2", 2)]), sd: sd("IN_PROGRESS") }]);
    const logger = new RecordingLogger();
    await expect(
      followRollout(ecs, new ServiceDeploymentsApi(ecs, logger), watch, {
        clock: new SimulatedClock(),
        logger,
        intervalMs: 5_000,
        timeoutMs: 30_000,
      }),
    ).rejects.toBeInstanceOf(PollTimeoutError);
  });

  it("falls back to rolloutState after one AccessDenied, without asking again", async () => {
    ecsMock
      .on(DescribeServicesCommand)
      .resolves({ services: [service([deployment("ecs-svc/2", 2, { rolloutState: "COMPLETED" })])] });
    ecsMock
      .on(DescribeServiceDeploymentsCommand)
      .rejects(Object.assign(new Error("not authorized"), { name: "AccessDeniedException" }));
    const logger = new RecordingLogger();
    const api = new ServiceDeploymentsApi(ecs, logger);
    const result = await followRollout(ecs, api, watch, {
      clock: new SimulatedClock(),
      logger,
      intervalMs: 1_000,
      timeoutMs: 10_000,
    });
    expect(result).toMatchObject({ outcome: "succeeded", status: "COMPLETED" });
    expect(api.available).toBe(false);
    expect(await api.describe(SD)).toBeUndefined();
    expect(ecsMock.commandCalls(DescribeServiceDeploymentsCommand)).toHaveLength(1);
  });
});

describe("the rollout's own service deployment", () => {
  const ecsMock = mockClient(ECSClient);
  const ecs = new ECSClient({ region: "eu-west-1" });
  beforeEach(() => ecsMock.reset());
  const OLD = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/old";
  const NEW = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/new";
  const OTHER = "arn:aws:ecs:eu-west-1:123456789012:service-deployment/prod/web/other";
  const fresh: RolloutWatch = {
    ...watch,
    serviceDeploymentArn: undefined,
    deploymentId: undefined,
    replaced: { serviceDeploymentArn: OLD, deploymentIds: ["ecs-svc/1"] },
  };

  /** DescribeServices names `current[i]` at poll i; each service deployment has a status per poll. */
  function world(current: string[], statuses: Record<string, ServiceDeployment["status"][]>) {
    let poll = 0;
    const revisionOf: Record<string, number> = { [OLD]: 1, [NEW]: 2, [OTHER]: 3 };
    const statusAt = (arn: string, at: number) => {
      const list = statuses[arn] ?? [];
      return list[Math.min(at, list.length - 1)];
    };
    ecsMock.on(DescribeServicesCommand).callsFake(() => {
      const arn = current[Math.min(poll, current.length - 1)] ?? "";
      // When the new one ends SUCCESSFUL, the old deployment is gone from deployments[], as in ECS.
      const settled = arn === NEW && statusAt(NEW, poll) === "SUCCESSFUL";
      poll++;
      return {
        services: [
          service(
            settled
              ? [deployment("ecs-svc/2", 2, { rolloutState: "COMPLETED", runningCount: 3 })]
              : [
                  deployment("ecs-svc/2", 2),
                  deployment("ecs-svc/1", 1, { status: "ACTIVE", rolloutState: "COMPLETED" }),
                ],
            { currentServiceDeployment: arn },
          ),
        ],
      };
    });
    ecsMock.on(DescribeServiceDeploymentsCommand).callsFake((input: { serviceDeploymentArns: string[] }) => {
      const arn = input.serviceDeploymentArns[0] ?? "";
      const list = statuses[arn] ?? [];
      return {
        serviceDeployments: [
          {
            serviceDeploymentArn: arn,
            status: list[Math.min(poll - 1, list.length - 1)],
            targetServiceRevision: { arn: `rev-${revisionOf[arn]}` },
          },
        ],
      };
    });
    ecsMock.on(DescribeServiceRevisionsCommand).callsFake((input: { serviceRevisionArns: string[] }) => ({
      serviceRevisions: input.serviceRevisionArns.map((arn) => ({
        serviceRevisionArn: arn,
        taskDefinition: TD(Number(arn.split("-")[1])),
      })),
    }));
  }

  function follow(w: RolloutWatch) {
    const logger = new RecordingLogger();
    return followRollout(ecs, new ServiceDeploymentsApi(ecs, logger), w, {
      clock: new SimulatedClock(),
      logger,
      intervalMs: 5_000,
      timeoutMs: 120_000,
    });
  }

  const described = () =>
    ecsMock
      .commandCalls(DescribeServiceDeploymentsCommand)
      .map((c) => c.args[0].input.serviceDeploymentArns?.[0]);

  it("never takes the replaced one's SUCCESSFUL while ECS still reports it as current", async () => {
    world([OLD, OLD, NEW, NEW], {
      [OLD]: ["SUCCESSFUL"],
      [NEW]: ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "SUCCESSFUL"],
    });
    const found: string[] = [];
    const logger = new RecordingLogger();
    const result = await followRollout(ecs, new ServiceDeploymentsApi(ecs, logger), fresh, {
      clock: new SimulatedClock(),
      logger,
      intervalMs: 5_000,
      timeoutMs: 120_000,
      onServiceDeployment: (arn) => found.push(arn),
    });
    expect(result).toMatchObject({ outcome: "succeeded", serviceDeploymentArn: NEW, polls: 4 });
    expect(described()).not.toContain(OLD);
    expect(new Set(found)).toEqual(new Set([NEW]));
    // The target revision is read once, whatever the number of polls.
    expect(ecsMock.commandCalls(DescribeServiceRevisionsCommand)).toHaveLength(1);
  });

  it("leaves a service deployment whose target revision is another task definition", async () => {
    world([OTHER, OTHER, NEW, NEW], {
      [OTHER]: ["SUCCESSFUL"],
      [NEW]: ["IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS", "SUCCESSFUL"],
    });
    const result = await follow({ ...fresh, replaced: undefined });
    expect(result).toMatchObject({ outcome: "succeeded", serviceDeploymentArn: NEW, polls: 4 });
    expect(described().filter((arn) => arn === OTHER)).toHaveLength(1);
  });

  it("fails while waiting for it when deployments[] already shows the new rollout FAILED", () => {
    const failed = service(
      [
        deployment("ecs-svc/2", 2, { rolloutState: "FAILED", rolloutStateReason: "tasks failed to start." }),
        deployment("ecs-svc/1", 1, { status: "ACTIVE", rolloutState: "COMPLETED" }),
      ],
      { currentServiceDeployment: OLD },
    );
    expect(judgeRollout(fresh, { service: failed, awaitingServiceDeployment: true })).toMatchObject({
      state: "failed",
      reason: "tasks failed to start.",
    });
    const settledOnOld = service([deployment("ecs-svc/1", 2, { rolloutState: "COMPLETED" })]);
    expect(judgeRollout(fresh, { service: settledOnOld, awaitingServiceDeployment: true }).state).toBe(
      "in-progress",
    );
  });

  it("without the API, is not the replaced deployment even when it runs the same revision (force-new-deployment)", () => {
    const forced = { ...fresh, replaced: { serviceDeploymentArn: undefined, deploymentIds: ["ecs-svc/1"] } };
    const onlyOld = service([deployment("ecs-svc/1", 2, { rolloutState: "COMPLETED", runningCount: 3 })]);
    expect(judgeRollout(forced, { service: onlyOld }).state).toBe("in-progress");
    const newOne = service([deployment("ecs-svc/9", 2, { rolloutState: "COMPLETED", runningCount: 3 })]);
    expect(judgeRollout(forced, { service: newOne }).state).toBe("succeeded");
  });

  it.each([
    ["names the new one", NEW, "ecs-svc/2", { serviceDeploymentArn: NEW, deploymentId: "ecs-svc/2" }],
    [
      "still names the replaced one",
      OLD,
      "ecs-svc/1",
      { serviceDeploymentArn: undefined, deploymentId: undefined },
    ],
  ])("startedDeployment: an UpdateService response that %s", (_what, current, primaryId, expected) => {
    const before = service([deployment("ecs-svc/1", 1, { rolloutState: "COMPLETED" })], {
      currentServiceDeployment: OLD,
    });
    const after = service(
      [
        deployment(primaryId, primaryId === "ecs-svc/1" ? 1 : 2),
        deployment("ecs-svc/1", 1, { status: "ACTIVE" }),
      ],
      { currentServiceDeployment: current },
    );
    expect(startedDeployment(before, after, TD(2), true)).toEqual({
      ...expected,
      replaced: { serviceDeploymentArn: OLD, deploymentIds: ["ecs-svc/1"] },
    });
  });

  it("startedDeployment: a desired count alone keeps following the rollout in flight", () => {
    const inFlight = service(
      [
        deployment("ecs-svc/2", 2),
        deployment("ecs-svc/1", 1, { status: "ACTIVE", rolloutState: "COMPLETED" }),
      ],
      { currentServiceDeployment: NEW },
    );
    expect(startedDeployment(inFlight, inFlight, TD(2), false)).toEqual({
      serviceDeploymentArn: NEW,
      deploymentId: "ecs-svc/2",
    });
  });
});

describe("judgeRollout when the failed deployment drained away between two polls", () => {
  it("tells what ECS said about it from the service events", () => {
    const gone = service([deployment("ecs-svc/3", 1, { rolloutState: "COMPLETED" })], {
      events: [
        {
          id: "e3",
          message:
            "(service web) (deployment ecs-svc/3) rolling back deployment ecs-svc/2 to task definition web:1 (deployment ecs-svc/1).",
        },
        {
          id: "e2",
          message: "(service web) (deployment ecs-svc/2) deployment failed: tasks failed to start.",
        },
      ],
    });
    const verdict = judgeRollout({ ...watch, serviceDeploymentArn: undefined }, { service: gone });
    expect(verdict).toEqual({
      state: "failed",
      status: "FAILED",
      reason:
        "The deployment of web:2 is no longer listed; the service runs web:1. ECS said: (service web) (deployment ecs-svc/2) deployment failed: tasks failed to start. (service web) (deployment ecs-svc/3) rolling back deployment ecs-svc/2 to task definition web:1 (deployment ecs-svc/1).",
    });
  });
});

describe("judgeRollout: success needs the PRIMARY deployment on the new revision, its tasks running", () => {
  const noApi = { ...watch, serviceDeploymentArn: undefined, deploymentId: undefined };
  it("is not fooled by service.taskDefinition when the PRIMARY deployment still runs the old revision", () => {
    // A server that took forceNewDeployment without starting a deployment: the service names web:2,
    // its only (PRIMARY, COMPLETED) deployment still runs web:1.
    const stale = service([deployment("ecs-svc/1", 1, { rolloutState: "COMPLETED", runningCount: 3 })], {
      taskDefinition: TD(2),
    });
    // No deployment of web:2 exists: a failure that says what runs, not a false success.
    expect(judgeRollout(noApi, { service: stale })).toEqual({
      state: "failed",
      status: "GONE",
      reason: "The deployment of web:2 is no longer listed; the service runs web:1.",
    });
  });

  it("passes once the PRIMARY deployment runs the new revision with all its tasks", () => {
    const done = service([deployment("ecs-svc/2", 2, { rolloutState: "COMPLETED", runningCount: 3 })]);
    expect(judgeRollout(noApi, { service: done }).state).toBe("succeeded");
  });

  it("does not take SUCCESSFUL from the service deployments API while the PRIMARY runs the old revision", () => {
    const stale = service([deployment("ecs-svc/1", 1, { rolloutState: "COMPLETED", runningCount: 3 })], {
      taskDefinition: TD(2),
    });
    const judged = judgeRollout(watch, { service: stale, serviceDeployment: sd("SUCCESSFUL") });
    expect(judged.state).toBe("failed");
    expect(judged).toMatchObject({ reason: expect.stringMatching(/runs web:1, not web:2/) });
  });
});
