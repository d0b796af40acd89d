// Metric checks over the soak window: what a metrics source measures, and how one reading is judged.
// A reading with too few requests behind it, no data, or a provider that could not be asked is
// inconclusive, never a pass.
import { breaches, formatValue, passingSide, type Threshold, type Unit, type Verdict } from "./verdict";

export interface MetricDefinition {
  /** The check's name, unique within a gate run, e.g. "error rate (ALB)". */
  name: string;
  /** Where the value comes from, e.g. "CloudWatch", "Prometheus", "metrics endpoint". */
  source: string;
  /** What is measured, for the report: a query, a metric name. */
  description: string;
  unit: Unit;
  failWhen: Threshold;
  /** Fewer requests than this in the window make a reading inconclusive; the gate's minimum when absent. */
  minRequests?: number;
}

export interface MetricWindow {
  startMs: number;
  endMs: number;
}

export interface MetricReading {
  /** The definition's name. */
  check: string;
  /** The value over the window; null when there was no data. */
  value: number | null;
  /** Requests behind the value, when the source knows them; null when it cannot tell. */
  requests: number | null;
  /** Set when the provider could not be asked or answered with an error: a fault of the gate. */
  error?: string;
  /** Extra evidence, e.g. each series of a Prometheus result. */
  detail?: string;
}

export interface MetricSource {
  readonly definitions: readonly MetricDefinition[];
  /**
   * Opens the soak window: takes baselines and checks the configuration against the provider where it
   * can. Throws a UserError only for a mistake the user must fix (a query Prometheus rejects).
   */
  open(window: MetricWindow, signal?: AbortSignal): Promise<void>;
  /** Measures every definition over the window. Provider failures come back as readings with an error. */
  read(window: MetricWindow, signal?: AbortSignal): Promise<MetricReading[]>;
}

export interface Judgement {
  status: Verdict;
  /** Why, in words: the value against the threshold, or why there is no verdict. */
  detail: string;
}

/** Judges one reading against its definition and the gate's minimum request count. */
export function judgeReading(
  definition: MetricDefinition,
  reading: MetricReading,
  gateMinRequests: number,
): Judgement {
  const minRequests = definition.minRequests ?? gateMinRequests;
  const extra = reading.detail ? `; ${reading.detail}` : "";
  if (reading.error !== undefined) {
    return {
      status: "inconclusive",
      detail: `${definition.source} could not be read: ${reading.error} (a problem of the gate, not of the service)`,
    };
  }
  if (reading.requests !== null && reading.requests < minRequests) {
    return {
      status: "inconclusive",
      detail: `${Math.round(reading.requests)} requests in the window, fewer than the ${minRequests} needed to judge${extra}`,
    };
  }
  if (reading.value === null || Number.isNaN(reading.value)) {
    return { status: "inconclusive", detail: `no data in the window${extra}` };
  }
  const measured = formatValue(reading.value, definition.unit);
  const requests = reading.requests === null ? "" : ` over ${Math.round(reading.requests)} requests`;
  if (breaches(reading.value, definition.failWhen)) {
    return {
      status: "fail",
      detail: `${measured}${requests}, must be ${passingSide(definition.failWhen, definition.unit)}${extra}`,
    };
  }
  return { status: "pass", detail: `${measured}${requests}${extra}` };
}

/** The window as Prometheus range syntax, whole seconds and at least one. */
export function windowSeconds(window: MetricWindow): number {
  return Math.max(1, Math.ceil((window.endMs - window.startMs) / 1000));
}
