import { describe, expect, it } from "vitest";
import { parseExposition } from "../../../../packages/core/src/health/exposition";
import { histogramQuantile } from "../../../../packages/core/src/health/histogram";
import { judgeReading, type MetricDefinition } from "../../../../packages/core/src/health/metrics";
import {
  type EndpointMetricsConfig,
  endpointMetricsSource,
  snapshotOf,
  totalsBetween,
} from "../../../../packages/core/src/health/metrics-endpoint";
import { combineVerdicts, formatValue } from "../../../../packages/core/src/health/verdict";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { type FakeOutcome, fakeHttp } from "../../health-gate/fakes";

describe("parseExposition", () => {
  it("reads names, labels with escapes, special values, and skips comments and timestamps", () => {
    const samples = parseExposition(
      [
        "# HELP http_requests_total Requests.",
        "# TYPE http_requests_total counter",
        'http_requests_total{method="GET",path="/a\\"b\\\\c",code="200"} 1027 1395066363000',
        'http_requests_total{code="500",} 3',
        "process_start_time_seconds 1.7e9",
        'http_request_duration_seconds_bucket{le="+Inf"} 12',
        "weird NaN",
        "",
      ].join("\n"),
    );
    expect(samples).toEqual([
      { name: "http_requests_total", labels: { method: "GET", path: '/a"b\\c', code: "200" }, value: 1027 },
      { name: "http_requests_total", labels: { code: "500" }, value: 3 },
      { name: "process_start_time_seconds", labels: {}, value: 1.7e9 },
      { name: "http_request_duration_seconds_bucket", labels: { le: "+Inf" }, value: 12 },
      { name: "weird", labels: {}, value: Number.NaN },
    ]);
  });

  it.each([
    ['{code="1"} 2', /line 1 does not start with a metric name/],
    ["m{code=1} 2", /malformed label set/],
    ['m{code="1} 2', /unterminated label value/],
    ["m twelve", /not a sample value/],
  ])("rejects %j", (text, message) => {
    expect(() => parseExposition(text)).toThrow(message);
  });
});

describe("histogramQuantile", () => {
  // The same figures histogram_quantile gives on these buckets.
  const buckets = [
    { le: 0.1, count: 50 },
    { le: 0.5, count: 90 },
    { le: 1, count: 100 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];

  it.each([
    [0.5, 0.1],
    [0.25, 0.05],
    [0.7, 0.3],
    [0.95, 0.75],
  ])("q=%f is %f", (q, expected) => {
    expect(histogramQuantile(q, buckets)).toBeCloseTo(expected, 10);
  });

  it("answers the highest finite bound when the rank is in the +Inf bucket", () => {
    expect(
      histogramQuantile(0.99, [
        { le: 1, count: 1 },
        { le: Number.POSITIVE_INFINITY, count: 10 },
      ]),
    ).toBe(1);
  });

  it("has no answer without observations or without a +Inf bucket", () => {
    expect(
      histogramQuantile(0.95, [
        { le: 1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ]),
    ).toBeUndefined();
    expect(histogramQuantile(0.95, [{ le: 1, count: 5 }])).toBeUndefined();
  });
});

const config: EndpointMetricsConfig = {
  urls: ["http://task-1.test/metrics", "http://task-2.test/metrics"],
  requestCounter: "http_requests_total",
  statusLabel: "code",
  latencyHistogram: "http_request_duration_seconds",
  errorRateThreshold: 0.05,
  latencyP95ThresholdSeconds: 2,
  timeoutMs: 1_000,
};

function page(ok: number, errors: number, fast: number, slow: number): string {
  return [
    `http_requests_total{route="/a",code="200"} ${ok}`,
    ...(errors > 0 ? [`http_requests_total{route="/a",code="503"} ${errors}`] : []),
    `http_request_duration_seconds_bucket{route="/a",le="0.1"} ${fast}`,
    `http_request_duration_seconds_bucket{route="/a",le="1"} ${fast + slow}`,
    `http_request_duration_seconds_bucket{route="/a",le="+Inf"} ${fast + slow}`,
  ].join("\n");
}

describe("totalsBetween", () => {
  it("counts what was added since the baseline, and all of a counter that was reset", () => {
    const before = snapshotOf(parseExposition(page(1000, 10, 900, 110)), config);
    const after = snapshotOf(parseExposition(page(40, 5, 30, 15)), config);
    const totals = totalsBetween(before, after);
    // Both series went down: the process restarted, so everything now counted is new.
    expect(totals).toMatchObject({ requests: 45, errors: 5 });
    const grown = totalsBetween(before, snapshotOf(parseExposition(page(1090, 20, 980, 140)), config));
    expect(grown).toMatchObject({ requests: 100, errors: 10 });
    expect(grown.buckets).toEqual([
      { le: 0.1, count: 80 },
      { le: 1, count: 110 },
      { le: Number.POSITIVE_INFINITY, count: 110 },
    ]);
  });
});

describe("endpointMetricsSource", () => {
  it("judges the traffic of every endpoint since the soak opened", async () => {
    const clock = new SimulatedClock();
    const pages: Record<string, string> = {
      "http://task-1.test/metrics": page(100, 0, 100, 0),
      "http://task-2.test/metrics": page(50, 0, 50, 0),
    };
    const http = fakeHttp(clock, (request): FakeOutcome => ({ status: 200, body: pages[request.url] ?? "" }));
    const source = endpointMetricsSource(config, { http, clock });
    await source.open({ startMs: 0, endMs: 0 });
    pages["http://task-1.test/metrics"] = page(190, 10, 150, 50);
    pages["http://task-2.test/metrics"] = page(140, 10, 100, 50);
    const [errorRate, latency] = await source.read({ startMs: 0, endMs: 5_000 });
    expect(errorRate).toMatchObject({ check: "error rate (metrics endpoint)", value: 0.1, requests: 200 });
    expect(latency?.requests).toBe(200);
    // 100 fast, 100 slow: the 0.95 rank (190) is in the 0.1..1 bucket, 90 of its 100.
    expect(latency?.value).toBeCloseTo(0.1 + 0.9 * 0.9, 10);
  });

  it("reports an endpoint it cannot read as a reading error", async () => {
    const clock = new SimulatedClock();
    const http = fakeHttp(
      clock,
      (request): FakeOutcome =>
        request.url.includes("task-2") ? "refuse" : { status: 200, body: page(1, 0, 1, 0) },
    );
    const source = endpointMetricsSource(config, { http, clock });
    await source.open({ startMs: 0, endMs: 0 });
    const readings = await source.read({ startMs: 0, endMs: 5_000 });
    expect(readings.map((r) => r.error)).toEqual([
      "http://task-2.test/metrics: connection refused",
      "http://task-2.test/metrics: connection refused",
    ]);
  });

  it("has no error-rate value when nothing was requested", async () => {
    const clock = new SimulatedClock();
    const http = fakeHttp(clock, (): FakeOutcome => ({ status: 200, body: "# no samples yet\n" }));
    const source = endpointMetricsSource(
      { ...config, urls: ["http://task-1.test/metrics"] },
      { http, clock },
    );
    await source.open({ startMs: 0, endMs: 0 });
    const [errorRate, latency] = await source.read({ startMs: 0, endMs: 5_000 });
    expect(errorRate).toMatchObject({
      value: null,
      requests: 0,
      detail: "no request counted in http_requests_total",
    });
    expect(latency).toMatchObject({ value: null, requests: 0 });
  });
});

describe("judgeReading", () => {
  const errorRate: MetricDefinition = {
    name: "error rate",
    source: "CloudWatch",
    description: "",
    unit: "ratio",
    failWhen: { op: ">", value: 0.05 },
  };

  it.each([
    [{ value: 0.01, requests: 100 }, "pass", "1 % over 100 requests"],
    [{ value: 0.05, requests: 100 }, "pass", "5 % over 100 requests"],
    [{ value: 0.051, requests: 100 }, "fail", "5.1 % over 100 requests, must be <= 5 %"],
    [
      { value: 0.5, requests: 19 },
      "inconclusive",
      "19 requests in the window, fewer than the 20 needed to judge",
    ],
    [{ value: null, requests: 100 }, "inconclusive", "no data in the window"],
    [{ value: Number.NaN, requests: null }, "inconclusive", "no data in the window"],
    [{ value: 0.2, requests: null }, "fail", "20 %, must be <= 5 %"],
  ] as const)("%j is %s", (reading, status, detail) => {
    const judgement = judgeReading(errorRate, { check: "error rate", ...reading }, 20);
    expect(judgement.status).toBe(status);
    expect(judgement.detail).toContain(detail);
  });

  it("blames the gate, not the service, when the provider cannot be read", () => {
    const judgement = judgeReading(
      errorRate,
      { check: "error rate", value: null, requests: null, error: "timeout" },
      20,
    );
    expect(judgement).toEqual({
      status: "inconclusive",
      detail: "CloudWatch could not be read: timeout (a problem of the gate, not of the service)",
    });
  });
});

describe("verdicts and values", () => {
  it.each([
    [["pass", "pass"], "pass"],
    [["pass", "inconclusive"], "inconclusive"],
    [["inconclusive", "fail", "pass"], "fail"],
    [[], "inconclusive"],
  ] as const)("%j combine to %s", (statuses, verdict) => {
    expect(combineVerdicts(statuses)).toBe(verdict);
  });

  it.each([
    [0.0512, "ratio", "5.12 %"],
    [0.3, "seconds", "300 ms"],
    [2.345, "seconds", "2.35 s"],
    [1234.4, "count", "1234"],
    [null, "ratio", "no data"],
  ] as const)("formats %s %s as %s", (value, unit, text) => {
    expect(formatValue(value, unit)).toBe(text);
  });
});
