// Traffic steps that shipline drives itself, for a rolling service behind an ALB with two target
// groups: the new revision rolls out on a canary service registered in the second target group, the
// listener rule's weighted forward action moves a growing share to it (1 → 5 → 50 → 100 % by
// default), the health gate's evidence judges the canary's target group at each step, and the
// weights found are put back exactly, on a fail verdict at once. Once every step passed, the
// service itself rolls out the revision, traffic goes back as it was found and the canary is scaled
// back to its count: the rule and both services end as the code that created them declared them.
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { type Service, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  actionsWithWeights,
  describeWeights,
  type ForwardWeights,
  type OwnedRule,
  readOwnedRule,
  setRuleActions,
} from "../elb/listener-rule";
import type { HttpClient } from "../health/http";
import { judgeTargetGroup } from "../health/target-group-judge";
import type { Clock } from "../runtime/clock";
import { CancelledError, errorMessage, UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import {
  type DeployDeps,
  type DeployOptions,
  type DeployOutcome,
  type DeployRevision,
  executeDeploy,
  isCancellation,
} from "./deploy-execute";
import { type DeployPlan, decideServiceAction, type ServicePlan } from "./deploy-plan";
import { eventIds } from "./rollout";
import { describeServices } from "./service-snapshot";
import { serviceStrategy } from "./strategy";
import type { TrafficStepRecord, TrafficStepsReport } from "./weighted-steps-report";

export interface TrafficStepsSettings {
  ruleArn: string;
  canaryService: string;
  /** Percentages of traffic for the canary, strictly increasing, the last one 100. */
  steps: number[];
  /** How long each step is judged before the next. */
  pauseMs: number;
  errorRateThreshold: number;
  latencyP95ThresholdSeconds: number;
  minRequests: number;
}

export interface TrafficStepsDeps extends DeployDeps {
  elbv2: ElasticLoadBalancingV2Client;
  cloudwatch: CloudWatchClient;
  http: HttpClient;
  /**
   * The clock steps are judged by: AWS's, as its answers date them (ServerClock), since the
   * CloudWatch windows and the pauses are compared with AWS's timestamps.
   */
  awsClock: Clock;
}

/** What the traffic steps work with, read and checked before anything changes. */
export interface TrafficPlan {
  rule: OwnedRule;
  primaryTargetGroup: string;
  canaryTargetGroup: string;
  canary: Service;
  /** The LoadBalancer dimension of the rule's load balancer: app/<name>/<id>. */
  loadBalancer: string;
}

/** The percentages are whole numbers 1-100, strictly increasing, ending at 100. */
export function checkTrafficSteps(steps: readonly number[]): string | undefined {
  if (steps.length === 0) return "no step is given";
  for (const [i, step] of steps.entries()) {
    if (!Number.isInteger(step) || step < 1 || step > 100)
      return `${step} is not a whole percentage from 1 to 100`;
    if (i > 0 && step <= (steps[i - 1] as number)) return `${step} does not come after a smaller step`;
  }
  if (steps.at(-1) !== 100) return "the last step must be 100, so the new revision is judged on all traffic";
  return undefined;
}

/** The rule's weights at a step: `percent` to the canary, the rest to the primary, others as found (0). */
export function stepWeights(plan: TrafficPlan, percent: number): ForwardWeights {
  const weights: ForwardWeights = {};
  for (const arn of Object.keys(plan.rule.found)) weights[arn] = 0;
  weights[plan.primaryTargetGroup] = 100 - percent;
  weights[plan.canaryTargetGroup] = percent;
  return weights;
}

function targetGroupsOf(service: Service): string[] {
  return (service.loadBalancers ?? []).flatMap((lb) => (lb.targetGroupArn ? [lb.targetGroupArn] : []));
}

function refuse(input: string, message: string, fix: string): UserError {
  return new UserError(message, { input, fix });
}

/**
 * Which of the rule's target groups is the service's and which the canary's, from what ELBv2 and
 * ECS hold. Pure: every refusal is unit-tested.
 */
export function pairTargetGroups(
  rule: OwnedRule,
  primary: Service,
  canary: Service,
): { primaryTargetGroup: string; canaryTargetGroup: string } {
  const name = primary.serviceName ?? "";
  const canaryName = canary.serviceName ?? "";
  const serving = Object.entries(rule.found)
    .filter(([, weight]) => weight > 0)
    .map(([arn]) => arn);
  const primaryGroups = targetGroupsOf(primary).filter((arn) => arn in rule.found);
  const canaryGroups = targetGroupsOf(canary).filter((arn) => !primaryGroups.includes(arn));
  const primaryTargetGroup = primaryGroups[0];
  if (primaryGroups.length !== 1 || !primaryTargetGroup) {
    throw refuse(
      "traffic-rule",
      `${name} is registered in ${primaryGroups.length} of the rule's target groups; traffic steps need exactly one.`,
      "Give the rule that forwards to the service's target group.",
    );
  }
  const canaryTargetGroup = canaryGroups[0];
  if (canaryGroups.length !== 1 || !canaryTargetGroup) {
    throw refuse(
      "canary-service",
      `${canaryName} is registered in ${canaryGroups.length} target groups other than ${name}'s; traffic steps need exactly one.`,
      `Give a canary service with one load balancer entry, in the second target group of the rule.`,
    );
  }
  const stray = serving.filter((arn) => arn !== primaryTargetGroup);
  if (stray.length > 0) {
    throw refuse(
      "traffic-rule",
      `The rule already forwards to ${describeWeights(Object.fromEntries(stray.map((a) => [a, rule.found[a] ?? 0])))} besides ${name}'s target group (${describeWeights(rule.found)}): a shift is in progress, or the rule is not at rest.`,
      `Put the rule back to forward only to ${name}'s target group (weight 0 for the others), then deploy again.`,
    );
  }
  return { primaryTargetGroup, canaryTargetGroup };
}

/** Reads the rule and the canary service and checks they fit together. Changes nothing. */
export async function planTrafficSteps(
  deps: Pick<TrafficStepsDeps, "ecs" | "elbv2">,
  plan: DeployPlan,
  settings: TrafficStepsSettings,
): Promise<TrafficPlan> {
  const primary = plan.services[0] as ServicePlan;
  const rule = await readOwnedRule(deps.elbv2, settings.ruleArn, `${plan.cluster}/${primary.name}`);
  const [canary] = await describeServices(deps.ecs, plan.cluster, [settings.canaryService], {
    cluster: "cluster",
    services: "canary-service",
  });
  if (!canary) throw new Error(`DescribeServices gave no ${settings.canaryService}`);
  if ((canary.deploymentController?.type ?? "ECS") !== "ECS") {
    throw refuse(
      "canary-service",
      `${settings.canaryService} uses the ${canary.deploymentController?.type} deployment controller; the canary must be a rolling ECS service.`,
      "Give a canary service with the ECS deployment controller.",
    );
  }
  // ECS's own traffic shifting and shipline's on one rule would fight: both services stay rolling.
  for (const [service, input] of [
    [primary.service, "services"],
    [canary, "canary-service"],
  ] as const) {
    const strategy = serviceStrategy(service);
    if (strategy !== "ROLLING")
      throw refuse(
        input,
        `${service.serviceName} deploys with ECS's ${strategy} strategy, which shifts traffic itself; traffic steps need rolling services.`,
        "Use the native strategy's own steps (`strategy`, without `traffic-rule`), or set the service back to `strategy: rolling`.",
      );
  }
  const pair = pairTargetGroups(rule, primary.service, canary);
  const path = /:listener-rule\/(app\/[^/]+\/[^/]+)\//.exec(settings.ruleArn)?.[1] ?? "";
  return { rule, ...pair, canary, loadBalancer: path };
}

/** One step: the weights set and checked, then the canary's target group judged for the pause. */
async function runStep(
  deps: TrafficStepsDeps,
  plan: TrafficPlan,
  settings: TrafficStepsSettings,
  options: DeployOptions,
  percent: number,
): Promise<TrafficStepRecord> {
  const { logger } = deps;
  const clock = deps.awsClock;
  const weights = stepWeights(plan, percent);
  await setRuleActions(deps.elbv2, plan.rule.arn, actionsWithWeights(plan.rule, weights), deps.signal);
  const startedAt = new Date(clock.now()).toISOString();
  logger.info(
    `${percent} % to ${settings.canaryService} (${describeWeights(weights)}); judging for ${formatDuration(settings.pauseMs)}.`,
  );
  const report = await judgeTargetGroup(
    {
      targetGroupArn: plan.canaryTargetGroup,
      loadBalancer: plan.loadBalancer,
      judgeMs: settings.pauseMs,
      intervalMs: options.pollIntervalMs,
      errorRateThreshold: settings.errorRateThreshold,
      latencyP95ThresholdSeconds: settings.latencyP95ThresholdSeconds,
      minRequests: settings.minRequests,
    },
    {
      http: deps.http,
      elb: deps.elbv2,
      cloudwatch: deps.cloudwatch,
      clock,
      logger,
      ...(deps.signal ? { signal: deps.signal } : {}),
    },
  );
  if (deps.signal?.aborted) throw new CancelledError();
  logger.info(`${percent} %: ${report.verdict} (${report.reason})`);
  return { percent, weights, startedAt, verdict: report.verdict, reason: report.reason, report };
}

/** Puts the rule back as found; never throws (a failure is reported, with what to do by hand). */
async function restoreRule(deps: TrafficStepsDeps, plan: TrafficPlan): Promise<boolean> {
  try {
    await setRuleActions(deps.elbv2, plan.rule.arn, plan.rule.foundActions);
    deps.logger.info(`Put the rule back as found: ${describeWeights(plan.rule.found)}.`);
    return true;
  } catch (error) {
    deps.logger.warning(
      `Could not put the rule ${plan.rule.arn} back to ${describeWeights(plan.rule.found)}: ${errorMessage(error)}. Set its weights by hand.`,
    );
    return false;
  }
}

/** The canary back to the task count it had; its task definition stays the one it was given. */
async function restoreCanary(deps: TrafficStepsDeps, cluster: string, plan: TrafficPlan): Promise<string> {
  const name = plan.canary.serviceName ?? "";
  const count = plan.canary.desiredCount ?? 0;
  try {
    await deps.ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: count }));
    deps.logger.info(`${name}: back to ${count} task${count === 1 ? "" : "s"}.`);
    return `desired count back to ${count}`;
  } catch (error) {
    deps.logger.warning(`${name}: could not set its desired count back to ${count}: ${errorMessage(error)}.`);
    return `could not set the desired count back to ${count}: ${errorMessage(error)}`;
  }
}

/**
 * The canary's part: the revision at the service's task count. A canary that already runs it (a
 * re-run after a failed step left it there at 0 tasks) is only scaled up.
 */
function canaryPlanOf(plan: DeployPlan, traffic: TrafficPlan, revisionArn: string): ServicePlan {
  const primary = plan.services[0] as ServicePlan;
  const desired = primary.service.desiredCount ?? 1;
  const action = decideServiceAction(traffic.canary, revisionArn, {
    desiredCount: desired,
    forceNewDeployment: false,
  });
  return {
    name: traffic.canary.serviceName ?? "",
    service: traffic.canary,
    action:
      action.kind === "update"
        ? { ...action, why: `the canary of ${primary.name}'s traffic steps (${action.why})` }
        : action,
    rollbackTarget: undefined,
    noRollbackTarget: "a canary is scaled back, not rolled back",
    knownEventIds: eventIds(traffic.canary),
  };
}

function failedAtStep(outcome: DeployOutcome, plan: DeployPlan, step: TrafficStepRecord): DeployOutcome {
  const primary = plan.services[0] as ServicePlan;
  return {
    ...outcome,
    status: "failed",
    services: [
      {
        name: primary.name,
        action: primary.action.kind,
        status: "failed",
        reason: `The new revision failed its traffic step at ${step.percent} %: ${step.reason} The rule was put back and ${primary.name} still runs what it ran.`,
        serviceDeploymentArn: undefined,
        fix: `Fix the release and deploy again; ${primary.name} was never updated, so there is nothing to roll back.`,
      },
    ],
  };
}

/** The whole run: canary rollout, steps, the service's own rollout, traffic and canary put back. */
export async function executeTrafficSteps(
  deps: TrafficStepsDeps,
  plan: DeployPlan,
  traffic: TrafficPlan,
  revision: DeployRevision,
  options: DeployOptions,
  settings: TrafficStepsSettings,
): Promise<DeployOutcome> {
  const { logger } = deps;
  const report: TrafficStepsReport = {
    ruleArn: traffic.rule.arn,
    canaryService: settings.canaryService,
    primaryTargetGroup: traffic.primaryTargetGroup,
    canaryTargetGroup: traffic.canaryTargetGroup,
    foundWeights: traffic.rule.found,
    steps: [],
    verdict: "not-reached",
    exposurePercent: 0,
    restored: true,
    canaryAfter: "left as it was",
  };
  const canaryPlan = { ...plan, services: [canaryPlanOf(plan, traffic, revision.arn)] };
  // The canary keeps its own deployment configuration: the step's strategy settings and step judge
  // are the service's, not the canary's (whose steps are judged here, by the weights).
  const canary = await executeDeploy(deps, canaryPlan, revision, {
    ...options,
    strategy: undefined,
    judge: undefined,
  });
  if (canary.status !== "succeeded" && canary.status !== "unchanged") {
    report.canaryAfter = await restoreCanary(deps, plan.cluster, traffic);
    return { ...canary, trafficSteps: report };
  }
  let failed: TrafficStepRecord | undefined;
  try {
    await logger.group(
      `Shift traffic to ${settings.canaryService} in steps (${settings.steps.join(" → ")} %)`,
      async () => {
        for (const percent of settings.steps) {
          report.exposurePercent = percent;
          const step = await runStep(deps, traffic, settings, options, percent);
          report.steps.push(step);
          const last = percent === settings.steps.at(-1);
          // Too little traffic to judge is not a fail at a small step: the next one brings more.
          if (step.verdict === "fail" || (step.verdict === "inconclusive" && last)) {
            failed = step;
            return;
          }
          if (step.verdict === "inconclusive")
            logger.warning(`${percent} %: inconclusive (${step.reason}); going on to the next step.`);
        }
      },
    );
  } catch (error) {
    report.verdict = isCancellation(error) ? "cancelled" : "fail";
    report.restored = await restoreRule(deps, traffic);
    report.canaryAfter = await restoreCanary(deps, plan.cluster, traffic);
    if (!isCancellation(error)) throw error;
    const message = `The workflow run was cancelled during the traffic steps; the rule was ${report.restored ? "put back as found" : "NOT put back"} and the canary scaled back.`;
    return {
      ...canary,
      status: "cancelled",
      interruption: { kind: "cancelled", message },
      trafficSteps: report,
    };
  }
  if (failed) {
    report.verdict = "fail";
    report.restored = await restoreRule(deps, traffic);
    report.canaryAfter = await restoreCanary(deps, plan.cluster, traffic);
    return { ...failedAtStep(canary, plan, failed), trafficSteps: report };
  }
  report.verdict = "pass";
  logger.info(`Every step passed: rolling ${plan.services[0]?.name} out to ${revisionName(revision)}.`);
  const outcome = await executeDeploy(deps, plan, revision, options);
  report.restored = await restoreRule(deps, traffic);
  report.canaryAfter = await restoreCanary(deps, plan.cluster, traffic);
  return { ...outcome, trafficSteps: report };
}

function revisionName(revision: DeployRevision): string {
  return revision.arn.split("/").at(-1) ?? revision.arn;
}
