// ecs-deploy and auto-rollback through their committed bundles against the AWS simulator, in
// simulated time: the simulator runs 50× real time and the bundles poll every 100 ms, which is the
// default 5 s interval in simulated time. Figures: API calls per healthy deploy, how long after ECS
// completes (or starts rolling back) the step notices, and how long auto-rollback takes from its start
// to the previous revision restored and verified.

import { deploy, image, rollback, world } from "../test/integration/ecs-deploy/stack";
import { runAction } from "../test/rig/harness";
import { type Simulator, simulatorEnv, startSimulator } from "../test/sim/index";
import { type Benchmark, type BenchRow, median, round, withGoal } from "./types";

const FACTOR = 50;
const POLL = "100ms";
const RUNS = 5;

function seconds(ms: number): number {
  return round(ms / 1000, 1);
}

async function withSim<T>(
  scenario: Parameters<typeof world>[0],
  fn: (sim: Simulator) => Promise<T>,
): Promise<T> {
  const sim = await startSimulator({ scenario: world({ ...scenario, factor: FACTOR }) });
  try {
    return await fn(sim);
  } finally {
    await sim.stop();
  }
}

interface HealthySample {
  calls: number;
  /** DescribeServices calls after the last UpdateService: the polls of the follow. */
  polls: number;
  /** UpdateService calls: one per service, which no batching can save. */
  updates: number;
  byOperation: Record<string, number>;
  lagMs: number;
  rolloutMs: number;
}

function pollsAndUpdates(sim: Simulator): { polls: number; updates: number } {
  const operations = sim.calls.map((c) => c.operation);
  const lastUpdate = operations.lastIndexOf("UpdateService");
  return {
    polls: operations.slice(lastUpdate + 1).filter((op) => op === "DescribeServices").length,
    updates: operations.filter((op) => op === "UpdateService").length,
  };
}

async function manyServices(count: number): Promise<HealthySample> {
  const extra = Array.from({ length: count - 1 }, (_, i) => `svc${i + 1}`);
  return withSim({ extraServices: extra }, async (sim) => {
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      "poll-interval": POLL,
      services: ["web", ...extra].join("\n"),
    });
    if (run.exitCode !== 0) throw new Error(`deploy of ${count} services failed: ${run.stdout.slice(-2000)}`);
    return {
      calls: sim.calls.length,
      ...pollsAndUpdates(sim),
      byOperation: sim.callCounts(),
      lagMs: 0,
      rolloutMs: 0,
    };
  });
}

async function healthyDeploy(): Promise<HealthySample> {
  return withSim({}, async (sim) => {
    const run = await deploy(sim, { containers: `app=${image("2")}`, "poll-interval": POLL });
    if (run.exitCode !== 0) throw new Error(`deploy failed: ${run.stdout.slice(-2000)}`);
    const arn = run.outputs["service-deployment-arn"] ?? "";
    const record = sim.ecs.serviceDeployment(arn);
    const finished = record?.finishedAt ?? 0;
    const saw = sim.calls.find((c) => c.operation === "DescribeServiceDeployments" && c.at >= finished);
    return {
      calls: sim.calls.length,
      ...pollsAndUpdates(sim),
      byOperation: sim.callCounts(),
      lagMs: (saw?.at ?? Number.NaN) - finished,
      rolloutMs: finished - (record?.createdAt ?? finished),
    };
  });
}

async function crashDetection(): Promise<number> {
  return withSim({ images: { [image("2")]: { kind: "crash", exitCode: 1 } } }, async (sim) => {
    const run = await deploy(sim, { containers: `app=${image("2")}`, "poll-interval": POLL });
    // A crash loop that does not fail the step is a broken deploy tool, not a slow one.
    if (run.exitCode === 0) throw new Error("the crash-looping image did not fail the step");
    const record = sim.ecs.serviceDeployment(run.outputs["service-deployment-arn"] ?? "");
    const rollbackAt = record?.rollback?.startedAt ?? Number.NaN;
    const saw = sim.calls.find((c) => c.operation === "DescribeServiceDeployments" && c.at >= rollbackAt);
    return (saw?.at ?? Number.NaN) - rollbackAt;
  });
}

async function rollbackTimes(): Promise<{ restoredMs: number; verifiedMs: number }> {
  return withSim({}, async (sim) => {
    const deployed = await deploy(sim, { containers: `app=${image("2")}`, "poll-interval": POLL });
    const from = sim.calls.length;
    const run = await rollback(sim, {
      "previous-task-definition-arn": deployed.outputs["previous-task-definition-arn"],
      "task-definition-arn": deployed.outputs["task-definition-arn"],
      "poll-interval": POLL,
    });
    if (run.outputs["rolled-back"] !== "true") throw new Error(`rollback failed: ${run.stdout.slice(-2000)}`);
    const calls = sim.calls.slice(from);
    const start = calls[0]?.at ?? Number.NaN;
    const record = sim.ecs.serviceDeployment(run.outputs["service-deployment-arn"] ?? "");
    return {
      restoredMs: (record?.finishedAt ?? Number.NaN) - start,
      verifiedMs: (calls.at(-1)?.at ?? Number.NaN) - start,
    };
  });
}

const benchmark: Benchmark = {
  name: "ecs-deploy",
  async run() {
    // Warm the bundles once (page cache), outside the figures.
    await withSim({}, (sim) =>
      runAction("ecs-deploy", {
        env: simulatorEnv(sim),
        inputs: { cluster: "prod", services: "web", plan: "true" },
      }),
    );
    const healthy: HealthySample[] = [];
    for (let i = 0; i < RUNS; i++) healthy.push(await healthyDeploy());
    const crashes: number[] = [];
    for (let i = 0; i < 3; i++) crashes.push(await crashDetection());
    const ten = await manyServices(10);
    const rollbacks: { restoredMs: number; verifiedMs: number }[] = [];
    for (let i = 0; i < 3; i++) rollbacks.push(await rollbackTimes());

    const bench = "ecs-deploy (simulated time, 5 s polls)";
    // The breakdown of a run with the median count (runs differ by a poll, with the jitter).
    const medianCalls = median(healthy.map((h) => h.calls));
    const typical = healthy.find((h) => h.calls === medianCalls) ?? (healthy[0] as HealthySample);
    const breakdown = Object.entries(typical.byOperation)
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${op} ${n}`)
      .join(", ");
    const maxLag = Math.max(...healthy.map((h) => h.lagMs));
    if (!Number.isFinite(maxLag)) throw new Error("no poll saw the service deployment SUCCESSFUL");
    const tenReads = ten.calls - ten.updates + 1;
    const rows: BenchRow[] = [
      withGoal(
        {
          benchmark: bench,
          case: "healthy deploy, 3 tasks behind an ALB",
          metric: "API calls (median)",
          value: medianCalls,
          note: `${typical.polls} polls; ${breakdown}`,
        },
        `≤ 12 + 1 per poll (${12 + typical.polls})`,
        medianCalls <= 12 + typical.polls,
      ),
      withGoal(
        {
          benchmark: bench,
          case: "healthy deploy, 10 services at once",
          metric: "API calls",
          value: ten.calls,
          note: `${ten.polls} polls; ${ten.updates} UpdateService (one per service: ECS has no batch update), so ${tenReads} calls counting them as one; ${Object.entries(
            ten.byOperation,
          )
            .sort((a, b) => b[1] - a[1])
            .map(([op, n]) => `${op} ${n}`)
            .join(", ")}`,
        },
        `≤ 12 + 1 per poll (${12 + ten.polls}), the UpdateService per service apart`,
        tenReads <= 12 + ten.polls,
      ),
      withGoal(
        {
          benchmark: bench,
          case: "healthy deploy",
          metric: "stability-detection lag (median / max)",
          value: `${seconds(median(healthy.map((h) => h.lagMs)))} / ${seconds(maxLag)}`,
          unit: "s",
          note: `ECS SUCCESSFUL to the poll that saw it; the rollout itself took ${seconds(median(healthy.map((h) => h.rolloutMs)))} s`,
        },
        "max ≤ one poll (5 s)",
        maxLag <= 5_000,
      ),
      {
        benchmark: bench,
        case: "crash-looping image",
        metric: "rollback-detection lag (median)",
        value: seconds(median(crashes)),
        unit: "s",
        note: "circuit breaker's ROLLBACK_IN_PROGRESS to the poll that failed the step",
      },
      {
        benchmark: "auto-rollback (simulated time, 5 s polls)",
        case: "deploy passed ECS but is bad",
        metric: "start to previous revision restored (median)",
        value: seconds(median(rollbacks.map((r) => r.restoredMs))),
        unit: "s",
        note: `to verified (every task a healthy target): ${seconds(median(rollbacks.map((r) => r.verifiedMs)))} s`,
      },
    ];
    return rows;
  },
};

export default benchmark;
