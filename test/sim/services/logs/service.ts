// CloudWatch Logs: log groups and streams that simulated tasks write to (awslogs driver), read back
// with GetLogEvents (token paging as AWS does it) and FilterLogEvents.
import { optionalNumber, optionalString, requireString, SimError, stringList } from "../../framework/errors";
import type { Shape, SimRuntime, SimService } from "../../framework/types";

export interface LogEvent {
  timestamp: number;
  message: string;
  ingestionTime: number;
}

interface LogStream {
  name: string;
  createdAt: number;
  events: LogEvent[];
}

interface LogGroup {
  name: string;
  createdAt: number;
  streams: Map<string, LogStream>;
}

/** Scenario section: pre-existing groups and streams with lines. */
export interface LogsScenario {
  groups?: { name: string; streams?: { name: string; lines?: string[] }[] }[];
}

/** What tests and the demo see of the simulated CloudWatch Logs (`sim.logs`). */
export interface LogsSurface {
  /** Log group names, sorted. */
  groups(): string[];
  /** Stream names of a group, sorted (none when the group does not exist). */
  streams(group: string): string[];
  /** Every line of a stream, oldest first (none when it does not exist). */
  lines(group: string, stream: string): string[];
  /**
   * Writes lines to a stream (creating group and stream), as a task's awslogs driver would, stamped
   * `at` (epoch ms; the simulated now by default).
   */
  append(group: string, stream: string, lines: string[], at?: number): void;
}

const notFound = (what: string): SimError =>
  new SimError("ResourceNotFoundException", `The specified ${what} does not exist.`);

function parseToken(token: string | undefined): { direction: "f" | "b"; index: number } | undefined {
  if (!token) return undefined;
  const match = /^([fb])\/(\d+)$/.exec(token);
  if (!match) throw new SimError("InvalidParameterException", "The specified nextToken is invalid.");
  return { direction: match[1] as "f" | "b", index: Number(match[2]) };
}

/**
 * CloudWatch Logs' filter pattern for unstructured events: every plain term (or "quoted phrase") must
 * appear, at least one `?term` must appear when any is given, and no `-term` may; matching is case
 * sensitive. JSON and space-delimited patterns are not modelled and are refused.
 */
export function matchesPattern(message: string, pattern: string | undefined): boolean {
  if (!pattern || pattern.trim() === "") return true;
  if (/^\s*[{[]/.test(pattern))
    throw new SimError(
      "InvalidParameterException",
      "JSON and space-delimited filter patterns are not simulated.",
    );
  const terms = [...pattern.matchAll(/([?-]?)(?:"([^"]*)"|(\S+))/g)].map((m) => ({
    kind: m[1] ?? "",
    text: m[2] ?? m[3] ?? "",
  }));
  const any = terms.filter((t) => t.kind === "?");
  return (
    terms.filter((t) => t.kind === "").every((t) => message.includes(t.text)) &&
    (any.length === 0 || any.some((t) => message.includes(t.text))) &&
    !terms.filter((t) => t.kind === "-").some((t) => message.includes(t.text))
  );
}

export class LogsService implements SimService {
  readonly definition = {
    name: "logs",
    signingName: "logs",
    iamPrefix: "logs",
    protocol: "json1.1",
    targetPrefix: "Logs_20140328",
    serverErrorCode: "ServiceUnavailableException",
  } as const;
  #groups = new Map<string, LogGroup>();

  /** The state and controls tests and the demo use (`sim.logs`). */
  readonly surface: LogsSurface = {
    groups: () => [...this.#groups.keys()].sort(),
    streams: (group) => [...(this.#groups.get(group)?.streams.keys() ?? [])].sort(),
    lines: (group, stream) => this.lines(group, stream),
    append: (group, stream, lines, at) => this.append(group, stream, lines, at),
  };

  constructor(private readonly runtime: SimRuntime) {}

  reset(): void {
    this.#groups.clear();
  }

  load(section: unknown): void {
    for (const group of (section as LogsScenario).groups ?? []) {
      for (const stream of group.streams ?? []) this.append(group.name, stream.name, stream.lines ?? []);
      this.#group(group.name, true);
    }
  }

  /** Writes lines to a stream (creating group and stream), as the awslogs driver of a task would. */
  append(groupName: string, streamName: string, lines: string[], at = this.runtime.now()): void {
    const ingested = this.runtime.now();
    const group = this.#group(groupName, true);
    let stream = group.streams.get(streamName);
    if (!stream) {
      stream = { name: streamName, createdAt: at, events: [] };
      group.streams.set(streamName, stream);
    }
    for (const line of lines) stream.events.push({ timestamp: at, message: line, ingestionTime: ingested });
  }

  hasGroup(name: string): boolean {
    return this.#groups.has(name);
  }

  /** All lines of a stream. */
  lines(groupName: string, streamName: string): string[] {
    return (
      this.#groups
        .get(groupName)
        ?.streams.get(streamName)
        ?.events.map((e) => e.message) ?? []
    );
  }

  snapshot(): unknown {
    return [...this.#groups.values()].map((g) => ({
      name: g.name,
      streams: [...g.streams.values()].map((s) => ({ name: s.name, events: s.events.length })),
    }));
  }

  #group(name: string, create = false): LogGroup {
    let group = this.#groups.get(name);
    if (!group && create) {
      group = { name, createdAt: this.runtime.now(), streams: new Map() };
      this.#groups.set(name, group);
    }
    if (!group) throw notFound("log group");
    return group;
  }

  readonly operations = {
    CreateLogGroup: (input: Shape) => {
      const name = requireString(input, "logGroupName");
      if (this.#groups.has(name))
        throw new SimError("ResourceAlreadyExistsException", "The specified log group already exists");
      this.#group(name, true);
      return {};
    },
    CreateLogStream: (input: Shape) => {
      const group = this.#group(requireString(input, "logGroupName"));
      const name = requireString(input, "logStreamName");
      if (group.streams.has(name))
        throw new SimError("ResourceAlreadyExistsException", "The specified log stream already exists");
      group.streams.set(name, { name, createdAt: this.runtime.now(), events: [] });
      return {};
    },
    PutLogEvents: (input: Shape) => {
      const group = this.#group(requireString(input, "logGroupName"));
      const stream = group.streams.get(requireString(input, "logStreamName"));
      if (!stream) throw notFound("log stream");
      const events = (input.logEvents as { timestamp: number; message: string }[] | undefined) ?? [];
      for (const e of events)
        stream.events.push({ timestamp: e.timestamp, message: e.message, ingestionTime: this.runtime.now() });
      return { nextSequenceToken: String(stream.events.length) };
    },
    DescribeLogStreams: (input: Shape) => {
      const group = this.#group(requireString(input, "logGroupName"));
      const prefix = optionalString(input, "logStreamNamePrefix") ?? "";
      const streams = [...group.streams.values()]
        .filter((s) => s.name.startsWith(prefix))
        .map((s) => ({
          logStreamName: s.name,
          creationTime: s.createdAt,
          firstEventTimestamp: s.events[0]?.timestamp,
          lastEventTimestamp: s.events.at(-1)?.timestamp,
          lastIngestionTime: s.events.at(-1)?.ingestionTime,
        }));
      if (input.orderBy === "LastEventTime")
        streams.sort((a, b) => (a.lastEventTimestamp ?? 0) - (b.lastEventTimestamp ?? 0));
      else streams.sort((a, b) => a.logStreamName.localeCompare(b.logStreamName));
      if (input.descending === true) streams.reverse();
      const limit = optionalNumber(input, "limit") ?? 50;
      return { logStreams: streams.slice(0, limit) };
    },
    GetLogEvents: (input: Shape) => {
      const group = this.#group(requireString(input, "logGroupName"));
      const stream = group.streams.get(requireString(input, "logStreamName"));
      if (!stream) throw notFound("log stream");
      const limit = Math.min(optionalNumber(input, "limit") ?? 10_000, 10_000);
      const startTime = optionalNumber(input, "startTime") ?? Number.NEGATIVE_INFINITY;
      const endTime = optionalNumber(input, "endTime") ?? Number.POSITIVE_INFINITY;
      const all = stream.events.filter((e) => e.timestamp >= startTime && e.timestamp < endTime);
      const token = parseToken(optionalString(input, "nextToken"));
      let from: number;
      let to: number;
      if (token?.direction === "f" || (!token && input.startFromHead === true)) {
        from = Math.min(token?.index ?? 0, all.length);
        to = Math.min(from + limit, all.length);
      } else {
        to = Math.min(token?.index ?? all.length, all.length);
        from = Math.max(0, to - limit);
      }
      return {
        events: all.slice(from, to),
        // At the end of the stream the forward token is the one given, which tells clients to stop.
        nextForwardToken: `f/${to}`,
        nextBackwardToken: `b/${from}`,
      };
    },
    FilterLogEvents: (input: Shape) => {
      const group = this.#group(requireString(input, "logGroupName"));
      const names = stringList(input, "logStreamNames");
      const prefix = optionalString(input, "logStreamNamePrefix");
      if (names.length > 0 && prefix !== undefined)
        throw new SimError(
          "InvalidParameterException",
          "logStreamNames and logStreamNamePrefix cannot both be specified.",
        );
      const startTime = optionalNumber(input, "startTime") ?? Number.NEGATIVE_INFINITY;
      const endTime = optionalNumber(input, "endTime") ?? Number.POSITIVE_INFINITY;
      const pattern = optionalString(input, "filterPattern");
      const limit = Math.min(optionalNumber(input, "limit") ?? 10_000, 10_000);
      const offset = Number(optionalString(input, "nextToken") ?? 0);
      const events = [...group.streams.values()]
        .filter(
          (s) => (names.length === 0 || names.includes(s.name)) && (!prefix || s.name.startsWith(prefix)),
        )
        .flatMap((s) => s.events.map((e, i) => ({ ...e, logStreamName: s.name, eventId: `${s.name}/${i}` })))
        .filter(
          (e) => e.timestamp >= startTime && e.timestamp <= endTime && matchesPattern(e.message, pattern),
        )
        .sort((a, b) => a.timestamp - b.timestamp);
      const page = events.slice(offset, offset + limit);
      return {
        events: page,
        ...(offset + limit < events.length ? { nextToken: String(offset + limit) } : {}),
      };
    },
  };
}

export const logsService = (runtime: SimRuntime): LogsService => new LogsService(runtime);
