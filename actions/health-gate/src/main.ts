// health-gate: decides pass, fail or inconclusive for a fresh deployment from health probes, smoke
// tests, the served version, load balancer target health and metrics over a soak window.
import { concludeGate } from "@shipline/core/health/conclusion";
import { createHttpClient } from "@shipline/core/health/http";
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import { outputSpec } from "./outputs";
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
  const report = await watchDeployment(context, settings, http);
  const conclusion = concludeGate(report, settings.onInconclusive);
  await publishReport(context, outputs, report, conclusion);
  await recordVerdict(context, recorder, report);
  if (conclusion.failure) throw conclusion.failure;
}
