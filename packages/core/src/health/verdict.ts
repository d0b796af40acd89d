// The health verdict and the report behind it: what health-gate writes to its `report` output and what
// auto-rollback and the demo read back.

export type Verdict = "pass" | "fail" | "inconclusive";

export type CheckKind = "probe" | "smoke" | "target-health" | "metric" | "alarm" | "logs";

/** How a measured value is judged: it fails when `value <op> threshold` holds. */
export type Comparison = ">" | ">=" | "<" | "<=";

export interface Threshold {
  op: Comparison;
  value: number;
}

export type Unit = "ratio" | "seconds" | "count" | "none";

/** One measured value against what was expected of it. */
export interface Measurement {
  /** ISO time of the measurement. */
  at: string;
  /** What was measured, e.g. "error rate", "status", "served version". */
  name: string;
  /** The value seen; null when nothing could be measured (no data, provider unreachable). */
  value: number | string | null;
  unit?: Unit;
  /** What passes, in words: "<= 5 %", "status 200", a version. */
  expected: string;
  /** The number a metric value is compared with, in the value's unit (0.05 for 5 %, 2 for 2 s). */
  threshold?: number;
  status: Verdict;
  /** Why the status is what it is, when the value alone does not say. */
  detail?: string;
}

export interface CheckResult {
  name: string;
  kind: CheckKind;
  status: Verdict;
  /** One line a person reads first: the measured value against its threshold, or what went wrong. */
  summary: string;
  /** Every measurement the check took, oldest first. */
  measurements: Measurement[];
}

export interface GateSettings {
  warmUpMs: number;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
  soakMs: number;
  timeoutMs: number;
  errorRateThreshold: number;
  latencyP95ThresholdSeconds: number;
  minRequests: number;
}

export interface HealthReport {
  verdict: Verdict;
  /** The decisive reason in one sentence. */
  reason: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** When the soak window opened, if it did. */
  soakStartedAt: string | null;
  expectedVersion: string | null;
  settings: GateSettings;
  checks: CheckResult[];
  failedChecks: string[];
  inconclusiveChecks: string[];
}

/** Fail beats inconclusive beats pass; no checks at all is inconclusive, never a pass. */
export function combineVerdicts(statuses: readonly Verdict[]): Verdict {
  if (statuses.includes("fail")) return "fail";
  if (statuses.length === 0 || statuses.includes("inconclusive")) return "inconclusive";
  return "pass";
}

/** True when the value is on the failing side of the threshold. */
export function breaches(value: number, threshold: Threshold): boolean {
  switch (threshold.op) {
    case ">":
      return value > threshold.value;
    case ">=":
      return value >= threshold.value;
    case "<":
      return value < threshold.value;
    case "<=":
      return value <= threshold.value;
  }
}

const OPPOSITE: Record<Comparison, Comparison> = { ">": "<=", ">=": "<", "<": ">=", "<=": ">" };

/** The passing side of a failing threshold, as shown to a person: fail when "> 0.05" passes when "<= 0.05". */
export function passingSide(threshold: Threshold, unit: Unit = "none"): string {
  return `${OPPOSITE[threshold.op]} ${formatValue(threshold.value, unit)}`;
}

/** A value in the unit people read it in: ratios as percentages, seconds as ms or s. */
export function formatValue(value: number | string | null, unit: Unit = "none"): string {
  if (value === null) return "no data";
  if (typeof value === "string") return value;
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case "ratio":
      return `${trimNumber(value * 100)} %`;
    case "seconds":
      return value < 1 ? `${trimNumber(value * 1000)} ms` : `${trimNumber(value)} s`;
    case "count":
      return String(Math.round(value));
    case "none":
      return trimNumber(value);
  }
}

function trimNumber(value: number): string {
  if (value === 0) return "0";
  const magnitude = Math.abs(value);
  const digits = magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : magnitude >= 1 ? 2 : 3;
  return String(Number(value.toFixed(digits)));
}

/** Parses a report written by health-gate (e.g. its `report` output) for the actions that act on it. */
export function parseHealthReport(json: string): HealthReport {
  const value: unknown = JSON.parse(json);
  if (typeof value !== "object" || value === null) throw new Error("the report is not a JSON object");
  const report = value as Partial<HealthReport>;
  if (report.verdict !== "pass" && report.verdict !== "fail" && report.verdict !== "inconclusive") {
    throw new Error("the report has no verdict of pass, fail or inconclusive");
  }
  if (!Array.isArray(report.checks)) throw new Error("the report has no list of checks");
  return report as HealthReport;
}
