// What a deploy decides before it changes anything: the services as they are, the task definition to
// deploy (read, rendered, compared with what AWS already holds), what each service needs (nothing, a
// follow of a rollout in flight, an update) and each service's rollback target. planDeploy only reads.
import type { ECSClient, Service } from "@aws-sdk/client-ecs";
import { UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { volumeConfigurationProblem } from "./ebs-volume";
import { diffTaskDefinitions, type TaskDefinitionChange } from "./plan-diff";
import { eventIds } from "./rollout";
import type { ServiceDeploymentsApi } from "./service-deployments";
import {
  captureRollbackTarget,
  describeServices,
  isSettled,
  primaryDeployment,
  type RollbackTarget,
  runningRevision,
} from "./service-snapshot";
import {
  changedSettings,
  currentSetting,
  type ServiceSettingName,
  type ServiceSettings,
  settingsStartDeployment,
} from "./service-update";
import {
  hasRenderChanges,
  type RegisteredDefinition,
  type RenderChanges,
  readTaskDefinitionFile,
  renderTaskDefinition,
  revisionLabel,
  sameTaskDefinition,
  stripReadOnly,
  TaskDefinitionCache,
  type TaskDefinitionInput,
} from "./task-definition";

/** Where the task definition to deploy comes from. */
export type TaskDefinitionSource =
  | { kind: "file"; path: string }
  | { kind: "registered"; ref: string }
  | { kind: "current" };

/** What a deploy is asked to do. */
export interface DeployRequest {
  cluster: string;
  services: readonly string[];
  source: TaskDefinitionSource;
  /** Images and environment variables to render into the task definition. */
  changes: RenderChanges;
  /** The desired count to set; undefined leaves it alone (and to the autoscaler). */
  desiredCount?: number | undefined;
  forceNewDeployment: boolean;
  /** The services are deployed through CodeDeploy (CODE_DEPLOY controller), not UpdateService. */
  codeDeploy?: boolean;
  /** Service settings to set; each is sent only when given and different from the service's. */
  serviceSettings?: ServiceSettings | undefined;
  /** Fills the file's `${env:NAME}` placeholders (the step's environment). */
  placeholderEnvironment?: Readonly<Record<string, string | undefined>> | undefined;
}

/** What one service needs. */
export type ServiceAction =
  | { kind: "none"; why: string }
  | { kind: "follow"; why: string }
  | {
      kind: "update";
      why: string;
      taskDefinition: boolean;
      desiredCount?: number;
      forceNewDeployment: boolean;
      /** The settings that differ from the service's, sent with the update. */
      settings?: ServiceSettings;
    };

export interface ServicePlan {
  name: string;
  service: Service;
  action: ServiceAction;
  rollbackTarget: RollbackTarget | undefined;
  /** Why there is no rollback target, when there is none. */
  noRollbackTarget?: string;
  knownEventIds: string[];
}

export interface DeployPlan {
  cluster: string;
  /** What would be registered (or what is reused). */
  rendered: TaskDefinitionInput;
  /** An ACTIVE revision equal to `rendered`, deployed without registering. */
  reuse: RegisteredDefinition | undefined;
  /** Whether the revision to deploy was named in the request (not found by equality). */
  given: boolean;
  /** What the first service runs now, the left side of the diff. */
  current: RegisteredDefinition;
  changes: TaskDefinitionChange[];
  services: ServicePlan[];
}

export interface PlanDeps {
  ecs: ECSClient;
  api: ServiceDeploymentsApi;
  logger: Logger;
}

/** Whether the request changes the task definition it starts from (images, variables, any other field). */
export function rendersChanges(changes: RenderChanges): boolean {
  return hasRenderChanges(changes);
}

function readFile(
  path: string,
  environment: DeployRequest["placeholderEnvironment"],
  logger: Logger,
): TaskDefinitionInput {
  try {
    return readTaskDefinitionFile(path, {
      ...(environment ? { environment } : {}),
      // A value taken from a variable named like a credential is masked as that variable would be.
      onFilled: (filled) => logger.secrets.addEnvironment(filled.map((f) => [f.name, f.value])),
    });
  } catch (error) {
    if (error instanceof Error && "code" in error && error.code === "ENOENT") {
      throw new UserError(`Task definition file ${path} does not exist.`, {
        input: "task-definition",
        fix: "Give a path relative to the workspace (check out the repository first), an ARN, or family:revision.",
      });
    }
    throw error;
  }
}

async function registeredBase(
  ref: string,
  changes: RenderChanges,
  cache: TaskDefinitionCache,
): Promise<{ rendered: TaskDefinitionInput; registered: RegisteredDefinition | undefined }> {
  const registered = await cache.get(ref);
  if (registered.definition.status !== "ACTIVE") {
    throw new UserError(
      `Task definition ${revisionLabel(registered.arn)} is ${registered.definition.status}: ECS cannot deploy it.`,
      {
        input: "task-definition",
        fix: "Deploy an ACTIVE revision, or register it again from a file (`task-definition: path/to/file.json`).",
      },
    );
  }
  const base = stripReadOnly(registered.definition, registered.tags);
  const rendering = rendersChanges(changes);
  return {
    rendered: rendering ? renderTaskDefinition(base, changes) : base,
    registered: rendering ? undefined : registered,
  };
}

async function currentBase(
  services: Service[],
  changes: RenderChanges,
  cache: TaskDefinitionCache,
): Promise<TaskDefinitionInput> {
  const currents = [...new Set(services.map((s) => runningRevision(s) ?? ""))];
  if (currents.length > 1) {
    throw new UserError(
      `The services run different task definitions (${currents.map(revisionLabel).join(", ")}), so there is no one current task definition to start from.`,
      {
        input: "task-definition",
        fix: "Give `task-definition` (a file, an ARN or family:revision), or deploy the services in separate steps.",
      },
    );
  }
  const current = await cache.get(currents[0] ?? "", "services");
  return renderTaskDefinition(stripReadOnly(current.definition, current.tags), changes);
}

/** The definition to deploy, and the registered revision when one was named and is deployed as is. */
async function baseDefinition(
  request: DeployRequest,
  services: Service[],
  cache: TaskDefinitionCache,
  logger: Logger,
): Promise<{ rendered: TaskDefinitionInput; registered: RegisteredDefinition | undefined }> {
  const { source, changes } = request;
  if (source.kind === "file") {
    const file = readFile(source.path, request.placeholderEnvironment, logger);
    return { rendered: renderTaskDefinition(file, changes), registered: undefined };
  }
  if (source.kind === "registered") return registeredBase(source.ref, changes, cache);
  return { rendered: await currentBase(services, changes, cache), registered: undefined };
}

/** An ACTIVE revision that registers the same thing: the services' own, or the family's newest. */
async function findEqualRevision(
  rendered: TaskDefinitionInput,
  services: Service[],
  cache: TaskDefinitionCache,
): Promise<RegisteredDefinition | undefined> {
  const candidates = [...new Set(services.map((s) => runningRevision(s) ?? ""))].filter(Boolean);
  const checked = new Set<string>();
  for (const ref of candidates) {
    const candidate = await cache.get(ref, "services");
    checked.add(candidate.arn);
    if (
      candidate.definition.status === "ACTIVE" &&
      sameTaskDefinition(rendered, candidate.definition, { b: candidate.tags })
    ) {
      return candidate;
    }
  }
  // A retried deploy whose rollout failed registered this already: the family's newest revision.
  let newest: RegisteredDefinition;
  try {
    newest = await cache.get(rendered.family ?? "");
  } catch (error) {
    if (error instanceof UserError) return undefined; // a new family
    throw error;
  }
  if (!checked.has(newest.arn) && sameTaskDefinition(rendered, newest.definition, { b: newest.tags }))
    return newest;
  return undefined;
}

/**
 * Why a rollback target cannot be deployed again (deregistered, or no longer readable), or undefined
 * when it can: a target ECS would refuse is no rollback target.
 */
async function undeployable(
  taskDefinitionArn: string,
  cache: TaskDefinitionCache,
): Promise<string | undefined> {
  try {
    const found = await cache.get(taskDefinitionArn);
    return found.definition.status === "ACTIVE"
      ? undefined
      : `is ${found.definition.status ?? "not ACTIVE"} (deregistered) and cannot be deployed again`;
  } catch (error) {
    if (error instanceof UserError) return "can no longer be read (deleted?)";
    throw error;
  }
}

/**
 * What one service needs to end up on `targetArn` (undefined: a revision still to be registered).
 * Pure, so every case is unit-tested.
 */
export function decideServiceAction(
  service: Service,
  targetArn: string | undefined,
  asked: Pick<DeployRequest, "desiredCount" | "forceNewDeployment" | "serviceSettings">,
): ServiceAction {
  const desiredCount =
    asked.desiredCount !== undefined && asked.desiredCount !== service.desiredCount
      ? asked.desiredCount
      : undefined;
  const settings = changedSettings(service, asked.serviceSettings);
  const settingNames = Object.keys(settings);
  const scale = {
    ...(desiredCount !== undefined ? { desiredCount } : {}),
    ...(settingNames.length > 0 ? { settings } : {}),
  };
  const force = asked.forceNewDeployment;
  if (targetArn === undefined || runningRevision(service) !== targetArn) {
    return {
      kind: "update",
      why: "a new task definition",
      taskDefinition: true,
      forceNewDeployment: force,
      ...scale,
    };
  }
  if (force) {
    return {
      kind: "update",
      why: "force-new-deployment",
      taskDefinition: false,
      forceNewDeployment: true,
      ...scale,
    };
  }
  if (primaryDeployment(service)?.rolloutState === "FAILED") {
    // The same revision failed before and ECS did not roll back; only a new deployment retries it.
    return {
      kind: "update",
      why: "a retry of a FAILED rollout of the same revision",
      taskDefinition: true,
      forceNewDeployment: true,
      ...scale,
    };
  }
  if (settingNames.length > 0) {
    // ECS applies exec and tag settings only to tasks it starts afterwards: a new deployment replaces
    // the running ones, so that what was asked holds for every task when the step ends.
    return {
      kind: "update",
      why: `service settings ${settingNames.join(", ")}`,
      taskDefinition: false,
      forceNewDeployment: !settingsStartDeployment(settings),
      ...scale,
    };
  }
  if (!isSettled(service)) {
    return desiredCount !== undefined
      ? {
          kind: "update",
          why: "desired-count, while its rollout is in progress",
          taskDefinition: false,
          forceNewDeployment: false,
          desiredCount,
        }
      : { kind: "follow", why: "its rollout of this revision is still in progress" };
  }
  if (desiredCount !== undefined) {
    return {
      kind: "update",
      why: `desired-count ${service.desiredCount ?? 0} -> ${desiredCount}`,
      taskDefinition: false,
      forceNewDeployment: false,
      desiredCount,
    };
  }
  return { kind: "none", why: `it already runs ${revisionLabel(targetArn)}, rollout COMPLETED` };
}

/** Services other than the ECS controller's take a new task definition only from their controller. */
function checkControllers(services: readonly Service[], codeDeploy: boolean): void {
  for (const service of services) {
    const controller = service.deploymentController?.type ?? "ECS";
    if (codeDeploy && controller !== "CODE_DEPLOY") {
      throw new UserError(
        `Service ${service.serviceName ?? ""} uses the ${controller} deployment controller, so CodeDeploy cannot deploy it.`,
        {
          input: "codedeploy-application",
          fix: "Remove the codedeploy-* inputs to deploy it with UpdateService, or give a service whose deployment controller is CODE_DEPLOY.",
        },
      );
    }
    if (controller === "ECS" || (codeDeploy && controller === "CODE_DEPLOY")) continue;
    throw new UserError(
      `Service ${service.serviceName ?? ""} uses the ${controller} deployment controller; ECS accepts a new task definition only from ${controller === "CODE_DEPLOY" ? "CodeDeploy" : "its external controller"}.`,
      {
        input: "services",
        fix:
          controller === "CODE_DEPLOY"
            ? "Give `codedeploy-application` and `codedeploy-deployment-group` to deploy it through CodeDeploy."
            : "Deploy services that use the ECS deployment controller (rolling, or the native BLUE_GREEN, LINEAR and CANARY strategies).",
      },
    );
  }
}

async function planService(
  deps: PlanDeps,
  request: DeployRequest,
  service: Service,
  reuse: RegisteredDefinition | undefined,
  cache: TaskDefinitionCache,
): Promise<ServicePlan> {
  const name = service.serviceName ?? "";
  const exclude = new Set(reuse ? [reuse.arn] : []);
  const captured = await captureRollbackTarget(service, request.cluster, deps.api, exclude);
  const unusable = captured ? await undeployable(captured.taskDefinitionArn, cache) : undefined;
  if (captured && unusable) {
    deps.logger.warning(
      `${name}: ${revisionLabel(captured.taskDefinitionArn)}, the revision it would roll back to, ${unusable}, so there is no rollback target (auto-rollback would refuse it). Register that revision again to keep one.`,
    );
  }
  const noTarget = !captured
    ? "the service has not completed a rollout before"
    : unusable
      ? `${revisionLabel(captured.taskDefinitionArn)} ${unusable}`
      : undefined;
  return {
    name,
    service,
    action: decideServiceAction(service, reuse?.arn, request),
    rollbackTarget: unusable ? undefined : captured,
    ...(noTarget ? { noRollbackTarget: noTarget } : {}),
    knownEventIds: eventIds(service),
  };
}

/** Reads the services and the task definition and decides, changing nothing. */
export async function planDeploy(deps: PlanDeps, request: DeployRequest): Promise<DeployPlan> {
  const { ecs, logger } = deps;
  const services = await describeServices(ecs, request.cluster, request.services);
  checkControllers(services, request.codeDeploy === true);
  const cache = new TaskDefinitionCache(ecs);
  const base = await baseDefinition(request, services, cache, logger);
  // A container that echoes its environment (a crash log) prints these: credential-named values masked.
  for (const container of base.rendered.containerDefinitions ?? []) {
    logger.secrets.addEnvironment((container.environment ?? []).map((v) => [v.name ?? "", v.value]));
  }
  const reuse = base.registered ?? (await findEqualRevision(base.rendered, services, cache));
  const volumes = request.serviceSettings?.volumeConfigurations;
  const volumeProblem =
    volumes && volumeConfigurationProblem(volumes, reuse ? reuse.definition : base.rendered);
  if (volumeProblem) {
    throw new UserError(`Input \`volume-configurations\`: ${volumeProblem}`, {
      input: "volume-configurations",
      fix: 'Name a task definition volume that has "configuredAtLaunch": true, or mark the volume so in the task definition.',
    });
  }
  const current = await cache.get((services[0] && runningRevision(services[0])) ?? "", "services");
  const changes = diffTaskDefinitions(current.definition, reuse ? reuse.definition : base.rendered);
  const plans: ServicePlan[] = [];
  // The revisions the services run, read together (20 per call) before each service's plan needs its own.
  await deps.api.revisions(
    services.flatMap((s) => (s.currentServiceRevisions ?? []).flatMap((r) => (r.arn ? [r.arn] : []))),
  );
  for (const service of services) plans.push(await planService(deps, request, service, reuse, cache));
  changes.push(...plans.flatMap(serviceSettingChanges));
  if (reuse)
    logger.info(
      `The task definition to deploy is ${revisionLabel(reuse.arn)} (${base.registered ? "given" : "already registered, identical"}): nothing to register.`,
    );
  else
    logger.info(
      `The task definition differs from every registered one of family ${base.rendered.family ?? ""}: a new revision will be registered.`,
    );
  return {
    cluster: request.cluster,
    rendered: base.rendered,
    reuse,
    given: base.registered !== undefined,
    current,
    changes,
    services: plans,
  };
}

/** The service settings an update changes, as rows of the plan's diff (scope `service <name>`). */
function serviceSettingChanges(plan: ServicePlan): TaskDefinitionChange[] {
  if (plan.action.kind !== "update" || !plan.action.settings) return [];
  return Object.entries(plan.action.settings).map(([name, after]) => {
    const before = currentSetting(plan.service, name as ServiceSettingName);
    const show = (v: unknown) =>
      v === undefined ? undefined : typeof v === "object" ? JSON.stringify(v) : String(v);
    return {
      scope: `service ${plan.name}`,
      field: name,
      kind: before === undefined || (Array.isArray(before) && before.length === 0) ? "added" : "changed",
      before: show(before),
      after: show(after),
    };
  });
}

/** Whether the plan updates or follows any service (else there is nothing to do). */
export function changesServices(plan: DeployPlan): boolean {
  return plan.services.some((s) => s.action.kind !== "none");
}

/** "web: rollback target web:1 (completed-primary; app sha256:...)", or why there is none. */
export function rollbackTargetLine(service: ServicePlan): string {
  const target = service.rollbackTarget;
  if (!target) return `${service.name}: no rollback target (${service.noRollbackTarget ?? "none found"}).`;
  const images = target.images.map((i) => `${i.container} ${i.digest ?? i.image}`).join(", ");
  return `${service.name}: rollback target ${revisionLabel(target.taskDefinitionArn)} (${target.source}${images ? `; ${images}` : ""}).`;
}

/**
 * The revisions revision hygiene must keep whatever their age: the one deployed, what the services
 * run and were rolling out, and their rollback targets.
 */
export function protectedRevisions(plan: DeployPlan, deployedArn: string): Set<string> {
  const protect = new Set<string>([deployedArn]);
  for (const s of plan.services) {
    if (s.service.taskDefinition) protect.add(s.service.taskDefinition);
    for (const d of s.service.deployments ?? []) if (d.taskDefinition) protect.add(d.taskDefinition);
    if (s.rollbackTarget) protect.add(s.rollbackTarget.taskDefinitionArn);
  }
  return protect;
}
