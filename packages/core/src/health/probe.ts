// Health probes: one request to a health endpoint, judged on its status, assertions on its JSON body
// and the version it says it serves.
import type { Clock } from "../runtime/clock";
import { type HttpClient, HttpRequestError } from "./http";
import { jsonValueText, type PathSegment, parseJsonPath, readJsonPath } from "./json-path";

/** Accepted statuses, written as codes and classes: "200", "200, 204", "2xx". */
export interface StatusMatcher {
  readonly text: string;
  matches(status: number): boolean;
}

/** Parses status codes or classes; throws an Error naming a bad item. */
export function parseStatusMatcher(items: readonly (string | number)[]): StatusMatcher {
  if (items.length === 0) throw new Error("no status is given");
  const codes = new Set<number>();
  const classes = new Set<number>();
  for (const item of items) {
    const text = String(item).trim().toLowerCase();
    if (/^[1-5]\d\d$/.test(text)) codes.add(Number(text));
    else if (/^[1-5]xx$/.test(text)) classes.add(Number(text[0]));
    else
      throw new Error(
        `${JSON.stringify(String(item))} is not a status code (such as 200) or class (such as 2xx)`,
      );
  }
  const parts = [...[...codes].sort().map(String), ...[...classes].sort().map((c) => `${c}xx`)];
  return {
    text: parts.join(" or "),
    matches: (status) => codes.has(status) || classes.has(Math.floor(status / 100)),
  };
}

export interface JsonAssertion {
  path: string;
  segments: PathSegment[];
  /** Compared with the value's text: strings as they are, numbers, booleans, null and objects as JSON. */
  expected: string;
}

export function jsonAssertion(path: string, expected: string): JsonAssertion {
  return { path, segments: parseJsonPath(path), expected };
}

/** Where the served version is read from, and the version that must be served. */
export interface VersionCheck {
  expected: string;
  jsonPath?: { path: string; segments: PathSegment[] };
  /** Header name, any case. */
  header?: string;
}

export interface HealthProbe {
  url: string;
  expectedStatus: StatusMatcher;
  jsonAssertions: JsonAssertion[];
  version?: VersionCheck;
  timeoutMs: number;
}

export interface ProbeResult {
  url: string;
  /** Epoch ms when the probe was sent. */
  at: number;
  /** The status and the JSON assertions held. The served version is judged apart, in `version`. */
  ok: boolean;
  status: number | null;
  durationMs: number;
  /** Why the probe failed; empty when it passed. */
  problems: string[];
  /**
   * The served version, judged on every response that reports one, and on every response with an
   * expected status that does not. Absent when there is no version check or nothing to judge (no
   * answer, or an error page without a version).
   */
  version?: { served: string | null; ok: boolean; problem?: string };
}

const HEX = /^[0-9a-f]+$/i;

/**
 * True when the served version is the expected one. Commit SHAs may be shortened on either side
 * (a service printing the first 7 characters of github.sha still matches), but not below 7 characters.
 */
export function versionMatches(served: string, expected: string): boolean {
  const a = served.trim();
  const b = expected.trim();
  if (a === b) return true;
  if (a.length >= 7 && b.length >= 7 && HEX.test(a) && HEX.test(b)) {
    const [short, long] = a.length <= b.length ? [a, b] : [b, a];
    return long.toLowerCase().startsWith(short.toLowerCase());
  }
  return false;
}

/** A short excerpt of a body for a failure message. */
export function excerpt(body: string, max = 200): string {
  const flat = body.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export interface ProbeDeps {
  http: HttpClient;
  clock: Clock;
  signal?: AbortSignal;
}

/** Sends one probe and judges the response. Never throws for a bad service, only on cancellation. */
export async function probeOnce(probe: HealthProbe, deps: ProbeDeps): Promise<ProbeResult> {
  const at = deps.clock.now();
  const result: ProbeResult = {
    url: probe.url,
    at,
    ok: false,
    status: null,
    durationMs: 0,
    problems: [],
  };
  let response: Awaited<ReturnType<HttpClient>>;
  try {
    const request: Parameters<HttpClient>[0] = { method: "GET", url: probe.url, timeoutMs: probe.timeoutMs };
    if (deps.signal) request.signal = deps.signal;
    response = await deps.http(request);
  } catch (error) {
    if (!(error instanceof HttpRequestError)) throw error;
    result.durationMs = error.durationMs;
    result.problems.push(`no response: ${error.message}`);
    return result;
  }
  result.status = response.status;
  result.durationMs = response.durationMs;
  const problems = result.problems;
  const statusOk = probe.expectedStatus.matches(response.status);
  if (!statusOk) {
    const body = excerpt(response.body);
    problems.push(
      `status ${response.status}, expected ${probe.expectedStatus.text}${body ? ` (body: ${body})` : ""}`,
    );
  }

  const needsJson = probe.jsonAssertions.length > 0 || probe.version?.jsonPath !== undefined;
  let document: unknown;
  let isJson = false;
  if (needsJson) {
    try {
      document = JSON.parse(response.body);
      isJson = true;
    } catch {
      if (probe.jsonAssertions.length > 0 && statusOk) {
        problems.push(`the body is not JSON (${excerpt(response.body, 80) || "empty"})`);
      }
    }
  }
  if (isJson) {
    for (const assertion of probe.jsonAssertions) {
      const lookup = readJsonPath(document, assertion.segments);
      if (!lookup.found) {
        problems.push(
          `\`${assertion.path}\` is missing from the body, expected ${JSON.stringify(assertion.expected)}`,
        );
      } else if (jsonValueText(lookup.value) !== assertion.expected) {
        problems.push(
          `\`${assertion.path}\` is ${JSON.stringify(jsonValueText(lookup.value))}, expected ${JSON.stringify(assertion.expected)}`,
        );
      }
    }
  }

  const version = probe.version;
  if (version) {
    let served: string | null = null;
    let where = "";
    if (version.header !== undefined) {
      where = `header ${version.header}`;
      served = response.headers[version.header.toLowerCase()] ?? null;
    } else if (version.jsonPath && isJson) {
      where = `\`${version.jsonPath.path}\``;
      const lookup = readJsonPath(document, version.jsonPath.segments);
      served =
        lookup.found && lookup.value !== null && lookup.value !== undefined
          ? jsonValueText(lookup.value)
          : null;
    }
    if (served !== null) {
      const ok = versionMatches(served, version.expected);
      result.version = ok
        ? { served, ok }
        : { served, ok, problem: `serves version ${served} (${where}), expected ${version.expected}` };
    } else if (statusOk) {
      const place = where || `\`${version.jsonPath?.path ?? "?"}\` (the body is not JSON)`;
      result.version = {
        served,
        ok: false,
        problem: `reports no version in ${place}, expected ${version.expected}`,
      };
    }
  }
  result.ok = problems.length === 0;
  return result;
}
