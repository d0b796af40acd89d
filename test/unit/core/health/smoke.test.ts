// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${NAME} is the smoke tests' secret reference syntax.
import { describe, expect, it } from "vitest";
import {
  parseSmokeTests,
  resolveSecrets,
  runSmokeTest,
  SmokeTestsError,
  secretReferences,
} from "../../../../packages/core/src/health/smoke";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { type FakeOutcome, fakeHttp } from "../../health-gate/fakes";

const none = new Set<string>();

describe("parseSmokeTests", () => {
  it("reads a full test written in YAML", () => {
    const [test] = parseSmokeTests(
      `
- name: place an order
  method: post
  url: /api/orders
  headers:
    Authorization: Bearer \${API_TOKEN}
  body: { sku: A-1, quantity: 1 }
  timeout: 5s
  expect:
    status: [201, 202]
    body-contains: created
    json: { status: created, "items[0].sku": A-1 }
`,
      new Set(["API_TOKEN"]),
    );
    expect(test).toMatchObject({
      name: "place an order",
      method: "POST",
      url: "/api/orders",
      headers: { Authorization: "Bearer ${API_TOKEN}", "content-type": "application/json" },
      body: '{"sku":"A-1","quantity":1}',
      timeoutMs: 5_000,
    });
    expect(test?.expect.status.text).toBe("201 or 202");
    expect(test?.expect.bodyContains).toEqual(["created"]);
    expect(test?.expect.json.map((a) => [a.path, a.expected])).toEqual([
      ["status", "created"],
      ["items[0].sku", "A-1"],
    ]);
  });

  it("reads JSON too, with defaults for what is left out", () => {
    const [test] = parseSmokeTests('[{"name": "home", "url": "https://shop.test/"}]', none);
    expect(test).toMatchObject({ method: "GET", headers: {}, timeoutMs: 10_000 });
    expect(test?.expect.status.text).toBe("200");
    expect(test?.body).toBeUndefined();
  });

  it.each([
    ["not a list", "name: x", /non-empty list/],
    ["broken YAML", "- name: [x", /not valid YAML/],
    ["a missing name", "- url: /x", /test 1: `name` is required/],
    ["a missing url", "- name: x", /test 1 \(x\): `url` is required/],
    ["an unknown key", "- name: x\n  url: /x\n  expected: {}", /unknown key `expected`/],
    ["an unknown expect key", "- name: x\n  url: /x\n  expect: { code: 200 }", /unknown key `expect.code`/],
    ["a bad method", "- name: x\n  url: /x\n  method: FETCH", /`method` "FETCH" is not one of/],
    [
      "a bad status",
      "- name: x\n  url: /x\n  expect: { status: 20 }",
      /`expect.status`: "20" is not a status code/,
    ],
    ["a bad timeout", "- name: x\n  url: /x\n  timeout: soon", /`timeout` "soon" is not a duration/],
    [
      "a duplicate name",
      "- name: x\n  url: /x\n- name: x\n  url: /y",
      /test 2 \(x\): the name is used by an earlier test/,
    ],
    [
      "an undefined secret",
      "- name: x\n  url: /x\n  headers: { A: '${NOPE}' }",
      /header A references \$\{NOPE\}, which `smoke-secrets` does not define/,
    ],
    [
      "a malformed reference",
      "- name: x\n  url: /x?q=${a b}",
      /url: \$\{a b\} is not a valid secret reference/,
    ],
  ])("rejects %s", (_, raw, message) => {
    expect(() => parseSmokeTests(raw, none)).toThrow(SmokeTestsError);
    expect(() => parseSmokeTests(raw, none)).toThrow(message);
  });

  it("reports every problem at once", () => {
    expect(() => parseSmokeTests("- name: a\n- url: /b\n  method: NOPE", none)).toThrow(
      /test 1 \(a\): `url` is required.*; test 2: `name` is required; test 2: `method`/,
    );
  });
});

describe("secret references", () => {
  it("finds references and keeps $${ literal", () => {
    expect(secretReferences("Bearer ${TOKEN} $${LITERAL} ${OTHER_1}")).toEqual(["TOKEN", "OTHER_1"]);
    expect(resolveSecrets("Bearer ${TOKEN} $${LITERAL}", { TOKEN: "abc" })).toBe("Bearer abc ${LITERAL}");
  });
});

describe("runSmokeTest", () => {
  async function run(raw: string, outcome: FakeOutcome, secrets: Record<string, string> = {}) {
    const clock = new SimulatedClock();
    const http = fakeHttp(clock, () => outcome);
    const [test] = parseSmokeTests(raw, new Set(Object.keys(secrets)));
    if (!test) throw new Error("no test");
    const result = await runSmokeTest(test, { http, clock, secrets, baseUrl: "http://shop.test" });
    return { result, http };
  }

  it("sends the request with secrets resolved and passes on the expected answer", async () => {
    const { result, http } = await run(
      "- name: order\n  method: POST\n  url: /api/orders?key=${KEY}\n  headers: { Authorization: 'Bearer ${KEY}' }\n  body: { sku: A-1 }\n  expect: { status: 201, json: { status: created } }",
      { status: 201, body: { status: "created" } },
      { KEY: "k-123" },
    );
    expect(result).toMatchObject({ ok: true, status: 201, url: "/api/orders?key=${KEY}", problems: [] });
    expect(http.requests[0]).toMatchObject({
      method: "POST",
      url: "http://shop.test/api/orders?key=k-123",
      headers: { Authorization: "Bearer k-123", "content-type": "application/json" },
      body: '{"sku":"A-1"}',
    });
  });

  it("lists every expectation the answer missed", async () => {
    const { result } = await run(
      "- name: list\n  url: /api/products\n  expect: { status: 200, body-contains: [A-1, B-2], json: { count: 3 } }",
      { status: 500, body: { error: "boom" } },
    );
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      'status 500, expected 200 (body: {"error":"boom"})',
      'the body does not contain "A-1" (body: {"error":"boom"})',
      'the body does not contain "B-2" (body: {"error":"boom"})',
      "`count` is missing from the body",
    ]);
  });

  it("fails when nothing answers", async () => {
    const { result } = await run("- name: slow\n  url: /api/slow\n  timeout: 1s", "hang");
    expect(result.problems).toEqual(["no response: timed out after 1000 ms"]);
  });
});
