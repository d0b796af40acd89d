// CodeDeploy blue/green for a CODE_DEPLOY service (`codedeploy-application`): the application and
// deployment group read and checked with the plan, before anything changes; then the deployment, in
// place of UpdateService. The CodeDeploy client is loaded only for this mode.
import { createAwsClient } from "@shipline/core/aws/clients";
import {
  type CodeDeployDeps,
  type CodeDeployPlan,
  planCodeDeploy,
} from "@shipline/core/codedeploy/deployment";
import { executeCodeDeploy } from "@shipline/core/codedeploy/execute";
import type { DeployOutcome, DeployRevision } from "@shipline/core/ecs/deploy-execute";
import type { DeployPlan, ServicePlan } from "@shipline/core/ecs/deploy-plan";
import type { Settings } from "../settings";
import { type Connection, judgingClients } from "./connection";

export async function codeDeployDeps(deps: Connection, settings: Settings): Promise<CodeDeployDeps> {
  const { CodeDeployClient } = await import("@aws-sdk/client-codedeploy");
  const { logger } = deps;
  const { elbv2, cloudwatch, http, awsClock } = judgingClients(deps);
  return {
    elb: elbv2,
    cloudwatch,
    http,
    awsClock,
    codedeploy: awsClock.follow(createAwsClient(CodeDeployClient, settings.aws, { logger })),
    clock: deps.clock,
    logger,
    signal: deps.signal,
  };
}

export function readCodeDeploy(
  deps: CodeDeployDeps,
  plan: DeployPlan,
  settings: Settings,
): Promise<CodeDeployPlan> {
  const codeDeploy = settings.codeDeploy;
  if (!codeDeploy) throw new Error("readCodeDeploy without codedeploy settings");
  return deps.logger.group("Read the CodeDeploy application and deployment group", async () => {
    const read = await planCodeDeploy(
      deps,
      plan.cluster,
      (plan.services[0] as ServicePlan).service,
      codeDeploy,
    );
    deps.logger.info(
      `${codeDeploy.application} / ${codeDeploy.deploymentGroup}: ${read.deploymentConfig}, target groups ${Object.keys(read.targetGroups).join(" and ")}, container ${read.containerName}:${read.containerPort}.`,
    );
    return read;
  });
}

export function deployThroughCodeDeploy(
  deps: CodeDeployDeps,
  plan: DeployPlan,
  read: CodeDeployPlan,
  revision: DeployRevision,
  settings: Settings,
): Promise<DeployOutcome> {
  const codeDeploy = settings.codeDeploy;
  if (!codeDeploy) throw new Error("deployThroughCodeDeploy without codedeploy settings");
  return executeCodeDeploy(deps, plan, read, revision, codeDeploy, settings.follow);
}
