// The revision to deploy: the identical (or given) one AWS already holds, else one registered now.
import type { ECSClient } from "@aws-sdk/client-ecs";
import {
  type DeployRevision,
  registerTaskDefinition,
  reusedRevision,
} from "@shipline/core/ecs/deploy-execute";
import type { DeployPlan } from "@shipline/core/ecs/deploy-plan";
import { revisionLabel } from "@shipline/core/ecs/task-definition";
import type { Logger } from "@shipline/core/runtime/logger";

export async function register(ecs: ECSClient, plan: DeployPlan, logger: Logger): Promise<DeployRevision> {
  const reused = reusedRevision(plan);
  if (reused) return reused;
  return logger.group("Register the task definition", () =>
    registerTaskDefinition(ecs, plan.rendered, logger),
  );
}

/**
 * `register-only`: for a one-off task (a migration) that must run the new image before the services
 * do. The deploy step that follows gets this revision's ARN (or finds it again, identical).
 */
export async function registerOnly(
  ecs: ECSClient,
  plan: DeployPlan,
  logger: Logger,
): Promise<DeployRevision> {
  const revision = await register(ecs, plan, logger);
  if (!revision.registered) {
    logger.info(
      `AWS already holds this task definition as ${revisionLabel(revision.arn)}: nothing registered.`,
    );
  }
  const names = plan.services.map((s) => s.name).join(", ");
  logger.info(`register-only: ${names} not updated; they still run their current revisions.`);
  return revision;
}
