// A one-off ECS task (a migration, a script): run it with the service's own network configuration
// and capacity settings, follow it to STOPPED while streaming its awslogs output, judge it by the
// named container's exit code, and stop it when the workflow is cancelled or the wait times out.
import { createHash } from "node:crypto";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import {
  type CapacityProviderStrategyItem,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  type ECSClient,
  type LaunchType,
  type NetworkConfiguration,
  RunTaskCommand,
  StopTaskCommand,
  type Task,
} from "@aws-sdk/client-ecs";
import { type LogLine, LogStreamFollower, type LogStreamRef, tailLogStream } from "../aws/logs";
import type { Clock } from "../runtime/clock";
import { CancelledError, errorMessage, UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";
import { done, PollTimeoutError, pending, poll } from "../runtime/poller";
import { serviceNamed } from "./service-snapshot";

/** What a one-off task copies from a service so it runs where the service runs. */
export interface ServicePlacement {
  serviceArn: string;
  taskDefinition: string | undefined;
  networkConfiguration: NetworkConfiguration | undefined;
  launchType: LaunchType | undefined;
  capacityProviderStrategy: CapacityProviderStrategyItem[] | undefined;
  platformVersion: string | undefined;
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

export interface TaskContainer {
  taskDefinitionArn: string;
  container: string;
  /** Where the container's awslogs driver writes, when it uses one. */
  logs: { group: string; streamPrefix: string | undefined } | undefined;
}

/** Resolves the container to follow (the named one, or the only one) and its awslogs settings. */
export async function taskContainer(
  ecs: ECSClient,
  taskDefinition: string,
  container: string | undefined,
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
    if (definitions.length !== 1) {
      throw new UserError(
        `Task definition ${taskDefinition} has ${definitions.length} containers (${names.join(", ")}); which one runs the migration?`,
        {
          input: "container",
          fix: "Set `container` to the container whose command runs the migration.",
        },
      );
    }
    chosen = definitions[0];
  }
  const logConfiguration = chosen?.logConfiguration;
  const group =
    logConfiguration?.logDriver === "awslogs" ? logConfiguration.options?.["awslogs-group"] : undefined;
  return {
    taskDefinitionArn: out.taskDefinition?.taskDefinitionArn ?? taskDefinition,
    container: chosen?.name ?? "",
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

export interface OneOffTaskRequest {
  cluster: string;
  taskDefinition: string;
  container: string;
  /** Overrides the container's command; undefined keeps the task definition's. */
  command: string[] | undefined;
  placement: ServicePlacement;
  clientToken: string;
  startedBy: string;
}

export async function runOneOffTask(ecs: ECSClient, request: OneOffTaskRequest): Promise<Task> {
  const { placement } = request;
  const out = await ecs.send(
    new RunTaskCommand({
      cluster: request.cluster,
      taskDefinition: request.taskDefinition,
      count: 1,
      startedBy: request.startedBy.slice(0, 36),
      clientToken: request.clientToken,
      ...(request.command
        ? { overrides: { containerOverrides: [{ name: request.container, command: request.command }] } }
        : {}),
      ...(placement.networkConfiguration ? { networkConfiguration: placement.networkConfiguration } : {}),
      ...(placement.capacityProviderStrategy
        ? { capacityProviderStrategy: placement.capacityProviderStrategy }
        : placement.launchType
          ? { launchType: placement.launchType }
          : {}),
      ...(placement.platformVersion ? { platformVersion: placement.platformVersion } : {}),
    }),
  );
  const task = out.tasks?.[0];
  if (!task?.taskArn) {
    const reasons = (out.failures ?? []).map((f) =>
      `${f.arn ?? ""} ${f.reason ?? ""} ${f.detail ?? ""}`.trim(),
    );
    throw new UserError(
      `ECS did not start the task: ${reasons.join("; ") || "no task and no failure returned"}.`,
      {
        fix: "Check the cluster's capacity, the subnets and security groups copied from the service, and the task definition.",
      },
    );
  }
  return task;
}

export interface ContainerResult {
  name: string;
  exitCode: number | undefined;
  reason: string | undefined;
  lastStatus: string | undefined;
}

export interface TaskOutcome {
  taskArn: string;
  lastStatus: string;
  stopCode: string | undefined;
  stoppedReason: string | undefined;
  container: ContainerResult;
  /** The last lines of the container's log (empty when it has no awslogs stream). */
  logTail: LogLine[];
  durationMs: number;
  succeeded: boolean;
}

export interface FollowOptions {
  cluster: string;
  taskArn: string;
  container: string;
  /** The container's awslogs stream, when it has one. */
  logStream: LogStreamRef | undefined;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
  timeoutMs: number;
  intervalMs: number;
  tailLines: number;
  /** Each log line as it arrives (default: logger.info). */
  onLine?: (line: LogLine) => void;
}

function containerOf(task: Task, name: string): ContainerResult {
  const c = task.containers?.find((x) => x.name === name);
  return { name, exitCode: c?.exitCode ?? undefined, reason: c?.reason, lastStatus: c?.lastStatus };
}

/** Only an exit code of 0 from the named container is a success; anything else, or none, fails. */
export function judge(task: Task, container: string): boolean {
  return task.lastStatus === "STOPPED" && containerOf(task, container).exitCode === 0;
}

async function stopTask(
  ecs: ECSClient,
  cluster: string,
  taskArn: string,
  reason: string,
  logger: Logger,
): Promise<void> {
  try {
    await ecs.send(new StopTaskCommand({ cluster, task: taskArn, reason: reason.slice(0, 255) }));
    logger.warning(`Stopped task ${taskArn}: ${reason}`);
  } catch (error) {
    logger.warning(`Could not stop task ${taskArn} (${errorMessage(error)}); stop it by hand.`);
  }
}

/**
 * Polls the task until it is STOPPED (never waiting for RUNNING: a fast task goes PENDING → STOPPED
 * between two polls), streaming its log lines between polls. On cancellation or timeout the task is
 * stopped before the error is raised.
 */
export async function followTask(
  ecs: ECSClient,
  logs: CloudWatchLogsClient | undefined,
  options: FollowOptions,
): Promise<TaskOutcome> {
  const { clock, logger, cluster, taskArn } = options;
  const started = clock.now();
  const follower =
    logs && options.logStream
      ? new LogStreamFollower(logs, options.logStream, { keep: Math.max(options.tailLines, 50) })
      : undefined;
  const emit = options.onLine ?? ((line: LogLine) => logger.info(line.message));
  // A log that cannot be read (a role without logs:GetLogEvents, throttling) does not fail the task,
  // but the user is told once why no output shows, rather than left with a silent step.
  let logWarned = false;
  const drain = async (): Promise<void> => {
    if (!follower) return;
    try {
      for (const line of await follower.read()) emit(line);
    } catch (error) {
      if (logWarned) {
        logger.debug(`Reading the task's log failed: ${errorMessage(error)}`);
        return;
      }
      logWarned = true;
      const ref = options.logStream;
      logger.warning(
        `Cannot read the task's log${ref ? ` (${ref.group} ${ref.stream})` : ""}: ${error instanceof Error && error.name !== "Error" ? `${error.name}: ` : ""}${errorMessage(error)}. The task is followed without its output; allow logs:GetLogEvents on the log group to see it.`,
      );
    }
  };

  let lastSeen = "";
  let task: Task;
  try {
    task = await poll(
      {
        intervalMs: options.intervalMs,
        timeoutMs: options.timeoutMs,
        clock,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      async ({ elapsedMs }) => {
        const out = await ecs.send(new DescribeTasksCommand({ cluster, tasks: [taskArn] }));
        const current = out.tasks?.[0];
        if (!current) {
          const reason = out.failures?.[0]?.reason ?? "MISSING";
          throw new UserError(`ECS no longer knows task ${taskArn} (${reason}).`, {
            fix: "Tasks are forgotten about an hour after they stop; look for it in the cluster's stopped tasks, or re-run.",
          });
        }
        await drain();
        const container = containerOf(current, options.container);
        const seen = `${current.lastStatus ?? "?"} (container ${container.lastStatus ?? "not started"})`;
        if (seen !== lastSeen) {
          logger.progress(
            `Task ${taskArn.split("/").pop() ?? taskArn}: ${seen}, ${formatDuration(elapsedMs)}`,
          );
          lastSeen = seen;
        }
        return current.lastStatus === "STOPPED" ? done(current) : pending;
      },
    );
  } catch (error) {
    if (error instanceof CancelledError || (error instanceof Error && error.name === "AbortError")) {
      await stopTask(ecs, cluster, taskArn, "The GitHub workflow run was cancelled.", logger);
      throw error;
    }
    if (error instanceof PollTimeoutError) {
      await stopTask(
        ecs,
        cluster,
        taskArn,
        `shipline migrate timeout of ${formatDuration(options.timeoutMs)} reached.`,
        logger,
      );
      await drain();
      const tail = follower?.recent(options.tailLines) ?? [];
      throw new UserError(
        `Task ${taskArn} did not stop within ${formatDuration(options.timeoutMs)}, so it was stopped.${tail.length ? ` The last ${tail.length} log lines:\n${tail.map((l) => l.message).join("\n")}` : ""}`,
        {
          input: "timeout",
          fix: "Find out what the migration waited on (a lock held by another session is common), or raise `timeout`.",
        },
      );
    }
    throw error;
  }

  // CloudWatch can lag the container by a moment: read once more after a pause.
  await drain();
  if (follower) {
    await clock.sleep(Math.min(options.intervalMs, 2_000), options.signal).catch(() => undefined);
    await drain();
  }
  let logTail = follower?.recent(options.tailLines) ?? [];
  if (logs && options.logStream && logTail.length === 0) {
    logTail = await tailLogStream(logs, { ...options.logStream, limit: options.tailLines }).catch(() => []);
  }
  return {
    taskArn,
    lastStatus: task.lastStatus ?? "STOPPED",
    stopCode: task.stopCode,
    stoppedReason: task.stoppedReason,
    container: containerOf(task, options.container),
    logTail,
    durationMs: clock.now() - started,
    succeeded: judge(task, options.container),
  };
}

/** A failure message with the evidence: stop code, stopped reason, exit code, container reason, log tail. */
export function describeTaskFailure(outcome: TaskOutcome): string {
  const c = outcome.container;
  const exit =
    c.exitCode === undefined
      ? "no exit code (the container did not run to completion)"
      : `exit code ${c.exitCode}`;
  const lines = [
    `Task ${outcome.taskArn} stopped after ${formatDuration(outcome.durationMs)}: container "${c.name}" ${exit}.`,
    `stopCode: ${outcome.stopCode ?? "none"}`,
    `stoppedReason: ${outcome.stoppedReason ?? "none"}`,
  ];
  if (c.reason) lines.push(`container reason: ${c.reason}`);
  if (outcome.logTail.length > 0) {
    lines.push(
      `Last ${outcome.logTail.length} log line${outcome.logTail.length === 1 ? "" : "s"}:`,
      ...outcome.logTail.map((l) => `  ${l.message}`),
    );
  } else {
    lines.push("The container wrote no log lines.");
  }
  return lines.join("\n");
}

export function taskFailureFix(outcome: TaskOutcome): string {
  if (outcome.stopCode === "TaskFailedToStart") {
    return "The task never ran: check the image exists and can be pulled (CannotPullContainerError), the subnets reach ECR and Secrets Manager (ResourceInitializationError), and the task role and execution role.";
  }
  if (outcome.container.exitCode === undefined)
    return "Look at the stopped reason above; re-run once it is resolved.";
  return "The migration command failed: read its log lines above, fix the migration, and re-run.";
}
