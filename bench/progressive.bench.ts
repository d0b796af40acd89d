// A bad release (30 % of its requests answered 5xx, healthy to ECS's checks) deployed through the
// ecs-deploy bundle against the simulator: as a 5 % canary judged by shipline, and as a rolling
// deployment beside it. Simulated time moves 5 s (one poll, the default probe interval) per read of
// the service, so the figures do not depend on the machine. The ground truth is the simulator's, not
// the step's report: the listener's weights over time and the load balancer's metrics read afresh.
import { CloudWatchClient, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { startPollClocked } from "../test/integration/ecs-deploy/ecs-variants";
import { deploy, image, TG_GREEN, world } from "../test/integration/ecs-deploy/stack";
import { type Simulator, simulatorEnv } from "../test/sim/index";
import { type Benchmark, type BenchRow, round, withGoal } from "./types";

const POLL_SIM_MS = 5_000;
const RPS = 200;
const BAD = { errorRate: 0.3 };

/** Sums of RequestCount and HTTPCode_Target_5XX_Count of the load balancer (or one target group). */
async function totals(
  sim: Simulator,
  from: number,
  to: number,
  targetGroup?: string,
): Promise<{ requests: number; errors: number }> {
  const env = simulatorEnv(sim);
  const client = new CloudWatchClient({
    endpoint: sim.endpoint,
    region: sim.region,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? "",
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? "",
    },
  });
  const lb = sim.elbv2.loadBalancers()[0]?.LoadBalancerArn?.split(":loadbalancer/")[1] ?? "";
  const dimensions = [{ Name: "LoadBalancer", Value: lb }];
  if (targetGroup) dimensions.push({ Name: "TargetGroup", Value: targetGroup.split(":").slice(5).join(":") });
  const query = (id: string, name: string) => ({
    Id: id,
    MetricStat: {
      Metric: { Namespace: "AWS/ApplicationELB", MetricName: name, Dimensions: dimensions },
      Period: 60,
      Stat: "Sum",
    },
  });
  const out = await client.send(
    new GetMetricDataCommand({
      MetricDataQueries: [query("requests", "RequestCount"), query("errors", "HTTPCode_Target_5XX_Count")],
      StartTime: new Date(Math.floor(from / 60_000) * 60_000),
      EndTime: new Date(Math.ceil(to / 60_000) * 60_000 + 60_000),
    }),
  );
  client.destroy();
  const sum = (id: string) =>
    (out.MetricDataResults?.find((r) => r.Id === id)?.Values ?? []).reduce((a, b) => a + b, 0);
  return { requests: sum("requests"), errors: sum("errors") };
}

function greenShares(sim: Simulator): { at: number; percent: number }[] {
  return sim.elbv2.weightHistory("web-alb").map((w) => {
    const total = Object.values(w.weights).reduce((a, b) => a + b, 0);
    return { at: w.at, percent: total > 0 ? ((w.weights[TG_GREEN] ?? 0) * 100) / total : 0 };
  });
}

interface CanarySample {
  failedShare: number;
  badRequests: number;
  badFailed: number;
  detectionMs: number;
  maxShare: number;
  stoppedBeforeBake: boolean;
}

async function canary(): Promise<CanarySample> {
  const sim = await startPollClocked(
    world({
      strategy: "CANARY",
      desiredCount: 3,
      manualClock: true,
      metrics: { loadBalancers: { "web-alb": { requestsPerSecond: RPS } }, images: { [image("2")]: BAD } },
    }),
    POLL_SIM_MS,
  );
  try {
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      strategy: "canary",
      "canary-percent": "5",
      "canary-bake-minutes": "10",
      "poll-interval": "100ms",
    });
    if (run.exitCode === 0) throw new Error("the bad canary was not stopped");
    const update = sim.calls.find((c) => c.operation === "UpdateService");
    const stop = sim.calls.find((c) => c.operation === "StopServiceDeployment");
    const shares = greenShares(sim);
    const firstBad = shares.find((s) => s.percent > 0);
    const backToZero = shares.filter((s) => firstBad && s.at > firstBad.at).find((s) => s.percent === 0);
    if (!update || !stop || !firstBad || !backToZero)
      throw new Error(
        "cannot measure: no UpdateService, StopServiceDeployment or canary share in the simulator",
      );
    const end = Math.max(backToZero.at, sim.calls.at(-1)?.at ?? backToZero.at);
    const all = await totals(sim, update.at, end);
    const bad = await totals(sim, update.at, end, TG_GREEN);
    if (all.requests === 0 || bad.requests === 0) throw new Error("cannot measure: no requests were counted");
    return {
      failedShare: bad.errors / all.requests,
      badRequests: bad.requests,
      badFailed: bad.errors,
      detectionMs: stop.at - firstBad.at,
      maxShare: Math.max(...shares.map((s) => s.percent)),
      stoppedBeforeBake: stop.at - firstBad.at < 10 * 60_000,
    };
  } finally {
    await sim.stop();
  }
}

async function rolling(): Promise<{ failedShare: number; durationMs: number; succeeded: boolean }> {
  const sim = await startPollClocked(
    world({
      desiredCount: 3,
      manualClock: true,
      metrics: { loadBalancers: { "web-alb": { requestsPerSecond: RPS } }, images: { [image("2")]: BAD } },
    }),
    POLL_SIM_MS,
  );
  try {
    const run = await deploy(sim, { containers: `app=${image("2")}`, "poll-interval": "100ms" });
    const update = sim.calls.find((c) => c.operation === "UpdateService");
    const end = sim.calls.at(-1)?.at;
    if (!update || end === undefined) throw new Error("cannot measure: the rolling deploy made no update");
    const all = await totals(sim, update.at, end);
    // The stable revision's own 0.1 % of errors is not the bad version's doing.
    const stableErrors = all.requests * 0.001;
    if (all.requests === 0) throw new Error("cannot measure: no requests were counted");
    return {
      failedShare: Math.max(0, all.errors - stableErrors) / all.requests,
      durationMs: end - update.at,
      succeeded: run.exitCode === 0,
    };
  } finally {
    await sim.stop();
  }
}

const pct = (ratio: number): number => round(ratio * 100, 3);

const benchmark: Benchmark = {
  name: "progressive",
  async run() {
    const c = await canary();
    const r = await rolling();
    const bench = "bad release, 30 % of requests fail (simulated time, 5 s polls)";
    const rows: BenchRow[] = [
      withGoal(
        {
          benchmark: bench,
          case: "5 % canary judged by shipline",
          metric: "share of all requests during the deployment failed by the bad version",
          value: pct(c.failedShare),
          unit: "%",
          note: `the bad version served ${Math.round(c.badRequests)} requests and failed ${Math.round(c.badFailed)}; at most ${c.maxShare} % of production traffic; ${c.stoppedBeforeBake ? "stopped before the 10 min canary bake ended" : "NOT stopped before the bake ended"}`,
        },
        "≤ 0.5 %",
        c.failedShare <= 0.005 && c.stoppedBeforeBake,
      ),
      withGoal(
        {
          benchmark: bench,
          case: "5 % canary judged by shipline",
          metric: "first bad request to StopServiceDeployment",
          value: round(c.detectionMs / 1000, 1),
          unit: "s",
          note: "the simulator's metrics are readable at once; CloudWatch publishes ALB metrics per minute, a minute or two late",
        },
        `≤ 3 probe intervals (${(3 * POLL_SIM_MS) / 1000} s)`,
        c.detectionMs <= 3 * POLL_SIM_MS,
      ),
      {
        benchmark: bench,
        case: "same release, rolling deployment",
        metric: "share of all requests during the deployment failed by the bad version",
        value: pct(r.failedShare),
        unit: "%",
        note: `over the ${round(r.durationMs / 1000, 0)} s rollout, which ECS ${r.succeeded ? "completed: the bad version now serves all traffic" : "failed"}`,
      },
    ];
    return rows;
  },
};

export default benchmark;
