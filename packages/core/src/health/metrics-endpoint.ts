// Error rate and p95 latency read straight from services' Prometheus metrics pages (no Prometheus
// server needed): the request counter and latency histogram are scraped when the soak opens and at each
// reading, and the difference is judged.
import type { Clock } from "../runtime/clock";
import { errorMessage } from "../runtime/errors";
import { parseExposition, type Sample } from "./exposition";
import { type Bucket, histogramQuantile } from "./histogram";
import { type HttpClient, HttpRequestError } from "./http";
import type { MetricDefinition, MetricReading, MetricSource, MetricWindow } from "./metrics";

export interface EndpointMetricsConfig {
  urls: string[];
  /** Counter of requests with a status label, e.g. http_requests_total{code="500"}. */
  requestCounter: string;
  statusLabel: string;
  /** Histogram of request durations in seconds, e.g. http_request_duration_seconds. */
  latencyHistogram: string;
  errorRateThreshold: number;
  latencyP95ThresholdSeconds: number;
  timeoutMs: number;
}

/** The counters that matter, keyed by series (name and labels). */
interface Snapshot {
  requests: Map<string, { status: string; value: number }>;
  buckets: Map<string, { le: number; value: number }>;
}

const SOURCE = "metrics endpoint";

function seriesKey(sample: Sample, without?: string): string {
  const labels = Object.entries(sample.labels)
    .filter(([name]) => name !== without)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`);
  return `${sample.name}{${labels.join(",")}}`;
}

export function snapshotOf(samples: readonly Sample[], config: EndpointMetricsConfig): Snapshot {
  const snapshot: Snapshot = { requests: new Map(), buckets: new Map() };
  const bucketName = `${config.latencyHistogram}_bucket`;
  for (const sample of samples) {
    if (sample.name === config.requestCounter) {
      snapshot.requests.set(seriesKey(sample), {
        status: sample.labels[config.statusLabel] ?? "",
        value: sample.value,
      });
    } else if (sample.name === bucketName && sample.labels.le !== undefined) {
      const le = sample.labels.le === "+Inf" ? Number.POSITIVE_INFINITY : Number(sample.labels.le);
      if (!Number.isNaN(le)) snapshot.buckets.set(seriesKey(sample), { le, value: sample.value });
    }
  }
  return snapshot;
}

/** A counter that went down was reset (the process restarted): count all of its current value. */
function increase(current: number, before: number | undefined): number {
  if (before === undefined) return current;
  return current >= before ? current - before : current;
}

export interface WindowTotals {
  requests: number;
  errors: number;
  buckets: Bucket[];
}

/** Requests, 5xx responses and latency buckets between two snapshots of one endpoint. */
export function totalsBetween(before: Snapshot, after: Snapshot): WindowTotals {
  let requests = 0;
  let errors = 0;
  for (const [key, series] of after.requests) {
    const added = increase(series.value, before.requests.get(key)?.value);
    requests += added;
    if (/^5/.test(series.status)) errors += added;
  }
  const byBound = new Map<number, number>();
  for (const [key, bucket] of after.buckets) {
    const added = increase(bucket.value, before.buckets.get(key)?.value);
    byBound.set(bucket.le, (byBound.get(bucket.le) ?? 0) + added);
  }
  const buckets = [...byBound.entries()].map(([le, count]) => ({ le, count }));
  return { requests, errors, buckets };
}

export function endpointMetricDefinitions(config: EndpointMetricsConfig): MetricDefinition[] {
  return [
    {
      name: `error rate (${SOURCE})`,
      source: SOURCE,
      description: `share of ${config.requestCounter} with a 5xx \`${config.statusLabel}\` label, from ${config.urls.length} endpoint(s)`,
      unit: "ratio",
      failWhen: { op: ">", value: config.errorRateThreshold },
    },
    {
      name: `p95 latency (${SOURCE})`,
      source: SOURCE,
      description: `0.95 quantile of ${config.latencyHistogram}, from ${config.urls.length} endpoint(s)`,
      unit: "seconds",
      failWhen: { op: ">", value: config.latencyP95ThresholdSeconds },
    },
  ];
}

export function endpointMetricsSource(
  config: EndpointMetricsConfig,
  deps: { http: HttpClient; clock: Clock },
): MetricSource {
  const definitions = endpointMetricDefinitions(config);
  const [errorRate, latency] = definitions as [MetricDefinition, MetricDefinition];
  const baselines = new Map<string, Snapshot>();

  async function scrape(url: string, signal?: AbortSignal): Promise<Snapshot> {
    const request: Parameters<HttpClient>[0] = {
      method: "GET",
      url,
      timeoutMs: config.timeoutMs,
      headers: { accept: "text/plain" },
    };
    if (signal) request.signal = signal;
    const response = await deps.http(request);
    if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
    try {
      return snapshotOf(parseExposition(response.body), config);
    } catch (error) {
      throw new Error(`${url} is not in the Prometheus text format: ${errorMessage(error)}`);
    }
  }

  async function scrapeOrError(url: string, signal?: AbortSignal): Promise<Snapshot | string> {
    try {
      return await scrape(url, signal);
    } catch (error) {
      if (error instanceof HttpRequestError) return `${url}: ${error.message}`;
      if (error instanceof Error && error.name !== "CancelledError" && error.name !== "AbortError") {
        return error.message;
      }
      throw error;
    }
  }

  return {
    definitions,
    async open(_window, signal) {
      // A baseline that cannot be taken now is taken at the next reading; its window is then shorter.
      await Promise.all(
        config.urls.map(async (url) => {
          const snapshot = await scrapeOrError(url, signal);
          if (typeof snapshot !== "string") baselines.set(url, snapshot);
        }),
      );
    },
    async read(_window: MetricWindow, signal) {
      const problems: string[] = [];
      const totals: WindowTotals = { requests: 0, errors: 0, buckets: [] };
      const byBound = new Map<number, number>();
      await Promise.all(
        config.urls.map(async (url) => {
          const snapshot = await scrapeOrError(url, signal);
          if (typeof snapshot === "string") {
            problems.push(snapshot);
            return;
          }
          const baseline = baselines.get(url);
          if (!baseline) {
            baselines.set(url, snapshot);
            problems.push(`${url}: no baseline yet (the first scrape failed); taken now`);
            return;
          }
          const part = totalsBetween(baseline, snapshot);
          totals.requests += part.requests;
          totals.errors += part.errors;
          for (const bucket of part.buckets)
            byBound.set(bucket.le, (byBound.get(bucket.le) ?? 0) + bucket.count);
        }),
      );
      if (problems.length > 0) {
        const error = problems.join("; ");
        return [
          { check: errorRate.name, value: null, requests: null, error },
          { check: latency.name, value: null, requests: null, error },
        ];
      }
      totals.buckets = [...byBound.entries()].map(([le, count]) => ({ le, count }));
      const latencyCount = totals.buckets.find((b) => b.le === Number.POSITIVE_INFINITY)?.count ?? 0;
      const readings: MetricReading[] = [
        {
          check: errorRate.name,
          value: totals.requests > 0 ? totals.errors / totals.requests : null,
          requests: totals.requests,
          detail: `${Math.round(totals.errors)} of ${Math.round(totals.requests)} requests answered 5xx`,
        },
        {
          check: latency.name,
          value: histogramQuantile(0.95, totals.buckets) ?? null,
          requests: latencyCount,
        },
      ];
      if (totals.requests === 0) {
        const first = readings[0] as MetricReading;
        first.detail = `no request counted in ${config.requestCounter}`;
      }
      return readings;
    },
  };
}
