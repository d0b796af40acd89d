// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the smoke tests' secret reference syntax.
// The gate's decisions and timing, in simulated time with default settings (a probe every 5 s,
// 3 in a row to pass or fail).
import { describe, expect, it } from "vitest";
import { type GateConfig, runHealthGate, VERSION_CHECK } from "../../../../packages/core/src/health/gate";
import { type HealthProbe, parseStatusMatcher } from "../../../../packages/core/src/health/probe";
import { parseSmokeTests } from "../../../../packages/core/src/health/smoke";
import type { TargetHealthReader, TargetState } from "../../../../packages/core/src/health/target-health";
import type { GateSettings } from "../../../../packages/core/src/health/verdict";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { CancelledError, UserError } from "../../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import {
  defaultGateSettings,
  errorRateDefinition,
  type FakeOutcome,
  fakeHttp,
  latencyDefinition,
  scriptedSource,
} from "../../health-gate/fakes";

const URL = "http://shop.test/health";

const defaults = defaultGateSettings();

function probe(version?: string): HealthProbe {
  const p: HealthProbe = {
    url: URL,
    expectedStatus: parseStatusMatcher(["200"]),
    jsonAssertions: [],
    timeoutMs: 2_000,
  };
  if (version) p.version = { expected: version, jsonPath: { path: "version", segments: ["version"] } };
  return p;
}

function config(
  overrides: Partial<Omit<GateConfig, "settings">> & { settings?: Partial<GateSettings> } = {},
): GateConfig {
  return {
    probes: [probe()],
    smokeTests: [],
    smokeSecrets: {},
    targetGroupArns: [],
    metricSources: [],
    ...overrides,
    settings: { ...defaults, ...overrides.settings },
  };
}

function setup(respond: (now: number, url: string) => FakeOutcome) {
  const clock = new SimulatedClock();
  const start = clock.now();
  const http = fakeHttp(clock, (request, now) => respond(now - start, request.url));
  const logger = new RecordingLogger();
  return { clock, start, http, logger, deps: { http, clock, logger } };
}

const ok = (version = "v2"): FakeOutcome => ({ status: 200, body: { status: "ok", version } });

describe("runHealthGate", () => {
  it("passes once the probes are stable and the soak is over", async () => {
    const { deps, clock, start } = setup(() => ok());
    const report = await runHealthGate(config({ settings: { soakMs: 20_000 } }), deps);
    expect(report.verdict).toBe("pass");
    expect(report.failedChecks).toEqual([]);
    expect(clock.now() - start).toBe(20_000);
    expect(report.checks[0]?.measurements).toHaveLength(5);
  });

  it("passes after three successful probes when there is nothing to soak", async () => {
    const { deps, clock, start } = setup(() => ok());
    const report = await runHealthGate(config({ settings: { soakMs: 0 } }), deps);
    expect(report.verdict).toBe("pass");
    expect(clock.now() - start).toBe(10_000);
  });

  it("fails within three probe intervals of the first bad answer", async () => {
    const badFrom = 31_000;
    const { deps, clock, start } = setup((now) => (now >= badFrom ? { status: 503, body: "down" } : ok()));
    const report = await runHealthGate(config(), deps);
    expect(report.verdict).toBe("fail");
    expect(report.failedChecks).toEqual([`probe ${URL}`]);
    const detectedAfter = clock.now() - start - badFrom;
    expect(detectedAfter).toBeLessThanOrEqual(3 * defaults.probeIntervalMs);
    expect(report.reason).toContain("status 503, expected 200");
  });

  it("keeps a steady beat when the service stops answering, so a hang costs only the probe timeout", async () => {
    const badFrom = 30_000;
    const { deps, clock, start } = setup((now) => (now >= badFrom ? "hang" : ok()));
    const report = await runHealthGate(config(), deps);
    expect(report.verdict).toBe("fail");
    expect(report.failedChecks).toEqual([`probe ${URL}`]);
    // Probes at 30 s, its re-check at 32.5 s and the next beat at 35 s, each timing out after 2 s:
    // the third failure is known at 37 s, inside 3 intervals of the service going bad.
    expect(clock.now() - start).toBe(37_000);
    expect(clock.now() - start - badFrom).toBeLessThanOrEqual(3 * defaults.probeIntervalMs);
    expect(report.checks[0]?.summary).toContain("no response: timed out after 2000 ms");
  });

  it("re-checks a failed probe half an interval later, and only while it fails", async () => {
    const sent: number[] = [];
    const { deps } = setup((now) => {
      sent.push(now);
      return now === 10_000 ? { status: 503, body: {} } : ok();
    });
    const report = await runHealthGate(config({ settings: { warmUpMs: 0, soakMs: 30_000 } }), deps);
    expect(report.verdict).toBe("pass");
    // The beat every 5 s; one extra probe at 12.5 s after the failure at 10 s, none after it passed.
    expect(sent.slice(0, 7)).toEqual([0, 5_000, 10_000, 12_500, 15_000, 20_000, 25_000]);
  });

  it("does not re-check when a probe's timeout does not fit in half an interval", async () => {
    const sent: number[] = [];
    const slow = { ...probe(), timeoutMs: 3_000 };
    const { deps } = setup((now) => {
      sent.push(now);
      return now >= 30_000 ? { status: 503, body: {} } : ok();
    });
    const report = await runHealthGate(config({ probes: [slow] }), deps);
    expect(report.verdict).toBe("fail");
    expect(sent.filter((t) => t >= 30_000)).toEqual([30_000, 35_000, 40_000]);
  });

  it("fails the version check, and only it, when an old version still answers", async () => {
    const { deps } = setup(() => ok("v1"));
    const report = await runHealthGate(config({ probes: [probe("v2")], expectedVersion: "v2" }), deps);
    expect(report.verdict).toBe("fail");
    expect(report.failedChecks).toEqual([VERSION_CHECK]);
    const check = report.checks.find((c) => c.name === VERSION_CHECK);
    expect(check?.summary).toContain("serves version v1");
    expect(check?.measurements[0]).toMatchObject({ value: "v1", expected: "v2", status: "fail" });
  });

  it("does not pass while answers alternate between the old and the new version", async () => {
    let n = 0;
    const { deps } = setup(() => ok(n++ % 2 === 0 ? "v2" : "v1"));
    const report = await runHealthGate(
      config({
        probes: [probe("v2")],
        expectedVersion: "v2",
        settings: { soakMs: 10_000, timeoutMs: 60_000 },
      }),
      deps,
    );
    expect(report.verdict).toBe("fail");
    expect(report.failedChecks).toEqual([VERSION_CHECK]);
    expect(report.checks.find((c) => c.name === VERSION_CHECK)?.summary).toMatch(
      /never 3 successes in a row/,
    );
  });

  it("does not count failures during the warm-up", async () => {
    const { deps } = setup((now) => (now < 15_000 ? "refuse" : ok()));
    const report = await runHealthGate(config({ settings: { warmUpMs: 20_000, soakMs: 10_000 } }), deps);
    expect(report.verdict).toBe("pass");
    const uncounted = report.checks[0]?.measurements.filter((m) => m.detail?.includes("not counted"));
    expect(uncounted).toHaveLength(3);
  });

  it("fails when the probes never settle within the timeout", async () => {
    let n = 0;
    const { deps } = setup(() => (n++ % 3 === 2 ? { status: 500 } : ok()));
    const report = await runHealthGate(config({ settings: { soakMs: 0, timeoutMs: 60_000 } }), deps);
    expect(report.verdict).toBe("fail");
    expect(report.checks[0]?.summary).toMatch(/never 3 successes in a row within 1m/);
  });

  it("runs the smoke tests once, when the probes are stable, and fails on a broken flow", async () => {
    const { deps, http } = setup((_, url) =>
      url.endsWith("/api/orders") ? { status: 500, body: { error: "db" } } : ok(),
    );
    const smokeTests = parseSmokeTests(
      "- name: order\n  method: POST\n  url: http://shop.test/api/orders\n  headers: { Authorization: 'Bearer ${TOKEN}' }\n  expect: { status: 201 }",
      new Set(["TOKEN"]),
    );
    const report = await runHealthGate(config({ smokeTests, smokeSecrets: { TOKEN: "s3cret-token" } }), deps);
    expect(report.verdict).toBe("fail");
    expect(report.failedChecks).toEqual(["smoke: order"]);
    const orders = http.requests.filter((r) => r.url.endsWith("/api/orders"));
    expect(orders).toHaveLength(1);
    expect(orders[0]?.headers?.Authorization).toBe("Bearer s3cret-token");
    // The third probe made them stable: the smoke test ran right after it.
    expect(http.requests.findIndex((r) => r.url.endsWith("/api/orders"))).toBe(3);
    expect(JSON.stringify(report)).not.toContain("s3cret-token");
  });

  describe("metrics", () => {
    it("opens the soak after the warm-up and judges the window since then", async () => {
      const { deps, start } = setup(() => ok());
      const source = scriptedSource([errorRateDefinition], () => [{ value: 0.01, requests: 500 }]);
      const report = await runHealthGate(
        config({ metricSources: [source], settings: { warmUpMs: 10_000, soakMs: 30_000 } }),
        deps,
      );
      expect(report.verdict).toBe("pass");
      expect(source.opened).toEqual([{ startMs: start + 10_000, endMs: start + 10_000 }]);
      expect(source.reads.at(-1)).toEqual({ startMs: start + 10_000, endMs: start + 40_000 });
      expect(report.checks.find((c) => c.kind === "metric")?.summary).toBe("1 % over 500 requests");
    });

    it("fails on an error rate above the threshold on three readings in a row", async () => {
      const { deps, clock, start } = setup(() => ok());
      const source = scriptedSource([errorRateDefinition, latencyDefinition], () => [
        { value: 0.1, requests: 200 },
        { value: 0.12, requests: 200 },
      ]);
      const report = await runHealthGate(config({ metricSources: [source] }), deps);
      expect(report.verdict).toBe("fail");
      expect(report.failedChecks).toEqual(["error rate (test)"]);
      expect(clock.now() - start).toBe(15_000);
      const check = report.checks.find((c) => c.name === "error rate (test)");
      expect(check?.summary).toContain("10 % over 200 requests, must be <= 5 %");
      expect(check?.measurements.every((m) => m.threshold === 0.05 && m.unit === "ratio")).toBe(true);
    });

    it("fails on a p95 above the threshold at the end of the soak", async () => {
      const { deps, start } = setup(() => ok());
      const source = scriptedSource([latencyDefinition], (window) => [
        // Slow only in the last reading, so no streak: the final window decides.
        { value: window.endMs - window.startMs >= 60_000 ? 2.4 : 0.3, requests: 300 },
      ]);
      const report = await runHealthGate(config({ metricSources: [source] }), deps);
      expect(report.verdict).toBe("fail");
      expect(report.failedChecks).toEqual(["p95 latency (test)"]);
      expect(Date.parse(report.finishedAt) - start).toBe(60_000);
      expect(report.checks.find((c) => c.kind === "metric")?.summary).toContain(
        "2.4 s over 300 requests, must be <= 2 s",
      );
    });

    it("is inconclusive, not a pass, when there is too little traffic", async () => {
      const { deps } = setup(() => ok());
      const source = scriptedSource([errorRateDefinition], () => [{ value: 0, requests: 4 }]);
      const report = await runHealthGate(
        config({ metricSources: [source], settings: { soakMs: 20_000 } }),
        deps,
      );
      expect(report.verdict).toBe("inconclusive");
      expect(report.inconclusiveChecks).toEqual(["error rate (test)"]);
      expect(report.reason).toContain("4 requests in the window, fewer than the 20 needed");
    });

    it("is inconclusive when the metrics provider cannot be reached", async () => {
      const { deps } = setup(() => ok());
      const source = scriptedSource([errorRateDefinition], () => [
        { value: null, requests: null, error: "connection refused" },
      ]);
      const report = await runHealthGate(
        config({ metricSources: [source], settings: { soakMs: 20_000 } }),
        deps,
      );
      expect(report.verdict).toBe("inconclusive");
      expect(report.reason).toContain("a problem of the gate, not of the service");
    });

    it("reports metrics as inconclusive when the gate fails before the soak completes", async () => {
      const { deps } = setup((now) => (now >= 10_000 ? { status: 500 } : ok()));
      const source = scriptedSource([errorRateDefinition], () => [{ value: 0, requests: 100 }]);
      const report = await runHealthGate(config({ metricSources: [source] }), deps);
      expect(report.verdict).toBe("fail");
      expect(report.checks.find((c) => c.kind === "metric")).toMatchObject({ status: "inconclusive" });
    });

    it("stops at once when a metrics source refuses its configuration", async () => {
      const { deps } = setup(() => ok());
      const source = scriptedSource([errorRateDefinition], () => []);
      source.open = async () => {
        throw new UserError("Prometheus rejected the query");
      };
      await expect(runHealthGate(config({ metricSources: [source] }), deps)).rejects.toThrow(UserError);
    });
  });

  describe("target health", () => {
    const ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef";

    function reader(
      states: (now: number) => TargetState[],
      start: number,
      clock: SimulatedClock,
    ): TargetHealthReader {
      return async (targetGroupArn) => ({
        targetGroupArn,
        at: clock.now(),
        targets: states(clock.now() - start),
      });
    }

    it("waits for draining targets to finish, then passes", async () => {
      const { deps, clock, start } = setup(() => ok());
      const readTargetHealth = reader(
        (now) => [
          { target: "10.0.0.1:80", state: "healthy" },
          ...(now < 30_000
            ? [{ target: "10.0.0.9:80", state: "draining", reason: "Target.DeregistrationInProgress" }]
            : []),
        ],
        start,
        clock,
      );
      const report = await runHealthGate(config({ targetGroupArns: [ARN], settings: { soakMs: 10_000 } }), {
        ...deps,
        readTargetHealth,
      });
      expect(report.verdict).toBe("pass");
      expect(clock.now() - start).toBe(30_000);
      expect(report.checks.find((c) => c.kind === "target-health")?.summary).toBe("1 healthy");
    });

    it("fails when a target stays unhealthy", async () => {
      const { deps, clock, start } = setup(() => ok());
      const readTargetHealth = reader(
        () => [
          { target: "10.0.0.1:80", state: "healthy" },
          {
            target: "10.0.0.2:80",
            state: "unhealthy",
            reason: "Target.ResponseCodeMismatch",
            description: "503",
          },
        ],
        start,
        clock,
      );
      const report = await runHealthGate(config({ targetGroupArns: [ARN] }), { ...deps, readTargetHealth });
      expect(report.verdict).toBe("fail");
      expect(report.failedChecks).toEqual(["target health web"]);
      expect(report.reason).toContain("10.0.0.2:80 unhealthy (Target.ResponseCodeMismatch: 503)");
      expect(clock.now() - start).toBe(10_000);
    });

    it("fails when ECS keeps replacing the targets, showing what each read saw", async () => {
      const { deps, clock, start } = setup(() => ok());
      const readTargetHealth = reader(
        (now) =>
          now < 5_000
            ? [{ target: "10.0.0.1:80", state: "healthy" }]
            : now < 10_000
              ? [{ target: "10.0.0.1:80", state: "draining", reason: "Target.DeregistrationInProgress" }]
              : [],
        start,
        clock,
      );
      const report = await runHealthGate(config({ targetGroupArns: [ARN] }), { ...deps, readTargetHealth });
      expect(report.verdict).toBe("fail");
      // Draining alone is a deployment settling; no target at all is not: 3 reads from 10 s on.
      expect(clock.now() - start).toBe(20_000);
      expect(report.checks.find((c) => c.kind === "target-health")?.summary).toBe(
        "3 reads in a row with unhealthy or no targets: no registered targets",
      );
    });

    it("fails at the timeout when targets are still initial", async () => {
      const { deps, clock, start } = setup(() => ok());
      const readTargetHealth = reader(() => [{ target: "10.0.0.1:80", state: "initial" }], start, clock);
      const report = await runHealthGate(
        config({ targetGroupArns: [ARN], settings: { soakMs: 10_000, timeoutMs: 60_000 } }),
        { ...deps, readTargetHealth },
      );
      expect(report.verdict).toBe("fail");
      expect(report.checks.find((c) => c.kind === "target-health")?.summary).toBe(
        "not all healthy at the end: 10.0.0.1:80 initial",
      );
      expect(clock.now() - start).toBe(60_000);
    });
  });

  it("writes one progress line per poll", async () => {
    const { deps, logger } = setup(() => ok());
    await runHealthGate(config({ settings: { soakMs: 10_000 } }), deps);
    const lines = logger.lines.filter((l) => l.level === "progress");
    expect(lines).toHaveLength(3);
    expect(lines[2]?.message).toContain(`${URL}: 200 ok (stable)`);
  });

  it("is cancelled by the signal, without waiting for the next probe", async () => {
    const { deps, clock, start } = setup(() => ok());
    const controller = new AbortController();
    const promise = runHealthGate(config(), { ...deps, signal: controller.signal });
    controller.abort(new CancelledError());
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
    expect(clock.now() - start).toBeLessThan(defaults.probeIntervalMs);
  });
});
