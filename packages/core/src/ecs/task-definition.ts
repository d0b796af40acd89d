// Task definitions as shipline handles them: read from a JSON or YAML file (or the output of
// `aws ecs describe-task-definition`), stripped of the fields only AWS writes, given new images and
// environment variables per container, and compared in a canonical form so that a definition AWS
// already holds is reused instead of registered again.
import { readFileSync } from "node:fs";
import {
  type ContainerDefinition,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  type RegisterTaskDefinitionCommandInput,
  type Tag,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import { parseDocument } from "yaml";
import { UserError } from "../runtime/errors";
import { FAMILY_REVISION, revisionLabel, TASK_DEFINITION_ARN } from "./arns";
import { fargateSizeProblem } from "./fargate-sizes";
import { type FilledPlaceholder, fillPlaceholders } from "./placeholders";
import { parseEnvironmentFileArn, parseSecretReference, SecretReferenceError } from "./secret-reference";

export { FAMILY_REVISION, revisionLabel, TASK_DEFINITION_ARN };

/** What RegisterTaskDefinition accepts: the definition plus its tags. */
export type TaskDefinitionInput = RegisterTaskDefinitionCommandInput;

/** The fields RegisterTaskDefinition takes; anything else in a file is a typo or read-only. */
export const REGISTRABLE_FIELDS = [
  "family",
  "taskRoleArn",
  "executionRoleArn",
  "networkMode",
  "containerDefinitions",
  "volumes",
  "placementConstraints",
  "requiresCompatibilities",
  "cpu",
  "memory",
  "tags",
  "pidMode",
  "ipcMode",
  "proxyConfiguration",
  "inferenceAccelerators",
  "ephemeralStorage",
  "runtimePlatform",
  "enableFaultInjection",
] as const;

/** Fields DescribeTaskDefinition returns that AWS writes itself; RegisterTaskDefinition refuses them. */
export const READ_ONLY_FIELDS = [
  "taskDefinitionArn",
  "revision",
  "status",
  "requiresAttributes",
  "compatibilities",
  "registeredAt",
  "registeredBy",
  "deregisteredAt",
] as const;

const FAMILY = /^[a-zA-Z0-9_-]{1,255}$/;
const CONTAINER_NAME = /^[a-zA-Z0-9_-]{1,255}$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The family of an ARN, a family:revision or a family. */
export function familyOf(taskDefinition: string): string {
  return revisionLabel(taskDefinition).split(":")[0] ?? taskDefinition;
}

/** The revision number of an ARN or family:revision (NaN for a bare family). */
export function revisionOf(taskDefinition: string): number {
  return Number(revisionLabel(taskDefinition).split(":")[1] ?? Number.NaN);
}

/**
 * Turns what DescribeTaskDefinition returned (or a file holding it) into a RegisterTaskDefinition
 * input: read-only fields dropped, tags carried separately.
 */
export function stripReadOnly(
  definition: TaskDefinition | Record<string, unknown>,
  tags?: Tag[],
): TaskDefinitionInput {
  const source = definition as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of REGISTRABLE_FIELDS) {
    if (source[field] !== undefined && source[field] !== null) out[field] = structuredClone(source[field]);
  }
  if (tags && tags.length > 0) out.tags = structuredClone(tags);
  return out as unknown as TaskDefinitionInput;
}

function fileError(path: string, problem: string, fix: string): UserError {
  return new UserError(`Task definition file ${path}: ${problem}`, { input: "task-definition", fix });
}

export interface ReadFileOptions {
  /** The text, when already read (tests). */
  text?: string;
  /** Fills `${env:NAME}` placeholders from it; without it a placeholder is left as written. */
  environment?: Readonly<Record<string, string | undefined>>;
  /** Told each variable a placeholder took its value from (to mask values named like credentials). */
  onFilled?: (filled: FilledPlaceholder[]) => void;
}

/**
 * Reads a task definition file. JSON or YAML; either the definition itself or the output of
 * `aws ecs describe-task-definition` (`{"taskDefinition": {...}, "tags": [...]}`). Placeholders
 * (`${env:NAME}`) are filled from the environment given; read-only fields are dropped; unknown fields
 * are refused, since they are almost always typos.
 */
export function readTaskDefinitionFile(
  path: string,
  given: ReadFileOptions | string = {},
): TaskDefinitionInput {
  const options = typeof given === "string" ? { text: given } : given;
  const text = options.text ?? readFileSync(path, "utf8");
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    const first = document.errors[0];
    const where = first?.linePos?.[0]
      ? ` at line ${first.linePos[0].line}, column ${first.linePos[0].col}`
      : "";
    throw fileError(
      path,
      `it is not valid JSON or YAML${where}: ${(first?.message ?? "").split("\n")[0]}`,
      "Fix the syntax; `jq . <file>` or a YAML linter shows where.",
    );
  }
  let value: unknown = document.toJS();
  if (options.environment) {
    const filled = fillPlaceholders(value, options.environment, path);
    value = filled.document;
    options.onFilled?.(filled.filled);
  }
  let tags: Tag[] | undefined;
  if (isRecord(value) && isRecord(value.taskDefinition)) {
    if (Array.isArray(value.tags)) tags = value.tags as Tag[];
    value = value.taskDefinition;
  }
  if (!isRecord(value)) {
    throw fileError(
      path,
      "it does not hold an object.",
      "Write the task definition as a JSON or YAML object.",
    );
  }
  const known = new Set<string>([...REGISTRABLE_FIELDS, ...READ_ONLY_FIELDS]);
  const unknown = Object.keys(value).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw fileError(
      path,
      `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}.`,
      `Use RegisterTaskDefinition's field names: ${REGISTRABLE_FIELDS.join(", ")}.`,
    );
  }
  const input = stripReadOnly(value, tags);
  validateTaskDefinition(input, path);
  stringifyScalars(input);
  return input;
}

function scalarToString(value: unknown): unknown {
  return typeof value === "number" || typeof value === "boolean" ? String(value) : value;
}

/**
 * YAML reads `cpu: 256`, `value: 8080` or `awslogs-create-group: true` as numbers and booleans where
 * the API takes strings (and would refuse the request): task cpu and memory, environment values, log
 * options and Docker labels become the strings they were meant to be.
 */
function stringifyScalars(input: TaskDefinitionInput): void {
  const fields = input as unknown as Record<string, unknown>;
  for (const key of ["cpu", "memory"] as const) {
    if (fields[key] !== undefined) fields[key] = scalarToString(fields[key]);
  }
  for (const container of input.containerDefinitions ?? []) {
    for (const variable of container.environment ?? []) {
      const pair = variable as Record<string, unknown>;
      pair.value = scalarToString(pair.value);
    }
    const maps = [
      container.logConfiguration?.options,
      container.firelensConfiguration?.options,
      container.dockerLabels,
    ];
    for (const map of maps) {
      if (!isRecord(map)) continue;
      for (const [key, value] of Object.entries(map)) map[key] = scalarToString(value) as string;
    }
  }
}

/** The checks RegisterTaskDefinition would fail on, made before anything is changed. */
export function validateTaskDefinition(input: TaskDefinitionInput, where: string): void {
  const fix = "See the RegisterTaskDefinition reference for the shape of a task definition.";
  if (typeof input.family !== "string" || !FAMILY.test(input.family)) {
    throw fileError(where, '"family" is missing or invalid (letters, digits, "-" and "_", up to 255).', fix);
  }
  const containers = input.containerDefinitions as unknown;
  if (!Array.isArray(containers) || containers.length === 0) {
    throw fileError(where, '"containerDefinitions" must be a non-empty list.', fix);
  }
  const names = new Set<string>();
  for (const [index, container] of containers.entries()) {
    if (!isRecord(container)) throw fileError(where, `containerDefinitions[${index}] is not an object.`, fix);
    if (typeof container.name !== "string" || !CONTAINER_NAME.test(container.name)) {
      throw fileError(where, `containerDefinitions[${index}] has no valid "name".`, fix);
    }
    if (names.has(container.name))
      throw fileError(where, `container "${container.name}" is defined twice.`, fix);
    names.add(container.name);
    if (container.image !== undefined && typeof container.image !== "string") {
      throw fileError(where, `container "${container.name}" has an "image" that is not a string.`, fix);
    }
    for (const list of ["environment", "secrets", "portMappings", "environmentFiles"] as const) {
      if (container[list] !== undefined && !Array.isArray(container[list])) {
        throw fileError(where, `container "${container.name}" has "${list}" that is not a list.`, fix);
      }
    }
    for (const secret of (container.secrets ?? []) as unknown[]) {
      const name = isRecord(secret) ? secret.name : undefined;
      const valueFrom = isRecord(secret) ? secret.valueFrom : undefined;
      if (typeof name !== "string" || typeof valueFrom !== "string") {
        throw fileError(
          where,
          `container "${container.name}" has a secret without a "name" and a "valueFrom".`,
          fix,
        );
      }
      try {
        parseSecretReference(valueFrom);
      } catch (error) {
        if (!(error instanceof SecretReferenceError)) throw error;
        throw fileError(where, `container "${container.name}", secret ${name}: ${error.message}`, error.fix);
      }
    }
    for (const file of (container.environmentFiles ?? []) as unknown[]) {
      const value = isRecord(file) ? file.value : undefined;
      if (typeof value !== "string" || (isRecord(file) && file.type !== "s3")) {
        throw fileError(
          where,
          `container "${container.name}" has an environment file without a "value" of type "s3".`,
          fix,
        );
      }
      try {
        parseEnvironmentFileArn(value);
      } catch (error) {
        if (!(error instanceof SecretReferenceError)) throw error;
        throw fileError(
          where,
          `container "${container.name}", environment file: ${error.message}`,
          error.fix,
        );
      }
    }
  }
  checkTaskLevel(input, where);
}

/** Task-level checks that hold whatever the source: Fargate's sizes, a role for secrets. */
export function checkTaskLevel(
  input: TaskDefinitionInput,
  where: string,
  inputName = "task-definition",
): void {
  const fail = (problem: string, fix: string) =>
    new UserError(`Task definition ${where}: ${problem}`, { input: inputName, fix });
  if (input.requiresCompatibilities?.includes("FARGATE")) {
    const cpu = input.cpu === undefined ? undefined : String(input.cpu);
    const memory = input.memory === undefined ? undefined : String(input.memory);
    const problem = fargateSizeProblem(cpu, memory);
    if (problem) {
      throw fail(
        problem,
        "Pick a Fargate combination: 256 CPU units with 512, 1024 or 2048 MiB; 512 with 1024-4096; 1024 with 2048-8192; 2048 with 4096-16384; 4096 with 8192-30720 (1 GB steps); 8192 with 16384-61440 (4 GB steps); 16384 with 32768-122880 (8 GB steps).",
      );
    }
  }
  const containers = input.containerDefinitions ?? [];
  const needsRole = containers.some(
    (c) => (c.secrets ?? []).length > 0 || (c.environmentFiles ?? []).length > 0,
  );
  if (needsRole && !input.executionRoleArn) {
    throw fail(
      "containers read secrets or environment files, which the task's execution role fetches, but there is no executionRoleArn.",
      "Set `execution-role-arn` (or executionRoleArn in the file) to a role that may read them.",
    );
  }
  const taskMemory = input.memory === undefined ? undefined : Number(input.memory);
  for (const c of containers) {
    if (c.memory !== undefined && c.memoryReservation !== undefined && c.memoryReservation > c.memory) {
      throw fail(
        `container "${c.name}" reserves ${c.memoryReservation} MiB, more than its memory limit of ${c.memory} MiB.`,
        "Make memoryReservation at most memory.",
      );
    }
    if (taskMemory !== undefined && Number.isFinite(taskMemory) && (c.memory ?? 0) > taskMemory) {
      throw fail(
        `container "${c.name}" has a memory limit of ${c.memory} MiB, above the task's ${taskMemory} MiB.`,
        "Lower the container's memory or raise the task's.",
      );
    }
  }
}

/** What a step may change in one container, besides its image and environment upserts. */
export interface ContainerChanges {
  /** Environment variables removed by name. */
  removeEnvironment?: string[];
  /** Secrets set (added or replaced), name -> valueFrom. */
  secrets?: Record<string, string>;
  /** The environment files (S3 object ARNs), replacing the container's. */
  environmentFiles?: string[];
  command?: string[];
  entryPoint?: string[];
  /** Docker labels set (added or replaced). */
  dockerLabels?: Record<string, string>;
  /** A new log driver replaces the log configuration (its options become `logOptions`). */
  logDriver?: string;
  /** Log options set (added or replaced) on the container's log configuration. */
  logOptions?: Record<string, string>;
  cpu?: number;
  memory?: number;
  memoryReservation?: number;
}

/** What a step may change at the task level. */
export interface TaskChanges {
  taskRoleArn?: string;
  executionRoleArn?: string;
  cpu?: string;
  memory?: string;
  ephemeralStorageGiB?: number;
  runtimePlatform?: { operatingSystemFamily: string; cpuArchitecture: string };
}

/** Changes asked for: images (`web=<image>`), environment upserts, other container and task changes. */
export interface RenderChanges {
  images?: Record<string, string>;
  environment?: Record<string, Record<string, string>>;
  containers?: Record<string, ContainerChanges>;
  task?: TaskChanges;
}

/** The input each kind of container change comes from, for errors that name it. */
export const CONTAINER_CHANGE_INPUTS: Record<keyof ContainerChanges, string> = {
  removeEnvironment: "remove-environment-variables",
  secrets: "secrets",
  environmentFiles: "environment-files",
  command: "command",
  entryPoint: "entry-point",
  dockerLabels: "docker-labels",
  logDriver: "log-driver",
  logOptions: "log-options",
  cpu: "container-resources",
  memory: "container-resources",
  memoryReservation: "container-resources",
};

function unknownContainer(kind: string, name: string, input: string, known: string[]): UserError {
  return new UserError(
    `\`${input}\` names container "${name}" (${kind}), but the task definition has ${known.map((k) => `"${k}"`).join(", ")}.`,
    { input, fix: `Use one of the task definition's container names: ${known.join(", ")}.` },
  );
}

/** Container names referred to by the changes that the definition does not have. */
export function checkContainerNames(base: TaskDefinitionInput, changes: RenderChanges): void {
  const known = (base.containerDefinitions ?? []).map((c) => c.name ?? "");
  for (const name of Object.keys(changes.images ?? {})) {
    if (!known.includes(name)) throw unknownContainer("image", name, "containers", known);
  }
  for (const name of Object.keys(changes.environment ?? {})) {
    if (!known.includes(name)) throw unknownContainer("environment", name, "environment-variables", known);
  }
  for (const [name, change] of Object.entries(changes.containers ?? {})) {
    if (known.includes(name)) continue;
    const first = (Object.keys(change) as (keyof ContainerChanges)[])[0] ?? "secrets";
    throw unknownContainer(first, name, CONTAINER_CHANGE_INPUTS[first], known);
  }
}

function upsert<T extends { name?: string | undefined }>(
  list: T[] | undefined,
  entries: Record<string, string>,
  make: (name: string, value: string) => T,
  set: (item: T, value: string) => void,
): T[] {
  const out = [...(list ?? [])];
  for (const [name, value] of Object.entries(entries)) {
    const existing = out.find((item) => item.name === name);
    if (existing) set(existing, value);
    else out.push(make(name, value));
  }
  return out;
}

function applyContainerChanges(container: ContainerDefinition, change: ContainerChanges): void {
  const name = container.name ?? "";
  if (change.removeEnvironment) {
    const present = new Set((container.environment ?? []).map((e) => e.name));
    const missing = change.removeEnvironment.filter((n) => !present.has(n));
    if (missing.length > 0) {
      throw new UserError(
        `\`remove-environment-variables\` removes ${missing.join(", ")} from container "${name}", which does not set ${missing.length > 1 ? "them" : "it"}.`,
        {
          input: "remove-environment-variables",
          fix: `Remove only variables the task definition sets (${[...present].join(", ") || "none"}).`,
        },
      );
    }
    container.environment = (container.environment ?? []).filter(
      (e) => !change.removeEnvironment?.includes(e.name ?? ""),
    );
  }
  if (change.secrets) {
    container.secrets = upsert(
      container.secrets,
      change.secrets,
      (n, valueFrom) => ({ name: n, valueFrom }),
      (item, valueFrom) => {
        item.valueFrom = valueFrom;
      },
    );
    // A variable is either plain or secret: the secret replaces a plain one of the same name.
    const secretNames = new Set(Object.keys(change.secrets));
    container.environment = (container.environment ?? []).filter((e) => !secretNames.has(e.name ?? ""));
  }
  if (change.environmentFiles)
    container.environmentFiles = change.environmentFiles.map((value) => ({ value, type: "s3" }));
  if (change.command) container.command = [...change.command];
  if (change.entryPoint) container.entryPoint = [...change.entryPoint];
  if (change.dockerLabels)
    container.dockerLabels = { ...(container.dockerLabels ?? {}), ...change.dockerLabels };
  if (change.logDriver !== undefined) {
    container.logConfiguration = {
      logDriver: change.logDriver as NonNullable<ContainerDefinition["logConfiguration"]>["logDriver"],
      ...(change.logOptions ? { options: { ...change.logOptions } } : {}),
    };
  } else if (change.logOptions) {
    if (!container.logConfiguration) {
      throw new UserError(
        `\`log-options\` sets options of container "${name}", which has no log configuration.`,
        {
          input: "log-options",
          fix: `Give its driver too with \`log-driver: ${name}=awslogs\` (or another driver).`,
        },
      );
    }
    container.logConfiguration.options = {
      ...(container.logConfiguration.options ?? {}),
      ...change.logOptions,
    };
  }
  if (change.cpu !== undefined) container.cpu = change.cpu;
  if (change.memory !== undefined) container.memory = change.memory;
  if (change.memoryReservation !== undefined) container.memoryReservation = change.memoryReservation;
}

function applyTaskChanges(definition: TaskDefinitionInput, change: TaskChanges): void {
  if (change.taskRoleArn !== undefined) definition.taskRoleArn = change.taskRoleArn;
  if (change.executionRoleArn !== undefined) definition.executionRoleArn = change.executionRoleArn;
  if (change.cpu !== undefined) definition.cpu = change.cpu;
  if (change.memory !== undefined) definition.memory = change.memory;
  if (change.ephemeralStorageGiB !== undefined)
    definition.ephemeralStorage = { sizeInGiB: change.ephemeralStorageGiB };
  if (change.runtimePlatform)
    definition.runtimePlatform = {
      ...change.runtimePlatform,
    } as NonNullable<TaskDefinitionInput["runtimePlatform"]>;
}

/** Whether any change asks to alter the definition it starts from. */
export function hasRenderChanges(changes: RenderChanges): boolean {
  return (
    Object.keys(changes.images ?? {}).length > 0 ||
    Object.keys(changes.environment ?? {}).length > 0 ||
    Object.values(changes.containers ?? {}).some((c) => Object.keys(c).length > 0) ||
    Object.keys(changes.task ?? {}).length > 0
  );
}

/** Applies the changes to a copy of the definition. Environment variables are upserted by name. */
export function renderTaskDefinition(base: TaskDefinitionInput, changes: RenderChanges): TaskDefinitionInput {
  checkContainerNames(base, changes);
  const rendered = structuredClone(base);
  for (const container of rendered.containerDefinitions ?? []) {
    const name = container.name ?? "";
    const image = changes.images?.[name];
    if (image !== undefined) container.image = image;
    const upserts = changes.environment?.[name];
    if (upserts) {
      container.environment = upsert(
        container.environment,
        upserts,
        (key, value) => ({ name: key, value }),
        (item, value) => {
          item.value = value;
        },
      );
      // The plain value replaces a secret of the same name.
      container.secrets = container.secrets?.filter((s) => !((s.name ?? "") in upserts));
      if (container.secrets?.length === 0) delete container.secrets;
    }
    const change = changes.containers?.[name];
    if (change) applyContainerChanges(container, change);
  }
  if (changes.task) applyTaskChanges(rendered, changes.task);
  for (const container of rendered.containerDefinitions ?? []) {
    if (typeof container.image !== "string" || container.image.trim() === "") {
      throw new UserError(`Container "${container.name ?? "?"}" has no image.`, {
        input: "containers",
        fix: `Give it one with \`containers: ${container.name ?? "name"}=<image>\`, or set "image" in the task definition.`,
      });
    }
  }
  if (hasRenderChanges(changes))
    checkTaskLevel(rendered, `family ${rendered.family ?? ""}`, renderInput(changes));
  return rendered;
}

/** The input most likely at fault when the rendered definition fails a task-level check. */
function renderInput(changes: RenderChanges): string {
  if (changes.task?.cpu !== undefined || changes.task?.memory !== undefined)
    return changes.task.cpu !== undefined ? "cpu" : "memory";
  if (changes.task?.executionRoleArn !== undefined) return "execution-role-arn";
  if (
    Object.values(changes.containers ?? {}).some(
      (c) => c.memory !== undefined || c.memoryReservation !== undefined,
    )
  )
    return "container-resources";
  if (Object.values(changes.containers ?? {}).some((c) => c.secrets || c.environmentFiles))
    return "execution-role-arn";
  return "task-definition";
}

// ---- canonical form ------------------------------------------------------------------------------

/** Container-definition values AWS fills in when they were not given. */
const CONTAINER_DEFAULTS: Record<string, unknown> = { cpu: 0, essential: true };
/** Health-check values AWS fills in (DescribeTaskDefinition returns them even when not registered). */
const HEALTH_CHECK_DEFAULTS: Record<string, unknown> = { interval: 30, timeout: 5, retries: 3 };
/** Task-level values AWS fills in, or means when they are absent. */
const TASK_DEFAULTS: Record<string, unknown> = { enableFaultInjection: false, networkMode: "bridge" };

function withoutDefaults(
  value: Record<string, unknown>,
  defaults: Record<string, unknown>,
): Record<string, unknown> {
  const out = { ...value };
  for (const [key, fallback] of Object.entries(defaults)) if (out[key] === fallback) delete out[key];
  return out;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isRecord(value)) return Object.keys(value).length === 0;
  return false;
}

/** Drops empty values recursively and sorts object keys, so equal definitions serialise equally. */
function canonicalValue(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.map(canonicalValue).filter((v) => !isEmpty(v));
  if (isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const inner = canonicalValue(value[key]);
      if (!isEmpty(inner)) out[key] = inner;
    }
    return out;
  }
  return value;
}

function byName<T extends { name?: string | undefined }>(items: T[] | undefined): T[] | undefined {
  return items ? [...items].sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "")) : undefined;
}

function canonicalContainer(
  container: ContainerDefinition,
  networkMode: string | undefined,
): Record<string, unknown> {
  const out = withoutDefaults(container as Record<string, unknown>, CONTAINER_DEFAULTS);
  if (container.healthCheck) {
    out.healthCheck = withoutDefaults({ ...container.healthCheck }, HEALTH_CHECK_DEFAULTS);
  }
  out.environment = byName(container.environment);
  out.secrets = byName(container.secrets);
  out.portMappings = container.portMappings?.map((mapping) => {
    const m: Record<string, unknown> = { ...mapping };
    if (m.protocol === "tcp") delete m.protocol;
    // With awsvpc (and host) networking the host port is the container port, and AWS fills it in;
    // in bridge mode AWS writes 0 for a dynamic host port.
    const filled = networkMode === "awsvpc" || networkMode === "host" ? m.containerPort : 0;
    if (m.hostPort === filled) delete m.hostPort;
    return m;
  });
  return out;
}

/**
 * The definition in a canonical form: read-only fields dropped, defaults AWS adds removed (container
 * cpu 0 and essential true, health-check interval 30, timeout 5 and retries 3, tcp and the filled-in
 * host port of port mappings, enableFaultInjection false, bridge networking), empty values dropped,
 * object keys and the lists whose order does not matter sorted, cpu and memory as strings. Two
 * definitions that register the same thing have equal canonical forms.
 */
export function canonicalTaskDefinition(
  definition: TaskDefinition | TaskDefinitionInput,
  tags?: Tag[],
): Record<string, unknown> {
  const input = stripReadOnly(
    definition as Record<string, unknown>,
    tags ?? (definition as TaskDefinitionInput).tags,
  );
  const out = withoutDefaults(input as unknown as Record<string, unknown>, TASK_DEFAULTS);
  for (const key of ["cpu", "memory"] as const) {
    if (typeof out[key] === "number") out[key] = String(out[key]);
  }
  out.containerDefinitions = [...(input.containerDefinitions ?? [])]
    .sort((a, b) => (a.name ?? "").localeCompare(b.name ?? ""))
    .map((c) => canonicalContainer(c, input.networkMode));
  out.requiresCompatibilities = input.requiresCompatibilities
    ? [...input.requiresCompatibilities].sort()
    : undefined;
  out.tags = input.tags
    ? [...input.tags].sort((a, b) => (a.key ?? "").localeCompare(b.key ?? ""))
    : undefined;
  return canonicalValue(out) as Record<string, unknown>;
}

/** True when registering `a` would give the same task definition as `b`. */
export function sameTaskDefinition(
  a: TaskDefinition | TaskDefinitionInput,
  b: TaskDefinition | TaskDefinitionInput,
  tags: { a?: Tag[]; b?: Tag[] } = {},
): boolean {
  return (
    JSON.stringify(canonicalTaskDefinition(a, tags.a)) === JSON.stringify(canonicalTaskDefinition(b, tags.b))
  );
}

/** Container name -> image, in definition order. */
export function containerImages(definition: TaskDefinition | TaskDefinitionInput): Record<string, string> {
  const out: Record<string, string> = {};
  for (const c of definition.containerDefinitions ?? []) out[c.name ?? ""] = c.image ?? "";
  return out;
}

/** A task definition AWS holds, with its tags. */
export interface RegisteredDefinition {
  arn: string;
  definition: TaskDefinition;
  tags: Tag[];
}

/**
 * DescribeTaskDefinition (with tags) once per definition in a run, by family:revision or ARN alike.
 * A definition that cannot be read (never registered, deleted, malformed reference) is the user's.
 */
export class TaskDefinitionCache {
  readonly #byRef = new Map<string, RegisteredDefinition>();
  constructor(private readonly ecs: ECSClient) {}

  /** `input` names the input that gave `ref`; `subject` is what the error calls it. */
  async get(
    ref: string,
    input = "task-definition",
    subject = "Task definition",
  ): Promise<RegisteredDefinition> {
    const cached = this.#byRef.get(ref);
    if (cached) return cached;
    let out: Awaited<ReturnType<typeof this.describe>>;
    try {
      out = await this.describe(ref);
    } catch (error) {
      if (
        error instanceof Error &&
        (error.name === "ClientException" || error.name === "InvalidParameterException")
      ) {
        throw new UserError(`${subject} ${ref} could not be read: ${error.message}`, {
          input,
          fix: "Give the ARN or family:revision of a registered task definition, in the region of the cluster.",
          cause: error,
        });
      }
      throw error;
    }
    const definition = out.taskDefinition;
    if (!definition?.taskDefinitionArn) throw new Error(`DescribeTaskDefinition returned nothing for ${ref}`);
    const found: RegisteredDefinition = {
      arn: definition.taskDefinitionArn,
      definition,
      tags: out.tags ?? [],
    };
    this.#byRef.set(ref, found);
    this.#byRef.set(found.arn, found);
    return found;
  }

  /** Like get, but undefined for a definition or family ECS does not know. */
  async find(ref: string): Promise<RegisteredDefinition | undefined> {
    try {
      return await this.get(ref);
    } catch (error) {
      if (error instanceof UserError) return undefined;
      throw error;
    }
  }

  private describe(ref: string) {
    return this.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref, include: ["TAGS"] }));
  }
}
