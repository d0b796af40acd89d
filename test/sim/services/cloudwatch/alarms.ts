// CloudWatch metric alarms as the API reference describes them: PutMetricAlarm creates or replaces an
// alarm, DescribeAlarms lists them (by name, prefix or state, paged by MaxRecords and NextToken),
// SetAlarmState sets a state until the next evaluation, DeleteAlarms removes them. An alarm on a
// metric the simulator computes is evaluated from it whenever it is read: the last EvaluationPeriods
// complete periods, DatapointsToAlarm of them breaching, missing data treated as TreatMissingData says.
import { optionalNumber, optionalString, requireString, SimError, stringList } from "../../framework/errors";
import type { Shape } from "../../framework/types";
import type { Series } from "./math";

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

const STATES: readonly AlarmState[] = ["OK", "ALARM", "INSUFFICIENT_DATA"];
const COMPARISONS = [
  "GreaterThanOrEqualToThreshold",
  "GreaterThanThreshold",
  "LessThanThreshold",
  "LessThanOrEqualToThreshold",
] as const;
type Comparison = (typeof COMPARISONS)[number];
const MISSING = ["breaching", "notBreaching", "ignore", "missing"] as const;
type TreatMissing = (typeof MISSING)[number];
const STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"];

interface AlarmRecord {
  name: string;
  arn: string;
  description?: string;
  actionsEnabled: boolean;
  namespace: string;
  metricName: string;
  dimensions: { Name: string; Value: string }[];
  statistic?: string;
  extendedStatistic?: string;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparison: Comparison;
  treatMissingData: TreatMissing;
  configuredAt: number;
  state: AlarmState;
  reason: string;
  updatedAt: number;
  transitionedAt: number;
  /** A state set by SetAlarmState holds until the period after it ends, when evaluation takes over. */
  setUntil?: number;
}

/** Computes the datapoints of a metric (only the simulator's own metrics have any). */
export type MetricReader = (
  metric: Shape,
  periodSeconds: number,
  stat: string,
  startMs: number,
  endMs: number,
) => Series;

const invalidValue = (message: string): SimError => new SimError("InvalidParameterValueException", message);

function breaching(value: number, comparison: Comparison, threshold: number): boolean {
  switch (comparison) {
    case "GreaterThanOrEqualToThreshold":
      return value >= threshold;
    case "GreaterThanThreshold":
      return value > threshold;
    case "LessThanThreshold":
      return value < threshold;
    case "LessThanOrEqualToThreshold":
      return value <= threshold;
  }
}

function choice<T extends string>(input: Shape, key: string, allowed: readonly T[]): T | undefined {
  const value = optionalString(input, key);
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T))
    throw invalidValue(`The value ${value} for parameter ${key} is not one of ${allowed.join(", ")}.`);
  return value as T;
}

export class AlarmStore {
  readonly #alarms = new Map<string, AlarmRecord>();

  constructor(
    private readonly deps: {
      now(): number;
      region: string;
      accountId: string;
      readMetric: MetricReader;
    },
  ) {}

  reset(): void {
    this.#alarms.clear();
  }

  /** Names and evaluated states, for tests and the demo. */
  states(): { name: string; state: AlarmState; reason: string }[] {
    return [...this.#alarms.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((a) => {
        this.#evaluate(a);
        return { name: a.name, state: a.state, reason: a.reason };
      });
  }

  put(input: Shape): void {
    const name = requireString(input, "AlarmName", "MissingRequiredParameterException");
    if (name.length > 255) throw invalidValue("AlarmName must be at most 255 characters.");
    const metricName = requireString(input, "MetricName", "MissingRequiredParameterException");
    const namespace = requireString(input, "Namespace", "MissingRequiredParameterException");
    const statistic = optionalString(input, "Statistic");
    const extendedStatistic = optionalString(input, "ExtendedStatistic");
    if ((statistic === undefined) === (extendedStatistic === undefined))
      throw new SimError(
        "InvalidParameterCombinationException",
        "Exactly one of Statistic and ExtendedStatistic must be specified.",
      );
    if (statistic !== undefined && !STATISTICS.includes(statistic))
      throw invalidValue(`The value ${statistic} for parameter Statistic is not valid.`);
    if (extendedStatistic !== undefined && !/^p\d{1,2}(\.\d+)?$/.test(extendedStatistic))
      throw invalidValue(`The value ${extendedStatistic} for parameter ExtendedStatistic is not valid.`);
    const period = optionalNumber(input, "Period");
    if (
      period === undefined ||
      !Number.isInteger(period) ||
      period < 10 ||
      (period > 30 && period % 60 !== 0)
    )
      throw invalidValue("Period must be 10, 30 or a multiple of 60 seconds.");
    const evaluationPeriods = optionalNumber(input, "EvaluationPeriods");
    if (evaluationPeriods === undefined || !Number.isInteger(evaluationPeriods) || evaluationPeriods < 1)
      throw invalidValue("EvaluationPeriods must be a positive integer.");
    const datapointsToAlarm = optionalNumber(input, "DatapointsToAlarm") ?? evaluationPeriods;
    if (datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods)
      throw invalidValue("DatapointsToAlarm must be between 1 and EvaluationPeriods.");
    const threshold = optionalNumber(input, "Threshold");
    if (threshold === undefined)
      throw new SimError("MissingRequiredParameterException", "Threshold is required.");
    const comparison = choice(input, "ComparisonOperator", COMPARISONS);
    if (!comparison)
      throw new SimError("MissingRequiredParameterException", "ComparisonOperator is required.");
    const dimensions = ((input.Dimensions as Shape[] | undefined) ?? []).map((d) => ({
      Name: String(d.Name ?? ""),
      Value: String(d.Value ?? ""),
    }));
    const now = this.deps.now();
    const existing = this.#alarms.get(name);
    const record: AlarmRecord = {
      name,
      arn: `arn:aws:cloudwatch:${this.deps.region}:${this.deps.accountId}:alarm:${name}`,
      actionsEnabled: input.ActionsEnabled !== false,
      namespace,
      metricName,
      dimensions,
      periodSeconds: period,
      evaluationPeriods,
      datapointsToAlarm,
      threshold,
      comparison,
      treatMissingData: choice(input, "TreatMissingData", MISSING) ?? "missing",
      configuredAt: now,
      // A new alarm starts in INSUFFICIENT_DATA; a replaced one keeps its state until evaluated.
      state: existing?.state ?? "INSUFFICIENT_DATA",
      reason: existing?.reason ?? "Unchecked: Initial alarm creation",
      updatedAt: existing?.updatedAt ?? now,
      transitionedAt: existing?.transitionedAt ?? now,
    };
    const description = optionalString(input, "AlarmDescription");
    if (description !== undefined) record.description = description;
    if (statistic !== undefined) record.statistic = statistic;
    if (extendedStatistic !== undefined) record.extendedStatistic = extendedStatistic;
    this.#alarms.set(name, record);
  }

  describe(input: Shape): Shape {
    const names = stringList(input, "AlarmNames");
    if (names.length > 100) throw invalidValue("AlarmNames may hold at most 100 names.");
    const prefix = optionalString(input, "AlarmNamePrefix");
    if (prefix !== undefined && names.length > 0)
      throw new SimError(
        "InvalidParameterCombinationException",
        "AlarmNames and AlarmNamePrefix cannot be specified together.",
      );
    const state = choice(input, "StateValue", STATES);
    const types = stringList(input, "AlarmTypes");
    const maxRecords = optionalNumber(input, "MaxRecords") ?? 50;
    if (!Number.isInteger(maxRecords) || maxRecords < 1 || maxRecords > 100)
      throw invalidValue("MaxRecords must be between 1 and 100.");
    const token = optionalString(input, "NextToken");
    const offset = token === undefined ? 0 : Number(/^o(\d+)$/.exec(token)?.[1] ?? Number.NaN);
    if (!Number.isInteger(offset)) throw new SimError("InvalidNextToken", "The NextToken is not valid.");
    // Without AlarmTypes only metric alarms are listed; the simulator has no composite alarms.
    const wantMetric = types.length === 0 || types.includes("MetricAlarm");
    const matching = [...this.#alarms.values()]
      .filter(() => wantMetric)
      .filter((a) => names.length === 0 || names.includes(a.name))
      .filter((a) => prefix === undefined || a.name.startsWith(prefix))
      .sort((a, b) => a.name.localeCompare(b.name));
    for (const alarm of matching) this.#evaluate(alarm);
    const listed = matching.filter((a) => state === undefined || a.state === state);
    const page = listed.slice(offset, offset + maxRecords);
    return {
      MetricAlarms: page.map((a) => this.#shape(a)),
      CompositeAlarms: [],
      ...(offset + maxRecords < listed.length ? { NextToken: `o${offset + maxRecords}` } : {}),
    };
  }

  setState(input: Shape): void {
    const name = requireString(input, "AlarmName", "MissingRequiredParameterException");
    const state = choice(input, "StateValue", STATES);
    if (!state) throw new SimError("MissingRequiredParameterException", "StateValue is required.");
    const reason = requireString(input, "StateReason", "MissingRequiredParameterException");
    const alarm = this.#alarms.get(name);
    if (!alarm) throw new SimError("ResourceNotFound", `Alarm ${name} does not exist.`, 404);
    const now = this.deps.now();
    const periodMs = alarm.periodSeconds * 1000;
    this.#transition(alarm, state, reason, now);
    alarm.setUntil = (Math.floor(now / periodMs) + 1) * periodMs;
  }

  delete(input: Shape): void {
    const names = stringList(input, "AlarmNames");
    const missing = names.filter((n) => !this.#alarms.has(n));
    if (missing.length > 0)
      throw new SimError("ResourceNotFound", `Alarm ${missing[0]} does not exist.`, 404);
    for (const name of names) this.#alarms.delete(name);
  }

  #transition(alarm: AlarmRecord, state: AlarmState, reason: string, at: number): void {
    if (alarm.state !== state) alarm.transitionedAt = at;
    alarm.state = state;
    alarm.reason = reason;
    alarm.updatedAt = at;
  }

  /** The state from the metric's last EvaluationPeriods complete periods, as CloudWatch evaluates it. */
  #evaluate(alarm: AlarmRecord): void {
    const now = this.deps.now();
    if (alarm.setUntil !== undefined && now < alarm.setUntil) return;
    delete alarm.setUntil;
    const periodMs = alarm.periodSeconds * 1000;
    const end = Math.floor(now / periodMs) * periodMs;
    const start = end - alarm.evaluationPeriods * periodMs;
    const stat = alarm.extendedStatistic ?? alarm.statistic ?? "Average";
    const series = this.deps.readMetric(
      { Namespace: alarm.namespace, MetricName: alarm.metricName, Dimensions: alarm.dimensions },
      alarm.periodSeconds,
      stat,
      start,
      end,
    );
    const values: (number | undefined)[] = [];
    for (let at = start; at < end; at += periodMs) {
      const index = series.timestamps.indexOf(at);
      values.push(index >= 0 ? series.values[index] : undefined);
    }
    let breaches = 0;
    let judged = 0;
    for (const value of values) {
      if (value === undefined) {
        if (alarm.treatMissingData === "breaching") {
          breaches++;
          judged++;
        } else if (alarm.treatMissingData === "notBreaching") judged++;
        continue;
      }
      judged++;
      if (breaching(value, alarm.comparison, alarm.threshold)) breaches++;
    }
    const seen = values.filter((v) => v !== undefined) as number[];
    const shown = seen.map((v) => Number(v.toFixed(4))).join(", ");
    let state: AlarmState;
    let reason: string;
    if (breaches >= alarm.datapointsToAlarm) {
      state = "ALARM";
      reason = `Threshold Crossed: ${breaches} out of the last ${alarm.evaluationPeriods} datapoints [${shown}] were ${alarm.comparison.replace(/Threshold$/, "")} the threshold (${alarm.threshold}).`;
    } else if (judged === 0) {
      // "ignore" keeps the current state; "missing" has nothing to judge.
      if (alarm.treatMissingData === "ignore") return;
      state = "INSUFFICIENT_DATA";
      reason = `Insufficient Data: ${alarm.evaluationPeriods} datapoints were unknown.`;
    } else {
      state = "OK";
      reason = `Threshold Crossed: ${breaches} out of the last ${alarm.evaluationPeriods} datapoints [${shown}] crossed the threshold (${alarm.threshold}).`;
    }
    if (state !== alarm.state || reason !== alarm.reason) this.#transition(alarm, state, reason, now);
  }

  #shape(alarm: AlarmRecord): Shape {
    return {
      AlarmName: alarm.name,
      AlarmArn: alarm.arn,
      ...(alarm.description !== undefined ? { AlarmDescription: alarm.description } : {}),
      AlarmConfigurationUpdatedTimestamp: alarm.configuredAt / 1000,
      ActionsEnabled: alarm.actionsEnabled,
      OKActions: [],
      AlarmActions: [],
      InsufficientDataActions: [],
      StateValue: alarm.state,
      StateReason: alarm.reason,
      StateUpdatedTimestamp: alarm.updatedAt / 1000,
      StateTransitionedTimestamp: alarm.transitionedAt / 1000,
      MetricName: alarm.metricName,
      Namespace: alarm.namespace,
      ...(alarm.statistic !== undefined ? { Statistic: alarm.statistic } : {}),
      ...(alarm.extendedStatistic !== undefined ? { ExtendedStatistic: alarm.extendedStatistic } : {}),
      Dimensions: alarm.dimensions,
      Period: alarm.periodSeconds,
      EvaluationPeriods: alarm.evaluationPeriods,
      DatapointsToAlarm: alarm.datapointsToAlarm,
      Threshold: alarm.threshold,
      ComparisonOperator: alarm.comparison,
      TreatMissingData: alarm.treatMissingData,
    };
  }
}
