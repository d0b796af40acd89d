// Shipline-driven traffic steps (`traffic-rule`): the rule and the canary service read and checked
// with the plan, before anything changes; then the steps, in place of the plain rollout.
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { createAwsClient } from "@shipline/core/aws/clients";
import { ServerClock } from "@shipline/core/aws/server-clock";
import type { DeployDeps, DeployOutcome, DeployRevision } from "@shipline/core/ecs/deploy-execute";
import type { DeployPlan } from "@shipline/core/ecs/deploy-plan";
import {
  executeTrafficSteps,
  planTrafficSteps,
  type TrafficPlan,
  type TrafficStepsDeps,
  type TrafficStepsSettings,
} from "@shipline/core/ecs/weighted-steps";
import { describeWeights } from "@shipline/core/elb/listener-rule";
import { createHttpClient } from "@shipline/core/health/http";
import type { Settings } from "../settings";

/** The clients traffic steps need beside ECS's, made only when they are asked for. */
export function trafficDeps(deps: DeployDeps, settings: Settings): TrafficStepsDeps {
  const { logger } = deps;
  const awsClock = new ServerClock(deps.clock);
  return {
    ...deps,
    elb: awsClock.follow(createAwsClient(ElasticLoadBalancingV2Client, settings.aws, { logger })),
    cloudwatch: awsClock.follow(createAwsClient(CloudWatchClient, settings.aws, { logger })),
    http: createHttpClient(),
    awsClock,
  };
}

export async function readTraffic(
  deps: TrafficStepsDeps,
  plan: DeployPlan,
  settings: TrafficStepsSettings,
): Promise<TrafficPlan> {
  return deps.logger.group("Read the listener rule and the canary service", async () => {
    const traffic = await planTrafficSteps(deps, plan, settings);
    deps.logger.info(
      `Rule ${traffic.rule.arn} forwards ${describeWeights(traffic.rule.found)}; ${settings.canaryService} takes ${settings.steps.join(" → ")} % in turn, judged ${Math.round(settings.pauseMs / 1000)} s each.`,
    );
    return traffic;
  });
}

export function shiftTraffic(
  deps: TrafficStepsDeps,
  plan: DeployPlan,
  traffic: TrafficPlan,
  revision: DeployRevision,
  settings: Settings,
): Promise<DeployOutcome> {
  return executeTrafficSteps(
    deps,
    plan,
    traffic,
    revision,
    settings.follow,
    settings.traffic as TrafficStepsSettings,
  );
}
