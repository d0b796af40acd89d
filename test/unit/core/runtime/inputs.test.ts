import { describe, expect, it } from "vitest";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { formatDuration } from "../../../../packages/core/src/runtime/format";
import {
  input,
  parseBoolean,
  parseDurationMs,
  parseInputs,
  parseInteger,
  parseKeyValues,
  parseList,
  runnerInputSource,
} from "../../../../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";

function parseWith(spec: Parameters<typeof parseInputs>[0], given: Record<string, string>) {
  const logger = new RecordingLogger();
  return {
    logger,
    values: () => parseInputs(spec, { source: (name) => given[name], secrets: logger.secrets }),
  };
}

function problemOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("expected a UserError");
}

describe("booleans", () => {
  it.each([
    ["true", true],
    ["True", true],
    ["TRUE", true],
    ["false", false],
    ["False", false],
    ["FALSE", false],
  ])("accepts %s", (raw, expected) => {
    expect(parseBoolean(raw)).toBe(expected);
  });

  it.each(["yes", "no", "1", "0", "on", "tru", ""])("rejects %j", (raw) => {
    expect(() => parseBoolean(raw)).toThrow(/not a boolean/);
  });
});

describe("durations", () => {
  it.each([
    ["90s", 90_000],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["1h 30m 15s", 5_415_000],
    ["250ms", 250],
    ["2m500ms", 120_500],
    ["0s", 0],
  ])("reads %s as %d ms", (raw, ms) => {
    expect(parseDurationMs(raw)).toBe(ms);
  });

  it.each(["5 minutes", "5", "1.5m", "m", "30s5m", "5m5m", "-5s", "5d", ""])("rejects %j", (raw) => {
    expect(() => parseDurationMs(raw)).toThrow(/duration|units/);
  });

  it.each([
    [250, "250ms"],
    [90_000, "1m30s"],
    [3_600_000, "1h"],
    [0, "0ms"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});

describe("integers", () => {
  it.each([
    ["3", 3],
    ["+3", 3],
    ["-2", -2],
  ])("reads %s", (raw, value) => {
    expect(parseInteger(raw)).toBe(value);
  });

  it.each(["3.5", "1e3", "three", "0x10", "99999999999999999999"])("rejects %j", (raw) => {
    expect(() => parseInteger(raw)).toThrow(/whole number/);
  });

  it("enforces the range", () => {
    expect(() => parseInteger("0", { min: 1 })).toThrow(/below the minimum of 1/);
    expect(() => parseInteger("11", { max: 10 })).toThrow(/above the maximum of 10/);
  });
});

describe("lists", () => {
  it.each([
    ["web", ["web"]],
    ["web, worker", ["web", "worker"]],
    ["web\nworker\n", ["web", "worker"]],
    ["web, api\n# a comment\n\nworker", ["web", "api", "worker"]],
  ])("splits %j", (raw, items) => {
    expect(parseList(raw)).toEqual(items);
  });

  it.each(["web,,worker", "web,", ",web", "web\n , worker"])("rejects the empty item in %j", (raw) => {
    expect(() => parseList(raw)).toThrow(/empty item/);
  });

  it("keeps commas inside items when splitting on newlines only", () => {
    expect(parseList("GET /a?x=1,2\nPOST /b", { separator: "newline" })).toEqual(["GET /a?x=1,2", "POST /b"]);
  });

  it("rejects duplicates and items that do not match the pattern", () => {
    expect(() => parseList("web, web")).toThrow(/given twice/);
    expect(() => parseList("web, bad name", { itemPattern: /^[a-z-]+$/ })).toThrow(/"bad name" is not valid/);
  });
});

describe("key=value lines", () => {
  it("reads pairs, keeping '=' inside values", () => {
    expect(parseKeyValues("web=repo/web:1\nsidecar = repo/sidecar@sha256:ab==\n# note\n\nEMPTY=")).toEqual({
      web: "repo/web:1",
      sidecar: "repo/sidecar@sha256:ab==",
      EMPTY: "",
    });
  });

  it.each([
    ["web", /not of the form key=value/],
    ["=value", /not of the form key=value/],
    ["a b=c", /invalid key/],
    ["web=1\nweb=2", /repeats the key "web"/],
    ["__proto__=x", /invalid key/],
  ])("rejects %j", (raw, message) => {
    expect(() => parseKeyValues(raw)).toThrow(message);
  });
});

describe("parseInputs", () => {
  const spec = {
    cluster: input.string({ required: true }),
    "wait-timeout": input.duration({ default: "30m", min: "10s", max: "6h" }),
    "keep-revisions": input.integer({ min: 1, max: 100 }),
    "rollback-on-cancel": input.boolean({ default: "false" }),
    services: input.list(),
    containers: input.keyValues(),
    "task-definition": input.json<{ family: string }>({
      validate: (value) => {
        if (
          typeof value !== "object" ||
          value === null ||
          typeof (value as { family?: unknown }).family !== "string"
        ) {
          throw new Error("`family` must be a string");
        }
        return value as { family: string };
      },
    }),
    mode: input.choice(["build", "promote"] as const, { default: "build" }),
    "database-url": input.string({ secret: true }),
  };

  it("returns camel-cased, typed values with defaults applied", () => {
    const { values } = parseWith(spec, {
      cluster: " prod ",
      services: "web,worker",
      containers: "web=img:1",
      "task-definition": '{"family":"web"}',
    });
    const parsed = values();
    expect(parsed).toEqual({
      cluster: "prod",
      waitTimeout: 1_800_000,
      keepRevisions: undefined,
      rollbackOnCancel: false,
      services: ["web", "worker"],
      containers: { web: "img:1" },
      taskDefinition: { family: "web" },
      mode: "build",
      databaseUrl: undefined,
    });
    // Types follow the spec: required and defaulted inputs are never undefined.
    const timeout: number = parsed.waitTimeout;
    const cluster: string = parsed.cluster;
    expect([timeout, cluster]).toBeTruthy();
  });

  it("names a missing required input and says where to add it", () => {
    const error = problemOf(parseWith(spec, {}).values);
    expect(error.input).toBe("cluster");
    expect(error.message).toBe("Input `cluster`: it is required but was not given.");
    expect(error.fix).toContain("`cluster:`");
  });

  it.each([
    ["rollback-on-cancel", "yes", /`rollback-on-cancel`: "yes" is not a boolean/],
    ["wait-timeout", "5 minutes", /`wait-timeout`: "5 minutes" is not a duration/],
    ["wait-timeout", "5s", /`wait-timeout`: "5s" is shorter than the minimum of 10s/],
    ["keep-revisions", "0", /`keep-revisions`: 0 is below the minimum of 1/],
    ["services", "web,,worker", /`services`: line 1 has an empty item/],
    ["containers", "web", /`containers`: line 1 is not of the form key=value/],
    ["task-definition", "{family:", /`task-definition`: it is not valid JSON/],
    [
      "task-definition",
      '{"family":3}',
      /`task-definition`: the JSON does not have the expected shape: `family` must be a string/,
    ],
    ["mode", "deploy", /`mode`: "deploy" is not one of the allowed values/],
  ])("a bad %s (%j) names the input", (name, raw, message) => {
    const error = problemOf(parseWith(spec, { cluster: "c", [name]: raw }).values);
    expect(error.message).toMatch(message);
    expect(error.input).toBe(name);
    expect(error.fix).toBeTruthy();
  });

  it("reports every bad input at once", () => {
    const error = problemOf(parseWith(spec, { "rollback-on-cancel": "yes", "wait-timeout": "soon" }).values);
    expect(error.message).toMatch(/^3 inputs are invalid:/);
    expect(error.message).toContain("`cluster`");
    expect(error.message).toContain("`rollback-on-cancel`");
    expect(error.message).toContain("`wait-timeout`");
  });

  it("registers secret inputs before validating anything, and never echoes them", () => {
    const secretSpec = {
      token: input.string({ secret: true, pattern: /^ghp_/ }),
      cluster: input.string({ required: true }),
    };
    const { logger, values } = parseWith(secretSpec, { token: "hunter2-not-a-token" });
    const error = problemOf(values);
    expect(logger.masked).toContain("hunter2-not-a-token");
    expect(error.message).not.toContain("hunter2");
  });

  it("masks the password of a URL input that carries credentials", () => {
    const urlSpec = { "health-url": input.url(), cluster: input.string({ required: true }) };
    const { logger, values } = parseWith(urlSpec, {
      "health-url": "https://probe:s3cret-pw@shop.example.com/health",
    });
    problemOf(values);
    expect(logger.masked).toContain("s3cret-pw");
    expect(logger.secrets.redact("GET https://probe:s3cret-pw@shop.example.com/health")).not.toContain(
      "s3cret-pw",
    );
  });

  it("registers each value of secret key=value lines, and the password of a secret URL", () => {
    const secretSpec = {
      headers: input.keyValues({ secret: true }),
      "database-url": input.string({ secret: true }),
    };
    const { logger, values } = parseWith(secretSpec, {
      headers: "# tenant header\nAuthorization=Bearer tok-123456\nX-Scope-OrgID = acme-prod",
      "database-url": "postgres://app:s3cr%40t-pw@db:5432/shop",
    });
    values();
    expect(logger.masked).toEqual(expect.arrayContaining(["Bearer tok-123456", "acme-prod", "s3cr@t-pw"]));
    expect(logger.secrets.redact("sent Bearer tok-123456 as acme-prod; password s3cr@t-pw")).toBe(
      "sent *** as ***; password ***",
    );
  });

  it("does not quote a secret JSON input back in its parse error", () => {
    const secretSpec = { credentials: input.json({ secret: true }) };
    const error = problemOf(parseWith(secretSpec, { credentials: "hunter2-json-secret" }).values);
    expect(error.message).toMatch(/`credentials`: it is not valid JSON/);
    expect(error.message).not.toContain("hunter2");
  });

  it("reads INPUT_ variables the way the runner names them", () => {
    const source = runnerInputSource({ "INPUT_WAIT-TIMEOUT": "5m", INPUT_MY_INPUT: "x" });
    expect(source("wait-timeout")).toBe("5m");
    expect(source("my input")).toBe("x");
  });
});
