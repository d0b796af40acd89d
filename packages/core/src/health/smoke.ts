// Smoke tests of key user flows: a list of requests written in YAML (or JSON), each with the status and
// body it must answer with. Header, URL and body values may reference secrets as ${NAME}.
import { parse as parseYaml, YAMLParseError } from "yaml";
import type { Clock } from "../runtime/clock";
import { parseDurationMs } from "../runtime/inputs";
import { type HttpClient, HttpRequestError, resolveUrl } from "./http";
import { jsonValueText, readJsonPath } from "./json-path";
import { excerpt, type JsonAssertion, jsonAssertion, parseStatusMatcher, type StatusMatcher } from "./probe";

export interface SmokeTest {
  name: string;
  method: string;
  /** May contain ${NAME} secret references; resolved only when the request is sent. */
  url: string;
  headers: Record<string, string>;
  body?: string;
  expect: {
    status: StatusMatcher;
    bodyContains: string[];
    json: JsonAssertion[];
  };
  timeoutMs: number;
}

export interface SmokeResult {
  name: string;
  method: string;
  /** As written, secrets unresolved. */
  url: string;
  at: number;
  ok: boolean;
  status: number | null;
  durationMs: number;
  problems: string[];
}

/** A problem in the smoke-test definitions, said so a person can find and fix it. */
export class SmokeTestsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SmokeTestsError";
  }
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const TEST_KEYS = ["name", "method", "url", "headers", "body", "expect", "timeout"];
const EXPECT_KEYS = ["status", "body-contains", "json"];
const REFERENCE = /\$\$\{|\$\{([^}]*)\}/g;
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const DEFAULT_SMOKE_TIMEOUT_MS = 10_000;

/** The secret names a template references, checking each reference is well formed. */
export function secretReferences(template: string): string[] {
  const names: string[] = [];
  for (const match of template.matchAll(REFERENCE)) {
    if (match[0] === "$${") continue;
    const name = (match[1] ?? "").trim();
    if (!SECRET_NAME.test(name)) throw new Error(`\${${match[1] ?? ""}} is not a valid secret reference`);
    names.push(name);
  }
  return names;
}

/** Replaces ${NAME} with the secret's value; $${ stands for a literal ${. */
export function resolveSecrets(template: string, secrets: Readonly<Record<string, string>>): string {
  return template.replace(REFERENCE, (whole, name: string | undefined) => {
    if (whole === "$${") return "${";
    const value = secrets[(name ?? "").trim()];
    if (value === undefined) throw new Error(`the secret ${name} is not defined`);
    return value;
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalarText(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/**
 * Parses and validates smoke tests. `secretNames` are the secrets that may be referenced. Every problem
 * is reported with the test's position and name and the key at fault.
 */
export function parseSmokeTests(raw: string, secretNames: ReadonlySet<string>): SmokeTest[] {
  let document: unknown;
  try {
    document = parseYaml(raw);
  } catch (error) {
    const detail = error instanceof YAMLParseError ? error.message.split("\n")[0] : String(error);
    throw new SmokeTestsError(`it is not valid YAML or JSON: ${detail}`);
  }
  if (!Array.isArray(document) || document.length === 0) {
    throw new SmokeTestsError("it must be a non-empty list of tests, each starting with `- name:`");
  }
  const problems: string[] = [];
  const tests: SmokeTest[] = [];
  const names = new Set<string>();
  document.forEach((entry: unknown, index) => {
    const label = (name?: string): string => `test ${index + 1}${name ? ` (${name})` : ""}`;
    if (!isRecord(entry)) {
      problems.push(`${label()} is not a mapping of keys such as name, url and expect`);
      return;
    }
    const name = scalarText(entry.name)?.trim();
    const where = label(name);
    const before = problems.length;
    const problem = (message: string): void => {
      problems.push(`${where}: ${message}`);
    };
    for (const key of Object.keys(entry)) {
      if (!TEST_KEYS.includes(key)) problem(`unknown key \`${key}\` (allowed: ${TEST_KEYS.join(", ")})`);
    }
    if (!name) problem("`name` is required");
    else if (names.has(name)) problem("the name is used by an earlier test; give each test its own name");
    else names.add(name);

    const method = (scalarText(entry.method) ?? "GET").toUpperCase();
    if (!METHODS.includes(method))
      problem(`\`method\` ${JSON.stringify(entry.method)} is not one of ${METHODS.join(", ")}`);

    const url = scalarText(entry.url)?.trim();
    if (!url) problem("`url` is required (an absolute URL, or a path appended to `base-url`)");

    const headers: Record<string, string> = {};
    if (entry.headers !== undefined) {
      if (!isRecord(entry.headers)) problem("`headers` must be a mapping of header names to values");
      else
        for (const [header, value] of Object.entries(entry.headers)) {
          const text = scalarText(value);
          if (text === undefined) problem(`header \`${header}\` must have a text value`);
          else headers[header] = text;
        }
    }

    let body: string | undefined;
    if (entry.body !== undefined && entry.body !== null) {
      if (typeof entry.body === "string") body = entry.body;
      else if (typeof entry.body === "object") {
        body = JSON.stringify(entry.body);
        if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
          headers["content-type"] = "application/json";
        }
      } else body = String(entry.body);
    }

    let timeoutMs = DEFAULT_SMOKE_TIMEOUT_MS;
    if (entry.timeout !== undefined) {
      try {
        timeoutMs = parseDurationMs(String(entry.timeout));
        if (timeoutMs <= 0) throw new Error("zero");
      } catch {
        problem(`\`timeout\` ${JSON.stringify(entry.timeout)} is not a duration such as "5s" or "500ms"`);
      }
    }

    let status = parseStatusMatcher([200]);
    const bodyContains: string[] = [];
    const json: JsonAssertion[] = [];
    const expectation = entry.expect;
    if (expectation !== undefined) {
      if (!isRecord(expectation)) problem("`expect` must be a mapping with status, body-contains or json");
      else {
        for (const key of Object.keys(expectation)) {
          if (!EXPECT_KEYS.includes(key))
            problem(`unknown key \`expect.${key}\` (allowed: ${EXPECT_KEYS.join(", ")})`);
        }
        if (expectation.status !== undefined) {
          const items = Array.isArray(expectation.status)
            ? expectation.status
            : String(expectation.status).split(",");
          try {
            status = parseStatusMatcher(items.map((item) => String(item)));
          } catch (error) {
            problem(`\`expect.status\`: ${error instanceof Error ? error.message : String(error)}`);
          }
        }
        const contains = expectation["body-contains"];
        if (contains !== undefined) {
          const list = Array.isArray(contains) ? contains : [contains];
          for (const item of list) {
            const text = scalarText(item);
            if (text === undefined || text === "")
              problem("`expect.body-contains` must be text or a list of texts");
            else bodyContains.push(text);
          }
        }
        if (expectation.json !== undefined) {
          if (!isRecord(expectation.json)) problem("`expect.json` must map JSON paths to expected values");
          else
            for (const [path, value] of Object.entries(expectation.json)) {
              try {
                json.push(jsonAssertion(path, jsonValueText(value)));
              } catch (error) {
                problem(`\`expect.json\`: ${error instanceof Error ? error.message : String(error)}`);
              }
            }
        }
      }
    }

    for (const [field, template] of [
      ["url", url ?? ""],
      ...Object.entries(headers).map(([h, v]) => [`header ${h}`, v]),
      ["body", body ?? ""],
    ] as const) {
      try {
        for (const secret of secretReferences(template)) {
          if (!secretNames.has(secret)) {
            problem(`${field} references \${${secret}}, which \`smoke-secrets\` does not define`);
          }
        }
      } catch (error) {
        problem(
          `${field}: ${error instanceof Error ? error.message : String(error)} (write $\${ for a literal \${)`,
        );
      }
    }

    if (problems.length > before || !name || !url) return;
    const test: SmokeTest = { name, method, url, headers, expect: { status, bodyContains, json }, timeoutMs };
    if (body !== undefined) test.body = body;
    tests.push(test);
  });
  if (problems.length > 0) throw new SmokeTestsError(problems.join("; "));
  return tests;
}

export interface SmokeDeps {
  http: HttpClient;
  clock: Clock;
  secrets: Readonly<Record<string, string>>;
  baseUrl?: string | undefined;
  signal?: AbortSignal;
}

/** Runs one smoke test. Never throws for a bad service, only on cancellation. */
export async function runSmokeTest(test: SmokeTest, deps: SmokeDeps): Promise<SmokeResult> {
  const result: SmokeResult = {
    name: test.name,
    method: test.method,
    url: test.url,
    at: deps.clock.now(),
    ok: false,
    status: null,
    durationMs: 0,
    problems: [],
  };
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(test.headers))
    headers[name] = resolveSecrets(value, deps.secrets);
  const request: Parameters<HttpClient>[0] = {
    method: test.method,
    url: resolveUrl(resolveSecrets(test.url, deps.secrets), deps.baseUrl),
    headers,
    timeoutMs: test.timeoutMs,
  };
  if (test.body !== undefined) request.body = resolveSecrets(test.body, deps.secrets);
  if (deps.signal) request.signal = deps.signal;

  let response: Awaited<ReturnType<HttpClient>>;
  try {
    response = await deps.http(request);
  } catch (error) {
    if (!(error instanceof HttpRequestError)) throw error;
    result.durationMs = error.durationMs;
    result.problems.push(`no response: ${error.message}`);
    return result;
  }
  result.status = response.status;
  result.durationMs = response.durationMs;
  if (!test.expect.status.matches(response.status)) {
    const body = excerpt(response.body);
    result.problems.push(
      `status ${response.status}, expected ${test.expect.status.text}${body ? ` (body: ${body})` : ""}`,
    );
  }
  for (const text of test.expect.bodyContains) {
    if (!response.body.includes(text)) {
      result.problems.push(
        `the body does not contain ${JSON.stringify(text)} (body: ${excerpt(response.body) || "empty"})`,
      );
    }
  }
  if (test.expect.json.length > 0) {
    let document: unknown;
    let parsed = false;
    try {
      document = JSON.parse(response.body);
      parsed = true;
    } catch {
      result.problems.push(`the body is not JSON (${excerpt(response.body, 80) || "empty"})`);
    }
    if (parsed) {
      for (const assertion of test.expect.json) {
        const lookup = readJsonPath(document, assertion.segments);
        if (!lookup.found) result.problems.push(`\`${assertion.path}\` is missing from the body`);
        else if (jsonValueText(lookup.value) !== assertion.expected) {
          result.problems.push(
            `\`${assertion.path}\` is ${JSON.stringify(jsonValueText(lookup.value))}, expected ${JSON.stringify(assertion.expected)}`,
          );
        }
      }
    }
  }
  result.ok = result.problems.length === 0;
  return result;
}
