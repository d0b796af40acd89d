import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { formatDuration } from "../../../../packages/core/src/runtime/format";
import {
  type InputSpec,
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

describe("what every kind refuses", () => {
  const root = mkdtempSync(join(tmpdir(), "shipline-inputs-"));
  mkdirSync(join(root, "app", "db"), { recursive: true });
  const parse = (spec: InputSpec, given: Record<string, string>) => {
    const logger = new RecordingLogger();
    return {
      logger,
      values: () =>
        parseInputs(spec, { source: (name) => given[name], secrets: logger.secrets, workspace: root }),
    };
  };

  it("caps every input's length, per kind, with the limit in the message", () => {
    const spec = { reason: input.text({ maxLength: 1_000 }), cluster: input.string(), plan: input.boolean() };
    const error = problemOf(
      parse(spec, { reason: "x".repeat(100_000), cluster: "c".repeat(1_025), plan: "t".repeat(17) }).values,
    );
    expect(error.message).toContain("- `reason`: it is 100,000 characters long; at most 1,000 are accepted.");
    expect(error.message).toContain("- `cluster`: it is 1,025 characters long; at most 1,024 are accepted.");
    expect(error.message).toContain("- `plan`: it is 17 characters long; at most 16 are accepted.");
  });

  it.each(["$(id)", "web;id", "`id`", "a b", "web|cat", "x&y", "'q'"])(
    "refuses shell syntax in an identifier without a pattern: %j",
    (raw) => {
      const error = problemOf(parse({ name: input.string() }, { name: raw }).values);
      expect(error.message).toMatch(/^Input `name`: ".*" contains .*, which no valid value has\.$/);
    },
  );

  it("leaves free text alone, and lets free-text lists and key=value inputs say so", () => {
    const spec = {
      reason: input.text(),
      labels: input.list({ freeText: true }),
      assertions: input.keyValues({ freeText: true }),
    };
    expect(
      parse(spec, {
        reason: "it's $(broken); see `logs`",
        labels: "p1 (urgent)",
        assertions: '["a$(b)"]=ok',
      }).values(),
    ).toEqual({
      reason: "it's $(broken); see `logs`",
      labels: ["p1 (urgent)"],
      assertions: { '["a$(b)"]': "ok" },
    });
    expect(problemOf(parse({ tags: input.list() }, { tags: "v1, $(id)" }).values).message).toMatch(
      /`tags`: the item "\$\(id\)" contains/,
    );
    expect(problemOf(parse({ kv: input.keyValues() }, { kv: "$(id)=x" }).values).message).toMatch(
      /`kv`: line 1 has an invalid key/,
    );
  });

  it("keeps paths in the workspace, and can require them to exist", () => {
    const spec = { dir: input.path({ mustExist: "directory" }), file: input.path() };
    expect(parse(spec, { dir: "app/db", file: "app/x.json" }).values()).toEqual({
      dir: "app/db",
      file: "app/x.json",
    });
    expect(problemOf(parse(spec, { dir: "../../.." }).values).message).toMatch(
      /`dir`: "..\/..\/.." is outside the workspace/,
    );
    expect(problemOf(parse(spec, { file: "/etc/passwd" }).values).message).toMatch(
      /`file`: "\/etc\/passwd" is outside/,
    );
    expect(problemOf(parse(spec, { dir: "app/missing" }).values).message).toMatch(
      /`dir`: "app\/missing" does not exist in the workspace/,
    );
  });

  it("keeps a path that is a reference (an ARN, family:revision) as it is", () => {
    const spec = { "task-definition": input.path({ references: /^[a-z]+:\d+$/ }) };
    expect(parse(spec, { "task-definition": "web:12" }).values()).toEqual({ taskDefinition: "web:12" });
  });

  it("resolves globs in the directory of the input they are relative to, after it", () => {
    const spec = {
      globs: input.globs({ relativeTo: "dir", mustExist: "directory" }),
      dir: input.path({ default: "." }),
    };
    expect(parse(spec, { dir: "app", globs: "db/*.sql\n../app/db/**/*.up.sql" }).values()).toEqual({
      dir: "app",
      globs: ["db/*.sql", "db/**/*.up.sql"],
    });
    expect(problemOf(parse(spec, { dir: "app", globs: "../../other/*.sql" }).values).message).toMatch(
      /`globs`: the pattern "..\/..\/other\/\*.sql" reaches outside the workspace/,
    );
    expect(problemOf(parse(spec, { dir: "app", globs: "migrations/*.sql" }).values).message).toMatch(
      /`globs`: the pattern "migrations\/\*.sql" looks in "migrations" does not exist in the workspace, so it matches nothing/,
    );
  });

  it.each([
    ["not a url", /"not a url" is not a URL/],
    ["ftp://example.com/", /is not a http:\/\/ or https:\/\/ URL/],
    ["http://$(id)", /has no valid host name/],
    ["http://exa mple.com", /not a URL|no valid host/],
    ["https://user:pw@example.com/", /carries a user name or password/],
  ])("refuses the URL %j", (raw, message) => {
    expect(problemOf(parse({ url: input.url() }, { url: raw }).values).message).toMatch(message);
  });

  it("takes the schemes a URL input allows and credentials where they are meant, never echoing a secret one", () => {
    const spec = {
      "database-url": input.url({
        secret: true,
        protocols: ["postgres:", "postgresql:"],
        credentials: "allow",
      }),
    };
    expect(parse(spec, { "database-url": "postgresql://app:pw-123456@db:5432/shop" }).values()).toEqual({
      databaseUrl: "postgresql://app:pw-123456@db:5432/shop",
    });
    const mysql = problemOf(parse(spec, { "database-url": "mysql://app:pw-123456@db/shop" }).values);
    expect(mysql.message).toBe("Input `database-url`: The value is not a postgres:// or postgresql:// URL.");
    expect(problemOf(parse(spec, { "database-url": "not a url" }).values).message).toBe(
      "Input `database-url`: The value is not a URL.",
    );
  });

  it("masks credential-named values of key=value inputs and URL passwords in any input", () => {
    const spec = { env: input.keyValues({ keyPattern: /^[\w.]+$/ }), note: input.text() };
    const { logger, values } = parse(spec, {
      env: "web.DATABASE_URL=postgres://app:db-pw-123@db/shop\nweb.API_TOKEN=tok-abcdef\nweb.LOG_LEVEL=debug",
      note: "see https://ops:note-pw-9@wiki.internal/page",
    });
    values();
    expect(logger.secrets.redact("db-pw-123 tok-abcdef debug note-pw-9")).toBe("*** *** debug ***");
  });
});
