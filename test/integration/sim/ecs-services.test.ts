// ECS services in the simulator through the real SDK client: updates that change only what was sent,
// scaling, superseded deployments, deletion, alarms, control handlers, throttling and the scaled clock.
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  ListServiceDeploymentsCommand,
  ListServicesCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../sim/index";
import { currentServiceDeployment, describeWeb, simulatorClients, steadySince } from "./clients";
import { NETWORK, REGISTRY, TG, webScenario, webTaskDefinition } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const MINUTE = 60_000;

const web = (s: Simulator) => s.ecs.service("web");
const deploymentCount = (s: Simulator) => web(s).deployments?.length ?? 0;

describe("UpdateService", () => {
  it("changes only what was sent", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    const before = await describeWeb(sim);
    await ecs.send(
      new UpdateServiceCommand({ service: "web", deploymentConfiguration: { maximumPercent: 150 } }),
    );
    const after = await describeWeb(sim);
    expect(after.deploymentConfiguration).toEqual({ ...before.deploymentConfiguration, maximumPercent: 150 });
    expect(after.networkConfiguration).toEqual(before.networkConfiguration);
    expect(after.loadBalancers).toEqual(before.loadBalancers);
    expect(after.healthCheckGracePeriodSeconds).toBe(30);
    expect(after.deployments).toHaveLength(1);
    expect(after.currentServiceDeployment).toBe(before.currentServiceDeployment);
  });

  it("scales the PRIMARY deployment on a desiredCount change without starting a deployment", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    const s = sim;
    let since = sim.now();
    await ecs.send(new UpdateServiceCommand({ service: "web", desiredCount: 5 }));
    expect(sim.runUntil(() => steadySince(s, since), 10 * MINUTE)).toBe(true);
    const up = await describeWeb(sim);
    expect(up).toMatchObject({ desiredCount: 5, runningCount: 5 });
    expect(up.deployments).toHaveLength(1);
    expect(up.events?.[0]?.message).toBe("(service web) has reached a steady state.");
    expect(up.events?.some((e) => /has started 2 tasks/.test(e.message ?? ""))).toBe(true);
    const list = await ecs.send(new ListServiceDeploymentsCommand({ service: "web" }));
    expect(list.serviceDeployments).toHaveLength(1);

    since = sim.now();
    await ecs.send(new UpdateServiceCommand({ service: "web", desiredCount: 1 }));
    expect(sim.runUntil(() => steadySince(s, since), 10 * MINUTE)).toBe(true);
    expect((await describeWeb(sim)).runningCount).toBe(1);
  });

  it("starts a deployment of the same task definition with forceNewDeployment", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    const before = await describeWeb(sim);
    await ecs.send(new UpdateServiceCommand({ service: "web", taskDefinition: "web:1" }));
    expect((await describeWeb(sim)).deployments).toHaveLength(1);
    await ecs.send(new UpdateServiceCommand({ service: "web", forceNewDeployment: true }));
    const after = await describeWeb(sim);
    expect(after.deployments?.map((d) => d.taskDefinition)).toEqual([
      before.taskDefinition,
      before.taskDefinition,
    ]);
    expect(after.currentServiceDeployment).not.toBe(before.currentServiceDeployment);
    expect(sim.runUntil(() => deploymentCount(sim as Simulator) === 1, 10 * MINUTE)).toBe(true);
  });

  it("supersedes a rollout in flight: its service deployment stops, the newest completes", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    for (const tag of ["2", "3"]) {
      await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${REGISTRY}/web:${tag}`) as never));
    }
    await ecs.send(new UpdateServiceCommand({ service: "web", taskDefinition: "web:2" }));
    sim.advance(10_000);
    const between = new Date(sim.now());
    sim.advance(10_000);
    await ecs.send(new UpdateServiceCommand({ service: "web", taskDefinition: "web:3" }));
    expect(sim.runUntil(() => deploymentCount(sim as Simulator) === 1, 20 * MINUTE)).toBe(true);
    const listed = await ecs.send(new ListServiceDeploymentsCommand({ service: "web" }));
    expect(listed.serviceDeployments?.map((d) => d.status)).toEqual(["SUCCESSFUL", "STOPPED", "SUCCESSFUL"]);
    expect((await describeWeb(sim)).taskDefinition).toMatch(/web:3$/);
    const stopped = await ecs.send(
      new ListServiceDeploymentsCommand({ service: "web", status: ["STOPPED"] }),
    );
    expect(stopped.serviceDeployments).toHaveLength(1);
    const since = await ecs.send(
      new ListServiceDeploymentsCommand({ service: "web", createdAt: { after: between } }),
    );
    expect(since.serviceDeployments?.map((d) => d.status)).toEqual(["SUCCESSFUL"]);
    const until = await ecs.send(
      new ListServiceDeploymentsCommand({ service: "web", createdAt: { before: between } }),
    );
    expect(until.serviceDeployments?.map((d) => d.status)).toEqual(["STOPPED", "SUCCESSFUL"]);
  });
});

describe("CreateService and DeleteService", () => {
  it("refuses what AWS refuses, before creating anything", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    const base = {
      serviceName: "api",
      taskDefinition: "web:1",
      desiredCount: 1,
      launchType: "FARGATE" as const,
      networkConfiguration: NETWORK,
    };
    const cases: [Record<string, unknown>, string | RegExp][] = [
      [{ serviceName: "web" }, "Creation of service was not idempotent."],
      [{ networkConfiguration: undefined }, /Network Configuration must be provided/],
      [{ desiredCount: undefined }, /desiredCount is required/],
      [
        { loadBalancers: [{ targetGroupArn: `${TG}0`, containerName: "app", containerPort: 8080 }] },
        /does not exist/,
      ],
      [
        { loadBalancers: [{ targetGroupArn: TG, containerName: "app", containerPort: 9090 }] },
        /container port 9090/,
      ],
      [
        { launchType: "FARGATE", capacityProviderStrategy: [{ capacityProvider: "FARGATE" }] },
        /not supported/,
      ],
    ];
    for (const [change, message] of cases) {
      await expect(ecs.send(new CreateServiceCommand({ ...base, ...change } as never))).rejects.toMatchObject(
        {
          name: "InvalidParameterException",
          message: expect.stringMatching(message),
        },
      );
    }
    expect((await ecs.send(new ListServicesCommand({}))).serviceArns).toEqual([
      "arn:aws:ecs:eu-west-1:123456789012:service/default/web",
    ]);
    const missing = await ecs.send(new DescribeServicesCommand({ services: ["api"] }));
    expect(missing.failures).toEqual([
      { arn: "arn:aws:ecs:eu-west-1:123456789012:service/default/api", reason: "MISSING" },
    ]);
  });

  it("counts a task without load balancer or health check as healthy 40 seconds after RUNNING", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    const created = await ecs.send(
      new CreateServiceCommand({
        serviceName: "worker",
        taskDefinition: "web:1",
        desiredCount: 1,
        capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }],
        networkConfiguration: NETWORK,
      }),
    );
    expect(created.service?.capacityProviderStrategy).toEqual([{ capacityProvider: "FARGATE", weight: 1 }]);
    expect(created.service?.launchType).toBeUndefined();
    const s = sim;
    const start = sim.now();
    const task = () => s.ecs.tasks({ service: "worker" })[0];
    expect(sim.runUntil(() => task()?.lastStatus === "RUNNING", 10 * MINUTE)).toBe(true);
    const startedAt = task()?.startedAt ?? 0;
    const rollout = () => s.ecs.service("worker").deployments?.[0]?.rolloutState;
    // Not yet healthy a moment before the 40 seconds are up...
    sim.advance(startedAt + 40_000 - 1 - sim.now());
    expect(rollout()).toBe("IN_PROGRESS");
    // ...and counted healthy at 40 seconds: the deployment completes within one scheduler delay.
    expect(sim.runUntil(() => rollout() === "COMPLETED", 10 * MINUTE)).toBe(true);
    const finishedAt = currentServiceDeployment(s, "worker")?.finishedAt ?? 0;
    expect(finishedAt - startedAt).toBeGreaterThanOrEqual(40_000);
    expect(finishedAt - startedAt).toBeLessThanOrEqual(40_000 + sim.ecs.timings.schedulerDelayMs);
    expect(sim.now() - start).toBeLessThan(2 * MINUTE);
  });

  it("replaces tasks failing their container health check and trips the breaker on them", async () => {
    sim = await startSimulator({
      scenario: webScenario({ images: { [`${REGISTRY}/worker:1`]: { kind: "unhealthy" } } }),
    });
    const { ecs } = simulatorClients(sim);
    const td = webTaskDefinition(`${REGISTRY}/worker:1`, { family: "worker" });
    Object.assign(td.containerDefinitions[0] as object, {
      healthCheck: {
        command: ["CMD-SHELL", "curl -f http://localhost:8080/health || exit 1"],
        interval: 10,
        retries: 3,
      },
    });
    await ecs.send(new RegisterTaskDefinitionCommand(td as never));
    await ecs.send(
      new CreateServiceCommand({
        serviceName: "worker",
        taskDefinition: "worker",
        desiredCount: 1,
        launchType: "FARGATE",
        networkConfiguration: NETWORK,
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
      }),
    );
    const s = sim;
    const primary = () => s.ecs.service("worker").deployments?.[0];
    expect(sim.runUntil(() => primary()?.rolloutState === "FAILED", 60 * MINUTE)).toBe(true);
    expect(primary()?.rolloutStateReason).toBe("ECS deployment circuit breaker: tasks failed health checks.");
    const replaced = sim.ecs.tasks({ service: "worker" });
    expect(replaced).toHaveLength(3);
    expect(replaced.map((t) => [t.healthStatus, t.stopCode, t.stoppedReason])).toEqual(
      Array(3).fill(["UNHEALTHY", "ServiceSchedulerInitiated", "Task failed container health checks."]),
    );
  });

  it("deletes a service: DRAINING while its tasks stop, then INACTIVE", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const { ecs } = simulatorClients(sim);
    await expect(ecs.send(new DeleteServiceCommand({ service: "web" }))).rejects.toMatchObject({
      name: "InvalidParameterException",
    });
    const deleting = await ecs.send(new DeleteServiceCommand({ service: "web", force: true }));
    expect(deleting.service?.status).toBe("DRAINING");
    expect(sim.runUntil(() => web(sim as Simulator).status === "INACTIVE", 10 * MINUTE)).toBe(true);
    expect((await describeWeb(sim)).status).toBe("INACTIVE");
    await expect(
      ecs.send(new UpdateServiceCommand({ service: "web", desiredCount: 1 })),
    ).rejects.toMatchObject({
      name: "ServiceNotActiveException",
    });
  });
});

describe("control handlers", () => {
  it("fails running tasks on request; the scheduler replaces them", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    const failedAt = sim.now();
    const response = await fetch(`${sim.endpoint}/_sim/ecs/fail-tasks`, {
      method: "POST",
      body: JSON.stringify({
        service: "web",
        count: 2,
        exitCode: 137,
        reason: "OutOfMemoryError: Container killed",
      }),
    });
    const { stopped } = (await response.json()) as { stopped: string[] };
    expect(stopped).toHaveLength(2);
    const s = sim;
    const crashed = stopped.map((arn) => s.ecs.task(arn));
    expect(
      crashed.map((t) => [t?.stopCode, t?.containers?.[0]?.exitCode, t?.containers?.[0]?.reason]),
    ).toEqual([
      ["EssentialContainerExited", 137, "OutOfMemoryError: Container killed"],
      ["EssentialContainerExited", 137, "OutOfMemoryError: Container killed"],
    ]);
    expect(sim.runUntil(() => steadySince(s, failedAt), 10 * MINUTE)).toBe(true);
    expect((await describeWeb(sim)).runningCount).toBe(3);
  });

  it("changes an image's behaviour mid-run: running tasks start failing health checks", async () => {
    sim = await startSimulator({ scenario: webScenario() });
    await fetch(`${sim.endpoint}/_sim/ecs/images`, {
      method: "POST",
      body: JSON.stringify({ image: `${REGISTRY}/web:1`, behaviour: { kind: "unhealthy" } }),
    });
    const s = sim;
    expect(
      sim.runUntil(
        () => s.ecs.tasks({ service: "web" }).some((t) => t.stopCode === "ServiceSchedulerInitiated"),
        10 * MINUTE,
      ),
    ).toBe(true);
    const events = (await describeWeb(sim)).events?.map((e) => e.message ?? "") ?? [];
    expect(events.some((m) => m.includes("is unhealthy in (target-group"))).toBe(true);
  });

  it("rolls back when a deployment alarm goes into ALARM", async () => {
    const scenario = webScenario();
    const service = ((scenario.ecs as { services: Record<string, unknown>[] }).services[0] ?? {}) as {
      deploymentConfiguration: Record<string, unknown>;
    };
    service.deploymentConfiguration.alarms = { alarmNames: ["web-5xx"], enable: true, rollback: true };
    sim = await startSimulator({ scenario });
    const { ecs } = simulatorClients(sim);
    await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${REGISTRY}/web:2`) as never));
    await ecs.send(new UpdateServiceCommand({ service: "web", taskDefinition: "web:2" }));
    sim.advance(30_000);
    const before = await describeWeb(sim);
    const sd = await ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: [before.currentServiceDeployment ?? ""],
      }),
    );
    expect(sd.serviceDeployments?.[0]?.alarms).toEqual({ status: "MONITORING", alarmNames: ["web-5xx"] });
    const answer = await fetch(`${sim.endpoint}/_sim/ecs/trigger-alarm`, {
      method: "POST",
      body: JSON.stringify({ service: "web", alarmName: "web-5xx" }),
    });
    expect(await answer.json()).toEqual({ triggered: true });
    expect(sim.runUntil(() => deploymentCount(sim as Simulator) === 1, 20 * MINUTE)).toBe(true);
    const after = await describeWeb(sim);
    expect(after.taskDefinition).toMatch(/web:1$/);
    const finished = await ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: [after.currentServiceDeployment ?? ""],
      }),
    );
    expect(finished.serviceDeployments?.[0]).toMatchObject({
      status: "ROLLBACK_SUCCESSFUL",
      alarms: { status: "TRIGGERED", triggeredAlarmNames: ["web-5xx"] },
    });
  });
});

describe("faults and time", () => {
  it("absorbs 20 % throttling through the SDK's retries during a whole deployment, with no duplicate calls", async () => {
    sim = await startSimulator({
      scenario: { ...webScenario(), faults: [{ service: "ecs", kind: "throttle", rate: 0.2 }] },
    });
    const { ecs } = simulatorClients(sim, 6);
    await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${REGISTRY}/web:2`) as never));
    await ecs.send(new UpdateServiceCommand({ service: "web", taskDefinition: "web:2" }));
    let service: Service | undefined;
    for (let poll = 0; poll < 60; poll++) {
      service = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services?.[0];
      if (service?.deployments?.length === 1 && service.deployments[0]?.rolloutState === "COMPLETED") break;
      sim.advance(15_000);
    }
    expect(service?.taskDefinition).toMatch(/web:2$/);
    expect(service?.deployments?.[0]?.rolloutState).toBe("COMPLETED");
    const throttled = sim.calls.filter((c) => c.fault === "throttle");
    expect(throttled.length).toBeGreaterThan(0);
    expect(throttled.every((c) => c.error === "ThrottlingException")).toBe(true);
    expect(
      sim.calls.filter((c) => c.operation === "RegisterTaskDefinition" && c.status === 200),
    ).toHaveLength(1);
    expect(sim.calls.filter((c) => c.operation === "UpdateService" && c.status === 200)).toHaveLength(1);
  });

  it("rolls out on the scaled clock while a client polls in real time", async () => {
    sim = await startSimulator({
      scenario: { ...webScenario(), clock: { mode: "scaled", factor: 600 } },
    });
    const { ecs } = simulatorClients(sim);
    const started = Date.now();
    sim.tick();
    const simulatedStart = sim.now();
    await ecs.send(new RegisterTaskDefinitionCommand(webTaskDefinition(`${REGISTRY}/web:2`) as never));
    await ecs.send(new UpdateServiceCommand({ service: "web", taskDefinition: "web:2" }));
    let service: Service | undefined;
    while (Date.now() - started < 10_000) {
      service = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services?.[0];
      if (service?.deployments?.length === 1 && service.deployments[0]?.rolloutState === "COMPLETED") break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(service?.deployments?.[0]).toMatchObject({ rolloutState: "COMPLETED", runningCount: 3 });
    expect(service?.taskDefinition).toMatch(/web:2$/);
    // About a simulated minute went by, and never more than 600 times the real time that passed
    // (however slowly the machine ran, the ratio holds: no bound on real time is needed).
    const simulated = sim.now() - simulatedStart;
    expect(simulated).toBeGreaterThan(50_000);
    expect(simulated).toBeLessThanOrEqual((Date.now() - started) * 600 + 1);
  });
});
