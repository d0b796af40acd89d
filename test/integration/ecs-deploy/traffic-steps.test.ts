// Shipline-driven traffic steps through the committed bundle against the AWS simulator: "web" behind
// target group web and its canary service "web-canary" behind web-canary, one listener rule
// forwarding 100/0 between them. The simulator runs 120 times faster than the bundle's real clock;
// the steps are judged by AWS's clock (the simulator's, from the Date of its answers), so a pause of
// two simulated minutes takes about a real second.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ROOT } from "../../rig/harness";
import type { Override, Scenario, Shape, SimProfile, Simulator } from "../../sim/index";
import { startSimulator } from "../../sim/index";
import { arnOf, deploy, image, lastSeq, MUTATING, NETWORK, ROLE, TG, TG_GREEN, world } from "./stack";

const LB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/web-alb/50dc6c495c0c9188";
const RULE =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
const TG_CANARY =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-canary/00112233445566aa";
const OWNER = { "shipline:traffic-steps": "prod/web" };
const FOUND = [
  { TargetGroupArn: TG, Weight: 100 },
  { TargetGroupArn: TG_CANARY, Weight: 0 },
];

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function group(name: string, arn: string) {
  return {
    name,
    arn,
    port: 8080,
    healthCheckPath: "/health",
    healthCheckIntervalSeconds: 10,
    healthyThresholdCount: 2,
    unhealthyThresholdCount: 2,
    deregistrationDelaySeconds: 20,
  };
}

function trafficWorld(tags: Record<string, string> = OWNER): Scenario {
  const base = world();
  const ecs = base.ecs as { services: Shape[] };
  ecs.services.push({
    cluster: "prod",
    serviceName: "web-canary",
    taskDefinition: "web:1",
    desiredCount: 0,
    launchType: "FARGATE",
    networkConfiguration: NETWORK,
    loadBalancers: [{ targetGroupArn: TG_CANARY, containerName: "app", containerPort: 8080 }],
    healthCheckGracePeriodSeconds: 30,
    deploymentConfiguration: {
      minimumHealthyPercent: 100,
      maximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
    },
  });
  return {
    ...base,
    // A minute in the past, so the per-minute CloudWatch periods the steps ask for are complete.
    clock: { mode: "scaled", factor: 120, start: Date.now() - 60_000 },
    elbv2: {
      targetGroups: [group("web", TG), group("web-canary", TG_CANARY)],
      loadBalancers: [
        {
          name: "web-alb",
          arn: LB,
          targetGroups: ["web", "web-canary"],
          weights: { web: 100, "web-canary": 0 },
          rules: [{ priority: 10, arn: RULE, weights: { web: 100, "web-canary": 0 }, tags, traffic: true }],
        },
      ],
    },
    cloudwatch: {
      default: { errorRate: 0.001, p95Ms: 120 },
      loadBalancers: { "web-alb": { requestsPerSecond: 200 } },
    },
  };
}

/** The release turns bad (30 % of its requests fail) the moment the rule gives it 50 %. */
function badAtHalf(): Override {
  return {
    service: "elbv2",
    operation: "ModifyRule",
    handle: async ({ input, next, sim: s }) => {
      const tuples = ((input.Actions as Shape[] | undefined)?.[0]?.ForwardConfig as Shape | undefined)
        ?.TargetGroups as Shape[] | undefined;
      const canary = tuples?.find((t) => t.TargetGroupArn === TG_CANARY);
      if (Number(canary?.Weight) === 50) s.cloudwatch.setProfile({ image: image("2") }, { errorRate: 0.3 });
      return next();
    },
  };
}

function forwardOf(s: Simulator): unknown {
  const rule = s.elbv2.rules().find((r) => r.RuleArn === RULE);
  return (rule?.Actions[0] as { ForwardConfig?: { TargetGroups?: unknown } } | undefined)?.ForwardConfig
    ?.TargetGroups;
}

function canaryWeightsSent(s: Simulator, from = 0): number[] {
  return s.calls
    .filter((c) => c.seq > from && c.operation === "ModifyRule" && c.status < 400)
    .map((c) => {
      const action = (c.input.Actions as Shape[])[0] as Shape;
      const tuples = (action.ForwardConfig as Shape).TargetGroups as Shape[];
      return Number(tuples.find((t) => t.TargetGroupArn === TG_CANARY)?.Weight ?? -1);
    });
}

const STEP_INPUTS = {
  containers: `app=${image("2")}`,
  "traffic-rule": RULE,
  "canary-service": "web-canary",
  "traffic-step-pause": "2m",
};

interface StepsReport {
  trafficSteps: {
    verdict: string;
    exposurePercent: number;
    restored: boolean;
    steps: { percent: number; verdict: string; failedChecks: string[] }[];
  };
}

// Under compat too: the endpoints implement listener rules, and the canary's rollout is followed
// without the service deployments API.
describe.each(["aws", "compat"] as const)(
  "ecs-deploy: traffic steps under the %s profile",
  (profile: SimProfile) => {
    it("passes every step, rolls the service out, and puts the rule and the canary back as found", async () => {
      sim = await startSimulator({ profile, scenario: trafficWorld() });
      const run = await deploy(sim, STEP_INPUTS);
      expect(run.errors).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.outputs.status).toBe("succeeded");
      expect(canaryWeightsSent(sim)).toEqual([1, 5, 50, 100, 0]);
      expect(forwardOf(sim)).toEqual(FOUND);
      expect(sim.ecs.service("web", "prod").taskDefinition).toBe(arnOf("web:2"));
      expect(sim.ecs.service("web-canary", "prod").desiredCount).toBe(0);
      const report = JSON.parse(run.outputs.report ?? "{}") as StepsReport;
      expect(report.trafficSteps.steps.map((s) => [s.percent, s.verdict])).toEqual([
        [1, "pass"],
        [5, "pass"],
        [50, "pass"],
        [100, "pass"],
      ]);
      expect(run.summary).toContain("Traffic steps to web-canary: pass");
      // Every IAM action the run needed is in the README's permissions.
      const readme = readFileSync(join(ROOT, "actions", "ecs-deploy", "README.md"), "utf8");
      for (const action of sim.iamActions()) expect(readme, action).toContain(`\`${action}\``);
    }, 120_000);

    it("stops at the 50 % step when the release goes bad there, restores the weights found exactly and never updates the service", async () => {
      sim = await startSimulator({ profile, scenario: trafficWorld(), overrides: [badAtHalf()] });
      const run = await deploy(sim, STEP_INPUTS);
      expect(run.exitCode).toBe(1);
      expect(run.outputs.status).toBe("failed");
      expect(run.errors[0]?.message).toMatch(/traffic step at 50 %/);
      // The last ModifyRule sent back exactly the actions found (the web group's weight 100, canary 0).
      expect(canaryWeightsSent(sim)).toEqual([1, 5, 50, 0]);
      expect(forwardOf(sim)).toEqual(FOUND);
      expect(sim.elbv2.weights("web-alb")).toEqual({ [TG]: 100, [TG_CANARY]: 0 });
      const updates = sim.calls.filter((c) => c.operation === "UpdateService" && c.input.service === "web");
      expect(updates).toEqual([]);
      expect(sim.ecs.service("web", "prod").taskDefinition).toBe(arnOf("web:1"));
      expect(sim.ecs.service("web-canary", "prod").desiredCount).toBe(0);
      const report = JSON.parse(run.outputs.report ?? "{}") as StepsReport;
      expect(report.trafficSteps).toMatchObject({ verdict: "fail", exposurePercent: 50, restored: true });
      const last = report.trafficSteps.steps.at(-1);
      expect(last?.percent).toBe(50);
      expect(last?.failedChecks).toContain("error rate (ALB)");
    }, 120_000);
  },
);

describe("ecs-deploy: a listener rule shipline does not own", () => {
  it("refuses a rule without its owner tag before changing anything, and leaves the rule untouched", async () => {
    sim = await startSimulator({ scenario: trafficWorld({ team: "payments" }) });
    const before = lastSeq(sim);
    const run = await deploy(sim, STEP_INPUTS);
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toMatch(/no shipline:traffic-steps tag/);
    expect(run.errors[0]?.message).toMatch(/\nFix: Tag the rule shipline:traffic-steps=prod\/web/);
    const changed = sim.calls.filter(
      (c) => c.seq > before && (MUTATING.has(c.operation) || c.operation === "ModifyRule"),
    );
    expect(changed).toEqual([]);
    expect(forwardOf(sim)).toEqual(FOUND);
  }, 60_000);

  it("refuses a canary that deploys with ECS's own canary strategy, before changing anything", async () => {
    const scenario = trafficWorld();
    const canary = (scenario.ecs as { services: Shape[] }).services.find(
      (svc) => svc.serviceName === "web-canary",
    ) as Shape;
    (canary.deploymentConfiguration as Shape).strategy = "CANARY";
    // ECS's canary needs its own pair of target groups and rule: web-green and the production rule.
    (canary.loadBalancers as Shape[])[0] = {
      ...((canary.loadBalancers as Shape[])[0] as Shape),
      advancedConfiguration: {
        alternateTargetGroupArn: TG_GREEN,
        productionListenerRule: RULE,
        roleArn: ROLE,
      },
    };
    const elbv2 = scenario.elbv2 as { targetGroups: Shape[]; loadBalancers: Shape[] };
    elbv2.targetGroups.push(group("web-green", TG_GREEN));
    ((elbv2.loadBalancers[0] as Shape).targetGroups as string[]).push("web-green");
    sim = await startSimulator({ scenario });
    const before = lastSeq(sim);
    const run = await deploy(sim, STEP_INPUTS);
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toMatch(/web-canary deploys with ECS's CANARY strategy/);
    const changed = sim.calls.filter(
      (c) => c.seq > before && (MUTATING.has(c.operation) || c.operation === "ModifyRule"),
    );
    expect(changed).toEqual([]);
  }, 60_000);

  it("sends the step's deployment alarms to the service, not to the canary", async () => {
    sim = await startSimulator({ scenario: trafficWorld() });
    const run = await deploy(sim, { ...STEP_INPUTS, "deployment-alarms": "web-5xx" });
    expect(run.errors).toEqual([]);
    const updates = sim.calls.filter((c) => c.operation === "UpdateService" && c.status < 400);
    const canary = updates.filter((c) => c.input.service === "web-canary");
    const service = updates.filter((c) => c.input.service === "web");
    expect(canary.length).toBeGreaterThan(0);
    for (const c of canary) expect(c.input.deploymentConfiguration).toBeUndefined();
    expect(service[0]?.input.deploymentConfiguration).toMatchObject({
      alarms: { alarmNames: ["web-5xx"], enable: true },
    });
  }, 120_000);

  it("refuses a rule tagged for another service", async () => {
    sim = await startSimulator({ scenario: trafficWorld({ "shipline:traffic-steps": "prod/api" }) });
    const run = await deploy(sim, STEP_INPUTS);
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toMatch(/belongs to another service's traffic steps/);
    expect(sim.calls.filter((c) => c.operation === "ModifyRule")).toEqual([]);
  }, 60_000);
});
