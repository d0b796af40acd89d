// Acceptance through a real Prometheus (the Debian package) scraping demo services every second: the
// error ratio and the p95 from the latency histogram, as PromQL with thresholds, through the bundle.
import { type AddressInfo, createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type DemoService,
  type DemoServiceOptions,
  startDemoService,
} from "../../fixtures/demo-service/launch";
import { startTraffic, type Traffic } from "../../fixtures/demo-service/traffic";
import { type ActionRun, runAction } from "../../rig/harness";
import { type PrometheusServer, prometheusAvailable, startPrometheus } from "../../rig/services/prometheus";

const VERSION = "v1.5.0";

/** A loopback port that was free a moment ago, so nothing answers on it. */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The checks a team would write for a service scraped as `job`. */
function queries(job: string, p95Threshold = "200ms"): string {
  const selector = `job="${job}"`;
  return [
    "- name: error ratio",
    `  query: (sum(rate(http_requests_total{${selector},code=~"5.."}[$window])) or vector(0)) / sum(rate(http_requests_total{${selector}}[$window]))`,
    '  fail-when: "> 5%"',
    "  unit: ratio",
    `  requests: sum(increase(http_requests_total{${selector}}[$window]))`,
    "- name: p95 latency",
    `  query: histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${selector}}[$window])))`,
    `  fail-when: "> ${p95Threshold}"`,
    "  unit: seconds",
    `  requests: sum(increase(http_request_duration_seconds_count{${selector}}[$window]))`,
  ].join("\n");
}

const SCENARIOS: Record<string, { service: DemoServiceOptions; traffic: boolean }> = {
  healthy: { service: {}, traffic: true },
  erroring: { service: { failureRate: 0.1 }, traffic: true },
  slow: { service: { latencyMs: 300 }, traffic: true },
  idle: { service: {}, traffic: false },
};

describe.runIf(prometheusAvailable())("health-gate through a real Prometheus", () => {
  let prometheus: PrometheusServer;
  const services: Record<string, DemoService> = {};
  const traffic: Traffic[] = [];

  beforeAll(async () => {
    for (const [job, scenario] of Object.entries(SCENARIOS)) {
      services[job] = await startDemoService({ version: VERSION, ...scenario.service });
    }
    const targets = Object.fromEntries(
      Object.entries(services).map(([job, svc]) => [job, [svc.url.replace(/^http:\/\//, "")]]),
    );
    prometheus = await startPrometheus({ scrapeIntervalMs: 1_000, targets });
    for (const [job, scenario] of Object.entries(SCENARIOS)) {
      const svc = services[job] as DemoService;
      if (scenario.traffic) {
        traffic.push(
          startTraffic({ urls: [svc.url], ratePerSecond: 50, maxDurationMs: 120_000, timeoutMs: 2_000 }),
        );
      }
    }
    await Promise.all(Object.keys(SCENARIOS).map((job) => prometheus.waitForTargets(job, 1)));
  });

  afterAll(async () => {
    await Promise.all(traffic.map((t) => t.stop()));
    await Promise.all(Object.values(services).map((s) => s.stop()));
    await prometheus?.stop();
  });

  function gate(job: string, extra: Record<string, string> = {}): Promise<ActionRun> {
    const svc = services[job] as DemoService;
    return runAction("health-gate", {
      inputs: {
        "health-urls": `${svc.url}/health`,
        "expected-version": VERSION,
        "version-header": "x-service-version",
        "prometheus-url": prometheus.url,
        "prometheus-queries": queries(job),
        "probe-interval": "500ms",
        soak: "4s",
        timeout: "30s",
        ...extra,
      },
    });
  }

  interface CheckShape {
    name: string;
    status: string;
    summary: string;
    measurements: { value: unknown }[];
  }

  function checks(run: ActionRun): Record<string, CheckShape> {
    const report = JSON.parse(run.outputs.report ?? "{}") as { checks?: CheckShape[] };
    return Object.fromEntries((report.checks ?? []).map((c) => [c.name, c]));
  }

  describe.concurrent("scenarios", () => {
    it("passes a healthy service", async () => {
      const run = await gate("healthy");
      expect(run.outputs.verdict, run.visibleLog).toBe("pass");
      expect(run.exitCode).toBe(0);
      expect(checks(run)["error ratio"]?.summary).toMatch(/^0 % over \d+ requests$/);
      expect(checks(run)["p95 latency"]?.summary).toMatch(/^\d+(\.\d+)? ms over \d+ requests$/);
    });

    it("fails on the error ratio when 10 % of requests answer 5xx", async () => {
      const run = await gate("erroring");
      expect(run.outputs.verdict, run.visibleLog).toBe("fail");
      expect(run.exitCode).toBe(1);
      expect(JSON.parse(run.outputs["failed-checks"] ?? "[]")).toEqual(["error ratio"]);
      expect(checks(run)["error ratio"]?.summary).toMatch(/^\d+(\.\d+)? % over \d+ requests, must be <= 5 %/);
    });

    it("fails on the p95 from the latency histogram when responses are slow", async () => {
      const run = await gate("slow");
      expect(run.outputs.verdict, run.visibleLog).toBe("fail");
      expect(JSON.parse(run.outputs["failed-checks"] ?? "[]")).toEqual(["p95 latency"]);
      expect(checks(run)["p95 latency"]?.summary).toMatch(
        /^\d+(\.\d+)? (ms|s) over \d+ requests, must be <= 200 ms/,
      );
      // 300 ms responses fall in the 0.25..0.5 s bucket: the interpolated p95 is near 0.49 s.
      const p95 = checks(run)["p95 latency"]?.measurements.at(-1)?.value;
      expect(p95).toBeGreaterThanOrEqual(0.25);
    });

    it("is inconclusive without traffic: the ratio is NaN and the request count is below the minimum", async () => {
      const run = await gate("idle");
      expect(run.outputs.verdict, run.visibleLog).toBe("inconclusive");
      expect(run.exitCode).toBe(1);
      expect(checks(run)["error ratio"]?.summary).toMatch(
        /^0 requests in the window, fewer than the 20 needed/,
      );
    });

    it("is inconclusive, as a fault of the gate, when Prometheus cannot be reached", async () => {
      const nobody = `http://127.0.0.1:${await closedPort()}`;
      const run = await gate("healthy", { "prometheus-url": nobody });
      expect(run.outputs.verdict, run.visibleLog).toBe("inconclusive");
      expect(checks(run)["error ratio"]?.summary).toContain(
        `Prometheus could not be read: ${nobody}: connection refused (a problem of the gate, not of the service)`,
      );
      expect(checks(run)[`probe ${services.healthy?.url}/health`]?.status).toBe("pass");
    });

    it("stops with a configuration error when Prometheus rejects a query", async () => {
      const run = await gate("healthy", {
        "prometheus-queries":
          '- name: typo\n  query: sum(rate(http_requests_total[$window])\n  fail-when: "> 1"',
      });
      expect(run.exitCode).toBe(1);
      expect(run.outputs.verdict).toBeUndefined();
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]?.message).toMatch(
        /Prometheus rejected the query of `typo`: bad_data: .*parse error/,
      );
    });
  });
});
