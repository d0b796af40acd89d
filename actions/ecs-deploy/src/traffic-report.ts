// The traffic steps of a run (`traffic-rule`) in the report and the step summary: each step's
// weights and verdict, the share the new revision had at most, and whether the rule was put back;
// and a CodeDeploy deployment's lifecycle events, verdict and rollback.

import type { TrafficStepsReport } from "@shipline/core/ecs/weighted-steps-report";
import { describeWeights, type ForwardWeights } from "@shipline/core/elb/listener-rule";
import { SummaryBuilder } from "@shipline/core/runtime/summary";

export interface TrafficStepsJson {
  ruleArn: string;
  canaryService: string;
  primaryTargetGroup: string;
  canaryTargetGroup: string;
  foundWeights: ForwardWeights;
  verdict: TrafficStepsReport["verdict"];
  exposurePercent: number;
  restored: boolean;
  canaryAfter: string;
  steps: {
    percent: number;
    weights: ForwardWeights;
    startedAt: string;
    verdict: string;
    reason: string;
    failedChecks: string[];
    checks: { name: string; status: string; summary: string }[];
  }[];
}

export function trafficStepsJson(report: TrafficStepsReport): TrafficStepsJson {
  const { steps, ...rest } = report;
  return {
    ...rest,
    steps: steps.map((s) => ({
      percent: s.percent,
      weights: s.weights,
      startedAt: s.startedAt,
      verdict: s.verdict,
      reason: s.reason,
      failedChecks: s.report.failedChecks,
      checks: s.report.checks.map((c) => ({ name: c.name, status: c.status, summary: c.summary })),
    })),
  };
}

const VERDICT_ICON: Record<string, string> = { pass: "✅", fail: "❌", inconclusive: "❔" };

export function writeTrafficSummary(summary: SummaryBuilder, steps: TrafficStepsJson): void {
  summary.heading(`Traffic steps to ${steps.canaryService}: ${steps.verdict}`, 3);
  summary.table(
    ["Step", "Rule weights", "Verdict", "Evidence"],
    steps.steps.map((s) => [
      `${s.percent} %`,
      describeWeights(s.weights),
      `${VERDICT_ICON[s.verdict] ?? ""} ${s.verdict}`,
      s.checks.map((c) => `${c.name}: ${c.summary}`).join("; ") || s.reason,
    ]),
  );
  const back = steps.restored
    ? `The rule was put back as found (${describeWeights(steps.foundWeights)}).`
    : `⚠️ The rule could NOT be put back: set it to ${describeWeights(steps.foundWeights)} by hand (\`aws elbv2 modify-rule --rule-arn ${steps.ruleArn} ...\`).`;
  summary.paragraph(
    `The new revision had at most ${steps.exposurePercent} % of the traffic. ${back} Canary: ${steps.canaryAfter}.`,
  );
  if (steps.steps.length > 0) {
    const details = new SummaryBuilder();
    for (const s of steps.steps) details.paragraph(`**${s.percent} %** (from ${s.startedAt}): ${s.reason}`);
    summary.details("Why each step was judged so", details);
  }
}

/** The CodeDeploy deployment of a run, as the summary shows it. */
export function writeCodeDeploySummary(
  summary: SummaryBuilder,
  cd: {
    deploymentId: string;
    status: string;
    deploymentConfig: string;
    verdict: string;
    verdictReason: string;
    exposurePercent: number;
    stopped: boolean;
    rollbackDeploymentId: string | undefined;
    rollbackStatus: string | undefined;
    lifecycleEvents: { name: string; status: string }[];
  },
): void {
  summary.heading(`CodeDeploy ${cd.deploymentId}: ${cd.status}`, 3);
  summary.paragraph(
    `Config \`${cd.deploymentConfig}\` · judging: ${VERDICT_ICON[cd.verdict] ?? ""} ${cd.verdict} (${cd.verdictReason}) · the replacement task set had at most ${cd.exposurePercent} % of production traffic${cd.stopped ? ` · stopped with auto-rollback (${cd.rollbackDeploymentId ?? "?"}: ${cd.rollbackStatus ?? "pending"})` : ""}.`,
  );
  if (cd.lifecycleEvents.length > 0)
    summary.table(
      ["Lifecycle event", "Status"],
      cd.lifecycleEvents.map((e) => [e.name, e.status]),
    );
}
