// What the watch after the gate costs: AWS and HTTP calls per minute of watching, with the inputs at
// their defaults (a round a minute for 30 minutes) and every kind of evidence configured (a health
// probe, a target group, the ALB's CloudWatch metrics, two alarms, the service's log group). The
// watch's real code runs with real SDK clients against the AWS simulator, whose clock moves with the
// watch's simulated one; only the HTTP service is a counting stand-in. A second case runs the
// committed bundle in real time with the interval scaled down, to show the bundle pays the same per
// round as the core code measured here.
import { PutMetricAlarmCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLoadBalancersCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { inputSpec } from "../actions/health-gate/src/inputs";
import { cloudWatchAlarmReader } from "../packages/core/src/health/alarms";
import { albMetricsSource } from "../packages/core/src/health/cloudwatch";
import type { HttpClient } from "../packages/core/src/health/http";
import { LogErrorCounter } from "../packages/core/src/health/log-errors";
import { parseStatusMatcher } from "../packages/core/src/health/probe";
import { elbTargetHealthReader } from "../packages/core/src/health/target-health";
import { runWatch } from "../packages/core/src/health/watch";
import { SimulatedClock } from "../packages/core/src/runtime/clock";
import { parseInputs } from "../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../packages/core/src/runtime/logger";
import { simulatorClients } from "../test/integration/sim/clients";
import { TG, webScenario } from "../test/integration/sim/web-scenario";
import { runAction } from "../test/rig/harness";
import { type Simulator, simulatorEnv, startSimulator } from "../test/sim/index";
import { type Benchmark, type BenchRow, round, withGoal } from "./types";

const DEFAULTS = parseInputs(inputSpec, { source: () => undefined });
const HEALTH = "http://shop.test/health";
const ALARMS = ["web-5xx", "web-latency"];
const LOG_GROUP = "/ecs/web";
/** Goals: a 30-minute watch must stay cheap enough to run on every production deploy. */
const AWS_CALLS_PER_MINUTE_GOAL = 6;
const HTTP_CALLS_PER_MINUTE_GOAL = 2;

/** The watch's clock, and the simulator's with it: a sleep moves both. */
class SharedClock extends SimulatedClock {
  constructor(private readonly sim: Simulator) {
    super(sim.now());
  }

  override async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sim.advance(ms);
    await super.sleep(ms, signal);
  }
}

/**
 * The web service behind its load balancer, with two alarms. The core case moves the simulator's clock
 * by hand with the watch's; the bundle runs in real time, so its simulator runs 120 times faster and
 * starts a minute in the past (every one-minute period the watch asks for is complete).
 */
async function account(clock: "manual" | "scaled"): Promise<{ sim: Simulator; loadBalancer: string }> {
  const sim = await startSimulator({
    scenario: {
      ...webScenario(),
      clock:
        clock === "manual"
          ? { mode: "manual", start: Date.parse("2026-03-02T09:00:00Z") }
          : { mode: "scaled", factor: 120, start: Date.now() - 60_000 },
      cloudwatch: {
        loadBalancers: { "web-alb": { requestsPerSecond: 20 } },
        revisions: { "web:1": { errorRate: 0.001, p95Ms: 150 } },
      },
    },
  });
  const { elb, cloudwatch } = simulatorClients(sim);
  const out = await elb.send(new DescribeLoadBalancersCommand({ Names: ["web-alb"] }));
  const loadBalancer = out.LoadBalancers?.[0]?.LoadBalancerArn?.split(":loadbalancer/")[1] ?? "";
  if (!loadBalancer) throw new Error("the scenario has no web-alb: nothing to measure");
  for (const [name, metric, threshold] of [
    ["web-5xx", "HTTPCode_Target_5XX_Count", 60],
    ["web-latency", "TargetResponseTime", 2],
  ] as const) {
    await cloudwatch.send(
      new PutMetricAlarmCommand({
        AlarmName: name,
        Namespace: "AWS/ApplicationELB",
        MetricName: metric,
        Dimensions: [{ Name: "LoadBalancer", Value: loadBalancer }],
        Statistic: "Maximum",
        Period: 60,
        EvaluationPeriods: 2,
        Threshold: threshold,
        ComparisonOperator: "GreaterThanThreshold",
      }),
    );
  }
  return { sim, loadBalancer };
}

/** 30 minutes of the watch at the defaults, in simulated time: calls per minute by API. */
async function coreWatch(): Promise<{ aws: Record<string, number>; http: number; minutes: number }> {
  const { sim, loadBalancer } = await account("manual");
  try {
    const clock = new SharedClock(sim);
    const { elb, cloudwatch, logs } = simulatorClients(sim);
    let httpCalls = 0;
    const http: HttpClient = async () => {
      httpCalls++;
      return { status: 200, headers: {}, body: '{"status":"ok"}', durationMs: 3 };
    };
    const deployedAt = clock.now();
    const before = sim.calls.length;
    const report = await runWatch(
      {
        windowMs: DEFAULTS.watch > 0 ? DEFAULTS.watch : 30 * 60_000,
        intervalMs: DEFAULTS.watchInterval,
        failureThreshold: DEFAULTS.failureThreshold,
        minRequests: DEFAULTS.minRequests,
        probes: [
          { url: HEALTH, expectedStatus: parseStatusMatcher(["200"]), jsonAssertions: [], timeoutMs: 2_000 },
        ],
        targetGroupArns: [TG],
        metricSources: [
          albMetricsSource(
            { loadBalancer, errorRateThreshold: DEFAULTS.errorRateThreshold, latencyP95ThresholdSeconds: 2 },
            { cloudwatch },
          ),
        ],
        alarmNames: ALARMS,
      },
      {
        http,
        clock,
        logger: new RecordingLogger(),
        readTargetHealth: elbTargetHealthReader(elb, clock),
        readAlarms: cloudWatchAlarmReader(cloudwatch, ALARMS),
        logErrors: new LogErrorCounter(
          {
            logGroup: LOG_GROUP,
            pattern: DEFAULTS.logErrorPattern,
            baseline: { endMs: deployedAt, durationMs: DEFAULTS.logBaseline },
            factor: DEFAULTS.logErrorFactor,
            minPerMinute: DEFAULTS.logErrorMinRate,
          },
          logs,
        ),
      },
    );
    if (report.verdict !== "pass") throw new Error(`the watch of a healthy service said ${report.reason}`);
    const minutes = report.figures.watchedMs / 60_000;
    const aws: Record<string, number> = {};
    for (const call of sim.calls.slice(before)) aws[call.operation] = (aws[call.operation] ?? 0) + 1;
    if (Object.keys(aws).length === 0 || httpCalls === 0)
      throw new Error("no call was recorded: nothing measured");
    return { aws, http: httpCalls, minutes };
  } finally {
    await sim.stop();
  }
}

/** The committed bundle, real time, a round every 500 ms for 5 s: AWS calls per round of the watch. */
async function bundleWatch(): Promise<{ perRound: number; rounds: number }> {
  const { sim, loadBalancer } = await account("scaled");
  try {
    sim.logs.append(LOG_GROUP, "web/web/old", ["GET /api/products 200"], Date.now() - 60_000);
    let watchFrom = -1;
    const run = await runAction("health-gate", {
      inputs: {
        "target-group-arns": TG,
        "load-balancer": loadBalancer,
        "probe-interval": "250ms",
        soak: "250ms",
        "success-threshold": "1",
        timeout: "20s",
        watch: "5s",
        "watch-interval": "500ms",
        "alarm-names": ALARMS.join("\n"),
        "log-group": LOG_GROUP,
      },
      env: simulatorEnv(sim),
      onLine: (line) => {
        if (watchFrom < 0 && line.includes("Watch for")) watchFrom = sim.calls.length;
      },
    });
    const report = JSON.parse(run.outputs.report ?? "{}") as { watch?: { figures?: { rounds?: number } } };
    const rounds = report.watch?.figures?.rounds ?? 0;
    // The verdict does not matter here (half-second windows of per-minute metrics may be too thin to
    // judge); that the watch ran its rounds does.
    if (watchFrom < 0 || rounds === 0)
      throw new Error(
        `the bundle's watch did not run to its end: ${run.errors[0]?.message ?? run.stderr.slice(-300)}`,
      );
    return { perRound: (sim.calls.length - watchFrom) / rounds, rounds };
  } finally {
    await sim.stop();
  }
}

const bench: Benchmark = {
  name: "watch",
  async run(): Promise<BenchRow[]> {
    const core = await coreWatch();
    const awsTotal = Object.values(core.aws).reduce((a, b) => a + b, 0);
    const perMinute = awsTotal / core.minutes;
    const httpPerMinute = core.http / core.minutes;
    const rows: BenchRow[] = [
      withGoal(
        {
          benchmark: "watch",
          case: "30 min at the defaults, every evidence",
          metric: "AWS calls per minute",
          value: round(perMinute, 2),
          note: Object.entries(core.aws)
            .map(([op, n]) => `${op} ${round(n / core.minutes, 2)}/min`)
            .join(", "),
        },
        `≤ ${AWS_CALLS_PER_MINUTE_GOAL}`,
        perMinute <= AWS_CALLS_PER_MINUTE_GOAL,
      ),
      withGoal(
        {
          benchmark: "watch",
          case: "30 min at the defaults, every evidence",
          metric: "HTTP calls per minute",
          value: round(httpPerMinute, 2),
          note: "one health probe a round (no smoke tests: they run once, in the gate)",
        },
        `≤ ${HTTP_CALLS_PER_MINUTE_GOAL}`,
        httpPerMinute <= HTTP_CALLS_PER_MINUTE_GOAL,
      ),
    ];
    const bundle = await bundleWatch();
    const corePerRound = awsTotal / (core.minutes * (60_000 / DEFAULTS.watchInterval));
    rows.push(
      withGoal(
        {
          benchmark: "watch",
          case: `committed bundle, ${bundle.rounds} rounds of 500 ms`,
          metric: "AWS calls per round",
          value: round(bundle.perRound, 2),
          note: `the core code at the defaults: ${round(corePerRound, 2)} per round`,
        },
        "the same as the core code's",
        Math.abs(bundle.perRound - corePerRound) < 0.5,
      ),
    );
    return rows;
  },
};

export default bench;
