// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the smoke tests' secret reference syntax.
// Acceptance: the committed health-gate bundle, run as the runner runs it, against the demo service on
// loopback whose behaviour each test switches. Durations are short (a probe a second, a 3 s soak) so
// the suite stays quick, yet long enough that a busy machine's delays do not turn into timeouts; the
// logic is the same at the 5 s default.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, type TestContext } from "vitest";
import {
  type DemoService,
  type DemoServiceOptions,
  startDemoService,
} from "../../fixtures/demo-service/launch";
import { type ActionRun, everythingPrinted, runAction } from "../../rig/harness";
import { startTrafficProcess } from "./traffic-process";

const VERSION = "4f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39";
const API_TOKEN = "smoke-token-6f1d2e";

/**
 * Starts a demo service, and steady traffic to it from a process of its own (so a busy test worker
 * cannot starve it), that live as long as the test.
 */
async function service(
  t: TestContext,
  options: DemoServiceOptions,
  trafficPerSecond = 60,
): Promise<DemoService> {
  const started = await startDemoService({ version: VERSION, apiToken: API_TOKEN, ...options });
  const traffic =
    trafficPerSecond > 0
      ? await startTrafficProcess(started.url, { ratePerSecond: trafficPerSecond, maxDurationMs: 60_000 })
      : undefined;
  t.onTestFinished(async () => {
    await traffic?.stop();
    await started.stop();
  });
  return started;
}

function gateInputs(
  svc: Pick<DemoService, "url">,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "base-url": svc.url,
    "health-urls": "/health",
    "json-assertions": "status=ok\nchecks.database=ok",
    "expected-version": VERSION.slice(0, 7),
    "version-json-path": "version",
    "metrics-urls": "/metrics",
    "probe-interval": "1s",
    soak: "3s",
    timeout: "20s",
    ...extra,
  };
}

interface ReportShape {
  verdict: string;
  checks: { name: string; status: string; summary: string; measurements: { value: unknown }[] }[];
}

function report(run: ActionRun): ReportShape {
  return JSON.parse(run.outputs.report ?? "{}");
}

function failedChecks(run: ActionRun): string[] {
  return JSON.parse(run.outputs["failed-checks"] ?? "null");
}

describe.concurrent("health-gate bundle against the demo service", () => {
  it("passes a healthy service, with smoke tests that use a secret header it never prints", async (t) => {
    const svc = await service(t, {});
    const run = await runAction("health-gate", {
      inputs: gateInputs(svc, {
        "smoke-tests": [
          "- name: list products",
          "  url: /api/products",
          "  expect: { status: 200, body-contains: [A-1, Bucket] }",
          "- name: place an order",
          "  method: POST",
          "  url: /api/orders",
          "  headers: { Authorization: 'Bearer ${API_TOKEN}' }",
          "  body: { sku: A-1, quantity: 1 }",
          "  expect: { status: 201, json: { status: created } }",
        ].join("\n"),
        "smoke-secrets": `API_TOKEN=${API_TOKEN}`,
      }),
    });
    expect(run.errors, run.visibleLog).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verdict).toBe("pass");
    expect(failedChecks(run)).toEqual([]);
    expect(report(run).checks.map((c) => [c.name, c.status])).toEqual([
      [`probe ${svc.url}/health`, "pass"],
      ["served version", "pass"],
      ["smoke: list products", "pass"],
      ["smoke: place an order", "pass"],
      ["error rate (metrics endpoint)", "pass"],
      ["p95 latency (metrics endpoint)", "pass"],
    ]);
    expect(run.summary).toContain("## health-gate: ✅ pass");
    expect(run.summary).toContain("xychart-beta");
    expect(run.masks).toContain(API_TOKEN);
    expect(everythingPrinted(run)).not.toContain(API_TOKEN);
  });

  it("fails on the error rate when 10 % of requests answer 5xx", async (t) => {
    const svc = await service(t, { failureRate: 0.1 });
    const run = await runAction("health-gate", { inputs: gateInputs(svc) });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict, run.visibleLog).toBe("fail");
    expect(failedChecks(run)).toEqual(["error rate (metrics endpoint)"]);
    const check = report(run).checks.find((c) => c.name === "error rate (metrics endpoint)");
    expect(check?.summary).toMatch(/^\d+(\.\d+)? % over \d+ requests, must be <= 5 %/);
    const measured = check?.measurements.at(-1)?.value;
    // The service fails exactly every tenth API request; the window may cut between two failures.
    expect(measured).toBeGreaterThan(0.06);
    expect(measured).toBeLessThan(0.14);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(/error rate \(metrics endpoint\): \d+(\.\d+)? % over/);
    expect(run.summary).toMatch(
      /\| error rate \(metrics endpoint\) \| ❌ fail \| \d+(\.\d+)? % \| <= 5 % \|/,
    );
  });

  it("fails on the p95 latency when responses are slow", async (t) => {
    const svc = await service(t, { latencyMs: 300 });
    const run = await runAction("health-gate", {
      inputs: gateInputs(svc, { "latency-p95-threshold": "200ms" }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict, run.visibleLog).toBe("fail");
    expect(failedChecks(run)).toEqual(["p95 latency (metrics endpoint)"]);
    expect(report(run).checks.find((c) => c.name === "p95 latency (metrics endpoint)")?.summary).toMatch(
      /^\d+(\.\d+)? ms over \d+ requests, must be <= 200 ms/,
    );
  });

  it("fails the version check when an old version is still answering", async (t) => {
    const svc = await service(t, { version: "0ld5e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c" });
    const run = await runAction("health-gate", { inputs: gateInputs(svc) });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    expect(failedChecks(run)).toEqual(["served version"]);
    expect(run.errors[0]?.message).toContain(
      "served version: 3 probes in a row: serves version 0ld5e1f2a3b4c5d6e7f8091a2b3c4d5e6f7a8b9c (`version`), expected 4f2a9c1",
    );
  });

  it("fails the probe check when the service stops answering", async (t) => {
    const svc = await service(t, {});
    let switched: Promise<unknown> | undefined;
    const run = await runAction("health-gate", {
      inputs: gateInputs(svc, { soak: "15s", timeout: "25s" }),
      // Once the gate has seen the service healthy, it stops answering.
      onLine: (line) => {
        if (!switched && line.includes("(stable)")) switched = svc.control({ answering: false });
      },
    });
    await switched;
    expect(switched).toBeDefined();
    const log = run.visibleLog;
    expect(run.exitCode, log).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    expect(failedChecks(run), log).toEqual([`probe ${svc.url}/health`]);
    const probe = report(run).checks.find((c) => c.name === `probe ${svc.url}/health`);
    expect(probe?.summary, log).toBe("3 failures in a row: no response: timed out after 1000 ms");
    expect(run.summary).toContain(
      `| probe ${svc.url}/health | ❌ fail | no response | status 200, status = ok`,
    );
    // Well before the 15 s soak would have let it pass.
    expect(JSON.parse(run.outputs.report ?? "{}").durationMs).toBeLessThan(15_000);
    // Its metrics page stopped answering too: that is the gate's blind spot, not a verdict on metrics.
    expect(report(run).checks.find((c) => c.name === "error rate (metrics endpoint)")?.status).toBe(
      "inconclusive",
    );
  });

  it("is inconclusive, and fails the step, when the service gets no traffic", async (t) => {
    const svc = await service(t, {}, 0);
    const run = await runAction("health-gate", { inputs: gateInputs(svc) });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe("inconclusive");
    expect(failedChecks(run)).toEqual([]);
    expect(report(run).checks.find((c) => c.name === "error rate (metrics endpoint)")?.summary).toBe(
      "0 requests in the window, fewer than the 20 needed to judge; no request counted in http_requests_total",
    );
    expect(run.errors[0]?.message).toContain("not enough evidence to call the deployment healthy");
  });

  it("lets an inconclusive gate through with on-inconclusive: pass, saying so", async (t) => {
    const svc = await service(t, {}, 0);
    const run = await runAction("health-gate", { inputs: gateInputs(svc, { "on-inconclusive": "pass" }) });
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verdict).toBe("inconclusive");
    expect(run.annotations.filter((a) => a.level === "warning").map((a) => a.message)).toEqual([
      expect.stringContaining("inconclusive, accepted because on-inconclusive is pass"),
    ]);
  });

  it("refuses bad smoke tests before sending a single request", async (t) => {
    // A server that only records: the demo service does not count health or metrics requests.
    const requests: string[] = [];
    const server = createServer((request, response) => {
      requests.push(`${request.method} ${request.url}`);
      response.end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    t.onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const run = await runAction("health-gate", {
      inputs: gateInputs({ url }, { "smoke-tests": "- name: a\n  url: /a\n  expect: { status: ok }" }),
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs).toEqual({});
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toContain(
      'Input `smoke-tests`: test 1 (a): `expect.status`: "ok" is not a status code',
    );
    expect(requests).toEqual([]);
  });

  it("stops when the workflow is cancelled", async (t) => {
    const svc = await service(t, {});
    const run = await runAction("health-gate", {
      inputs: gateInputs(svc, { soak: "30s", timeout: "1m" }),
      // Cancel once the soak is under way, as a person pressing "Cancel workflow" mid-gate would.
      cancelWhen: /\bsoak \d/,
    });
    expect(run.stdout).toMatch(/\bsoak \d/);
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toContain("cancelled");
    expect(run.durationMs).toBeLessThan(10_000);
  });
});
