import { describe, expect, it } from "vitest";
import { resolveUrl } from "../../../../packages/core/src/health/http";
import { parseJsonPath, readJsonPath } from "../../../../packages/core/src/health/json-path";
import {
  type HealthProbe,
  jsonAssertion,
  parseStatusMatcher,
  probeOnce,
  versionMatches,
} from "../../../../packages/core/src/health/probe";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { type FakeOutcome, fakeHttp } from "../../health-gate/fakes";

describe("parseJsonPath and readJsonPath", () => {
  const document = {
    status: "ok",
    checks: { database: { status: "up" } },
    items: [{ id: 7 }],
    "a.b": true,
    none: null,
  };

  it.each([
    ["status", "ok"],
    ["$.status", "ok"],
    ["checks.database.status", "up"],
    ["items[0].id", 7],
    ['["a.b"]', true],
    ["['a.b']", true],
    ["none", null],
  ])("reads %s", (path, expected) => {
    expect(readJsonPath(document, path)).toEqual({ found: true, value: expected });
  });

  it.each(["missing", "items[1].id", "status.length", "items.id", "checks[0]"])(
    "does not find %s",
    (path) => {
      expect(readJsonPath(document, path)).toEqual({ found: false });
    },
  );

  it.each([
    ["", /is empty/],
    ["a.", /ends with a dot/],
    ["a..b", /empty key/],
    ["items[x]", /neither an index nor a quoted key/],
    ["items[0", /unclosed/],
  ])("rejects the path %j", (path, message) => {
    expect(() => parseJsonPath(path)).toThrow(message);
  });
});

describe("parseStatusMatcher", () => {
  it.each([
    [["200"], 200, true],
    [["200"], 204, false],
    [["200", "204"], 204, true],
    [["2xx"], 299, true],
    [["2xx"], 301, false],
    [["2XX", "301"], 301, true],
  ])("%j accepts %i: %s", (items, status, accepted) => {
    expect(parseStatusMatcher(items).matches(status)).toBe(accepted);
  });

  it("describes what it accepts", () => {
    expect(parseStatusMatcher(["204", "200", "3xx"]).text).toBe("200 or 204 or 3xx");
  });

  it.each([["20"], ["600"], ["2x"], ["ok"]])("rejects %j", (item) => {
    expect(() => parseStatusMatcher([item])).toThrow(/not a status code/);
  });
});

describe("versionMatches", () => {
  it.each([
    ["v1.5.0", "v1.5.0", true],
    ["v1.5.0", "v1.5.1", false],
    ["0123456", "0123456789abcdef0123456789abcdef01234567", true],
    ["0123456789ABCDEF0123456789abcdef01234567", "0123456789abcdef", true],
    ["012345", "0123456789abcdef0123456789abcdef01234567", false],
    ["0123457", "0123456789abcdef0123456789abcdef01234567", false],
    ["release-0123456", "0123456", false],
  ])("%s served for %s expected: %s", (served, expected, matches) => {
    expect(versionMatches(served, expected)).toBe(matches);
  });
});

describe("resolveUrl", () => {
  it.each([
    ["https://a.test/health", undefined, "https://a.test/health"],
    ["/health", "https://a.test", "https://a.test/health"],
    ["/health", "https://a.test/", "https://a.test/health"],
    ["/health", "https://a.test/api", "https://a.test/api/health"],
  ])("%s on %s is %s", (url, base, expected) => {
    expect(resolveUrl(url, base)).toBe(expected);
  });

  it("refuses a path without a base", () => {
    expect(() => resolveUrl("/health", undefined)).toThrow(/no base URL/);
  });
});

describe("probeOnce", () => {
  const base: HealthProbe = {
    url: "http://shop.test/health",
    expectedStatus: parseStatusMatcher(["200"]),
    jsonAssertions: [jsonAssertion("status", "ok"), jsonAssertion("checks.database", "up")],
    timeoutMs: 2_000,
  };

  async function probe(outcome: FakeOutcome, overrides: Partial<HealthProbe> = {}) {
    const clock = new SimulatedClock();
    return probeOnce({ ...base, ...overrides }, { http: fakeHttp(clock, () => outcome), clock });
  }

  it("passes on the expected status and body", async () => {
    const result = await probe({
      status: 200,
      body: { status: "ok", checks: { database: "up" } },
      durationMs: 12,
    });
    expect(result).toMatchObject({ ok: true, status: 200, durationMs: 12, problems: [] });
    expect(result.version).toBeUndefined();
  });

  it("says which assertion failed and what the body held", async () => {
    const result = await probe({ status: 200, body: { status: "degraded", checks: {} } });
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      '`status` is "degraded", expected "ok"',
      '`checks.database` is missing from the body, expected "up"',
    ]);
  });

  it("fails on an unexpected status, quoting the body", async () => {
    const result = await probe({ status: 503, body: "upstream connect error" }, { jsonAssertions: [] });
    expect(result.problems).toEqual(["status 503, expected 200 (body: upstream connect error)"]);
  });

  it("fails when the body is not JSON and there are assertions", async () => {
    const result = await probe({ status: 200, body: "<html>ok</html>" });
    expect(result.problems).toEqual(["the body is not JSON (<html>ok</html>)"]);
  });

  it("fails with the reason when nothing answers", async () => {
    const result = await probe("hang");
    expect(result).toMatchObject({
      ok: false,
      status: null,
      problems: ["no response: timed out after 2000 ms"],
    });
  });

  it("reads the served version from the body", async () => {
    const version = {
      expected: "0123456789abcdef",
      jsonPath: { path: "build.commit", segments: ["build", "commit"] },
    };
    const result = await probe(
      { status: 200, body: { build: { commit: "0123456" } } },
      { jsonAssertions: [], version },
    );
    expect(result.version).toEqual({ served: "0123456", ok: true });
  });

  it("reads the served version from a header, case-insensitively", async () => {
    const result = await probe(
      { status: 200, body: "ok", headers: { "X-Service-Version": "v1" } },
      { jsonAssertions: [], version: { expected: "v2", header: "x-service-version" } },
    );
    expect(result.ok).toBe(true);
    expect(result.version).toEqual({
      served: "v1",
      ok: false,
      problem: "serves version v1 (header x-service-version), expected v2",
    });
  });

  it("fails the version when a healthy answer reports none", async () => {
    const result = await probe(
      { status: 200, body: {} },
      {
        jsonAssertions: [],
        version: { expected: "v2", jsonPath: { path: "version", segments: ["version"] } },
      },
    );
    expect(result.version).toMatchObject({
      served: null,
      ok: false,
      problem: "reports no version in `version`, expected v2",
    });
  });

  it("leaves the version unjudged on an error page without one", async () => {
    const result = await probe(
      { status: 502, body: "Bad Gateway" },
      {
        jsonAssertions: [],
        version: { expected: "v2", jsonPath: { path: "version", segments: ["version"] } },
      },
    );
    expect(result.ok).toBe(false);
    expect(result.version).toBeUndefined();
  });
});
