// Native ECS blue/green, linear and canary deployments in the simulator, through the real SDK clients.
import {
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  StopServiceDeploymentCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterEach, describe, expect, it } from "vitest";
import { type Scenario, type Simulator, startSimulator } from "../../sim/index";
import type { EcsService } from "../../sim/services/ecs";
import type { Elbv2Service } from "../../sim/services/elbv2";
import { deployWeb, simulatorClients } from "./clients";
import { NETWORK, REGISTRY, webTaskDefinition } from "./web-scenario";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

const ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012";
const BLUE = `${ARN}:targetgroup/web-blue/1111111111111111`;
const GREEN = `${ARN}:targetgroup/web-green/2222222222222222`;
const MINUTE = 60_000;

function blueGreenScenario(
  deploymentConfiguration: Record<string, unknown>,
  images: Record<string, unknown> = {},
): Scenario {
  const group = (name: string, arn: string) => ({
    name,
    arn,
    port: 8080,
    healthCheckIntervalSeconds: 10,
    healthyThresholdCount: 2,
    unhealthyThresholdCount: 2,
    deregistrationDelaySeconds: 30,
  });
  return {
    clock: { mode: "manual", start: "2026-03-02T09:00:00Z" },
    logs: { groups: [{ name: "/ecs/web" }] },
    elbv2: {
      targetGroups: [group("web-blue", BLUE), group("web-green", GREEN)],
      loadBalancers: [{ name: "web-alb", targetGroups: ["web-blue", "web-green"] }],
    },
    ecs: {
      images,
      taskDefinitions: [webTaskDefinition(`${REGISTRY}/web:1`)],
      services: [
        {
          serviceName: "web",
          taskDefinition: "web:1",
          desiredCount: 2,
          launchType: "FARGATE",
          networkConfiguration: NETWORK,
          loadBalancers: [
            {
              targetGroupArn: BLUE,
              containerName: "app",
              containerPort: 8080,
              advancedConfiguration: {
                alternateTargetGroupArn: GREEN,
                productionListenerRule: `${ARN}:listener-rule/app/web-alb/abc/def/1`,
                roleArn: "arn:aws:iam::123456789012:role/ecsInfrastructure",
              },
            },
          ],
          deploymentConfiguration: {
            deploymentCircuitBreaker: { enable: true, rollback: true },
            ...deploymentConfiguration,
          },
        },
      ],
    },
  };
}

/** Runs the simulation, noting each lifecycle stage and traffic share the service deployment passes through. */
function follow(s: Simulator, budgetMs: number) {
  const service = s.service<EcsService>("ecs").findService("web");
  const serviceDeployment = service.serviceDeployments.at(-1);
  const stages: string[] = [];
  const traffic: number[] = [];
  s.runUntil(() => {
    const current = service.serviceDeployments.at(-1);
    if (!current || current !== serviceDeployment) return true;
    if (current.lifecycleStage && stages.at(-1) !== current.lifecycleStage)
      stages.push(current.lifecycleStage);
    if (traffic.at(-1) !== current.productionTrafficPercent) traffic.push(current.productionTrafficPercent);
    return ["SUCCESSFUL", "ROLLBACK_SUCCESSFUL", "STOPPED", "ROLLBACK_FAILED"].includes(current.status);
  }, budgetMs);
  return { stages, traffic, serviceDeployment };
}

describe("blue/green deployments", () => {
  it("walks the lifecycle stages and shifts traffic; running counts reach desired long before it is done", async () => {
    sim = await startSimulator({
      scenario: blueGreenScenario({ strategy: "BLUE_GREEN", bakeTimeInMinutes: 5 }),
    });
    const { ecs, elb } = simulatorClients(sim);
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const service = sim.service<EcsService>("ecs").findService("web");
    const green = () =>
      sim?.service<EcsService>("ecs").rollouts.activeTasks(service, service.deployments[0]) ?? [];

    // Green scaled up and healthy: a client counting running tasks would stop here, much too early.
    expect(
      sim.runUntil(() => service.serviceDeployments.at(-1)?.lifecycleStage === "POST_SCALE_UP", 10 * MINUTE),
    ).toBe(true);
    const midway = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services?.[0];
    expect(midway?.deployments?.[0]).toMatchObject({
      runningCount: 2,
      desiredCount: 2,
      rolloutState: "IN_PROGRESS",
    });
    const sd = (
      await ecs.send(
        new DescribeServiceDeploymentsCommand({
          serviceDeploymentArns: [midway?.currentServiceDeployment ?? ""],
        }),
      )
    ).serviceDeployments?.[0];
    expect(sd).toMatchObject({ status: "IN_PROGRESS", lifecycleStage: "POST_SCALE_UP" });
    expect(sd?.targetServiceRevision).toMatchObject({
      runningTaskCount: 2,
      requestedProductionTrafficWeight: 0,
    });
    expect(sd?.sourceServiceRevisions?.[0]).toMatchObject({
      runningTaskCount: 2,
      requestedProductionTrafficWeight: 100,
    });
    const greenHealth = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: GREEN }));
    expect(greenHealth.TargetHealthDescriptions?.map((d) => d.Target?.Id).sort()).toEqual(
      green()
        .map((t) => t.privateIp)
        .sort(),
    );

    const { stages, traffic } = follow(sim, 60 * MINUTE);
    expect(stages).toEqual([
      "POST_SCALE_UP",
      "TEST_TRAFFIC_SHIFT",
      "POST_TEST_TRAFFIC_SHIFT",
      "PRE_PRODUCTION_TRAFFIC_SHIFT",
      "PRODUCTION_TRAFFIC_SHIFT",
      "POST_PRODUCTION_TRAFFIC_SHIFT",
      "BAKE_TIME",
      "CLEAN_UP",
    ]);
    expect(traffic).toEqual([0, 100]);
    const done = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services?.[0];
    const finished = (
      await ecs.send(
        new DescribeServiceDeploymentsCommand({
          serviceDeploymentArns: [done?.currentServiceDeployment ?? ""],
        }),
      )
    ).serviceDeployments?.[0];
    expect(finished?.status).toBe("SUCCESSFUL");
    // Bake time: blue kept running five minutes after production traffic moved.
    expect((finished?.finishedAt?.getTime() ?? 0) - (finished?.startedAt?.getTime() ?? 0)).toBeGreaterThan(
      5 * MINUTE,
    );
    const lb = sim.service<Elbv2Service>("elbv2").loadBalancers()[0];
    expect(lb && sim.service<Elbv2Service>("elbv2").weightsAt(lb, sim.now())).toEqual({
      [BLUE]: 0,
      [GREEN]: 100,
    });

    // The next deployment goes to the group that was blue.
    sim.runUntil(() => service.deployments.length === 1 && service.steady, 10 * MINUTE);
    await deployWeb(sim, `${REGISTRY}/web:3`);
    sim.runUntil(() => green().some((t) => t.targets.length > 0), 10 * MINUTE);
    expect(green()[0]?.targets[0]?.targetGroupArn).toBe(BLUE);
  });

  it("rolls back when the circuit breaker trips during scale-up: traffic never left blue", async () => {
    sim = await startSimulator({
      scenario: blueGreenScenario({ strategy: "BLUE_GREEN" }, { [`${REGISTRY}/web:2`]: { kind: "crash" } }),
    });
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const { stages, traffic, serviceDeployment } = follow(sim, 60 * MINUTE);
    expect(serviceDeployment?.status).toBe("ROLLBACK_SUCCESSFUL");
    expect(serviceDeployment?.circuitBreaker.status).toBe("TRIGGERED");
    expect(stages).toEqual(["PRE_SCALE_UP", "SCALE_UP"]);
    expect(traffic).toEqual([0]);
    const service = sim.service<EcsService>("ecs").findService("web");
    expect(
      service.deployments.map((d) => [d.status, d.revision.config.taskDefinitionArn.split("/")[1]]),
    ).toEqual([["PRIMARY", "web:1"]]);
  });

  it("StopServiceDeployment ROLLBACK during bake time sends production traffic back to blue", async () => {
    sim = await startSimulator({
      scenario: blueGreenScenario({ strategy: "BLUE_GREEN", bakeTimeInMinutes: 30 }),
    });
    const { ecs } = simulatorClients(sim);
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const service = sim.service<EcsService>("ecs").findService("web");
    expect(
      sim.runUntil(() => service.serviceDeployments.at(-1)?.lifecycleStage === "BAKE_TIME", 30 * MINUTE),
    ).toBe(true);
    const arn = service.serviceDeployments.at(-1)?.arn;
    await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: "ROLLBACK" }));
    const lb = sim.service<Elbv2Service>("elbv2").loadBalancers()[0];
    expect(lb && sim.service<Elbv2Service>("elbv2").weightsAt(lb, sim.now())).toEqual({
      [BLUE]: 100,
      [GREEN]: 0,
    });
    const { serviceDeployment } = follow(sim, 30 * MINUTE);
    expect(serviceDeployment?.status).toBe("ROLLBACK_SUCCESSFUL");
    expect(serviceDeployment?.rollback?.serviceRevisionArn).toBe(serviceDeployment?.sourceRevisions[0]?.arn);
    const out = (await ecs.send(new DescribeServicesCommand({ services: ["web"] }))).services?.[0];
    expect(out?.taskDefinition).toMatch(/web:1$/);
    expect(out?.deployments).toHaveLength(1);
  });
});

describe("linear and canary deployments", () => {
  it("LINEAR shifts production traffic in equal steps with a bake time between them", async () => {
    sim = await startSimulator({
      scenario: blueGreenScenario({
        strategy: "LINEAR",
        linearConfiguration: { stepPercent: 25, stepBakeTimeInMinutes: 2 },
      }),
    });
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const started = sim.now();
    const { traffic, serviceDeployment } = follow(sim, 60 * MINUTE);
    expect(traffic).toEqual([0, 25, 50, 75, 100]);
    expect(serviceDeployment?.status).toBe("SUCCESSFUL");
    expect(sim.now() - started).toBeGreaterThan(6 * MINUTE);
  });

  it("CANARY shifts the canary share, bakes, then the rest", async () => {
    sim = await startSimulator({
      scenario: blueGreenScenario({
        strategy: "CANARY",
        canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 15 },
      }),
    });
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const service = sim.service<EcsService>("ecs").findService("web");
    expect(
      sim.runUntil(() => service.serviceDeployments.at(-1)?.productionTrafficPercent === 10, 30 * MINUTE),
    ).toBe(true);
    const canaryAt = sim.now();
    const { traffic, serviceDeployment } = follow(sim, 60 * MINUTE);
    expect(traffic).toEqual([10, 100]);
    expect(serviceDeployment?.status).toBe("SUCCESSFUL");
    expect(sim.now() - canaryAt).toBeGreaterThan(15 * MINUTE);
  });

  it("refuses a traffic-shifting strategy without an alternate target group", async () => {
    sim = await startSimulator({ scenario: blueGreenScenario({}) });
    const { ecs } = simulatorClients(sim);
    await expect(
      ecs.send(
        new UpdateServiceCommand({
          service: "web",
          deploymentConfiguration: { strategy: "BLUE_GREEN" },
          loadBalancers: [{ targetGroupArn: BLUE, containerName: "app", containerPort: 8080 }],
        }),
      ),
    ).rejects.toMatchObject({ name: "InvalidParameterException" });
  });
});
