// The mutating half of ecs-deploy: register the task definition (when new), update each service with
// only what was asked, follow every rollout in parallel to its end, explain failures, and on
// cancellation either ask ECS to roll back or leave it alone.
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import {
  type ContainerDefinition,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
} from "@aws-sdk/client-ecs";
import { explainFailure, type FailureEvidence } from "@shipline/core/ecs/failure-explainer";
import { stopWithRollback } from "@shipline/core/ecs/rollback";
import {
  followRollout,
  isRefusedUpdate,
  type RolloutResult,
  type RolloutWatch,
  startedDeployment,
} from "@shipline/core/ecs/rollout";
import type { ServiceDeploymentsApi } from "@shipline/core/ecs/service-deployments";
import { isSettled, primaryDeployment } from "@shipline/core/ecs/service-snapshot";
import { revisionLabel, type TaskDefinitionInput } from "@shipline/core/ecs/task-definition";
import { CancelledError, errorMessage, isAbortError, UserError } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import type { Logger } from "@shipline/core/runtime/logger";
import { PollTimeoutError } from "@shipline/core/runtime/poller";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Inputs } from "./inputs";
import type { ServicePlan } from "./prepare";

export type ServiceStatus = "succeeded" | "unchanged" | "started" | "failed" | "timed-out" | "cancelled";

export interface ServiceOutcome {
  name: string;
  action: ServicePlan["action"]["kind"];
  status: ServiceStatus;
  reason: string;
  serviceDeploymentArn: string | undefined;
  rollout?: RolloutResult;
  evidence?: FailureEvidence;
  /** What to do about a failure that is not a rollout's (ECS refused the update). */
  fix?: string;
  /** What was done about the rollout when the run was cancelled. */
  cancelAction?: string;
}

export async function registerTaskDefinition(
  ecs: ECSClient,
  rendered: TaskDefinitionInput,
  logger: Logger,
): Promise<{ arn: string; containers: ContainerDefinition[] }> {
  try {
    const out = await ecs.send(new RegisterTaskDefinitionCommand(rendered));
    const arn = out.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new Error("RegisterTaskDefinition returned no ARN");
    logger.info(`Registered ${revisionLabel(arn)}.`);
    return { arn, containers: out.taskDefinition?.containerDefinitions ?? [] };
  } catch (error) {
    if (error instanceof Error && ["ClientException", "InvalidParameterException"].includes(error.name)) {
      throw new UserError(`ECS refused the task definition: ${error.message}`, {
        input: "task-definition",
        fix: "Correct the task definition (cpu/memory combinations, roles, container settings) and deploy again.",
        cause: error,
      });
    }
    throw error;
  }
}

export interface StartedRollout {
  plan: ServicePlan;
  watch: RolloutWatch | undefined;
}

/** Sends UpdateService with only what was asked, and returns what to follow. */
export async function startRollout(
  ecs: ECSClient,
  cluster: string,
  plan: ServicePlan,
  taskDefinitionArn: string,
  clock: { now(): number },
  logger: Logger,
): Promise<StartedRollout> {
  const { action, service } = plan;
  const base = {
    cluster,
    service: plan.name,
    taskDefinitionArn,
    knownEventIds: plan.knownEventIds,
  };
  if (action.kind === "none") {
    logger.info(`${plan.name}: nothing to do, ${action.why}.`);
    return { plan, watch: undefined };
  }
  if (action.kind === "follow") {
    logger.info(`${plan.name}: no update, ${action.why}; following it.`);
    return {
      plan,
      watch: {
        ...base,
        serviceDeploymentArn: service.currentServiceDeployment,
        deploymentId: primaryDeployment(service)?.id,
        startedAt: clock.now(),
        mode: "deploy",
      },
    };
  }
  const request: UpdateServiceCommandInput = { cluster, service: plan.name };
  if (action.taskDefinition) request.taskDefinition = taskDefinitionArn;
  if (action.desiredCount !== undefined) request.desiredCount = action.desiredCount;
  if (action.forceNewDeployment) request.forceNewDeployment = true;
  const startedAt = clock.now();
  let updated: Awaited<ReturnType<typeof send>>;
  const send = () => ecs.send(new UpdateServiceCommand(request));
  try {
    updated = await send();
  } catch (error) {
    if (isRefusedUpdate(error)) {
      throw new UserError(`ECS refused to update service ${plan.name}: ${error.message}`, {
        input: "services",
        fix: "Read ECS's message: the task definition must suit the service (network mode, launch type, load balancer container and port).",
        cause: error,
      });
    }
    throw error;
  }
  const sent = Object.keys(request).filter((k) => k !== "cluster" && k !== "service");
  logger.info(`${plan.name}: UpdateService (${action.why}) with ${sent.join(", ")}.`);
  const newDeployment = action.taskDefinition || action.forceNewDeployment;
  const mode = newDeployment || !isSettled(service) ? "deploy" : "scale";
  const started = startedDeployment(service, updated.service, taskDefinitionArn, newDeployment);
  return { plan, watch: { ...base, ...started, startedAt, mode } };
}

export interface FollowSettings {
  context: ActionContext;
  inputs: Inputs;
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  api: ServiceDeploymentsApi;
  containers: readonly ContainerDefinition[];
  /** Per service, the service deployment its follower found (for a cancellation to stop it). */
  serviceDeployments: Map<string, string>;
  /** Per service, the outcome of a follow that ended (a cancellation leaves those alone). */
  finished: Map<string, ServiceOutcome>;
}

async function followOne(settings: FollowSettings, started: StartedRollout): Promise<ServiceOutcome> {
  const { context, inputs, ecs, logs, api } = settings;
  const { plan, watch } = started;
  if (!watch) {
    return {
      name: plan.name,
      action: plan.action.kind,
      status: "unchanged",
      reason: plan.action.why,
      serviceDeploymentArn: plan.service.currentServiceDeployment,
    };
  }
  let rollout: RolloutResult;
  const seenEvents: RolloutResult["events"] = [];
  try {
    rollout = await followRollout(ecs, api, watch, {
      events: seenEvents,
      onServiceDeployment: (arn) => settings.serviceDeployments.set(plan.name, arn),
      justStarted: plan.action.kind === "update",
      clock: context.clock,
      logger: context.logger,
      signal: context.signal,
      intervalMs: inputs.pollInterval,
      timeoutMs: inputs.waitTimeout,
    });
  } catch (error) {
    if (!(error instanceof PollTimeoutError)) throw error;
    const reason = `The rollout did not finish within wait-timeout (${formatDuration(inputs.waitTimeout)}); ECS carries on with it.`;
    context.logger.info(`${plan.name}: ${reason}`);
    return {
      name: plan.name,
      action: plan.action.kind,
      status: "timed-out",
      reason,
      serviceDeploymentArn: settings.serviceDeployments.get(plan.name) ?? watch.serviceDeploymentArn,
      evidence: await explainFailure(ecs, logs, evidenceRequest(settings, watch, seenEvents), context.logger),
    };
  }
  const outcome: ServiceOutcome = {
    name: plan.name,
    action: plan.action.kind,
    status: rollout.outcome,
    reason: rollout.reason,
    serviceDeploymentArn: rollout.serviceDeploymentArn,
    rollout,
  };
  if (rollout.outcome === "succeeded") {
    context.logger.info(`${plan.name}: ${rollout.reason}`);
    return outcome;
  }
  context.logger.info(`${plan.name}: ${rollout.reason}`);
  outcome.evidence = await explainFailure(
    ecs,
    logs,
    evidenceRequest(settings, watch, rollout.events),
    context.logger,
  );
  return outcome;
}

function evidenceRequest(settings: FollowSettings, watch: RolloutWatch, events: RolloutResult["events"]) {
  return {
    cluster: watch.cluster,
    service: watch.service,
    taskDefinitionArn: watch.taskDefinitionArn,
    containers: settings.containers,
    events,
    deploymentId: watch.deploymentId,
    tailLines: settings.inputs.logTailLines,
  };
}

/**
 * Follows every rollout at once. A failing service does not stop the others being followed: the
 * report then says which ones made it. Timeouts and cancellation end all of them.
 */
export async function followAll(
  settings: FollowSettings,
  rollouts: StartedRollout[],
): Promise<ServiceOutcome[]> {
  // allSettled: every follower has stopped polling before the step goes on (or ends).
  const settled = await Promise.allSettled(
    rollouts.map(async (r) => {
      const outcome = await followOne(settings, r);
      settings.finished.set(r.plan.name, outcome);
      return outcome;
    }),
  );
  const rejected = settled.filter((s): s is PromiseRejectedResult => s.status === "rejected");
  const cancelled = rejected.find((r) => isCancellation(r.reason));
  if (cancelled) throw cancelled.reason;
  if (rejected[0]) throw rejected[0].reason;
  return settled.map((s) => (s as PromiseFulfilledResult<ServiceOutcome>).value);
}

/** On cancellation: stop each rollout with ROLLBACK (rollback-on-cancel), or leave ECS alone and say so. */
export async function handleCancellation(
  settings: FollowSettings,
  rollouts: StartedRollout[],
): Promise<{ message: string; actions: Record<string, string> }> {
  const { context, inputs, ecs } = settings;
  const { logger } = context;
  // A rollout whose outcome was known before the cancellation is left as it is: there is nothing in
  // flight to stop (ECS would refuse), and its outcome stays in the report.
  const inFlight = rollouts.filter(
    (r) => r.watch && r.watch.mode !== "scale" && !settings.finished.has(r.plan.name),
  );
  const actions: Record<string, string> = {};
  for (const [name, outcome] of settings.finished) {
    actions[name] = `already ${outcome.status} before the cancellation; left as it is`;
  }
  if (!inputs.rollbackOnCancel) {
    for (const r of inFlight) actions[r.plan.name] = "left running";
    const message =
      "The workflow run was cancelled while following the rollout. ECS was left alone: the deployment carries on (and its circuit breaker still applies). " +
      "Set `rollback-on-cancel: true` to have cancellation roll it back.";
    logger.warning(message);
    return { message, actions };
  }
  for (const r of inFlight) {
    const watch = r.watch as RolloutWatch;
    const serviceDeploymentArn = settings.serviceDeployments.get(r.plan.name) ?? watch.serviceDeploymentArn;
    try {
      if (serviceDeploymentArn) {
        if (await stopWithRollback(ecs, serviceDeploymentArn)) {
          actions[r.plan.name] = `StopServiceDeployment ROLLBACK ${serviceDeploymentArn}`;
          logger.warning(
            `${r.plan.name}: asked ECS to roll back service deployment ${serviceDeploymentArn}.`,
          );
        } else {
          actions[r.plan.name] = "finished before the stop arrived; left as it is";
          logger.warning(
            `${r.plan.name}: ${serviceDeploymentArn} finished before the stop arrived; left as it is.`,
          );
        }
      } else if (r.plan.rollbackTarget) {
        await ecs.send(
          new UpdateServiceCommand({
            cluster: watch.cluster,
            service: r.plan.name,
            taskDefinition: r.plan.rollbackTarget.taskDefinitionArn,
          }),
        );
        actions[r.plan.name] = `UpdateService to ${r.plan.rollbackTarget.taskDefinitionArn}`;
        logger.warning(
          `${r.plan.name}: put ${revisionLabel(r.plan.rollbackTarget.taskDefinitionArn)} back (no service deployment to stop).`,
        );
      } else {
        actions[r.plan.name] = "nothing to roll back to";
        logger.warning(`${r.plan.name}: no rollback target is known; ECS was left alone.`);
      }
    } catch (error) {
      actions[r.plan.name] = `rollback failed: ${errorMessage(error)}`;
      logger.warning(
        `${r.plan.name}: could not roll back (${errorMessage(error)}); check the service in the ECS console.`,
      );
    }
  }
  return {
    message: `The workflow run was cancelled while following the rollout; ECS was asked to roll back (${Object.entries(
      actions,
    )
      .map(([service, action]) => `${service}: ${action}`)
      .join("; ")}).`,
    actions,
  };
}

export function isCancellation(error: unknown): boolean {
  return error instanceof CancelledError || isAbortError(error);
}
