// Checks the exchanges with the fake GitHub against GitHub's own OpenAPI description of its REST API
// (@octokit/openapi, api.github.com, dereferenced): the request's path, query parameters and body,
// and the fake's answer for that status code. A drift names the operation and the member, so a fake
// that answers what GitHub never would, or a request GitHub would refuse or ignore, fails the test.
//
// The description is 73 MB of JSON, too much for every test worker to parse. The first use (the
// global setup, normally) splits it once into one small file per operation, already turned into
// JSON Schema, under the temporary directory keyed by the package's version; a worker then reads the
// index and only the operations its tests call, and compiles each validator once. The records the
// dereferenced description repeats (a simple-user in every creator and author, an issue in three
// operations) are kept once, in a table the operations refer to, and compiled once per worker:
// 5.6 MB on disk instead of 73; all 1,223 operations compile in about 9 s and 90 MB of heap, where
// inlined they took 73 s and 500 MB; the operations the fake serves take well under a second.
//
// What is checked, and how strictly:
// - the path must match one of the description's path templates for that method (POST /graphql is
//   left to fake-github-graphql.ts, which runs queries against GitHub's GraphQL schema);
// - the query's names must be declared parameters of the operation, the values of the declared ones
//   must fit their schemas, as must the path's parameters;
// - the request body must fit the requestBody schema. GitHub ignores members it does not know, so a
//   member the schema does not declare is a drift too: the request sets nothing;
// - the response body must fit the schema of that status code's JSON content, as written: an object
//   without `additionalProperties: false` may carry members beyond its `properties`, a closed one
//   may not. A 2xx status the operation does not document is a drift; an undocumented error status
//   (GitHub documents only some) is not checked.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

/** One place where an exchange disagrees with GitHub's description. */
export interface OpenApiDrift {
  /** `METHOD /path/{template} (operationId)`, or `METHOD /path` when no operation matches. */
  operation: string;
  /** Which part: "path", "query", "request body" or "response 201" (the status code). */
  part: string;
  /** The member: a JSON pointer into the body ("/user/login"), or a parameter's name. */
  member: string;
  message: string;
}

/** A request to the fake and the fake's answer, as the fake saw them. */
export interface Exchange {
  method: string;
  /** The path without the query, as sent (percent-encoded). */
  path: string;
  /** The query string, with or without its "?". */
  query?: string;
  /** The request body as sent (empty or undefined: none). */
  requestBody?: string | undefined;
  status: number;
  /** The response body as sent (parsed JSON), or undefined for none. */
  responseBody?: unknown;
  /** Leave the response alone: a fault the test injects breaks the description on purpose. */
  offSpec?: boolean;
}

export function formatDrift(drift: OpenApiDrift): string {
  return `${drift.operation}: ${drift.part} ${drift.member || "(body)"}: ${drift.message}`;
}

// ---- The split description ----

/** Bump when what is written to the split cache changes, so an old cache is not read. */
const FORMAT = 2;
const PACKAGE = "@octokit/openapi";
const DESCRIPTION = "generated/api.github.com.deref.json";

type Schema = Record<string, unknown>;

interface IndexEntry {
  method: string;
  template: string;
  operationId: string;
  file: string;
  /** Path parameters that may span segments (a ref such as heads/main, a file's path). */
  multi: string[];
}

interface StoredParameter {
  name: string;
  in: "query" | "path";
  required: boolean;
  schema: Schema;
  multiSegment: boolean;
}

interface StoredOperation {
  method: string;
  template: string;
  operationId: string;
  parameters: StoredParameter[];
  /** The JSON body's schema; "none" when the operation takes no body; "other" for non-JSON bodies. */
  requestBody: { required: boolean; schema: Schema | "other" } | "none";
  /** By status code ("200", "default"): the JSON schema, "empty" (no content) or "other" (not JSON). */
  responses: Record<string, Schema | "empty" | "other">;
}

const require = createRequire(import.meta.url);

function packageDir(): string {
  return dirname(require.resolve(`${PACKAGE}/package.json`));
}

/** Where the split description of this package version lives. */
export function splitDescriptionDir(): string {
  const version = (
    JSON.parse(readFileSync(join(packageDir(), "package.json"), "utf8")) as { version: string }
  ).version;
  return join(tmpdir(), "shipline-github-openapi", `${version}-f${FORMAT}`);
}

const SCHEMA_MAPS = ["properties", "patternProperties"] as const;
const SCHEMA_LISTS = ["allOf", "anyOf", "oneOf"] as const;
const SCHEMA_ONES = ["items", "additionalProperties", "not"] as const;
/** Annotations that only describe: dropped to keep the split files small. */
const DROPPED = new Set(["description", "example", "examples", "externalDocs", "xml", "deprecated"]);

/**
 * An OpenAPI 3.0 schema object as JSON Schema (draft 7) for ajv: `nullable: true` becomes a "null"
 * type (or an anyOf with null where the schema has no type), an enum that is nullable admits null,
 * and descriptions, examples and x- extensions are dropped. `closeObjects` (request bodies) makes an
 * object that lists its properties and says nothing of others refuse undeclared members.
 */
export function toJsonSchema(input: unknown, closeObjects = false, inAllOf = false): Schema {
  if (typeof input !== "object" || input === null) return {};
  const source = input as Schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(source)) {
    if (DROPPED.has(key) || key.startsWith("x-") || key === "nullable") continue;
    if ((SCHEMA_MAPS as readonly string[]).includes(key) && typeof value === "object" && value !== null) {
      out[key] = Object.fromEntries(
        Object.entries(value as Schema).map(([name, s]) => [name, toJsonSchema(s, closeObjects)]),
      );
    } else if ((SCHEMA_LISTS as readonly string[]).includes(key) && Array.isArray(value)) {
      out[key] = value.map((s) => toJsonSchema(s, closeObjects, key === "allOf"));
    } else if (
      (SCHEMA_ONES as readonly string[]).includes(key) &&
      typeof value === "object" &&
      value !== null
    ) {
      out[key] = toJsonSchema(value, closeObjects);
    } else {
      out[key] = value;
    }
  }
  if (
    closeObjects &&
    !inAllOf &&
    out.properties !== undefined &&
    out.additionalProperties === undefined &&
    out.patternProperties === undefined
  ) {
    out.additionalProperties = false;
  }
  if (source.nullable === true) {
    if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    if (typeof out.type === "string") out.type = [out.type, "null"];
    else if (Array.isArray(out.type)) {
      if (!out.type.includes("null")) out.type = [...out.type, "null"];
    } else return { anyOf: [out, { type: "null" }] };
  }
  return out;
}

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/** The schema of a content map's JSON media type; "other" when it has only others; undefined: none. */
function jsonContent(content: unknown, closeObjects: boolean): Schema | "other" | undefined {
  if (typeof content !== "object" || content === null) return undefined;
  const entries = Object.entries(content as Record<string, { schema?: unknown }>);
  if (entries.length === 0) return undefined;
  const json = entries.find(([type]) => /^application\/([\w.+-]*\+)?json$/.test(type));
  return json ? toJsonSchema(json[1].schema ?? {}, closeObjects) : "other";
}

/** Where `$ref`s to the shared schemas point: `${SHARED}<hash>`. */
const SHARED = "urn:shipline:github-openapi:";
/** Subschemas this long (as JSON) or longer are shared, not repeated in every operation. */
const SHARE_FROM = 400;

/**
 * The dereferenced description repeats a record's schema wherever it appears (a simple-user in every
 * creator, author and assignee; an issue in three operations). Moved into one table and referenced,
 * each is compiled once per worker instead of once per place. Bottom-up: a shared schema refers to
 * the shared schemas within it.
 */
function share(schema: Schema, table: Map<string, Schema>): Schema {
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if ((SCHEMA_MAPS as readonly string[]).includes(key) && typeof value === "object" && value !== null) {
      out[key] = Object.fromEntries(
        Object.entries(value as Schema).map(([name, s]) => [name, share(s as Schema, table)]),
      );
    } else if ((SCHEMA_LISTS as readonly string[]).includes(key) && Array.isArray(value)) {
      out[key] = value.map((s) => share(s as Schema, table));
    } else if (
      (SCHEMA_ONES as readonly string[]).includes(key) &&
      typeof value === "object" &&
      value !== null
    ) {
      out[key] = share(value as Schema, table);
    } else {
      out[key] = value;
    }
  }
  const json = JSON.stringify(out);
  if (json.length < SHARE_FROM) return out;
  const hash = createHash("sha1").update(json).digest("hex").slice(0, 20);
  table.set(hash, out);
  return { $ref: `${SHARED}${hash}` };
}

/** Splits the description into one file per operation (once per package version; atomic). */
export function prepareGitHubOpenApi(): string {
  const dir = splitDescriptionDir();
  if (existsSync(join(dir, "index.json"))) return dir;
  const doc = JSON.parse(readFileSync(join(packageDir(), DESCRIPTION), "utf8")) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const temp = `${dir}.${process.pid}.${Date.now()}`;
  mkdirSync(join(temp, "operations"), { recursive: true });
  const index: IndexEntry[] = [];
  const table = new Map<string, Schema>();
  const shared = (schema: Schema | "other" | undefined): Schema | "other" | undefined =>
    typeof schema === "object" ? share(schema, table) : schema;
  for (const [template, item] of Object.entries(doc.paths)) {
    const pathParameters = (item.parameters ?? []) as Schema[];
    for (const [method, raw] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      const op = raw as {
        operationId: string;
        parameters?: Schema[];
        requestBody?: { required?: boolean; content?: unknown };
        responses?: Record<string, { content?: unknown }>;
      };
      const parameters: StoredParameter[] = [];
      for (const p of [...pathParameters, ...(op.parameters ?? [])]) {
        if (p.in !== "query" && p.in !== "path") continue;
        const schema = (p.schema ?? {}) as Schema;
        parameters.push({
          name: String(p.name),
          in: p.in,
          required: p.required === true,
          schema: toJsonSchema(schema),
          multiSegment: p["x-multi-segment"] === true || schema["x-multi-segment"] === true,
        });
      }
      const stored: StoredOperation = {
        method: method.toUpperCase(),
        template,
        operationId: op.operationId,
        parameters,
        requestBody: op.requestBody
          ? {
              required: op.requestBody.required === true,
              schema: shared(jsonContent(op.requestBody.content, true)) ?? {},
            }
          : "none",
        responses: Object.fromEntries(
          Object.entries(op.responses ?? {}).map(([status, response]) => [
            status,
            shared(jsonContent(response.content, false)) ?? "empty",
          ]),
        ),
      };
      const file = `${createHash("sha1").update(`${stored.method} ${template}`).digest("hex").slice(0, 16)}.json`;
      writeFileSync(join(temp, "operations", file), JSON.stringify(stored));
      const multi = parameters.filter((p) => p.multiSegment).map((p) => p.name);
      index.push({ method: stored.method, template, operationId: op.operationId, file, multi });
    }
  }
  writeFileSync(join(temp, "shared.json"), JSON.stringify(Object.fromEntries(table)));
  writeFileSync(join(temp, "index.json"), JSON.stringify(index));
  mkdirSync(dirname(dir), { recursive: true });
  try {
    renameSync(temp, dir);
  } catch (error) {
    // Another process split it first: theirs is the same.
    rmSync(temp, { recursive: true, force: true });
    if (!existsSync(join(dir, "index.json"))) throw error;
  }
  return dir;
}

// ---- Matching and validating, per worker ----

interface Route {
  entry: IndexEntry;
  pattern: RegExp;
  /** Per segment: 2 all literal, 1 with a parameter, 0 a multi-segment parameter; higher wins. */
  rank: number[];
  names: string[];
}

interface Compiled {
  op: StoredOperation;
  label: string;
  query: ValidateFunction;
  path: ValidateFunction;
  body?: ValidateFunction;
  responses: Map<string, ValidateFunction>;
}

let loaded: { dir: string; routes: Map<string, Route[]> } | undefined;
const compiled = new Map<string, Compiled>();
let ajvs: { strict: Ajv; coercing: Ajv } | undefined;

function validators(): { strict: Ajv; coercing: Ajv } {
  if (!ajvs) {
    const make = (coerce: boolean): Ajv => {
      // strict off: GitHub's schemas carry keywords (readOnly, title, default with types ajv would
      // question) and formats ajv does not define; those are not checks to add.
      const ajv = new Ajv({
        strict: false,
        allErrors: true,
        logger: false,
        allowUnionTypes: true,
        // A shared schema is compiled once and called from every validator that refers to it.
        inlineRefs: false,
        validateSchema: false,
        ...(coerce ? { coerceTypes: "array" as const } : {}),
      });
      addFormats(ajv);
      ajv.addFormat("repo.nwo", /^[^/]+\/[^/]+$/);
      return ajv;
    };
    ajvs = { strict: make(false), coercing: make(true) };
    const table = JSON.parse(readFileSync(join(prepareGitHubOpenApi(), "shared.json"), "utf8")) as Record<
      string,
      Schema
    >;
    for (const [hash, schema] of Object.entries(table)) ajvs.strict.addSchema(schema, `${SHARED}${hash}`);
  }
  return ajvs;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function routes(): Map<string, Route[]> {
  if (loaded) return loaded.routes;
  const dir = prepareGitHubOpenApi();
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as IndexEntry[];
  const byMethod = new Map<string, Route[]>();
  for (const entry of index) {
    const names: string[] = [];
    const rank: number[] = [];
    const parts = entry.template.split("/").map((segment) => {
      if (!segment.includes("{")) {
        rank.push(2);
        return escapeRegExp(segment);
      }
      let spans = false;
      const pattern = segment
        .split(/(\{[^}]+\})/)
        .map((piece) => {
          const name = /^\{([^}]+)\}$/.exec(piece)?.[1];
          if (!name) return escapeRegExp(piece);
          names.push(name);
          spans ||= entry.multi.includes(name);
          return `(?<p${names.length - 1}>${entry.multi.includes(name) ? ".+" : "[^/]+"})`;
        })
        .join("");
      rank.push(spans ? 0 : 1);
      return pattern;
    });
    const route: Route = { entry, pattern: new RegExp(`^${parts.join("/")}$`), rank, names };
    byMethod.set(entry.method, [...(byMethod.get(entry.method) ?? []), route]);
  }
  loaded = { dir, routes: byMethod };
  return byMethod;
}

function load(entry: IndexEntry): StoredOperation {
  if (!loaded) routes();
  return JSON.parse(readFileSync(join((loaded as { dir: string }).dir, "operations", entry.file), "utf8"));
}

/** The operation a request's method and path name, the most literal template first. */
function match(
  method: string,
  path: string,
): { entry: IndexEntry; params: Record<string, string> } | undefined {
  const candidates = routes().get(method) ?? [];
  let best: { route: Route; params: Record<string, string> } | undefined;
  const better = (a: number[], b: number[]): boolean => {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if ((a[i] ?? -1) !== (b[i] ?? -1)) return (a[i] ?? -1) > (b[i] ?? -1);
    }
    return false;
  };
  for (const route of candidates) {
    const found = route.pattern.exec(path);
    if (!found) continue;
    if (best && !better(route.rank, best.route.rank)) continue;
    const params: Record<string, string> = {};
    route.names.forEach((name, i) => {
      params[name] = decodeURIComponent(found.groups?.[`p${i}`] ?? "");
    });
    best = { route, params };
  }
  return best ? { entry: best.route.entry, params: best.params } : undefined;
}

function parametersSchema(parameters: StoredParameter[]): Schema {
  return {
    type: "object",
    properties: Object.fromEntries(parameters.map((p) => [p.name, p.schema])),
    required: parameters.filter((p) => p.required).map((p) => p.name),
  };
}

function compile(entry: IndexEntry): Compiled {
  const key = `${entry.method} ${entry.template}`;
  let found = compiled.get(key);
  if (!found) {
    const op = load(entry);
    const { strict, coercing } = validators();
    found = {
      op,
      label: `${op.method} ${op.template} (${op.operationId})`,
      query: coercing.compile(parametersSchema(op.parameters.filter((p) => p.in === "query"))),
      path: coercing.compile(parametersSchema(op.parameters.filter((p) => p.in === "path"))),
      responses: new Map(),
    };
    if (op.requestBody !== "none" && op.requestBody.schema !== "other") {
      found.body = strict.compile(op.requestBody.schema);
    }
    compiled.set(key, found);
  }
  return found;
}

function responseValidator(c: Compiled, status: string): ValidateFunction | "empty" | "other" | undefined {
  const schema = c.op.responses[status];
  if (schema === undefined || schema === "empty" || schema === "other") return schema;
  let validate = c.responses.get(status);
  if (!validate) {
    validate = validators().strict.compile(schema);
    c.responses.set(status, validate);
  }
  return validate;
}

/** ajv's errors as drifts: the member each is about, once per member and message. */
function driftsOf(operation: string, part: string, errors: ErrorObject[] | null | undefined): OpenApiDrift[] {
  const seen = new Set<string>();
  const drifts: OpenApiDrift[] = [];
  for (const error of errors ?? []) {
    let member = error.instancePath;
    const params = error.params as Record<string, unknown>;
    if (error.keyword === "required") member += `/${String(params.missingProperty)}`;
    if (error.keyword === "additionalProperties") member += `/${String(params.additionalProperty)}`;
    // Parameters by name, bodies by JSON pointer.
    if (part === "query" || part === "path") member = member.replace(/^\//, "");
    let message = error.message ?? error.keyword;
    if (error.keyword === "required") message = "is required but missing";
    if (error.keyword === "additionalProperties") {
      message = part.startsWith("response")
        ? "is not among the properties of this closed object"
        : "is not a member GitHub's description declares (GitHub ignores it)";
    }
    if (error.keyword === "enum") message += `: ${JSON.stringify(params.allowedValues)}`;
    const key = `${member}\n${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    drifts.push({ operation, part, member, message });
  }
  return drifts;
}

function parseQuery(query: string): Record<string, string | string[]> {
  const params = new URLSearchParams(query.startsWith("?") ? query.slice(1) : query);
  const out: Record<string, string | string[]> = {};
  for (const name of new Set(params.keys())) {
    const values = params.getAll(name);
    out[name] = values.length === 1 ? (values[0] as string) : values;
  }
  return out;
}

/** The drifts of one exchange: none when the request and the answer agree with GitHub's description. */
export function checkExchange(exchange: Exchange): OpenApiDrift[] {
  const method = exchange.method.toUpperCase();
  if (method === "POST" && exchange.path === "/graphql") return [];
  const matched = match(method, exchange.path);
  if (!matched) {
    return [
      {
        operation: `${method} ${exchange.path}`,
        part: "path",
        member: exchange.path,
        message: "matches no operation in GitHub's REST API description",
      },
    ];
  }
  const c = compile(matched.entry);
  const drifts: OpenApiDrift[] = [];

  // Path parameters (coerced: "7" is an integer issue number).
  const pathParams: Record<string, unknown> = { ...matched.params };
  if (!c.path(pathParams)) drifts.push(...driftsOf(c.label, "path", c.path.errors));

  // Query parameters: every name declared, every declared value of its schema.
  const query = parseQuery(exchange.query ?? "");
  const declared = new Set(c.op.parameters.filter((p) => p.in === "query").map((p) => p.name));
  for (const name of Object.keys(query)) {
    if (!declared.has(name)) {
      drifts.push({
        operation: c.label,
        part: "query",
        member: name,
        message: "is not a query parameter of this operation",
      });
    }
  }
  const values: Record<string, unknown> = { ...query };
  for (const name of Object.keys(values)) if (!declared.has(name)) delete values[name];
  if (!c.query(values)) drifts.push(...driftsOf(c.label, "query", c.query.errors));

  // The request body.
  const raw = exchange.requestBody ?? "";
  if (raw.trim() !== "") {
    if (c.op.requestBody === "none") {
      drifts.push({
        operation: c.label,
        part: "request body",
        member: "",
        message: "this operation takes no body",
      });
    } else if (c.body) {
      let body: unknown;
      let parsed = true;
      try {
        body = JSON.parse(raw);
      } catch {
        parsed = false;
        drifts.push({ operation: c.label, part: "request body", member: "", message: "is not JSON" });
      }
      if (parsed && !c.body(body)) drifts.push(...driftsOf(c.label, "request body", c.body.errors));
    }
  } else if (c.op.requestBody !== "none" && c.op.requestBody.required) {
    drifts.push({ operation: c.label, part: "request body", member: "", message: "is required but missing" });
  }

  // The response, unless the test broke it on purpose.
  if (!exchange.offSpec) {
    const status = String(exchange.status);
    const documented =
      status in c.op.responses ? status : "default" in c.op.responses ? "default" : undefined;
    const part = `response ${status}`;
    if (documented === undefined) {
      if (exchange.status < 300) {
        drifts.push({
          operation: c.label,
          part,
          member: "",
          message: `status ${status} is not a documented answer (${Object.keys(c.op.responses).join(", ")})`,
        });
      }
    } else {
      const validate = responseValidator(c, documented);
      if (validate === "empty") {
        if (exchange.responseBody !== undefined && exchange.responseBody !== "") {
          drifts.push({
            operation: c.label,
            part,
            member: "",
            message: "GitHub sends no body with this status",
          });
        }
      } else if (typeof validate === "function") {
        if (exchange.responseBody === undefined) {
          drifts.push({
            operation: c.label,
            part,
            member: "",
            message: "is missing: GitHub sends a JSON body",
          });
        } else if (!validate(exchange.responseBody)) {
          drifts.push(...driftsOf(c.label, part, validate.errors));
        }
      }
    }
  }
  return drifts;
}

// ---- Drifts not yet reported to a test ----

const unreported: OpenApiDrift[] = [];

/** Keeps drifts until the test's end (test/vitest.setup.ts fails the test with them). */
export function recordDrifts(drifts: readonly OpenApiDrift[]): void {
  unreported.push(...drifts);
}

/** The drifts recorded since the last call, forgotten by the call. */
export function takeUnreportedDrifts(): OpenApiDrift[] {
  return unreported.splice(0, unreported.length);
}

/** Throws, listing them, when exchanges since the last call drifted from GitHub's description. */
export function assertNoUnreportedDrifts(): void {
  const drifts = takeUnreportedDrifts();
  if (drifts.length === 0) return;
  // The same drift in every item of a list, or in every call, is listed once.
  const counts = new Map<string, number>();
  for (const drift of drifts) {
    const line = formatDrift({ ...drift, member: drift.member.replace(/\/\d+(?=\/|$)/g, "/*") });
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  const lines = [...counts].map(([line, n]) => `  - ${line}${n > 1 ? ` (${n} times)` : ""}`);
  const shown = lines.length > 40 ? [...lines.slice(0, 40), `  ... and ${lines.length - 40} more`] : lines;
  throw new Error(
    `The fake GitHub's exchanges drifted from GitHub's REST API description (@octokit/openapi):\n${shown.join("\n")}`,
  );
}
