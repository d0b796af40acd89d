// Renders the gate's report in one place: the outputs, the step summary, one log line per check and
// the verdict, and the warning when an inconclusive gate is accepted.
import type { GateConclusion } from "@shipline/core/health/conclusion";
import { writeHealthSummary } from "@shipline/core/health/report-summary";
import type { WatchedHealthReport } from "@shipline/core/health/watch";
import { writeWatchSummary } from "@shipline/core/health/watch-summary";
import type { Outputs } from "@shipline/core/runtime/outputs";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { outputSpec } from "./outputs";

type GateOutputs = Outputs<(typeof outputSpec)[number]>;

export async function publishReport(
  context: ActionContext,
  outputs: GateOutputs,
  report: WatchedHealthReport,
  conclusion: GateConclusion,
): Promise<void> {
  const { logger } = context;
  await logger.group("Verdict", async () => {
    outputs.set("verdict", report.verdict);
    outputs.set("report", report);
    outputs.set("failed-checks", report.failedChecks);
    writeHealthSummary(context.summary, report);
    if (report.watch) writeWatchSummary(context.summary, report.watch);
    for (const check of report.checks) {
      logger.info(`${check.status.toUpperCase().padEnd(12)} ${check.name}: ${check.summary}`);
    }
    logger.info(`Verdict: ${report.verdict} (${report.reason})`);
  });
  if (conclusion.warning !== undefined) logger.warning(conclusion.warning);
}
