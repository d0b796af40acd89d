// CloudWatch alarms the caller names, read with DescribeAlarms: an alarm in ALARM is a failure of the
// deployment (the alarm's own evaluation periods already debounce it); OK and INSUFFICIENT_DATA are not.
import {
  type AlarmType,
  type CloudWatchClient,
  type CompositeAlarm,
  DescribeAlarmsCommand,
  type MetricAlarm,
} from "@aws-sdk/client-cloudwatch";
import { isPermanentAwsFailure } from "../aws/errors";
import { errorMessage, UserError } from "../runtime/errors";

export interface AlarmReading {
  name: string;
  state: "OK" | "ALARM" | "INSUFFICIENT_DATA";
  reason: string;
  /** Epoch ms of the last state change. */
  since: number | null;
}

export interface AlarmRound {
  at: number;
  alarms: AlarmReading[];
  /** Set when DescribeAlarms could not be asked (throttled beyond retries, unreachable). */
  error?: string;
}

export type AlarmReader = (at: number, signal?: AbortSignal) => Promise<AlarmRound>;

/** DescribeAlarms takes at most 100 names per call. */
const NAMES_PER_CALL = 100;

function readingOf(alarm: MetricAlarm | CompositeAlarm): AlarmReading | undefined {
  if (!alarm.AlarmName) return undefined;
  const state = alarm.StateValue;
  if (state !== "OK" && state !== "ALARM" && state !== "INSUFFICIENT_DATA") return undefined;
  return {
    name: alarm.AlarmName,
    state,
    reason: alarm.StateReason ?? "",
    since: alarm.StateUpdatedTimestamp ? alarm.StateUpdatedTimestamp.getTime() : null,
  };
}

/**
 * The named alarms CloudWatch knows, every page of every batch of 100 names. Each answer is matched
 * to a name that was asked (never to its position); a name absent from the map is unknown to
 * CloudWatch. A failed call throws as the SDK threw it.
 */
export async function describeNamedAlarms(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
  types: readonly AlarmType[],
  signal?: AbortSignal,
): Promise<Map<string, AlarmReading>> {
  const found = new Map<string, AlarmReading>();
  for (let i = 0; i < names.length; i += NAMES_PER_CALL) {
    const batch = names.slice(i, i + NAMES_PER_CALL);
    let nextToken: string | undefined;
    do {
      const output = await cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: batch,
          AlarmTypes: [...types],
          MaxRecords: 100,
          ...(nextToken ? { NextToken: nextToken } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
      const answered = [
        ...(types.includes("MetricAlarm") ? (output.MetricAlarms ?? []) : []),
        ...(types.includes("CompositeAlarm") ? (output.CompositeAlarms ?? []) : []),
      ];
      for (const alarm of answered) {
        const reading = readingOf(alarm);
        if (reading && batch.includes(reading.name)) found.set(reading.name, reading);
      }
      nextToken = output.NextToken;
    } while (nextToken);
  }
  return found;
}

/**
 * Reads the named metric alarms. A name CloudWatch does not know is the caller's mistake: it is
 * refused at the first read, before the watch relies on an alarm that cannot fire.
 */
export function cloudWatchAlarmReader(cloudwatch: CloudWatchClient, names: readonly string[]): AlarmReader {
  return async (at, signal) => {
    let found: Map<string, AlarmReading>;
    try {
      found = await describeNamedAlarms(cloudwatch, names, ["MetricAlarm"], signal);
    } catch (error) {
      if (signal?.aborted || isPermanentAwsFailure(error)) throw error;
      return { at, alarms: [], error: `DescribeAlarms failed: ${errorMessage(error)}` };
    }
    const missing = names.filter((n) => !found.has(n));
    if (missing.length > 0) {
      throw new UserError(
        `CloudWatch has no metric alarm named ${missing.map((n) => JSON.stringify(n)).join(", ")} in this account and region (\`alarm-names\`).`,
        {
          input: "alarm-names",
          fix: "Give the names of existing metric alarms, exactly as CloudWatch shows them.",
        },
      );
    }
    return { at, alarms: names.map((n) => found.get(n) as AlarmReading) };
  };
}

/** "2 OK, 1 ALARM (api-5xx)" */
export function describeAlarmRound(round: AlarmRound): string {
  if (round.error !== undefined) return `unknown (${round.error})`;
  const alarming = round.alarms.filter((a) => a.state === "ALARM").map((a) => a.name);
  const counts = new Map<string, number>();
  for (const a of round.alarms) counts.set(a.state, (counts.get(a.state) ?? 0) + 1);
  const parts = [...counts.entries()].map(([state, n]) => `${n} ${state}`).join(", ");
  return alarming.length > 0 ? `${parts} (${alarming.join(", ")})` : parts;
}
