// The health gate: watches a fresh deployment with probes, smoke tests, target health and metrics on
// one cadence, fails as soon as the evidence is conclusive, and otherwise decides at the end of the
// soak window. Every measurement goes into the report.
import type { Clock } from "../runtime/clock";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";
import { done, PollTimeoutError, pending, poll } from "../runtime/poller";
import type { HttpClient } from "./http";
import {
  type Judgement,
  judgeReading,
  type MetricDefinition,
  type MetricReading,
  type MetricSource,
} from "./metrics";
import { type HealthProbe, type ProbeResult, probeOnce } from "./probe";
import { runSmokeTest, type SmokeResult, type SmokeTest } from "./smoke";
import {
  classifyRound,
  describeRound,
  type RoundHealth,
  type TargetHealthReader,
  type TargetHealthRound,
  targetGroupName,
  unhealthyTargets,
} from "./target-health";
import {
  type CheckResult,
  combineVerdicts,
  formatValue,
  type GateSettings,
  type HealthReport,
  type Measurement,
  passingSide,
  type Verdict,
} from "./verdict";

export interface GateConfig {
  settings: GateSettings;
  probes: HealthProbe[];
  /** The version every probe must see served, when a version check is configured. */
  expectedVersion?: string;
  smokeTests: SmokeTest[];
  smokeSecrets: Readonly<Record<string, string>>;
  baseUrl?: string;
  targetGroupArns: string[];
  metricSources: MetricSource[];
}

export interface GateDeps {
  http: HttpClient;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
  /** Needed when target groups are configured. */
  readTargetHealth?: TargetHealthReader;
}

export const VERSION_CHECK = "served version";

interface Streak {
  successes: number;
  failures: number;
}

interface ProbeRecord {
  result: ProbeResult;
  /** False for a failure during the warm-up grace, which does not count against the service. */
  counted: boolean;
}

interface ProbeTrack extends Streak {
  probe: HealthProbe;
  records: ProbeRecord[];
}

interface VersionRecord {
  at: number;
  url: string;
  served: string | null;
  ok: boolean;
  problem?: string;
  counted: boolean;
}

interface TargetTrack {
  arn: string;
  name: string;
  rounds: { round: TargetHealthRound; health: RoundHealth; counted: boolean }[];
  unhealthyInARow: number;
}

interface MetricRecord {
  at: number;
  windowMs: number;
  reading: MetricReading;
  judgement: Judgement;
}

interface MetricTrack {
  definition: MetricDefinition;
  records: MetricRecord[];
  breachesInARow: number;
}

/** How the watch ended: every check settled, one failed conclusively, or the timeout came first. */
export type GateEnding = "ready" | "failed" | "timeout";
type Ending = GateEnding;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function bump(streak: Streak, ok: boolean, counted: boolean): void {
  if (ok) {
    streak.successes++;
    streak.failures = 0;
  } else {
    streak.successes = 0;
    if (counted) streak.failures++;
  }
}

/** Watches the deployment until the verdict is clear; never throws for an unhealthy service. */
export async function runHealthGate(config: GateConfig, deps: GateDeps): Promise<HealthReport> {
  const { settings } = config;
  const { clock, logger } = deps;
  const startedAt = clock.now();
  let soakStart: number | undefined;

  const probes: ProbeTrack[] = config.probes.map((probe) => ({
    probe,
    records: [],
    successes: 0,
    failures: 0,
  }));
  const versionChecked = config.probes.some((p) => p.version !== undefined);
  const version: Streak & { records: VersionRecord[] } = { successes: 0, failures: 0, records: [] };
  const targets: TargetTrack[] = config.targetGroupArns.map((arn) => ({
    arn,
    name: targetGroupName(arn),
    rounds: [],
    unhealthyInARow: 0,
  }));
  if (targets.length > 0 && !deps.readTargetHealth)
    throw new Error("target groups need a target health reader");
  const metrics: MetricTrack[] = config.metricSources.flatMap((source) =>
    source.definitions.map((definition) => ({ definition, records: [], breachesInARow: 0 })),
  );
  const metricByName = new Map(metrics.map((m) => [m.definition.name, m]));
  let smokeResults: SmokeResult[] | undefined;
  let lastProgress = "";

  const probesStable = (): boolean =>
    probes.every((p) => p.successes >= settings.successThreshold) &&
    (!versionChecked || version.successes >= settings.successThreshold);

  const recheckAfterMs = settings.probeIntervalMs / 2;
  const recheckFits = config.probes.every((p) => p.timeoutMs <= recheckAfterMs);
  /** A probe (or the served version) that has failed, but not yet as often as fails the gate. */
  const failingBelowThreshold = (): boolean =>
    probes.some((p) => p.failures > 0 && p.failures < settings.failureThreshold) ||
    (versionChecked && version.failures > 0 && version.failures < settings.failureThreshold);

  /**
   * One round of probes on the beat, and, after a failure, one more half an interval later (as a
   * load balancer's fast re-check does): a service that stops answering then fails the gate in
   * about (threshold + 1) / 2 intervals plus one probe timeout, well inside `threshold` intervals
   * (5 s probes, 3 failures, 2 s timeout: at most 12 s instead of 17 s). Only while it fails, and
   * only when a probe's timeout fits in the half interval, so the round never overruns its beat.
   */
  async function probeRound(inWarmUp: boolean, roundStart: number): Promise<void> {
    if (probes.length === 0) return;
    await probeSweep(inWarmUp);
    if (inWarmUp || !recheckFits || !failingBelowThreshold()) return;
    const wait = roundStart + recheckAfterMs - clock.now();
    if (wait > 0) await clock.sleep(wait, deps.signal);
    await probeSweep(inWarmUp);
  }

  async function probeSweep(inWarmUp: boolean): Promise<void> {
    const results = await Promise.all(
      probes.map((track) => {
        const probeDeps: Parameters<typeof probeOnce>[1] = { http: deps.http, clock };
        if (deps.signal) probeDeps.signal = deps.signal;
        return probeOnce(track.probe, probeDeps);
      }),
    );
    let judged = 0;
    let versionOk = true;
    results.forEach((result, index) => {
      const track = probes[index] as ProbeTrack;
      const counted = result.ok || !inWarmUp;
      track.records.push({ result, counted });
      bump(track, result.ok, counted);
      if (result.version) {
        judged++;
        if (!result.version.ok) versionOk = false;
        const record: VersionRecord = {
          at: result.at,
          url: result.url,
          served: result.version.served,
          ok: result.version.ok,
          counted: result.version.ok || !inWarmUp,
        };
        if (result.version.problem !== undefined) record.problem = result.version.problem;
        version.records.push(record);
      }
    });
    // A round where no probe reported a version (no answer at all) says nothing about the version.
    if (judged > 0) bump(version, versionOk, versionOk || !inWarmUp);
  }

  async function targetRound(inWarmUp: boolean): Promise<void> {
    const reader = deps.readTargetHealth;
    if (targets.length === 0 || !reader) return;
    const rounds = await Promise.all(targets.map((t) => reader(t.arn, deps.signal)));
    rounds.forEach((round, index) => {
      const track = targets[index] as TargetTrack;
      const health = classifyRound(round);
      const counted = !inWarmUp;
      track.rounds.push({ round, health, counted });
      if (health === "unhealthy" && counted) track.unhealthyInARow++;
      else if (health === "healthy" || health === "settling") track.unhealthyInARow = 0;
    });
  }

  async function openMetrics(at: number): Promise<void> {
    await Promise.all(
      config.metricSources.map((source) => source.open({ startMs: at, endMs: at }, deps.signal)),
    );
  }

  async function readMetrics(at: number, from: number): Promise<void> {
    const window = { startMs: from, endMs: at };
    const batches = await Promise.all(config.metricSources.map((source) => source.read(window, deps.signal)));
    for (const reading of batches.flat()) {
      const track = metricByName.get(reading.check);
      if (!track) continue;
      const judgement = judgeReading(track.definition, reading, settings.minRequests);
      track.records.push({ at, windowMs: at - from, reading, judgement });
      if (judgement.status === "fail") track.breachesInARow++;
      else if (judgement.status === "pass") track.breachesInARow = 0;
    }
  }

  async function smokeRound(): Promise<void> {
    const results: SmokeResult[] = [];
    for (const test of config.smokeTests) {
      const smokeDeps: Parameters<typeof runSmokeTest>[1] = {
        http: deps.http,
        clock,
        secrets: config.smokeSecrets,
        baseUrl: config.baseUrl,
      };
      if (deps.signal) smokeDeps.signal = deps.signal;
      const result = await runSmokeTest(test, smokeDeps);
      results.push(result);
      logger.info(
        `smoke test ${test.name}: ${result.ok ? "passed" : "FAILED"} (${result.status ?? "no response"}, ${Math.round(result.durationMs)} ms)${result.ok ? "" : ` - ${result.problems.join("; ")}`}`,
      );
    }
    smokeResults = results;
  }

  function conclusiveFailures(): string[] {
    const failed: string[] = [];
    for (const p of probes) if (p.failures >= settings.failureThreshold) failed.push(`probe ${p.probe.url}`);
    if (versionChecked && version.failures >= settings.failureThreshold) failed.push(VERSION_CHECK);
    for (const r of smokeResults ?? []) if (!r.ok) failed.push(`smoke: ${r.name}`);
    for (const t of targets)
      if (t.unhealthyInARow >= settings.failureThreshold) failed.push(`target health ${t.name}`);
    for (const m of metrics)
      if (m.breachesInARow >= settings.failureThreshold) failed.push(m.definition.name);
    return failed;
  }

  function progress(now: number): void {
    const parts: string[] = [];
    for (const p of probes) {
      const last = p.records.at(-1)?.result;
      if (!last) continue;
      const state = last.ok ? `${last.status} ok` : (last.problems[0] ?? "failed");
      const streak = last.ok
        ? p.successes >= settings.successThreshold
          ? "stable"
          : `${p.successes}/${settings.successThreshold} ok in a row`
        : `${p.failures}/${settings.failureThreshold} failures in a row`;
      parts.push(`${p.probe.url}: ${state} (${streak})`);
    }
    if (versionChecked) {
      const last = version.records.at(-1);
      if (last) parts.push(`version ${last.served ?? "none"}${last.ok ? "" : " (expected another)"}`);
    }
    for (const t of targets) {
      const last = t.rounds.at(-1);
      if (last) parts.push(`${t.name}: ${describeRound(last.round)}`);
    }
    for (const m of metrics) {
      const last = m.records.at(-1);
      if (!last) continue;
      const value =
        last.reading.value === null ? "no data" : formatValue(last.reading.value, m.definition.unit);
      const requests = last.reading.requests === null ? "" : ` of ${Math.round(last.reading.requests)} req`;
      parts.push(`${m.definition.name} ${last.reading.error ? "unreadable" : `${value}${requests}`}`);
    }
    const elapsed = now - startedAt;
    if (elapsed < settings.warmUpMs)
      parts.push(`warm-up ${formatDuration(elapsed)}/${formatDuration(settings.warmUpMs)}`);
    else if (soakStart !== undefined && settings.soakMs > 0) {
      parts.push(
        `soak ${formatDuration(Math.min(now - soakStart, settings.soakMs))}/${formatDuration(settings.soakMs)}`,
      );
    }
    const line = parts.join("; ");
    // One line per poll, and only when something changed.
    if (line !== lastProgress) logger.progress(line);
    lastProgress = line;
  }

  let ending: Ending;
  let triggers: string[] = [];
  try {
    ending = await poll<Ending>(
      {
        intervalMs: settings.probeIntervalMs,
        timeoutMs: settings.timeoutMs,
        clock,
        // Rounds keep a steady beat; a failing probe is re-checked inside its round (probeRound).
        jitter: 0,
        fixedRate: true,
        ...(deps.signal ? { signal: deps.signal } : {}),
      },
      async () => {
        const now = clock.now();
        const inWarmUp = now - startedAt < settings.warmUpMs;
        const opening = !inWarmUp && soakStart === undefined;
        const from = soakStart;
        if (opening) soakStart = now;
        await Promise.all([
          probeRound(inWarmUp, now),
          targetRound(inWarmUp),
          opening ? openMetrics(now) : from !== undefined ? readMetrics(now, from) : Promise.resolve(),
        ]);
        if (!smokeResults && config.smokeTests.length > 0 && !inWarmUp && probesStable()) await smokeRound();
        progress(now);

        triggers = conclusiveFailures();
        if (triggers.length > 0) return done<Ending>("failed");
        const soakDone = soakStart !== undefined && now - soakStart >= settings.soakMs;
        const metricsRead = metrics.length === 0 || (!opening && from !== undefined);
        const smokeDone = config.smokeTests.length === 0 || smokeResults !== undefined;
        const targetsHealthy = targets.every((t) => t.rounds.at(-1)?.health === "healthy");
        if (soakDone && metricsRead && probesStable() && smokeDone && targetsHealthy)
          return done<Ending>("ready");
        return pending;
      },
    );
  } catch (error) {
    if (!(error instanceof PollTimeoutError)) throw error;
    ending = "timeout";
  }

  const finishedAt = clock.now();
  const checks = [
    ...probes.map((p) => probeCheck(p, ending, settings)),
    ...(versionChecked ? [versionCheck(version, config.expectedVersion ?? "", ending, settings)] : []),
    ...config.smokeTests.map((test) => smokeCheck(test, smokeResults, ending)),
    ...targets.map((t) => targetCheck(t, ending, settings)),
    ...metrics.map((m) => metricCheck(m, ending, settings, soakStart, finishedAt)),
  ];
  const decision = decideGate(checks, {
    ending,
    triggers,
    durationMs: finishedAt - startedAt,
    timeoutMs: settings.timeoutMs,
  });
  return {
    verdict: decision.verdict,
    reason: decision.reason,
    startedAt: iso(startedAt),
    finishedAt: iso(finishedAt),
    durationMs: finishedAt - startedAt,
    soakStartedAt: soakStart === undefined ? null : iso(soakStart),
    expectedVersion: config.expectedVersion ?? null,
    settings,
    checks,
    failedChecks: decision.failedChecks,
    inconclusiveChecks: decision.inconclusiveChecks,
  };
}

/** The gate's decision: the verdict over every judged check, and the one reason a person reads first. */
export interface GateDecision {
  verdict: Verdict;
  reason: string;
  failedChecks: string[];
  inconclusiveChecks: string[];
}

/**
 * Decides the verdict from the judged checks and how the watch ended: fail beats inconclusive beats
 * pass, and the reason names the check that ended the watch (the first trigger), else the first check
 * with the verdict's status.
 */
export function decideGate(
  checks: readonly CheckResult[],
  watch: { ending: GateEnding; triggers: readonly string[]; durationMs: number; timeoutMs: number },
): GateDecision {
  const verdict = combineVerdicts(checks.map((c) => c.status));
  const failedChecks = checks.filter((c) => c.status === "fail").map((c) => c.name);
  const inconclusiveChecks = checks.filter((c) => c.status === "inconclusive").map((c) => c.name);
  const decisive =
    checks.find((c) => c.name === watch.triggers[0]) ?? checks.find((c) => c.status === verdict);
  let reason: string;
  if (verdict === "pass") {
    reason = `all ${checks.length} checks passed over ${formatDuration(watch.durationMs)}`;
  } else if (watch.ending === "timeout" && verdict === "inconclusive") {
    reason = `the checks did not settle within the timeout of ${formatDuration(watch.timeoutMs)}; ${decisive?.name}: ${decisive?.summary}`;
  } else {
    reason = decisive ? `${decisive.name}: ${decisive.summary}` : "no check could be judged";
  }
  return { verdict, reason, failedChecks, inconclusiveChecks };
}

function streakStatus(streak: Streak, ending: Ending, settings: GateSettings): Verdict {
  if (streak.failures >= settings.failureThreshold) return "fail";
  if (streak.successes >= settings.successThreshold) return "pass";
  // Never settled within the timeout: the service did not show itself healthy, which is a failure.
  return ending === "timeout" ? "fail" : "inconclusive";
}

function unsettledSummary(
  failed: number,
  total: number,
  ending: Ending,
  settings: GateSettings,
  last: string,
): string {
  const base = `${failed} of ${total} failed, last: ${last}`;
  return ending === "timeout"
    ? `never ${settings.successThreshold} successes in a row within ${formatDuration(settings.timeoutMs)}; ${base}`
    : `stopped before it settled (the gate ended on another check); ${base}`;
}

function probeCheck(track: ProbeTrack, ending: Ending, settings: GateSettings): CheckResult {
  const name = `probe ${track.probe.url}`;
  const status = streakStatus(track, ending, settings);
  const expected = [
    `status ${track.probe.expectedStatus.text}`,
    ...track.probe.jsonAssertions.map((a) => `${a.path} = ${a.expected}`),
  ].join(", ");
  const measurements: Measurement[] = track.records.map(({ result, counted }) => {
    const m: Measurement = {
      at: iso(result.at),
      name: "response",
      value: result.status,
      expected,
      status: result.ok ? "pass" : "fail",
      detail: [
        `${Math.round(result.durationMs)} ms`,
        ...result.problems,
        ...(counted ? [] : ["during the warm-up, not counted"]),
      ].join("; "),
    };
    return m;
  });
  const failed = track.records.filter((r) => !r.result.ok);
  const lastProblem = failed.at(-1)?.result.problems.join("; ") ?? "none";
  let summary: string;
  if (status === "fail" && track.failures >= settings.failureThreshold) {
    summary = `${track.failures} failures in a row: ${lastProblem}`;
  } else if (status === "pass") {
    const last = track.records.at(-1)?.result;
    summary = `${track.successes} successes in a row (status ${last?.status ?? "?"}, ${Math.round(last?.durationMs ?? 0)} ms)${failed.length > 0 ? `; ${failed.length} of ${track.records.length} probes failed earlier` : ""}`;
  } else {
    summary = unsettledSummary(failed.length, track.records.length, ending, settings, lastProblem);
  }
  return { name, kind: "probe", status, summary, measurements };
}

function versionCheck(
  track: Streak & { records: VersionRecord[] },
  expectedVersion: string,
  ending: Ending,
  settings: GateSettings,
): CheckResult {
  const status =
    track.records.length === 0 && ending !== "failed"
      ? "fail"
      : track.records.length === 0
        ? "inconclusive"
        : streakStatus(track, ending, settings);
  const measurements: Measurement[] = track.records.map((r) => {
    const m: Measurement = {
      at: iso(r.at),
      name: `served version (${r.url})`,
      value: r.served,
      expected: expectedVersion,
      status: r.ok ? "pass" : "fail",
    };
    const detail = [r.problem, r.counted ? undefined : "during the warm-up, not counted"]
      .filter(Boolean)
      .join("; ");
    if (detail) m.detail = detail;
    return m;
  });
  const failed = track.records.filter((r) => !r.ok);
  const lastProblem = failed.at(-1)?.problem ?? "none";
  let summary: string;
  if (track.records.length === 0) {
    summary = "no probe got an answer to read the version from";
  } else if (status === "fail" && track.failures >= settings.failureThreshold) {
    summary = `${track.failures} probes in a row: ${lastProblem}`;
  } else if (status === "pass") {
    summary = `${expectedVersion} served on ${track.successes} probe rounds in a row${failed.length > 0 ? `; ${failed.length} earlier answers were of another version` : ""}`;
  } else {
    summary = unsettledSummary(failed.length, track.records.length, ending, settings, lastProblem);
  }
  return { name: VERSION_CHECK, kind: "probe", status, summary, measurements };
}

function smokeCheck(test: SmokeTest, results: SmokeResult[] | undefined, ending: Ending): CheckResult {
  const name = `smoke: ${test.name}`;
  const result = results?.find((r) => r.name === test.name);
  if (!result) {
    return {
      name,
      kind: "smoke",
      // Smoke tests run once the probes are stable; a gate that never got there is failing for that.
      status: "inconclusive",
      summary:
        ending === "failed"
          ? "not run: the gate ended on another check first"
          : "not run: the probes never became stable",
      measurements: [],
    };
  }
  const expected = [
    `status ${test.expect.status.text}`,
    ...test.expect.bodyContains.map((t) => `body contains ${JSON.stringify(t)}`),
    ...test.expect.json.map((a) => `${a.path} = ${a.expected}`),
  ].join(", ");
  const measurement: Measurement = {
    at: iso(result.at),
    name: `${test.method} ${test.url}`,
    value: result.status,
    expected,
    status: result.ok ? "pass" : "fail",
    detail: [`${Math.round(result.durationMs)} ms`, ...result.problems].join("; "),
  };
  return {
    name,
    kind: "smoke",
    status: result.ok ? "pass" : "fail",
    summary: result.ok
      ? `${test.method} ${test.url} answered ${result.status} in ${Math.round(result.durationMs)} ms`
      : `${test.method} ${test.url}: ${result.problems.join("; ")}`,
    measurements: [measurement],
  };
}

function targetCheck(track: TargetTrack, ending: Ending, settings: GateSettings): CheckResult {
  const name = `target health ${track.name}`;
  const last = track.rounds.at(-1);
  const measurements: Measurement[] = track.rounds.map(({ round, health, counted }) => {
    const m: Measurement = {
      at: iso(round.at),
      name: "targets",
      value: describeRound(round),
      expected: "all healthy",
      status: health === "healthy" ? "pass" : health === "unhealthy" ? "fail" : "inconclusive",
    };
    const detail = [...unhealthyTargets(round), ...(counted ? [] : ["during the warm-up, not counted"])].join(
      "; ",
    );
    if (detail) m.detail = detail;
    return m;
  });
  let status: Verdict;
  let summary: string;
  if (!last) {
    status = "inconclusive";
    summary = "never read";
  } else if (track.unhealthyInARow >= settings.failureThreshold) {
    status = "fail";
    // Targets come and go while ECS replaces failing tasks: show what each read of the streak saw.
    const evidence = [
      ...new Set(
        track.rounds
          .slice(-track.unhealthyInARow)
          .flatMap(({ round }) =>
            round.targets.length > 0 ? unhealthyTargets(round) : [describeRound(round)],
          ),
      ),
    ];
    const shown = evidence.slice(0, 4).join("; ");
    const more = evidence.length > 4 ? `; and ${evidence.length - 4} more` : "";
    summary = `${track.unhealthyInARow} reads in a row with unhealthy or no targets: ${shown}${more}`;
  } else if (last.health === "healthy") {
    status = "pass";
    summary = `${describeRound(last.round)}`;
  } else if (last.health === "unknown") {
    status = "inconclusive";
    summary = `could not be read at the end: ${last.round.error ?? "unknown error"}`;
  } else if (ending === "failed") {
    status = "inconclusive";
    summary = `not settled when the gate ended on another check: ${describeRound(last.round)}`;
  } else {
    // At the end every target must be healthy: initial, draining and unhealthy all fail.
    status = "fail";
    summary = `not all healthy at the end: ${unhealthyTargets(last.round).join("; ") || describeRound(last.round)}`;
  }
  return { name, kind: "target-health", status, summary, measurements };
}

function metricCheck(
  track: MetricTrack,
  ending: Ending,
  settings: GateSettings,
  soakStart: number | undefined,
  finishedAt: number,
): CheckResult {
  const { definition } = track;
  const expected = passingSide(definition.failWhen, definition.unit);
  const measurements: Measurement[] = track.records.map((r) => ({
    at: iso(r.at),
    name: definition.name,
    value: r.reading.value,
    unit: definition.unit,
    expected,
    threshold: definition.failWhen.value,
    status: r.judgement.status,
    detail: `over ${formatDuration(r.windowMs)}: ${r.judgement.detail}`,
  }));
  const last = track.records.at(-1);
  let status: Verdict;
  let summary: string;
  if (!last) {
    status = "inconclusive";
    summary =
      soakStart === undefined
        ? "not measured: the gate ended before the soak began"
        : "not measured yet when the gate ended";
  } else if (track.breachesInARow >= settings.failureThreshold) {
    status = "fail";
    summary = `${last.judgement.detail} (${track.breachesInARow} readings in a row)`;
  } else {
    const soakComplete = soakStart !== undefined && last.at - soakStart >= settings.soakMs;
    if (soakComplete || ending === "ready") {
      status = last.judgement.status;
      summary = last.judgement.detail;
    } else {
      status = "inconclusive";
      summary = `the soak did not complete (${formatDuration(finishedAt - (soakStart ?? finishedAt))} of ${formatDuration(settings.soakMs)}); last reading: ${last.judgement.detail}`;
    }
  }
  return { name: definition.name, kind: "metric", status, summary, measurements };
}
