// The strategy inputs: refused as ECS would refuse them, and the UpdateService fields they make.
import type { Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import {
  type StrategyRequest,
  strategyInputSpec,
  strategyRequestFrom,
  strategyUpdate,
} from "../../../../packages/core/src/ecs/strategy";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { parseInputs } from "../../../../packages/core/src/runtime/inputs";

const TG = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/0123456789abcdef";
const TG2 = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web-green/fedcba9876543210";
const RULE =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/alb/0a1b2c3d/1a2b3c4d/0c1d2e3f";
const ROLE = "arn:aws:iam::123456789012:role/ecsInfrastructure";

function request(given: Record<string, string>): StrategyRequest {
  const inputs = parseInputs(strategyInputSpec, {
    source: (name) => given[name] ?? strategyInputSpec[name as keyof typeof strategyInputSpec]?.default,
  });
  return strategyRequestFrom(inputs);
}

function refusal(run: () => unknown): { input: string | undefined; message: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return { input: error.input, message: error.message };
    throw error;
  }
  throw new Error("not refused");
}

const rolling: Service = {
  serviceName: "web",
  deploymentController: { type: "ECS" },
  deploymentConfiguration: {
    strategy: "ROLLING",
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    deploymentCircuitBreaker: { enable: true, rollback: true },
  },
  loadBalancers: [{ targetGroupArn: TG, containerName: "app", containerPort: 8080 }],
};
const advanced = {
  "alternate-target-group": TG2,
  "production-listener-rule": RULE,
  "load-balancer-role": ROLE,
};

describe("strategyRequestFrom", () => {
  it.each([
    [{ "canary-percent": "5" }, "canary-percent", /`strategy` is not set/],
    [{ strategy: "linear", "canary-bake-minutes": "3" }, "canary-bake-minutes", /"linear"/],
    [{ strategy: "canary", "canary-percent": "0.05" }, "canary-percent", /below the minimum of 0\.1/],
    [{ strategy: "canary", "canary-percent": "12.34" }, "canary-percent", /multiple of 0\.1/],
    [{ strategy: "linear", "linear-step-percent": "101" }, "linear-step-percent", /above the maximum/],
    [{ strategy: "canary", "canary-bake-minutes": "1441" }, "canary-bake-minutes", /above the maximum/],
    [{ strategy: "rolling", "lifecycle-hooks": "[]" }, "lifecycle-hooks", /rolling deployment/],
    [{ strategy: "canary", "alternate-target-group": TG2 }, "production-listener-rule", /together/],
    [
      { strategy: "canary", ...advanced, "test-listener-rule": RULE },
      "test-listener-rule",
      /is the production/,
    ],
    [{ "deployment-alarms-rollback": "false" }, "deployment-alarms-rollback", /names none/],
    [
      {
        strategy: "canary",
        "lifecycle-hooks": JSON.stringify([
          {
            hookTargetArn: "arn:aws:lambda:eu-west-1:123456789012:function:f",
            roleArn: ROLE,
            lifecycleStages: ["BAKE_TIME"],
          },
        ]),
      },
      "lifecycle-hooks",
      /"BAKE_TIME" is not a lifecycle stage/,
    ],
  ])("refuses %o, naming %s", (given, input, message) => {
    const refused = refusal(() => request(given));
    expect(refused.input).toBe(input);
    expect(refused.message).toMatch(message);
  });

  it("leaves everything to the service when no strategy input is given", () => {
    expect(request({})).toMatchObject({
      strategy: undefined,
      canary: undefined,
      advanced: undefined,
      alarms: undefined,
    });
  });
});

describe("strategyUpdate", () => {
  it("moves a rolling service to canary with its own settings sent back unchanged", () => {
    const update = strategyUpdate(
      rolling,
      request({ strategy: "canary", "canary-percent": "2.5", ...advanced }),
    );
    expect(update.deploymentConfiguration).toEqual({
      ...rolling.deploymentConfiguration,
      strategy: "CANARY",
      canaryConfiguration: { canaryPercent: 2.5 },
    });
    expect(update.loadBalancers).toEqual([
      {
        targetGroupArn: TG,
        containerName: "app",
        containerPort: 8080,
        advancedConfiguration: { alternateTargetGroupArn: TG2, productionListenerRule: RULE, roleArn: ROLE },
      },
    ]);
    expect(update.changes).toContain("strategy ROLLING → CANARY");
  });

  it("sends nothing when the service already has what is asked", () => {
    const canary: Service = {
      ...rolling,
      deploymentConfiguration: {
        ...rolling.deploymentConfiguration,
        strategy: "CANARY",
        canaryConfiguration: { canaryPercent: 5 },
      },
      loadBalancers: [
        {
          ...rolling.loadBalancers?.[0],
          advancedConfiguration: {
            alternateTargetGroupArn: TG2,
            productionListenerRule: RULE,
            roleArn: ROLE,
          },
        },
      ],
    };
    expect(strategyUpdate(canary, request({ strategy: "canary", "canary-percent": "5" }))).toEqual({
      changes: [],
    });
  });

  it("moves back to rolling with the one input", () => {
    const canary: Service = {
      ...rolling,
      deploymentConfiguration: { ...rolling.deploymentConfiguration, strategy: "CANARY" },
    };
    expect(strategyUpdate(canary, request({ strategy: "rolling" })).deploymentConfiguration?.strategy).toBe(
      "ROLLING",
    );
  });

  it("turns the deployment alarms on, with rollback unless told otherwise", () => {
    const update = strategyUpdate(rolling, request({ "deployment-alarms": "web-5xx, web-p95" }));
    expect(update.deploymentConfiguration?.alarms).toEqual({
      alarmNames: ["web-5xx", "web-p95"],
      enable: true,
      rollback: true,
    });
  });

  it.each([
    [{ ...rolling, loadBalancers: [] }, { strategy: "blue-green" }, "strategy", /no load balancer/],
    [rolling, { strategy: "linear" }, "alternate-target-group", /no advanced configuration/],
    [
      rolling,
      { strategy: "canary", ...advanced, "alternate-target-group": TG },
      "alternate-target-group",
      /own target group/,
    ],
    [
      { ...rolling, deploymentController: { type: "CODE_DEPLOY" } },
      { strategy: "canary" },
      "strategy",
      /CODE_DEPLOY deployment controller/,
    ],
  ] as const)("refuses what the service cannot take (%#)", (service, given, input, message) => {
    const refused = refusal(() =>
      strategyUpdate(service as Service, request(given as Record<string, string>)),
    );
    expect(refused.input).toBe(input);
    expect(refused.message).toMatch(message);
  });
});
