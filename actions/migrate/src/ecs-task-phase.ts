// Mode ecs-task: the migration as a one-off task in the service's VPC, its log streamed into the job,
// judged by the container's exit code.
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import {
  awsSettingsFromInputs,
  createAwsClient,
  resolveRegion,
  warnIfBeyondSessionLife,
} from "@shipline/core/aws/clients";
import { awsUserError } from "@shipline/core/aws/errors";
import {
  awslogsStream,
  clientTokenFor,
  describeTaskFailure,
  followTask,
  runOneOffTask,
  servicePlacement,
  taskContainer,
  taskFailureFix,
} from "@shipline/core/ecs/one-off-task";
import { UserError } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import { SummaryBuilder } from "@shipline/core/runtime/summary";
import type { Inputs } from "./inputs";
import type { Settings } from "./settings";

export interface EcsTaskResult {
  taskArn: string;
  exitCode: number;
  durationMs: number;
}

/** What the task will run and where, read from the service and the task definition. */
export interface PreparedEcsTask {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  cluster: string;
  placement: Awaited<ReturnType<typeof servicePlacement>>;
  container: Awaited<ReturnType<typeof taskContainer>>;
}

/**
 * Reads the service's placement and the task definition's container, and refuses what cannot run:
 * only reads, so it goes before the backup and a refused run changes nothing.
 */
export async function prepareEcsTask(
  context: ActionContext,
  inputs: Inputs,
  settings: Settings,
): Promise<PreparedEcsTask> {
  const { logger } = context;
  const cluster = inputs.cluster as string;
  const service = inputs.service as string;
  const taskDefinition = inputs.taskDefinition as string;
  const aws = awsSettingsFromInputs(inputs);
  resolveRegion(aws);
  warnIfBeyondSessionLife(inputs.timeout, "timeout", logger);
  const ecs = createAwsClient(ECSClient, aws, { logger });
  const logs = createAwsClient(CloudWatchLogsClient, aws, { logger });

  return logger.group("Prepare the one-off task", async () => {
    const placement = await servicePlacement(ecs, cluster, service);
    const container = await taskContainer(ecs, taskDefinition, inputs.container);
    const network = placement.networkConfiguration?.awsvpcConfiguration;
    logger.info(
      `Task definition ${container.taskDefinitionArn}, container ${container.container}${settings.command ? `, command ${JSON.stringify(settings.command)}` : " with its own command"}.`,
    );
    logger.info(
      `Copied from service ${service}: ${placement.capacityProviderStrategy ? `capacity providers ${placement.capacityProviderStrategy.map((c) => c.capacityProvider).join(", ")}` : `launch type ${placement.launchType ?? "default"}`}${placement.platformVersion ? `, platform ${placement.platformVersion}` : ""}${network ? `, subnets ${(network.subnets ?? []).join(", ")}, security groups ${(network.securityGroups ?? []).join(", ")}, public IP ${network.assignPublicIp ?? "DISABLED"}` : ", no awsvpc network configuration"}.`,
    );
    if (!container.logs) {
      logger.warning(
        `Container ${container.container} does not use the awslogs log driver, so its output cannot be shown here.`,
      );
    }
    return { ecs, logs, cluster, placement, container };
  });
}

export async function runEcsTask(
  context: ActionContext,
  inputs: Inputs,
  settings: Settings,
  prepared: PreparedEcsTask,
  onStarted: (taskArn: string) => void,
): Promise<EcsTaskResult> {
  const { logger, env, summary } = context;
  const { ecs, logs, cluster } = prepared;

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
    const started = await runOneOffTask(ecs, {
      cluster,
      taskDefinition: prepared.container.taskDefinitionArn,
      container: prepared.container.container,
      command: settings.command,
      placement: prepared.placement,
      clientToken,
      startedBy: `shipline-migrate${env.GITHUB_RUN_ID ? `-run-${env.GITHUB_RUN_ID}` : ""}`,
    });
    logger.info(`Started ${started.taskArn} (${started.lastStatus ?? "PROVISIONING"}).`);
    return started;
  });
  const taskArn = task.taskArn as string;
  onStarted(taskArn);
  const logStream = prepared.container.logs
    ? {
        group: prepared.container.logs.group,
        stream: awslogsStream(prepared.container.logs.streamPrefix, prepared.container.container, taskArn),
      }
    : undefined;

  let outcome: Awaited<ReturnType<typeof followTask>>;
  try {
    outcome = await logger.group(
      `Follow the task until it stops${logStream ? ` (log ${logStream.group} ${logStream.stream})` : ""}`,
      () =>
        followTask(ecs, logStream ? logs : undefined, {
          cluster,
          taskArn,
          container: prepared.container.container,
          logStream,
          clock: context.clock,
          logger,
          signal: context.signal,
          timeoutMs: inputs.timeout,
          intervalMs: inputs.pollInterval,
          tailLines: inputs.logTailLines,
          onLine: (line) => logger.info(`│ ${logger.secrets.redact(line.message)}`),
        }),
    );
  } catch (error) {
    // The migration runs on in ECS when AWS stops answering: a new attempt of the job would start a
    // second one next to it, so the user is told to wait for this one first.
    const explained = awsUserError(error, "migrate");
    if (!explained) throw error;
    throw new UserError(
      `Task ${taskArn} was started and keeps running in ECS, but this step could not follow it: ${explained.message}`,
      {
        fix: `${explained.fix ?? ""} Before re-running the job, wait for the task to stop and read its exit code and log in the ECS console: a new attempt starts another migration task.`.trim(),
        cause: error,
      },
    );
  }

  summary.heading("One-off task", 3);
  summary.table(
    ["Task", "Container", "Exit code", "Stop code", "Stopped reason", "Took"],
    [
      [
        taskArn,
        outcome.container.name,
        outcome.container.exitCode ?? "none",
        outcome.stopCode ?? "",
        outcome.stoppedReason ?? "",
        formatDuration(outcome.durationMs),
      ],
    ],
  );
  if (!outcome.succeeded) {
    if (outcome.logTail.length > 0) {
      summary.details(
        `Last ${outcome.logTail.length} log lines`,
        new SummaryBuilder().code(outcome.logTail.map((l) => l.message).join("\n")),
        true,
      );
    }
    throw new UserError(`The migration task failed.\n${describeTaskFailure(outcome)}`, {
      fix: taskFailureFix(outcome),
    });
  }
  logger.info(`Task ${taskArn} exited 0 after ${formatDuration(outcome.durationMs)}.`);
  return { taskArn, exitCode: 0, durationMs: outcome.durationMs };
}
