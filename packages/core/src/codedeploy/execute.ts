// A deploy of a CODE_DEPLOY service as the deploy's outcome: CodeDeploy's deployment (created or
// resumed, followed and judged) told as the service's result, with the deployment in the report.
import type { DeployOutcome, DeployRevision } from "../ecs/deploy-execute";
import type { DeployPlan, ServicePlan } from "../ecs/deploy-plan";
import { containerImages } from "../ecs/task-definition";
import {
  type CodeDeployDeps,
  type CodeDeployPlan,
  type CodeDeployReport,
  type CodeDeploySettings,
  type FollowSettings,
  runCodeDeploy,
} from "./deployment";

/** The service's result from how the CodeDeploy deployment ended. */
export function codeDeployOutcome(
  report: CodeDeployReport,
): Pick<DeployOutcome["services"][number], "status" | "reason"> & { fix?: string } {
  const id = report.deploymentId;
  if (report.stopped && report.verdict === "inconclusive") {
    return {
      status: "failed",
      reason: `The replacement task set took ${report.exposurePercent} % of production traffic, but ${report.verdictReason}; CodeDeploy deployment ${id} was stopped with auto-rollback (${report.rollbackDeploymentId ?? "no rollback deployment"} ${report.rollbackStatus ?? "pending"}).`,
      fix: "Give the deploy role what the judging reads (the IAM action named above), or set `codedeploy-judge: 0s` to deploy unjudged; then deploy again.",
    };
  }
  if (report.stopped) {
    return {
      status: "failed",
      reason: `The replacement task set failed its judging (${report.verdictReason}) with ${report.exposurePercent} % of production traffic; CodeDeploy deployment ${id} was stopped with auto-rollback (${report.rollbackDeploymentId ?? "no rollback deployment"} ${report.rollbackStatus ?? "pending"}).`,
      fix: "Fix the release and deploy again; the original task set serves production traffic again.",
    };
  }
  if (report.status === "Succeeded" && report.verdict !== "fail")
    return {
      status: "succeeded",
      reason: `CodeDeploy deployment ${id} succeeded (judging: ${report.verdict}).`,
    };
  if (report.status === "Succeeded")
    return {
      status: "failed",
      reason: `CodeDeploy deployment ${id} succeeded, but the replacement task set failed its judging after the original was terminated: ${report.verdictReason}`,
      fix: "Deploy the previous revision through CodeDeploy, and raise the deployment group's terminationWaitTimeInMinutes above the judging window.",
    };
  if (report.error?.includes("wait-timeout")) return { status: "timed-out", reason: report.error };
  return {
    status: "failed",
    reason: `CodeDeploy deployment ${id} ended ${report.status}${report.error ? `: ${report.error}` : "."}`,
    fix: "Read the lifecycle events in the report and the deployment in the CodeDeploy console.",
  };
}

/** Deploys a plan that changes the service (the caller reads CodeDeploy only for one). */
export async function executeCodeDeploy(
  deps: CodeDeployDeps,
  plan: DeployPlan,
  codeDeploy: CodeDeployPlan,
  revision: DeployRevision,
  settings: CodeDeploySettings,
  follow: FollowSettings,
): Promise<DeployOutcome> {
  const service = plan.services[0] as ServicePlan;
  const images = containerImages(plan.reuse ? plan.reuse.definition : plan.rendered);
  const report = await deps.logger.group(
    `Deploy through CodeDeploy (${settings.application} / ${settings.deploymentGroup})`,
    () => runCodeDeploy(deps, codeDeploy, settings, revision.arn, follow),
  );
  const result = codeDeployOutcome(report);
  return {
    status: result.status,
    taskDefinitionArn: revision.arn,
    images,
    services: [
      { name: service.name, action: service.action.kind, serviceDeploymentArn: undefined, ...result },
    ],
    codeDeploy: report,
  };
}
