// The AppSpec generated for a CodeDeploy ECS deployment, and how a deployment's end becomes the
// service's result.
import { describe, expect, it } from "vitest";
import { appSpecContent, appSpecTaskDefinition } from "../../../../packages/core/src/codedeploy/appspec";
import type { CodeDeployReport } from "../../../../packages/core/src/codedeploy/deployment";
import { codeDeployOutcome } from "../../../../packages/core/src/codedeploy/execute";

const TD = "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7";

describe("AppSpec", () => {
  it("names the revision, the container and port, the platform version, and hooks in lifecycle order", () => {
    const content = appSpecContent({
      taskDefinitionArn: TD,
      containerName: "app",
      containerPort: 8080,
      platformVersion: "1.4.0",
      hooks: { AfterAllowTraffic: "late", BeforeInstall: "early" },
    });
    expect(JSON.parse(content)).toEqual({
      version: "0.0",
      Resources: [
        {
          TargetService: {
            Type: "AWS::ECS::Service",
            Properties: {
              TaskDefinition: TD,
              LoadBalancerInfo: { ContainerName: "app", ContainerPort: 8080 },
              PlatformVersion: "1.4.0",
            },
          },
        },
      ],
      Hooks: [{ BeforeInstall: "early" }, { AfterAllowTraffic: "late" }],
    });
    expect(appSpecTaskDefinition(content)).toBe(TD);
  });

  it("has no Hooks section without hooks, and no task definition for content it did not write", () => {
    const content = appSpecContent({
      taskDefinitionArn: TD,
      containerName: "app",
      containerPort: 80,
      hooks: {},
    });
    expect(JSON.parse(content)).not.toHaveProperty("Hooks");
    expect(appSpecTaskDefinition("version: 0.0\nResources: []")).toBeUndefined();
    expect(appSpecTaskDefinition(undefined)).toBeUndefined();
  });
});

const report = (extra: Partial<CodeDeployReport>): CodeDeployReport => ({
  deploymentId: "d-ABCDEFGHI",
  status: "Succeeded",
  deploymentConfig: "CodeDeployDefault.ECSAllAtOnce",
  resumed: false,
  lifecycleEvents: [],
  greenTargetGroup: "web-green",
  exposurePercent: 100,
  verdict: "pass",
  verdictReason: "every check passed",
  stopped: false,
  rollbackDeploymentId: undefined,
  rollbackStatus: undefined,
  error: undefined,
  ...extra,
});

describe("a CodeDeploy deployment's end as the service's result", () => {
  it.each([
    [{}, "succeeded", /succeeded \(judging: pass\)/],
    [
      {
        stopped: true,
        status: "Stopped",
        verdict: "fail",
        rollbackDeploymentId: "d-R",
        rollbackStatus: "Succeeded",
      },
      "failed",
      /stopped with auto-rollback \(d-R Succeeded\)/,
    ],
    [{ verdict: "fail" }, "failed", /after the original was terminated/],
    [{ status: "Failed", error: "HEALTH_CONSTRAINTS" }, "failed", /ended Failed: HEALTH_CONSTRAINTS/],
    [
      { status: "InProgress", error: "CodeDeploy deployment d-X did not finish within wait-timeout" },
      "timed-out",
      /wait-timeout/,
    ],
  ] as const)("%o is %s", (extra, status, reason) => {
    const outcome = codeDeployOutcome(report(extra as Partial<CodeDeployReport>));
    expect(outcome.status).toBe(status);
    expect(outcome.reason).toMatch(reason);
  });
});
