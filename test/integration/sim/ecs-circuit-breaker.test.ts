// The deployment circuit breaker's threshold and its rollback target, beyond the three-task service the
// other rollout tests use: the default threshold grows with desiredCount (clamped to [3, 200]) and a
// rollback returns to the last COMPLETED deployment, not to whatever ran before the failed one.
import { DescribeServiceDeploymentsCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../sim/index";
import type { EcsService } from "../../sim/services/ecs";
import { circuitBreakerSettings, failureThreshold } from "../../sim/services/ecs-circuit-breaker";
import { describeWeb, registerWeb, simulatorClients } from "./clients";
import { REGISTRY, webScenario } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

describe("the circuit breaker's default threshold", () => {
  const defaults = circuitBreakerSettings({ deploymentCircuitBreaker: { enable: true, rollback: true } });

  it.each([
    [1, 3],
    [3, 3],
    [6, 3],
    [7, 4],
    [10, 5],
    [11, 6],
    [399, 200],
    [400, 200],
    [1000, 200],
  ])("is ceil(0.5 × %i desired tasks) clamped to [3, 200]: %i", (desired, threshold) => {
    expect(failureThreshold(defaults, desired)).toBe(threshold);
  });

  it("trips a ten-task rollout on its fifth failed task, not its third", async () => {
    sim = await startSimulator({
      scenario: webScenario({ images: { [`${REGISTRY}/web:2`]: { kind: "crash", exitCode: 1 } } }),
    });
    const { ecs } = simulatorClients(sim);
    const web = sim.service<EcsService>("ecs").findService("web");
    await ecs.send(new UpdateServiceCommand({ cluster: "default", service: "web", desiredCount: 10 }));
    sim.advance(10 * 60_000);
    expect(await describeWeb(sim)).toMatchObject({ desiredCount: 10, runningCount: 10 });

    const arn = await registerWeb(sim, `${REGISTRY}/web:2`);
    await ecs.send(new UpdateServiceCommand({ cluster: "default", service: "web", taskDefinition: arn }));
    const failing = web.deployments[0];
    expect(failing?.revision.config.taskDefinitionArn).toBe(arn);
    expect(sim.runUntil(() => failing?.rolloutState === "FAILED", 30 * 60_000)).toBe(true);

    const service = await describeWeb(sim);
    const detail = await ecs.send(
      new DescribeServiceDeploymentsCommand({
        serviceDeploymentArns: [service.currentServiceDeployment ?? ""],
      }),
    );
    expect(detail.serviceDeployments?.[0]?.deploymentCircuitBreaker).toEqual({
      status: "TRIGGERED",
      failureCount: 5,
      threshold: 5,
    });
  });
});

describe("the circuit breaker's rollback target", () => {
  it("is the last COMPLETED deployment, not the failed one the service ran before", async () => {
    // web:2 fails on a service without rollback, so it stays PRIMARY and FAILED; web:3 then fails with
    // rollback on. "The task definition before web:3" is web:2; the last COMPLETED one is web:1.
    sim = await startSimulator({
      scenario: webScenario({
        rollback: false,
        images: {
          [`${REGISTRY}/web:2`]: { kind: "crash", exitCode: 1 },
          [`${REGISTRY}/web:3`]: { kind: "crash", exitCode: 2 },
        },
      }),
    });
    const { ecs } = simulatorClients(sim);
    const web = sim.service<EcsService>("ecs").findService("web");
    const first = (await describeWeb(sim)).taskDefinition;

    const second = await registerWeb(sim, `${REGISTRY}/web:2`);
    await ecs.send(new UpdateServiceCommand({ cluster: "default", service: "web", taskDefinition: second }));
    expect(sim.runUntil(() => web.deployments[0]?.rolloutState === "FAILED", 30 * 60_000)).toBe(true);
    const afterSecond = await describeWeb(sim);
    expect(afterSecond.taskDefinition).toBe(second);
    expect(afterSecond.deployments?.map((d) => [d.taskDefinition, d.rolloutState])).toEqual([
      [second, "FAILED"],
      [first, "COMPLETED"],
    ]);

    const third = await registerWeb(sim, `${REGISTRY}/web:3`);
    await ecs.send(
      new UpdateServiceCommand({
        cluster: "default",
        service: "web",
        taskDefinition: third,
        deploymentConfiguration: {
          minimumHealthyPercent: 100,
          maximumPercent: 200,
          deploymentCircuitBreaker: { enable: true, rollback: true },
        },
      }),
    );
    const thirdDeployment = web.deployments[0];
    expect(
      sim.runUntil(
        () =>
          thirdDeployment?.rolloutState === "FAILED" &&
          web.deployments.length === 1 &&
          web.deployments[0]?.rolloutState === "COMPLETED",
        60 * 60_000,
      ),
    ).toBe(true);

    const settled = await describeWeb(sim);
    expect(settled.taskDefinition).toBe(first);
    expect(settled.deployments?.map((d) => [d.taskDefinition, d.rolloutState])).toEqual([
      [first, "COMPLETED"],
    ]);
    const messages = settled.events?.map((e) => e.message ?? "") ?? [];
    expect(messages.some((m) => m.includes("to task definition web:1"))).toBe(true);
    expect(messages.some((m) => m.includes("to task definition web:2"))).toBe(false);
  });
});
