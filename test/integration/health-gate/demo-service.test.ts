// The demo service the health-gate tests (and the end-to-end demo) switch at run time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseExposition } from "../../../packages/core/src/health/exposition";
import { type DemoService, startDemoService } from "../../fixtures/demo-service/launch";
import { startTraffic } from "../../fixtures/demo-service/traffic";

let service: DemoService;

beforeAll(async () => {
  service = await startDemoService({ version: "v1.4.2", apiToken: "demo-token-1" });
});
afterAll(() => service.stop());

async function get(path: string, init?: RequestInit) {
  const response = await fetch(`${service.url}${path}`, { ...init, signal: AbortSignal.timeout(3_000) });
  return {
    status: response.status,
    version: response.headers.get("x-service-version"),
    body: await response.text(),
  };
}

describe("demo service", () => {
  it("reports its version in the health body and a header", async () => {
    const health = await get("/health");
    expect(health.status).toBe(200);
    expect(health.version).toBe("v1.4.2");
    expect(JSON.parse(health.body)).toEqual({ status: "ok", version: "v1.4.2", checks: { database: "ok" } });
  });

  it("serves the API routes, with the order route behind the bearer token", async () => {
    expect((await get("/api/products")).status).toBe(200);
    expect(JSON.parse((await get("/api/products/B-2")).body)).toMatchObject({ sku: "B-2", name: "Bucket" });
    expect((await get("/api/products/Z-9")).status).toBe(404);
    const order = (headers: Record<string, string>) =>
      get("/api/orders", { method: "POST", headers, body: JSON.stringify({ sku: "A-1" }) });
    expect((await order({})).status).toBe(401);
    const placed = await order({ authorization: "Bearer demo-token-1" });
    expect(placed.status).toBe(201);
    expect(JSON.parse(placed.body)).toMatchObject({ status: "created", sku: "A-1" });
  });

  it("switches version, health and failure rate through the control endpoint", async () => {
    await service.control({ version: "v1.5.0", healthy: false, failureRate: 0.25 });
    try {
      const health = await get("/health");
      expect(health).toMatchObject({ status: 503, version: "v1.5.0" });
      const statuses: number[] = [];
      for (let i = 0; i < 8; i++) statuses.push((await get("/api/products")).status);
      // Failures are spread evenly: exactly every fourth request.
      expect(statuses).toEqual([200, 200, 200, 500, 200, 200, 200, 500]);
    } finally {
      await service.control({ version: "v1.4.2", healthy: true, failureRate: 0 });
    }
  });

  it("refuses unknown or mistyped settings", async () => {
    await expect(service.control({ failureRate: 2 })).rejects.toThrow(/between 0 and 1/);
    await expect(service.control({ colour: "blue" } as never)).rejects.toThrow(/unknown setting colour/);
  });

  it("adds latency and stops answering on request", async () => {
    await service.control({ latencyMs: 150 });
    const started = performance.now();
    await get("/health");
    expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    await service.control({ latencyMs: 0, answering: false });
    try {
      await expect(fetch(`${service.url}/health`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
      expect((await service.settings()).answering).toBe(false);
    } finally {
      await service.control({ answering: true });
    }
    expect((await get("/health")).status).toBe(200);
  });

  it("counts API requests by status and their durations in the Prometheus format", async () => {
    const other = await startDemoService({ failureRate: 0.1 });
    try {
      const traffic = startTraffic({ urls: [other.url], ratePerSecond: 100, maxRequests: 50 });
      await new Promise((resolve) => setTimeout(resolve, 800));
      const stats = await traffic.stop();
      expect(stats).toMatchObject({ sent: 50, byStatus: { "200": 45, "500": 5 } });
      await fetch(`${other.url}/health`);
      const samples = parseExposition(await (await fetch(`${other.url}/metrics`)).text());
      const count = (code: string) =>
        samples
          .filter((s) => s.name === "http_requests_total" && s.labels.code === code)
          .reduce((sum, s) => sum + s.value, 0);
      expect([count("200"), count("500")]).toEqual([45, 5]);
      const inf = samples.filter(
        (s) => s.name === "http_request_duration_seconds_bucket" && s.labels.le === "+Inf",
      );
      expect(inf.reduce((sum, s) => sum + s.value, 0)).toBe(50);
      // Health checks are not API traffic.
      expect(samples.some((s) => s.labels.route === "/health")).toBe(false);
    } finally {
      await other.stop();
    }
  });

  it("starts as its own process in well under a second", async () => {
    const started = performance.now();
    const another = await startDemoService();
    const ms = performance.now() - started;
    await another.stop();
    expect(ms).toBeLessThan(1_500);
  });
});
