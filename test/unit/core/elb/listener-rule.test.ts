// The listener rule pieces that need no AWS: reading weights from actions, replacing them while
// keeping everything else, and comparing them.
import type { Action } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import {
  actionsWithWeights,
  describeWeights,
  forwardWeights,
  type OwnedRule,
  sameWeights,
} from "../../../../packages/core/src/elb/listener-rule";

const A = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef";
const B = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-canary/00112233445566aa";

describe("listener rule weights", () => {
  it("reads a weighted forward action's weights", () => {
    const actions: Action[] = [
      {
        Type: "forward",
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: A, Weight: 999 },
            { TargetGroupArn: B, Weight: 0 },
          ],
        },
      },
    ];
    expect(forwardWeights(actions)).toEqual({ [A]: 999, [B]: 0 });
  });

  it("reads a single-target-group forward as weight 1", () => {
    expect(forwardWeights([{ Type: "forward", TargetGroupArn: A }])).toEqual({ [A]: 1 });
  });

  it.each([
    [[]],
    [[{ Type: "redirect" }]],
    [
      [
        { Type: "authenticate-oidc", Order: 1 },
        { Type: "forward", TargetGroupArn: A, Order: 2 },
      ],
    ],
  ] as Action[][][])("has no weights for %o", (actions) => {
    expect(forwardWeights(actions)).toBeUndefined();
  });

  it("replaces only the weights: stickiness and order stay as found", () => {
    const rule: OwnedRule = {
      arn: "rule",
      found: { [A]: 1 },
      foundActions: [
        {
          Type: "forward",
          TargetGroupArn: A,
          Order: 1,
          ForwardConfig: {
            TargetGroups: [{ TargetGroupArn: A, Weight: 1 }],
            TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
          },
        },
      ],
    };
    expect(actionsWithWeights(rule, { [A]: 95, [B]: 5 })).toEqual([
      {
        Type: "forward",
        Order: 1,
        ForwardConfig: {
          TargetGroups: [
            { TargetGroupArn: A, Weight: 95 },
            { TargetGroupArn: B, Weight: 5 },
          ],
          TargetGroupStickinessConfig: { Enabled: true, DurationSeconds: 60 },
        },
      },
    ]);
  });

  it("compares weights with a missing group as 0", () => {
    expect(sameWeights({ [A]: 100 }, { [A]: 100, [B]: 0 })).toBe(true);
    expect(sameWeights({ [A]: 100 }, { [A]: 95, [B]: 5 })).toBe(false);
    expect(sameWeights(undefined, { [A]: 100 })).toBe(false);
  });

  it("names target groups by name for a person", () => {
    expect(describeWeights({ [A]: 95, [B]: 5 })).toBe("web 95 / web-canary 5");
  });
});
