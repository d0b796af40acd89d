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
import { currentServiceDeployment, deployWeb, ipOf, isSettled, simulatorClients } from "./clients";
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

/** The production traffic share the target revision is asked for (0..100). */
function trafficShare(s: Simulator): number | undefined {
  return currentServiceDeployment(s)?.targetServiceRevision?.requestedProductionTrafficWeight;
}

/** Runs the simulation, noting each lifecycle stage and traffic share the service deployment passes through. */
function follow(s: Simulator, budgetMs: number) {
  const arn = currentServiceDeployment(s)?.serviceDeploymentArn;
  let serviceDeployment = currentServiceDeployment(s);
  const stages: string[] = [];
  const traffic: number[] = [];
  s.runUntil(() => {
    const current = currentServiceDeployment(s);
    if (!current || current.serviceDeploymentArn !== arn) return true;
    serviceDeployment = current;
    if (current.lifecycleStage && stages.at(-1) !== current.lifecycleStage)
      stages.push(current.lifecycleStage);
    const share = current.targetServiceRevision?.requestedProductionTrafficWeight ?? 0;
    if (traffic.at(-1) !== share) traffic.push(share);
    return isSettled(current.status);
  }, budgetMs);
  return { stages, traffic, serviceDeployment };
}

/** The RUNNING-bound tasks of web's PRIMARY deployment (green while a blue/green deployment runs). */
function greenTasks(s: Simulator) {
  const primary = s.ecs.service("web").deployments?.[0]?.id;
  return s.ecs.tasks({ service: "web", desiredStatus: "RUNNING" }).filter((t) => t.startedBy === primary);
}

describe("blue/green deployments", () => {
  it("walks the lifecycle stages and shifts traffic; running counts reach desired long before it is done", async () => {
    sim = await startSimulator({
      scenario: blueGreenScenario({ strategy: "BLUE_GREEN", bakeTimeInMinutes: 5 }),
    });
    const { ecs, elb } = simulatorClients(sim);
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const s = sim;

    // Green scaled up and healthy: a client counting running tasks would stop here, much too early.
    expect(
      s.runUntil(() => currentServiceDeployment(s)?.lifecycleStage === "POST_SCALE_UP", 10 * MINUTE),
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
      greenTasks(s).map(ipOf).sort(),
    );

    const { stages, traffic } = follow(sim, 60 * MINUTE);
    expect(stages).toEqual([
      "POST_SCALE_UP",
      "TEST_TRAFFIC_SHIFT",
      "POST_TEST_TRAFFIC_SHIFT",
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
    expect(sim.elbv2.weights("web-alb")).toEqual({ [BLUE]: 0, [GREEN]: 100 });

    // The next deployment goes to the group that was blue.
    const steady = () => {
      const web = s.ecs.service("web");
      const finishedAt = currentServiceDeployment(s)?.finishedAt ?? Number.POSITIVE_INFINITY;
      return (
        web.deployments?.length === 1 &&
        (web.events ?? []).some(
          (e) => e.message?.endsWith("has reached a steady state.") && (e.createdAt ?? 0) >= finishedAt,
        )
      );
    };
    expect(sim.runUntil(steady, 10 * MINUTE)).toBe(true);
    await deployWeb(sim, `${REGISTRY}/web:3`);
    const registeredIn = (arn: string) => {
      const targets = s.elbv2.targets(arn).map((t) => t.taskArn);
      return greenTasks(s).some((t) => targets.includes(t.taskArn ?? ""));
    };
    expect(sim.runUntil(() => registeredIn(BLUE) || registeredIn(GREEN), 10 * MINUTE)).toBe(true);
    expect(registeredIn(BLUE)).toBe(true);
    expect(registeredIn(GREEN)).toBe(false);
  });

  it("rolls back when the circuit breaker trips during scale-up: traffic never left blue", async () => {
    sim = await startSimulator({
      scenario: blueGreenScenario({ strategy: "BLUE_GREEN" }, { [`${REGISTRY}/web:2`]: { kind: "crash" } }),
    });
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const { stages, traffic, serviceDeployment } = follow(sim, 60 * MINUTE);
    expect(serviceDeployment?.status).toBe("ROLLBACK_SUCCESSFUL");
    expect(serviceDeployment?.deploymentCircuitBreaker?.status).toBe("TRIGGERED");
    expect(stages).toEqual(["PRE_SCALE_UP", "SCALE_UP"]);
    expect(traffic).toEqual([0]);
    expect(
      sim.ecs.service("web").deployments?.map((d) => [d.status, d.taskDefinition?.split("/")[1]]),
    ).toEqual([["PRIMARY", "web:1"]]);
  });

  it("StopServiceDeployment ROLLBACK during bake time sends production traffic back to blue", async () => {
    sim = await startSimulator({
      scenario: blueGreenScenario({ strategy: "BLUE_GREEN", bakeTimeInMinutes: 30 }),
    });
    const { ecs } = simulatorClients(sim);
    await deployWeb(sim, `${REGISTRY}/web:2`);
    const s = sim;
    expect(s.runUntil(() => currentServiceDeployment(s)?.lifecycleStage === "BAKE_TIME", 30 * MINUTE)).toBe(
      true,
    );
    const arn = currentServiceDeployment(s)?.serviceDeploymentArn;
    await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: arn, stopType: "ROLLBACK" }));
    expect(sim.elbv2.weights("web-alb")).toEqual({ [BLUE]: 100, [GREEN]: 0 });
    const { serviceDeployment } = follow(sim, 30 * MINUTE);
    expect(serviceDeployment?.status).toBe("ROLLBACK_SUCCESSFUL");
    expect(serviceDeployment?.rollback?.serviceRevisionArn).toBe(
      serviceDeployment?.sourceServiceRevisions?.[0]?.arn,
    );
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
    const s = sim;
    expect(s.runUntil(() => trafficShare(s) === 10, 30 * MINUTE)).toBe(true);
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
