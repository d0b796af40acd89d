// The decisions of shipline-driven traffic steps that need no AWS: which steps are valid, which
// target group is whose, and the weights at each step.
import type { Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import {
  checkTrafficSteps,
  pairTargetGroups,
  stepWeights,
  type TrafficPlan,
} from "../../../../packages/core/src/ecs/weighted-steps";
import type { OwnedRule } from "../../../../packages/core/src/elb/listener-rule";
import { UserError } from "../../../../packages/core/src/runtime/errors";

const A = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef";
const B = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-canary/00112233445566aa";
const C = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/other/ffffffffffffffff";

const service = (name: string, ...groups: string[]): Service => ({
  serviceName: name,
  loadBalancers: groups.map((targetGroupArn) => ({
    targetGroupArn,
    containerName: "app",
    containerPort: 8080,
  })),
});
const rule = (found: Record<string, number>): OwnedRule => ({ arn: "rule", found, foundActions: [] });

function refusalOf(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("not refused");
}

describe("traffic steps", () => {
  it.each([
    [[1, 5, 50, 100], undefined],
    [[100], undefined],
    [[], "no step is given"],
    [[1, 5, 50], "the last step must be 100, so the new revision is judged on all traffic"],
    [[5, 5, 100], "5 does not come after a smaller step"],
    [[0.5, 100], "0.5 is not a whole percentage from 1 to 100"],
  ])("steps %o: %s", (steps, problem) => {
    expect(checkTrafficSteps(steps)).toBe(problem);
  });

  it("pairs the service's group (serving) with the canary's (at 0 or absent from the rule)", () => {
    expect(pairTargetGroups(rule({ [A]: 100, [B]: 0 }), service("web", A), service("web-canary", B))).toEqual(
      {
        primaryTargetGroup: A,
        canaryTargetGroup: B,
      },
    );
    expect(pairTargetGroups(rule({ [A]: 1 }), service("web", A), service("web-canary", B))).toEqual({
      primaryTargetGroup: A,
      canaryTargetGroup: B,
    });
  });

  it("refuses a rule not at rest: weight already on another group", () => {
    const refused = refusalOf(() =>
      pairTargetGroups(rule({ [A]: 90, [B]: 10 }), service("web", A), service("web-canary", B)),
    );
    expect(refused.input).toBe("traffic-rule");
    expect(refused.message).toMatch(/not at rest/);
  });

  it("refuses a rule that does not forward to the service's group", () => {
    const refused = refusalOf(() =>
      pairTargetGroups(rule({ [C]: 100 }), service("web", A), service("web-canary", B)),
    );
    expect(refused.input).toBe("traffic-rule");
  });

  it("refuses a canary with no group of its own", () => {
    const refused = refusalOf(() =>
      pairTargetGroups(rule({ [A]: 100 }), service("web", A), service("web-canary", A)),
    );
    expect(refused.input).toBe("canary-service");
  });

  it("gives the canary its share and the service the rest, other groups of the rule at 0", () => {
    const plan = {
      rule: rule({ [A]: 100, [B]: 0, [C]: 0 }),
      primaryTargetGroup: A,
      canaryTargetGroup: B,
    } as TrafficPlan;
    expect(stepWeights(plan, 5)).toEqual({ [A]: 95, [B]: 5, [C]: 0 });
    expect(stepWeights(plan, 100)).toEqual({ [A]: 0, [B]: 100, [C]: 0 });
  });
});
