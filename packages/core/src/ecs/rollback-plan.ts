// What a rollback decides before it changes anything, per service: which revision is bad, which one
// to return to (and that ECS can still deploy it), and how to get there. planRollback only reads.
import type { ECSClient, Service, ServiceDeployment } from "@aws-sdk/client-ecs";
import { UserError } from "../runtime/errors";
import {
  chooseTarget,
  decideRollback,
  inferBadRevision,
  type RollbackAction,
  recentDeployments,
  supersededBy,
  type TargetChoice,
} from "./rollback";
import { eventIds } from "./rollout";
import type { ServiceDeploymentsApi } from "./service-deployments";
import { describeServices } from "./service-snapshot";
import { revisionLabel, TaskDefinitionCache } from "./task-definition";

/** What a rollback is asked to do. Per-service values are keyed by the service as given. */
export interface RollbackRequest {
  cluster: string;
  services: readonly string[];
  /** The revision to return to for every service (auto-rollback's `task-definition`). */
  explicitTarget?: string | undefined;
  /** Per service: the rollback target ecs-deploy recorded. */
  recorded: Readonly<Record<string, string | undefined>>;
  /** The input the recorded targets came from, named in errors about them. */
  recordedInput: string;
  /** The bad revision, when known (ARN or family:revision). */
  bad?: string | undefined;
  /** Per service: the bad service deployment, when known. */
  badServiceDeployment: Readonly<Record<string, string | undefined>>;
}

export interface ServiceRollbackPlan {
  name: string;
  service: Service;
  bad: string | undefined;
  badStartedAt: Date | undefined;
  target: TargetChoice;
  action: RollbackAction;
  knownEventIds: string[];
}

export interface RollbackPlan {
  cluster: string;
  services: ServiceRollbackPlan[];
}

export interface RollbackPlanDeps {
  ecs: ECSClient;
  api: ServiceDeploymentsApi;
}

function targetInput(request: RollbackRequest, source: TargetChoice["source"]): string {
  return source === "input" ? "task-definition" : request.recordedInput;
}

async function deployableTarget(cache: TaskDefinitionCache, ref: string, input: string): Promise<string> {
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

/**
 * With the target given, the bad revision is what the service's deployments[] run besides it: the
 * PRIMARY deployment's revision, or, while a rollout of the target is already in flight, the revision
 * that rollout replaces. No history is needed, so the service deployments API is not asked. Undefined
 * when the service runs only the target.
 */
export function badBesidesTarget(
  service: Service,
  target: string,
): { bad: string; startedAt: Date | undefined } | undefined {
  const deployments = service.deployments ?? [];
  const primary = deployments.find((d) => d.status === "PRIMARY");
  const other =
    primary?.taskDefinition && primary.taskDefinition !== target
      ? primary
      : deployments.find((d) => d.status !== "PRIMARY" && d.taskDefinition && d.taskDefinition !== target);
  return other?.taskDefinition ? { bad: other.taskDefinition, startedAt: other.createdAt } : undefined;
}

/**
 * The bad revision of one service: given, the target of the bad service deployment, or inferred.
 * `given` when it was named (the deploy record, task-definition-arn or service-deployment-arn) rather
 * than read off what the service runs now.
 */
async function badRevisionOf(
  deps: RollbackPlanDeps,
  request: RollbackRequest,
  service: Service,
  key: string,
  known: {
    givenBad: string | undefined;
    current: ServiceDeployment | undefined;
    explicitTarget: string | undefined;
  },
) {
  const { api } = deps;
  const { givenBad, current, explicitTarget } = known;
  if (givenBad) {
    return { bad: givenBad, startedAt: await startOf(service, request.cluster, api, givenBad) };
  }
  const badDeploymentArn = request.badServiceDeployment[key];
  if (explicitTarget && !badDeploymentArn) {
    const besides = badBesidesTarget(service, explicitTarget);
    return { bad: besides?.bad, startedAt: besides?.startedAt };
  }
  if (badDeploymentArn) {
    const deployment =
      badDeploymentArn === current?.serviceDeploymentArn ? current : await api.describe(badDeploymentArn);
    const revision = await api.revision(deployment?.targetServiceRevision?.arn ?? "");
    return { bad: revision?.taskDefinition, startedAt: deployment?.createdAt };
  }
  const inferred = await inferBadRevision(service, request.cluster, api);
  return { bad: inferred.taskDefinitionArn, startedAt: inferred.startedAt };
}

async function planService(
  deps: RollbackPlanDeps,
  request: RollbackRequest,
  service: Service,
  key: string,
  context: { cache: TaskDefinitionCache; givenBad: string | undefined; explicitTarget: string | undefined },
): Promise<ServiceRollbackPlan> {
  const { api } = deps;
  const name = service.serviceName ?? "";
  const currentArn = api.currentOf(service);
  const current = currentArn ? await api.describe(currentArn) : undefined;
  const sourceArns = (current?.sourceServiceRevisions ?? []).map((r) => r.arn ?? "").filter(Boolean);
  const sources = ((await api.revisions(sourceArns)) ?? [])
    .map((r) => r.taskDefinition)
    .filter((t): t is string => typeof t === "string");
  const known = { givenBad: context.givenBad, current, explicitTarget: context.explicitTarget };
  const { bad, startedAt } = await badRevisionOf(deps, request, service, key, known);
  // Named by the caller (a record, task-definition-arn, service-deployment-arn), not inferred.
  const given = Boolean(context.givenBad || request.badServiceDeployment[key]);
  const target = await chooseTarget(service, request.cluster, api, {
    explicit: request.explicitTarget,
    recorded: request.recorded[key],
    recordedInput: request.recordedInput,
    bad,
  });
  const knownEventIds = eventIds(service);
  // A named bad revision the service no longer runs, replaced by another than the target: the newer
  // revision is left alone (its target is not even checked, since nothing will be deployed). A target
  // that is the bad revision itself is refused below, as a contradiction in the inputs.
  const newer =
    given && bad && revisionLabel(target.taskDefinitionArn) !== revisionLabel(bad)
      ? supersededBy(service, bad, target.taskDefinitionArn)
      : undefined;
  if (bad && newer) {
    const why = `${revisionLabel(bad)} was already superseded by ${revisionLabel(newer)}, which the service runs now; nothing was rolled back or changed`;
    const action: RollbackAction = { kind: "superseded", why, runs: newer };
    return { name, service, bad, badStartedAt: startedAt, target, action, knownEventIds };
  }
  const input = targetInput(request, target.source);
  target.taskDefinitionArn = await deployableTarget(context.cache, target.taskDefinitionArn, input);
  const action = decideRollback(service, current, sources, target.taskDefinitionArn);
  if (bad && target.taskDefinitionArn === bad && action.kind !== "none") {
    throw new UserError(
      `The rollback target of ${name}, ${revisionLabel(target.taskDefinitionArn)}, is the revision being rolled back.`,
      {
        input,
        fix: "Name the revision that ran before the bad one (ecs-deploy's `previous-task-definition-arn` output).",
      },
    );
  }
  return { name, service, bad, badStartedAt: startedAt, target, action, knownEventIds };
}

/** Reads the services and decides, per service, changing nothing. */
export async function planRollback(deps: RollbackPlanDeps, request: RollbackRequest): Promise<RollbackPlan> {
  const services = await describeServices(deps.ecs, request.cluster, request.services);
  // Services usually share their target (and the bad revision): each definition is read once.
  const cache = new TaskDefinitionCache(deps.ecs);
  const givenBad = request.bad ? await arnOf(cache, request.bad) : undefined;
  const explicitTarget = request.explicitTarget ? await arnOf(cache, request.explicitTarget) : undefined;
  const plans: ServiceRollbackPlan[] = [];
  for (const [index, service] of services.entries()) {
    const key = request.services[index] ?? service.serviceName ?? "";
    plans.push(await planService(deps, request, service, key, { cache, givenBad, explicitTarget }));
  }
  return { cluster: request.cluster, services: plans };
}
