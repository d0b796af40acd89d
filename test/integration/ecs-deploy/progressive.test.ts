// ecs-deploy configuring and judging ECS's native canary, linear and blue/green deployments, through
// the committed bundle against the simulator. Simulated time moves five seconds with each of the
// step's reads of the service (startPollClocked), so what a poll sees does not depend on the machine.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SimError, type Simulator, startSimulator } from "../../sim/index";
import { startPollClocked } from "./ecs-variants";
import {
  deploy,
  expectRefused,
  image,
  lastSeq,
  PRODUCTION_RULE,
  ROLE,
  TEST_RULE,
  TG,
  TG_GREEN,
  webService,
  world,
} from "./stack";

const POLL_SIM_MS = 5_000;

let sim: Simulator | undefined;
let server: Server | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** The share of production traffic the listener gave web-green, over time. */
function greenShares(s: Simulator): { at: number; percent: number }[] {
  return s.elbv2.weightHistory("web-alb").map((w) => {
    const total = Object.values(w.weights).reduce((a, b) => a + b, 0);
    return { at: w.at, percent: total > 0 ? ((w.weights[TG_GREEN] ?? 0) * 100) / total : 0 };
  });
}

const busy = { loadBalancers: { "web-alb": { requestsPerSecond: 200 } } };

describe("ecs-deploy: a canary judged by shipline", () => {
  it("stops a canary failing 30 % of its requests at 5 %, before the canary bake ends, and reports its exposure", async () => {
    sim = await startPollClocked(
      world({
        strategy: "CANARY",
        desiredCount: 2,
        manualClock: true,
        metrics: { ...busy, images: { [image("2")]: { errorRate: 0.3 } } },
      }),
      POLL_SIM_MS,
    );
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      "canary-percent": "5",
      "canary-bake-minutes": "10",
      strategy: "canary",
    });
    expect(run.exitCode).toBe(1);
    const update = sim.calls.find((c) => c.operation === "UpdateService");
    expect(update?.input.deploymentConfiguration).toMatchObject({
      strategy: "CANARY",
      canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 10 },
      // The service's own settings are sent back as they were.
      deploymentCircuitBreaker: { enable: true, rollback: true },
      maximumPercent: 200,
    });
    const stop = sim.calls.find((c) => c.operation === "StopServiceDeployment");
    expect(stop?.input).toMatchObject({ stopType: "ROLLBACK" });
    const shares = greenShares(sim);
    const canaryAt = shares.find((s) => s.percent > 0);
    expect(canaryAt?.percent).toBe(5);
    // Never more than the canary share, and stopped at the first poll after the first bad request.
    expect(Math.max(...shares.map((s) => s.percent))).toBe(5);
    expect((stop?.at ?? 0) - (canaryAt?.at ?? 0)).toBeLessThanOrEqual(POLL_SIM_MS);
    expect((stop?.at ?? 0) - (canaryAt?.at ?? 0)).toBeLessThan(10 * 60_000);
    expect(shares.at(-1)?.percent).toBe(0);
    expect(run.errors[0]?.message).toMatch(
      /shipline stopped the deployment at PRODUCTION_TRAFFIC_SHIFT with 5 % of production traffic \(error rate \d+\.\d %/,
    );
    const report = JSON.parse(run.outputs.report ?? "{}");
    const steps = report.services[0].steps;
    expect(steps.stopped).toMatchObject({ weight: 5, stage: "PRODUCTION_TRAFFIC_SHIFT", accepted: true });
    expect(steps.exposure.served).toBeGreaterThan(0);
    expect(steps.exposure.failed).toBeGreaterThan(0);
    expect(steps.exposure.failedShare).toBeLessThan(0.005);
    expect(steps.newTargetGroup).toBe(TG_GREEN);
    expect(run.summary).toContain("xychart-beta");
    expect(run.summary).toMatch(/✗ fail/);
    expect(run.summary).toMatch(/\*\*Exposure of the new revision:\*\* it served \d+ of \d+ requests/);
    expect(run.summary).toContain("describe-service-deployments");
    expect(run.summary).toContain("`judge-steps: false`");
  });

  it("lets a healthy canary go on: ECS finishes it, every step judged pass", async () => {
    sim = await startPollClocked(
      world({
        strategy: "CANARY",
        desiredCount: 2,
        manualClock: true,
        metrics: busy,
        deploymentConfiguration: { canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 1 } },
      }),
      POLL_SIM_MS,
    );
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(sim.calls.some((c) => c.operation === "StopServiceDeployment")).toBe(false);
    const steps = JSON.parse(run.outputs.report ?? "{}").services[0].steps;
    const weights = steps.steps.map((s: { weight: number }) => s.weight);
    expect(weights).toContain(10);
    expect(weights).toContain(100);
    expect(steps.steps.every((s: { verdict: string }) => s.verdict !== "fail")).toBe(true);
    expect(steps.steps.some((s: { verdict: string }) => s.verdict === "pass")).toBe(true);
  });
});

describe("ecs-deploy: when the judge cannot read its evidence", () => {
  it("leaves the verdict to ECS with one warning when GetMetricData is denied", async () => {
    const denied = {
      service: "cloudwatch",
      operation: "GetMetricData",
      handle: () => {
        throw new SimError(
          "AccessDenied",
          "User: arn:aws:sts::123456789012:assumed-role/deploy/gha is not authorized to perform: cloudwatch:GetMetricData",
        );
      },
    };
    sim = await startPollClocked(
      world({
        strategy: "CANARY",
        desiredCount: 2,
        manualClock: true,
        metrics: busy,
        deploymentConfiguration: { canaryConfiguration: { canaryPercent: 5, canaryBakeTimeInMinutes: 1 } },
      }),
      POLL_SIM_MS,
      [denied],
    );
    const run = await deploy(sim, { containers: `app=${image("2")}` });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    const warnings = run.annotations.filter(
      (a) => a.level === "warning" && a.message.includes("GetMetricData"),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/judged on the rest of the evidence/);
    expect(sim.calls.some((c) => c.operation === "StopServiceDeployment")).toBe(false);
  });
});

describe("ecs-deploy: deployment alarms", () => {
  it("sets the deployment alarms, reads them at every step, and ends failed when ECS rolls back on one", async () => {
    let fired = false;
    let seenAtCanary = 0;
    const alarmAtCanary = {
      service: "ecs",
      operation: "DescribeServices",
      handle: ({ sim: s, next }: { sim: Simulator; next: () => Promise<unknown> }) => {
        // The poll after the first one that saw the canary share: that one was judged (alarm OK).
        if ((greenShares(s).at(-1)?.percent ?? 0) > 0) seenAtCanary++;
        if (!fired && seenAtCanary === 2) {
          fired = true;
          s.cloudwatch.setAlarmState("web-checkout-errors", "ALARM");
        }
        return next();
      },
    };
    sim = await startPollClocked(
      world({
        strategy: "CANARY",
        desiredCount: 2,
        manualClock: true,
        metrics: { ...busy, alarms: [{ name: "web-checkout-errors" }] },
      }),
      POLL_SIM_MS,
      [alarmAtCanary],
    );
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      "deployment-alarms": "web-checkout-errors",
    });
    expect(fired).toBe(true);
    expect(run.exitCode).toBe(1);
    const update = sim.calls.find((c) => c.operation === "UpdateService");
    expect(update?.input.deploymentConfiguration).toMatchObject({
      alarms: { alarmNames: ["web-checkout-errors"], enable: true, rollback: true },
    });
    // The judge read the alarm at the canary step it judged (OK then), asking for it by name.
    const reads = sim.calls.filter((c) => c.operation === "DescribeAlarms");
    expect(reads.length).toBeGreaterThan(0);
    for (const r of reads) expect(r.input.AlarmNames).toEqual(["web-checkout-errors"]);
    // ECS rolled back on the alarm (not on its circuit breaker, not on a stop by shipline), and the
    // step says so.
    expect(sim.calls.some((c) => c.operation === "StopServiceDeployment")).toBe(false);
    expect(run.errors[0]?.message).toMatch(/ROLLBACK_IN_PROGRESS/);
    expect(run.errors[0]?.message).toMatch(/a CloudWatch alarm went into ALARM/);
    expect(run.errors[0]?.message).not.toMatch(/circuit breaker/);
    expect(greenShares(sim).at(-1)?.percent).toBe(0);
  });
});

describe("ecs-deploy: linear", () => {
  it("rolls back a release that goes bad at the 50 % step", async () => {
    // web:2 is healthy until the listener gives it half the traffic, then fails a fifth of requests
    // (checked at each of the step's reads of the service, after the clock moved).
    let turned = false;
    const goesBadAtHalf = {
      service: "ecs",
      operation: "DescribeServices",
      handle: ({ sim: s, next }: { sim: Simulator; next: () => Promise<unknown> }) => {
        if (!turned && (greenShares(s).at(-1)?.percent ?? 0) >= 50) {
          turned = true;
          s.cloudwatch.setProfile({ image: image("2") }, { errorRate: 0.2 });
        }
        return next();
      },
    };
    sim = await startPollClocked(
      world({ strategy: "LINEAR", desiredCount: 2, manualClock: true, metrics: busy }),
      POLL_SIM_MS,
      [goesBadAtHalf],
    );
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      strategy: "linear",
      "linear-step-percent": "25",
      "linear-step-bake-minutes": "1",
    });
    expect(turned).toBe(true);
    expect(run.exitCode).toBe(1);
    const steps = JSON.parse(run.outputs.report ?? "{}").services[0].steps;
    expect(steps.steps.filter((s: { weight: number; verdict: string }) => s.weight === 25)).toEqual([
      expect.objectContaining({ verdict: "pass" }),
    ]);
    expect(steps.stopped).toMatchObject({ weight: 50, accepted: true });
    expect(greenShares(sim).at(-1)?.percent).toBe(0);
    expect(Math.max(...greenShares(sim).map((s) => s.percent))).toBe(50);
    expect(webService(sim).taskDefinition).toMatch(/web:1$/);
  });
});

describe("ecs-deploy: blue/green test traffic", () => {
  it("never gives production traffic to a release whose test-listener probes fail", async () => {
    sim = await startPollClocked(
      world({ strategy: "BLUE_GREEN", desiredCount: 2, manualClock: true, metrics: busy }),
      POLL_SIM_MS,
    );
    const simulator = sim;
    // The test listener: answers as the revision in the alternate target group does (web:2 is broken).
    let probed = 0;
    server = createServer((_req, res) => {
      probed++;
      const green = simulator.elbv2.targets(TG_GREEN);
      const broken = green.some((t) => t.taskDefinitionArn.endsWith("web:2"));
      res.writeHead(broken ? 503 : 200).end(broken ? "database unreachable" : "ok");
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      "test-url": `http://127.0.0.1:${port}/health`,
    });
    expect(run.exitCode).toBe(1);
    expect(probed).toBeGreaterThan(0);
    expect(Math.max(...greenShares(sim).map((s) => s.percent))).toBe(0);
    const steps = JSON.parse(run.outputs.report ?? "{}").services[0].steps;
    expect(steps.stopped.stage).toMatch(/TEST_TRAFFIC_SHIFT/);
    expect(steps.stopped.weight).toBe(0);
    expect(run.errors[0]?.message).toMatch(/test-listener probes 3\/3 failed \(503 from http/);
    expect(sim.calls.some((c) => c.operation === "StopServiceDeployment")).toBe(true);
  });
});

describe("ecs-deploy: a canary started without waiting", () => {
  it("reads nothing for a step judge that would never run (wait: false returns after UpdateService)", async () => {
    sim = await startPollClocked(
      world({ strategy: "CANARY", desiredCount: 2, manualClock: true, metrics: busy }),
      POLL_SIM_MS,
    );
    const run = await deploy(sim, { containers: `app=${image("2")}`, wait: "false" });
    expect(run.errors).toEqual([]);
    expect(sim.calls.filter((c) => c.operation === "UpdateService")).toHaveLength(1);
    const judging = ["DescribeTargetGroups", "DescribeTargetHealth", "GetMetricData", "DescribeAlarms"];
    expect(sim.calls.filter((c) => judging.includes(c.operation)).map((c) => c.operation)).toEqual([]);
  });
});

describe("ecs-deploy: blue/green behind a Network Load Balancer", () => {
  it("deploys, judging on the test-listener probes alone, with one warning that an NLB has no HTTP metrics", async () => {
    const scenario = world({ strategy: "BLUE_GREEN", desiredCount: 2, manualClock: true, metrics: busy });
    const elbv2 = scenario.elbv2 as { loadBalancers: { arn?: string }[] };
    (elbv2.loadBalancers[0] as { arn?: string }).arn =
      "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/web-nlb/50dc6c495c0c9188";
    sim = await startPollClocked(scenario, POLL_SIM_MS);
    let probed = 0;
    server = createServer((_req, res) => {
      probed++;
      res.writeHead(200).end("ok");
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as AddressInfo).port;
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      "test-url": `http://127.0.0.1:${port}/health`,
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(probed).toBeGreaterThan(0);
    expect(sim.calls.filter((c) => c.operation === "UpdateService")).toHaveLength(1);
    expect(sim.calls.some((c) => c.operation === "GetMetricData")).toBe(false);
    const warnings = run.annotations.filter(
      (a) => a.level === "warning" && a.message.includes("not an Application Load Balancer"),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toMatch(/judged on probes and alarms only/);
  });
});

describe("ecs-deploy: configuring a strategy", () => {
  it("moves a rolling service to canary and back with one input", async () => {
    sim = await startSimulator({
      scenario: world({ deregistrationDelaySeconds: 1, alternateTargetGroup: true }),
    });
    const lb = webService(sim).loadBalancers?.[0];
    expect(lb?.advancedConfiguration).toBeUndefined();
    const toCanary = await deploy(sim, {
      strategy: "canary",
      "canary-percent": "2.5",
      "alternate-target-group": TG_GREEN,
      "production-listener-rule": PRODUCTION_RULE,
      "test-listener-rule": TEST_RULE,
      "load-balancer-role": ROLE,
    });
    expect(toCanary.errors).toEqual([]);
    expect(toCanary.exitCode).toBe(0);
    const service = webService(sim);
    expect(service.deploymentConfiguration).toMatchObject({
      strategy: "CANARY",
      canaryConfiguration: { canaryPercent: 2.5 },
    });
    expect(service.loadBalancers?.[0]?.advancedConfiguration).toEqual({
      alternateTargetGroupArn: TG_GREEN,
      productionListenerRule: PRODUCTION_RULE,
      testListenerRule: TEST_RULE,
      roleArn: ROLE,
    });
    expect(service.loadBalancers?.[0]?.targetGroupArn).toBe(TG);
    const back = await deploy(sim, { strategy: "rolling" });
    expect(back.errors).toEqual([]);
    expect(webService(sim).deploymentConfiguration?.strategy).toBe("ROLLING");
    // The new load balancer configuration was deployed (and followed); going back to rolling is only
    // the deployment configuration, which starts nothing.
    const updates = sim.calls.filter((c) => c.operation === "UpdateService");
    expect(updates.map((c) => Boolean(c.input.forceNewDeployment))).toEqual([true, false]);
    expect(updates.every((c) => c.input.taskDefinition === undefined)).toBe(true);
    expect(toCanary.outputs.status).toBe("succeeded");
  });

  it.each([
    [{ "canary-percent": "5" }, /canary-percent.*`strategy` is not set/s],
    [{ strategy: "canary", "canary-percent": "5.05" }, /canary-percent.*not a multiple of 0\.1/s],
    [{ strategy: "linear", "linear-step-percent": "2" }, /linear-step-percent.*below the minimum of 3/s],
    [
      { strategy: "canary", "linear-step-percent": "10" },
      /linear-step-percent.*configures the linear strategy/s,
    ],
    [{ strategy: "rolling", "bake-minutes": "5" }, /bake-minutes.*rolling deployment/s],
    [{ strategy: "canary", "alternate-target-group": TG_GREEN }, /production-listener-rule.*together/s],
    [{ strategy: "canary" }, /alternate-target-group.*no advanced configuration/s],
    [{ strategy: "rolling", "test-url": "http://127.0.0.1:9/health" }, /test-url.*no test listener/s],
    [
      {
        strategy: "blue-green",
        "lifecycle-hooks": '[{"hookTargetArn": "arn:aws:sns:eu-west-1:123456789012:x"}]',
      },
      /lifecycle-hooks.*Lambda function ARN/s,
    ],
  ])("refuses %o before any change, naming the input", async (inputs, error) => {
    sim = await startSimulator({ scenario: world() });
    const before = lastSeq(sim);
    const run = await deploy(sim, { containers: `app=${image("2")}`, ...inputs });
    expectRefused(sim, run, before, error);
  });
});
