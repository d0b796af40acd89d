// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the smoke tests' secret reference syntax.
// health-gate's inputs → settings: every rule between inputs is checked before the first request.
import { describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/health-gate/src/inputs";
import { settingsFrom } from "../../../actions/health-gate/src/settings";
import { SimulatedClock } from "../../../packages/core/src/runtime/clock";
import { UserError } from "../../../packages/core/src/runtime/errors";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";
import { fakeHttp } from "./fakes";

function settings(given: Record<string, string>, env: NodeJS.ProcessEnv = {}) {
  const logger = new RecordingLogger();
  const clock = new SimulatedClock();
  const inputs = parseInputs(inputSpec, { source: (name) => given[name], secrets: logger.secrets });
  const http = fakeHttp(clock, () => ({ status: 200 }));
  return { settings: settingsFrom(inputs, { logger, http, clock, env }), logger };
}

function refusal(given: Record<string, string>): UserError {
  try {
    settings(given);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("the inputs were accepted");
}

describe("health-gate settings", () => {
  it("builds probes from paths on the base URL with the default timing", () => {
    const { settings: p } = settings({
      "base-url": "https://shop.test/",
      "health-urls": "/health\nhttps://admin.shop.test/ping",
      "json-assertions": "status=ok",
      "expected-version": "0123456789abcdef",
      "version-header": "x-service-version",
    });
    expect(p.gate.probes.map((probe) => probe.url)).toEqual([
      "https://shop.test/health",
      "https://admin.shop.test/ping",
    ]);
    expect(p.gate.probes[0]?.version).toEqual({
      expected: "0123456789abcdef",
      header: "x-service-version",
    });
    expect(p.gate.settings).toEqual({
      warmUpMs: 0,
      probeIntervalMs: 5_000,
      probeTimeoutMs: 2_000,
      successThreshold: 3,
      failureThreshold: 3,
      soakMs: 60_000,
      timeoutMs: 600_000,
      errorRateThreshold: 0.05,
      latencyP95ThresholdSeconds: 2,
      minRequests: 20,
    });
    expect(p.onInconclusive).toBe("fail");
  });

  it("keeps the default probe timeout within a shorter probe interval", () => {
    const { settings: p } = settings({
      "health-urls": "http://a.test/health",
      "probe-interval": "250ms",
    });
    expect(p.gate.settings.probeTimeoutMs).toBe(250);
    expect(p.gate.probes[0]?.timeoutMs).toBe(250);
  });

  it("refuses a given probe timeout longer than the probe interval, naming probe-timeout", () => {
    const error = refusal({
      "health-urls": "http://a.test/health",
      "probe-interval": "250ms",
      "probe-timeout": "2s",
    });
    expect(error.input).toBe("probe-timeout");
    expect(error.message).toMatch(/`probe-timeout`: 2s is longer than `probe-interval` \(250ms\)/);
  });

  it("scopes CloudWatch metrics to the one target group given", () => {
    const { settings: p } = settings(
      {
        "target-group-arns":
          "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef",
        "load-balancer": "app/shop/50dc6c495c0c9188",
        soak: "3m",
      },
      { AWS_REGION: "eu-west-1" },
    );
    expect(p.readTargetHealth).toBeTypeOf("function");
    expect(p.gate.metricSources[0]?.definitions[0]?.description).toBe(
      "HTTPCode_Target_5XX_Count / RequestCount of app/shop/50dc6c495c0c9188, targetgroup/web/0123456789abcdef",
    );
  });

  it("registers each smoke secret and Prometheus header value before anything runs", () => {
    const { logger } = settings({
      "smoke-tests": "- name: a\n  url: https://shop.test/a\n  headers: { Authorization: 'Bearer ${TOKEN}' }",
      "smoke-secrets": "TOKEN=tok-123456",
      "prometheus-url": "https://prom.test",
      "prometheus-queries": "- name: q\n  query: up\n  fail-when: '< 1'",
      "prometheus-headers": "Authorization=Basic dXNlcjpwYXNz",
    });
    expect(logger.masked).toContain("tok-123456");
    expect(logger.masked).toContain("Basic dXNlcjpwYXNz");
    expect(logger.secrets.redact("Bearer tok-123456")).toBe("Bearer ***");
  });

  it("masks the password of a URL given with credentials, and leaves plain URLs readable", () => {
    const { logger } = settings({
      "base-url": "https://shop.test",
      "health-urls": "/health",
      "prometheus-url": "https://gate:pr0m-pa55@prom.test",
      "prometheus-queries": "- name: q\n  query: up\n  fail-when: '< 1'",
    });
    expect(logger.masked).toContain("pr0m-pa55");
    expect(logger.secrets.redact("https://gate:pr0m-pa55@prom.test: connection refused")).not.toContain(
      "pr0m-pa55",
    );
    expect(logger.secrets.redact("https://shop.test/health: status 503")).toBe(
      "https://shop.test/health: status 503",
    );
  });

  it.each([
    [{}, "health-urls", /no check is configured/],
    [{ "health-urls": "/health" }, "health-urls", /is a path and `base-url` is not set/],
    [
      { "health-urls": "http://a.test/h", "expected-version": "v1" },
      "expected-version",
      /nothing says where/,
    ],
    [
      { "health-urls": "http://a.test/h", "version-header": "x-v" },
      "expected-version",
      /no version to expect/,
    ],
    [
      {
        "health-urls": "http://a.test/h",
        "expected-version": "v1",
        "version-header": "x-v",
        "version-json-path": "v",
      },
      "version-header",
      /both/,
    ],
    [
      { "metrics-urls": "http://a.test/metrics", "expected-version": "v1", "version-header": "x-v" },
      "expected-version",
      /`health-urls` is empty/,
    ],
    [
      { "health-urls": "http://a.test/h", "version-json-path": "a..b", "expected-version": "v1" },
      "version-json-path",
      /empty key/,
    ],
    [{ "health-urls": "http://a.test/h", soak: "10m", timeout: "5m" }, "timeout", /leaves no time/],
    [{ "metrics-urls": "http://a.test/metrics", soak: "1s" }, "soak", /at least one probe interval/],
    [{ "prometheus-url": "http://prom.test" }, "prometheus-queries", /need both/],
    [{ "prometheus-queries": "- name: q\n  query: up\n  fail-when: '< 1'" }, "prometheus-url", /need both/],
    [
      { "prometheus-url": "http://prom.test", "prometheus-queries": "- name: q" },
      "prometheus-queries",
      /`query` is required/,
    ],
    [
      { "smoke-tests": "- name: a\n  url: /a" },
      "smoke-tests",
      /has the path "\/a" and `base-url` is not set/,
    ],
    [
      { "smoke-tests": "- name: a\n  url: https://a.test/\n  headers: { X: '${S}' }" },
      "smoke-tests",
      /does not define/,
    ],
    [{ "load-balancer": "shop" }, "load-balancer", /`load-balancer`: "shop" is not valid/],
    [
      {
        "metrics-urls": "http://a.test/metrics",
        "prometheus-url": "http://p.test",
        "prometheus-queries": "- name: error rate (metrics endpoint)\n  query: up\n  fail-when: '< 1'",
      },
      "prometheus-queries",
      /two checks are named/,
    ],
  ])("refuses %j, naming %s", (given, input, message) => {
    const error = refusal(given as Record<string, string>);
    expect(error.input).toBe(input);
    expect(error.message).toMatch(message);
  });

  it("needs a region only when an AWS check is configured", () => {
    expect(() => settings({ "health-urls": "http://a.test/h" })).not.toThrow();
    expect(() => settings({ "load-balancer": "app/shop/1", soak: "2m" })).toThrow(/No AWS region is set/);
  });
});
