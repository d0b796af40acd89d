// run-task's inputs → settings, checked before any AWS call: what the task runs, where, with which
// overrides, and the token that makes a re-run of the same step find the task it started.
import { randomUUID } from "node:crypto";
import type { CapacityProviderStrategyItem, LaunchType, Tag } from "@aws-sdk/client-ecs";
import { type AwsSettings, awsSettingsFromInputs } from "@shipline/core/aws/inputs";
import { clientTokenFor, type GivenPlacement } from "@shipline/core/ecs/one-off-task";
import { CommandLineError, splitCommandLine } from "@shipline/core/migrations/command-line";
import { inputError } from "@shipline/core/runtime/inputs";
import { looksLikeCredential, type Secrets } from "@shipline/core/runtime/secrets";
import { checkInputs, type Inputs } from "./inputs";

/** A variable for one container; `container` undefined means the container that decides. */
export interface EnvironmentOverride {
  container: string | undefined;
  name: string;
  value: string;
}

export interface Settings {
  cluster: string;
  /** The service whose placement (and, without `task-definition`, task definition) is copied. */
  service: string | undefined;
  taskDefinition: string | undefined;
  container: string | undefined;
  /** The command as words; undefined keeps the task definition's. */
  command: string[] | undefined;
  environment: EnvironmentOverride[];
  /** Container name → cpu units / MiB. */
  cpu: Record<string, number>;
  memory: Record<string, number>;
  placement: GivenPlacement;
  tags: Tag[];
  count: number;
  /** The same for every re-run of this step in this run attempt, and only for those. */
  clientToken: string;
  timeoutMs: number;
  pollIntervalMs: number;
  logTailLines: number;
  aws: AwsSettings;
}

const MAX_TAGS = 50;

export function settingsFrom(inputs: Inputs, env: NodeJS.ProcessEnv, secrets: Secrets): Settings {
  checkInputs(inputs);
  return {
    cluster: inputs.cluster,
    service: inputs.service,
    taskDefinition: inputs.taskDefinition,
    container: inputs.container,
    command: commandFrom(inputs.command),
    environment: environmentFrom(inputs.environment ?? {}, secrets),
    cpu: sizes(inputs.cpu),
    memory: sizes(inputs.memory),
    placement: placementFrom(inputs),
    tags: tagsFrom(inputs.tags ?? {}),
    count: inputs.count,
    clientToken: clientTokenOf(inputs, env),
    timeoutMs: inputs.timeout,
    pollIntervalMs: inputs.pollInterval,
    logTailLines: inputs.logTailLines,
    aws: awsSettingsFromInputs(inputs),
  };
}

function commandFrom(line: string | undefined): string[] | undefined {
  if (line === undefined || line.trim() === "") return undefined;
  try {
    return splitCommandLine(line.trim());
  } catch (error) {
    if (!(error instanceof CommandLineError)) throw error;
    throw inputError("command", `${error.message}.`, "Close the quote, or escape the character with \\.");
  }
}

/**
 * Overrides are readable by anyone allowed ecs:DescribeTasks, for as long as the task is listed: a
 * credential does not belong there. Its value is masked first, so even this refusal cannot show it.
 */
function environmentFrom(pairs: Record<string, string>, secrets: Secrets): EnvironmentOverride[] {
  for (const [key, value] of Object.entries(pairs)) secrets.addNamed(key, value);
  const credential = Object.keys(pairs).find((key) => looksLikeCredential(key));
  if (credential) {
    throw inputError(
      "environment",
      `${credential} looks like a credential, and RunTask overrides are visible to anyone who may describe the task.`,
      "Give the task definition a secret for it (Secrets Manager or SSM Parameter Store), and remove it from `environment`.",
    );
  }
  return Object.entries(pairs).map(([key, value]) => {
    const dot = key.indexOf(".");
    return dot < 0
      ? { container: undefined, name: key, value }
      : { container: key.slice(0, dot), name: key.slice(dot + 1), value };
  });
}

function sizes(pairs: Record<string, string> | undefined): Record<string, number> {
  return Object.fromEntries(Object.entries(pairs ?? {}).map(([name, value]) => [name, Number(value)]));
}

function placementFrom(inputs: Inputs): GivenPlacement {
  return {
    subnets: inputs.subnets,
    securityGroups: inputs.securityGroups,
    assignPublicIp: inputs.assignPublicIp,
    launchType: inputs.launchType as LaunchType | undefined,
    capacityProviderStrategy: strategyFrom(inputs.capacityProviderStrategy),
    platformVersion: inputs.platformVersion,
  };
}

function strategyFrom(pairs: Record<string, string> | undefined): CapacityProviderStrategyItem[] | undefined {
  if (!pairs) return undefined;
  const items = Object.entries(pairs).map(([capacityProvider, value]) => {
    const [weight, base] = value.split(":").map(Number) as [number, number | undefined];
    if (weight > 1000 || (base ?? 0) > 100_000) {
      throw inputError(
        "capacity-provider-strategy",
        `${capacityProvider}=${value} is out of range (weight 0-1000, base 0-100000).`,
        "Write `FARGATE=1` or `FARGATE=1:2`.",
      );
    }
    return { capacityProvider, weight, ...(base !== undefined ? { base } : {}) };
  });
  if (items.length > 0 && items.every((item) => item.weight === 0)) {
    throw inputError(
      "capacity-provider-strategy",
      "every weight is 0, so no provider would get a task.",
      "Give at least one provider a weight above 0.",
    );
  }
  return items;
}

function tagsFrom(pairs: Record<string, string>): Tag[] {
  const tags = Object.entries(pairs).map(([key, value]) => ({ key, value }));
  if (tags.length > MAX_TAGS) {
    throw inputError(
      "tags",
      `${tags.length} tags are more than ECS allows on a task (${MAX_TAGS}).`,
      "Give fewer tags.",
    );
  }
  const long = tags.find((t) => t.value.length > 256);
  if (long) {
    throw inputError("tags", `the value of ${long.key} is longer than 256 characters.`, "Shorten it.");
  }
  return tags;
}

/**
 * The RunTask client token: the repository, run, attempt, job and step (GITHUB_ACTION is the step's
 * id, or a name unique in the job), and the idempotency key. Outside a workflow run nothing names a
 * run, so every start is new.
 */
function clientTokenOf(inputs: Inputs, env: NodeJS.ProcessEnv): string {
  const run = env.GITHUB_RUN_ID;
  return clientTokenFor([
    "shipline-run-task",
    env.GITHUB_REPOSITORY ?? "",
    run ?? `local-${randomUUID()}`,
    env.GITHUB_RUN_ATTEMPT ?? "",
    env.GITHUB_JOB ?? "",
    env.GITHUB_ACTION ?? "",
    inputs.idempotencyKey ?? "",
  ]);
}
