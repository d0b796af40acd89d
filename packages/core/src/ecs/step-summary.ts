// The step summary of a judged native deployment: the new revision's share of production traffic over
// time as a chart whose points carry each step's verdict, the bad version's exposure, and how to go on
// or roll back by hand.
import { formatDuration } from "../runtime/format";
import { SummaryBuilder } from "../runtime/summary";
import type { StepReport } from "./step-watch";

const VERDICT: Record<string, string> = { pass: "✓ pass", fail: "✗ fail", wait: "… wait" };

const STAGE: Record<string, string> = {
  TEST_TRAFFIC_SHIFT: "test traffic",
  POST_TEST_TRAFFIC_SHIFT: "test traffic",
  PRODUCTION_TRAFFIC_SHIFT: "shift",
  POST_PRODUCTION_TRAFFIC_SHIFT: "shifted",
  BAKE_TIME: "bake",
};

/** Points of the chart: the start, every step judged, and the rollback when there was one. */
export function trafficPoints(report: StepReport, startedAt: number): { label: string; weight: number }[] {
  const points = [{ label: "start", weight: 0 }];
  for (const step of report.steps) {
    points.push({
      label: `+${formatDuration(step.at - startedAt)} ${STAGE[step.stage] ?? step.stage} ${VERDICT[step.verdict] ?? step.verdict}`,
      weight: step.weight,
    });
  }
  if (report.stopped?.accepted) {
    points.push({ label: `+${formatDuration(report.stopped.at - startedAt)} rolled back`, weight: 0 });
  }
  return points;
}

const percent = (ratio: number): string => `${(ratio * 100).toFixed(ratio < 0.001 ? 3 : 2)} %`;

export function writeStepSummary(
  summary: SummaryBuilder,
  service: string,
  report: StepReport,
  context: { startedAt: number; serviceDeploymentArn: string | undefined; cluster: string },
): void {
  summary.heading(`Steps of ${service} (${report.strategy}, judged by shipline)`, 3);
  if (report.steps.length === 0) {
    summary.paragraph(
      "The deployment ended before the new revision reached test traffic or a production share: there was no step to judge.",
    );
  } else {
    const points = trafficPoints(report, context.startedAt);
    summary.xyChart({
      title: `${service}: new revision's share of production traffic`,
      xLabels: points.map((p) => p.label),
      yLabel: "% of production traffic",
      yMin: 0,
      // A scale that shows a 5 % canary as more than a line on the floor.
      yMax: [10, 25, 50, 100].find((top) => top >= Math.max(...points.map((p) => p.weight))) ?? 100,
      series: [{ kind: "line", values: points.map((p) => p.weight) }],
    });
    const details = new SummaryBuilder().list(
      report.steps.map(
        (s) =>
          `+${formatDuration(s.at - context.startedAt)} ${s.stage} at ${s.weight} %: **${s.verdict}**${s.findings.length ? ` (${s.findings.join("; ")})` : ""}`,
      ),
    );
    summary.details("What each step measured", details);
  }
  const stopped = report.stopped;
  if (stopped) {
    summary.paragraph(
      stopped.accepted
        ? `❌ shipline stopped the deployment with ROLLBACK at ${stopped.stage}, with **${stopped.weight} %** of production traffic on the new revision: ${stopped.reason}.`
        : `The new revision failed (${stopped.reason}), but the deployment had ended before the stop arrived.`,
    );
  }
  const exposure = report.exposure;
  if (exposure) {
    summary.paragraph(
      `**Exposure of the new revision:** it served ${exposure.served} of ${exposure.total} requests during the deployment and failed ${exposure.failed} of them, **${percent(exposure.failedShare)} of all requests**.`,
    );
  }
  if (report.gaps.length > 0) summary.paragraph(`Evidence missing: ${report.gaps.join("; ")}.`);
  const arn = context.serviceDeploymentArn ?? "<service-deployment-arn>";
  const next = stopped?.accepted
    ? [
        `Watch the rollback: \`aws ecs describe-service-deployments --service-deployment-arns ${arn}\`.`,
        "To ship this revision anyway (ECS alone judging it), run the step again with `judge-steps: false`.",
      ]
    : [
        `Roll back by hand while a deployment is in flight: \`aws ecs stop-service-deployment --service-deployment-arn ${arn} --stop-type ROLLBACK\`.`,
        `After it finished: auto-rollback with this step's \`deploy-record\`, or \`aws ecs update-service --cluster ${context.cluster} --service ${service} --task-definition <previous-task-definition-arn>\`.`,
      ];
  summary.details("By hand", new SummaryBuilder().list(next));
}
