// Metric checks as PromQL queries against a Prometheus server's HTTP API, each with the threshold that
// fails it. `$window` in a query stands for the soak window so far, so a rate covers only the new
// version's traffic.
import { parse as parseYaml, YAMLParseError } from "yaml";
import { UserError } from "../runtime/errors";
import { type HttpClient, HttpRequestError } from "./http";
import {
  type MetricDefinition,
  type MetricReading,
  type MetricSource,
  type MetricWindow,
  windowSeconds,
} from "./metrics";
import type { Comparison, Threshold, Unit } from "./verdict";

export interface PrometheusQuery {
  name: string;
  query: string;
  failWhen: Threshold;
  unit: Unit;
  /** A query for the number of requests behind the value; below the minimum the check is inconclusive. */
  requests?: string;
  minRequests?: number;
}

export class PrometheusQueriesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrometheusQueriesError";
  }
}

const KEYS = ["name", "query", "fail-when", "unit", "requests", "min-requests"];
const UNITS: readonly Unit[] = ["ratio", "seconds", "count", "none"];

/**
 * Parses a threshold such as "> 0.05", ">= 5%", "> 2s" or "> 500ms". A percentage is a ratio; a
 * duration is in seconds, the unit Prometheus histograms use.
 */
export function parseThreshold(text: string): Threshold {
  const match = /^\s*(>=|<=|>|<)\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+))\s*(%|ms|s|m)?\s*$/.exec(text);
  if (!match) {
    throw new Error(
      `${JSON.stringify(text)} is not a threshold; write a comparison and a number, such as "> 0.05", "> 5%" or "> 2s"`,
    );
  }
  const op = match[1] as Comparison;
  const number = Number(match[2]);
  const suffix = match[3];
  const scale: Record<string, number> = { "%": 0.01, ms: 0.001, s: 1, m: 60 };
  return { op, value: number * (suffix ? (scale[suffix] ?? 1) : 1) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses the YAML (or JSON) list of queries; every problem names the query and the key at fault. */
export function parsePrometheusQueries(raw: string): PrometheusQuery[] {
  let document: unknown;
  try {
    document = parseYaml(raw);
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message.split("\n")[0] : String(error);
    throw new PrometheusQueriesError(`it is not valid YAML or JSON: ${detail}`);
  }
  if (!Array.isArray(document) || document.length === 0) {
    throw new PrometheusQueriesError("it must be a non-empty list of queries, each starting with `- name:`");
  }
  const problems: string[] = [];
  const queries: PrometheusQuery[] = [];
  const names = new Set<string>();
  document.forEach((entry: unknown, index) => {
    if (!isRecord(entry)) {
      problems.push(`query ${index + 1} is not a mapping with name, query and fail-when`);
      return;
    }
    const name = typeof entry.name === "string" ? entry.name.trim() : "";
    const where = `query ${index + 1}${name ? ` (${name})` : ""}`;
    const before = problems.length;
    const problem = (message: string): void => {
      problems.push(`${where}: ${message}`);
    };
    for (const key of Object.keys(entry)) {
      if (!KEYS.includes(key)) problem(`unknown key \`${key}\` (allowed: ${KEYS.join(", ")})`);
    }
    if (!name) problem("`name` is required");
    else if (names.has(name)) problem("the name is used by an earlier query");
    else names.add(name);
    const query = typeof entry.query === "string" ? entry.query.trim() : "";
    if (!query) problem("`query` is required (a PromQL expression)");
    let failWhen: Threshold | undefined;
    if (entry["fail-when"] === undefined) problem('`fail-when` is required, such as "> 0.05"');
    else {
      try {
        failWhen = parseThreshold(String(entry["fail-when"]));
      } catch (error) {
        problem(`\`fail-when\`: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    const unit = (entry.unit ?? "none") as Unit;
    if (!UNITS.includes(unit)) problem(`\`unit\` must be one of ${UNITS.join(", ")}`);
    let requests: string | undefined;
    if (entry.requests !== undefined) {
      if (typeof entry.requests !== "string" || entry.requests.trim() === "") {
        problem("`requests` must be a PromQL expression counting the requests in `$window`");
      } else requests = entry.requests.trim();
    }
    let minRequests: number | undefined;
    if (entry["min-requests"] !== undefined) {
      const value = Number(entry["min-requests"]);
      if (!Number.isInteger(value) || value < 0) problem("`min-requests` must be a whole number");
      else minRequests = value;
      if (requests === undefined) problem("`min-requests` needs a `requests` query to count requests with");
    }
    if (problems.length > before || !failWhen) return;
    const parsed: PrometheusQuery = { name, query, failWhen, unit };
    if (requests !== undefined) parsed.requests = requests;
    if (minRequests !== undefined) parsed.minRequests = minRequests;
    queries.push(parsed);
  });
  if (problems.length > 0) throw new PrometheusQueriesError(problems.join("; "));
  return queries;
}

export interface PromSeries {
  labels: Record<string, string>;
  value: number;
}

/** Prometheus answered that the query itself is wrong (HTTP 400/422, errorType bad_data). */
export class PrometheusQueryRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PrometheusQueryRejected";
  }
}

interface ApiResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

export interface PrometheusClientOptions {
  url: string;
  headers?: Record<string, string>;
  timeoutMs: number;
  http: HttpClient;
}

/** Runs an instant query; an empty vector is an empty list. Throws on an unreachable server or a rejected query. */
export async function queryPrometheus(
  options: PrometheusClientOptions,
  query: string,
  signal?: AbortSignal,
): Promise<PromSeries[]> {
  const url = `${options.url.replace(/\/+$/, "")}/api/v1/query?${new URLSearchParams({ query }).toString()}`;
  const request: Parameters<HttpClient>[0] = {
    method: "GET",
    url,
    headers: { accept: "application/json", ...(options.headers ?? {}) },
    timeoutMs: options.timeoutMs,
  };
  if (signal) request.signal = signal;
  const response = await options.http(request);
  let body: ApiResponse;
  try {
    body = JSON.parse(response.body) as ApiResponse;
  } catch {
    throw new Error(`Prometheus answered ${response.status} with a body that is not JSON`);
  }
  if (body.status !== "success") {
    const message = `${body.errorType ?? `HTTP ${response.status}`}: ${body.error ?? "no error message"}`;
    if (body.errorType === "bad_data" || response.status === 400 || response.status === 422) {
      throw new PrometheusQueryRejected(message);
    }
    throw new Error(message);
  }
  const data = body.data ?? {};
  const number = (pair: unknown): number => {
    const text = Array.isArray(pair) ? pair[1] : undefined;
    return typeof text === "string" ? Number(text) : Number.NaN;
  };
  switch (data.resultType) {
    case "scalar":
      return [{ labels: {}, value: number(data.result) }];
    case "vector":
      return (Array.isArray(data.result) ? data.result : []).map((item: unknown) => {
        const series = (item ?? {}) as { metric?: Record<string, string>; value?: unknown };
        return { labels: series.metric ?? {}, value: number(series.value) };
      });
    default:
      throw new PrometheusQueryRejected(
        `the query returns a ${data.resultType ?? "result of unknown type"}; it must return an instant vector or a scalar (drop a trailing [range])`,
      );
  }
}

function labelsText(labels: Record<string, string>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? "{}" : `{${entries.map(([k, v]) => `${k}="${v}"`).join(", ")}}`;
}

/** Replaces $window with the soak window so far, as a PromQL duration. */
export function withWindow(query: string, window: MetricWindow): string {
  return query.replace(/\$window\b/g, `${windowSeconds(window)}s`);
}

export function prometheusMetricDefinitions(queries: readonly PrometheusQuery[]): MetricDefinition[] {
  return queries.map((q) => {
    const definition: MetricDefinition = {
      name: q.name,
      source: "Prometheus",
      description: q.query,
      unit: q.unit,
      failWhen: q.failWhen,
    };
    if (q.minRequests !== undefined) definition.minRequests = q.minRequests;
    return definition;
  });
}

export function prometheusSource(
  options: PrometheusClientOptions & { queries: PrometheusQuery[] },
): MetricSource {
  const definitions = prometheusMetricDefinitions(options.queries);

  function problemOf(error: unknown): string {
    if (error instanceof HttpRequestError) return `${options.url}: ${error.message}`;
    if (error instanceof Error && error.name !== "CancelledError" && error.name !== "AbortError")
      return error.message;
    throw error;
  }

  async function readOne(
    q: PrometheusQuery,
    window: MetricWindow,
    signal?: AbortSignal,
  ): Promise<MetricReading> {
    try {
      const [series, requests] = await Promise.all([
        queryPrometheus(options, withWindow(q.query, window), signal),
        q.requests === undefined
          ? Promise.resolve(undefined)
          : queryPrometheus(options, withWindow(q.requests, window), signal),
      ]);
      const values = series.map((s) => s.value).filter((v) => !Number.isNaN(v));
      // With several series the worst one decides: the highest for "fail above", the lowest for "fail below".
      const worst =
        values.length === 0
          ? null
          : q.failWhen.op.startsWith(">")
            ? Math.max(...values)
            : Math.min(...values);
      const reading: MetricReading = {
        check: q.name,
        value: worst,
        requests:
          requests === undefined
            ? null
            : requests.reduce((sum, s) => sum + (Number.isNaN(s.value) ? 0 : s.value), 0),
      };
      if (series.length === 0) reading.detail = "the query returned no series";
      else if (series.length > 1)
        reading.detail = series.map((s) => `${labelsText(s.labels)} ${s.value}`).join(", ");
      return reading;
    } catch (error) {
      if (error instanceof PrometheusQueryRejected) {
        return {
          check: q.name,
          value: null,
          requests: null,
          error: `the query was rejected: ${error.message}`,
        };
      }
      return { check: q.name, value: null, requests: null, error: problemOf(error) };
    }
  }

  return {
    definitions,
    async open(window, signal) {
      // A query Prometheus rejects is the user's to fix: say so now rather than after the soak.
      const probeWindow = { startMs: window.startMs - 60_000, endMs: window.startMs };
      for (const q of options.queries) {
        for (const [what, text] of [
          ["query", q.query],
          ["requests", q.requests],
        ] as const) {
          if (text === undefined) continue;
          try {
            await queryPrometheus(options, withWindow(text, probeWindow), signal);
          } catch (error) {
            if (error instanceof PrometheusQueryRejected) {
              throw new UserError(`Prometheus rejected the ${what} of \`${q.name}\`: ${error.message}`, {
                input: "prometheus-queries",
                fix: "Correct the PromQL; try it in the Prometheus expression browser with $window replaced by a duration such as 5m.",
              });
            }
            problemOf(error);
            // Unreachable now: the readings will say so, and the checks end inconclusive if it stays so.
            return;
          }
        }
      }
    },
    read(window, signal) {
      return Promise.all(options.queries.map((q) => readOne(q, window, signal)));
    },
  };
}
