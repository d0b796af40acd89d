// What a service looks like before anything changes: the services themselves (with errors a user can
// act on when the cluster or a service is not there) and the rollback target, the revision that last
// ran to completion, with the image digests that actually ran. Never "revision minus one".
import {
  type Deployment,
  DescribeServicesCommand,
  type DescribeServicesCommandOutput,
  type ECSClient,
  type Service,
  type ServiceRevision,
} from "@aws-sdk/client-ecs";
import { UserError } from "../runtime/errors";
import type { ServiceDeploymentsApi } from "./service-deployments";

/**
 * Describes the services (ten per call), in the order asked. A missing cluster, a missing service or
 * one that is being deleted is the user's to fix.
 */
export async function describeServices(
  ecs: ECSClient,
  cluster: string,
  names: readonly string[],
  inputs: { cluster: string; services: string } = { cluster: "cluster", services: "services" },
): Promise<Service[]> {
  const found = new Map<string, Service>();
  for (let i = 0; i < names.length; i += 10) {
    const batch = names.slice(i, i + 10);
    let out: DescribeServicesCommandOutput;
    try {
      out = await ecs.send(new DescribeServicesCommand({ cluster, services: [...batch] }));
    } catch (error) {
      if (error instanceof Error && error.name === "ClusterNotFoundException") {
        throw new UserError(`ECS cluster "${cluster}" was not found.`, {
          input: inputs.cluster,
          fix: "Check the cluster name or ARN, and that `aws-region` (or AWS_REGION) is the cluster's region.",
          cause: error,
        });
      }
      throw error;
    }
    for (const service of out.services ?? []) {
      const key = batch.find((n) => n === service.serviceName || n === service.serviceArn);
      if (key) found.set(key, service);
    }
  }
  const problems: string[] = [];
  for (const name of names) {
    const service = found.get(name);
    if (!service) problems.push(`"${name}" was not found`);
    else if (service.status !== "ACTIVE") problems.push(`"${name}" is ${service.status ?? "not active"}`);
  }
  if (problems.length > 0) {
    throw new UserError(`In ECS cluster "${cluster}", service ${problems.join("; service ")}.`, {
      input: inputs.services,
      fix: "Check the service names (or ARNs) and the cluster; a service must exist and be ACTIVE to be deployed.",
    });
  }
  return names.map((name) => found.get(name) as Service);
}

/** The service an answer gives for a name or ARN that was asked: matched, never by position. */
export function serviceNamed(services: readonly Service[] | undefined, ref: string): Service | undefined {
  return services?.find((s) => s.serviceName === ref || s.serviceArn === ref);
}

/**
 * The revision the service runs: its PRIMARY deployment's. `service.taskDefinition` names what was
 * last asked, which an endpoint that started no deployment (forceNewDeployment ignored) reports all
 * the same.
 */
export function runningRevision(service: Service): string | undefined {
  return primaryDeployment(service)?.taskDefinition ?? service.taskDefinition;
}

export function primaryDeployment(service: Service): Deployment | undefined {
  return service.deployments?.find((d) => d.status === "PRIMARY");
}

/**
 * The service has finished rolling out what it runs: one deployment, COMPLETED (services that do not
 * report a rollout state count when every desired task runs).
 */
export function isSettled(service: Service): boolean {
  const primary = primaryDeployment(service);
  if (!primary || (service.deployments?.length ?? 0) !== 1) return false;
  if (primary.rolloutState !== undefined) return primary.rolloutState === "COMPLETED";
  return (primary.runningCount ?? 0) === (primary.desiredCount ?? 0);
}

/** ROLLING (the default), BLUE_GREEN, LINEAR or CANARY. */
export function deploymentStrategy(service: Service): string {
  return service.deploymentConfiguration?.strategy ?? "ROLLING";
}

/** The circuit breaker's default threshold for a desired count: ceil(0.5 × desired) within [3, 200]. */
export function circuitBreakerThreshold(desiredCount: number): number {
  return Math.min(200, Math.max(3, Math.ceil(desiredCount * 0.5)));
}

export interface ContainerImage {
  container: string;
  image: string;
  /** The digest that ran (from the service revision), when known. */
  digest?: string;
}

export interface RollbackTarget {
  service: string;
  taskDefinitionArn: string;
  /** How it was found. */
  source: "completed-primary" | "successful-service-deployment" | "completed-deployment";
  serviceDeploymentArn?: string;
  serviceRevisionArn?: string;
  /** Images with their digests when the service revision told them; empty when unknown. */
  images: ContainerImage[];
}

function imagesOf(revision: ServiceRevision | undefined): ContainerImage[] {
  return (revision?.containerImages ?? []).map((c) => ({
    container: c.containerName ?? "",
    image: c.image ?? "",
    ...(c.imageDigest ? { digest: c.imageDigest } : {}),
  }));
}

/**
 * The rollback target of a service, captured before deploying: the PRIMARY deployment when its
 * rollout COMPLETED, else the newest SUCCESSFUL service deployment's revision, else (without the
 * service deployments API) a draining deployment that had COMPLETED. The revision being deployed is
 * excluded, so a re-run that finds it already deployed still names what ran before it. Undefined for
 * a service that never completed a rollout.
 */
export async function captureRollbackTarget(
  service: Service,
  cluster: string,
  api: ServiceDeploymentsApi,
  exclude: ReadonlySet<string> = new Set(),
): Promise<RollbackTarget | undefined> {
  const name = service.serviceName ?? "";
  const primary = primaryDeployment(service);
  if (primary?.taskDefinition && !exclude.has(primary.taskDefinition) && isSettled(service)) {
    const target: RollbackTarget = {
      service: name,
      taskDefinitionArn: primary.taskDefinition,
      source: "completed-primary",
      images: [],
    };
    // A settled service runs one revision; it carries the digests that ran.
    const revisionArn = service.currentServiceRevisions?.[0]?.arn;
    if (revisionArn && (service.currentServiceRevisions?.length ?? 0) === 1) {
      const revision = await api.revision(revisionArn);
      if (revision?.taskDefinition === primary.taskDefinition) {
        target.serviceRevisionArn = revisionArn;
        target.images = imagesOf(revision);
      }
    }
    if (service.currentServiceDeployment) target.serviceDeploymentArn = service.currentServiceDeployment;
    return target;
  }
  const successful = await lastGoodRevision(service, cluster, api, exclude);
  if (successful) return successful;
  const completed = service.deployments?.find(
    (d) => d.rolloutState === "COMPLETED" && d.taskDefinition && !exclude.has(d.taskDefinition),
  );
  if (completed?.taskDefinition) {
    return {
      service: name,
      taskDefinitionArn: completed.taskDefinition,
      source: "completed-deployment",
      images: [],
    };
  }
  return undefined;
}

/**
 * The revision of the newest SUCCESSFUL service deployment whose task definition is not excluded
 * (auto-rollback excludes the bad one, which may itself have passed ECS). Undefined when there is
 * none or the API is unavailable.
 */
export async function lastGoodRevision(
  service: Service,
  cluster: string,
  api: ServiceDeploymentsApi,
  exclude: ReadonlySet<string>,
): Promise<RollbackTarget | undefined> {
  const name = service.serviceName ?? "";
  const successful = await api.list(cluster, service.serviceArn ?? name, {
    statuses: ["SUCCESSFUL"],
    maxResults: 20,
  });
  if (!successful || successful.length === 0) return undefined;
  const arns = successful.map((d) => d.targetServiceRevisionArn).filter((a): a is string => Boolean(a));
  const revisions = (await api.revisions(arns)) ?? [];
  for (const deployment of successful) {
    const revision = revisions.find((r) => r.serviceRevisionArn === deployment.targetServiceRevisionArn);
    if (!revision?.taskDefinition || exclude.has(revision.taskDefinition)) continue;
    return {
      service: name,
      taskDefinitionArn: revision.taskDefinition,
      source: "successful-service-deployment",
      ...(deployment.serviceDeploymentArn ? { serviceDeploymentArn: deployment.serviceDeploymentArn } : {}),
      ...(revision.serviceRevisionArn ? { serviceRevisionArn: revision.serviceRevisionArn } : {}),
      images: imagesOf(revision),
    };
  }
  return undefined;
}
