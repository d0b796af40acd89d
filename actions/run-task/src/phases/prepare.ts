// Reads what the task needs (the service's placement, the task definition's containers) and refuses
// what cannot run. It only reads, so a refused run changes nothing.
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECSClient } from "@aws-sdk/client-ecs";
import { createAwsClient, resolveRegion, warnIfBeyondSessionLife } from "@shipline/core/aws/clients";
import {
  containerOverridesFor,
  describePlacement,
  type OneOffTaskRequest,
  placementFrom,
  type ServicePlacement,
  servicePlacement,
  startedByFor,
  type TaskContainer,
  taskContainer,
} from "@shipline/core/ecs/one-off-task";
import { UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";

export interface PreparedRun {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  region: string;
  target: TaskContainer;
  request: OneOffTaskRequest;
}

export async function prepareRun(context: ActionContext, settings: Settings): Promise<PreparedRun> {
  const { logger } = context;
  const region = resolveRegion(settings.aws, context.env);
  warnIfBeyondSessionLife(settings.timeoutMs, "timeout", logger);
  const ecs = createAwsClient(ECSClient, settings.aws, { logger });
  const logs = createAwsClient(CloudWatchLogsClient, settings.aws, { logger });

  return logger.group("Prepare the task", async () => {
    const service: ServicePlacement | undefined = settings.service
      ? await servicePlacement(ecs, settings.cluster, settings.service)
      : undefined;
    const taskDefinition = settings.taskDefinition ?? service?.taskDefinition;
    if (!taskDefinition) {
      throw new UserError(`Service ${settings.service} names no task definition.`, {
        input: "task-definition",
        fix: "Give `task-definition`.",
      });
    }
    const target = await taskContainer(ecs, taskDefinition, settings.container);
    const placement = placementFrom(service, settings.placement);
    if (target.networkMode === "awsvpc" && !placement.networkConfiguration) {
      throw new UserError(
        `Task definition ${target.taskDefinitionArn} uses the awsvpc network mode, so the task needs subnets, and none were given${settings.service ? ` or found on service ${settings.service}` : ""}.`,
        {
          input: "subnets",
          fix: "Give `subnets` (and `security-groups`), or a `service` whose network the task copies.",
        },
      );
    }
    const containerOverrides = containerOverridesFor(target, settings);
    logger.info(
      `Task definition ${target.taskDefinitionArn}; container ${target.container} decides${settings.command ? `, command ${JSON.stringify(settings.command)}` : " with its own command"}.`,
    );
    logger.info(
      `${service ? `Copied from service ${settings.service} (with the inputs given laid over it)` : "Placement"}: ${describePlacement(placement)}.`,
    );
    for (const override of containerOverrides) {
      const parts = [
        override.environment?.length
          ? `environment ${override.environment.map((e) => e.name).join(", ")}`
          : "",
        override.cpu !== undefined ? `cpu ${override.cpu}` : "",
        override.memory !== undefined ? `memory ${override.memory} MiB` : "",
      ].filter(Boolean);
      if (parts.length > 0) logger.info(`Overrides for ${override.name}: ${parts.join(", ")}.`);
    }
    if (!target.logs) {
      logger.warning(
        `Container ${target.container} does not use the awslogs log driver, so its output cannot be shown here.`,
      );
    }
    const request: OneOffTaskRequest = {
      cluster: settings.cluster,
      taskDefinitionArn: target.taskDefinitionArn,
      containerOverrides,
      placement,
      count: settings.count,
      tags: settings.tags,
      clientToken: settings.clientToken,
      startedBy: startedByFor(settings.clientToken),
    };
    return { ecs, logs, region, target, request };
  });
}
