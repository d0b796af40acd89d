// Following a rollout to its end. The service deployment's status decides (DescribeServiceDeployments),
// never task counts, so rolling, blue/green, linear and canary deployments are judged alike; where
// that API cannot be used, the deployment's rolloutState in DescribeServices decides. One progress
// line per poll when something changed, and every new service event as it appears.
import {
  type Deployment,
  DescribeServicesCommand,
  type ECSClient,
  type Service,
  type ServiceDeployment,
  type ServiceEvent,
} from "@aws-sdk/client-ecs";
import { BatchedReader } from "../aws/batched-reader";
import type { Clock } from "../runtime/clock";
import { errorMessage } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { done, pending, poll } from "../runtime/poller";
import type { ServiceDeploymentsApi } from "./service-deployments";
import {
  circuitBreakerThreshold,
  deploymentStrategy,
  isSettled,
  primaryDeployment,
  runningRevision,
  serviceNamed,
} from "./service-snapshot";
import { revisionLabel } from "./task-definition";

/**
 * deploy: a new revision rolls forward and must end SUCCESSFUL on it. rollback: a service deployment
 * was stopped with ROLLBACK and must end ROLLBACK_SUCCESSFUL. scale: only the desired count changed.
 */
export type RolloutMode = "deploy" | "rollback" | "scale";

export interface RolloutWatch {
  cluster: string;
  service: string;
  /** The task definition the service must run when the rollout is done. */
  taskDefinitionArn: string;
  /** The service deployment to follow, when known; otherwise the service's current one is taken. */
  serviceDeploymentArn?: string | undefined;
  /** The deployments[] id of the rollout, for following without the service deployments API. */
  deploymentId?: string | undefined;
  /** When the rollout was started (clock ms). */
  startedAt: number;
  /**
   * Ids of the service events that existed before the rollout started; every other event is new.
   * (Comparing ids, not times, keeps the runner's clock and AWS's apart.)
   */
  knownEventIds: readonly string[];
  mode: RolloutMode;
  /**
   * What the service showed before the UpdateService that started this rollout. None of it is this
   * rollout: right after an update ECS may still report the previous service deployment as current
   * (and list only the old deployments), and following that one would call its old SUCCESSFUL a
   * success of the new revision.
   */
  replaced?: { serviceDeploymentArn: string | undefined; deploymentIds: readonly string[] } | undefined;
}

export interface RolloutObservation {
  service: Service;
  serviceDeployment?: ServiceDeployment | undefined;
  /**
   * The service deployments API is there but this rollout's service deployment is not known yet
   * (the service still reports the one it replaced): only a FAILED rollout decides meanwhile.
   */
  awaitingServiceDeployment?: boolean;
}

export type RolloutJudgement =
  | { state: "in-progress" }
  | { state: "succeeded"; reason: string; status: string }
  | { state: "failed"; reason: string; status: string };

const ROLLING_BACK = ["ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "ROLLBACK_SUCCESSFUL", "ROLLBACK_FAILED"];
const STOPPING = ["STOPPED", "STOP_REQUESTED"];

function label(arn: string | undefined): string {
  return arn ? revisionLabel(arn) : "an unknown task definition";
}

function replacedDeployment(watch: RolloutWatch, deployment: Deployment): boolean {
  return deployment.id !== undefined && (watch.replaced?.deploymentIds ?? []).includes(deployment.id);
}

function ownDeployment(watch: RolloutWatch, service: Service): Deployment | undefined {
  const deployments = (service.deployments ?? []).filter((d) => !replacedDeployment(watch, d));
  if (watch.deploymentId) return deployments.find((d) => d.id === watch.deploymentId);
  return (
    deployments.find((d) => d.status === "PRIMARY" && d.taskDefinition === watch.taskDefinitionArn) ??
    deployments.find((d) => d.taskDefinition === watch.taskDefinitionArn)
  );
}

function whyRolledBack(sd: ServiceDeployment): string {
  return sd.rollback?.reason || sd.statusReason || "no reason given";
}

/** The verdict of one observation. Pure, so every case is unit-tested. */
export function judgeRollout(watch: RolloutWatch, observation: RolloutObservation): RolloutJudgement {
  const { service, serviceDeployment: sd } = observation;
  const runs = runningRevision(service);
  const target = label(watch.taskDefinitionArn);
  if (watch.mode === "scale") {
    const primary = primaryDeployment(service);
    const ready =
      isSettled(service) &&
      (service.runningCount ?? 0) === (service.desiredCount ?? 0) &&
      (service.pendingCount ?? 0) === 0;
    if (primary?.rolloutState === "FAILED") {
      return {
        state: "failed",
        status: "FAILED",
        reason: primary.rolloutStateReason ?? "the rollout failed",
      };
    }
    return ready
      ? {
          state: "succeeded",
          status: "COMPLETED",
          reason: `${service.runningCount ?? 0} tasks of ${target} run.`,
        }
      : { state: "in-progress" };
  }

  if (observation.awaitingServiceDeployment && !sd) {
    const own = ownDeployment(watch, service);
    return own?.rolloutState === "FAILED"
      ? { state: "failed", status: "FAILED", reason: own.rolloutStateReason ?? "the rollout failed" }
      : { state: "in-progress" };
  }

  if (sd?.status) {
    const status = sd.status;
    if (watch.mode === "rollback") {
      if (status === "ROLLBACK_SUCCESSFUL") {
        return runs === watch.taskDefinitionArn
          ? { state: "succeeded", status, reason: `ECS rolled the deployment back to ${target}.` }
          : {
              state: "failed",
              status,
              reason: `ECS reports ROLLBACK_SUCCESSFUL, but the service runs ${label(runs)}, not ${target}.`,
            };
      }
      if (status === "ROLLBACK_FAILED" || STOPPING.includes(status) || status === "SUCCESSFUL") {
        return {
          state: "failed",
          status,
          reason: `The rollback did not complete: the service deployment is ${status} (${sd.statusReason ?? "no reason given"}).`,
        };
      }
      return { state: "in-progress" };
    }
    if (status === "SUCCESSFUL") {
      return runs === watch.taskDefinitionArn
        ? {
            state: "succeeded",
            status,
            reason: `ECS reports the service deployment SUCCESSFUL on ${target}.`,
          }
        : {
            state: "failed",
            status,
            reason: `The service deployment is SUCCESSFUL, but the service now runs ${label(runs)}, not ${target}: another deployment replaced it.`,
          };
    }
    if (ROLLING_BACK.includes(status)) {
      return {
        state: "failed",
        status,
        reason: `ECS is rolling the deployment of ${target} back (${status}): ${whyRolledBack(sd)}`,
      };
    }
    if (STOPPING.includes(status)) {
      return {
        state: "failed",
        status,
        reason: `ECS stopped the deployment of ${target} (${status}): ${sd.statusReason ?? "no reason given"}`,
      };
    }
    const own = ownDeployment(watch, service);
    if (own?.rolloutState === "FAILED") {
      return { state: "failed", status: "FAILED", reason: own.rolloutStateReason ?? "the rollout failed" };
    }
    return { state: "in-progress" };
  }

  // Without the service deployments API: the deployment's rolloutState.
  const own = ownDeployment(watch, service);
  if (!own) {
    // ECS lists only the deployments this rollout replaced: the new one is not there yet.
    const listed = service.deployments ?? [];
    if (listed.length > 0 && listed.every((d) => replacedDeployment(watch, d)))
      return { state: "in-progress" };
    if (runs === watch.taskDefinitionArn && isSettled(service)) {
      return {
        state: "succeeded",
        status: "COMPLETED",
        reason: `The service runs ${target}, rollout COMPLETED.`,
      };
    }
    // It failed and drained away between two polls: the service events still tell what happened.
    const told = (service.events ?? [])
      .map((e) => e.message ?? "")
      .filter(
        (m) =>
          watch.deploymentId && m.includes(watch.deploymentId) && /deployment failed|rolling back/.test(m),
      )
      .reverse();
    return {
      state: "failed",
      status: told.length > 0 ? "FAILED" : "GONE",
      reason: `The deployment of ${target} is no longer listed; the service runs ${label(runs)}.${told.length > 0 ? ` ECS said: ${told.join(" ")}` : ""}`,
    };
  }
  if (own.status === "PRIMARY") {
    if (own.rolloutState === "COMPLETED") {
      return {
        state: "succeeded",
        status: "COMPLETED",
        reason: `The rollout of ${target} is COMPLETED (${own.rolloutStateReason ?? "no reason given"}).`,
      };
    }
    if (own.rolloutState === "FAILED") {
      return { state: "failed", status: "FAILED", reason: own.rolloutStateReason ?? "the rollout failed" };
    }
    if (own.rolloutState === undefined && isSettled(service)) {
      return { state: "succeeded", status: "COMPLETED", reason: `Every task of ${target} runs.` };
    }
    return { state: "in-progress" };
  }
  const primary = primaryDeployment(service);
  if (own.rolloutState === "FAILED") {
    return {
      state: "failed",
      status: "FAILED",
      reason:
        `${own.rolloutStateReason ?? "The rollout failed."} ECS rolled back: the PRIMARY deployment is ${primary?.id ?? "?"} (${label(primary?.taskDefinition)}): ${primary?.rolloutStateReason ?? ""}`.trim(),
    };
  }
  return {
    state: "failed",
    status: own.status ?? "REPLACED",
    reason: `The deployment of ${target} was replaced by deployment ${primary?.id ?? "?"} (${label(primary?.taskDefinition)}).`,
  };
}

/**
 * The service deployment and deployments[] entry an UpdateService started, from its response. Right
 * after an update ECS may still report the previous ones; those are left out (the follower then
 * finds the new ones) and recorded as replaced, so they are never taken for this rollout.
 */
export function startedDeployment(
  before: Service,
  after: Service | undefined,
  taskDefinitionArn: string,
  newDeployment: boolean,
): Pick<RolloutWatch, "serviceDeploymentArn" | "deploymentId" | "replaced"> {
  const primary = primaryDeployment(after ?? before);
  const ownPrimary = primary?.taskDefinition === taskDefinitionArn ? primary.id : undefined;
  if (!newDeployment) {
    // Only the desired count changed: the rollout in flight, if any, is still the one to follow.
    return {
      serviceDeploymentArn: isSettled(before)
        ? undefined
        : (after?.currentServiceDeployment ?? before.currentServiceDeployment),
      deploymentId: ownPrimary,
    };
  }
  const replaced = {
    serviceDeploymentArn: before.currentServiceDeployment,
    deploymentIds: (before.deployments ?? []).flatMap((d) => (d.id ? [d.id] : [])),
  };
  const current = after?.currentServiceDeployment;
  return {
    serviceDeploymentArn: current !== replaced.serviceDeploymentArn ? current : undefined,
    deploymentId: ownPrimary && !replaced.deploymentIds.includes(ownPrimary) ? ownPrimary : undefined,
    replaced,
  };
}

/** ECS refusing an UpdateService for a reason the user must fix (the revision does not suit the service). */
export function isRefusedUpdate(error: unknown): error is Error {
  return (
    error instanceof Error &&
    /InvalidParameter|ClientException|ServiceNotActive|PlatformUnknown|PlatformTaskDefinitionIncompatibility|AccessDenied/.test(
      error.name,
    )
  );
}

/** "web: 2/3 running, 1 pending · failed tasks 1/3 · stage SCALE_UP · IN_PROGRESS". */
export function progressLine(watch: RolloutWatch, observation: RolloutObservation): string {
  const { service, serviceDeployment: sd } = observation;
  const own = ownDeployment(watch, service) ?? primaryDeployment(service);
  const targetCounts = sd?.targetServiceRevision;
  const running = targetCounts?.runningTaskCount ?? own?.runningCount ?? service.runningCount ?? 0;
  const desired = targetCounts?.requestedTaskCount ?? own?.desiredCount ?? service.desiredCount ?? 0;
  const pendingCount = targetCounts?.pendingTaskCount ?? own?.pendingCount ?? service.pendingCount ?? 0;
  const parts = [`${running}/${desired} running, ${pendingCount} pending`];
  const breaker = sd?.deploymentCircuitBreaker;
  if (breaker && breaker.status !== "DISABLED") {
    parts.push(`failed tasks ${breaker.failureCount ?? 0}/${breaker.threshold ?? "?"}`);
  } else if (service.deploymentConfiguration?.deploymentCircuitBreaker?.enable && own) {
    parts.push(`failed tasks ${own.failedTasks ?? 0}/${circuitBreakerThreshold(service.desiredCount ?? 0)}`);
  } else if (own?.failedTasks) {
    parts.push(`failed tasks ${own.failedTasks} (no circuit breaker)`);
  }
  const weight = targetCounts?.requestedProductionTrafficWeight;
  if (weight !== undefined && sd?.sourceServiceRevisions?.length)
    parts.push(`production traffic ${weight} %`);
  if (sd?.lifecycleStage) parts.push(`stage ${sd.lifecycleStage}`);
  if (sd?.alarms?.triggeredAlarmNames?.length)
    parts.push(`alarms ${sd.alarms.triggeredAlarmNames.join(", ")}`);
  parts.push(sd?.status ?? own?.rolloutState ?? "IN_PROGRESS");
  return `${watch.service}: ${parts.join(" · ")}`;
}

export interface RolloutResult {
  watch: RolloutWatch;
  outcome: "succeeded" | "failed";
  reason: string;
  /** The final service deployment status (or rolloutState without that API). */
  status: string;
  serviceDeploymentArn: string | undefined;
  /** Clock time of the poll that decided. */
  decidedAt: number;
  polls: number;
  /** Service events since the rollout started, oldest first. */
  events: ServiceEvent[];
  service: Service;
  serviceDeployment: ServiceDeployment | undefined;
  /** Status and stage changes as they were seen. */
  timeline: { at: number; what: string }[];
}

export interface FollowOptions {
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal | undefined;
  intervalMs: number;
  timeoutMs: number;
  /** Polls in a row whose calls may fail (beyond the SDK's own retries) before the wait gives up. */
  toleratedFailures?: number;
  /** Receives every new service event as it is seen too (still filled when the wait times out). */
  events?: ServiceEvent[];
  /** Told the rollout's service deployment once it is known (for a cancellation to stop it). */
  onServiceDeployment?: (serviceDeploymentArn: string) => void;
  /**
   * Where the service is read each poll: one reader shared by the followers of one run sends one
   * DescribeServices for up to ten of them (serviceReader). Default: a reader of its own.
   */
  services?: BatchedReader<Service> | undefined;
  /**
   * The rollout was started just now (UpdateService, StopServiceDeployment): the first read is one
   * interval later, since one made at once could only show it PENDING with nothing started, which
   * the call that started it already said. A rollout already in flight is read at once.
   */
  justStarted?: boolean;
  /**
   * Called at every poll whose observation has not ended the rollout, before it is judged: the step
   * judge of a native strategy reads its evidence here and may stop the deployment.
   */
  onPoll?: ((observation: RolloutObservation) => Promise<void>) | undefined;
}

function eventKey(event: ServiceEvent): string {
  return event.id ?? `${event.createdAt?.getTime() ?? 0} ${event.message ?? ""}`;
}

/** The ids to pass as `knownEventIds`: every event the service lists now. */
export function eventIds(service: Service): string[] {
  return (service.events ?? []).map(eventKey);
}

/** Events that have not been shown yet, oldest first (DescribeServices lists them newest first). */
function newEvents(service: Service, seen: Set<string>): ServiceEvent[] {
  const fresh = (service.events ?? []).filter((e) => !seen.has(eventKey(e)));
  for (const e of fresh) seen.add(eventKey(e));
  return fresh.reverse();
}

/** Polls until the rollout succeeds or fails; throws PollTimeoutError at the deadline, CancelledError on abort. */
export async function followRollout(
  ecs: ECSClient,
  api: ServiceDeploymentsApi,
  watch: RolloutWatch,
  options: FollowOptions,
): Promise<RolloutResult> {
  const { clock, logger } = options;
  const seenEvents = new Set<string>(watch.knownEventIds);
  const events: ServiceEvent[] = options.events ?? [];
  const timeline: { at: number; what: string }[] = [];
  // Service deployments that are not this rollout's: the one it replaced, and any whose target
  // revision turned out to be another task definition.
  const notOurs = new Set<string>(
    watch.replaced?.serviceDeploymentArn ? [watch.replaced.serviceDeploymentArn] : [],
  );
  let serviceDeploymentArn =
    watch.serviceDeploymentArn && !notOurs.has(watch.serviceDeploymentArn)
      ? watch.serviceDeploymentArn
      : undefined;
  let confirmed = watch.mode !== "deploy";
  let lastLine = "";
  let lastState = "";
  let polls = 0;
  let failuresInARow = 0;
  const tolerated = options.toleratedFailures ?? 3;
  let budget = options.timeoutMs;
  // Joined before the first pause: the followers of a run started together then wake together, and
  // their first reads go out as one call instead of the first one's going alone.
  const reader = options.services ?? serviceReader(ecs, watch.cluster, 0);
  const leave = reader.join();
  if (options.justStarted) {
    // No jitter here either: a pause that differed per follower would split their shared reads.
    const pause = Math.min(budget, options.intervalMs);
    try {
      await clock.sleep(pause, options.signal);
    } catch (error) {
      leave();
      throw error;
    }
    budget -= pause;
  }
  // The service deployment is read again only when DescribeServices shows a change, when the service
  // looks settled (its status must say how it ended), and every other poll for strategies with
  // lifecycle stages (every sixth otherwise, lest a change DescribeServices does not show go unseen):
  // most polls of a rollout then cost one call.
  let lastFingerprint = "";
  let lastServiceDeployment: ServiceDeployment | undefined;
  let sdReadAt = 0;
  // Rolling deployments have no lifecycle stages worth a call of their own: at most every sixth poll.
  const staged = watch.mode !== "scale";

  try {
    return await poll(
      {
        intervalMs: options.intervalMs,
        timeoutMs: budget,
        clock,
        fixedRate: true,
        // No jitter: the followers of a run share their reads, and a poll never comes later than the
        // interval says (detection lag stays within one poll).
        jitter: 0,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      async () => {
        polls++;
        let observation: RolloutObservation;
        try {
          const service = await reader.get(watch.service);
          if (!service) throw new Error(`DescribeServices no longer returns ${watch.service}`);
          const current = api.currentOf(service);
          if (!serviceDeploymentArn && watch.mode !== "scale" && current && !notOurs.has(current)) {
            serviceDeploymentArn = current;
          }
          const rolling = deploymentStrategy(service) === "ROLLING";
          const fingerprint = serviceFingerprint(service, rolling);
          const stale =
            lastServiceDeployment?.serviceDeploymentArn !== serviceDeploymentArn ||
            fingerprint !== lastFingerprint ||
            isSettled(service) ||
            // A step judge needs every poll's stage and share: it stops a bad step at the poll that sees it.
            polls - sdReadAt >= (options.onPoll ? 1 : staged && !rolling ? 2 : 6);
          lastFingerprint = fingerprint;
          let serviceDeployment = lastServiceDeployment;
          if (!serviceDeploymentArn) serviceDeployment = undefined;
          else if (stale || !serviceDeployment) {
            serviceDeployment = await api.describe(serviceDeploymentArn);
            sdReadAt = polls;
          }
          lastServiceDeployment = serviceDeployment;
          const targetRevision = serviceDeployment?.targetServiceRevision?.arn;
          if (serviceDeploymentArn && serviceDeployment && !confirmed && targetRevision) {
            // A rollout is judged on its own service deployment only: one whose target revision runs
            // another task definition is not it (revisions are cached, so this costs one call).
            const revision = await api.revision(targetRevision);
            if (revision?.taskDefinition && revision.taskDefinition !== watch.taskDefinitionArn) {
              logger.debug(
                `${watch.service}: ${serviceDeploymentArn} deploys ${revisionLabel(revision.taskDefinition)}, not ${revisionLabel(watch.taskDefinitionArn)}; waiting for this rollout's own.`,
              );
              notOurs.add(serviceDeploymentArn);
              serviceDeploymentArn = undefined;
              serviceDeployment = undefined;
            } else {
              confirmed = true;
            }
          }
          if (serviceDeploymentArn && serviceDeployment) options.onServiceDeployment?.(serviceDeploymentArn);
          observation = {
            service,
            serviceDeployment,
            awaitingServiceDeployment:
              watch.mode !== "scale" && api.available && !serviceDeployment && current !== undefined,
          };
          failuresInARow = 0;
        } catch (error) {
          failuresInARow++;
          if (failuresInARow > tolerated) throw error;
          logger.warning(
            `${watch.service}: reading the rollout failed (${errorMessage(error)}); trying again at the next poll.`,
          );
          return pending;
        }
        const now = clock.now();
        for (const event of newEvents(observation.service, seenEvents)) {
          events.push(event);
          logger.progress(`${watch.service} event: ${event.message ?? ""}`);
        }
        const line = progressLine(watch, observation);
        if (line !== lastLine) {
          logger.progress(line);
          lastLine = line;
        }
        const sd = observation.serviceDeployment;
        const state = [
          sd?.status ?? ownDeployment(watch, observation.service)?.rolloutState,
          sd?.lifecycleStage,
        ]
          .filter(Boolean)
          .join(" ");
        if (state && state !== lastState) {
          timeline.push({ at: now, what: state });
          lastState = state;
        }
        const judgement = judgeRollout(watch, observation);
        if (judgement.state === "in-progress") {
          await options.onPoll?.(observation);
          return pending;
        }
        return done<RolloutResult>({
          watch,
          outcome: judgement.state,
          reason: judgement.reason,
          status: judgement.status,
          serviceDeploymentArn,
          decidedAt: now,
          polls,
          events,
          service: observation.service,
          serviceDeployment: sd,
          timeline,
        });
      },
    );
  } finally {
    leave();
  }
}

/**
 * What of a DescribeServices answer says the rollout moved on. For a rolling deployment only what can
 * change its verdict: the deployments, their status and rolloutState (task counts, which change
 * every poll, add nothing the service deployment would decide on). With lifecycle stages, the counts
 * and the newest event too.
 */
function serviceFingerprint(service: Service, rolling: boolean): string {
  const deployments = (service.deployments ?? []).map((d) =>
    (rolling
      ? [d.id, d.status, d.rolloutState]
      : [d.id, d.status, d.rolloutState, d.runningCount, d.pendingCount, d.desiredCount, d.failedTasks]
    ).join(":"),
  );
  const counts = rolling
    ? []
    : [service.runningCount, service.pendingCount, service.desiredCount, service.events?.[0]?.id ?? ""];
  return [deployments.join(","), ...counts, service.currentServiceDeployment ?? ""].join("|");
}

/** How long a poll's shared read waits for followers that have not asked yet: a quarter poll, ≤ 250 ms. */
export function batchWindow(intervalMs: number): number {
  return Math.max(0, Math.min(250, Math.floor(intervalMs / 4)));
}

/**
 * A reader of the services of one cluster, shared by the followers of one run: one DescribeServices
 * for up to ten services per poll. `windowMs` is how long a poll's batch waits for the followers that
 * have not asked yet.
 */
export function serviceReader(ecs: ECSClient, cluster: string, windowMs: number): BatchedReader<Service> {
  return new BatchedReader<Service>({
    maxBatch: 10,
    windowMs,
    fetch: async (names) => {
      const out = await ecs.send(new DescribeServicesCommand({ cluster, services: [...names] }));
      const found = new Map<string, Service>();
      for (const name of names) {
        const service = serviceNamed(out.services, name);
        if (service) found.set(name, service);
      }
      return found;
    },
  });
}
