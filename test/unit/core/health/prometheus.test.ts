import { describe, expect, it } from "vitest";
import type { HttpRequest } from "../../../../packages/core/src/health/http";
import {
  PrometheusQueriesError,
  parsePrometheusQueries,
  parseThreshold,
  prometheusSource,
  queryPrometheus,
  withWindow,
} from "../../../../packages/core/src/health/prometheus";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { type FakeOutcome, fakeHttp } from "../../health-gate/fakes";

describe("parseThreshold", () => {
  it.each([
    ["> 0.05", { op: ">", value: 0.05 }],
    [">=5%", { op: ">=", value: 0.05 }],
    ["> 2s", { op: ">", value: 2 }],
    ["> 1.5s", { op: ">", value: 1.5 }],
    ["> 300ms", { op: ">", value: 0.3 }],
    ["< 10", { op: "<", value: 10 }],
    ["<= .5", { op: "<=", value: 0.5 }],
  ])("%j", (text, threshold) => {
    const parsed = parseThreshold(text);
    expect(parsed.op).toBe(threshold.op);
    expect(parsed.value).toBeCloseTo(threshold.value, 12);
  });

  it.each(["0.05", "> five", "== 1", "> 5 %%"])("rejects %j", (text) => {
    expect(() => parseThreshold(text)).toThrow(/is not a threshold/);
  });
});

describe("parsePrometheusQueries", () => {
  it("reads queries with their thresholds, units and request counts", () => {
    const queries = parsePrometheusQueries(`
- name: error ratio
  query: sum(rate(http_requests_total{code=~"5.."}[$window])) / sum(rate(http_requests_total[$window]))
  fail-when: "> 5%"
  unit: ratio
  requests: sum(increase(http_requests_total[$window]))
  min-requests: 50
- name: p95
  query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[$window])))
  fail-when: "> 2s"
`);
    expect(queries).toEqual([
      {
        name: "error ratio",
        query:
          'sum(rate(http_requests_total{code=~"5.."}[$window])) / sum(rate(http_requests_total[$window]))',
        failWhen: { op: ">", value: 0.05 },
        unit: "ratio",
        requests: "sum(increase(http_requests_total[$window]))",
        minRequests: 50,
      },
      {
        name: "p95",
        query: "histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket[$window])))",
        failWhen: { op: ">", value: 2 },
        unit: "none",
      },
    ]);
  });

  it.each([
    ["an empty list", "[]", /non-empty list/],
    ["a missing query", "- name: x\n  fail-when: '> 1'", /query 1 \(x\): `query` is required/],
    ["a missing threshold", "- name: x\n  query: up", /`fail-when` is required/],
    ["a bad threshold", "- name: x\n  query: up\n  fail-when: high", /"high" is not a threshold/],
    ["an unknown unit", "- name: x\n  query: up\n  fail-when: '> 1'\n  unit: ms", /`unit` must be one of/],
    [
      "min-requests without requests",
      "- name: x\n  query: up\n  fail-when: '> 1'\n  min-requests: 5",
      /needs a `requests` query/,
    ],
    [
      "an unknown key",
      "- name: x\n  query: up\n  fail-when: '> 1'\n  threshold: 1",
      /unknown key `threshold`/,
    ],
  ])("rejects %s", (_, raw, message) => {
    expect(() => parsePrometheusQueries(raw)).toThrow(PrometheusQueriesError);
    expect(() => parsePrometheusQueries(raw)).toThrow(message);
  });
});

describe("withWindow", () => {
  it("puts the window so far, in whole seconds, where $window is", () => {
    expect(withWindow("rate(x[$window]) / rate(y[$window])", { startMs: 0, endMs: 4_200 })).toBe(
      "rate(x[5s]) / rate(y[5s])",
    );
    expect(withWindow("rate(x[$window])", { startMs: 0, endMs: 0 })).toBe("rate(x[1s])");
  });
});

const vector = (...values: [Record<string, string>, string][]) => ({
  status: 200,
  body: {
    status: "success",
    data: { resultType: "vector", result: values.map(([metric, v]) => ({ metric, value: [1, v] })) },
  },
});

describe("queryPrometheus", () => {
  const clock = new SimulatedClock();
  const options = (outcome: FakeOutcome) => ({
    url: "http://prometheus.test/",
    timeoutMs: 2_000,
    http: fakeHttp(clock, () => outcome),
    headers: { Authorization: "Bearer t0ken" },
  });

  it("sends an instant query with the extra headers and reads a vector", async () => {
    const opts = options(vector([{ job: "a" }, "0.25"], [{ job: "b" }, "NaN"]));
    const series = await queryPrometheus(opts, "up == 1");
    expect(series).toEqual([
      { labels: { job: "a" }, value: 0.25 },
      { labels: { job: "b" }, value: Number.NaN },
    ]);
    const request = opts.http.requests[0] as HttpRequest;
    expect(request.url).toBe("http://prometheus.test/api/v1/query?query=up+%3D%3D+1");
    expect(request.headers?.Authorization).toBe("Bearer t0ken");
  });

  it("reads a scalar", async () => {
    const series = await queryPrometheus(
      options({ status: 200, body: { status: "success", data: { resultType: "scalar", result: [1, "3"] } } }),
      "scalar(1)",
    );
    expect(series).toEqual([{ labels: {}, value: 3 }]);
  });

  it.each([
    [
      "a rejected query",
      { status: 400, body: { status: "error", errorType: "bad_data", error: "parse error" } },
      /bad_data: parse error/,
    ],
    [
      "a range vector",
      { status: 200, body: { status: "success", data: { resultType: "matrix", result: [] } } },
      /returns a matrix/,
    ],
  ])("refuses %s as the user's mistake", async (_, outcome, message) => {
    await expect(queryPrometheus(options(outcome), "x")).rejects.toMatchObject({
      name: "PrometheusQueryRejected",
    });
    await expect(queryPrometheus(options(outcome), "x")).rejects.toThrow(message);
  });

  it("fails plainly on a server error or a page that is not the API", async () => {
    await expect(
      queryPrometheus(
        options({ status: 503, body: { status: "error", errorType: "timeout", error: "query timed out" } }),
        "x",
      ),
    ).rejects.toThrow("timeout: query timed out");
    await expect(queryPrometheus(options({ status: 200, body: "<html>login</html>" }), "x")).rejects.toThrow(
      /not JSON/,
    );
  });
});

describe("prometheusSource", () => {
  const queries = parsePrometheusQueries(
    "- name: error ratio\n  query: a[$window]\n  fail-when: '> 5%'\n  unit: ratio\n  requests: r[$window]",
  );

  function source(respond: (query: string) => FakeOutcome) {
    const clock = new SimulatedClock();
    const http = fakeHttp(clock, (request) => respond(new URL(request.url).searchParams.get("query") ?? ""));
    return {
      http,
      source: prometheusSource({
        url: "http://prometheus.test",
        timeoutMs: 2_000,
        http,
        queries,
      }),
    };
  }

  it("reads the value and the requests behind it over the window", async () => {
    const { source: s, http } = source((q) =>
      q.startsWith("a") ? vector([{}, "0.08"]) : vector([{}, "250"]),
    );
    const [reading] = await s.read({ startMs: 0, endMs: 30_000 });
    expect(reading).toEqual({ check: "error ratio", value: 0.08, requests: 250 });
    expect(http.requests.map((r) => new URL(r.url).searchParams.get("query"))).toEqual(["a[30s]", "r[30s]"]);
  });

  it("lets the worst series decide and lists them all", async () => {
    const { source: s } = source((q) =>
      q.startsWith("a") ? vector([{ az: "a" }, "0.01"], [{ az: "b" }, "0.2"]) : vector([{}, "100"]),
    );
    const [reading] = await s.read({ startMs: 0, endMs: 30_000 });
    expect(reading?.value).toBe(0.2);
    expect(reading?.detail).toBe('{az="a"} 0.01, {az="b"} 0.2');
  });

  it("has no value when the query returns nothing or NaN", async () => {
    const empty = source((q) => (q.startsWith("a") ? vector() : vector([{}, "0"])));
    expect((await empty.source.read({ startMs: 0, endMs: 1_000 }))[0]).toMatchObject({
      value: null,
      requests: 0,
      detail: "the query returned no series",
    });
    const nan = source(() => vector([{}, "NaN"]));
    expect((await nan.source.read({ startMs: 0, endMs: 1_000 }))[0]).toMatchObject({
      value: null,
      requests: 0,
    });
  });

  it("turns an unreachable server into a reading error", async () => {
    const { source: s } = source(() => "refuse");
    const [reading] = await s.read({ startMs: 0, endMs: 1_000 });
    expect(reading).toMatchObject({ value: null, error: "http://prometheus.test: connection refused" });
  });

  it("refuses a query Prometheus rejects when the soak opens", async () => {
    const { source: s } = source(() => ({
      status: 400,
      body: { status: "error", errorType: "bad_data", error: "unknown function" },
    }));
    await expect(s.open({ startMs: 0, endMs: 0 })).rejects.toThrow(UserError);
    await expect(s.open({ startMs: 0, endMs: 0 })).rejects.toThrow(
      "Prometheus rejected the query of `error ratio`: bad_data: unknown function",
    );
  });

  it("opens without complaint when the server is down, leaving it to the readings", async () => {
    const { source: s } = source(() => "refuse");
    await expect(s.open({ startMs: 0, endMs: 0 })).resolves.toBeUndefined();
  });
});
