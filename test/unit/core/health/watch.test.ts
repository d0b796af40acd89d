// The watch after the gate, in simulated time: a round per interval over the interval just past, a
// streak of failing rounds (or one alarm in ALARM) ends it early, and otherwise it ends verified with
// figures and a timeline.
import { describe, expect, it } from "vitest";
import type { AlarmReader, AlarmReading } from "../../../../packages/core/src/health/alarms";
import { LogErrorCounter, logErrorThreshold } from "../../../../packages/core/src/health/log-errors";
import { type HealthProbe, parseStatusMatcher } from "../../../../packages/core/src/health/probe";
import { describeFigures, runWatch, type WatchConfig } from "../../../../packages/core/src/health/watch";
import { writeWatchSummary } from "../../../../packages/core/src/health/watch-summary";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import { SummaryBuilder } from "../../../../packages/core/src/runtime/summary";
import {
  errorRateDefinition,
  type FakeOutcome,
  fakeHttp,
  latencyDefinition,
  scriptedSource,
} from "../../health-gate/fakes";

const URL = "http://shop.test/health";
const MINUTE = 60_000;

function probe(): HealthProbe {
  return { url: URL, expectedStatus: parseStatusMatcher(["200"]), jsonAssertions: [], timeoutMs: 2_000 };
}

function config(overrides: Partial<WatchConfig> = {}): WatchConfig {
  return {
    windowMs: 30 * MINUTE,
    intervalMs: MINUTE,
    failureThreshold: 3,
    minRequests: 20,
    probes: [probe()],
    targetGroupArns: [],
    metricSources: [],
    alarmNames: [],
    ...overrides,
  };
}

function setup(respond: (elapsed: number) => FakeOutcome = () => ({ status: 200, body: { status: "ok" } })) {
  const clock = new SimulatedClock();
  const start = clock.now();
  const http = fakeHttp(clock, (_request, now) => respond(now - start));
  const logger = new RecordingLogger();
  return { clock, start, logger, deps: { http, clock, logger } };
}

/** An error rate that turns bad at `badFrom` (ms since the start), over each window read. */
function errorRateSource(badFrom: number, start: () => number) {
  return scriptedSource([errorRateDefinition, latencyDefinition], (window) => {
    const bad = window.endMs - start() > badFrom;
    return [
      { value: bad ? 0.3 : 0.001, requests: 1_200 },
      { value: 0.18, requests: 1_200 },
    ];
  });
}

function alarmReader(
  stateAt: (elapsed: number) => AlarmReading["state"],
  start: () => number,
): AlarmReader & {
  calls: number;
} {
  const reader = Object.assign(
    async (at: number) => {
      reader.calls++;
      const state = stateAt(at - start());
      return {
        at,
        alarms: [
          { name: "web-5xx", state, reason: state === "ALARM" ? "Threshold Crossed" : "", since: null },
        ],
      };
    },
    { calls: 0 },
  );
  return reader;
}

describe("runWatch", () => {
  it("watches the whole window, one round a minute, each over the minute just past, and ends verified", async () => {
    const { deps, clock, start } = setup();
    const source = errorRateSource(Number.POSITIVE_INFINITY, () => start);
    const report = await runWatch(config({ metricSources: [source] }), deps);
    expect(report.verdict).toBe("pass");
    expect(clock.now() - start).toBe(30 * MINUTE);
    expect(report.timeline).toHaveLength(30);
    expect(source.reads.map((w) => w.endMs - w.startMs)).toEqual(Array(30).fill(MINUTE));
    // Each window starts where the last one ended, and the source is re-opened there.
    expect(source.reads[1]?.startMs).toBe(source.reads[0]?.endMs);
    expect(source.opened).toHaveLength(31);
    expect(report.figures).toMatchObject({ rounds: 30, maxErrorRate: 0.001, maxP95Seconds: 0.18 });
    expect(report.reason).toBe("verified: watched 30m in 30 rounds, error rate max 0.1 %, p95 max 180 ms");
  });

  it("fails three rounds after the error rate turns bad ten minutes in, and stops watching", async () => {
    const { deps, clock, start } = setup();
    const report = await runWatch(
      config({ metricSources: [errorRateSource(10 * MINUTE, () => start)] }),
      deps,
    );
    expect(report.verdict).toBe("fail");
    expect(clock.now() - start).toBe(13 * MINUTE);
    expect(report.triggers).toEqual(["error rate (test)"]);
    expect(report.reason).toMatch(
      /^the watch failed after 13m of 30m: error rate \(test\): 3 rounds in a row: 30 %/,
    );
    expect(report.timeline.map((p) => p.errorRate)).toEqual([...Array(10).fill(0.001), 0.3, 0.3, 0.3]);
  });

  it("does not fail on two bad rounds between good ones, and says so in the check", async () => {
    const { deps } = setup();
    const source = scriptedSource([errorRateDefinition], (window) => [
      { value: Math.floor(window.endMs / MINUTE) % 3 === 0 ? 0.001 : 0.2, requests: 500 },
    ]);
    const report = await runWatch(config({ windowMs: 9 * MINUTE, metricSources: [source] }), deps);
    expect(report.verdict).toBe("pass");
    expect(report.checks.find((c) => c.name === "watch: error rate (test)")?.summary).toMatch(
      /6 of 9 rounds failed, never 3 in a row/,
    );
  });

  it("fails at once on an alarm in ALARM, naming it", async () => {
    const { deps, clock, start } = setup();
    const readAlarms = alarmReader(
      (elapsed) => (elapsed > 4 * MINUTE ? "ALARM" : "OK"),
      () => start,
    );
    const report = await runWatch(config({ alarmNames: ["web-5xx"] }), { ...deps, readAlarms });
    expect(report.verdict).toBe("fail");
    expect(clock.now() - start).toBe(5 * MINUTE);
    expect(report.triggers).toEqual(["alarm web-5xx"]);
    expect(report.timeline.at(-1)?.alarmsInAlarm).toEqual(["web-5xx"]);
    expect(readAlarms.calls).toBe(5);
  });

  it("counts INSUFFICIENT_DATA as no failure", async () => {
    const { deps } = setup();
    const readAlarms = alarmReader(
      () => "INSUFFICIENT_DATA",
      () => 0,
    );
    const report = await runWatch(config({ windowMs: 3 * MINUTE, alarmNames: ["web-5xx"] }), {
      ...deps,
      readAlarms,
    });
    expect(report.verdict).toBe("pass");
  });

  it("takes the evidence once when the window is 0", async () => {
    const { deps, clock, start } = setup();
    const report = await runWatch(config({ windowMs: 0 }), deps);
    expect(report.timeline).toHaveLength(1);
    expect(clock.now() - start).toBe(MINUTE);
    expect(report.verdict).toBe("pass");
  });

  it("is inconclusive when no round could judge a metric", async () => {
    const { deps } = setup();
    const source = scriptedSource([errorRateDefinition], () => [{ value: 0, requests: 3 }]);
    const report = await runWatch(
      config({ windowMs: 3 * MINUTE, probes: [], metricSources: [source] }),
      deps,
    );
    expect(report.verdict).toBe("inconclusive");
    expect(report.reason).toMatch(
      /could not judge error rate \(test\): never judged: 3 requests in the window/,
    );
  });

  it("prints a line per round only when something changed", async () => {
    const { deps, logger } = setup((elapsed) =>
      elapsed > 3 * MINUTE && elapsed <= 5 * MINUTE
        ? { status: 503, body: "down" }
        : { status: 200, body: {} },
    );
    await runWatch(config({ windowMs: 8 * MINUTE }), deps);
    const lines = logger.lines.filter((e) => e.level === "progress").map((e) => e.message);
    expect(lines).toEqual([
      "watch 1m/8m; probes ok",
      "watch 4m/8m; 1 probe(s) failing; failing: probe http://shop.test/health 1/3",
      "watch 5m/8m; 1 probe(s) failing; failing: probe http://shop.test/health 2/3",
      "watch 6m/8m; probes ok",
    ]);
  });
});

describe("error lines in the logs", () => {
  it("fails above three times the previous version's rate, and never below the floor", () => {
    expect(logErrorThreshold(2, 3, 1)).toBe(6);
    expect(logErrorThreshold(0, 3, 1)).toBe(1);
  });

  it("judges each round against the baseline measured before the deploy", async () => {
    const { deps, clock, start } = setup();
    // 2 lines a minute before the deploy; 10 a minute from 5 minutes into the watch.
    const deployedAt = start;
    const logs = {
      send: async (command: { input: { startTime: number; endTime: number } }) => {
        const { startTime, endTime } = command.input;
        const perMinute = endTime <= deployedAt ? 2 : endTime - start > 5 * MINUTE ? 10 : 1;
        const count = Math.round(((endTime - startTime) / MINUTE) * perMinute);
        const at = Math.floor((startTime + endTime) / 2);
        return {
          events: Array.from({ length: count }, (_, i) => ({ timestamp: at, message: `ERROR ${i}` })),
        };
      },
    };
    const counter = new LogErrorCounter(
      {
        logGroup: "/ecs/web",
        pattern: "?ERROR",
        baseline: { endMs: deployedAt, durationMs: 30 * MINUTE },
        factor: 3,
        minPerMinute: 1,
      },
      logs as never,
    );
    const report = await runWatch(config({ probes: [], windowMs: 30 * MINUTE }), {
      ...deps,
      logErrors: counter,
    });
    expect(report.figures.baselineLogErrorsPerMinute).toBe(2);
    expect(report.thresholds.logErrorsPerMinute).toBe(6);
    expect(report.verdict).toBe("fail");
    expect(clock.now() - start).toBe(8 * MINUTE);
    expect(report.triggers).toEqual(["error lines in /ecs/web"]);
  });
});

describe("the watch's figures and summary", () => {
  it("says what was watched in one line a deployment status can carry", () => {
    const line = describeFigures({
      rounds: 30,
      watchedMs: 30 * MINUTE,
      maxErrorRate: 0.002,
      maxP95Seconds: 0.31,
      maxLogErrorsPerMinute: 0.5,
      baselineLogErrorsPerMinute: 0.4,
      alarms: 2,
    });
    expect(line).toBe(
      "watched 30m in 30 rounds, error rate max 0.2 %, p95 max 310 ms, error lines max 0.5/min (before 0.4/min), 2 alarms never in ALARM",
    );
    expect(`verified: ${line}`.length).toBeLessThanOrEqual(140);
  });

  it("draws the error rate and p95 against their thresholds", async () => {
    const { deps, start } = setup();
    const report = await runWatch(
      config({
        windowMs: 5 * MINUTE,
        metricSources: [errorRateSource(Number.POSITIVE_INFINITY, () => start)],
      }),
      deps,
    );
    const summary = new SummaryBuilder();
    writeWatchSummary(summary, report);
    const markdown = summary.toMarkdown();
    expect(markdown).toContain('title "Error rate during the watch (flat line: threshold)"');
    expect(markdown).toContain("line [5, 5, 5, 5, 5]");
    expect(markdown).toContain('title "p95 latency during the watch (flat line: threshold)"');
    expect(markdown).toContain("line [2000, 2000, 2000, 2000, 2000]");
    expect(markdown).toContain("Every round of the watch (5)");
  });
});
