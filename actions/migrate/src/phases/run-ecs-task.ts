// Mode ecs-task: the migration as a one-off task in the service's VPC (core/ecs one-off-task), its log
// streamed into the job, judged by the container's exit code.
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import { createAwsClient, resolveRegion, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import { awsUserError } from "@shipline/core/aws/errors";
import { explainStoppedTask } from "@shipline/core/ecs/failure-explainer";
import { describeTaskFailure, followTask, type TaskOutcome } from "@shipline/core/ecs/one-off-follow";
import {
  awslogsStream,
  clientTokenFor,
  describePlacement,
  type ServicePlacement,
  servicePlacement,
  startedByFor,
  startOneOffTasks,
  type TaskContainer,
  taskContainer,
} from "@shipline/core/ecs/one-off-task";
import { appliedByTool, type MigrationRunOutcome, nextStep } from "@shipline/core/migrations/run-outcome";
import { UserError } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { EcsTaskSettings, Settings } from "../settings";
import { backUp } from "./backup";

/** What the task will run and where, read from the service and the task definition. */
interface PreparedTask {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  task: EcsTaskSettings;
  placement: ServicePlacement;
  container: TaskContainer;
}

/** Reads what the task needs (refusing what cannot run), backs up, then starts and follows the task. */
export async function runEcsTaskMode(
  context: ActionContext,
  settings: Settings,
  pending: MigrationRunOutcome,
): Promise<MigrationRunOutcome> {
  let prepared: PreparedTask;
  try {
    prepared = await prepareTask(context, settings);
  } catch (failure) {
    return { ...pending, failure };
  }
  const backedUp = await nextStep(pending, (outcome) => backUp(context, settings, outcome));
  return nextStep(backedUp, (outcome) => startAndFollow(context, settings, prepared, outcome));
}

/**
 * Reads the service's placement and the task definition's container, and refuses what cannot run:
 * only reads, so it goes before the backup and a refused run changes nothing.
 */
async function prepareTask(context: ActionContext, settings: Settings): Promise<PreparedTask> {
  const { logger } = context;
  const task = settings.ecsTask as EcsTaskSettings;
  resolveRegion(settings.aws);
  warnIfBeyondSessionLife(settings.timeoutMs, "timeout", logger);
  const ecs = createAwsClient(ECSClient, settings.aws, { logger });
  const logs = createAwsClient(CloudWatchLogsClient, settings.aws, { logger });

  return logger.group("Prepare the one-off task", async () => {
    const placement = await servicePlacement(ecs, task.cluster, task.service);
    const container = await taskContainer(ecs, task.taskDefinition, task.container, "runs the migration");
    logger.info(
      `Task definition ${container.taskDefinitionArn}, container ${container.container}${settings.command ? `, command ${JSON.stringify(settings.command)}` : " with its own command"}.`,
    );
    logger.info(`Copied from service ${task.service}: ${describePlacement(placement)}.`);
    if (!container.logs) {
      logger.warning(
        `Container ${container.container} does not use the awslogs log driver, so its output cannot be shown here.`,
      );
    }
    return { ecs, logs, task, placement, container };
  });
}

async function startTask(
  context: ActionContext,
  settings: Settings,
  prepared: PreparedTask,
): Promise<string> {
  const { env, logger } = context;
  const { cluster } = prepared.task;
  // The same workflow run attempt and the same task always get the same token: a retried step
  // finds the task it started instead of starting a second migration.
  const clientToken = clientTokenFor([
    "shipline-migrate",
    env.GITHUB_REPOSITORY ?? "",
    env.GITHUB_RUN_ID ?? "",
    env.GITHUB_RUN_ATTEMPT ?? "",
    env.GITHUB_JOB ?? "",
    cluster,
    prepared.container.taskDefinitionArn,
    prepared.container.container,
    JSON.stringify(settings.command ?? null),
  ]);
  const task = await logger.group("Start the task", async () => {
    const { tasks, resumed } = await startOneOffTasks(
      prepared.ecs,
      {
        cluster,
        taskDefinitionArn: prepared.container.taskDefinitionArn,
        containerOverrides: settings.command
          ? [{ name: prepared.container.container, command: settings.command }]
          : [],
        placement: prepared.placement,
        count: 1,
        tags: [],
        clientToken,
        startedBy: startedByFor(clientToken),
      },
      logger,
    );
    const [started] = tasks;
    if (!resumed) logger.info(`Started ${started?.taskArn} (${started?.lastStatus ?? "PROVISIONING"}).`);
    return started;
  });
  return task?.taskArn as string;
}

async function followToTheEnd(
  context: ActionContext,
  settings: Settings,
  prepared: PreparedTask,
  taskArn: string,
): Promise<TaskOutcome> {
  const { logger } = context;
  const { container } = prepared;
  const logStream = container.logs
    ? {
        group: container.logs.group,
        stream: awslogsStream(container.logs.streamPrefix, container.container, taskArn),
      }
    : undefined;
  return logger.group(
    `Follow the task until it stops${logStream ? ` (log ${logStream.group} ${logStream.stream})` : ""}`,
    () =>
      followTask(prepared.ecs, logStream ? prepared.logs : undefined, {
        cluster: prepared.task.cluster,
        taskArn,
        container: container.container,
        logStream,
        clock: context.clock,
        logger,
        signal: context.signal,
        timeoutMs: settings.timeoutMs,
        intervalMs: settings.pollIntervalMs,
        tailLines: settings.logTailLines,
        actor: "shipline migrate",
        timeoutFix:
          "Find out what the migration waited on (a lock held by another session is common), or raise `timeout`.",
      }),
  );
}

/** The migration runs on in ECS when AWS stops answering: a new job attempt would start a second one. */
function lostTrackOf(taskArn: string, error: unknown): unknown {
  const explained = awsUserError(error, "migrate");
  if (!explained) return error;
  return new UserError(
    `Task ${taskArn} was started and keeps running in ECS, but this step could not follow it: ${explained.message}`,
    {
      fix: `${explained.fix ?? ""} Before re-running the job, wait for the task to stop and read its exit code and log in the ECS console: a new attempt starts another migration task.`.trim(),
      cause: error,
    },
  );
}

async function startAndFollow(
  context: ActionContext,
  settings: Settings,
  prepared: PreparedTask,
  outcome: MigrationRunOutcome,
): Promise<MigrationRunOutcome> {
  const taskArn = await startTask(context, settings, prepared);
  const started: MigrationRunOutcome = { ...outcome, taskArn };
  let task: TaskOutcome;
  try {
    task = await followToTheEnd(context, settings, prepared, taskArn);
  } catch (error) {
    return { ...started, failure: lostTrackOf(taskArn, error) };
  }
  const run = { kind: "ecs-task", task } as const;
  if (!task.succeeded) {
    const why = explainStoppedTask(
      task,
      "The migration command failed: read its log lines above, fix the migration, and re-run.",
    );
    const failure = new UserError(
      `The migration task failed.\n${describeTaskFailure(task)}\nWhy: ${why.cause}`,
      {
        fix: why.fix,
      },
    );
    return { ...started, run, failure };
  }
  context.logger.info(`Task ${taskArn} exited 0 after ${formatDuration(task.durationMs)}.`);
  return appliedByTool(started, run);
}
