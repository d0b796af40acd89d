// Checks every answer of the simulator against the AWS SDK v3's own model of the operation. The model
// is read at run time from the installed clients: the static schemas they ship (`Op$` operation
// schemas pointing at input and output structures, with member names, member schemas and how many
// leading members are required), the enum objects (`models/enums`), the declaration files, which
// name the enum of each enum-typed member, and each command's declaration, which lists the errors
// the operation may raise. Nothing here is a hand-written copy of a model, apart from the AWS errors
// every operation can return and the allow-list of reviewed exceptions below.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Protocol } from "./types";
import { XmlList } from "./wire";

/** One way an answer differs from the SDK's model of the operation. */
export interface ModelDrift {
  readonly service: string;
  readonly operation: string;
  /** Where in the answer, e.g. `services[0].deployments[1].lifecycleStage`, or `error` for the code. */
  readonly path: string;
  readonly problem: string;
}

/** What an operation's handling came to, as far as the model check is concerned. */
export type CheckedAnswer = { kind: "result"; value: unknown } | { kind: "error"; code: string };

/** The SDK v3 client package that models each built-in simulated service. */
const CLIENTS: Readonly<Record<string, string>> = {
  ecs: "@aws-sdk/client-ecs",
  ecr: "@aws-sdk/client-ecr",
  elbv2: "@aws-sdk/client-elastic-load-balancing-v2",
  cloudwatch: "@aws-sdk/client-cloudwatch",
  logs: "@aws-sdk/client-cloudwatch-logs",
  rds: "@aws-sdk/client-rds",
  codedeploy: "@aws-sdk/client-codedeploy",
  secretsmanager: "@aws-sdk/client-secrets-manager",
  ssm: "@aws-sdk/client-ssm",
};

/**
 * Errors any AWS operation can return without declaring them (the "Common Errors" of the API
 * references), in both the JSON-protocol and the query-protocol spelling, plus what an endpoint says
 * about a request it cannot route or parse. The query-protocol references (RDS, ELB) also list the
 * parameter errors InvalidParameterValue, InvalidParameterCombination and MissingParameter.
 */
const COMMON_ERRORS: ReadonlySet<string> = new Set([
  "AccessDenied",
  "AccessDeniedException",
  "ExpiredToken",
  "ExpiredTokenException",
  "IncompleteSignature",
  "InternalFailure",
  "InternalServerError",
  "InvalidAction",
  "InvalidClientTokenId",
  "InvalidParameterCombination",
  "InvalidParameterValue",
  "InvalidQueryParameter",
  "MalformedHttpRequestException",
  "MalformedQueryString",
  "MissingAction",
  "MissingAuthenticationToken",
  "MissingParameter",
  "NotAuthorized",
  "OptInRequired",
  "RequestAbortedException",
  "RequestEntityTooLargeException",
  "RequestExpired",
  "RequestTimeoutException",
  "SerializationException",
  "ServiceUnavailable",
  "ServiceUnavailableException",
  "Throttling",
  "ThrottlingException",
  "UnknownOperationException",
  "UnrecognizedClientException",
  "ValidationError",
  "ValidationException",
]);

/** An error code the model does not declare for an operation, reviewed and accepted, with why. */
export interface AcceptedError {
  readonly service: string;
  readonly operation: string;
  readonly codes: readonly string[];
  readonly reason: string;
}

export const ACCEPTED_ERRORS: readonly AcceptedError[] = [
  {
    service: "cloudwatch",
    operation: "GetMetricData",
    codes: [
      "InvalidParameterValueException",
      "InvalidParameterCombinationException",
      "MissingRequiredParameterException",
    ],
    reason:
      "CloudWatch's model declares only InvalidNextToken for GetMetricData, yet the service validates the " +
      "queries (ids, periods, MetricStat or Expression, StartTime before EndTime) and refuses bad ones with " +
      "its parameter errors; these are CloudWatch's modeled shapes of the common query errors " +
      "InvalidParameterValue, InvalidParameterCombination and MissingParameter, which AWS documents for every action.",
  },
  ...["PutMetricAlarm", "DescribeAlarms", "SetAlarmState"].map((operation) => ({
    service: "cloudwatch",
    operation,
    codes: [
      "InvalidParameterValueException",
      "InvalidParameterCombinationException",
      "MissingRequiredParameterException",
    ],
    reason:
      "The alarm operations validate their parameters (a statistic or an extended one, a period, " +
      "DatapointsToAlarm within EvaluationPeriods, names with or without a prefix) and refuse bad ones with " +
      "CloudWatch's modeled shapes of the common query errors, which AWS documents for every action; the " +
      "model declares only the operation-specific faults.",
  })),
];

// ---- the SDK's static schemas ----------------------------------------------------------------------
// A schema is a number (0 string, 1 number, 2 boolean, 4-7 timestamp, 15 document, 17/19 big numbers,
// 21/42 blob; 64|x a list of x, 128|x a map to x), "unit", a function returning a schema (lazy
// reference), a member [schema, traits], or an array whose first element says its kind:
// [0, ns, name, traits, schema] a simple shape with traits, [1, ns, name, traits, member] a list,
// [2, ns, name, traits, key, value] a map, [3 | -3 | 4, ns, name, traits, memberNames, memberSchemas,
// requiredCount?] a structure, error or union, [9, ns, name, traits, input, output] an operation.

type Traits = number | Record<string, unknown>;

type Resolved =
  | { kind: "string" | "number" | "boolean" | "timestamp" | "document" | "blob" | "unit" }
  | { kind: "list"; member: unknown; memberTraits: Traits; name?: string }
  | { kind: "map"; value: unknown; name?: string }
  | {
      kind: "structure" | "union";
      name: string;
      members: readonly string[];
      schemas: readonly unknown[];
      required: number;
    };

function deref(schema: unknown): unknown {
  let current = schema;
  while (typeof current === "function") current = (current as () => unknown)();
  return current;
}

const isMember = (schema: unknown): schema is [unknown, Traits] =>
  Array.isArray(schema) && schema.length === 2;

/** The member's own traits and the shape it targets. */
function unwrapMember(schema: unknown): { target: unknown; traits: Traits } {
  const value = deref(schema);
  if (isMember(value)) return { target: deref(value[0]), traits: value[1] };
  return { target: value, traits: 0 };
}

function simple(code: number): Resolved {
  if (code === 0) return { kind: "string" };
  if (code === 1 || code === 17 || code === 19) return { kind: "number" };
  if (code === 2) return { kind: "boolean" };
  if (code >= 4 && code <= 7) return { kind: "timestamp" };
  if (code === 15) return { kind: "document" };
  if (code === 21 || code === 42) return { kind: "blob" };
  if (code >= 64 && code < 128) return { kind: "list", member: code & 0b0011_1111, memberTraits: 0 };
  if (code >= 128 && code <= 255) return { kind: "map", value: code & 0b0011_1111 };
  return { kind: "document" };
}

function resolve(schema: unknown): Resolved {
  const { target } = unwrapMember(schema);
  if (typeof target === "number") return simple(target);
  if (target === "unit" || target === undefined || target === null) return { kind: "unit" };
  if (!Array.isArray(target)) return { kind: "document" };
  const [tag, , name] = target as [number, string, string];
  switch (tag) {
    case 0:
      return resolve(target[4]);
    case 1: {
      const member = deref(target[4]);
      return isMember(member)
        ? { kind: "list", member: member[0], memberTraits: member[1], name }
        : { kind: "list", member, memberTraits: 0, name };
    }
    case 2:
      return { kind: "map", value: target[5], name };
    case 3:
    case -3:
    case 4:
      return {
        kind: tag === 4 ? "union" : "structure",
        name,
        members: target[4] as string[],
        schemas: target[5] as unknown[],
        required: typeof target[6] === "number" ? target[6] : 0,
      };
    default:
      return { kind: "document" };
  }
}

const xmlNameOf = (traits: Traits): string | undefined =>
  typeof traits === "object" && typeof traits.xmlName === "string" ? traits.xmlName : undefined;

// ---- one client's model ----------------------------------------------------------------------------

interface ClientModel {
  readonly exports: Record<string, unknown>;
  /** Structure name → member name → the enum's allowed values. */
  readonly enums: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>;
  /** Operation → the error shape names its command declares (read on first use). */
  readonly errors: Map<string, ReadonlySet<string>>;
  readonly root: string;
}

const require = createRequire(import.meta.url);
const models = new Map<string, ClientModel | null>();

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/**
 * Which members are enum-typed, from the declaration files: `name?: SomeEnum | undefined`,
 * `SomeEnum[]` and `Record<string, SomeEnum>`, where SomeEnum is one of the exported enum objects.
 */
function enumMembers(
  root: string,
  exports: Record<string, unknown>,
): Map<string, Map<string, ReadonlySet<string>>> {
  const enumNames = new Set(
    [
      ...readText(join(root, "dist-types/models/enums.d.ts")).matchAll(/^export declare const (\w+): \{/gm),
    ].map((m) => m[1] as string),
  );
  const values = (name: string): ReadonlySet<string> | undefined => {
    const object = exports[name];
    if (!enumNames.has(name) || !object || typeof object !== "object") return undefined;
    return new Set(Object.values(object as Record<string, unknown>).filter((v) => typeof v === "string"));
  };
  const result = new Map<string, Map<string, ReadonlySet<string>>>();
  for (let part = 0; part < 10; part++) {
    const text = readText(join(root, `dist-types/models/models_${part}.d.ts`));
    if (!text) break;
    for (const block of text.matchAll(/^export interface (\w+)(?: extends [^{]+)? \{\n([\s\S]*?)^\}/gm)) {
      const members = new Map<string, ReadonlySet<string>>();
      for (const line of (block[2] as string).matchAll(/^ {4}(\w+)\??: (.+);$/gm)) {
        const type = (line[2] as string).replace(/ \| undefined$/, "");
        const base = /^(?:Record<string, (\w+)>|(\w+)\[\]|(\w+))$/.exec(type);
        const name = base?.[1] ?? base?.[2] ?? base?.[3];
        const allowed = name ? values(name) : undefined;
        if (allowed) members.set(line[1] as string, allowed);
      }
      if (members.size > 0) result.set(block[1] as string, members);
    }
  }
  return result;
}

function loadModel(service: string): ClientModel | null {
  if (models.has(service)) return models.get(service) ?? null;
  const client = CLIENTS[service];
  let model: ClientModel | null = null;
  if (client) {
    const root = dirname(require.resolve(`${client}/package.json`));
    const exports = require(client) as Record<string, unknown>;
    model = { exports, root, enums: enumMembers(root, exports), errors: new Map() };
  }
  models.set(service, model);
  return model;
}

function declaredErrors(model: ClientModel, operation: string): ReadonlySet<string> {
  let errors = model.errors.get(operation);
  if (!errors) {
    const text = readText(join(model.root, `dist-types/commands/${operation}Command.d.ts`));
    errors = new Set([...text.matchAll(/@throws \{@link (\w+)\}/g)].map((m) => m[1] as string));
    model.errors.set(operation, errors);
  }
  return errors;
}

/** The query-protocol code of a modeled error (`LoadBalancerNotFound` for LoadBalancerNotFoundException). */
function queryCode(model: ClientModel, errorName: string): string | undefined {
  const schema = model.exports[`${errorName}$`];
  if (!Array.isArray(schema)) return undefined;
  const traits = schema[3] as Traits;
  const code = typeof traits === "object" ? traits.awsQueryError : undefined;
  return Array.isArray(code) && typeof code[0] === "string" ? code[0] : undefined;
}

// ---- the walk --------------------------------------------------------------------------------------

interface Walk {
  readonly model: ClientModel;
  readonly query: boolean;
  readonly drifts: { path: string; problem: string }[];
}

const MAX_DRIFTS = 20;

function describe(value: unknown): string {
  if (Array.isArray(value)) return "a list";
  if (value instanceof Date) return "a Date";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

function report(walk: Walk, path: string, problem: string): void {
  if (walk.drifts.length < MAX_DRIFTS) walk.drifts.push({ path: path || "(answer)", problem });
}

const join2 = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function checkValue(
  walk: Walk,
  path: string,
  schema: unknown,
  value: unknown,
  allowed: ReadonlySet<string> | undefined,
): void {
  if (value === undefined || value === null) return;
  const shape = resolve(schema);
  switch (shape.kind) {
    case "unit":
      if (typeof value !== "object" || Object.values(value).some((v) => v !== undefined && v !== null))
        report(walk, path, "the model says this operation answers nothing");
      return;
    case "document":
      return;
    case "string":
      if (typeof value !== "string" && !(walk.query && typeof value === "number")) {
        report(walk, path, `expected a string, got ${describe(value)}`);
      } else if (allowed && !allowed.has(String(value))) {
        report(
          walk,
          path,
          `${JSON.stringify(value)} is not a value of the model's enum (${[...allowed].join(", ")})`,
        );
      }
      return;
    case "number":
      if (
        typeof value !== "number" &&
        !(walk.query && typeof value === "string" && value.trim() !== "" && !Number.isNaN(Number(value)))
      )
        report(walk, path, `expected a number, got ${describe(value)}`);
      return;
    case "boolean":
      if (typeof value !== "boolean" && !(walk.query && (value === "true" || value === "false")))
        report(walk, path, `expected a boolean, got ${describe(value)}`);
      return;
    case "timestamp":
      if (
        !(value instanceof Date) &&
        typeof value !== "number" &&
        !(typeof value === "string" && !Number.isNaN(Date.parse(value)))
      )
        report(walk, path, `expected a timestamp, got ${describe(value)}`);
      return;
    case "blob":
      if (typeof value !== "string" && !Buffer.isBuffer(value) && !(value instanceof Uint8Array))
        report(walk, path, `expected a blob, got ${describe(value)}`);
      return;
    case "list": {
      const items = value instanceof XmlList ? value.items : value;
      if (!Array.isArray(items)) {
        report(walk, path, `expected a list, got ${describe(value)}`);
        return;
      }
      if (walk.query) {
        // The query protocol writes each item in an element named by the list's member.
        const expected = xmlNameOf(shape.memberTraits) ?? "member";
        const actual = value instanceof XmlList ? value.memberName : "member";
        if (actual !== expected)
          report(walk, path, `items are written as <${actual}>, the model's list member is <${expected}>`);
      }
      items.forEach((item, index) => {
        checkValue(walk, `${path}[${index}]`, shape.member, item, allowed);
      });
      return;
    }
    case "map":
      if (typeof value !== "object" || Array.isArray(value) || value instanceof Date) {
        report(walk, path, `expected a map, got ${describe(value)}`);
        return;
      }
      for (const [key, inner] of Object.entries(value))
        checkValue(walk, `${path}[${JSON.stringify(key)}]`, shape.value, inner, allowed);
      return;
    case "structure":
    case "union": {
      if (
        typeof value !== "object" ||
        Array.isArray(value) ||
        value instanceof Date ||
        value instanceof XmlList
      ) {
        report(walk, path, `expected a ${shape.name} structure, got ${describe(value)}`);
        return;
      }
      const record = value as Record<string, unknown>;
      const enums = walk.model.enums.get(shape.name);
      // In query-protocol XML a member is written under its xmlName, when the model gives one.
      const keys = shape.members.map((name, index) =>
        walk.query ? (xmlNameOf(unwrapMember(shape.schemas[index]).traits) ?? name) : name,
      );
      keys.forEach((key, index) => {
        const present = record[key] !== undefined && record[key] !== null;
        if (index < shape.required && !present)
          report(walk, join2(path, key), `required by the model (${shape.name}) but missing`);
      });
      for (const [key, inner] of Object.entries(record)) {
        if (inner === undefined) continue;
        const index = keys.indexOf(key);
        if (index < 0) {
          report(walk, join2(path, key), `not a member of ${shape.name} in the model`);
          continue;
        }
        checkValue(
          walk,
          join2(path, key),
          shape.schemas[index],
          inner,
          enums?.get(shape.members[index] as string),
        );
      }
      return;
    }
  }
}

/**
 * The ways one answer of `service`'s `operation` differs from the SDK's model; empty when it agrees,
 * and for services no SDK client models (a test's own stand-in).
 */
export function checkAnswer(
  service: string,
  protocol: Protocol,
  operation: string,
  answer: CheckedAnswer,
): ModelDrift[] {
  const model = loadModel(service);
  if (!model) return [];
  const drift = (path: string, problem: string): ModelDrift => ({ service, operation, path, problem });
  if (answer.kind === "error") {
    if (COMMON_ERRORS.has(answer.code)) return [];
    const declared = declaredErrors(model, operation);
    const accepted = ACCEPTED_ERRORS.some(
      (a) => a.service === service && a.operation === operation && a.codes.includes(answer.code),
    );
    const known = [...declared].some(
      (name) => name === answer.code || queryCode(model, name) === answer.code,
    );
    if (known || accepted) return [];
    return [
      drift(
        "error",
        `${answer.code} is not an error the model declares for ${operation} (${[...declared].join(", ") || "none"})`,
      ),
    ];
  }
  const op = model.exports[`${operation}$`];
  if (!Array.isArray(op) || op[0] !== 9)
    return [drift("(operation)", "the SDK's model has no such operation")];
  const walk: Walk = { model, query: protocol === "query", drifts: [] };
  checkValue(walk, "", op[5], answer.value ?? {}, undefined);
  return walk.drifts.map((d) => drift(d.path, d.problem));
}

/** The drifts as lines for a failure message: `ecs DescribeServices services[0].x: problem`. */
export function formatDrifts(drifts: readonly ModelDrift[]): string {
  return drifts.map((d) => `  ${d.service} ${d.operation} ${d.path}: ${d.problem}`).join("\n");
}
