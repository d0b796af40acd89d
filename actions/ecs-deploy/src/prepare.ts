// Everything ecs-deploy decides before it changes anything: the services as they are, the task
// definition to deploy (read, rendered, compared with what AWS already holds), what each service
// needs (nothing, a follow of a rollout in flight, an update), and each service's rollback target.
import type { ECSClient, Service } from "@aws-sdk/client-ecs";
import { diffTaskDefinitions, type TaskDefinitionChange } from "@shipline/core/ecs/plan-diff";
import { eventIds } from "@shipline/core/ecs/rollout";
import type { ServiceDeploymentsApi } from "@shipline/core/ecs/service-deployments";
import {
  captureRollbackTarget,
  describeServices,
  isSettled,
  primaryDeployment,
  type RollbackTarget,
} from "@shipline/core/ecs/service-snapshot";
import {
  type RegisteredDefinition,
  readTaskDefinitionFile,
  renderTaskDefinition,
  revisionLabel,
  sameTaskDefinition,
  stripReadOnly,
  TaskDefinitionCache,
  type TaskDefinitionInput,
} from "@shipline/core/ecs/task-definition";
import { UserError } from "@shipline/core/runtime/errors";
import type { Logger } from "@shipline/core/runtime/logger";
import type { Inputs } from "./inputs";
import type { Settings } from "./settings";

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
  /** What the first service runs now, the left side of the diff. */
  current: RegisteredDefinition;
  changes: TaskDefinitionChange[];
  services: ServicePlan[];
}

async function baseDefinition(
  settings: Settings,
  services: Service[],
  cache: TaskDefinitionCache,
): Promise<{ rendered: TaskDefinitionInput; registered: RegisteredDefinition | undefined }> {
  const { source } = settings;
  if (source.kind === "file") {
    let fromFile: TaskDefinitionInput;
    try {
      fromFile = readTaskDefinitionFile(source.path);
    } catch (error) {
      if (error instanceof Error && "code" in error && error.code === "ENOENT") {
        throw new UserError(`Task definition file ${source.path} does not exist.`, {
          input: "task-definition",
          fix: "Give a path relative to the workspace (check out the repository first), an ARN, or family:revision.",
        });
      }
      throw error;
    }
    return { rendered: renderTaskDefinition(fromFile, settings.changes), registered: undefined };
  }
  if (source.kind === "registered") {
    const registered = await cache.get(source.ref);
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
    return {
      rendered: settings.rendering ? renderTaskDefinition(base, settings.changes) : base,
      registered: settings.rendering ? undefined : registered,
    };
  }
  const currents = [...new Set(services.map((s) => s.taskDefinition ?? ""))];
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
  return {
    rendered: renderTaskDefinition(stripReadOnly(current.definition, current.tags), settings.changes),
    registered: undefined,
  };
}

/** An ACTIVE revision that registers the same thing: the services' own, or the family's newest. */
async function findEqualRevision(
  rendered: TaskDefinitionInput,
  services: Service[],
  cache: TaskDefinitionCache,
): Promise<RegisteredDefinition | undefined> {
  const candidates = [...new Set(services.map((s) => s.taskDefinition ?? ""))].filter(Boolean);
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

function decide(service: Service, targetArn: string | undefined, inputs: Inputs): ServiceAction {
  const desiredCount =
    inputs.desiredCount !== undefined && inputs.desiredCount !== service.desiredCount
      ? inputs.desiredCount
      : undefined;
  const scale = desiredCount !== undefined ? { desiredCount } : {};
  const force = inputs.forceNewDeployment;
  if (targetArn === undefined || service.taskDefinition !== targetArn) {
    return {
      kind: "update",
      why: "a new task definition",
      taskDefinition: true,
      forceNewDeployment: force,
      ...scale,
    };
  }
  if (force)
    return {
      kind: "update",
      why: "force-new-deployment",
      taskDefinition: false,
      forceNewDeployment: true,
      ...scale,
    };
  const primary = primaryDeployment(service);
  if (primary?.rolloutState === "FAILED") {
    // The same revision failed before and ECS did not roll back; only a new deployment retries it.
    return {
      kind: "update",
      why: "a retry of a FAILED rollout of the same revision",
      taskDefinition: true,
      forceNewDeployment: true,
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

export async function prepareDeploy(
  ecs: ECSClient,
  api: ServiceDeploymentsApi,
  inputs: Inputs,
  settings: Settings,
  logger: Logger,
): Promise<DeployPlan> {
  const cluster = inputs.cluster;
  const services = await describeServices(ecs, cluster, inputs.services);
  for (const service of services) {
    const controller = service.deploymentController?.type ?? "ECS";
    if (controller !== "ECS") {
      throw new UserError(
        `Service ${service.serviceName ?? ""} uses the ${controller} deployment controller; ECS accepts a new task definition only from ${controller === "CODE_DEPLOY" ? "CodeDeploy" : "its external controller"}.`,
        {
          input: "services",
          fix: "Deploy services that use the ECS deployment controller (rolling, or the native BLUE_GREEN, LINEAR and CANARY strategies).",
        },
      );
    }
  }
  const cache = new TaskDefinitionCache(ecs);
  const base = await baseDefinition(settings, services, cache);
  // A container that echoes its environment (a crash log) prints these: credential-named values masked.
  for (const container of base.rendered.containerDefinitions ?? []) {
    logger.secrets.addEnvironment((container.environment ?? []).map((v) => [v.name ?? "", v.value]));
  }
  const reuse = base.registered ?? (await findEqualRevision(base.rendered, services, cache));
  const current = await cache.get(services[0]?.taskDefinition ?? "", "services");
  const changes = diffTaskDefinitions(current.definition, reuse ? reuse.definition : base.rendered);
  const exclude = new Set(reuse ? [reuse.arn] : []);
  const plans: ServicePlan[] = [];
  for (const service of services) {
    const name = service.serviceName ?? "";
    const captured = await captureRollbackTarget(service, cluster, api, exclude);
    const unusable = captured ? await undeployable(captured.taskDefinitionArn, cache) : undefined;
    if (captured && unusable) {
      logger.warning(
        `${name}: ${revisionLabel(captured.taskDefinitionArn)}, the revision it would roll back to, ${unusable}, so there is no rollback target (auto-rollback would refuse it). Register that revision again to keep one.`,
      );
    }
    plans.push({
      name,
      service,
      action: decide(service, reuse?.arn, inputs),
      rollbackTarget: unusable ? undefined : captured,
      ...(captured
        ? unusable
          ? { noRollbackTarget: `${revisionLabel(captured.taskDefinitionArn)} ${unusable}` }
          : {}
        : { noRollbackTarget: "the service has not completed a rollout before" }),
      knownEventIds: eventIds(service),
    });
  }
  if (reuse)
    logger.info(
      `The task definition to deploy is ${revisionLabel(reuse.arn)} (${base.registered ? "given" : "already registered, identical"}): nothing to register.`,
    );
  else
    logger.info(
      `The task definition differs from every registered one of family ${base.rendered.family ?? ""}: a new revision will be registered.`,
    );
  return { cluster, rendered: base.rendered, reuse, current, changes, services: plans };
}
