// The simulated ELBv2's listener rules through the SDK: reading rules and their tags, ModifyRule's
// weighted forward actions and what it refuses, and the shares the load balancer's traffic follows.
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  ModifyRuleCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterEach, describe, expect, it } from "vitest";
import { type Scenario, type Simulator, startSimulator } from "../../sim/index";
import { simulatorClients } from "./clients";
import { TG, webScenario } from "./web-scenario";

const CANARY = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-canary/00112233445566aa";
const RULE =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/web-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.stop();
  sim = undefined;
});

function rulesScenario(): Scenario {
  const base = webScenario();
  const elbv2 = base.elbv2 as { targetGroups: Record<string, unknown>[] };
  return {
    ...base,
    clock: { mode: "manual" },
    elbv2: {
      targetGroups: [...elbv2.targetGroups, { name: "web-canary", arn: CANARY, port: 8080 }],
      loadBalancers: [
        {
          name: "web-alb",
          targetGroups: ["web", "web-canary"],
          rules: [
            {
              priority: 10,
              arn: RULE,
              weights: { web: 100, "web-canary": 0 },
              tags: { "shipline:traffic-steps": "default/web" },
              traffic: true,
            },
          ],
        },
      ],
    },
  };
}

const forward = (weights: [string, number][]) => [
  {
    Type: "forward" as const,
    ForwardConfig: { TargetGroups: weights.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })) },
  },
];

describe("simulated ELBv2 listener rules", () => {
  it("lists the listener's default rule and the scenario's rule with its weighted forward action and tags", async () => {
    sim = await startSimulator({ scenario: rulesScenario() });
    const { elb } = simulatorClients(sim);
    const lb = sim.elbv2.loadBalancers()[0]?.LoadBalancerArn ?? "";
    const listeners = await elb.send(new DescribeListenersCommand({ LoadBalancerArn: lb }));
    expect(listeners.Listeners).toHaveLength(1);
    const rules = await elb.send(
      new DescribeRulesCommand({ ListenerArn: listeners.Listeners?.[0]?.ListenerArn }),
    );
    expect(rules.Rules?.map((r) => [r.Priority, r.IsDefault])).toEqual([
      ["default", true],
      ["10", false],
    ]);
    const rule = rules.Rules?.find((r) => r.RuleArn === RULE);
    expect(rule?.Actions?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: TG, Weight: 100 },
      { TargetGroupArn: CANARY, Weight: 0 },
    ]);
    const tags = await elb.send(new DescribeTagsCommand({ ResourceArns: [RULE] }));
    expect(tags.TagDescriptions).toEqual([
      { ResourceArn: RULE, Tags: [{ Key: "shipline:traffic-steps", Value: "default/web" }] },
    ]);
  });

  it("ModifyRule sets the weights, which the load balancer's traffic shares follow", async () => {
    sim = await startSimulator({ scenario: rulesScenario() });
    const { elb } = simulatorClients(sim);
    const out = await elb.send(
      new ModifyRuleCommand({
        RuleArn: RULE,
        Actions: forward([
          [TG, 95],
          [CANARY, 5],
        ]),
      }),
    );
    expect(out.Rules?.[0]?.Actions?.[0]?.ForwardConfig?.TargetGroups).toEqual([
      { TargetGroupArn: TG, Weight: 95 },
      { TargetGroupArn: CANARY, Weight: 5 },
    ]);
    expect(sim.elbv2.weights("web-alb")).toEqual({ [TG]: 95, [CANARY]: 5 });
    // Weights are relative: 999 and 111 are 90 % and 10 %.
    await elb.send(
      new ModifyRuleCommand({
        RuleArn: RULE,
        Actions: forward([
          [TG, 999],
          [CANARY, 111],
        ]),
      }),
    );
    expect(sim.elbv2.weights("web-alb")).toEqual({ [TG]: 90, [CANARY]: 10 });
  });

  it.each([
    ["a weight above 999", () => ({ RuleArn: RULE, Actions: forward([[TG, 1000]]) }), "ValidationError"],
    [
      "an unknown target group",
      () => ({ RuleArn: RULE, Actions: forward([[`${TG}0`, 1]]) }),
      "TargetGroupNotFoundException",
    ],
    [
      "an unknown rule",
      () => ({ RuleArn: `${RULE.slice(0, -1)}0`, Actions: forward([[TG, 1]]) }),
      "RuleNotFoundException",
    ],
  ])("refuses %s and changes nothing", async (_what, request, error) => {
    sim = await startSimulator({ scenario: rulesScenario() });
    const { elb } = simulatorClients(sim);
    await expect(elb.send(new ModifyRuleCommand(request()))).rejects.toMatchObject({ name: error });
    expect(sim.elbv2.weights("web-alb")).toEqual({ [TG]: 100, [CANARY]: 0 });
  });

  it("refuses ModifyRule on a listener's default rule", async () => {
    sim = await startSimulator({ scenario: rulesScenario() });
    const { elb } = simulatorClients(sim);
    const defaultRule = sim.elbv2.rules().find((r) => r.IsDefault)?.RuleArn;
    await expect(
      elb.send(new ModifyRuleCommand({ RuleArn: defaultRule, Actions: forward([[TG, 1]]) })),
    ).rejects.toMatchObject({ name: "OperationNotPermittedException" });
  });
});
