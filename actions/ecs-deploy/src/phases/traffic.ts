// Shipline-driven traffic steps (`traffic-rule`): the rule and the canary service read and checked
// with the plan, before anything changes; then the steps, in place of the plain rollout.
import type { DeployOutcome, DeployRevision } from "@shipline/core/ecs/deploy-execute";
import type { DeployPlan } from "@shipline/core/ecs/deploy-plan";
import {
  executeTrafficSteps,
  planTrafficSteps,
  type TrafficPlan,
  type TrafficStepsDeps,
  type TrafficStepsSettings,
} from "@shipline/core/ecs/weighted-steps";
import { describeWeights } from "@shipline/core/elb/listener-rule";
import type { Settings } from "../settings";
import { type Connection, judgingClients } from "./connection";

/** Traffic steps work with the step's own judging clients. */
export function trafficDeps(deps: Connection): TrafficStepsDeps {
  return { ...deps, ...judgingClients(deps) };
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
