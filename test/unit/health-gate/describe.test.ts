// The gate says what it will watch before it starts: one line for the timing and one per check.
import { describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/health-gate/src/inputs";
import { checkLines } from "../../../actions/health-gate/src/phases/describe";
import { settingsFrom } from "../../../actions/health-gate/src/settings";
import { SimulatedClock } from "../../../packages/core/src/runtime/clock";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";
import { fakeHttp } from "./fakes";

function linesFor(given: Record<string, string>): string[] {
  const logger = new RecordingLogger();
  const clock = new SimulatedClock();
  const inputs = parseInputs(inputSpec, { source: (name) => given[name], secrets: logger.secrets });
  const http = fakeHttp(clock, () => ({ status: 200 }));
  return checkLines(settingsFrom(inputs, { logger, http, clock, env: {} }));
}

describe("checkLines", () => {
  it("states the timing, then each probe, the version, smoke test and metric", () => {
    expect(
      linesFor({
        "base-url": "https://shop.test",
        "health-urls": "/health",
        "expected-status": "2xx",
        "expected-version": "abc123",
        "version-header": "x-service-version",
        "smoke-tests": "- name: home\n  url: /",
        "metrics-urls": "/metrics",
        "warm-up": "10s",
      }),
    ).toEqual([
      "Timing: warm-up 10s, a probe every 5s (timeout 2s), 3 successes in a row to pass, 3 failures in a row to fail, soak 1m, timeout 10m.",
      "Probe: GET https://shop.test/health, expecting status 2xx.",
      "Served version must be abc123.",
      "Smoke test: home (GET /).",
      "Metric: error rate (metrics endpoint), from metrics endpoint: share of http_requests_total with a 5xx `code` label, from 1 endpoint(s).",
      "Metric: p95 latency (metrics endpoint), from metrics endpoint: 0.95 quantile of http_request_duration_seconds, from 1 endpoint(s).",
    ]);
  });

  it("says there is no warm-up when none is set", () => {
    expect(linesFor({ "health-urls": "http://a.test/h" })[0]).toMatch(
      /^Timing: no warm-up, a probe every 5s/,
    );
  });
});
