// Acceptance of the AWS checks: the committed bundle against the AWS simulator, whose ELBv2 target
// health follows the simulated ECS tasks and whose CloudWatch ALB metrics follow each revision's
// traffic profile. The gate runs in real time; the simulator runs 120 times faster and starts a minute
// in the past, so every per-minute CloudWatch period the gate asks for is complete by its end.
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it, type TestContext } from "vitest";
import { type ActionRun, runAction } from "../../rig/harness";
import { type Scenario, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import { simulatorClients } from "../sim/clients";
import { REGISTRY, TG, webScenario } from "../sim/web-scenario";

interface Profile {
  errorRate?: number;
  p95Ms?: number;
  requestsPerSecond?: number;
}

async function simulator(
  t: TestContext,
  profile: Profile = {},
  extra: Partial<Scenario> = {},
): Promise<Simulator> {
  const scenario: Scenario = {
    ...webScenario(),
    clock: { mode: "scaled", factor: 120, start: Date.now() - 60_000 },
    cloudwatch: {
      loadBalancers: { "web-alb": { requestsPerSecond: 20 } },
      revisions: { "web:1": { errorRate: 0.001, p95Ms: 150, ...profile } },
    },
    ...extra,
  };
  const sim = await startSimulator({ scenario });
  t.onTestFinished(() => sim.stop());
  return sim;
}

async function loadBalancerArn(sim: Simulator): Promise<string> {
  const { elb } = simulatorClients(sim);
  const out = await elb.send(new DescribeLoadBalancersCommand({ Names: ["web-alb"] }));
  const arn = out.LoadBalancers?.[0]?.LoadBalancerArn;
  if (!arn) throw new Error("the scenario has no web-alb");
  return arn;
}

async function gate(sim: Simulator, extra: Record<string, string> = {}): Promise<ActionRun> {
  return runAction("health-gate", {
    inputs: {
      "target-group-arns": TG,
      "load-balancer": extra["load-balancer"] ?? (await loadBalancerArn(sim)),
      "probe-interval": "250ms",
      soak: "2s",
      timeout: "20s",
      ...extra,
    },
    env: simulatorEnv(sim),
  });
}

interface CheckShape {
  name: string;
  status: string;
  summary: string;
  measurements: { value: unknown; detail?: string }[];
}

function checks(run: ActionRun): Record<string, CheckShape> {
  const report = JSON.parse(run.outputs.report ?? "{}") as { checks?: CheckShape[] };
  return Object.fromEntries((report.checks ?? []).map((c) => [c.name, c]));
}

function failed(run: ActionRun): string[] {
  return JSON.parse(run.outputs["failed-checks"] ?? "null");
}

describe.concurrent("health-gate bundle against the AWS simulator", () => {
  it("passes when every target is healthy and the ALB metrics are within the thresholds", async (t) => {
    const sim = await simulator(t);
    const loadBalancer = await loadBalancerArn(sim);
    const before = sim.calls.length;
    const run = await gate(sim, { "load-balancer": loadBalancer });
    expect(run.outputs.verdict, run.visibleLog).toBe("pass");
    expect(run.exitCode).toBe(0);
    expect(checks(run)["target health web"]?.summary).toBe("3 healthy");
    expect(checks(run)["error rate (ALB)"]?.summary).toMatch(/^0\.\d+ % over \d+ requests; /);
    expect(checks(run)["p95 latency (ALB)"]?.summary).toMatch(/^1\d\d(\.\d+)? ms over \d+ requests; /);
    // The permissions the README asks for, and no others.
    const iamActions = [...new Set(sim.calls.slice(before).map((c) => c.iamAction))].sort();
    expect(iamActions).toEqual(["cloudwatch:GetMetricData", "elasticloadbalancing:DescribeTargetHealth"]);
    // Scoped to the one target group given.
    const query = sim.calls.find((c) => c.operation === "GetMetricData")?.input as {
      MetricDataQueries: { MetricStat: { Metric: { Dimensions: { Name: string }[] } } }[];
    };
    expect(query.MetricDataQueries[0]?.MetricStat.Metric.Dimensions.map((d) => d.Name)).toEqual([
      "LoadBalancer",
      "TargetGroup",
    ]);
  });

  it("fails on the ALB error rate when the revision answers 8 % 5xx", async (t) => {
    const sim = await simulator(t, { errorRate: 0.08 });
    const run = await gate(sim);
    expect(run.outputs.verdict, run.visibleLog).toBe("fail");
    expect(run.exitCode).toBe(1);
    expect(failed(run)).toEqual(["error rate (ALB)"]);
    expect(checks(run)["error rate (ALB)"]?.summary).toMatch(
      /^(7\.\d+|8(\.\d+)?) % over \d+ requests, must be <= 5 %/,
    );
  });

  it("fails on the ALB p95 when the revision is slow", async (t) => {
    const sim = await simulator(t, { p95Ms: 2400 });
    const run = await gate(sim);
    expect(run.outputs.verdict, run.visibleLog).toBe("fail");
    expect(failed(run)).toEqual(["p95 latency (ALB)"]);
    expect(checks(run)["p95 latency (ALB)"]?.summary).toMatch(/^2\.\d+ s over \d+ requests, must be <= 2 s/);
  });

  it("fails on target health when the tasks start failing their health checks", async (t) => {
    const sim = await simulator(t);
    sim.ecs.setImageBehaviour(`${REGISTRY}/web:1`, {
      healthy: false,
      healthCheckReason: "Target.ResponseCodeMismatch",
      healthCheckDescription: "Health checks failed with these codes: [500]",
    });
    const run = await gate(sim, { soak: "5s" });
    expect(run.outputs.verdict, run.visibleLog).toBe("fail");
    expect(failed(run)).toContain("target health web");
    // ECS stops the failing tasks at once and replaces them after a backoff: the gate sees them
    // drain and the group left without a target.
    expect(checks(run)["target health web"]?.summary).toMatch(
      /^3 reads in a row with unhealthy or no targets: .*no registered targets/,
    );
  });

  it("is inconclusive when the load balancer gets no traffic", async (t) => {
    const sim = await simulator(t, { requestsPerSecond: 0 });
    const run = await gate(sim, { "on-inconclusive": "pass" });
    expect(run.outputs.verdict, run.visibleLog).toBe("inconclusive");
    expect(run.exitCode).toBe(0);
    expect(checks(run)["target health web"]?.status).toBe("pass");
    expect(checks(run)["error rate (ALB)"]?.summary).toMatch(
      /^0 requests in the window, fewer than the 20 needed/,
    );
  });

  it("is inconclusive, as a fault of the gate, when CloudWatch throttles every call", async (t) => {
    const sim = await simulator(
      t,
      {},
      {
        faults: [{ service: "cloudwatch", operation: "GetMetricData", kind: "throttle", rate: 1 }],
      },
    );
    const run = await gate(sim, { "aws-max-attempts": "1" });
    expect(run.outputs.verdict, run.visibleLog).toBe("inconclusive");
    expect(run.exitCode).toBe(1);
    expect(checks(run)["error rate (ALB)"]?.summary).toMatch(
      /CloudWatch could not be read: GetMetricData failed: .+ \(a problem of the gate, not of the service\)$/,
    );
    expect(checks(run)["target health web"]?.status).toBe("pass");
  });

  it("stops at the first denied GetMetricData, naming the IAM action, instead of soaking to inconclusive", async (t) => {
    const sim = await simulator(
      t,
      {},
      { faults: [{ service: "cloudwatch", operation: "GetMetricData", kind: "access-denied" }] },
    );
    const run = await gate(sim, { soak: "5m", timeout: "10m" });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(
      /AWS denied a call health-gate needs: .*not authorized to perform: cloudwatch:GetMetricData/,
    );
    expect(run.errors[0]?.message).toContain("Fix: Allow the IAM action named above");
    // One denied call ends it: no second read, and nowhere near the five-minute soak.
    expect(sim.calls.filter((c) => c.operation === "GetMetricData")).toHaveLength(1);
    expect(run.durationMs).toBeLessThan(20_000);
  });

  it("refuses a target group that does not exist, as the user's to fix", async (t) => {
    const sim = await simulator(t);
    const run = await gate(sim, {
      "target-group-arns":
        "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/nope/0000000000000000",
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(
      /Target group .*targetgroup\/nope\/0000000000000000 was not found/,
    );
  });
});
