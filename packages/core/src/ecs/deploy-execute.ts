// Carrying out a deploy plan: register the task definition (when new), update each service with only
// what was asked, follow every rollout in parallel to its end and explain failures. What happened is
// returned as a DeployOutcome: ECS refusing one service's update, a cancellation (with what was done
// about the rollouts in flight) and AWS going silent mid-follow are parts of it, not exceptions.
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import {
  type ContainerDefinition,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandOutput,
  type Service,
  type ServiceRevision,
  type TaskDefinition,
  UpdateServiceCommand,
  type UpdateServiceCommandInput,
  type UpdateServiceCommandOutput,
} from "@aws-sdk/client-ecs";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { BatchedReader } from "../aws/batched-reader";
import { awsUserError } from "../aws/errors";
import { sendMutation } from "../aws/mutation";
import type { CodeDeployReport } from "../codedeploy/deployment";
import type { HttpClient } from "../health/http";
import type { Clock } from "../runtime/clock";
import { CancelledError, errorMessage, isAbortError, UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";
import { PollTimeoutError } from "../runtime/poller";
import { changesServices, type DeployPlan, type ServicePlan } from "./deploy-plan";
import { explainFailure, type FailureEvidence } from "./failure-explainer";
import { stopWithRollback } from "./rollback";
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
import { isSettled, primaryDeployment } from "./service-snapshot";
import { sendUpdateService, settingsRequest, settingsStartDeployment } from "./service-update";
import { type StepReport, StepWatch, type StepWatchSettings } from "./step-watch";
import { type StrategyRequest, serviceStrategy, strategyUpdate } from "./strategy";
import {
  containerImages,
  revisionLabel,
  sameTaskDefinition,
  TaskDefinitionCache,
  type TaskDefinitionInput,
} from "./task-definition";
import type { TrafficStepsReport } from "./weighted-steps-report";

/** The task definition a deploy puts on the services. */
export interface DeployRevision {
  arn: string;
  containers: readonly ContainerDefinition[];
  /** Registered by this run (false: an identical or given revision reused). */
  registered: boolean;
}

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
  /** A native strategy's steps, as shipline judged them. */
  steps?: StepReport;
}

export type DeployStatus = "unchanged" | "succeeded" | "started" | "failed" | "timed-out" | "cancelled";

export interface DeployOutcome {
  status: DeployStatus;
  taskDefinitionArn: string;
  /** One per service, in the plan's order. */
  services: ServiceOutcome[];
  /** container -> image: the digests that ran once a rollout succeeded, else the definition's images. */
  images: Record<string, string>;
  /**
   * What ended the run before the rollouts' own ends: the workflow was cancelled, or an error (every
   * update refused, AWS no longer answering while ECS carries on, a bug). The report raises it.
   */
  interruption?: { kind: "cancelled"; message: string } | { kind: "error"; error: unknown };
  /** One service's update was refused for a reason that is a bug: raised once the rest is reported. */
  unexpected?: unknown;
  /** What shipline-driven traffic steps did (traffic-rule). */
  trafficSteps?: TrafficStepsReport;
  /** The CodeDeploy deployment of a CODE_DEPLOY service. */
  codeDeploy?: CodeDeployReport;
}

export interface DeployDeps {
  ecs: ECSClient;
  logs: CloudWatchLogsClient;
  api: ServiceDeploymentsApi;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal | undefined;
  /** For judging the steps of native strategies: metrics and alarms, target groups, probes. */
  cloudwatch?: CloudWatchClient;
  elbv2?: ElasticLoadBalancingV2Client;
  http?: HttpClient;
}

export interface DeployOptions {
  /** Follow the rollouts to their end (false: return right after UpdateService). */
  wait: boolean;
  pollIntervalMs: number;
  waitTimeoutMs: number;
  /** On cancellation, stop the rollouts in flight with ROLLBACK (else leave ECS alone). */
  rollbackOnCancel: boolean;
  logTailLines: number;
  /** The action's name, in explanations of AWS failures ("AWS kept throttling ecs-deploy's calls"). */
  caller: string;
  /** The deployment strategy to configure with the update (undefined: the services' own). */
  strategy?: StrategyRequest | undefined;
  /** Judge each step of a blue/green, canary or linear deployment (undefined: ECS alone decides). */
  judge?: StepWatchSettings | undefined;
}

export function isCancellation(error: unknown): boolean {
  return error instanceof CancelledError || isAbortError(error);
}

/**
 * RegisterTaskDefinition, once: after a lost answer the family's newest revision is read and taken
 * when it equals what was sent, so a retry never leaves a second, unused revision. ECS refusing the
 * definition is the user's to fix.
 */
export async function registerTaskDefinition(
  ecs: ECSClient,
  rendered: TaskDefinitionInput,
  logger: Logger,
): Promise<DeployRevision> {
  const asRevision = (definition: TaskDefinition | undefined): DeployRevision => {
    const arn = definition?.taskDefinitionArn;
    if (!arn) throw new Error("RegisterTaskDefinition returned no ARN");
    return { arn, containers: definition?.containerDefinitions ?? [], registered: true };
  };
  try {
    const revision = await sendMutation(
      ecs,
      new RegisterTaskDefinitionCommand(rendered),
      (out: RegisterTaskDefinitionCommandOutput) => asRevision(out.taskDefinition),
      {
        operation: "RegisterTaskDefinition",
        tookEffect: async () => {
          // Read afresh (not from the plan's cache): the family's newest revision now.
          const newest = rendered.family
            ? await new TaskDefinitionCache(ecs).find(rendered.family)
            : undefined;
          return newest && sameTaskDefinition(rendered, newest.definition, { b: newest.tags })
            ? asRevision(newest.definition)
            : undefined;
        },
        describe: (r) => revisionLabel(r.arn),
        logger,
      },
    );
    logger.info(`Registered ${revisionLabel(revision.arn)}.`);
    return revision;
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

/** The revision the plan reuses (identical or given), when it registers nothing. */
export function reusedRevision(plan: DeployPlan): DeployRevision | undefined {
  if (!plan.reuse) return undefined;
  return {
    arn: plan.reuse.arn,
    containers: plan.reuse.definition.containerDefinitions ?? [],
    registered: false,
  };
}

/** The images of what the plan deploys, as the task definition names them. */
export function plannedImages(plan: DeployPlan): Record<string, string> {
  return containerImages(plan.reuse ? plan.reuse.definition : plan.rendered);
}

/** `image@digest` per container from the service revision that ran, else the definition's images. */
export function imagesFrom(
  revision: ServiceRevision | undefined,
  definitionImages: Record<string, string>,
): Record<string, string> {
  const out: Record<string, string> = { ...definitionImages };
  for (const c of revision?.containerImages ?? []) {
    if (!c.containerName || !c.image) continue;
    out[c.containerName] =
      c.image.includes("@") || !c.imageDigest
        ? c.image
        : `${c.image.replace(/:[^:/]+$/, "")}@${c.imageDigest}`;
  }
  return out;
}

/**
 * The images with the digests that ran, from a service revision; the task definition's images when
 * it cannot be read (the service deployments API then gives up with its one warning).
 */
async function imagesThatRan(
  deps: DeployDeps,
  revisionArn: string | undefined,
  definitionImages: Record<string, string>,
): Promise<Record<string, string>> {
  if (!revisionArn) return definitionImages;
  return imagesFrom(await deps.api.revision(revisionArn), definitionImages);
}

/** The status of the whole deploy from the services'. */
export function deployStatus(outcomes: readonly ServiceOutcome[]): DeployStatus {
  const statuses = outcomes.map((o) => o.status);
  for (const worst of ["cancelled", "failed", "timed-out"] as const)
    if (statuses.includes(worst)) return worst;
  if (statuses.every((s) => s === "unchanged")) return "unchanged";
  if (statuses.includes("started")) return "started";
  return "succeeded";
}

// ---- update ------------------------------------------------------------------------------------

interface StartedRollout {
  plan: ServicePlan;
  watch: RolloutWatch | undefined;
  steps?: StepWatch | undefined;
}

interface ServiceUpdates {
  started: StartedRollout[];
  /** Services whose update ECS (or AWS) refused, as failed outcomes. */
  refused: ServiceOutcome[];
  /** The first refusal: the error of a run that changed nothing, or a bug to raise after reporting. */
  refusal: unknown;
}

function followWatch(plan: ServicePlan, base: Omit<RolloutWatch, "mode" | "startedAt">, now: number) {
  return {
    ...base,
    serviceDeploymentArn: plan.service.currentServiceDeployment,
    deploymentId: primaryDeployment(plan.service)?.id,
    startedAt: now,
    mode: "deploy" as const,
  };
}

/** Sends UpdateService with only what was asked, and returns what to follow. */
async function startRollout(
  deps: DeployDeps,
  cluster: string,
  plan: ServicePlan,
  taskDefinitionArn: string,
  options: Pick<DeployOptions, "strategy" | "judge" | "wait">,
): Promise<StartedRollout> {
  const { ecs, clock, logger } = deps;
  const { service } = plan;
  const base = { cluster, service: plan.name, taskDefinitionArn, knownEventIds: plan.knownEventIds };
  const strategy = options.strategy ? strategyUpdate(service, options.strategy) : { changes: [] };
  // A new load balancer configuration is a new service revision: ECS deploys it, and it is followed.
  const action: ServicePlan["action"] =
    plan.action.kind === "none" && strategy.loadBalancers
      ? {
          kind: "update",
          why: "the load balancer's advanced configuration",
          taskDefinition: false,
          forceNewDeployment: true,
        }
      : plan.action;
  if (action.kind === "none" && strategy.changes.length > 0) {
    // Only the deployment configuration changes: it applies from the next deployment on.
    await sendUpdateService(
      ecs,
      { cluster, service: plan.name, ...strategyFields(strategy) },
      service,
      logger,
    );
    logger.info(
      `${plan.name}: UpdateService with ${strategy.changes.join(", ")} (no new deployment: ${action.why}).`,
    );
    return { plan, watch: undefined };
  }
  if (action.kind === "none") {
    logger.info(`${plan.name}: nothing to do, ${action.why}.`);
    return { plan, watch: undefined };
  }
  if (action.kind === "follow") {
    if (strategy.changes.length > 0)
      logger.warning(
        `${plan.name}: a rollout is in progress, so ${strategy.changes.join(", ")} is not sent now; run the step again once it has ended.`,
      );
    logger.info(`${plan.name}: no update, ${action.why}; following it.`);
    return { plan, watch: followWatch(plan, base, clock.now()) };
  }
  const request: UpdateServiceCommandInput = { cluster, service: plan.name };
  if (action.taskDefinition) request.taskDefinition = taskDefinitionArn;
  if (action.desiredCount !== undefined) request.desiredCount = action.desiredCount;
  if (action.forceNewDeployment) request.forceNewDeployment = true;
  Object.assign(request, settingsRequest(action.settings));
  Object.assign(request, strategyFields(strategy));
  if (strategy.changes.length > 0)
    logger.info(`${plan.name}: deployment configuration: ${strategy.changes.join(", ")}.`);
  const steps = await prepareSteps(deps, options, service, strategy.deploymentConfiguration?.strategy);
  const startedAt = clock.now();
  let updated: UpdateServiceCommandOutput;
  try {
    updated = await sendUpdateService(ecs, request, service, logger);
  } catch (error) {
    if (!isRefusedUpdate(error)) throw error;
    throw new UserError(`ECS refused to update service ${plan.name}: ${error.message}`, {
      input: "services",
      fix: "Read ECS's message: the task definition must suit the service (network mode, launch type, load balancer container and port).",
      cause: error,
    });
  }
  const sent = Object.keys(request).filter((k) => k !== "cluster" && k !== "service");
  logger.info(`${plan.name}: UpdateService (${action.why}) with ${sent.join(", ")}.`);
  const newDeployment =
    action.taskDefinition || action.forceNewDeployment || settingsStartDeployment(action.settings);
  const mode = newDeployment || !isSettled(service) ? "deploy" : "scale";
  const started = startedDeployment(service, updated.service, taskDefinitionArn, newDeployment);
  if (newDeployment) noDeploymentStarted(plan.name, action.forceNewDeployment, updated.service, started);
  return { plan, watch: { ...base, ...started, startedAt, mode }, steps: newDeployment ? steps : undefined };
}

function strategyFields(update: ReturnType<typeof strategyUpdate>): Partial<UpdateServiceCommandInput> {
  return {
    ...(update.deploymentConfiguration ? { deploymentConfiguration: update.deploymentConfiguration } : {}),
    ...(update.loadBalancers ? { loadBalancers: update.loadBalancers } : {}),
  };
}

/** The step judge of a native strategy, set up before the update (it reads which target group serves). */
async function prepareSteps(
  deps: DeployDeps,
  options: Pick<DeployOptions, "judge" | "wait">,
  service: Service,
  strategy: string | undefined,
): Promise<StepWatch | undefined> {
  const target = (strategy as ReturnType<typeof serviceStrategy> | undefined) ?? serviceStrategy(service);
  // Steps are judged while the step follows the deployment; `wait: false` returns before the first.
  if (!options.judge || !options.wait || target === "ROLLING") return undefined;
  const { cloudwatch, elbv2, http } = deps;
  if (!cloudwatch || !elbv2 || !http)
    throw new Error("the step judge needs CloudWatch, ELBv2 and HTTP clients");
  const watchDeps = { ecs: deps.ecs, cloudwatch, elbv2, http, clock: deps.clock, logger: deps.logger };
  return StepWatch.prepare({ ...watchDeps, signal: deps.signal }, options.judge, service, target);
}

/**
 * ECS answers an UpdateService that starts a deployment with the new PRIMARY deployment in it. An
 * answer whose PRIMARY is the deployment that was running before means nothing was started (an
 * endpoint that ignores forceNewDeployment): following it would only wait for the old revision, so
 * the service fails now, saying why.
 */
function noDeploymentStarted(
  name: string,
  forced: boolean,
  answer: Service | undefined,
  started: ReturnType<typeof startedDeployment>,
): void {
  const primary = answer ? primaryDeployment(answer) : undefined;
  if (!primary?.id || started.deploymentId || !started.replaced?.deploymentIds.includes(primary.id)) return;
  const runs = revisionLabel(primary.taskDefinition ?? "?");
  const names = answer?.taskDefinition ? revisionLabel(answer.taskDefinition) : "?";
  throw new UserError(
    `ECS accepted UpdateService for ${name}${forced ? " with forceNewDeployment" : ""} but started no deployment: the PRIMARY deployment ${primary.id} still runs ${runs}, although the service now names ${names}.`,
    {
      input: forced ? "force-new-deployment" : "aws-endpoint-url",
      fix: forced
        ? "The endpoint does not implement forceNewDeployment (AWS-compatible endpoints often do not): deploy a new task definition revision without force-new-deployment, or deploy to ECS itself."
        : "The endpoint does not start deployments as ECS does; deploy to ECS itself.",
    },
  );
}

/**
 * Updates every service at once. allSettled: when ECS refuses one service's update the others may
 * already have been updated; they are followed (or reported) like any other, so the outcome says where
 * every service is.
 */
async function updateServices(
  deps: DeployDeps,
  plan: DeployPlan,
  revision: DeployRevision,
  options: DeployOptions,
): Promise<ServiceUpdates> {
  const caller = options.caller;
  const updates = await Promise.allSettled(
    plan.services.map((s) => startRollout(deps, plan.cluster, s, revision.arn, options)),
  );
  const result: ServiceUpdates = { started: [], refused: [], refusal: undefined };
  for (const [i, update] of updates.entries()) {
    const service = plan.services[i] as ServicePlan;
    if (update.status === "fulfilled") {
      result.started.push(update.value);
      continue;
    }
    // An AWS failure the user can act on (throttled, denied) is reported per service like a refusal.
    const reason =
      update.reason instanceof UserError
        ? update.reason
        : (awsUserError(update.reason, caller) ?? update.reason);
    result.refusal ??= reason;
    result.refused.push({
      name: service.name,
      action: service.action.kind,
      status: "failed",
      reason: errorMessage(reason),
      serviceDeploymentArn: undefined,
      ...(reason instanceof UserError && reason.fix ? { fix: reason.fix } : {}),
    });
  }
  return result;
}

// ---- follow ------------------------------------------------------------------------------------

/** What the followers found out, shared with a cancellation that has to stop the rollouts in flight. */
interface FollowState {
  /** Per service, the service deployment its follower found. */
  serviceDeployments: Map<string, string>;
  /** Per service, the outcome of a follow that ended (a cancellation leaves those alone). */
  finished: Map<string, ServiceOutcome>;
  /** The services' reads, shared by the followers: one DescribeServices per poll for up to ten. */
  reader: BatchedReader<Service> | undefined;
}

type FollowResult =
  | { kind: "finished"; outcomes: ServiceOutcome[] }
  | { kind: "cancelled"; outcomes: ServiceOutcome[]; message: string }
  | { kind: "failed"; error: unknown; state: FollowState };

function unchanged(plan: ServicePlan): ServiceOutcome {
  return {
    name: plan.name,
    action: plan.action.kind,
    status: "unchanged",
    reason: plan.action.why,
    serviceDeploymentArn: plan.service.currentServiceDeployment,
  };
}

function evidenceRequest(
  watch: RolloutWatch,
  events: RolloutResult["events"],
  containers: readonly ContainerDefinition[],
  tailLines: number,
) {
  return {
    cluster: watch.cluster,
    service: watch.service,
    taskDefinitionArn: watch.taskDefinitionArn,
    containers,
    events,
    deploymentId: watch.deploymentId,
    tailLines,
  };
}

async function followOne(
  deps: DeployDeps,
  options: DeployOptions,
  revision: DeployRevision,
  started: StartedRollout,
  state: FollowState,
): Promise<ServiceOutcome> {
  const { ecs, logs, api, logger } = deps;
  const { plan, watch, steps } = started;
  if (!watch) return unchanged(plan);
  const outcome = { name: plan.name, action: plan.action.kind };
  const seenEvents: RolloutResult["events"] = [];
  let rollout: RolloutResult;
  try {
    rollout = await followRollout(ecs, api, watch, {
      events: seenEvents,
      onServiceDeployment: (arn) => state.serviceDeployments.set(plan.name, arn),
      justStarted: plan.action.kind === "update",
      services: state.reader,
      clock: deps.clock,
      logger,
      signal: deps.signal,
      intervalMs: options.pollIntervalMs,
      timeoutMs: options.waitTimeoutMs,
      onPoll: steps ? (observation) => steps.onPoll(observation) : undefined,
    });
  } catch (error) {
    if (!(error instanceof PollTimeoutError)) throw error;
    const reason = `The rollout did not finish within wait-timeout (${formatDuration(options.waitTimeoutMs)}); ECS carries on with it.`;
    logger.info(`${plan.name}: ${reason}`);
    const request = evidenceRequest(watch, seenEvents, revision.containers, options.logTailLines);
    return {
      ...outcome,
      status: "timed-out",
      reason,
      serviceDeploymentArn: state.serviceDeployments.get(plan.name) ?? watch.serviceDeploymentArn,
      evidence: await explainFailure(ecs, logs, request, logger),
    };
  }
  logger.info(`${plan.name}: ${rollout.reason}`);
  const stepReport = steps ? await steps.finish() : undefined;
  const stopped = stepReport?.stopped?.accepted ? stepReport.stopped : undefined;
  const followed: ServiceOutcome = {
    ...outcome,
    ...(stopped
      ? {
          fix: "The new revision failed a step (the findings above and the step chart in the summary say how): fix it and deploy again. To ship it anyway with ECS alone judging, run the step again with `judge-steps: false`.",
        }
      : {}),
    status: rollout.outcome,
    reason: stopped
      ? `shipline stopped the deployment at ${stopped.stage} with ${stopped.weight} % of production traffic (${stopped.reason}). ${rollout.reason}`
      : rollout.reason,
    serviceDeploymentArn: rollout.serviceDeploymentArn,
    rollout,
    ...(stepReport ? { steps: stepReport } : {}),
  };
  if (rollout.outcome === "succeeded") return followed;
  const request = evidenceRequest(watch, rollout.events, revision.containers, options.logTailLines);
  return { ...followed, evidence: await explainFailure(ecs, logs, request, logger) };
}

/** On cancellation: stop one rollout in flight with ROLLBACK, or put its rollback target back. */
async function rollBackOne(deps: DeployDeps, rollout: StartedRollout, serviceDeploymentArn?: string) {
  const { ecs, logger } = deps;
  const name = rollout.plan.name;
  const target = rollout.plan.rollbackTarget;
  try {
    if (serviceDeploymentArn) {
      if (await stopWithRollback(ecs, serviceDeploymentArn)) {
        logger.warning(`${name}: asked ECS to roll back service deployment ${serviceDeploymentArn}.`);
        return `StopServiceDeployment ROLLBACK ${serviceDeploymentArn}`;
      }
      logger.warning(`${name}: ${serviceDeploymentArn} finished before the stop arrived; left as it is.`);
      return "finished before the stop arrived; left as it is";
    }
    if (target) {
      const cluster = rollout.watch?.cluster;
      await ecs.send(
        new UpdateServiceCommand({ cluster, service: name, taskDefinition: target.taskDefinitionArn }),
      );
      logger.warning(
        `${name}: put ${revisionLabel(target.taskDefinitionArn)} back (no service deployment to stop).`,
      );
      return `UpdateService to ${target.taskDefinitionArn}`;
    }
    logger.warning(`${name}: no rollback target is known; ECS was left alone.`);
    return "nothing to roll back to";
  } catch (error) {
    logger.warning(
      `${name}: could not roll back (${errorMessage(error)}); check the service in the ECS console.`,
    );
    return `rollback failed: ${errorMessage(error)}`;
  }
}

/**
 * On cancellation: stop each rollout in flight with ROLLBACK (rollback-on-cancel), or leave ECS
 * alone and say so. A rollout whose outcome was known before the cancellation is left as it is:
 * there is nothing in flight to stop (ECS would refuse), and its outcome stays in the report.
 */
async function cancelRollouts(
  deps: DeployDeps,
  options: DeployOptions,
  rollouts: readonly StartedRollout[],
  state: FollowState,
): Promise<{ message: string; actions: Record<string, string> }> {
  const inFlight = rollouts.filter(
    (r) => r.watch && r.watch.mode !== "scale" && !state.finished.has(r.plan.name),
  );
  const actions: Record<string, string> = {};
  for (const [name, outcome] of state.finished) {
    actions[name] = `already ${outcome.status} before the cancellation; left as it is`;
  }
  if (!options.rollbackOnCancel) {
    for (const r of inFlight) actions[r.plan.name] = "left running";
    const message =
      "The workflow run was cancelled while following the rollout. ECS was left alone: the deployment carries on (and its circuit breaker still applies). " +
      "Set `rollback-on-cancel: true` to have cancellation roll it back.";
    deps.logger.warning(message);
    return { message, actions };
  }
  for (const r of inFlight) {
    const arn = state.serviceDeployments.get(r.plan.name) ?? r.watch?.serviceDeploymentArn;
    actions[r.plan.name] = await rollBackOne(deps, r, arn);
  }
  const done = Object.entries(actions).map(([service, action]) => `${service}: ${action}`);
  return {
    message: `The workflow run was cancelled while following the rollout; ECS was asked to roll back (${done.join("; ")}).`,
    actions,
  };
}

/**
 * Follows every rollout at once. A failing service does not stop the others being followed: the
 * outcome then says which ones made it. A cancellation stops all of them, and is answered here.
 */
async function followRollouts(
  deps: DeployDeps,
  options: DeployOptions,
  revision: DeployRevision,
  updates: ServiceUpdates,
): Promise<FollowResult> {
  const cluster = updates.started.find((r) => r.watch)?.watch?.cluster;
  const state: FollowState = {
    serviceDeployments: new Map(),
    finished: new Map(),
    reader: cluster ? serviceReader(deps.ecs, cluster, batchWindow(options.pollIntervalMs)) : undefined,
  };
  // allSettled: every follower has stopped polling before the step goes on (or ends).
  const settled = await Promise.allSettled(
    updates.started.map(async (r) => {
      const outcome = await followOne(deps, options, revision, r, state);
      state.finished.set(r.plan.name, outcome);
      return outcome;
    }),
  );
  const rejected = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  if (rejected.some(isCancellation)) {
    const cancelled = await cancelRollouts(deps, options, updates.started, state);
    const outcomes = updates.started.map(
      (r): ServiceOutcome => ({
        ...(state.finished.get(r.plan.name) ?? {
          name: r.plan.name,
          action: r.plan.action.kind,
          status: "cancelled",
          reason: cancelled.actions[r.plan.name] ?? "cancelled",
          serviceDeploymentArn: state.serviceDeployments.get(r.plan.name) ?? r.watch?.serviceDeploymentArn,
        }),
        cancelAction: cancelled.actions[r.plan.name] ?? "none",
      }),
    );
    return { kind: "cancelled", outcomes, message: cancelled.message };
  }
  if (rejected.length > 0) return { kind: "failed", error: rejected[0], state };
  return {
    kind: "finished",
    outcomes: settled.map((s) => (s as PromiseFulfilledResult<ServiceOutcome>).value),
  };
}

// ---- the whole deploy --------------------------------------------------------------------------

function inPlanOrder(plan: DeployPlan, outcomes: readonly ServiceOutcome[]): ServiceOutcome[] {
  return plan.services.flatMap((s) => outcomes.filter((o) => o.name === s.name));
}

/** Nothing to do: every service runs the revision, rollout COMPLETED. */
async function nothingToDo(
  deps: DeployDeps,
  plan: DeployPlan,
  revision: DeployRevision,
): Promise<DeployOutcome> {
  deps.logger.info(
    `Nothing to do: every service already runs ${revisionLabel(revision.arn)} and its rollout is COMPLETED.`,
  );
  const revisionArn = plan.services[0]?.service.currentServiceRevisions?.[0]?.arn;
  return {
    status: "unchanged",
    taskDefinitionArn: revision.arn,
    services: plan.services.map(unchanged),
    images: await imagesThatRan(deps, revisionArn, plannedImages(plan)),
  };
}

/** The updates were sent and not followed (wait: false). */
function notFollowed(updates: ServiceUpdates): ServiceOutcome[] {
  return updates.started.map((r) =>
    r.watch
      ? {
          name: r.plan.name,
          action: r.plan.action.kind,
          status: "started",
          reason: "UpdateService sent; not waiting (wait: false).",
          serviceDeploymentArn: r.watch.serviceDeploymentArn,
        }
      : unchanged(r.plan),
  );
}

/**
 * AWS stopped answering after ECS took some updates: the outcome of those followed to the end stays;
 * the others were sent and not followed. The error says that the rollout goes on without the step.
 */
function lostFollow(
  error: unknown,
  updates: ServiceUpdates,
  state: FollowState,
  arn: string,
  caller: string,
): { error: unknown; outcomes: ServiceOutcome[] } {
  const explained = awsUserError(error, caller);
  const sent = updates.started.filter((r) => r.watch).map((r) => r.plan.name);
  const outcomes = updates.started.map(
    (r): ServiceOutcome =>
      state.finished.get(r.plan.name) ?? {
        name: r.plan.name,
        action: r.plan.action.kind,
        status: "started",
        reason: `UpdateService sent; the rollout could not be followed (${errorMessage(explained ?? error)}).`,
        serviceDeploymentArn: state.serviceDeployments.get(r.plan.name) ?? r.watch?.serviceDeploymentArn,
      },
  );
  if (!explained || sent.length === 0) return { error, outcomes };
  return {
    outcomes,
    error: new UserError(
      `ECS has the update of ${sent.join(", ")} to ${revisionLabel(arn)} and carries on with it, but this step could not follow the rollout: ${explained.message}`,
      {
        fix: `${explained.fix ?? ""} Re-running the step follows the rollout in progress; it does not start another.`.trim(),
        cause: error,
      },
    ),
  };
}

function changesStrategy(plan: DeployPlan, options: DeployOptions): boolean {
  const asked = options.strategy;
  return (
    asked !== undefined && plan.services.some((s) => strategyUpdate(s.service, asked).changes.length > 0)
  );
}

/** Updates the services the plan changes and (with `wait`) follows their rollouts to the end. */
export async function executeDeploy(
  deps: DeployDeps,
  plan: DeployPlan,
  revision: DeployRevision,
  options: DeployOptions,
): Promise<DeployOutcome> {
  if (!changesServices(plan) && !changesStrategy(plan, options)) return nothingToDo(deps, plan, revision);
  const { logger } = deps;
  const base = { taskDefinitionArn: revision.arn, images: plannedImages(plan) };
  const updates = await logger.group("Update the services", () =>
    updateServices(deps, plan, revision, options),
  );
  if (updates.refusal !== undefined && !updates.started.some((r) => r.watch)) {
    // Nothing was changed: the refusal is the whole story.
    const services = inPlanOrder(plan, [...notFollowed(updates), ...updates.refused]);
    return { ...base, status: "failed", services, interruption: { kind: "error", error: updates.refusal } };
  }
  const unexpected = updates.refusal instanceof UserError ? undefined : updates.refusal;
  const extra = unexpected === undefined ? {} : { unexpected };
  if (!options.wait) {
    const services = inPlanOrder(plan, [...notFollowed(updates), ...updates.refused]);
    return { ...base, ...extra, status: deployStatus(services), services };
  }
  const several = plan.services.length > 1;
  const followed = await logger.group(
    `Follow the rollout${several ? "s" : ""} (every ${options.pollIntervalMs} ms, up to ${Math.round(options.waitTimeoutMs / 60_000)} min)`,
    () => followRollouts(deps, options, revision, updates),
  );
  if (followed.kind === "failed") {
    const lost = lostFollow(followed.error, updates, followed.state, revision.arn, options.caller);
    const services = inPlanOrder(plan, [...lost.outcomes, ...updates.refused]);
    return { ...base, status: "failed", services, interruption: { kind: "error", error: lost.error } };
  }
  const services = inPlanOrder(plan, [...followed.outcomes, ...updates.refused]);
  if (followed.kind === "cancelled") {
    return {
      ...base,
      ...extra,
      status: "cancelled",
      services,
      interruption: { kind: "cancelled", message: followed.message },
    };
  }
  const ran = services.find((o) => o.status === "succeeded")?.rollout?.serviceDeployment
    ?.targetServiceRevision?.arn;
  const images = await imagesThatRan(deps, ran, base.images);
  return { ...base, ...extra, images, status: deployStatus(services), services };
}
