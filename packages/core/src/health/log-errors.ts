// Error lines in the service's CloudWatch Logs, counted with FilterLogEvents and a filter pattern: the
// rate (lines per minute) of the new version against the rate of the previous version, measured over
// a window that ends when the deploy began.
import { type CloudWatchLogsClient, FilterLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { isPermanentAwsFailure } from "../aws/errors";
import { errorMessage, UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import type { MetricWindow } from "./metrics";

export interface LogErrorsConfig {
  logGroup: string;
  /** A CloudWatch Logs filter pattern, e.g. `?ERROR ?Exception`. */
  pattern: string;
  /** The baseline window: the previous version's lines over [end - duration, end]. */
  baseline: { endMs: number; durationMs: number };
  /** The new version fails when its rate is above both `factor` × the baseline and `minPerMinute`. */
  factor: number;
  minPerMinute: number;
  /** Pages read per count at most, so a flood of lines costs a bounded number of calls. */
  maxPages?: number;
}

export interface LogCount {
  lines: number;
  /** True when the page limit was reached: the count is a lower bound. */
  capped: boolean;
  /** A few matching lines, newest last, for the report. */
  samples: string[];
}

export interface LogErrorReading {
  at: number;
  windowMs: number;
  lines: number;
  perMinute: number;
  capped: boolean;
  samples: string[];
  error?: string;
}

export interface LogErrorBaseline {
  perMinute: number;
  lines: number;
  windowMs: number;
  /** The rate above which the new version fails. */
  thresholdPerMinute: number;
}

const DEFAULT_MAX_PAGES = 20;
const SAMPLES = 3;

/** The rate above which the new version fails: a multiple of the previous version's, and a floor. */
export function logErrorThreshold(baselinePerMinute: number, factor: number, minPerMinute: number): number {
  return Math.max(baselinePerMinute * factor, minPerMinute);
}

export class LogErrorCounter {
  #baseline: LogErrorBaseline | undefined;

  constructor(
    readonly config: LogErrorsConfig,
    private readonly logs: CloudWatchLogsClient,
  ) {}

  get baseline(): LogErrorBaseline | undefined {
    return this.#baseline;
  }

  /** Counts matching lines in [startMs, endMs]; the first failure to read throws. */
  async count(window: MetricWindow, signal?: AbortSignal): Promise<LogCount> {
    const maxPages = this.config.maxPages ?? DEFAULT_MAX_PAGES;
    let lines = 0;
    let pages = 0;
    const samples: string[] = [];
    let nextToken: string | undefined;
    do {
      const output = await this.logs.send(
        new FilterLogEventsCommand({
          logGroupName: this.config.logGroup,
          filterPattern: this.config.pattern,
          startTime: Math.floor(window.startMs),
          endTime: Math.floor(window.endMs),
          ...(nextToken ? { nextToken } : {}),
        }),
        signal ? { abortSignal: signal } : {},
      );
      for (const event of output.events ?? []) {
        // Never trust the filter alone: only events inside the window asked for are counted.
        const at = event.timestamp;
        if (at === undefined || at < window.startMs || at > window.endMs) continue;
        lines++;
        if (event.message !== undefined) {
          samples.push(event.message.slice(0, 200));
          if (samples.length > SAMPLES) samples.shift();
        }
      }
      nextToken = output.nextToken;
      pages++;
    } while (nextToken && pages < maxPages);
    return { lines, capped: nextToken !== undefined, samples };
  }

  /** Measures the previous version's rate once; a log group that cannot be read is the caller's to fix. */
  async measureBaseline(signal?: AbortSignal): Promise<LogErrorBaseline> {
    if (this.#baseline) return this.#baseline;
    const { endMs, durationMs } = this.config.baseline;
    let counted: LogCount;
    try {
      counted = await this.count({ startMs: endMs - durationMs, endMs }, signal);
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof Error && error.name === "ResourceNotFoundException") {
        throw new UserError(`The log group ${this.config.logGroup} does not exist.`, {
          input: "log-group",
          fix: "Give the awslogs-group of the service's task definition.",
          cause: error,
        });
      }
      if (error instanceof Error && error.name === "InvalidParameterException") {
        throw new UserError(`CloudWatch Logs refused the filter pattern: ${errorMessage(error)}`, {
          input: "log-error-pattern",
          fix: "Write a CloudWatch Logs filter pattern such as `?ERROR ?Exception`.",
          cause: error,
        });
      }
      throw error;
    }
    const perMinute = ratePerMinute(counted.lines, durationMs);
    this.#baseline = {
      perMinute,
      lines: counted.lines,
      windowMs: durationMs,
      thresholdPerMinute: logErrorThreshold(perMinute, this.config.factor, this.config.minPerMinute),
    };
    return this.#baseline;
  }

  /** The new version's rate over one window; a provider failure comes back as a reading with an error. */
  async read(window: MetricWindow, signal?: AbortSignal): Promise<LogErrorReading> {
    const windowMs = window.endMs - window.startMs;
    try {
      const counted = await this.count(window, signal);
      return {
        at: window.endMs,
        windowMs,
        lines: counted.lines,
        perMinute: ratePerMinute(counted.lines, windowMs),
        capped: counted.capped,
        samples: counted.samples,
      };
    } catch (error) {
      if (signal?.aborted || isPermanentAwsFailure(error)) throw error;
      return {
        at: window.endMs,
        windowMs,
        lines: 0,
        perMinute: 0,
        capped: false,
        samples: [],
        error: `FilterLogEvents failed: ${errorMessage(error)}`,
      };
    }
  }

  describeBaseline(): string {
    const b = this.#baseline;
    if (!b) return "not measured";
    return `${formatRate(b.perMinute)} before the deploy (${b.lines} lines in ${formatDuration(b.windowMs)}); fails above ${formatRate(b.thresholdPerMinute)}`;
  }
}

export function ratePerMinute(lines: number, windowMs: number): number {
  return windowMs > 0 ? (lines * 60_000) / windowMs : 0;
}

export function formatRate(perMinute: number): string {
  const shown = perMinute >= 10 ? Math.round(perMinute) : Number(perMinute.toFixed(2));
  return `${shown}/min`;
}
