// Reading CloudWatch Logs streams: the last lines of a stream (the log tail of a stopped task) and
// following a stream as lines arrive (a one-off task's output streamed into the job).
import {
  type CloudWatchLogsClient,
  GetLogEventsCommand,
  type GetLogEventsCommandOutput,
} from "@aws-sdk/client-cloudwatch-logs";

export interface LogStreamRef {
  group: string;
  stream: string;
}

export interface LogLine {
  /** Milliseconds since the epoch, as CloudWatch Logs stamps the event. */
  timestamp: number;
  message: string;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && error.name === "ResourceNotFoundException";
}

function toLines(
  events: { timestamp?: number | undefined; message?: string | undefined }[] | undefined,
): LogLine[] {
  return (events ?? []).map((e) => ({
    timestamp: e.timestamp ?? 0,
    message: (e.message ?? "").replace(/\r?\n$/, ""),
  }));
}

/**
 * The last `limit` events of a stream, oldest first. A stream that does not exist (yet) has no
 * lines: a task that failed to start never created one.
 */
export async function tailLogStream(
  logs: CloudWatchLogsClient,
  ref: LogStreamRef & { limit: number },
): Promise<LogLine[]> {
  try {
    const out = await logs.send(
      new GetLogEventsCommand({
        logGroupName: ref.group,
        logStreamName: ref.stream,
        startFromHead: false,
        limit: Math.max(1, Math.min(ref.limit, 10_000)),
      }),
    );
    const lines = toLines(out.events);
    return lines.slice(-ref.limit);
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
}

/**
 * Follows one stream forward. Each read() returns the events that arrived since the previous
 * read(), oldest first, paging until CloudWatch hands back the same forward token (the end).
 */
export class LogStreamFollower {
  readonly #logs: CloudWatchLogsClient;
  readonly #ref: LogStreamRef;
  readonly #maxPages: number;
  #token: string | undefined;
  /** Every line read so far, up to `keep`, for a tail without another call. */
  readonly #recent: LogLine[] = [];
  readonly #keep: number;

  constructor(
    logs: CloudWatchLogsClient,
    ref: LogStreamRef,
    options: { keep?: number; maxPagesPerRead?: number } = {},
  ) {
    this.#logs = logs;
    this.#ref = ref;
    this.#keep = options.keep ?? 200;
    this.#maxPages = options.maxPagesPerRead ?? 20;
  }

  get ref(): LogStreamRef {
    return this.#ref;
  }

  /** The last `limit` lines read so far. */
  recent(limit: number): LogLine[] {
    return this.#recent.slice(-limit);
  }

  async read(): Promise<LogLine[]> {
    const lines: LogLine[] = [];
    for (let page = 0; page < this.#maxPages; page++) {
      let out: GetLogEventsCommandOutput;
      try {
        out = await this.#logs.send(
          new GetLogEventsCommand({
            logGroupName: this.#ref.group,
            logStreamName: this.#ref.stream,
            startFromHead: true,
            ...(this.#token ? { nextToken: this.#token } : {}),
          }),
        );
      } catch (error) {
        // The stream appears when the container first writes; until then there is nothing to read.
        if (isNotFound(error)) break;
        throw error;
      }
      const events = toLines(out.events);
      lines.push(...events);
      const next = out.nextForwardToken;
      const atEnd = next === undefined || next === this.#token || events.length === 0;
      if (next !== undefined) this.#token = next;
      if (atEnd) break;
    }
    this.#recent.push(...lines);
    if (this.#recent.length > this.#keep) this.#recent.splice(0, this.#recent.length - this.#keep);
    return lines;
  }
}
