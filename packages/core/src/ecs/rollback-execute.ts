// Carrying out a rollback plan, every service in parallel: stop the bad deployment with ROLLBACK,
// follow ECS's own rollback or update the service, follow it to the end, and verify the service runs
// the target with every task healthy. What happened is returned as a RollbackOutcome: a service ECS
// refused, AWS failing mid-way and a cancellation are parts of it, not exceptions.

import type { ECSClient, Service, UpdateServiceCommandOutput } from "@aws-sdk/client-ecs";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { BatchedReader } from "../aws/batched-reader";
import { awsUserError } from "../aws/errors";
import type { Clock } from "../runtime/clock";
import { CancelledError, errorMessage, isAbortError, UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";
import { PollTimeoutError } from "../runtime/poller";
import { type RollbackAction, stopWithRollback } from "./rollback";
import type { RollbackPlan, ServiceRollbackPlan } from "./rollback-plan";
import {
  batchWindow,
  followRollout,
  isRefusedUpdate,
  type RolloutResult,
  type RolloutWatch,
  serviceReader,
  startedDeployment,
} from "./rollout";
import type { ServiceDeploymentsApi } from "./service-deployments";
import { sendUpdateService } from "./service-update";
import { type VerificationRound, verifyServiceRuns } from "./service-verification";
import { revisionLabel } from "./task-definition";

export interface ServiceRollbackResult {
  plan: ServiceRollbackPlan;
  action: RollbackAction["kind"];
  rolledBack: boolean;
  reason: string;
  serviceDeploymentArn: string | undefined;
  rollout?: RolloutResult;
  verification?: VerificationRound;
  rollbackStartedAt: Date | undefined;
  restoredAt: Date | undefined;
  verifiedAt: Date | undefined;
}

export interface RollbackOutcome {
  /** One per service, in the plan's order. */
  services: ServiceRollbackResult[];
  /** Every service runs its target with every task healthy (a superseded service does not). */
  rolledBack: boolean;
  /** The workflow was cancelled while the rollback was followed: why the step stopped. */
  cancelled?: string;
  /** Neither a UserError nor an AWS failure the user can act on: a bug, raised once the rest is reported. */
  unexpected?: unknown;
  /** What the user can do about the AWS failures met while rolling back. */
  awsFixes: string[];
}

export interface RollbackDeps {
  ecs: ECSClient;
  elb: ElasticLoadBalancingV2Client | undefined;
  api: ServiceDeploymentsApi;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal | undefined;
}

export interface RollbackOptions {
  pollIntervalMs: number;
  /** How long to wait for the service to run the target with every task healthy. */
  waitTimeoutMs: number;
  /** The action's name, in explanations of AWS failures. */
  caller: string;
}

function watchOf(cluster: string, plan: ServiceRollbackPlan, now: number) {
  return {
    cluster,
    service: plan.name,
    taskDefinitionArn: plan.target.taskDefinitionArn,
    knownEventIds: plan.knownEventIds,
    startedAt: now,
  };
}

async function updateToTarget(
  deps: RollbackDeps,
  cluster: string,
  plan: ServiceRollbackPlan,
): Promise<{ watch: RolloutWatch; action: RollbackAction["kind"] }> {
  let out: UpdateServiceCommandOutput;
  const taskDefinition = plan.target.taskDefinitionArn;
  try {
    out = await sendUpdateService(
      deps.ecs,
      { cluster, service: plan.name, taskDefinition },
      plan.service,
      deps.logger,
    );
  } catch (error) {
    if (!isRefusedUpdate(error)) throw error;
    throw new UserError(`ECS refused to roll back service ${plan.name}: ${error.message}`, {
      input: "services",
      fix: "Read ECS's message: the target revision must suit the service (network mode, launch type, load balancer container and port); roll back to another revision with `task-definition`.",
      cause: error,
    });
  }
  deps.logger.info(`${plan.name}: UpdateService to ${revisionLabel(taskDefinition)} sent.`);
  const started = startedDeployment(plan.service, out.service, taskDefinition, true);
  return {
    watch: { ...watchOf(cluster, plan, deps.clock.now()), ...started, mode: "deploy" },
    action: "update",
  };
}

/** Changes ECS as the plan says, and returns what to follow (nothing when already on the target). */
async function startRestore(
  deps: RollbackDeps,
  cluster: string,
  plan: ServiceRollbackPlan,
): Promise<{ watch: RolloutWatch | undefined; action: RollbackAction["kind"] }> {
  const { logger, clock } = deps;
  const action = plan.action;
  if (action.kind === "none") {
    logger.info(`${plan.name}: nothing to change: ${action.why}.`);
    return { watch: undefined, action: "none" };
  }
  const base = watchOf(cluster, plan, clock.now());
  if (action.kind === "follow-ecs") {
    logger.info(`${plan.name}: ${action.why}; following it.`);
    const watch = {
      ...base,
      serviceDeploymentArn: action.serviceDeploymentArn,
      deploymentId: action.deploymentId,
    };
    return { watch: { ...watch, mode: action.rollout }, action: "follow-ecs" };
  }
  if (action.kind === "stop") {
    if (await stopWithRollback(deps.ecs, action.serviceDeploymentArn)) {
      logger.info(
        `${plan.name}: ${action.why}: StopServiceDeployment ROLLBACK sent for ${action.serviceDeploymentArn}.`,
      );
      return {
        watch: { ...base, serviceDeploymentArn: action.serviceDeploymentArn, mode: "rollback" },
        action: "stop",
      };
    }
    logger.info(
      `${plan.name}: the bad deployment finished before it could be stopped; updating the service instead.`,
    );
  }
  return updateToTarget(deps, cluster, plan);
}

/** Changes ECS for one service, follows the change and verifies the result. */
async function restore(
  deps: RollbackDeps,
  cluster: string,
  plan: ServiceRollbackPlan,
  options: RollbackOptions,
  reader: BatchedReader<Service>,
): Promise<ServiceRollbackResult> {
  const { logger, clock, signal } = deps;
  if (plan.action.kind === "superseded") {
    // Left as it is: not a rollback that failed, and nothing to verify.
    const reason = `${plan.name}: ${plan.action.why}.`;
    logger.warning(reason);
    return notRestored(plan, reason);
  }
  const startedAt = new Date(clock.now());
  const { watch, action } = await startRestore(deps, cluster, plan);
  const deadline = clock.now() + options.waitTimeoutMs;
  const result: ServiceRollbackResult = {
    plan,
    action,
    rolledBack: false,
    reason: "",
    serviceDeploymentArn: watch ? watch.serviceDeploymentArn : plan.service.currentServiceDeployment,
    rollbackStartedAt: watch ? startedAt : undefined,
    restoredAt: undefined,
    verifiedAt: undefined,
  };
  const label = revisionLabel(plan.target.taskDefinitionArn);
  const timing = { clock, logger, signal, intervalMs: options.pollIntervalMs };
  try {
    if (watch) {
      const rollout = await followRollout(deps.ecs, deps.api, watch, {
        ...timing,
        justStarted: action !== "follow-ecs",
        services: reader,
        timeoutMs: options.waitTimeoutMs,
      });
      result.rollout = rollout;
      result.serviceDeploymentArn = rollout.serviceDeploymentArn;
      const sd = rollout.serviceDeployment;
      if (sd?.rollback?.startedAt && watch.mode === "rollback")
        result.rollbackStartedAt = sd.rollback.startedAt;
      else if (sd?.createdAt && watch.mode === "deploy") result.rollbackStartedAt = sd.createdAt;
      if (rollout.outcome === "failed") return { ...result, reason: rollout.reason };
      result.restoredAt = sd?.finishedAt ?? new Date(rollout.decidedAt);
    }
    result.verification = await verifyServiceRuns(deps.ecs, deps.elb, {
      ...timing,
      cluster,
      service: plan.name,
      taskDefinitionArn: plan.target.taskDefinitionArn,
      timeoutMs: Math.max(options.pollIntervalMs, deadline - clock.now()),
    });
    result.verifiedAt = new Date(clock.now());
    result.rolledBack = true;
    result.reason = `${plan.name} runs ${label}: ${result.verification.detail}.`;
    logger.info(result.reason);
  } catch (error) {
    if (!(error instanceof PollTimeoutError)) throw error;
    result.reason = `${plan.name} was not verified on ${label} within wait-timeout (${formatDuration(options.waitTimeoutMs)}).`;
  }
  return result;
}

function notRestored(plan: ServiceRollbackPlan, reason: string): ServiceRollbackResult {
  return {
    plan,
    action: plan.action.kind,
    rolledBack: false,
    reason,
    serviceDeploymentArn: undefined,
    rollbackStartedAt: undefined,
    restoredAt: undefined,
    verifiedAt: undefined,
  };
}

/**
 * Rolls every service back at once. allSettled: every follower has stopped before the step goes on,
 * and a service whose rollback could not even start (ECS refused it) is reported beside the others
 * rather than hiding them.
 */
export async function executeRollback(
  deps: RollbackDeps,
  plan: RollbackPlan,
  options: RollbackOptions,
): Promise<RollbackOutcome> {
  // The followers share their reads: one DescribeServices per poll for up to ten services.
  const reader = serviceReader(deps.ecs, plan.cluster, batchWindow(options.pollIntervalMs));
  const settled = await Promise.allSettled(
    plan.services.map((s) => restore(deps, plan.cluster, s, options, reader)),
  );
  const cancelled = settled.some(
    (s) => s.status === "rejected" && (s.reason instanceof CancelledError || isAbortError(s.reason)),
  );
  const awsFixes = new Set<string>();
  let unexpected: unknown;
  const services = settled.map((s, i) => {
    const service = plan.services[i] as ServiceRollbackPlan;
    if (s.status === "fulfilled") return s.value;
    const explained = s.reason instanceof UserError ? undefined : awsUserError(s.reason, options.caller);
    if (explained?.fix) awsFixes.add(explained.fix);
    if (!(s.reason instanceof UserError) && !explained) unexpected ??= s.reason;
    return notRestored(service, `${service.name}: ${explained?.message ?? errorMessage(s.reason)}`);
  });
  const outcome: RollbackOutcome = {
    services,
    rolledBack: services.every((r) => r.rolledBack),
    awsFixes: [...awsFixes],
    ...(unexpected === undefined ? {} : { unexpected }),
  };
  if (!cancelled) return outcome;
  return {
    ...outcome,
    rolledBack: false,
    cancelled:
      "The workflow run was cancelled while the rollback was followed. Nothing was stopped: ECS carries on with the rollback; check the service in the ECS console.",
  };
}
