// Read the services and the task definition and decide what each service needs (core planDeploy);
// then say what each service would roll back to.
import {
  type DeployPlan,
  type DeployRequest,
  type PlanDeps,
  planDeploy,
  rollbackTargetLine,
} from "@shipline/core/ecs/deploy-plan";

export async function read(deps: PlanDeps, request: DeployRequest): Promise<DeployPlan> {
  const plan = await deps.logger.group("Read the services and the task definition", () =>
    planDeploy(deps, request),
  );
  for (const service of plan.services) deps.logger.info(rollbackTargetLine(service));
  return plan;
}
