// The step summary of a judged native deployment: the traffic chart's points and what it tells.
import { describe, expect, it } from "vitest";
import { trafficPoints, writeStepSummary } from "../../../../packages/core/src/ecs/step-summary";
import type { StepReport } from "../../../../packages/core/src/ecs/step-watch";
import { SummaryBuilder } from "../../../../packages/core/src/runtime/summary";

const stopped: StepReport = {
  strategy: "LINEAR",
  stableTargetGroup: "tg-blue",
  newTargetGroup: "tg-green",
  steps: [
    {
      at: 40_000,
      stage: "PRODUCTION_TRAFFIC_SHIFT",
      weight: 25,
      verdict: "pass",
      findings: ["error rate 0.1 %"],
    },
    {
      at: 100_000,
      stage: "PRODUCTION_TRAFFIC_SHIFT",
      weight: 50,
      verdict: "fail",
      findings: ["error rate 20.0 %: too high"],
    },
  ],
  stopped: {
    at: 105_000,
    weight: 50,
    stage: "PRODUCTION_TRAFFIC_SHIFT",
    reason: "error rate 20.0 %: too high",
    accepted: true,
  },
  exposure: { served: 900, failed: 120, total: 4000, failedShare: 0.03, weightAtStop: 50 },
  gaps: [],
};

describe("the step summary", () => {
  it("charts the share from the start through each judged step to the rollback", () => {
    expect(trafficPoints(stopped, 0)).toEqual([
      { label: "start", weight: 0 },
      { label: "+40s shift ✓ pass", weight: 25 },
      { label: "+1m40s shift ✗ fail", weight: 50 },
      { label: "+1m45s rolled back", weight: 0 },
    ]);
  });

  it("says where the new revision was stopped, its exposure and how to go on by hand", () => {
    const summary = new SummaryBuilder();
    writeStepSummary(summary, "web", stopped, {
      startedAt: 0,
      serviceDeploymentArn: "arn:sd",
      cluster: "prod",
    });
    const markdown = summary.toMarkdown();
    expect(markdown).toContain("xychart-beta");
    expect(markdown).toContain('y-axis "% of production traffic" 0 --> 50');
    expect(markdown).toMatch(
      /stopped the deployment with ROLLBACK at PRODUCTION_TRAFFIC_SHIFT, with \*\*50 %\*\*/,
    );
    expect(markdown).toMatch(
      /served 900 of 4000 requests during the deployment and failed 120 of them, \*\*3\.00 % of all requests\*\*/,
    );
    expect(markdown).toContain("aws ecs describe-service-deployments --service-deployment-arns arn:sd");
  });

  it("says there was nothing to judge when the deployment ended before any step", () => {
    const summary = new SummaryBuilder();
    const { stopped: _stopped, exposure: _exposure, ...rest } = stopped;
    writeStepSummary(
      summary,
      "web",
      { ...rest, steps: [] },
      {
        startedAt: 0,
        serviceDeploymentArn: "arn:sd",
        cluster: "prod",
      },
    );
    expect(summary.toMarkdown()).toMatch(/no step to judge/);
    expect(summary.toMarkdown()).toContain("--stop-type ROLLBACK");
  });
});
