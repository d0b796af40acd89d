// ECS's native deployment strategies as shipline configures them: the inputs that name a strategy, its
// shares and bake times, the load balancer's advanced configuration, lifecycle hooks and deployment
// alarms; their validation (as UpdateService would refuse them, before any call); and the
// deploymentConfiguration and loadBalancers an UpdateService carries to apply them.
import type {
  DeploymentConfiguration,
  DeploymentLifecycleHook,
  DeploymentLifecycleHookStage,
  LoadBalancer,
  Service,
} from "@aws-sdk/client-ecs";
import { type InputSpec, type InputValues, input, inputError } from "../runtime/inputs";
import { ROLE_ARN } from "./arns";
import type { StepWatchSettings } from "./step-judge";

export type StrategyName = "rolling" | "blue-green" | "canary" | "linear";
export type EcsStrategy = "ROLLING" | "BLUE_GREEN" | "CANARY" | "LINEAR";

export const ECS_STRATEGY: Record<StrategyName, EcsStrategy> = {
  rolling: "ROLLING",
  "blue-green": "BLUE_GREEN",
  canary: "CANARY",
  linear: "LINEAR",
};

/** The stages a lifecycle hook can run at (ECS's DeploymentLifecycleHookStage). */
export const HOOK_STAGES: readonly DeploymentLifecycleHookStage[] = [
  "RECONCILE_SERVICE",
  "PRE_SCALE_UP",
  "POST_SCALE_UP",
  "TEST_TRAFFIC_SHIFT",
  "POST_TEST_TRAFFIC_SHIFT",
  "PRODUCTION_TRAFFIC_SHIFT",
  "POST_PRODUCTION_TRAFFIC_SHIFT",
];

const TARGET_GROUP_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:targetgroup\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,16}$/;
const LISTENER_RULE_ARN =
  /^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener(-rule)?\/(app|net)\/[A-Za-z0-9-]{1,32}\/[0-9a-f]{1,16}\/[0-9a-f]{1,16}(\/[0-9a-f]{1,16})?$/;
const LAMBDA_ARN =
  /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]{1,64}(:[A-Za-z0-9_$-]{1,128})?$/;
const ALARM_NAME = /^[^\s$`'"\\;|&<>(){}][^$`'"\\;|&<>(){}]{0,254}$/;

/** The inputs of a native strategy, shared by every action that deploys (ecs-deploy today). */
export const strategyInputSpec = {
  strategy: input.choice(["rolling", "blue-green", "canary", "linear"]),
  "canary-percent": input.number({ min: 0.1, max: 100 }),
  "canary-bake-minutes": input.integer({ min: 0, max: 1440 }),
  "linear-step-percent": input.number({ min: 3, max: 100 }),
  "linear-step-bake-minutes": input.integer({ min: 0, max: 1440 }),
  "bake-minutes": input.integer({ min: 0, max: 1440 }),
  "alternate-target-group": input.string({
    pattern: TARGET_GROUP_ARN,
    hint: "Give the alternate target group's ARN, arn:aws:elasticloadbalancing:<region>:<account>:targetgroup/<name>/<id>.",
  }),
  "production-listener-rule": input.string({
    pattern: LISTENER_RULE_ARN,
    hint: "Give the ARN of the listener rule (ALB) or listener (NLB) that carries production traffic.",
  }),
  "test-listener-rule": input.string({
    pattern: LISTENER_RULE_ARN,
    hint: "Give the ARN of the listener rule (ALB) or listener (NLB) that carries test traffic.",
  }),
  "load-balancer-role": input.string({
    pattern: ROLE_ARN,
    hint: "Give the ARN of the IAM role ECS assumes to change the listener rules, arn:aws:iam::<account>:role/<name>.",
  }),
  "lifecycle-hooks": input.json<DeploymentLifecycleHook[]>({
    validate: lifecycleHooks,
    maxLength: 16_384,
    hint: 'Give a JSON list such as [{"hookTargetArn": "arn:aws:lambda:eu-west-1:123456789012:function:smoke", "roleArn": "arn:aws:iam::123456789012:role/ecs-hooks", "lifecycleStages": ["POST_TEST_TRAFFIC_SHIFT"]}].',
  }),
  "deployment-alarms": input.list({
    itemPattern: ALARM_NAME,
    itemHint: "Give CloudWatch alarm names, one per line or comma separated.",
  }),
  "deployment-alarms-rollback": input.boolean({ default: "true" }),
  "judge-steps": input.boolean({ default: "true" }),
  // Probed by shipline only: a URL with credentials would be printed in findings, so it is refused.
  "test-url": input.url({ credentials: "refuse" }),
  "judge-error-rate-margin": input.number({ default: "0.02", min: 0, max: 1 }),
  "judge-latency-ratio": input.number({ default: "1.5", min: 1, max: 100 }),
  "judge-min-requests": input.integer({ default: "20", min: 1, max: 1_000_000 }),
} satisfies InputSpec;

export type StrategyInputs = InputValues<typeof strategyInputSpec>;

/** What the caller asked of the deployment configuration; undefined fields leave the service's. */
export interface StrategyRequest {
  strategy: StrategyName | undefined;
  bakeTimeInMinutes: number | undefined;
  canary: { canaryPercent?: number; canaryBakeTimeInMinutes?: number } | undefined;
  linear: { stepPercent?: number; stepBakeTimeInMinutes?: number } | undefined;
  advanced:
    | {
        alternateTargetGroupArn?: string;
        productionListenerRule?: string;
        testListenerRule?: string;
        roleArn?: string;
      }
    | undefined;
  lifecycleHooks: DeploymentLifecycleHook[] | undefined;
  alarms: { alarmNames: string[]; rollback: boolean } | undefined;
}

/** Checks one hook as ECS would: a Lambda target, an IAM role, known stages, no stage twice. */
function lifecycleHooks(value: unknown): DeploymentLifecycleHook[] {
  if (!Array.isArray(value)) throw new Error("it must be a list of hooks");
  if (value.length > 10) throw new Error("ECS takes at most 10 lifecycle hooks");
  return value.map((raw, i) => {
    const at = `hook ${i + 1}`;
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      throw new Error(`${at} is not an object`);
    const hook = raw as Record<string, unknown>;
    const known = new Set(["hookTargetArn", "roleArn", "lifecycleStages", "hookDetails"]);
    const unknown = Object.keys(hook).filter((k) => !known.has(k));
    if (unknown.length > 0) throw new Error(`${at} has unknown field(s) ${unknown.join(", ")}`);
    if (typeof hook.hookTargetArn !== "string" || !LAMBDA_ARN.test(hook.hookTargetArn))
      throw new Error(`${at}: hookTargetArn must be a Lambda function ARN`);
    if (typeof hook.roleArn !== "string" || !ROLE_ARN.test(hook.roleArn))
      throw new Error(`${at}: roleArn must be an IAM role ARN (the role ECS assumes to invoke the function)`);
    const stages = hook.lifecycleStages;
    if (!Array.isArray(stages) || stages.length === 0)
      throw new Error(`${at}: lifecycleStages must list at least one stage`);
    for (const stage of stages) {
      if (!HOOK_STAGES.includes(stage as DeploymentLifecycleHookStage))
        throw new Error(
          `${at}: ${JSON.stringify(stage)} is not a lifecycle stage (${HOOK_STAGES.join(", ")})`,
        );
    }
    if (new Set(stages).size !== stages.length) throw new Error(`${at}: a stage is listed twice`);
    return {
      hookTargetArn: hook.hookTargetArn,
      roleArn: hook.roleArn,
      lifecycleStages: stages as DeploymentLifecycleHookStage[],
      ...(hook.hookDetails !== undefined ? { hookDetails: hook.hookDetails as never } : {}),
    };
  });
}

/** ECS takes percentages in steps of 0.1. */
function tenths(name: string, value: number | undefined): void {
  if (value === undefined) return;
  if (Math.abs(value * 10 - Math.round(value * 10)) > 1e-9) {
    throw inputError(
      name,
      `${value} is not a multiple of 0.1, which ECS requires.`,
      `Round it to one decimal, e.g. ${Math.round(value * 10) / 10}.`,
    );
  }
}

/**
 * The strategy request from the inputs, refused (naming the input) when ECS would refuse it or when
 * an input could have no effect: canary settings without `strategy: canary`, and so on.
 */
export function strategyRequestFrom(inputs: StrategyInputs): StrategyRequest {
  const strategy = inputs.strategy;
  tenths("canary-percent", inputs.canaryPercent);
  tenths("linear-step-percent", inputs.linearStepPercent);
  const only = (name: string, given: unknown, wanted: StrategyName) => {
    if (given !== undefined && strategy !== wanted) {
      throw inputError(
        name,
        `it configures the ${wanted} strategy, but \`strategy\` is ${strategy ? `"${strategy}"` : "not set"}.`,
        `Set \`strategy: ${wanted}\` in the same step, or remove \`${name}\`.`,
      );
    }
  };
  only("canary-percent", inputs.canaryPercent, "canary");
  only("canary-bake-minutes", inputs.canaryBakeMinutes, "canary");
  only("linear-step-percent", inputs.linearStepPercent, "linear");
  only("linear-step-bake-minutes", inputs.linearStepBakeMinutes, "linear");
  const advancedGiven = [
    inputs.alternateTargetGroup,
    inputs.productionListenerRule,
    inputs.testListenerRule,
    inputs.loadBalancerRole,
  ].some((v) => v !== undefined);
  if (strategy === "rolling") {
    for (const [name, value] of [
      ["bake-minutes", inputs.bakeMinutes],
      ["lifecycle-hooks", inputs.lifecycleHooks],
      ["alternate-target-group", inputs.alternateTargetGroup],
      ["production-listener-rule", inputs.productionListenerRule],
      ["test-listener-rule", inputs.testListenerRule],
      ["load-balancer-role", inputs.loadBalancerRole],
    ] as const) {
      if (value !== undefined) {
        throw inputError(
          name,
          "a rolling deployment has no traffic shift, bake time or lifecycle hooks: ECS ignores it.",
          `Remove \`${name}\`, or choose blue-green, canary or linear as \`strategy\`.`,
        );
      }
    }
  }
  if (
    strategy === undefined &&
    (advancedGiven || inputs.bakeMinutes !== undefined || inputs.lifecycleHooks)
  ) {
    const name = advancedGiven
      ? "alternate-target-group"
      : inputs.bakeMinutes !== undefined
        ? "bake-minutes"
        : "lifecycle-hooks";
    throw inputError(
      name,
      "it configures a blue-green, canary or linear deployment, but `strategy` is not set.",
      "Set `strategy` (blue-green, canary or linear) in the same step.",
    );
  }
  if (
    advancedGiven &&
    (!inputs.alternateTargetGroup || !inputs.productionListenerRule || !inputs.loadBalancerRole)
  ) {
    const missing = !inputs.alternateTargetGroup
      ? "alternate-target-group"
      : !inputs.productionListenerRule
        ? "production-listener-rule"
        : "load-balancer-role";
    throw inputError(
      missing,
      "ECS needs the alternate target group, the production listener rule and the role together in a load balancer's advancedConfiguration.",
      "Give `alternate-target-group`, `production-listener-rule` and `load-balancer-role` together (and `test-listener-rule` for test traffic), or none of them to keep the service's.",
    );
  }
  if (inputs.testListenerRule && inputs.testListenerRule === inputs.productionListenerRule) {
    throw inputError(
      "test-listener-rule",
      "it is the production listener rule: test traffic would be production traffic.",
      "Give the rule of the test listener (another port, or a header-matched rule), or remove it.",
    );
  }
  if (inputs.deploymentAlarms === undefined && inputs.deploymentAlarmsRollback === false) {
    throw inputError(
      "deployment-alarms-rollback",
      "it says what ECS does when a deployment alarm fires, but `deployment-alarms` names none.",
      "Give the alarms in `deployment-alarms`, or remove `deployment-alarms-rollback`.",
    );
  }
  return {
    strategy,
    bakeTimeInMinutes: inputs.bakeMinutes,
    canary:
      inputs.canaryPercent !== undefined || inputs.canaryBakeMinutes !== undefined
        ? {
            ...(inputs.canaryPercent !== undefined ? { canaryPercent: inputs.canaryPercent } : {}),
            ...(inputs.canaryBakeMinutes !== undefined
              ? { canaryBakeTimeInMinutes: inputs.canaryBakeMinutes }
              : {}),
          }
        : undefined,
    linear:
      inputs.linearStepPercent !== undefined || inputs.linearStepBakeMinutes !== undefined
        ? {
            ...(inputs.linearStepPercent !== undefined ? { stepPercent: inputs.linearStepPercent } : {}),
            ...(inputs.linearStepBakeMinutes !== undefined
              ? { stepBakeTimeInMinutes: inputs.linearStepBakeMinutes }
              : {}),
          }
        : undefined,
    advanced: advancedGiven
      ? {
          ...(inputs.alternateTargetGroup ? { alternateTargetGroupArn: inputs.alternateTargetGroup } : {}),
          ...(inputs.productionListenerRule ? { productionListenerRule: inputs.productionListenerRule } : {}),
          ...(inputs.testListenerRule ? { testListenerRule: inputs.testListenerRule } : {}),
          ...(inputs.loadBalancerRole ? { roleArn: inputs.loadBalancerRole } : {}),
        }
      : undefined,
    lifecycleHooks: inputs.lifecycleHooks,
    alarms: inputs.deploymentAlarms
      ? { alarmNames: inputs.deploymentAlarms, rollback: inputs.deploymentAlarmsRollback }
      : undefined,
  };
}

/** Whether the request changes anything of the service's deployment configuration. */
export function asksForChange(request: StrategyRequest): boolean {
  return (
    request.strategy !== undefined ||
    request.alarms !== undefined ||
    request.lifecycleHooks !== undefined ||
    request.advanced !== undefined
  );
}

/** The fields of UpdateService that apply a strategy request to one service. */
export interface StrategyUpdate {
  deploymentConfiguration?: DeploymentConfiguration;
  loadBalancers?: LoadBalancer[];
  /** What changes, in words, for the log ("strategy ROLLING → CANARY (5 %, bake 10 min)"). */
  changes: string[];
}

export function serviceStrategy(service: Service): EcsStrategy {
  return (service.deploymentConfiguration?.strategy as EcsStrategy | undefined) ?? "ROLLING";
}

/**
 * The UpdateService fields for a service, from what it has now: the deployment configuration is sent
 * whole (the service's own settings, such as its circuit breaker, kept as they are) with the asked
 * fields changed; loadBalancers is sent only when the advanced configuration changes. Refused with
 * the input to fix when the service cannot take the strategy (ECS would refuse the update).
 */
export function strategyUpdate(service: Service, request: StrategyRequest): StrategyUpdate {
  const name = service.serviceName ?? "the service";
  if (!asksForChange(request)) return { changes: [] };
  const controller = service.deploymentController?.type ?? "ECS";
  if (controller !== "ECS" && request.strategy !== undefined) {
    throw inputError(
      "strategy",
      `${name} uses the ${controller} deployment controller; ECS's native strategies need the ECS controller.`,
      "Remove `strategy` (the controller's own deployment applies), or recreate the service with the ECS deployment controller.",
    );
  }
  const current = service.deploymentConfiguration ?? {};
  const next: DeploymentConfiguration = structuredClone(current);
  const changes: string[] = [];
  const target = request.strategy ? ECS_STRATEGY[request.strategy] : serviceStrategy(service);
  if (request.strategy && target !== serviceStrategy(service)) {
    changes.push(`strategy ${serviceStrategy(service)} → ${target}`);
  }
  next.strategy = target;
  if (request.bakeTimeInMinutes !== undefined && request.bakeTimeInMinutes !== current.bakeTimeInMinutes) {
    next.bakeTimeInMinutes = request.bakeTimeInMinutes;
    changes.push(`bake time ${request.bakeTimeInMinutes} min`);
  }
  if (request.canary) {
    next.canaryConfiguration = { ...(current.canaryConfiguration ?? {}), ...request.canary };
    changes.push(
      `canary ${next.canaryConfiguration.canaryPercent ?? 5} %, bake ${next.canaryConfiguration.canaryBakeTimeInMinutes ?? 10} min`,
    );
  }
  if (request.linear) {
    next.linearConfiguration = { ...(current.linearConfiguration ?? {}), ...request.linear };
    changes.push(
      `linear steps of ${next.linearConfiguration.stepPercent ?? 10} %, bake ${next.linearConfiguration.stepBakeTimeInMinutes ?? 6} min`,
    );
  }
  if (request.lifecycleHooks) {
    next.lifecycleHooks = request.lifecycleHooks;
    changes.push(`${request.lifecycleHooks.length} lifecycle hook(s)`);
  }
  if (request.alarms) {
    next.alarms = { alarmNames: request.alarms.alarmNames, enable: true, rollback: request.alarms.rollback };
    changes.push(
      `deployment alarms ${request.alarms.alarmNames.join(", ")}${request.alarms.rollback ? " (roll back)" : ""}`,
    );
  }
  const update: StrategyUpdate = { deploymentConfiguration: next, changes };
  const loadBalancers = service.loadBalancers ?? [];
  if (request.advanced) {
    if (loadBalancers.length !== 1) {
      throw inputError(
        "alternate-target-group",
        `${name} has ${loadBalancers.length} load balancer entries; shipline sets the advanced configuration of a service with exactly one.`,
        "Configure the advanced configuration of each entry in your infrastructure code, and remove the advanced inputs.",
      );
    }
    const entry = loadBalancers[0] as LoadBalancer;
    if (entry.targetGroupArn === request.advanced.alternateTargetGroupArn) {
      throw inputError(
        "alternate-target-group",
        `it is ${name}'s own target group; ECS needs a second one for the new revision.`,
        "Create a second target group on the same load balancer and give its ARN.",
      );
    }
    const advanced = { ...(entry.advancedConfiguration ?? {}), ...request.advanced };
    if (JSON.stringify(advanced) !== JSON.stringify(entry.advancedConfiguration ?? {})) {
      update.loadBalancers = [{ ...entry, advancedConfiguration: advanced }];
      changes.push(`alternate target group ${advanced.alternateTargetGroupArn?.split("/").at(-2) ?? "?"}`);
    }
  }
  if (target !== "ROLLING") {
    if (loadBalancers.length === 0) {
      throw inputError(
        "strategy",
        `${name} has no load balancer; the ${target} strategy shifts traffic between two target groups.`,
        "Attach the service to a load balancer target group, or use `strategy: rolling`.",
      );
    }
    const entries = update.loadBalancers ?? loadBalancers;
    if (entries.some((e) => !e.advancedConfiguration?.alternateTargetGroupArn)) {
      throw inputError(
        "alternate-target-group",
        `${name}'s load balancer has no advanced configuration, which the ${target} strategy needs.`,
        "Give `alternate-target-group`, `production-listener-rule` and `load-balancer-role` (and `test-listener-rule` for test traffic).",
      );
    }
  }
  if (JSON.stringify(next) === JSON.stringify(current) && !update.loadBalancers) return { changes: [] };
  return update;
}

/**
 * How the steps are judged (undefined: `judge-steps: false`, ECS alone decides). The probe timeout is
 * the poll interval's, so a round of probes never delays the next poll by more than one interval.
 */
export function stepJudgeSettingsFrom(
  inputs: StrategyInputs,
  pollIntervalMs: number,
): StepWatchSettings | undefined {
  if (inputs.strategy === "rolling" && inputs.testUrl) {
    throw inputError(
      "test-url",
      "a rolling deployment has no test listener: nothing would route the probes to the new revision.",
      "Remove `test-url`, or choose blue-green, canary or linear as `strategy`.",
    );
  }
  if (!inputs.judgeSteps) {
    if (inputs.testUrl) {
      throw inputError(
        "test-url",
        "it is probed by the step judge, which `judge-steps: false` turns off.",
        "Remove `test-url`, or set `judge-steps: true`.",
      );
    }
    return undefined;
  }
  return {
    criteria: {
      errorRateMargin: inputs.judgeErrorRateMargin,
      latencyRatio: inputs.judgeLatencyRatio,
      minRequests: inputs.judgeMinRequests,
    },
    testUrl: inputs.testUrl,
    probesPerRound: 3,
    probeTimeoutMs: Math.max(1_000, Math.min(10_000, pollIntervalMs)),
    alarms: inputs.deploymentAlarms ?? [],
  };
}

/** Refuses, before any change, a strategy request one of the services could not take. */
export function checkStrategy(
  services: readonly { service: Service }[],
  request: StrategyRequest | undefined,
): void {
  if (!request) return;
  for (const { service } of services) strategyUpdate(service, request);
}
