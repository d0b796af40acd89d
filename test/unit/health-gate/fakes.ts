// Collaborators of the health checks for tests: an HTTP client answering from a function, in
// simulated time, a scripted metrics source, and the gate's default settings.

import { inputSpec } from "../../../actions/health-gate/src/inputs";
import { gateSettings } from "../../../actions/health-gate/src/settings";
import { type HttpClient, type HttpRequest, HttpRequestError } from "../../../packages/core/src/health/http";
import type {
  MetricDefinition,
  MetricReading,
  MetricSource,
  MetricWindow,
} from "../../../packages/core/src/health/metrics";
import type { GateSettings } from "../../../packages/core/src/health/verdict";
import type { Clock } from "../../../packages/core/src/runtime/clock";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";

export interface FakeAnswer {
  status: number;
  body?: string | object;
  headers?: Record<string, string>;
  /** Simulated time the answer takes. */
  durationMs?: number;
}

/** "hang": no answer until the request's timeout (simulated); "refuse": connection refused at once. */
export type FakeOutcome = FakeAnswer | "hang" | "refuse";

export function fakeHttp(
  clock: Clock,
  respond: (request: HttpRequest, now: number) => FakeOutcome,
): HttpClient & { requests: HttpRequest[] } {
  const requests: HttpRequest[] = [];
  const client = async (request: HttpRequest) => {
    requests.push(request);
    const outcome = respond(request, clock.now());
    if (outcome === "refuse") throw new HttpRequestError("connection refused", 0);
    if (outcome === "hang") {
      await clock.sleep(request.timeoutMs);
      throw new HttpRequestError(`timed out after ${request.timeoutMs} ms`, request.timeoutMs);
    }
    if (outcome.durationMs) await clock.sleep(outcome.durationMs);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(outcome.headers ?? {})) headers[name.toLowerCase()] = value;
    const body = typeof outcome.body === "string" ? outcome.body : JSON.stringify(outcome.body ?? "");
    return { status: outcome.status, headers, body, durationMs: outcome.durationMs ?? 1 };
  };
  return Object.assign(client, { requests });
}

/** A metrics source whose readings a function gives, by the window being read. */
export function scriptedSource(
  definitions: MetricDefinition[],
  read: (window: MetricWindow) => Omit<MetricReading, "check">[],
): MetricSource & { opened: MetricWindow[]; reads: MetricWindow[] } {
  const opened: MetricWindow[] = [];
  const reads: MetricWindow[] = [];
  return {
    definitions,
    opened,
    reads,
    async open(window) {
      opened.push(window);
    },
    async read(window) {
      reads.push(window);
      return read(window).map((reading, i) => ({ ...reading, check: definitions[i]?.name ?? "?" }));
    },
  };
}

export const errorRateDefinition: MetricDefinition = {
  name: "error rate (test)",
  source: "test",
  description: "scripted",
  unit: "ratio",
  failWhen: { op: ">", value: 0.05 },
};

export const latencyDefinition: MetricDefinition = {
  name: "p95 latency (test)",
  source: "test",
  description: "scripted",
  unit: "seconds",
  failWhen: { op: ">", value: 2 },
};

/** The gate's settings with every input left at its default, as the action reads them. */
export function defaultGateSettings(): GateSettings {
  return gateSettings(parseInputs(inputSpec, { source: () => undefined }));
}
