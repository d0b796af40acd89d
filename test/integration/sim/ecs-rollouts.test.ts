// Rolling deployments of the ECS simulator, driven only through the real SDK clients (manual clock).
import { GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateServiceCommand,
  type Deployment,
  DescribeServiceDeploymentsCommand,
  DescribeServiceRevisionsCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type ServiceDeployment,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../sim/index";
import { deployWeb, describeWeb, simulatorClients } from "./clients";
import { NETWORK, REGISTRY, TG, webScenario, webTaskDefinition } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

/** web's deployments[] (PRIMARY first) as the simulator holds them now. */
function deploymentsOf(s: Simulator) {
  return s.ecs.service("web").deployments ?? [];
}

/**
 * Runs the clock until web settles on one COMPLETED deployment, recording the most tasks the rollout
 * wanted at once and the fewest of them that were healthy (RUNNING and a healthy target).
 */
function watchRollout(s: Simulator, limitMs: number): { done: boolean; peak: number; lowestHealthy: number } {
  let peak = 0;
  let lowestHealthy = Number.POSITIVE_INFINITY;
  const done = s.runUntil(() => {
    const wanted = s.ecs.tasks({ service: "web", desiredStatus: "RUNNING" });
    const healthy = new Set(
      s.elbv2
        .targets(TG)
        .filter((t) => t.state === "healthy")
        .map((t) => t.taskArn),
    );
    peak = Math.max(peak, wanted.length);
    lowestHealthy = Math.min(
      lowestHealthy,
      wanted.filter((t) => t.lastStatus === "RUNNING" && healthy.has(t.taskArn ?? "")).length,
    );
    const deployments = deploymentsOf(s);
    return deployments.length === 1 && deployments[0]?.rolloutState === "COMPLETED";
  }, limitMs);
  return { done, peak, lowestHealthy };
}

describe("rolling deployments", () => {
  it("rolls a new task definition out in batches within maximumPercent and completes with one deployment", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    const before = await describeWeb(sim);
    expect(before).toMatchObject({ runningCount: 3, desiredCount: 3, status: "ACTIVE" });
    expect(before.deployments).toHaveLength(1);
    expect(before.deployments?.[0]).toMatchObject({ status: "PRIMARY", rolloutState: "COMPLETED" });

    const arn = await deployWeb(sim, `${REGISTRY}/web:2`);
    const during = await describeWeb(sim);
    expect(during.taskDefinition).toBe(arn);
    expect(during.deployments?.map((d) => [d.status, d.rolloutState])).toEqual([
      ["PRIMARY", "IN_PROGRESS"],
      ["ACTIVE", "COMPLETED"],
    ]);

    // Never more than 200 % of desired wanted at once, never fewer than 100 % healthy.
    const { done, peak, lowestHealthy } = watchRollout(sim, 30 * 60_000);
    expect(done).toBe(true);
    expect(peak).toBeLessThanOrEqual(6);
    expect(lowestHealthy).toBeGreaterThanOrEqual(3);

    const after = await describeWeb(sim);
    expect(after.deployments).toHaveLength(1);
    expect(after.deployments?.[0]).toMatchObject({
      status: "PRIMARY",
      taskDefinition: arn,
      rolloutState: "COMPLETED",
      runningCount: 3,
      desiredCount: 3,
      failedTasks: 0,
    });
    expect(after.deployments?.[0]?.rolloutStateReason).toMatch(
      /^ECS deployment ecs-svc\/\d{19} completed\.$/,
    );
    const messages = after.events?.map((e) => e.message ?? "") ?? [];
    expect(messages[0]).toBe("(service web) has reached a steady state.");
    expect(messages[1]).toMatch(/^\(service web\) \(deployment ecs-svc\/\d+\) deployment completed\.$/);
    expect(
      messages.some((m) => /^\(service web\) has started 3 tasks: (\(task [0-9a-f]{32}\) ?){3}\.$/.test(m)),
    ).toBe(true);
    expect(messages.some((m) => /has stopped \d running tasks/.test(m))).toBe(true);
    // Events are newest first.
    const times = after.events?.map((e) => e.createdAt?.getTime() ?? 0) ?? [];
    expect([...times].sort((a, b) => b - a)).toEqual(times);

    const current = after.currentServiceDeployment ?? "";
    const detail = await ecs.send(
      new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [current] }),
    );
    const serviceDeployment = detail.serviceDeployments?.[0];
    expect(serviceDeployment).toMatchObject({
      status: "SUCCESSFUL",
      deploymentCircuitBreaker: { status: "MONITORING_COMPLETE", failureCount: 0, threshold: 3 },
      targetServiceRevision: { requestedTaskCount: 3, runningTaskCount: 3, pendingTaskCount: 0 },
    });
    expect(serviceDeployment?.sourceServiceRevisions).toHaveLength(1);
    const revisions = await ecs.send(
      new DescribeServiceRevisionsCommand({
        serviceRevisionArns: [
          serviceDeployment?.targetServiceRevision?.arn ?? "",
          serviceDeployment?.sourceServiceRevisions?.[0]?.arn ?? "",
        ],
      }),
    );
    expect(revisions.serviceRevisions?.map((r) => r.taskDefinition)).toEqual([arn, before.taskDefinition]);
    expect(revisions.serviceRevisions?.[1]?.containerImages).toEqual([
      { containerName: "app", image: `${REGISTRY}/web:1`, imageDigest: `sha256:${"1".repeat(64)}` },
    ]);
    expect(revisions.serviceRevisions?.[0]?.containerImages?.[0]?.imageDigest).toMatch(
      /^sha256:[0-9a-f]{64}$/,
    );

    const listed = await ecs.send(new ListServiceDeploymentsCommand({ cluster: "default", service: "web" }));
    expect(listed.serviceDeployments?.map((d) => d.status)).toEqual(["SUCCESSFUL", "SUCCESSFUL"]);
    const tasks = await ecs.send(new ListTasksCommand({ cluster: "default", serviceName: "web" }));
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster: "default", tasks: tasks.taskArns ?? [] }),
    );
    expect(described.tasks?.map((t) => [t.taskDefinitionArn, t.lastStatus, t.group])).toEqual(
      Array(3).fill([arn, "RUNNING", "service:web"]),
    );
    expect(described.tasks?.every((t) => t.startedBy === after.deployments?.[0]?.id)).toBe(true);
  });
});

describe("rolling deployment bounds", () => {
  it.each([
    // desired, minimumHealthyPercent, maximumPercent: at most floor(max% x desired) tasks, at least
    // ceil(min% x desired) healthy ones.
    [4, 50, 100, 4, 2],
    [4, 0, 100, 4, 0],
    [4, 100, 125, 5, 4],
    [3, 50, 150, 4, 2],
  ])(
    "keeps %i tasks within minimumHealthyPercent %i and maximumPercent %i (at most %i, at least %i healthy)",
    async (desired, minimumHealthyPercent, maximumPercent, most, leastHealthy) => {
      sim = await startSimulator({ scenario: webScenario() });
      const { ecs } = simulatorClients(sim);
      await ecs.send(
        new UpdateServiceCommand({
          cluster: "default",
          service: "web",
          desiredCount: desired,
          deploymentConfiguration: {
            minimumHealthyPercent,
            maximumPercent,
            deploymentCircuitBreaker: { enable: true, rollback: true },
          },
        }),
      );
      sim.advance(10 * 60_000);
      expect(await describeWeb(sim)).toMatchObject({ desiredCount: desired, runningCount: desired });

      const arn = await deployWeb(sim, `${REGISTRY}/web:2`);
      const { done, peak, lowestHealthy } = watchRollout(sim, 60 * 60_000);
      expect(done).toBe(true);
      expect(peak).toBeLessThanOrEqual(most);
      expect(lowestHealthy).toBeGreaterThanOrEqual(leastHealthy);
      // The bounds are used, not just respected: a rollout that never overlapped or never dipped
      // would pass the checks above too.
      if (most > desired) expect(peak).toBeGreaterThan(desired);
      if (leastHealthy < desired) expect(lowestHealthy).toBeLessThan(desired);
      expect((await describeWeb(sim)).deployments?.map((d) => [d.taskDefinition, d.runningCount])).toEqual([
        [arn, desired],
      ]);
    },
  );
});

async function currentServiceDeployment(s: Simulator): Promise<ServiceDeployment> {
  const { ecs } = simulatorClients(s);
  const service = await describeWeb(s);
  const out = await ecs.send(
    new DescribeServiceDeploymentsCommand({
      serviceDeploymentArns: [service.currentServiceDeployment ?? ""],
    }),
  );
  const found = out.serviceDeployments?.[0];
  if (!found) throw new Error("no current service deployment");
  return found;
}

const settled = (s: Simulator) => () => {
  const deployments = deploymentsOf(s);
  return deployments.length === 1 && deployments[0]?.rolloutState !== "IN_PROGRESS";
};

describe("the deployment circuit breaker", () => {
  it("trips on tasks that crash on start, fails the rollout and rolls back to the last COMPLETED deployment", async () => {
    sim = await startSimulator({
      scenario: webScenario({
        images: {
          [`${REGISTRY}/web:2`]: {
            kind: "crash",
            exitCode: 1,
            logs: ["listening on :8080"],
            exitLogs: ["Error: connect ECONNREFUSED 10.0.4.12:5432", "    at TCPConnectWrap.afterConnect"],
          },
        },
      }),
    });
    const { ecs, logs } = simulatorClients(sim);
    const before = await describeWeb(sim);
    const failedArn = await deployWeb(sim, `${REGISTRY}/web:2`);
    const failedId = (await describeWeb(sim)).deployments?.[0]?.id;

    // A client polling while it happens sees the failed rollout beside the rollback.
    expect(sim.runUntil(() => deploymentsOf(sim as Simulator).length === 3, 10 * 60_000)).toBe(true);
    const rollingBack = await describeWeb(sim);
    const [rollback, failed, previous] = rollingBack.deployments as [Deployment, Deployment, Deployment];
    expect(failed).toMatchObject({
      id: failedId,
      status: "ACTIVE",
      taskDefinition: failedArn,
      rolloutState: "FAILED",
      rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
      failedTasks: 3,
    });
    expect(rollback).toMatchObject({
      status: "PRIMARY",
      taskDefinition: before.taskDefinition,
      rolloutState: "IN_PROGRESS",
    });
    expect(rollback.rolloutStateReason).toBe(
      `ECS deployment circuit breaker: rolling back to deploymentId ${previous.id}.`,
    );
    expect(rollingBack.taskDefinition).toBe(before.taskDefinition);
    const during = await currentServiceDeployment(sim);
    expect(during.status).toBe("ROLLBACK_IN_PROGRESS");
    expect(during.deploymentCircuitBreaker).toEqual({ status: "TRIGGERED", failureCount: 3, threshold: 3 });
    expect(during.rollback?.reason).toBe(
      "Service deployment rolled back because the circuit breaker threshold was exceeded.",
    );
    expect(during.rollback?.serviceRevisionArn).toBe(during.sourceServiceRevisions?.[0]?.arn);

    expect(sim.runUntil(settled(sim), 30 * 60_000)).toBe(true);
    const after = await describeWeb(sim);
    expect(after.deployments).toHaveLength(1);
    expect(after.deployments?.[0]).toMatchObject({
      taskDefinition: before.taskDefinition,
      rolloutState: "COMPLETED",
    });
    expect((await currentServiceDeployment(sim)).status).toBe("ROLLBACK_SUCCESSFUL");
    const messages = after.events?.map((e) => e.message ?? "") ?? [];
    expect(messages).toContain(
      `(service web) (deployment ${failedId}) deployment failed: tasks failed to start.`,
    );
    expect(
      messages.some((m) => m.includes(`rolling back deployment ${failedId} to task definition web:1`)),
    ).toBe(true);

    // The crashed tasks explain themselves, and their output is in the awslogs stream.
    const stopped = await ecs.send(
      new ListTasksCommand({ cluster: "default", serviceName: "web", desiredStatus: "STOPPED" }),
    );
    const described = await ecs.send(
      new DescribeTasksCommand({ cluster: "default", tasks: stopped.taskArns ?? [] }),
    );
    const crashed = described.tasks?.filter((t) => t.taskDefinitionArn === failedArn) ?? [];
    expect(crashed).toHaveLength(3);
    for (const task of crashed) {
      expect(task).toMatchObject({
        lastStatus: "STOPPED",
        desiredStatus: "STOPPED",
        stopCode: "EssentialContainerExited",
        stoppedReason: "Essential container in task exited",
        startedBy: failedId,
      });
      expect(task.containers?.[0]).toMatchObject({ name: "app", exitCode: 1, lastStatus: "STOPPED" });
    }
    const taskId = crashed[0]?.taskArn?.split("/").at(-1) ?? "";
    const output = await logs.send(
      new GetLogEventsCommand({
        logGroupName: "/ecs/web",
        logStreamName: `web/app/${taskId}`,
        startFromHead: true,
      }),
    );
    expect(output.events?.map((e) => e.message)).toEqual([
      "listening on :8080",
      "Error: connect ECONNREFUSED 10.0.4.12:5432",
      "    at TCPConnectWrap.afterConnect",
    ]);
  });

  it("counts tasks replaced for failing ELB health checks, which the target group reports as unhealthy", async () => {
    sim = await startSimulator({
      scenario: webScenario({
        images: {
          [`${REGISTRY}/web:2`]: {
            kind: "unhealthy",
            healthCheckDescription: "Health checks failed with these codes: [502]",
          },
        },
      }),
    });
    const { elb } = simulatorClients(sim);
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const s = sim;
    const newTaskUnhealthy = () => {
      const primary = deploymentsOf(s)[0];
      if (!primary?.taskDefinition?.endsWith(":2")) return false;
      const own = s.ecs
        .tasks({ service: "web", desiredStatus: "RUNNING" })
        .filter((t) => t.startedBy === primary.id)
        .map((t) => t.taskArn);
      return s.elbv2.targets(TG).some((t) => t.state === "unhealthy" && own.includes(t.taskArn));
    };
    expect(sim.runUntil(newTaskUnhealthy, 10 * 60_000)).toBe(true);
    const health = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG }));
    const states = health.TargetHealthDescriptions?.map((d) => d.TargetHealth?.State).sort();
    expect(states).toEqual(["healthy", "healthy", "healthy", "unhealthy", "unhealthy", "unhealthy"]);
    expect(
      health.TargetHealthDescriptions?.find((d) => d.TargetHealth?.State === "unhealthy")?.TargetHealth,
    ).toEqual({
      State: "unhealthy",
      Reason: "Target.ResponseCodeMismatch",
      Description: "Health checks failed with these codes: [502]",
    });

    expect(sim.runUntil(() => deploymentsOf(s).length === 3, 10 * 60_000)).toBe(true);
    const after = await describeWeb(sim);
    expect(after.deployments?.[1]?.rolloutStateReason).toBe(
      "ECS deployment circuit breaker: tasks failed health checks.",
    );
    const messages = after.events?.map((e) => e.message ?? "") ?? [];
    expect(messages).toContain(
      `(service web) (port 8080) is unhealthy in (target-group ${TG}) due to (reason Health checks failed with these codes: [502]).`,
    );
    const draining = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: TG }));
    expect(
      draining.TargetHealthDescriptions?.filter((d) => d.TargetHealth?.State === "draining"),
    ).toHaveLength(3);
  });

  it("fails a first deployment without rolling back: nothing COMPLETED to return to", async () => {
    sim = await startSimulator({
      scenario: webScenario({ images: { [`${REGISTRY}/worker:1`]: { kind: "crash", exitCode: 137 } } }),
    });
    const { ecs } = simulatorClients(sim);
    await ecs.send(
      new RegisterTaskDefinitionCommand(
        webTaskDefinition(`${REGISTRY}/worker:1`, { family: "worker" }) as never,
      ),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster: "default",
        serviceName: "worker",
        taskDefinition: "worker",
        desiredCount: 2,
        launchType: "FARGATE",
        networkConfiguration: NETWORK,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    const s = sim;
    const workerState = () => s.ecs.service("worker").deployments?.[0]?.rolloutState;
    expect(sim.runUntil(() => workerState() === "FAILED", 30 * 60_000)).toBe(true);
    const failedAt = sim.now();
    sim.advance(30 * 60_000);

    const out = await ecs.send(new DescribeServicesCommand({ cluster: "default", services: ["worker"] }));
    const service = out.services?.[0];
    expect(service?.deployments).toHaveLength(1);
    expect(service?.deployments?.[0]).toMatchObject({
      status: "PRIMARY",
      rolloutState: "FAILED",
      rolloutStateReason: "ECS deployment circuit breaker: tasks failed to start.",
      runningCount: 0,
    });
    expect(service?.runningCount).toBe(0);
    const sd = await ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: [service?.currentServiceDeployment ?? ""],
      }),
    );
    expect(sd.serviceDeployments?.[0]).toMatchObject({
      status: "STOPPED",
      statusReason: "Service deployment failed because the circuit breaker threshold was exceeded.",
      deploymentCircuitBreaker: { status: "TRIGGERED", failureCount: 3, threshold: 3 },
    });
    expect(sd.serviceDeployments?.[0]?.rollback).toBeUndefined();
    expect(service?.events?.some((e) => e.message?.includes("rolling back"))).toBe(false);
    // A FAILED deployment launches no more tasks.
    const tasks = sim.ecs.tasks({ service: "worker" });
    expect(tasks.length).toBeGreaterThan(0);
    expect(tasks.every((t) => (t.createdAt ?? Number.POSITIVE_INFINITY) <= failedAt)).toBe(true);
  });
});

describe("StopServiceDeployment", () => {
  it("rolls back mid-flight with ROLLBACK even though the service has no rollback configured", async () => {
    sim = await startSimulator({
      scenario: webScenario({
        breaker: false,
        rollback: false,
        images: { [`${REGISTRY}/web:2`]: { kind: "slow", startupMs: 20_000 } },
      }),
    });
    const { ecs } = simulatorClients(sim);
    const before = await describeWeb(sim);
    await deployWeb(sim, `${REGISTRY}/web:2`);
    sim.advance(25_000);
    const inFlight = await currentServiceDeployment(sim);
    expect(inFlight.status).toBe("IN_PROGRESS");
    expect(inFlight.deploymentCircuitBreaker?.status).toBe("DISABLED");

    await ecs.send(
      new StopServiceDeploymentCommand({
        serviceDeploymentArn: inFlight.serviceDeploymentArn,
        stopType: "ROLLBACK",
      }),
    );
    const requested = await currentServiceDeployment(sim);
    expect(requested.status).toBe("ROLLBACK_REQUESTED");
    expect(requested.rollback?.serviceRevisionArn).toBe(inFlight.sourceServiceRevisions?.[0]?.arn);
    sim.advance(5_000);
    expect((await currentServiceDeployment(sim)).status).toBe("ROLLBACK_IN_PROGRESS");

    expect(sim.runUntil(settled(sim), 30 * 60_000)).toBe(true);
    const after = await describeWeb(sim);
    expect(after.taskDefinition).toBe(before.taskDefinition);
    expect(after.deployments?.map((d) => [d.taskDefinition, d.rolloutState])).toEqual([
      [before.taskDefinition, "COMPLETED"],
    ]);
    const finished = await currentServiceDeployment(sim);
    expect(finished.status).toBe("ROLLBACK_SUCCESSFUL");
    expect(finished.finishedAt).toBeInstanceOf(Date);
    await expect(
      ecs.send(
        new StopServiceDeploymentCommand({
          serviceDeploymentArn: finished.serviceDeploymentArn,
          stopType: "ROLLBACK",
        }),
      ),
    ).rejects.toMatchObject({ name: "ConflictException" });
  });

  it("ABORT stops the rollout where it is", async () => {
    sim = await startSimulator({
      scenario: webScenario({ images: { [`${REGISTRY}/web:2`]: { kind: "slow", startupMs: 20_000 } } }),
    });
    const { ecs } = simulatorClients(sim);
    await deployWeb(sim, `${REGISTRY}/web:2`);
    sim.advance(10_000);
    const inFlight = await currentServiceDeployment(sim);
    await ecs.send(
      new StopServiceDeploymentCommand({
        serviceDeploymentArn: inFlight.serviceDeploymentArn,
        stopType: "ABORT",
      }),
    );
    expect((await currentServiceDeployment(sim)).status).toBe("STOP_REQUESTED");
    sim.advance(60_000);
    const stopped = await currentServiceDeployment(sim);
    expect(stopped.status).toBe("STOPPED");
    expect((await describeWeb(sim)).deployments?.[0]?.rolloutState).toBe("FAILED");
  });

  it("answers ServiceDeploymentNotFoundException for an unknown ARN", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    await expect(
      ecs.send(
        new StopServiceDeploymentCommand({
          serviceDeploymentArn: "arn:aws:ecs:eu-west-1:123456789012:service-deployment/default/web/nope",
        }),
      ),
    ).rejects.toMatchObject({ name: "ServiceDeploymentNotFoundException" });
  });
});

describe("service revisions", () => {
  it("record the digest the ECR simulator resolves an image tag to", async () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    sim = await startSimulator({
      scenario: {
        ...webScenario(),
        ecr: { repositories: [{ name: "web", images: [{ tags: ["7"], digest }] }] },
      },
    });
    const { ecs } = simulatorClients(sim);
    await deployWeb(sim, `${REGISTRY}/web:7`);
    const sd = await currentServiceDeployment(sim);
    const revision = await ecs.send(
      new DescribeServiceRevisionsCommand({ serviceRevisionArns: [sd.targetServiceRevision?.arn ?? ""] }),
    );
    expect(revision.serviceRevisions?.[0]?.containerImages).toEqual([
      { containerName: "app", image: `${REGISTRY}/web:7`, imageDigest: digest },
    ]);
    expect(sim.runUntil(settled(sim), 10 * 60_000)).toBe(true);
    const tasks = await ecs.send(new ListTasksCommand({ serviceName: "web" }));
    const described = await ecs.send(new DescribeTasksCommand({ tasks: tasks.taskArns ?? [] }));
    expect(described.tasks?.map((t) => t.containers?.[0]?.imageDigest)).toEqual([digest, digest, digest]);
    const missing = await ecs.send(
      new DescribeServiceRevisionsCommand({
        serviceRevisionArns: ["arn:aws:ecs:eu-west-1:123456789012:service-revision/default/web/1"],
      }),
    );
    expect(missing.failures).toEqual([
      { arn: "arn:aws:ecs:eu-west-1:123456789012:service-revision/default/web/1", reason: "MISSING" },
    ]);
  });
});
