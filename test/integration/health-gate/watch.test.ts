// Acceptance of the watch after the gate: the committed bundle against the AWS simulator (target
// health, metric alarms evaluated from its ALB metrics, error lines in its CloudWatch Logs) and the
// fake GitHub (the deployment's final status). The action runs in real time and the simulator 120
// times faster, so an alarm's one-minute period passes in half a second; the error lines are written
// with the runner's own clock, as a container's log driver stamps them.
import { PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it, type TestContext } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { type ActionRun, runAction } from "../../rig/harness";
import { type Scenario, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import { simulatorClients } from "../sim/clients";
import { TG, webScenario } from "../sim/web-scenario";

const TOKEN = "ghs_watchTestToken0123456789abcdefABCDEF";
const LOG_GROUP = "/ecs/web";
const ALARM = "web-5xx";

/** An alarm on the target 5xx responses of the load balancer, over one-minute periods. */
async function putErrorAlarm(sim: Simulator): Promise<void> {
  const { elb, cloudwatch } = simulatorClients(sim);
  const out = await elb.send(new DescribeLoadBalancersCommand({ Names: ["web-alb"] }));
  const arn = out.LoadBalancers?.[0]?.LoadBalancerArn ?? "";
  const dimension = arn.slice(arn.indexOf(":loadbalancer/") + ":loadbalancer/".length);
  await cloudwatch.send(
    new PutMetricAlarmCommand({
      AlarmName: ALARM,
      Namespace: "AWS/ApplicationELB",
      MetricName: "HTTPCode_Target_5XX_Count",
      Dimensions: [{ Name: "LoadBalancer", Value: dimension }],
      Statistic: "Sum",
      Period: 60,
      EvaluationPeriods: 2,
      DatapointsToAlarm: 2,
      Threshold: 50,
      ComparisonOperator: "GreaterThanThreshold",
      TreatMissingData: "notBreaching",
    }),
  );
}

async function simulator(t: TestContext): Promise<Simulator> {
  const scenario: Scenario = {
    ...webScenario(),
    clock: { mode: "scaled", factor: 120, start: Date.now() - 60_000 },
    cloudwatch: {
      loadBalancers: { "web-alb": { requestsPerSecond: 20 } },
      revisions: { "web:1": { errorRate: 0.001, p95Ms: 150 } },
    },
  };
  const sim = await startSimulator({ scenario });
  t.onTestFinished(() => sim.stop());
  await putErrorAlarm(sim);
  return sim;
}

async function github(t: TestContext): Promise<{ github: FakeGitHub; deploymentId: number }> {
  const fake = await startFakeGitHub({ owner: "acme", repo: "shop" });
  t.onTestFinished(() => fake.close());
  const response = await fetch(`${fake.url}/repos/acme/shop/deployments`, {
    method: "POST",
    headers: { authorization: `token ${TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify({ ref: "main", environment: "production", required_contexts: [] }),
  });
  const body = (await response.json()) as { id: number };
  return { github: fake, deploymentId: body.id };
}

/** The error lines of the previous version, in the half hour before the deploy: 2 a minute. */
function previousVersionErrors(sim: Simulator, deployedAt: number): void {
  for (let minute = 30; minute >= 1; minute--) {
    const at = deployedAt - minute * 60_000;
    sim.logs.append(LOG_GROUP, "web/web/old", ["ERROR payment provider timed out", "ERROR retrying"], at);
    sim.logs.append(LOG_GROUP, "web/web/old", ["GET /api/products 200"], at);
  }
}

function watchInputs(extra: Record<string, string> = {}): Record<string, string> {
  return {
    "target-group-arns": TG,
    "probe-interval": "250ms",
    soak: "0s",
    "success-threshold": "1",
    timeout: "20s",
    watch: "3s",
    "watch-interval": "500ms",
    "alarm-names": ALARM,
    "log-group": LOG_GROUP,
    ...extra,
  };
}

interface Report {
  verdict: string;
  reason: string;
  failedChecks: string[];
  watch?: { verdict: string; timeline: unknown[]; figures: Record<string, number | null> };
}

function report(run: ActionRun): Report {
  return JSON.parse(run.outputs.report ?? "{}") as Report;
}

describe.concurrent("health-gate watch against the AWS simulator", () => {
  it("watches the whole window after the gate and records a verified status with the figures", async (t) => {
    const sim = await simulator(t);
    const { github: fake, deploymentId } = await github(t);
    const deployedAt = Date.now();
    previousVersionErrors(sim, deployedAt);
    const run = await runAction("health-gate", {
      inputs: watchInputs({
        "deployed-at": new Date(deployedAt).toISOString(),
        "github-token": TOKEN,
        "deployment-id": String(deploymentId),
      }),
      env: { ...simulatorEnv(sim), GITHUB_API_URL: fake.url },
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    const r = report(run);
    expect(r.verdict).toBe("pass");
    expect(r.watch?.verdict).toBe("pass");
    expect(r.watch?.timeline.length).toBe(6);
    expect(r.watch?.figures.baselineLogErrorsPerMinute).toBe(2);
    // One progress line per round of the watch, saying what it saw.
    expect(run.stdout).toMatch(/watch .*targets healthy; no alarm; error lines 0\/min/);
    expect(run.summary).toContain("watch: ✅ verified");
    expect(run.summary).toContain("xychart-beta");
    const statuses = fake.state.deployments.find((d) => d.id === deploymentId)?.statuses ?? [];
    expect(statuses.at(-1)?.state).toBe("success");
    expect(statuses.at(-1)?.description).toMatch(
      /^\[shipline verified\] verified: watched 3s in 6 rounds, error lines max 0\/min \(before 2\/min\), 1 alarm never in ALARM/,
    );
    // The alarm is read by name, never listed whole: once before the gate, then once a round.
    const describes = sim.calls.filter((c) => c.operation === "DescribeAlarms");
    expect(describes.length).toBe(7);
    expect(describes.every((c) => JSON.stringify(c.input).includes(ALARM))).toBe(true);
  });

  it("fails when error lines rise above three times the previous version's rate after the gate", async (t) => {
    const sim = await simulator(t);
    const deployedAt = Date.now();
    previousVersionErrors(sim, deployedAt);
    let flooding: NodeJS.Timeout | undefined;
    t.onTestFinished(() => clearInterval(flooding));
    const run = await runAction("health-gate", {
      inputs: watchInputs({ "deployed-at": new Date(deployedAt).toISOString(), watch: "20s" }),
      env: simulatorEnv(sim),
      onLine: (line) => {
        // The gate has passed: the new version starts logging errors, 20 in each half second.
        if (!flooding && line.includes("Watch for")) {
          flooding = setInterval(() => {
            const lines = Array.from(
              { length: 20 },
              (_, i) => `ERROR order ${i} failed: Exception in batch writer`,
            );
            sim.logs.append(LOG_GROUP, "web/web/new", lines, Date.now());
          }, 100);
        }
      },
    });
    expect(run.exitCode).toBe(1);
    const r = report(run);
    expect(r.verdict).toBe("fail");
    expect(r.failedChecks).toContain(`watch: error lines in ${LOG_GROUP}`);
    expect(r.reason).toMatch(
      /the watch failed after .* of 20s: error lines in \/ecs\/web: 3 rounds in a row: \d+ lines in/,
    );
    expect(r.reason).toContain("must be <= 6/min");
  });

  it("fails at once when a named alarm goes to ALARM during the watch", async (t) => {
    const sim = await simulator(t);
    const run = await runAction("health-gate", {
      inputs: watchInputs({ watch: "20s", "log-group": "" }),
      env: simulatorEnv(sim),
      onLine: (line) => {
        if (line.includes("Watch for")) sim.cloudwatch.setProfile({ revision: "web:1" }, { errorRate: 0.4 });
      },
    });
    expect(run.exitCode).toBe(1);
    const r = report(run);
    expect(r.failedChecks).toEqual([`watch: alarm ${ALARM}`]);
    expect(r.reason).toMatch(/alarm web-5xx: ALARM: Threshold Crossed: 2 out of the last 2 datapoints/);
    expect(run.errors[0]?.message).toContain(`watch: alarm ${ALARM}`);
  });

  it("refuses an alarm name CloudWatch does not know, before the watch relies on it", async (t) => {
    const sim = await simulator(t);
    const run = await runAction("health-gate", {
      inputs: watchInputs({ "alarm-names": "web-5xx\nweb-typo", "log-group": "" }),
      env: simulatorEnv(sim),
    });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toContain('CloudWatch has no metric alarm named "web-typo"');
    expect(run.errors[0]?.message).toContain("alarm-names");
    // Refused before the gate began: no target health was read.
    expect(sim.calls.filter((c) => c.operation === "DescribeTargetHealth")).toEqual([]);
  });

  it("leaves the watch's inputs unused when there is no watch, and says so", async (t) => {
    const sim = await simulator(t);
    const run = await runAction("health-gate", {
      inputs: watchInputs({ watch: "0s", "log-group": "" }),
      env: simulatorEnv(sim),
    });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(
      "`alarm-names`: read by the watch after the gate; `watch` is 0s, so not used.",
    );
    expect(report(run).watch).toBeUndefined();
    expect(sim.calls.filter((c) => c.operation === "DescribeAlarms")).toEqual([]);
  });
});
