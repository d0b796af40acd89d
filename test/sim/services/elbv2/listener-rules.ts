// The listeners of the simulated load balancers and their rules: DescribeListeners, DescribeRules,
// ModifyRule (forward actions with weighted target groups) and DescribeTags. One rule per load
// balancer carries the simulated users' requests (the default rule unless the scenario marks another
// one `traffic`); its weights, as shares, are the load balancer's forward weights over time, which
// the metrics, the serving endpoints and the demo's load balancer follow.
import { createHash } from "node:crypto";
import { SimError } from "../../framework/errors";
import type { Shape } from "../../framework/types";

export interface RuleRecord {
  arn: string;
  listenerArn: string;
  loadBalancerArn: string;
  /** "default", or the priority as a decimal string (AWS answers it as a string). */
  priority: string;
  conditions: Shape[];
  /** The forward weights by target group ARN, raw (0-999, relative), in the rule's order. */
  forward: { targetGroupArn: string; weight: number }[];
  stickiness: { enabled: boolean; durationSeconds?: number };
  tags: { Key: string; Value: string }[];
  /** Whether the simulated users' requests match this rule. */
  traffic: boolean;
}

export interface ListenerRecord {
  arn: string;
  loadBalancerArn: string;
  port: number;
  protocol: string;
}

/** Scenario: a rule of a load balancer's listener (beside the default rule, which forwards by `weights`). */
export interface RuleScenario {
  priority: number;
  arn?: string;
  /** path-pattern condition values (default ["/*"]). */
  pathPatterns?: string[];
  /** Forward weights by target group name or ARN. */
  weights: Record<string, number>;
  tags?: Record<string, string>;
  /** The simulated users' requests match this rule rather than the default rule. */
  traffic?: boolean;
}

/** What the rules need of the load balancers: their target groups, and where shares are recorded. */
export interface RuleHost {
  region(): string;
  accountId(): string;
  findGroupArn(ref: string): string | undefined;
  /** Load balancers (other than `loadBalancerArn`) whose rules forward to the target group. */
  otherLoadBalancersOf(targetGroupArn: string, loadBalancerArn: string): string[];
  /** Records the traffic rule's new shares (percent by target group ARN) from now on. */
  recordShares(loadBalancerArn: string, shares: Record<string, number>): void;
}

const MAX_WEIGHT = 999;
const MAX_TARGET_GROUPS = 5;

function hexOf(text: string, length: number): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/** Percent shares of a forward action's weights (all 0 when no weight is set). */
export function sharesOf(forward: RuleRecord["forward"]): Record<string, number> {
  const total = forward.reduce((sum, t) => sum + t.weight, 0);
  const shares: Record<string, number> = {};
  for (const t of forward) shares[t.targetGroupArn] = total > 0 ? (t.weight / total) * 100 : 0;
  return shares;
}

const notFound = (): SimError => new SimError("RuleNotFound", "One or more rules not found");

export class ListenerRules {
  readonly #listeners = new Map<string, ListenerRecord>();
  readonly #rules = new Map<string, RuleRecord>();

  constructor(private readonly host: RuleHost) {}

  reset(): void {
    this.#listeners.clear();
    this.#rules.clear();
  }

  /** The listener (HTTP :80) of a load balancer, its default rule forwarding by `weights`, and `rules`. */
  add(
    lb: { arn: string; name: string },
    defaultWeights: Record<string, number>,
    rules: readonly RuleScenario[],
  ): void {
    const path = lb.arn.split(":loadbalancer/")[1] ?? `app/${lb.name}/${hexOf(lb.arn, 16)}`;
    const listenerId = hexOf(`listener/${lb.arn}`, 16);
    const listener: ListenerRecord = {
      arn: `arn:aws:elasticloadbalancing:${this.host.region()}:${this.host.accountId()}:listener/${path}/${listenerId}`,
      loadBalancerArn: lb.arn,
      port: 80,
      protocol: "HTTP",
    };
    this.#listeners.set(listener.arn, listener);
    const ruleArn = (id: string) =>
      `arn:aws:elasticloadbalancing:${this.host.region()}:${this.host.accountId()}:listener-rule/${path}/${listenerId}/${id}`;
    const anyTraffic = rules.some((r) => r.traffic === true);
    const defaultRule: RuleRecord = {
      arn: ruleArn(hexOf(`default/${listener.arn}`, 16)),
      listenerArn: listener.arn,
      loadBalancerArn: lb.arn,
      priority: "default",
      conditions: [],
      forward: Object.entries(defaultWeights).map(([targetGroupArn, weight]) => ({ targetGroupArn, weight })),
      stickiness: { enabled: false },
      tags: [],
      traffic: !anyTraffic,
    };
    this.#rules.set(defaultRule.arn, defaultRule);
    for (const spec of rules) {
      const forward = Object.entries(spec.weights).map(([ref, weight]) => {
        const targetGroupArn = this.host.findGroupArn(ref);
        if (!targetGroupArn)
          throw new SimError(
            "InvalidScenario",
            `elbv2: a rule of ${lb.name} names unknown target group ${ref}`,
          );
        return { targetGroupArn, weight };
      });
      const rule: RuleRecord = {
        arn: spec.arn ?? ruleArn(hexOf(`rule/${listener.arn}/${spec.priority}`, 16)),
        listenerArn: listener.arn,
        loadBalancerArn: lb.arn,
        priority: String(spec.priority),
        conditions: [
          {
            Field: "path-pattern",
            Values: spec.pathPatterns ?? ["/*"],
            PathPatternConfig: { Values: spec.pathPatterns ?? ["/*"] },
          },
        ],
        forward,
        stickiness: { enabled: false },
        tags: Object.entries(spec.tags ?? {}).map(([Key, Value]) => ({ Key, Value })),
        traffic: spec.traffic === true,
      };
      this.#rules.set(rule.arn, rule);
      if (rule.traffic) this.host.recordShares(lb.arn, sharesOf(rule.forward));
    }
  }

  /** ECS's own traffic shift (native blue/green) moved the shares: the traffic rule shows them. */
  followShift(loadBalancerArn: string, shares: Record<string, number>): void {
    const rule = this.trafficRule(loadBalancerArn);
    if (!rule) return;
    const arns = new Set([...rule.forward.map((t) => t.targetGroupArn), ...Object.keys(shares)]);
    rule.forward = [...arns].map((targetGroupArn) => ({
      targetGroupArn,
      weight: Math.round(shares[targetGroupArn] ?? 0),
    }));
  }

  trafficRule(loadBalancerArn: string): RuleRecord | undefined {
    return [...this.#rules.values()].find((r) => r.loadBalancerArn === loadBalancerArn && r.traffic);
  }

  rules(): RuleRecord[] {
    return [...this.#rules.values()];
  }

  tagsOf(arn: string): { Key: string; Value: string }[] | undefined {
    return this.#rules.get(arn)?.tags ?? (this.#listeners.has(arn) ? [] : undefined);
  }

  ruleShape(rule: RuleRecord): Shape {
    const single = rule.forward.length === 1 ? rule.forward[0] : undefined;
    return {
      RuleArn: rule.arn,
      Priority: rule.priority,
      Conditions: rule.conditions,
      Actions: [
        {
          Type: "forward",
          ...(single ? { TargetGroupArn: single.targetGroupArn } : {}),
          ForwardConfig: {
            TargetGroups: rule.forward.map((t) => ({ TargetGroupArn: t.targetGroupArn, Weight: t.weight })),
            TargetGroupStickinessConfig: {
              Enabled: rule.stickiness.enabled,
              ...(rule.stickiness.durationSeconds !== undefined
                ? { DurationSeconds: rule.stickiness.durationSeconds }
                : {}),
            },
          },
          Order: 1,
        },
      ],
      IsDefault: rule.priority === "default",
    };
  }

  #listenerShape(listener: ListenerRecord): Shape {
    const rule = [...this.#rules.values()].find(
      (r) => r.listenerArn === listener.arn && r.priority === "default",
    );
    const actions = rule ? (this.ruleShape(rule).Actions as Shape[]) : [];
    return {
      ListenerArn: listener.arn,
      LoadBalancerArn: listener.loadBalancerArn,
      Port: listener.port,
      Protocol: listener.protocol,
      DefaultActions: actions,
    };
  }

  /** The forward action of a ModifyRule request, validated as ELBv2 does. */
  #readForward(rule: RuleRecord, actions: Shape[]): Pick<RuleRecord, "forward" | "stickiness"> {
    if (actions.length !== 1 || actions[0]?.Type !== "forward") {
      // Other action types (redirect, fixed-response, authenticate) are not modelled.
      throw new SimError(
        "ValidationError",
        "The simulator models rules with one forward action only; give exactly one action of type forward.",
      );
    }
    const action = actions[0] as Shape;
    const config = (action.ForwardConfig as Shape | undefined) ?? {};
    const tuples = (Array.isArray(config.TargetGroups) ? config.TargetGroups : []) as Shape[];
    const single = typeof action.TargetGroupArn === "string" ? action.TargetGroupArn : undefined;
    if (single && tuples.length > 1)
      throw new SimError(
        "ValidationError",
        "You cannot specify both a target group ARN and a forward config with more than one target group.",
      );
    const forward =
      tuples.length > 0
        ? tuples.map((t) => ({
            targetGroupArn: String(t.TargetGroupArn ?? ""),
            weight: t.Weight === undefined ? 1 : Number(t.Weight),
          }))
        : single
          ? [{ targetGroupArn: single, weight: 1 }]
          : [];
    if (forward.length === 0 || forward.length > MAX_TARGET_GROUPS)
      throw new SimError(
        "ValidationError",
        `A forward action must have between 1 and ${MAX_TARGET_GROUPS} target groups.`,
      );
    const seen = new Set<string>();
    for (const t of forward) {
      if (!Number.isInteger(t.weight) || t.weight < 0 || t.weight > MAX_WEIGHT)
        throw new SimError(
          "ValidationError",
          `Target group weights must be integers between 0 and ${MAX_WEIGHT}.`,
        );
      if (seen.has(t.targetGroupArn))
        throw new SimError(
          "ValidationError",
          "A target group can be specified only once in a forward action.",
        );
      seen.add(t.targetGroupArn);
      if (!this.host.findGroupArn(t.targetGroupArn))
        throw new SimError("TargetGroupNotFound", "One or more target groups not found");
      if (this.host.otherLoadBalancersOf(t.targetGroupArn, rule.loadBalancerArn).length > 0)
        throw new SimError(
          "TargetGroupAssociationLimit",
          `The following target groups cannot be associated with more than one load balancer: ${t.targetGroupArn}`,
        );
    }
    const sticky = (config.TargetGroupStickinessConfig as Shape | undefined) ?? {};
    const enabled = sticky.Enabled === true || sticky.Enabled === "true";
    const duration = sticky.DurationSeconds === undefined ? undefined : Number(sticky.DurationSeconds);
    return {
      forward,
      stickiness: { enabled, ...(enabled && duration !== undefined ? { durationSeconds: duration } : {}) },
    };
  }

  readonly operations = {
    DescribeListeners: (input: Shape) => {
      const arns = (Array.isArray(input.ListenerArns) ? input.ListenerArns : []) as string[];
      const lbArn = typeof input.LoadBalancerArn === "string" ? input.LoadBalancerArn : undefined;
      if (arns.length === 0 && !lbArn)
        throw new SimError("ValidationError", "You must specify either listener ARNs or a load balancer ARN");
      let listeners = [...this.#listeners.values()];
      if (arns.length > 0) {
        listeners = arns.map((a) => this.#listeners.get(a)).filter((l) => l !== undefined);
        if (listeners.length < arns.length)
          throw new SimError("ListenerNotFound", "One or more listeners not found");
      }
      if (lbArn) {
        if (!listeners.some((l) => l.loadBalancerArn === lbArn) && arns.length === 0)
          throw new SimError("LoadBalancerNotFound", "One or more load balancers not found");
        listeners = listeners.filter((l) => l.loadBalancerArn === lbArn);
      }
      return { Listeners: listeners.map((l) => this.#listenerShape(l)) };
    },

    DescribeRules: (input: Shape) => {
      const arns = (Array.isArray(input.RuleArns) ? input.RuleArns : []) as string[];
      const listenerArn = typeof input.ListenerArn === "string" ? input.ListenerArn : undefined;
      if (arns.length === 0 && !listenerArn)
        throw new SimError("ValidationError", "You must specify either listener ARN or rule ARNs");
      if (listenerArn && !this.#listeners.has(listenerArn))
        throw new SimError("ListenerNotFound", "One or more listeners not found");
      let rules = [...this.#rules.values()];
      if (arns.length > 0) {
        rules = arns.map((a) => this.#rules.get(a)).filter((r) => r !== undefined);
        if (rules.length < arns.length) throw notFound();
      }
      if (listenerArn) rules = rules.filter((r) => r.listenerArn === listenerArn);
      return { Rules: rules.map((r) => this.ruleShape(r)) };
    },

    ModifyRule: (input: Shape) => {
      const arn = typeof input.RuleArn === "string" ? input.RuleArn : "";
      if (!arn) throw new SimError("ValidationError", "RuleArn is required");
      const rule = this.#rules.get(arn);
      if (!rule) throw notFound();
      if (rule.priority === "default")
        throw new SimError(
          "OperationNotPermitted",
          "The default rule of a listener cannot be modified with ModifyRule; use ModifyListener.",
        );
      const actions = Array.isArray(input.Actions) ? (input.Actions as Shape[]) : undefined;
      const conditions = Array.isArray(input.Conditions) ? (input.Conditions as Shape[]) : undefined;
      // Validate everything before changing anything.
      const forward = actions ? this.#readForward(rule, actions) : undefined;
      if (conditions && conditions.length === 0)
        throw new SimError("ValidationError", "A rule must have at least one condition");
      if (forward) Object.assign(rule, forward);
      if (conditions) rule.conditions = conditions;
      if (forward && rule.traffic) this.host.recordShares(rule.loadBalancerArn, sharesOf(rule.forward));
      return { Rules: [this.ruleShape(rule)] };
    },
  };
}
