// health-gate: decides pass, fail or inconclusive for a fresh deployment from health probes, smoke
// tests, the served version, load balancer target health and metrics over a soak window; then, with
// `watch`, keeps watching the same evidence plus alarms and error lines for the window.
import { concludeGate } from "@shipline/core/health/conclusion";
import { createHttpClient } from "@shipline/core/health/http";
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import { outputSpec } from "./outputs";
import { recordFinalStatus, watchAfterGate, watchOnlyReport, withWatch } from "./phases/after-gate";
import { describeChecks } from "./phases/describe";
import { recordVerdict, verdictRecorder } from "./phases/record";
import { watchDeployment } from "./phases/watch";
import { publishReport } from "./report";
import { settingsFrom } from "./settings";

export async function main(context: ActionContext): Promise<void> {
  const inputs = context.inputs(inputSpec);
  const http = createHttpClient();
  const settings = settingsFrom(inputs, {
    logger: context.logger,
    http,
    clock: context.clock,
    env: context.env,
  });
  const outputs = context.outputs(outputSpec);
  const recorder = verdictRecorder(context, inputs);

  await describeChecks(context, settings);
  const { watch } = settings;
  // An alarm name CloudWatch does not know, or a log group that is not there, is refused before the
  // gate starts; the previous version's error-line rate is measured once, here.
  await watch?.readAlarms?.(context.clock.now(), context.signal);
  await watch?.logErrors?.measureBaseline(context.signal);
  let report = watch?.skipGate ? undefined : await watchDeployment(context, settings, http);
  // The gate's verdict goes on the deployment when the gate ends, before any watch: the watch's own
  // final status (verified, or a failed gate) then comes after it, as the latest.
  if (report) await recordVerdict(context, recorder, report);
  if (watch && (report === undefined || report.verdict === "pass")) {
    const watched = await watchAfterGate(context, settings, watch, http);
    report = report ? withWatch(report, watched) : watchOnlyReport(settings, watched);
    await recordFinalStatus(context, watch, watched);
  }
  if (!report) throw new Error("no report: neither the gate nor the watch ran");
  const conclusion = concludeGate(report, settings.onInconclusive);
  await publishReport(context, outputs, report, conclusion);
  if (conclusion.failure) throw conclusion.failure;
}
