// ecs-deploy's settings for traffic steps and CodeDeploy: what each needs, and the combinations
// refused before any call, each naming its input.
import { describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/ecs-deploy/src/inputs";
import { settingsFrom } from "../../../actions/ecs-deploy/src/settings";
import { UserError } from "../../../packages/core/src/runtime/errors";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";

const ENV = { GITHUB_WORKSPACE: "/ws", AWS_REGION: "eu-west-1" };
const RULE =
  "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";

function settings(given: Record<string, string>) {
  const inputs = parseInputs(inputSpec, {
    source: (name) => given[name] ?? inputSpec[name as keyof typeof inputSpec]?.default,
  });
  return settingsFrom(inputs, ENV);
}

function refusal(given: Record<string, string>): { input: string | undefined; message: string } {
  try {
    settings(given);
  } catch (error) {
    if (error instanceof UserError) return { input: error.input, message: error.message };
    throw error;
  }
  throw new Error("not refused");
}

const BASE = { cluster: "prod", services: "web" };
const STEPS = { ...BASE, "traffic-rule": RULE, "canary-service": "web-canary" };
const CD = { ...BASE, "codedeploy-application": "web", "codedeploy-deployment-group": "web-prod" };

describe("ecs-deploy traffic-step settings", () => {
  it("defaults to 1, 5, 50 and 100 %, two minutes each, the health gate's thresholds", () => {
    expect(settings(STEPS).traffic).toEqual({
      ruleArn: RULE,
      canaryService: "web-canary",
      steps: [1, 5, 50, 100],
      pauseMs: 120_000,
      errorRateThreshold: 0.05,
      latencyP95ThresholdSeconds: 2,
      minRequests: 20,
    });
  });

  it("has no traffic steps without traffic-rule", () => {
    expect(settings(BASE).traffic).toBeUndefined();
  });

  it.each([
    [{ ...BASE, "canary-service": "web-canary" }, "canary-service", /needs? `traffic-rule`/],
    [{ ...BASE, "traffic-rule": RULE }, "canary-service", /second target group/],
    [{ ...STEPS, services: "web,api" }, "services", /one service/],
    [{ ...STEPS, "canary-service": "web" }, "canary-service", /the service being deployed/],
    [{ ...STEPS, wait: "false" }, "wait", /judged while the step waits/],
    [{ ...STEPS, strategy: "canary" }, "strategy", /one rule cannot take both/],
    [{ ...STEPS, "traffic-steps": "5,1,100" }, "traffic-steps", /does not come after/],
    [{ ...STEPS, "traffic-steps": "1,5,50" }, "traffic-steps", /last step must be 100/],
    [{ ...STEPS, "traffic-steps": "0,100" }, "traffic-steps", /whole percentage from 1 to 100/],
    [{ ...STEPS, "traffic-steps": "10,200" }, "traffic-steps", /whole percentage from 1 to 100/],
  ])("refuses %o naming %s", (given, input, message) => {
    const refused = refusal(given);
    expect(refused.input).toBe(input);
    expect(refused.message).toMatch(message);
  });

  it("refuses a traffic-rule that is not a listener rule's ARN", () => {
    expect(
      refusal({
        ...STEPS,
        "traffic-rule": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/1/2",
      }).input,
    ).toBe("traffic-rule");
  });
});

describe("ecs-deploy CodeDeploy settings", () => {
  it("reads the application, group, config, hooks and judging window", () => {
    expect(
      settings({
        ...CD,
        "codedeploy-deployment-config": "CodeDeployDefault.ECSCanary10Percent5Minutes",
        "codedeploy-hooks": "AfterAllowTestTraffic=arn:aws:lambda:eu-west-1:123456789012:function:smoke",
        "codedeploy-judge": "5m",
      }).codeDeploy,
    ).toMatchObject({
      application: "web",
      deploymentGroup: "web-prod",
      deploymentConfig: "CodeDeployDefault.ECSCanary10Percent5Minutes",
      hooks: { AfterAllowTestTraffic: "arn:aws:lambda:eu-west-1:123456789012:function:smoke" },
      judgeMs: 300_000,
    });
    expect(settings(CD).request.codeDeploy).toBe(true);
    expect(settings(BASE).request.codeDeploy).toBe(false);
  });

  it.each([
    [
      { ...BASE, "codedeploy-deployment-group": "web-prod" },
      "codedeploy-deployment-group",
      /needs `codedeploy-application`/,
    ],
    [
      { ...BASE, "codedeploy-application": "web" },
      "codedeploy-deployment-group",
      /needs its deployment group/,
    ],
    [{ ...CD, services: "web,api" }, "services", /deploys one service/],
    [{ ...CD, "traffic-rule": RULE, "canary-service": "c" }, "traffic-rule", /CodeDeploy shifts the traffic/],
    [{ ...CD, "desired-count": "3" }, "desired-count", /changes only the task definition/],
    [{ ...CD, wait: "false" }, "wait", /followed and judged/],
    [{ ...CD, "codedeploy-hooks": "Install=fn" }, "codedeploy-hooks", /not a lifecycle event with a hook/],
  ])("refuses %o naming %s", (given, input, message) => {
    const refused = refusal(given);
    expect(refused.input).toBe(input);
    expect(refused.message).toMatch(message);
  });
});
