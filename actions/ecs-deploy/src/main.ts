// ecs-deploy: read the services and the task definition and decide (or, for a pull request, only show
// the plan), register only a definition AWS does not already hold, record the GitHub deployment,
// update the services and follow the rollouts to their end, prune old revisions, and report once.
import { executeDeploy, plannedImages } from "@shipline/core/ecs/deploy-execute";
import { changesServices } from "@shipline/core/ecs/deploy-plan";
import { checkStrategy } from "@shipline/core/ecs/strategy";
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import { codeDeployDeps, deployThroughCodeDeploy, readCodeDeploy } from "./phases/codedeploy";
import { connect } from "./phases/connection";
import { preview } from "./phases/preview";
import { prune } from "./phases/prune";
import { read } from "./phases/read";
import { record } from "./phases/record";
import { register, registerOnly } from "./phases/register";
import { readTraffic, shiftTraffic, trafficDeps } from "./phases/traffic";
import { publish } from "./report";
import { settingsFrom } from "./settings";

export async function main(context: ActionContext): Promise<void> {
  const startedAt = context.clock.now();
  const settings = settingsFrom(context.inputs(inputSpec), context.env);
  const aws = connect(context, settings);
  const plan = await read(aws, settings.request);
  if (settings.mode === "preview") {
    const shown = await preview(context, settings.githubToken, plan);
    return publish(context, settings, startedAt, { mode: "preview", plan, preview: shown });
  }
  if (settings.mode === "register-only") {
    const revision = await registerOnly(aws.ecs, plan, context.logger);
    return publish(context, settings, startedAt, { mode: "register-only", plan, revision });
  }
  // ECS would refuse a strategy the services cannot take: refused now, before anything is registered.
  checkStrategy(plan.services, settings.follow.strategy);
  const changes = changesServices(plan);
  const steps = settings.traffic && changes ? trafficDeps(aws) : undefined;
  const traffic = steps && settings.traffic ? await readTraffic(steps, plan, settings.traffic) : undefined;
  const cd = settings.codeDeploy && changes ? await codeDeployDeps(aws, settings) : undefined;
  const group = cd ? await readCodeDeploy(cd, plan, settings) : undefined;
  const revision = await register(aws.ecs, plan, context.logger);
  const deployment = await record(context, settings.deployment, plan, revision, plannedImages(plan));
  const outcome =
    steps && traffic
      ? await shiftTraffic(steps, plan, traffic, revision, settings)
      : cd && group
        ? await deployThroughCodeDeploy(cd, plan, group, revision, settings)
        : await executeDeploy(aws, plan, revision, settings.follow);
  const deregistered = await prune(aws.ecs, settings.keepRevisions, plan, outcome, context.logger);
  return publish(context, settings, startedAt, {
    mode: "deploy",
    plan,
    revision,
    outcome,
    deployment,
    deregistered,
  });
}
