// The watch after the gate: the same evidence as the gate (probes, target health, error rate and p95)
// plus the caller's CloudWatch alarms and the rate of error lines in the service's logs, taken once per
// interval over the interval just past, for the whole window. It fails at the first conclusive
// evidence (a streak of failing rounds, or an alarm in ALARM) and otherwise ends verified, with the
// figures and a timeline of every round.
import type { Clock } from "../runtime/clock";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";
import { done, PollTimeoutError, pending, poll } from "../runtime/poller";
import type { AlarmReader, AlarmRound } from "./alarms";
import { describeAlarmRound } from "./alarms";
import type { HttpClient } from "./http";
import { formatRate, type LogErrorCounter, type LogErrorReading } from "./log-errors";
import { type Judgement, judgeReading, type MetricDefinition, type MetricSource } from "./metrics";
import { type HealthProbe, probeOnce } from "./probe";
import {
  classifyRound,
  describeRound,
  type RoundHealth,
  type TargetHealthReader,
  targetGroupName,
  unhealthyTargets,
} from "./target-health";
import {
  type CheckResult,
  combineVerdicts,
  formatValue,
  type HealthReport,
  passingSide,
  type Verdict,
} from "./verdict";

export interface WatchConfig {
  /** How long to watch; 0 takes the evidence once (one interval). */
  windowMs: number;
  intervalMs: number;
  /** Failing rounds in a row that fail the watch (alarms fail at once). */
  failureThreshold: number;
  minRequests: number;
  probes: HealthProbe[];
  targetGroupArns: string[];
  metricSources: MetricSource[];
  alarmNames: string[];
}

export interface WatchDeps {
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
  readTargetHealth?: TargetHealthReader;
  readAlarms?: AlarmReader;
  logErrors?: LogErrorCounter;
}

/** One round of the watch, as the timeline shows it. */
export interface WatchPoint {
  at: string;
  /** Minutes since the watch began. */
  minute: number;
  /** The highest error rate any metric source measured over the round; null when none could. */
  errorRate: number | null;
  /** The highest p95 latency (seconds) any source measured over the round. */
  p95Seconds: number | null;
  logErrorsPerMinute: number | null;
  alarmsInAlarm: string[];
  probesFailed: number;
  targetsUnhealthy: number;
  /** The checks that failed in this round. */
  failing: string[];
}

export interface WatchThresholds {
  errorRate: number | null;
  p95Seconds: number | null;
  logErrorsPerMinute: number | null;
}

export interface WatchFigures {
  rounds: number;
  watchedMs: number;
  maxErrorRate: number | null;
  maxP95Seconds: number | null;
  maxLogErrorsPerMinute: number | null;
  baselineLogErrorsPerMinute: number | null;
  alarms: number;
}

export interface WatchReport {
  verdict: Verdict;
  reason: string;
  startedAt: string;
  finishedAt: string;
  windowMs: number;
  intervalMs: number;
  /** The check that ended the watch early, when one did. */
  triggers: string[];
  checks: CheckResult[];
  timeline: WatchPoint[];
  thresholds: WatchThresholds;
  figures: WatchFigures;
}

/**
 * A health report with the watch after the gate passed (health-gate's `watch`), when it ran. The
 * watch's checks are also in `checks` (named "watch: ..."), and its verdict is the report's.
 */
export interface WatchedHealthReport extends HealthReport {
  watch?: WatchReport;
}

interface Track {
  name: string;
  kind: CheckResult["kind"];
  inARow: number;
  /** Failing rounds in a row that fail the watch. */
  failAt: number;
  rounds: number;
  failedRounds: number;
  judged: number;
  last: string;
  worst?: string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function maxOf(values: readonly (number | null)[]): number | null {
  const numbers = values.filter((v): v is number => v !== null);
  return numbers.length > 0 ? Math.max(...numbers) : null;
}

/** Thresholds of the timeline: the strictest error-rate and p95 thresholds among the metrics. */
function thresholdsOf(definitions: readonly MetricDefinition[]): Omit<WatchThresholds, "logErrorsPerMinute"> {
  const ratio = definitions.filter((d) => d.unit === "ratio").map((d) => d.failWhen.value);
  const seconds = definitions.filter((d) => d.unit === "seconds").map((d) => d.failWhen.value);
  return {
    errorRate: ratio.length > 0 ? Math.min(...ratio) : null,
    p95Seconds: seconds.length > 0 ? Math.min(...seconds) : null,
  };
}

/** Watches for the window; never throws for an unhealthy service (a user mistake or a bug does). */
export async function runWatch(config: WatchConfig, deps: WatchDeps): Promise<WatchReport> {
  const { clock, logger, signal } = deps;
  const startedAt = clock.now();
  const definitions = config.metricSources.flatMap((s) => s.definitions);
  const tracks = new Map<string, Track>();
  const track = (name: string, kind: CheckResult["kind"], failAt = config.failureThreshold): Track => {
    let t = tracks.get(name);
    if (!t) {
      t = { name, kind, inARow: 0, failAt, rounds: 0, failedRounds: 0, judged: 0, last: "not read" };
      tracks.set(name, t);
    }
    return t;
  };
  // Every check has a row in the report from the start, in the order the caller reads them.
  for (const p of config.probes) track(`probe ${p.url}`, "probe");
  for (const arn of config.targetGroupArns) track(`target health ${targetGroupName(arn)}`, "target-health");
  for (const d of definitions) track(d.name, "metric");
  for (const name of config.alarmNames) track(`alarm ${name}`, "alarm", 1);
  const logName = deps.logErrors ? `error lines in ${deps.logErrors.config.logGroup}` : undefined;
  if (logName) track(logName, "logs");

  const baseline = deps.logErrors ? await deps.logErrors.measureBaseline(signal) : undefined;
  if (deps.logErrors && baseline)
    logger.info(`Error lines in the logs: ${deps.logErrors.describeBaseline()}.`);
  const thresholds: WatchThresholds = {
    ...thresholdsOf(definitions),
    logErrorsPerMinute: baseline?.thresholdPerMinute ?? null,
  };

  const timeline: WatchPoint[] = [];
  let triggers: string[] = [];
  let windowStart = startedAt;
  let lastLine = "";
  await Promise.all(
    config.metricSources.map((s) => s.open({ startMs: windowStart, endMs: windowStart }, signal)),
  );

  /** Records one judged round of a check: pass, fail (counts toward the streak) or inconclusive. */
  function judge(t: Track, status: Verdict, detail: string): void {
    t.rounds++;
    t.last = detail;
    if (status === "fail") {
      t.inARow++;
      t.failedRounds++;
      t.judged++;
      t.worst = detail;
    } else if (status === "pass") {
      t.inARow = 0;
      t.judged++;
    }
  }

  async function round(now: number): Promise<WatchPoint> {
    const window = { startMs: windowStart, endMs: now };
    const [probeResults, targetRounds, metricBatches, alarmRound, logReading] = await Promise.all([
      Promise.all(
        config.probes.map((probe) =>
          probeOnce(probe, { http: deps.http, clock, ...(signal ? { signal } : {}) }),
        ),
      ),
      deps.readTargetHealth
        ? Promise.all(
            config.targetGroupArns.map((arn) => (deps.readTargetHealth as TargetHealthReader)(arn, signal)),
          )
        : Promise.resolve([]),
      Promise.all(config.metricSources.map((s) => s.read(window, signal))),
      deps.readAlarms && config.alarmNames.length > 0
        ? deps.readAlarms(now, signal)
        : Promise.resolve(undefined),
      deps.logErrors ? deps.logErrors.read(window, signal) : Promise.resolve(undefined),
    ]);
    // The next round measures from here: endpoint counters are re-based, time windows move on.
    windowStart = now;
    await Promise.all(config.metricSources.map((s) => s.open({ startMs: now, endMs: now }, signal)));

    const failing: string[] = [];
    let probesFailed = 0;
    for (const result of probeResults) {
      const t = track(`probe ${result.url}`, "probe");
      const detail = result.ok
        ? `${result.status} in ${Math.round(result.durationMs)} ms`
        : result.problems.join("; ") || "failed";
      judge(t, result.ok ? "pass" : "fail", detail);
      if (!result.ok) {
        probesFailed++;
        failing.push(t.name);
      }
    }
    let targetsUnhealthy = 0;
    targetRounds.forEach((r, index) => {
      const t = track(
        `target health ${targetGroupName(config.targetGroupArns[index] ?? "")}`,
        "target-health",
      );
      const health: RoundHealth = classifyRound(r);
      const status: Verdict =
        health === "unhealthy" ? "fail" : health === "unknown" ? "inconclusive" : "pass";
      const bad = unhealthyTargets(r);
      targetsUnhealthy += r.targets.filter((x) => x.state === "unhealthy").length;
      judge(t, status, bad.length > 0 ? bad.slice(0, 3).join("; ") : describeRound(r));
      if (status === "fail") failing.push(t.name);
    });
    const errorRates: (number | null)[] = [];
    const p95s: (number | null)[] = [];
    for (const reading of metricBatches.flat()) {
      const definition = definitions.find((d) => d.name === reading.check);
      if (!definition) continue;
      const judgement: Judgement = judgeReading(definition, reading, config.minRequests);
      judge(track(definition.name, "metric"), judgement.status, judgement.detail);
      if (judgement.status === "fail") failing.push(definition.name);
      const value = judgement.status === "inconclusive" ? null : reading.value;
      if (definition.unit === "ratio") errorRates.push(value);
      if (definition.unit === "seconds") p95s.push(value);
    }
    const alarmsInAlarm = alarmRound ? alarmStep(alarmRound, config.alarmNames, track, judge, failing) : [];
    let logRate: number | null = null;
    if (logReading && logName && baseline) {
      logRate = logStep(logReading, track(logName, "logs"), baseline.thresholdPerMinute, judge, failing);
    }
    return {
      at: iso(now),
      minute: Number(((now - startedAt) / 60_000).toFixed(2)),
      errorRate: maxOf(errorRates),
      p95Seconds: maxOf(p95s),
      logErrorsPerMinute: logRate,
      alarmsInAlarm,
      probesFailed,
      targetsUnhealthy,
      failing,
    };
  }

  function progress(point: WatchPoint, now: number): void {
    const parts = [`watch ${formatDuration(now - startedAt)}/${formatDuration(config.windowMs)}`];
    if (config.probes.length > 0)
      parts.push(point.probesFailed === 0 ? "probes ok" : `${point.probesFailed} probe(s) failing`);
    if (config.targetGroupArns.length > 0)
      parts.push(
        point.targetsUnhealthy === 0 ? "targets healthy" : `${point.targetsUnhealthy} target(s) unhealthy`,
      );
    if (thresholds.errorRate !== null)
      parts.push(
        `error rate ${point.errorRate === null ? "no data" : formatValue(point.errorRate, "ratio")}`,
      );
    if (thresholds.p95Seconds !== null)
      parts.push(`p95 ${point.p95Seconds === null ? "no data" : formatValue(point.p95Seconds, "seconds")}`);
    if (config.alarmNames.length > 0)
      parts.push(point.alarmsInAlarm.length === 0 ? "no alarm" : `ALARM: ${point.alarmsInAlarm.join(", ")}`);
    if (point.logErrorsPerMinute !== null) parts.push(`error lines ${formatRate(point.logErrorsPerMinute)}`);
    const streaks = [...tracks.values()]
      .filter((t) => t.inARow > 0)
      .map((t) => `${t.name} ${t.inARow}/${t.failAt}`);
    if (streaks.length > 0) parts.push(`failing: ${streaks.join(", ")}`);
    const line = parts.join("; ");
    // A line per round; the elapsed time alone changing is not news, so it is left out of the compare.
    const news = line.slice(line.indexOf(";"));
    if (news !== lastLine) logger.progress(line);
    lastLine = news;
  }

  const rounds = Math.max(1, Math.floor(config.windowMs / config.intervalMs));
  let ending: "verified" | "failed" = "verified";
  try {
    ending = await poll<"verified" | "failed">(
      {
        intervalMs: config.intervalMs,
        // One interval of slack: a slow round (a busy runner, a slow API) must not cost the last round.
        timeoutMs: (rounds + 1) * config.intervalMs,
        clock,
        jitter: 0,
        fixedRate: true,
        ...(signal ? { signal } : {}),
      },
      async ({ attempt }) => {
        // The first attempt is immediate: it only opens the first window.
        if (attempt === 1) return pending;
        const now = clock.now();
        const point = await round(now);
        timeline.push(point);
        progress(point, now);
        triggers = [...tracks.values()].filter((t) => t.inARow >= t.failAt).map((t) => t.name);
        if (triggers.length > 0) return done("failed");
        return timeline.length >= rounds ? done("verified") : pending;
      },
    );
  } catch (error) {
    if (!(error instanceof PollTimeoutError)) throw error;
  }

  const finishedAt = clock.now();
  const checks = [...tracks.values()].map((t) => checkOf(t, ending));
  const figures: WatchFigures = {
    rounds: timeline.length,
    watchedMs: finishedAt - startedAt,
    maxErrorRate: maxOf(timeline.map((p) => p.errorRate)),
    maxP95Seconds: maxOf(timeline.map((p) => p.p95Seconds)),
    maxLogErrorsPerMinute: maxOf(timeline.map((p) => p.logErrorsPerMinute)),
    baselineLogErrorsPerMinute: baseline?.perMinute ?? null,
    alarms: config.alarmNames.length,
  };
  const verdict = ending === "failed" ? "fail" : combineVerdicts(checks.map((c) => c.status));
  return {
    verdict,
    reason: watchReason(verdict, checks, triggers, figures, config),
    startedAt: iso(startedAt),
    finishedAt: iso(finishedAt),
    windowMs: config.windowMs,
    intervalMs: config.intervalMs,
    triggers,
    checks,
    timeline,
    thresholds,
    figures,
  };
}

function alarmStep(
  round: AlarmRound,
  names: readonly string[],
  track: (name: string, kind: CheckResult["kind"], failAt?: number) => Track,
  judge: (t: Track, status: Verdict, detail: string) => void,
  failing: string[],
): string[] {
  const inAlarm: string[] = [];
  if (round.error !== undefined) {
    for (const name of names)
      judge(track(`alarm ${name}`, "alarm", 1), "inconclusive", describeAlarmRound(round));
    return inAlarm;
  }
  for (const alarm of round.alarms) {
    const t = track(`alarm ${alarm.name}`, "alarm", 1);
    if (alarm.state === "ALARM") {
      inAlarm.push(alarm.name);
      failing.push(t.name);
      judge(t, "fail", `ALARM: ${alarm.reason}`);
    } else judge(t, "pass", alarm.state === "OK" ? "OK" : `${alarm.state} (no data is not a failure)`);
  }
  return inAlarm;
}

function logStep(
  reading: LogErrorReading,
  t: Track,
  thresholdPerMinute: number,
  judge: (t: Track, status: Verdict, detail: string) => void,
  failing: string[],
): number | null {
  if (reading.error !== undefined) {
    judge(t, "inconclusive", `${reading.error} (a problem of the watch, not of the service)`);
    return null;
  }
  const capped = reading.capped ? " (at least: the page limit was reached)" : "";
  const sample = reading.samples.at(-1);
  const detail = `${reading.lines} lines in ${formatDuration(reading.windowMs)} = ${formatRate(reading.perMinute)}${capped}, must be <= ${formatRate(thresholdPerMinute)}${sample ? `; last: ${sample}` : ""}`;
  const fail = reading.perMinute > thresholdPerMinute;
  judge(t, fail ? "fail" : "pass", detail);
  if (fail) failing.push(t.name);
  return reading.perMinute;
}

function checkOf(t: Track, ending: "verified" | "failed"): CheckResult {
  let status: Verdict;
  let summary: string;
  if (t.inARow >= t.failAt) {
    status = "fail";
    summary = t.failAt > 1 ? `${t.inARow} rounds in a row: ${t.last}` : t.last;
  } else if (t.judged === 0) {
    status = "inconclusive";
    summary = t.rounds === 0 ? "not read" : `never judged: ${t.last}`;
  } else if (ending === "failed") {
    // Not the check that ended the watch: what it showed last is what a person needs.
    status = "pass";
    summary = `${t.last}${t.failedRounds > 0 ? `; ${t.failedRounds} of ${t.rounds} rounds failed` : ""}`;
  } else {
    status = "pass";
    summary = `${t.last}${t.failedRounds > 0 ? `; ${t.failedRounds} of ${t.rounds} rounds failed, never ${t.failAt} in a row (worst: ${t.worst})` : ""}`;
  }
  return { name: `watch: ${t.name}`, kind: t.kind, status, summary, measurements: [] };
}

function watchReason(
  verdict: Verdict,
  checks: readonly CheckResult[],
  triggers: readonly string[],
  figures: WatchFigures,
  config: WatchConfig,
): string {
  if (verdict === "fail") {
    const first =
      checks.find((c) => c.name === `watch: ${triggers[0]}`) ?? checks.find((c) => c.status === "fail");
    return `the watch failed after ${formatDuration(figures.watchedMs)} of ${formatDuration(config.windowMs)}: ${first?.name.slice("watch: ".length)}: ${first?.summary}`;
  }
  if (verdict === "inconclusive") {
    const first = checks.find((c) => c.status === "inconclusive");
    return `the watch could not judge ${first?.name.slice("watch: ".length)}: ${first?.summary}`;
  }
  return `verified: ${describeFigures(figures)}`;
}

/** "watched 30m in 30 rounds; error rate max 0.2 %, p95 max 180 ms, error lines max 0/min (before 0.1/min), 2 alarms never in ALARM" */
export function describeFigures(figures: WatchFigures): string {
  const parts = [
    `watched ${formatDuration(figures.watchedMs)} in ${figures.rounds} round${figures.rounds === 1 ? "" : "s"}`,
  ];
  if (figures.maxErrorRate !== null)
    parts.push(`error rate max ${formatValue(figures.maxErrorRate, "ratio")}`);
  if (figures.maxP95Seconds !== null) parts.push(`p95 max ${formatValue(figures.maxP95Seconds, "seconds")}`);
  if (figures.maxLogErrorsPerMinute !== null)
    parts.push(
      `error lines max ${formatRate(figures.maxLogErrorsPerMinute)} (before ${formatRate(figures.baselineLogErrorsPerMinute ?? 0)})`,
    );
  if (figures.alarms > 0)
    parts.push(`${figures.alarms} alarm${figures.alarms === 1 ? "" : "s"} never in ALARM`);
  return parts.join(", ");
}

/** A threshold as the summary shows it next to the value. */
export function thresholdText(definition: MetricDefinition): string {
  return passingSide(definition.failWhen, definition.unit);
}
