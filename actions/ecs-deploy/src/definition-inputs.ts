// The inputs that change the task definition (per container and task level) and the service settings
// a step may set, and how they become the deploy request's changes. Kept apart from the rest of the
// inputs so that each kind of change is parsed and checked in one place.
import type { ServiceConnectConfiguration } from "@aws-sdk/client-ecs";
import { ROLE_ARN } from "@shipline/core/ecs/arns";
import { parseVolumeConfigurations } from "@shipline/core/ecs/ebs-volume";
import { cpuUnits, memoryMiB } from "@shipline/core/ecs/fargate-sizes";
import {
  parseEnvironmentFileArn,
  parseSecretReference,
  SecretReferenceError,
} from "@shipline/core/ecs/secret-reference";
import type { ServiceSettings } from "@shipline/core/ecs/service-update";
import type { ContainerChanges, RenderChanges, TaskChanges } from "@shipline/core/ecs/task-definition";
import { CommandLineError, splitCommandLine } from "@shipline/core/migrations/command-line";
import { InvalidValue, input, inputError } from "@shipline/core/runtime/inputs";

// ECS's enums, written out: this module is part of the input spec, which the entry file loads before
// the AWS SDK. A unit test holds each list equal to the SDK's enum.
export const LOG_DRIVERS = [
  "awsfirelens",
  "awslogs",
  "fluentd",
  "gelf",
  "journald",
  "json-file",
  "splunk",
  "syslog",
];
export const OS_FAMILIES = [
  "LINUX",
  "WINDOWS_SERVER_2004_CORE",
  "WINDOWS_SERVER_2016_FULL",
  "WINDOWS_SERVER_2019_CORE",
  "WINDOWS_SERVER_2019_FULL",
  "WINDOWS_SERVER_2022_CORE",
  "WINDOWS_SERVER_2022_FULL",
  "WINDOWS_SERVER_2025_CORE",
  "WINDOWS_SERVER_2025_FULL",
  "WINDOWS_SERVER_20H2_CORE",
];
export const CPU_ARCHITECTURES = ["ARM64", "X86_64"];

const CONTAINER = "[a-zA-Z0-9_-]{1,255}";
const VARIABLE = "[A-Za-z_][A-Za-z0-9_]{0,254}";
const ROLE_HINT = "Give an IAM role ARN: arn:aws:iam::<account>:role/<name>.";

function checked(check: (value: string) => unknown): (value: string) => void {
  return (value) => {
    try {
      check(value);
    } catch (error) {
      if (error instanceof SecretReferenceError) throw new InvalidValue(error.message, error.fix);
      throw error;
    }
  };
}

/**
 * `["node","server.js"]` (a JSON list of strings), or words split as a shell splits them (quotes and
 * backslashes) without running one.
 */
export function parseCommand(value: string): string[] {
  if (value.startsWith("[")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      throw new InvalidValue(
        "it starts with [ but is not a JSON list.",
        'Write a JSON list of strings, e.g. ["node","server.js"].',
      );
    }
    if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((w) => typeof w === "string"))
      throw new InvalidValue(
        "it is not a non-empty JSON list of strings.",
        'Write e.g. ["node","server.js"].',
      );
    return parsed as string[];
  }
  let words: string[];
  try {
    words = splitCommandLine(value);
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    throw new InvalidValue(
      error.message,
      'Close the quote, or quote the character or escape it with \\; or write a JSON list of strings, e.g. ["node","server.js"].',
    );
  }
  if (words.length === 0)
    throw new InvalidValue("it is empty.", 'Write the command, e.g. app=["node","server.js"].');
  return words;
}

function commandCheck(value: string): void {
  parseCommand(value);
}

const SECRET_KEY = new RegExp(`^${CONTAINER}\\.${VARIABLE}$`);

/** `web.DATABASE_URL=arn:...` as container, variable name and valueFrom, checked. */
export function parseSecretLine(item: string): { container: string; name: string; valueFrom: string } {
  const at = item.indexOf("=");
  const key = at > 0 ? item.slice(0, at).trim() : "";
  if (!SECRET_KEY.test(key)) {
    throw new InvalidValue(
      `"${item.slice(0, 80)}" is not of the form container.NAME=arn.`,
      "Write one `container.NAME=arn` per line, e.g. `web.DATABASE_URL=arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/db-AbCdEf`.",
    );
  }
  const valueFrom = item.slice(at + 1).trim();
  checked(parseSecretReference)(valueFrom);
  const dot = key.indexOf(".");
  return { container: key.slice(0, dot), name: key.slice(dot + 1), valueFrom };
}

const CONTAINER_RESOURCE = new RegExp(`^${CONTAINER}\\.(cpu|memory|memory-reservation)$`);

const jsonObject = (value: unknown): ServiceConnectConfiguration => {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new Error("it must be a JSON object.");
  if (typeof (value as { enabled?: unknown }).enabled !== "boolean")
    throw new Error('it needs "enabled": true or false.');
  return value as ServiceConnectConfiguration;
};

export const definitionInputSpec = {
  "remove-environment-variables": input.list({
    itemPattern: new RegExp(`^${CONTAINER}\\.${VARIABLE}$`),
    itemHint: "Write one `container.NAME` per line, e.g. `web.DEBUG`.",
  }),
  // A list of `container.NAME=valueFrom` lines, not key=value pairs: a secret's source is no secret
  // and stays readable in messages and fixes (key=value values named like credentials are masked).
  secrets: input.list({
    separator: "newline",
    itemCheck: (item) => {
      parseSecretLine(item);
    },
  }),
  "environment-files": input.keyValues({
    keyPattern: new RegExp(`^${CONTAINER}$`),
    keyHint:
      "Write one `container=arn:aws:s3:::bucket/file.env` per line (several files separated by commas).",
    valueCheck: checked((value) => {
      for (const arn of value.split(",")) parseEnvironmentFileArn(arn.trim());
    }),
  }),
  command: input.keyValues({
    keyPattern: new RegExp(`^${CONTAINER}$`),
    keyHint: 'Write one `container=["program","arg"]` per line.',
    valueCheck: commandCheck,
    freeText: true,
  }),
  "entry-point": input.keyValues({
    keyPattern: new RegExp(`^${CONTAINER}$`),
    keyHint: 'Write one `container=["program","arg"]` per line.',
    valueCheck: commandCheck,
    freeText: true,
  }),
  "docker-labels": input.keyValues({
    keyPattern: new RegExp(`^${CONTAINER}\\.[A-Za-z0-9][A-Za-z0-9_./-]{0,254}$`),
    keyHint: "Write one `container.LABEL=value` per line, e.g. `web.com.example.team=shop`.",
    maxLength: 65_536,
  }),
  "log-driver": input.keyValues({
    keyPattern: new RegExp(`^${CONTAINER}$`),
    keyHint: "Write one `container=driver` per line, e.g. `web=awslogs`.",
    valueCheck: (value) => {
      if (!LOG_DRIVERS.includes(value))
        throw new InvalidValue(
          `"${value}" is not a log driver ECS knows.`,
          `Use one of ${LOG_DRIVERS.join(", ")}.`,
        );
    },
  }),
  "log-options": input.keyValues({
    keyPattern: new RegExp(`^${CONTAINER}\\.[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$`),
    keyHint: "Write one `container.option=value` per line, e.g. `web.awslogs-group=/ecs/web`.",
  }),
  "container-resources": input.keyValues({
    keyPattern: CONTAINER_RESOURCE,
    keyHint:
      "Write `container.cpu=256`, `container.memory=512` or `container.memory-reservation=256`, one per line.",
    valueCheck: (value) => {
      if (!/^\d{1,6}$/.test(value) || Number(value) > 262_144)
        throw new InvalidValue(
          `"${value}" is not a whole number of CPU units or MiB.`,
          "Give a whole number, e.g. 256.",
        );
    },
  }),
  "task-role-arn": input.string({ pattern: ROLE_ARN, hint: ROLE_HINT }),
  "execution-role-arn": input.string({ pattern: ROLE_ARN, hint: ROLE_HINT }),
  cpu: input.string({
    pattern: /^(\d{1,6}|\d+(\.\d+)? ?vCPU)$/i,
    hint: "Give CPU units (256, 512, 1024...) or vCPUs (0.25 vCPU).",
  }),
  memory: input.string({
    pattern: /^(\d{1,6}|\d+(\.\d+)? ?GB)$/i,
    hint: "Give MiB (512, 1024...) or GB (0.5 GB).",
  }),
  "ephemeral-storage": input.integer({ min: 21, max: 200 }),
  "runtime-platform": input.string({
    pattern: /^[A-Z0-9_]+\/[A-Z0-9_]+$/,
    hint: "Give <operating system family>/<cpu architecture>, e.g. LINUX/ARM64.",
  }),
  "enable-execute-command": input.boolean(),
  "propagate-tags": input.choice(["TASK_DEFINITION", "SERVICE", "NONE"]),
  "enable-ecs-managed-tags": input.boolean(),
  "volume-configurations": input.json({
    validate: parseVolumeConfigurations,
    hint: 'Give a JSON list with one volume, e.g. [{"name":"data","managedEBSVolume":{"roleArn":"arn:aws:iam::123456789012:role/ecsInfrastructure","sizeInGiB":20}}].',
  }),
  "service-connect-configuration": input.json({
    validate: jsonObject,
    hint: 'Give the JSON object UpdateService takes, e.g. {"enabled":true,"namespace":"shop"}.',
  }),
} as const;

/** The parsed values of definitionInputSpec (as the inputs object holds them). */
export interface DefinitionInputs {
  removeEnvironmentVariables?: string[] | undefined;
  secrets?: string[] | undefined;
  environmentFiles?: Record<string, string> | undefined;
  command?: Record<string, string> | undefined;
  entryPoint?: Record<string, string> | undefined;
  dockerLabels?: Record<string, string> | undefined;
  logDriver?: Record<string, string> | undefined;
  logOptions?: Record<string, string> | undefined;
  containerResources?: Record<string, string> | undefined;
  taskRoleArn?: string | undefined;
  executionRoleArn?: string | undefined;
  cpu?: string | undefined;
  memory?: string | undefined;
  ephemeralStorage?: number | undefined;
  runtimePlatform?: string | undefined;
  enableExecuteCommand?: boolean | undefined;
  propagateTags?: "TASK_DEFINITION" | "SERVICE" | "NONE" | undefined;
  enableEcsManagedTags?: boolean | undefined;
  volumeConfigurations?: unknown;
  serviceConnectConfiguration?: unknown;
}

/** `web.NAME=value` keys split at the first dot: container, then the rest. */
function byContainer(lines: Record<string, string> | undefined): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const [key, value] of Object.entries(lines ?? {})) {
    const dot = key.indexOf(".");
    const container = key.slice(0, dot);
    out.set(container, { ...(out.get(container) ?? {}), [key.slice(dot + 1)]: value });
  }
  return out;
}

function secretsByContainer(lines: string[] | undefined): Map<string, Record<string, string>> {
  const out = new Map<string, Record<string, string>>();
  for (const line of lines ?? []) {
    const { container, name, valueFrom } = parseSecretLine(line);
    const secrets = out.get(container) ?? {};
    if (secrets[name] !== undefined)
      throw inputError("secrets", `${container}.${name} is given twice.`, "Give each secret once.");
    out.set(container, { ...secrets, [name]: valueFrom });
  }
  return out;
}

function runtimePlatform(value: string): NonNullable<TaskChanges["runtimePlatform"]> {
  const [os = "", arch = ""] = value.split("/");
  if (!OS_FAMILIES.includes(os)) {
    throw inputError(
      "runtime-platform",
      `"${os}" is not an operating system family ECS runs.`,
      `Use one of ${OS_FAMILIES.join(", ")}.`,
    );
  }
  if (!CPU_ARCHITECTURES.includes(arch)) {
    throw inputError(
      "runtime-platform",
      `"${arch}" is not a CPU architecture ECS runs.`,
      `Use one of ${CPU_ARCHITECTURES.join(", ")}.`,
    );
  }
  if (os !== "LINUX" && arch === "ARM64") {
    throw inputError(
      "runtime-platform",
      "ECS runs Windows containers on X86_64 only.",
      "Use LINUX/ARM64, or a Windows family with X86_64.",
    );
  }
  return { operatingSystemFamily: os, cpuArchitecture: arch };
}

function containerChangesFrom(inputs: DefinitionInputs): Record<string, ContainerChanges> {
  const out: Record<string, ContainerChanges> = {};
  const of = (name: string): ContainerChanges => {
    out[name] ??= {};
    return out[name];
  };
  for (const item of inputs.removeEnvironmentVariables ?? []) {
    const dot = item.indexOf(".");
    const change = of(item.slice(0, dot));
    change.removeEnvironment = [...(change.removeEnvironment ?? []), item.slice(dot + 1)];
  }
  for (const [name, secrets] of secretsByContainer(inputs.secrets)) of(name).secrets = secrets;
  for (const [name, files] of Object.entries(inputs.environmentFiles ?? {}))
    of(name).environmentFiles = files.split(",").map((f) => f.trim());
  for (const [name, command] of Object.entries(inputs.command ?? {}))
    of(name).command = parseCommand(command);
  for (const [name, entryPoint] of Object.entries(inputs.entryPoint ?? {}))
    of(name).entryPoint = parseCommand(entryPoint);
  for (const [name, labels] of byContainer(inputs.dockerLabels)) of(name).dockerLabels = labels;
  for (const [name, driver] of Object.entries(inputs.logDriver ?? {})) of(name).logDriver = driver;
  for (const [name, options] of byContainer(inputs.logOptions)) of(name).logOptions = options;
  for (const [name, resources] of byContainer(inputs.containerResources)) {
    const change = of(name);
    if (resources.cpu !== undefined) change.cpu = Number(resources.cpu);
    if (resources.memory !== undefined) change.memory = Number(resources.memory);
    if (resources["memory-reservation"] !== undefined)
      change.memoryReservation = Number(resources["memory-reservation"]);
  }
  return out;
}

/** Inputs that name one variable two ways (set and removed, plain and secret) contradict each other. */
function checkConflicts(inputs: DefinitionInputs, environment: Record<string, Record<string, string>>): void {
  const secrets = secretsByContainer(inputs.secrets);
  for (const item of inputs.removeEnvironmentVariables ?? []) {
    const [container = "", name = ""] = [item.slice(0, item.indexOf(".")), item.slice(item.indexOf(".") + 1)];
    if (environment[container]?.[name] !== undefined) {
      throw inputError(
        "remove-environment-variables",
        `${item} is also set by \`environment-variables\`.`,
        "Set it or remove it, not both.",
      );
    }
  }
  for (const [container, names] of secrets) {
    for (const name of Object.keys(names)) {
      if (environment[container]?.[name] !== undefined) {
        throw inputError(
          "secrets",
          `${container}.${name} is also set as a plain value by \`environment-variables\`.`,
          "Make the variable a secret or a plain value, not both.",
        );
      }
    }
  }
}

/** The task-definition changes beyond images and environment upserts. */
export function definitionChanges(
  inputs: DefinitionInputs,
  environment: Record<string, Record<string, string>>,
): Pick<RenderChanges, "containers" | "task"> {
  checkConflicts(inputs, environment);
  const task: TaskChanges = {};
  if (inputs.taskRoleArn) task.taskRoleArn = inputs.taskRoleArn;
  if (inputs.executionRoleArn) task.executionRoleArn = inputs.executionRoleArn;
  // ECS takes "1 vCPU" too, but returns units: sent as units, re-runs compare equal.
  if (inputs.cpu) task.cpu = String(cpuUnits(inputs.cpu));
  if (inputs.memory) task.memory = String(memoryMiB(inputs.memory));
  if (inputs.ephemeralStorage !== undefined) task.ephemeralStorageGiB = inputs.ephemeralStorage;
  if (inputs.runtimePlatform) task.runtimePlatform = runtimePlatform(inputs.runtimePlatform);
  return { containers: containerChangesFrom(inputs), task };
}

/** The service settings asked for; an input left empty is not among them. */
export function serviceSettingsFrom(inputs: DefinitionInputs): ServiceSettings {
  const out: ServiceSettings = {};
  if (inputs.enableExecuteCommand !== undefined) out.enableExecuteCommand = inputs.enableExecuteCommand;
  if (inputs.propagateTags !== undefined) out.propagateTags = inputs.propagateTags;
  if (inputs.enableEcsManagedTags !== undefined) out.enableECSManagedTags = inputs.enableEcsManagedTags;
  if (inputs.volumeConfigurations !== undefined)
    out.volumeConfigurations = inputs.volumeConfigurations as NonNullable<
      ServiceSettings["volumeConfigurations"]
    >;
  if (inputs.serviceConnectConfiguration !== undefined)
    out.serviceConnectConfiguration = inputs.serviceConnectConfiguration as ServiceConnectConfiguration;
  return out;
}
