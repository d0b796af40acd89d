// The deploy record: what a deploy did, in one JSON value that the rollback of it needs (the cluster,
// the services, the revision deployed, each service's rollback target and service deployment, the
// images). ecs-deploy writes it to its `deploy-record` output; auto-rollback reads it from its
// `deploy-record` input instead of five loose values from as many expressions.

import { TASK_DEFINITION_ARN } from "./arns";
import type { DeployOutcome } from "./deploy-execute";
import type { DeployPlan } from "./deploy-plan";
import { CLUSTER, SERVICE } from "./services-input";

/** Bumped when a field changes meaning, so a reader refuses a record it does not understand. */
export const DEPLOY_RECORD_VERSION = 1;

export interface DeployRecordService {
  name: string;
  /** The rollback target captured before the deploy; null when there was none. */
  previousTaskDefinitionArn: string | null;
  /** The service deployment of the rollout; null when none was started or seen. */
  serviceDeploymentArn: string | null;
}

export interface DeployRecord {
  version: typeof DEPLOY_RECORD_VERSION;
  cluster: string;
  /** The revision deployed (registered by the run, or the identical one reused). */
  taskDefinitionArn: string;
  /** The deploy's status (succeeded, failed, ...), for a person reading it. */
  status: string;
  services: DeployRecordService[];
  /** container -> image (with the digest that ran once a rollout succeeded). */
  images: Record<string, string>;
}

/** The record of a deploy that reached its services. */
export function deployRecord(plan: DeployPlan, outcome: DeployOutcome): DeployRecord {
  return {
    version: DEPLOY_RECORD_VERSION,
    cluster: plan.cluster,
    taskDefinitionArn: outcome.taskDefinitionArn,
    status: outcome.status,
    services: plan.services.map((s) => ({
      name: s.name,
      previousTaskDefinitionArn: s.rollbackTarget?.taskDefinitionArn ?? null,
      serviceDeploymentArn: outcome.services.find((o) => o.name === s.name)?.serviceDeploymentArn ?? null,
    })),
    images: outcome.images,
  };
}

const SERVICE_DEPLOYMENT_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service-deployment\/\S+$/;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function arnOrNull(value: unknown, pattern: RegExp, where: string): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value !== "string" || !pattern.test(value)) throw new Error(`${where} is not a valid ARN`);
  return value;
}

function serviceOf(value: unknown, index: number): DeployRecordService {
  const where = `services[${index}]`;
  if (!isRecord(value)) throw new Error(`${where} is not an object`);
  if (typeof value.name !== "string" || !SERVICE.test(value.name) || value.name.includes("/"))
    throw new Error(`${where}.name is not a service name`);
  return {
    name: value.name,
    previousTaskDefinitionArn: arnOrNull(
      value.previousTaskDefinitionArn,
      TASK_DEFINITION_ARN,
      `${where}.previousTaskDefinitionArn`,
    ),
    serviceDeploymentArn: arnOrNull(
      value.serviceDeploymentArn,
      SERVICE_DEPLOYMENT_ARN,
      `${where}.serviceDeploymentArn`,
    ),
  };
}

function imagesOf(value: unknown): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value) || !Object.values(value).every((v) => typeof v === "string"))
    throw new Error("images is not an object of container -> image");
  return value as Record<string, string>;
}

/**
 * Reads a deploy record (parsed JSON), checking every field it is used for; throws an Error that
 * names the field. Unknown fields are ignored, so a newer writer's additions do not break a reader.
 */
export function parseDeployRecord(value: unknown): DeployRecord {
  if (!isRecord(value)) throw new Error("it is not a JSON object");
  if (value.version !== DEPLOY_RECORD_VERSION)
    throw new Error(`version is ${JSON.stringify(value.version)}, not ${DEPLOY_RECORD_VERSION}`);
  if (typeof value.cluster !== "string" || !CLUSTER.test(value.cluster))
    throw new Error("cluster is not a cluster name or ARN");
  if (typeof value.taskDefinitionArn !== "string" || !TASK_DEFINITION_ARN.test(value.taskDefinitionArn))
    throw new Error("taskDefinitionArn is not a task-definition ARN");
  if (!Array.isArray(value.services) || value.services.length === 0)
    throw new Error("services is not a non-empty list");
  const services = value.services.map(serviceOf);
  if (new Set(services.map((s) => s.name)).size !== services.length)
    throw new Error("services names a service twice");
  return {
    version: DEPLOY_RECORD_VERSION,
    cluster: value.cluster,
    taskDefinitionArn: value.taskDefinitionArn,
    status: typeof value.status === "string" ? value.status : "",
    services,
    images: imagesOf(value.images),
  };
}
