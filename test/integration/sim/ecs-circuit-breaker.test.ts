// The deployment circuit breaker's threshold and its rollback target, beyond the three-task service the
// other rollout tests use: the default threshold grows with desiredCount (clamped to [3, 200]) and a
// rollback returns to the last COMPLETED deployment, not to whatever ran before the failed one.
import { DescribeServiceDeploymentsCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { afterEach, describe, expect, it } from "vitest";
import { type Simulator, startSimulator } from "../../sim/index";
import { describeWeb, registerWeb, simulatorClients } from "./clients";
import { REGISTRY, webScenario } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

/** web's deployments[] (PRIMARY first) as the simulator holds them now. */
const deploymentsOf = (s: Simulator) => s.ecs.service("web").deployments ?? [];

describe("the circuit breaker's default threshold", () => {
  it("trips a ten-task rollout on its fifth failed task, not its third", async () => {
    sim = await startSimulator({
      scenario: webScenario({ images: { [`${REGISTRY}/web:2`]: { kind: "crash", exitCode: 1 } } }),
    });
    const { ecs } = simulatorClients(sim);
    const s = sim;
    await ecs.send(new UpdateServiceCommand({ cluster: "default", service: "web", desiredCount: 10 }));
    sim.advance(10 * 60_000);
    expect(await describeWeb(sim)).toMatchObject({ desiredCount: 10, runningCount: 10 });

    const arn = await registerWeb(sim, `${REGISTRY}/web:2`);
    await ecs.send(new UpdateServiceCommand({ cluster: "default", service: "web", taskDefinition: arn }));
    const failing = deploymentsOf(s)[0];
    expect(failing?.taskDefinition).toBe(arn);
    const failed = () => deploymentsOf(s).find((d) => d.id === failing?.id)?.rolloutState === "FAILED";
    expect(sim.runUntil(failed, 30 * 60_000)).toBe(true);

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
    const s = sim;
    const first = (await describeWeb(sim)).taskDefinition;

    const second = await registerWeb(sim, `${REGISTRY}/web:2`);
    await ecs.send(new UpdateServiceCommand({ cluster: "default", service: "web", taskDefinition: second }));
    expect(sim.runUntil(() => deploymentsOf(s)[0]?.rolloutState === "FAILED", 30 * 60_000)).toBe(true);
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
    const thirdId = deploymentsOf(s)[0]?.id;
    // The third rollout fails, then drains away (so it is seen FAILED before it is gone).
    let thirdFailed = false;
    expect(
      sim.runUntil(() => {
        const deployments = deploymentsOf(s);
        if (deployments.find((d) => d.id === thirdId)?.rolloutState === "FAILED") thirdFailed = true;
        return thirdFailed && deployments.length === 1 && deployments[0]?.rolloutState === "COMPLETED";
      }, 60 * 60_000),
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
