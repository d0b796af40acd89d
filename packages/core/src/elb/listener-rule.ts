// A listener rule whose weighted forward action shipline may change: read once with its tags, owned
// only when the caller named it and its tag says which service it belongs to, changed with ModifyRule
// and checked against what ELBv2 then holds, and put back with exactly the actions that were found.
import {
  type Action,
  DescribeRulesCommand,
  DescribeTagsCommand,
  type ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  type Rule,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { UserError } from "../runtime/errors";
import { LISTENER_RULE_ARN } from "./arns";

export { LISTENER_RULE_ARN };

/** The tag that hands a rule's weights to shipline; its value is `<cluster>/<service>`. */
export const TRAFFIC_OWNER_TAG = "shipline:traffic-steps";

/** Weights by target group ARN, as a forward action holds them. */
export type ForwardWeights = Record<string, number>;

export interface OwnedRule {
  arn: string;
  /** The rule's actions exactly as found: what is put back. */
  foundActions: Action[];
  /** The weights found, by target group ARN. */
  found: ForwardWeights;
}

function ownerError(message: string, fix: string): UserError {
  return new UserError(message, { input: "traffic-rule", fix });
}

/** The weights of a rule's one forward action (a single target group counts as weight 1). */
export function forwardWeights(actions: readonly Action[]): ForwardWeights | undefined {
  if (actions.length !== 1) return undefined;
  const action = actions[0] as Action;
  if (action.Type !== "forward") return undefined;
  const tuples = action.ForwardConfig?.TargetGroups ?? [];
  if (tuples.length === 0) return action.TargetGroupArn ? { [action.TargetGroupArn]: 1 } : undefined;
  const weights: ForwardWeights = {};
  for (const tuple of tuples) if (tuple.TargetGroupArn) weights[tuple.TargetGroupArn] = tuple.Weight ?? 1;
  return weights;
}

export function sameWeights(a: ForwardWeights | undefined, b: ForwardWeights): boolean {
  if (!a) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((k) => (a[k] ?? 0) === (b[k] ?? 0));
}

/** "web 95 / web-canary 5" for a person. */
export function describeWeights(weights: ForwardWeights): string {
  return Object.entries(weights)
    .map(([arn, weight]) => `${/targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn} ${weight}`)
    .join(" / ");
}

async function describeRule(elb: ElasticLoadBalancingV2Client, arn: string): Promise<Rule> {
  let rules: Rule[];
  try {
    rules = (await elb.send(new DescribeRulesCommand({ RuleArns: [arn] }))).Rules ?? [];
  } catch (error) {
    if (error instanceof Error && error.name === "RuleNotFoundException") {
      throw ownerError(
        `The listener rule ${arn} does not exist.`,
        "Give the ARN of an existing listener rule.",
      );
    }
    throw error;
  }
  // Matched by ARN, never by position: an answer about another rule is no answer.
  const rule = rules.find((r) => r.RuleArn === arn);
  if (!rule) throw new Error(`DescribeRules answered without the rule asked for (${arn})`);
  return rule;
}

/**
 * Reads the rule and checks that shipline owns it: named by the caller, tagged for this service, not
 * a listener's default rule, and forwarding with one weighted forward action. Changes nothing.
 */
export async function readOwnedRule(
  elb: ElasticLoadBalancingV2Client,
  arn: string,
  owner: string,
): Promise<OwnedRule> {
  const rule = await describeRule(elb, arn);
  const tagged = (await elb.send(new DescribeTagsCommand({ ResourceArns: [arn] }))).TagDescriptions ?? [];
  const tags = tagged.find((d) => d.ResourceArn === arn)?.Tags ?? [];
  const ownerTag = tags.find((t) => t.Key === TRAFFIC_OWNER_TAG)?.Value;
  if (ownerTag !== owner) {
    throw ownerError(
      ownerTag === undefined
        ? `The listener rule ${arn} has no ${TRAFFIC_OWNER_TAG} tag, so shipline does not change its weights.`
        : `The listener rule ${arn} is tagged ${TRAFFIC_OWNER_TAG}=${ownerTag}, not ${owner}: it belongs to another service's traffic steps.`,
      `Tag the rule ${TRAFFIC_OWNER_TAG}=${owner} (in the code that creates it) to let this service's deploys shift its weights, or give the rule that is.`,
    );
  }
  if (rule.IsDefault) {
    throw ownerError(
      `The listener rule ${arn} is its listener's default rule, whose actions only ModifyListener changes.`,
      "Add a rule (priority 1, path /*) forwarding to both target groups and give its ARN.",
    );
  }
  const actions = rule.Actions ?? [];
  const found = forwardWeights(actions);
  if (!found) {
    throw ownerError(
      `The listener rule ${arn} does not forward with one forward action (it has ${actions.map((a) => a.Type).join(", ") || "no actions"}).`,
      "Give a rule whose only action forwards to the service's target groups.",
    );
  }
  return { arn, foundActions: actions, found };
}

/** The found actions with the forward weights replaced (stickiness and order kept). */
export function actionsWithWeights(rule: OwnedRule, weights: ForwardWeights): Action[] {
  const found = rule.foundActions[0] as Action;
  const { TargetGroupArn: _single, ...rest } = found;
  return [
    {
      ...rest,
      Type: "forward",
      ForwardConfig: {
        ...(found.ForwardConfig ?? {}),
        TargetGroups: Object.entries(weights).map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })),
      },
    },
  ];
}

/**
 * ModifyRule, then the check that the rule now holds what was sent: the answer's rule (by ARN), or,
 * when the answer says otherwise, the rule read again.
 */
export async function setRuleActions(
  elb: ElasticLoadBalancingV2Client,
  arn: string,
  actions: Action[],
  signal?: AbortSignal,
): Promise<void> {
  const wanted = forwardWeights(actions) ?? {};
  const options = signal ? { abortSignal: signal } : {};
  const answer = await elb.send(new ModifyRuleCommand({ RuleArn: arn, Actions: actions }), options);
  const echoed = answer.Rules?.find((r) => r.RuleArn === arn);
  if (echoed && sameWeights(forwardWeights(echoed.Actions ?? []), wanted)) return;
  const held = forwardWeights((await describeRule(elb, arn)).Actions ?? []);
  if (!sameWeights(held, wanted)) {
    throw new Error(
      `ModifyRule on ${arn} took no effect: the rule forwards ${held ? describeWeights(held) : "nothing"}, not ${describeWeights(wanted)}`,
    );
  }
}
