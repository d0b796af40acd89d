// Putting a service back on a good revision: which revision is bad, which one to return to (given,
// recorded by ecs-deploy, or the newest SUCCESSFUL one that is not the bad one), whether that
// revision can still be deployed, and how to get there (stop the bad deployment with ROLLBACK while
// it is in flight, follow ECS's own rollback, or update the service).
import {
  type ECSClient,
  type Service,
  type ServiceDeployment,
  type ServiceDeploymentBrief,
  StopServiceDeploymentCommand,
} from "@aws-sdk/client-ecs";
import { UserError } from "../runtime/errors";
import { ROLLING_FORWARD, type ServiceDeploymentsApi } from "./service-deployments";
import {
  isSettled,
  lastGoodRevision,
  primaryDeployment,
  type RollbackTarget,
  runningRevision,
} from "./service-snapshot";
import { familyOf, revisionLabel, revisionOf } from "./task-definition";

/** How the service gets back to the target. */
export type RollbackAction =
  /** It already runs the target, rollout COMPLETED: nothing to change. */
  | { kind: "none"; why: string }
  /**
   * ECS is already on its way to the target: rolling back to it (circuit breaker, alarm, an earlier
   * stop), or rolling it out (an earlier rollback's UpdateService, e.g. a re-run): follow that.
   */
  | {
      kind: "follow-ecs";
      why: string;
      /** rollback: a service deployment being rolled back; deploy: a rollout of the target. */
      rollout: "rollback" | "deploy";
      serviceDeploymentArn: string | undefined;
      deploymentId?: string | undefined;
    }
  /** The bad deployment is still rolling forward from the target: StopServiceDeployment ROLLBACK. */
  | { kind: "stop"; why: string; serviceDeploymentArn: string }
  /** UpdateService to the target. */
  | { kind: "update"; why: string }
  /**
   * The service runs neither the bad revision nor the target: a newer deploy (or a person) already
   * replaced the bad one. Nothing is changed: rolling back would undo that newer revision.
   */
  | { kind: "superseded"; why: string; runs: string };

/** ECS is rolling a service deployment back (its own decision or a StopServiceDeployment). */
const ROLLING_BACK = ["ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS"];

export interface BadRevision {
  taskDefinitionArn: string | undefined;
  /** When its deployment was created, when known. */
  startedAt: Date | undefined;
}

/**
 * Which revision is bad when nobody said: the target of the newest service deployment (after ECS's
 * own rollback the service already runs the good one). When that deployment went (SUCCESSFUL) or is
 * going (PENDING, IN_PROGRESS) to an older revision of the family than the one before it, the service
 * was already rolled back, or is being rolled back by an earlier run: the one before is the bad one.
 * Without the service deployments API: what the service runs.
 */
export async function inferBadRevision(
  service: Service,
  cluster: string,
  api: ServiceDeploymentsApi,
): Promise<BadRevision> {
  const [current, previous] = (await recentDeployments(service, cluster, api, 5)) ?? [];
  if (!current) {
    return { taskDefinitionArn: service.taskDefinition, startedAt: undefined };
  }
  const currentTd = current.taskDefinition;
  const previousTd = previous?.taskDefinition;
  const movingTo = ["SUCCESSFUL", ...ROLLING_FORWARD] as readonly string[];
  if (
    movingTo.includes(current.deployment.status ?? "") &&
    currentTd &&
    previousTd &&
    familyOf(currentTd) === familyOf(previousTd) &&
    revisionOf(previousTd) > revisionOf(currentTd)
  ) {
    return { taskDefinitionArn: previousTd, startedAt: previous?.deployment.createdAt };
  }
  return {
    taskDefinitionArn: currentTd ?? service.taskDefinition,
    startedAt: current.deployment.createdAt,
  };
}

/**
 * The newest service deployments of a service (newest first), each with the task definition it
 * deploys when its revision is known. Undefined without the service deployments API.
 */
export async function recentDeployments(
  service: Service,
  cluster: string,
  api: ServiceDeploymentsApi,
  maxResults: number,
): Promise<{ deployment: ServiceDeploymentBrief; taskDefinition: string | undefined }[] | undefined> {
  const recent = await api.list(cluster, service.serviceArn ?? service.serviceName ?? "", { maxResults });
  if (!recent) return undefined;
  const revisions =
    (await api.revisions(
      recent.map((d) => d.targetServiceRevisionArn).filter((a): a is string => Boolean(a)),
    )) ?? [];
  return recent.map((deployment) => ({
    deployment,
    taskDefinition: revisions.find((r) => r.serviceRevisionArn === deployment.targetServiceRevisionArn)
      ?.taskDefinition,
  }));
}

export interface TargetChoice {
  taskDefinitionArn: string;
  /** input: `task-definition`; recorded: ecs-deploy's previous-task-definition-arn; discovered: the service's history. */
  source: "input" | "recorded" | "discovered";
  discovered?: RollbackTarget;
}

/** The target from the inputs, or the newest SUCCESSFUL revision of the service that is not the bad one. */
export async function chooseTarget(
  service: Service,
  cluster: string,
  api: ServiceDeploymentsApi,
  given: {
    explicit?: string | undefined;
    recorded?: string | undefined;
    /** The input recorded targets come from (ecs-deploy's deploy-record or previous-task-definition-arn). */
    recordedInput?: string | undefined;
    bad?: string | undefined;
  },
): Promise<TargetChoice> {
  if (given.explicit) return { taskDefinitionArn: given.explicit, source: "input" };
  if (given.recorded) return { taskDefinitionArn: given.recorded, source: "recorded" };
  const name = service.serviceName ?? "";
  const discovered = await lastGoodRevision(service, cluster, api, new Set(given.bad ? [given.bad] : []));
  if (!discovered) {
    throw new UserError(
      `No rollback target for ${name}: ${
        api.available
          ? `it has no SUCCESSFUL service deployment of a revision other than ${given.bad ? revisionLabel(given.bad) : "the current one"}`
          : `the service deployments API cannot be used (${api.unavailableReason ?? "unavailable"}), so the history cannot be read`
      }.`,
      {
        input: given.recordedInput ?? "previous-task-definition-arn",
        fix: "Pass ecs-deploy's `deploy-record` (or `previous-task-definition-arn`) output, or name the revision to return to in `task-definition`.",
      },
    );
  }
  return { taskDefinitionArn: discovered.taskDefinitionArn, source: "discovered", discovered };
}

/**
 * The revision that replaced the bad one, when the service's PRIMARY deployment runs neither the bad
 * revision nor the target: a deploy made after the bad one (the scheduled watch's rollback waits for
 * a deploy in progress, which may be the next release), or a person's. Undefined otherwise.
 */
export function supersededBy(service: Service, bad: string, target: string): string | undefined {
  const runs = runningRevision(service);
  // By family:revision: a target given as `task-definition` may not be resolved to its ARN yet.
  const label = runs ? revisionLabel(runs) : undefined;
  return runs && label !== revisionLabel(bad) && label !== revisionLabel(target) ? runs : undefined;
}

/** Decides how to get the service to the target. `sourceTaskDefinitions` are those the current deployment started from. */
export function decideRollback(
  service: Service,
  serviceDeployment: ServiceDeployment | undefined,
  sourceTaskDefinitions: readonly string[],
  target: string,
): RollbackAction {
  const runs = runningRevision(service);
  const label = revisionLabel(target);
  const status = serviceDeployment?.status ?? "";
  const arn = serviceDeployment?.serviceDeploymentArn;
  if (arn && ROLLING_BACK.includes(status) && runs === target) {
    return {
      kind: "follow-ecs",
      why: `ECS is already rolling back to ${label} (${status})`,
      rollout: "rollback",
      serviceDeploymentArn: arn,
    };
  }
  if (runs === target && isSettled(service)) {
    return { kind: "none", why: `the service already runs ${label}, rollout COMPLETED` };
  }
  const primary = primaryDeployment(service);
  const rollingOutTarget = serviceDeployment
    ? (ROLLING_FORWARD as readonly string[]).includes(status)
    : primary?.rolloutState === "IN_PROGRESS";
  if (runs === target && primary?.taskDefinition === target && rollingOutTarget) {
    // Another UpdateService would only start the same rollout again.
    return {
      kind: "follow-ecs",
      why: `a rollout of ${label} is already ${status || "IN_PROGRESS"} (an earlier rollback, or a re-run)`,
      rollout: "deploy",
      serviceDeploymentArn: arn,
      deploymentId: primary.id,
    };
  }
  if (
    arn &&
    (ROLLING_FORWARD as readonly string[]).includes(status) &&
    runs !== target &&
    sourceTaskDefinitions.includes(target)
  ) {
    return {
      kind: "stop",
      why: `the bad deployment is still ${status}, rolling forward from ${label}`,
      serviceDeploymentArn: arn,
    };
  }
  return { kind: "update", why: `UpdateService to ${label}` };
}

/** StopServiceDeployment ROLLBACK; false when the deployment finished before the stop arrived. */
export async function stopWithRollback(ecs: ECSClient, serviceDeploymentArn: string): Promise<boolean> {
  try {
    await ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn, stopType: "ROLLBACK" }));
    return true;
  } catch (error) {
    if (error instanceof Error && error.name === "ConflictException") return false;
    throw error;
  }
}
