// One-off ECS tasks (a migration, a backfill, a seed script, a smoke job): where they run (a service's
// placement, or the one given), which container decides, the RunTask request, and an idempotent start
// that finds the tasks a step already started and follows them instead of starting more. Following
// them to STOPPED and judging them is one-off-follow.ts.
import { createHash } from "node:crypto";
import {
  type CapacityProviderStrategyItem,
  type ContainerOverride,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  type LaunchType,
  ListTasksCommand,
  type NetworkConfiguration,
  RunTaskCommand,
  type RunTaskCommandInput,
  type RunTaskCommandOutput,
  StopTaskCommand,
  type Tag,
  type Task,
} from "@aws-sdk/client-ecs";
import { errorMessage, UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { serviceNamed } from "./service-snapshot";

/** Where a task runs: what RunTask needs besides the task definition. */
export interface TaskPlacement {
  networkConfiguration: NetworkConfiguration | undefined;
  launchType: LaunchType | undefined;
  capacityProviderStrategy: CapacityProviderStrategyItem[] | undefined;
  platformVersion: string | undefined;
}

/** What a one-off task copies from a service so it runs where the service runs. */
export interface ServicePlacement extends TaskPlacement {
  serviceArn: string;
  taskDefinition: string | undefined;
}

export async function servicePlacement(
  ecs: ECSClient,
  cluster: string,
  service: string,
): Promise<ServicePlacement> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }));
  const found = serviceNamed(out.services, service);
  if (!found || found.status === "INACTIVE") {
    const reason = out.failures?.[0]?.reason ?? (found ? "INACTIVE" : "MISSING");
    throw new UserError(`ECS service "${service}" was not found in cluster "${cluster}" (${reason}).`, {
      input: "service",
      fix: "Check `cluster` and `service` (names or ARNs) and `aws-region`.",
    });
  }
  return {
    serviceArn: found.serviceArn ?? service,
    taskDefinition: found.taskDefinition,
    networkConfiguration: found.networkConfiguration,
    // A service has either a launch type or a capacity provider strategy; RunTask accepts one of them.
    launchType: found.capacityProviderStrategy?.length ? undefined : found.launchType,
    capacityProviderStrategy: found.capacityProviderStrategy?.length
      ? found.capacityProviderStrategy
      : undefined,
    platformVersion: found.platformVersion,
  };
}

/** Placement settings given as inputs; each one given replaces what the service has. */
export interface GivenPlacement {
  subnets?: string[] | undefined;
  securityGroups?: string[] | undefined;
  assignPublicIp?: "ENABLED" | "DISABLED" | undefined;
  launchType?: LaunchType | undefined;
  capacityProviderStrategy?: CapacityProviderStrategyItem[] | undefined;
  platformVersion?: string | undefined;
}

/**
 * The service's placement with the given settings laid over it. A launch type given replaces the
 * service's capacity provider strategy and the other way round: RunTask takes one of the two.
 */
export function placementFrom(service: TaskPlacement | undefined, given: GivenPlacement): TaskPlacement {
  const base = service?.networkConfiguration?.awsvpcConfiguration;
  const subnets = given.subnets ?? base?.subnets;
  const securityGroups = given.securityGroups ?? base?.securityGroups;
  const assignPublicIp = given.assignPublicIp ?? base?.assignPublicIp;
  const networkConfiguration: NetworkConfiguration | undefined = subnets?.length
    ? {
        awsvpcConfiguration: {
          subnets,
          ...(securityGroups?.length ? { securityGroups } : {}),
          ...(assignPublicIp ? { assignPublicIp } : {}),
        },
      }
    : undefined;
  const launch = given.launchType
    ? { launchType: given.launchType, capacityProviderStrategy: undefined }
    : given.capacityProviderStrategy?.length
      ? { launchType: undefined, capacityProviderStrategy: given.capacityProviderStrategy }
      : {
          launchType: service?.launchType,
          capacityProviderStrategy: service?.capacityProviderStrategy,
        };
  return {
    networkConfiguration,
    ...launch,
    platformVersion: given.platformVersion ?? service?.platformVersion,
  };
}

/** A one-line account of a placement, for the log. */
export function describePlacement(placement: TaskPlacement): string {
  const network = placement.networkConfiguration?.awsvpcConfiguration;
  const launch = placement.capacityProviderStrategy
    ? `capacity providers ${placement.capacityProviderStrategy.map((c) => c.capacityProvider).join(", ")}`
    : `launch type ${placement.launchType ?? "the cluster's default"}`;
  const platform = placement.platformVersion ? `, platform ${placement.platformVersion}` : "";
  const vpc = network
    ? `, subnets ${(network.subnets ?? []).join(", ")}, security groups ${(network.securityGroups ?? []).join(", ") || "the VPC's default"}, public IP ${network.assignPublicIp ?? "DISABLED"}`
    : ", no awsvpc network configuration";
  return `${launch}${platform}${vpc}`;
}

export interface TaskContainer {
  taskDefinitionArn: string;
  /** The container whose exit code decides. */
  container: string;
  /** Every container of the task definition, for checking overrides. */
  containers: string[];
  /** awsvpc tasks need a network configuration. */
  networkMode: string | undefined;
  /** Where the container's awslogs driver writes, when it uses one. */
  logs: { group: string; streamPrefix: string | undefined } | undefined;
}

/** What a task definition status other than ACTIVE means, for the refusal. */
const STATUS_MEANING: Readonly<Record<string, string>> = {
  INACTIVE: " (deregistered)",
  DELETE_IN_PROGRESS: " (being deleted)",
};

/**
 * Resolves the container to follow (the named one; else the only one, or the only essential one)
 * and its awslogs settings. `purpose` finishes the question asked when it cannot tell, e.g. "runs
 * the migration".
 */
export async function taskContainer(
  ecs: ECSClient,
  taskDefinition: string,
  container: string | undefined,
  purpose = "decides the outcome",
): Promise<TaskContainer> {
  let out: Awaited<ReturnType<typeof describeTaskDefinition>>;
  try {
    out = await describeTaskDefinition(ecs, taskDefinition);
  } catch (error) {
    if (error instanceof Error && ["ClientException", "InvalidParameterException"].includes(error.name)) {
      throw new UserError(`Task definition "${taskDefinition}" could not be read: ${error.message}`, {
        input: "task-definition",
        fix: "Give a family, family:revision or ARN of a registered task definition.",
        cause: error,
      });
    }
    throw error;
  }
  const status = out.taskDefinition?.status;
  if (status !== "ACTIVE") {
    const state = status ? `${status}${STATUS_MEANING[status] ?? ""}` : "not ACTIVE (ECS gave no status)";
    throw new UserError(`Task definition ${taskDefinition} is ${state}: ECS starts no new task of it.`, {
      input: "task-definition",
      fix: "Give `task-definition` an ACTIVE revision, such as the one ecs-deploy registered (its task-definition-arn output).",
    });
  }
  const definitions = out.taskDefinition?.containerDefinitions ?? [];
  const names = definitions.map((d) => d.name ?? "");
  let chosen = container ? definitions.find((d) => d.name === container) : undefined;
  if (container && !chosen) {
    throw new UserError(
      `Task definition ${taskDefinition} has no container "${container}" (it has ${names.join(", ")}).`,
      {
        input: "container",
        fix: "Name one of the task definition's containers.",
      },
    );
  }
  if (!chosen) {
    // `essential` defaults to true: a container that does not say is essential.
    const essential = definitions.filter((d) => d.essential !== false);
    if (definitions.length === 1) chosen = definitions[0];
    else if (essential.length === 1) chosen = essential[0];
    else {
      throw new UserError(
        `Task definition ${taskDefinition} has ${definitions.length} containers (${names.join(", ")}); which one ${purpose}?`,
        {
          input: "container",
          fix: `Set \`container\` to the container whose command ${purpose}.`,
        },
      );
    }
  }
  const logConfiguration = chosen?.logConfiguration;
  const group =
    logConfiguration?.logDriver === "awslogs" ? logConfiguration.options?.["awslogs-group"] : undefined;
  return {
    taskDefinitionArn: out.taskDefinition?.taskDefinitionArn ?? taskDefinition,
    container: chosen?.name ?? "",
    containers: names,
    networkMode: out.taskDefinition?.networkMode,
    logs: group ? { group, streamPrefix: logConfiguration?.options?.["awslogs-stream-prefix"] } : undefined,
  };
}

function describeTaskDefinition(ecs: ECSClient, taskDefinition: string) {
  return ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
}

/** The awslogs stream of a task's container: `<prefix>/<container>/<task id>`. */
export function awslogsStream(streamPrefix: string | undefined, container: string, taskArn: string): string {
  const taskId = taskArn.split("/").pop() ?? taskArn;
  return streamPrefix ? `${streamPrefix}/${container}/${taskId}` : taskId;
}

/** A RunTask clientToken (at most 64 characters) from what makes a run the same run. */
export function clientTokenFor(parts: readonly string[]): string {
  return createHash("sha256").update(parts.join("\0")).digest("hex").slice(0, 64);
}

/**
 * The startedBy of the tasks one token starts (36 characters, as ECS allows): how a re-run finds them
 * with ListTasks, also on endpoints that ignore the token.
 */
export function startedByFor(clientToken: string): string {
  return `shipline-${clientToken.slice(0, 27)}`;
}

/** What ECS takes as startedBy: up to 36 letters, digits, hyphens, slashes and underscores. */
const STARTED_BY = /^[A-Za-z0-9_/-]{1,36}$/;

/** What a step asks to change in the containers, before it is checked against the task definition. */
export interface OverrideRequest {
  command: string[] | undefined;
  /** `container` undefined: the container that decides. */
  environment: readonly { container: string | undefined; name: string; value: string }[];
  /** Container name → cpu units / MiB of memory. */
  cpu: Readonly<Record<string, number>>;
  memory: Readonly<Record<string, number>>;
}

/**
 * RunTask's containerOverrides from what was asked: the command and unprefixed variables go to the
 * container that decides. A container the task definition lacks is refused, naming the input.
 */
export function containerOverridesFor(target: TaskContainer, asked: OverrideRequest): ContainerOverride[] {
  const known = (name: string, input: string): string => {
    if (!target.containers.includes(name)) {
      throw new UserError(
        `\`${input}\` names container "${name}", which task definition ${target.taskDefinitionArn} does not have (it has ${target.containers.join(", ")}).`,
        { input, fix: "Name one of the task definition's containers." },
      );
    }
    return name;
  };
  const byName = new Map<string, ContainerOverride>();
  const entry = (name: string): ContainerOverride => {
    const existing = byName.get(name);
    if (existing) return existing;
    const created: ContainerOverride = { name };
    byName.set(name, created);
    return created;
  };
  if (asked.command) entry(target.container).command = asked.command;
  for (const variable of asked.environment) {
    const override = entry(known(variable.container ?? target.container, "environment"));
    override.environment = [...(override.environment ?? []), { name: variable.name, value: variable.value }];
  }
  for (const [name, units] of Object.entries(asked.cpu)) entry(known(name, "cpu")).cpu = units;
  for (const [name, mib] of Object.entries(asked.memory)) entry(known(name, "memory")).memory = mib;
  return [...byName.values()];
}

export interface OneOffTaskRequest {
  cluster: string;
  taskDefinitionArn: string;
  /** Per container: command, environment, cpu, memory. Empty keeps the task definition's. */
  containerOverrides: ContainerOverride[];
  placement: TaskPlacement;
  count: number;
  tags: Tag[];
  clientToken: string;
  /**
   * What the tasks are tagged with as started by, and found by on a re-run (see startedByFor). Never
   * cut: a value cut for RunTask but looked for whole would never find its tasks.
   */
  startedBy: string;
}

/**
 * The RunTask request: only what was asked, so ECS and the cluster's defaults decide the rest. A
 * startedBy ECS would refuse is refused here, before anything is asked of ECS.
 */
export function runTaskInput(request: OneOffTaskRequest): RunTaskCommandInput & { startedBy: string } {
  const { placement } = request;
  if (!STARTED_BY.test(request.startedBy)) {
    throw new Error(
      `startedBy ${JSON.stringify(request.startedBy)} is not one ECS takes (up to 36 letters, digits, hyphens, slashes and underscores); make it with startedByFor.`,
    );
  }
  return {
    cluster: request.cluster,
    taskDefinition: request.taskDefinitionArn,
    count: request.count,
    startedBy: request.startedBy,
    clientToken: request.clientToken,
    ...(request.containerOverrides.length > 0
      ? { overrides: { containerOverrides: request.containerOverrides } }
      : {}),
    ...(placement.networkConfiguration ? { networkConfiguration: placement.networkConfiguration } : {}),
    ...(placement.capacityProviderStrategy
      ? { capacityProviderStrategy: placement.capacityProviderStrategy }
      : placement.launchType
        ? { launchType: placement.launchType }
        : {}),
    ...(placement.platformVersion ? { platformVersion: placement.platformVersion } : {}),
    ...(request.tags.length > 0 ? { tags: request.tags } : {}),
  };
}

export interface StartedTasks {
  tasks: Task[];
  /** True when the tasks were started by an earlier run of the same step, and are followed instead. */
  resumed: boolean;
}

/** The tasks (RUNNING or STOPPED and still listed) a token's startedBy names in the cluster. */
async function tasksStartedBy(ecs: ECSClient, cluster: string, startedBy: string): Promise<Task[]> {
  const arns = new Set<string>();
  for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
    let nextToken: string | undefined;
    do {
      const page = await ecs.send(
        new ListTasksCommand({ cluster, startedBy, desiredStatus, ...(nextToken ? { nextToken } : {}) }),
      );
      for (const arn of page.taskArns ?? []) arns.add(arn);
      nextToken = page.nextToken;
    } while (nextToken);
  }
  if (arns.size === 0) return [];
  const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [...arns].slice(0, 100) }));
  // ListTasks filters by startedBy; an endpoint that did not is not trusted.
  return (out.tasks ?? []).filter((t) => t.startedBy === startedBy);
}

/** The overrides that matter for "the same request", in a form two reads compare equal. */
function overridesKey(overrides: readonly ContainerOverride[] | undefined): string {
  const meaningful = (overrides ?? [])
    .map((o) => ({
      name: o.name ?? "",
      command: o.command ?? null,
      environment: [...(o.environment ?? [])].map((e) => `${e.name ?? ""}=${e.value ?? ""}`).sort(),
      cpu: o.cpu ?? null,
      memory: o.memory ?? null,
    }))
    .filter((o) => o.command || o.environment.length > 0 || o.cpu !== null || o.memory !== null)
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return JSON.stringify(meaningful);
}

function conflictError(request: OneOffTaskRequest, taskArns: readonly string[], detail: string): UserError {
  return new UserError(
    `This step already started ${taskArns.length === 1 ? "task" : "tasks"} ${taskArns.join(", ") || "(no longer listed)"} in cluster ${request.cluster} with other parameters (${detail}), so it starts no other.`,
    {
      fix: "A re-run of the same job attempt must ask for the same task. To run a different one, re-run the workflow (a new attempt) or give the step another `idempotency-key`; in a matrix, set `idempotency-key` to the matrix values.",
    },
  );
}

/**
 * Starts the tasks, or finds the ones the same token already started and returns them instead: a
 * re-run of the same step never starts a second set. RunTask carries the client token, so ECS itself
 * refuses a second start of the same request; tasks are also found by their startedBy first, which
 * covers endpoints that ignore the token. Every answer is checked against what was asked.
 */
export async function startOneOffTasks(
  ecs: ECSClient,
  request: OneOffTaskRequest,
  logger: Logger,
): Promise<StartedTasks> {
  // One request, checked once: the tasks are looked for by the startedBy RunTask tags them with.
  const input = runTaskInput(request);
  const existing = await tasksStartedBy(ecs, request.cluster, input.startedBy);
  if (existing.length > 0) {
    const arns = existing.map((t) => t.taskArn ?? "");
    const other = existing.find((t) => t.taskDefinitionArn !== request.taskDefinitionArn);
    if (other) throw conflictError(request, arns, `task definition ${other.taskDefinitionArn ?? "unknown"}`);
    const asked = overridesKey(request.containerOverrides);
    if (existing.some((t) => overridesKey(t.overrides?.containerOverrides) !== asked)) {
      throw conflictError(request, arns, "container overrides");
    }
    logger.info(
      `This step already started ${arns.length === 1 ? "task" : `${arns.length} tasks`} ${arns.join(", ")} (startedBy ${input.startedBy}): following ${arns.length === 1 ? "it" : "them"} instead of starting another.`,
    );
    return { tasks: existing, resumed: true };
  }

  let out: RunTaskCommandOutput;
  try {
    out = await ecs.send(new RunTaskCommand(input));
  } catch (error) {
    if (error instanceof Error && error.name === "ConflictException") {
      const ids = (error as Error & { resourceIds?: string[] }).resourceIds ?? [];
      throw conflictError(request, ids, "ECS refused the client token: ConflictException");
    }
    throw error;
  }
  const tasks = (out.tasks ?? []).filter((t) => t.taskArn);
  const failures = (out.failures ?? []).map((f) =>
    `${f.arn ?? ""} ${f.reason ?? ""} ${f.detail ?? ""}`.trim(),
  );
  const wrong = tasks.find((t) => t.taskDefinitionArn && t.taskDefinitionArn !== request.taskDefinitionArn);
  if (failures.length > 0 || tasks.length !== request.count || wrong) {
    // Part of a set is not what was asked for (a sharded backfill with a shard missing): stop it.
    await stopTasks(
      ecs,
      request.cluster,
      tasks.map((t) => t.taskArn as string),
      "shipline: RunTask did not start every task asked for.",
      logger,
    );
    const why = wrong
      ? `it answered with task definition ${wrong.taskDefinitionArn}, not ${request.taskDefinitionArn}`
      : failures.length > 0
        ? failures.join("; ")
        : `${tasks.length} of ${request.count} tasks started and no failure given`;
    throw new UserError(
      `ECS did not start the ${request.count === 1 ? "task" : `${request.count} tasks`}: ${why}.`,
      {
        fix: "Check the cluster's capacity, the subnets and security groups, the launch type or capacity providers, and the task definition.",
      },
    );
  }
  return { tasks, resumed: false };
}

/** Stops tasks, saying so; a stop that fails is reported, never thrown (it must not hide the cause). */
export async function stopTasks(
  ecs: ECSClient,
  cluster: string,
  taskArns: readonly string[],
  reason: string,
  logger: Logger,
): Promise<void> {
  for (const taskArn of taskArns) {
    try {
      await ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: reason.slice(0, 255) }));
      logger.warning(`Stopped task ${taskArn}: ${reason}`);
    } catch (error) {
      logger.warning(`Could not stop task ${taskArn} (${errorMessage(error)}); stop it by hand.`);
    }
  }
}
