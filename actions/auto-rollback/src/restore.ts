// Per service: find the bad revision and the target, check the target can be deployed, then stop the
// bad deployment with ROLLBACK, follow ECS's own rollback or update the service, follow it to the
// end, and verify the service runs the target with every task healthy.
import {
  type ECSClient,
  type Service,
  UpdateServiceCommand,
  type UpdateServiceCommandOutput,
} from "@aws-sdk/client-ecs";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  chooseTarget,
  decideRollback,
  inferBadRevision,
  type RollbackAction,
  recentDeployments,
  stopWithRollback,
  type TargetChoice,
} from "@shipline/core/ecs/rollback";
import {
  eventIds,
  followRollout,
  isRefusedUpdate,
  type RolloutResult,
  type RolloutWatch,
  startedDeployment,
} from "@shipline/core/ecs/rollout";
import type { ServiceDeploymentsApi } from "@shipline/core/ecs/service-deployments";
import { describeServices } from "@shipline/core/ecs/service-snapshot";
import { type VerificationRound, verifyServiceRuns } from "@shipline/core/ecs/service-verification";
import { revisionLabel, TaskDefinitionCache } from "@shipline/core/ecs/task-definition";
import { UserError } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import { PollTimeoutError } from "@shipline/core/runtime/poller";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Inputs } from "./inputs";
import type { Settings } from "./settings";

export interface ServiceRollbackPlan {
  name: string;
  service: Service;
  bad: string | undefined;
  badStartedAt: Date | undefined;
  target: TargetChoice;
  action: RollbackAction;
  knownEventIds: string[];
}

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

async function deployableTarget(
  cache: TaskDefinitionCache,
  ref: string,
  source: TargetChoice["source"],
): Promise<string> {
  const input = source === "input" ? "task-definition" : "previous-task-definition-arn";
  const { arn, definition } = await cache.get(ref, input, "The rollback target");
  if (definition.status !== "ACTIVE") {
    throw new UserError(
      `The rollback target ${revisionLabel(arn)} is ${definition.status ?? "not ACTIVE"}: a deregistered task definition cannot be deployed again.`,
      {
        input,
        fix: "Register it again (ecs-deploy with the old task definition file and image) and deploy that, or roll back to another ACTIVE revision with `task-definition`. Keep rollback targets with ecs-deploy's keep-revisions, which never deregisters them.",
      },
    );
  }
  return arn;
}

/** The ARN of a task definition given by ARN or family:revision (INACTIVE ones too). */
async function arnOf(cache: TaskDefinitionCache, ref: string): Promise<string> {
  if (ref.startsWith("arn:")) return ref;
  try {
    return (await cache.get(ref, "task-definition-arn")).arn;
  } catch (error) {
    if (error instanceof UserError) return ref;
    throw error;
  }
}

/** When the bad revision's deployment started: deployments[], or the service deployments' history. */
async function startOf(
  service: Service,
  cluster: string,
  api: ServiceDeploymentsApi,
  bad: string,
): Promise<Date | undefined> {
  const listed = service.deployments?.find((d) => d.taskDefinition === bad)?.createdAt;
  if (listed) return listed;
  const recent = (await recentDeployments(service, cluster, api, 10)) ?? [];
  return recent.find((d) => d.taskDefinition === bad)?.deployment.createdAt;
}

/** Reads everything and decides, changing nothing. */
export async function planRollbacks(
  ecs: ECSClient,
  api: ServiceDeploymentsApi,
  inputs: Inputs,
  settings: Settings,
): Promise<ServiceRollbackPlan[]> {
  const services = await describeServices(ecs, inputs.cluster, inputs.services);
  // Services usually share their target (and the bad revision): each definition is read once.
  const definitions = new TaskDefinitionCache(ecs);
  const givenBad = inputs.taskDefinitionArn ? await arnOf(definitions, inputs.taskDefinitionArn) : undefined;
  const plans: ServiceRollbackPlan[] = [];
  for (const [index, service] of services.entries()) {
    const name = service.serviceName ?? "";
    const key = inputs.services[index] ?? name;
    const currentArn = service.currentServiceDeployment;
    const current = currentArn ? await api.describe(currentArn) : undefined;
    const sourceRevisions =
      (await api.revisions(
        (current?.sourceServiceRevisions ?? []).map((r) => r.arn ?? "").filter(Boolean),
      )) ?? [];
    const sources = sourceRevisions
      .map((r) => r.taskDefinition)
      .filter((t): t is string => typeof t === "string");

    let bad: string | undefined;
    let badStartedAt: Date | undefined;
    const badDeploymentArn = settings.badServiceDeployment[key];
    if (givenBad) {
      bad = givenBad;
      badStartedAt = await startOf(service, inputs.cluster, api, bad);
    } else if (badDeploymentArn) {
      const deployment = badDeploymentArn === currentArn ? current : await api.describe(badDeploymentArn);
      const revision = await api.revision(deployment?.targetServiceRevision?.arn ?? "");
      bad = revision?.taskDefinition;
      badStartedAt = deployment?.createdAt;
    } else {
      const inferred = await inferBadRevision(service, inputs.cluster, api);
      bad = inferred.taskDefinitionArn;
      badStartedAt = inferred.startedAt;
    }

    const target = await chooseTarget(service, inputs.cluster, api, {
      explicit: inputs.taskDefinition,
      recorded: settings.recorded[key],
      bad,
    });
    target.taskDefinitionArn = await deployableTarget(definitions, target.taskDefinitionArn, target.source);
    const action = decideRollback(service, current, sources, target.taskDefinitionArn);
    if (bad && target.taskDefinitionArn === bad && action.kind !== "none") {
      throw new UserError(
        `The rollback target of ${name}, ${revisionLabel(target.taskDefinitionArn)}, is the revision being rolled back.`,
        {
          input: target.source === "input" ? "task-definition" : "previous-task-definition-arn",
          fix: "Name the revision that ran before the bad one (ecs-deploy's `previous-task-definition-arn` output).",
        },
      );
    }
    plans.push({ name, service, bad, badStartedAt, target, action, knownEventIds: eventIds(service) });
  }
  return plans;
}

async function startRestore(
  context: ActionContext,
  ecs: ECSClient,
  inputs: Inputs,
  plan: ServiceRollbackPlan,
): Promise<{ watch: RolloutWatch | undefined; action: RollbackAction["kind"] }> {
  const { logger, clock } = context;
  const base = {
    cluster: inputs.cluster,
    service: plan.name,
    taskDefinitionArn: plan.target.taskDefinitionArn,
    knownEventIds: plan.knownEventIds,
    startedAt: clock.now(),
  };
  const action = plan.action;
  if (action.kind === "none") {
    logger.info(`${plan.name}: nothing to change: ${action.why}.`);
    return { watch: undefined, action: "none" };
  }
  if (action.kind === "follow-ecs") {
    logger.info(`${plan.name}: ${action.why}; following it.`);
    return {
      watch: {
        ...base,
        serviceDeploymentArn: action.serviceDeploymentArn,
        deploymentId: action.deploymentId,
        mode: action.rollout,
      },
      action: "follow-ecs",
    };
  }
  if (action.kind === "stop") {
    if (await stopWithRollback(ecs, action.serviceDeploymentArn)) {
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
  let out: UpdateServiceCommandOutput;
  try {
    out = await ecs.send(
      new UpdateServiceCommand({
        cluster: inputs.cluster,
        service: plan.name,
        taskDefinition: plan.target.taskDefinitionArn,
      }),
    );
  } catch (error) {
    if (!isRefusedUpdate(error)) throw error;
    throw new UserError(`ECS refused to roll back service ${plan.name}: ${error.message}`, {
      input: "services",
      fix: "Read ECS's message: the target revision must suit the service (network mode, launch type, load balancer container and port); roll back to another revision with `task-definition`.",
      cause: error,
    });
  }
  logger.info(`${plan.name}: UpdateService to ${revisionLabel(plan.target.taskDefinitionArn)} sent.`);
  return {
    watch: {
      ...base,
      ...startedDeployment(plan.service, out.service, plan.target.taskDefinitionArn, true),
      mode: "deploy",
    },
    action: "update",
  };
}

/** Changes ECS for one service and follows and verifies the result. */
export async function restore(
  context: ActionContext,
  ecs: ECSClient,
  elb: ElasticLoadBalancingV2Client,
  api: ServiceDeploymentsApi,
  inputs: Inputs,
  plan: ServiceRollbackPlan,
): Promise<ServiceRollbackResult> {
  const { logger, clock } = context;
  const startedAt = new Date(clock.now());
  const { watch, action } = await startRestore(context, ecs, inputs, plan);
  const deadline = clock.now() + inputs.waitTimeout;
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
  try {
    if (watch) {
      const rollout = await followRollout(ecs, api, watch, {
        justStarted: action !== "follow-ecs",
        clock,
        logger,
        signal: context.signal,
        intervalMs: inputs.pollInterval,
        timeoutMs: inputs.waitTimeout,
      });
      result.rollout = rollout;
      result.serviceDeploymentArn = rollout.serviceDeploymentArn;
      const sd = rollout.serviceDeployment;
      if (sd?.rollback?.startedAt && watch.mode === "rollback")
        result.rollbackStartedAt = sd.rollback.startedAt;
      else if (sd?.createdAt && watch.mode === "deploy") result.rollbackStartedAt = sd.createdAt;
      if (rollout.outcome === "failed") {
        result.reason = rollout.reason;
        return result;
      }
      result.restoredAt = sd?.finishedAt ?? new Date(rollout.decidedAt);
    }
    result.verification = await verifyServiceRuns(ecs, elb, {
      cluster: inputs.cluster,
      service: plan.name,
      taskDefinitionArn: plan.target.taskDefinitionArn,
      clock,
      logger,
      signal: context.signal,
      intervalMs: inputs.pollInterval,
      timeoutMs: Math.max(inputs.pollInterval, deadline - clock.now()),
    });
    result.verifiedAt = new Date(clock.now());
    result.rolledBack = true;
    result.reason = `${plan.name} runs ${label}: ${result.verification.detail}.`;
    logger.info(result.reason);
  } catch (error) {
    if (!(error instanceof PollTimeoutError)) throw error;
    result.reason = `${plan.name} was not verified on ${label} within wait-timeout (${formatDuration(inputs.waitTimeout)}).`;
  }
  return result;
}
