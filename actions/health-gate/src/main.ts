// health-gate: decides pass, fail or inconclusive for a fresh deployment from health probes, smoke
// tests, the served version, load balancer target health and metrics over a soak window.

import { runHealthGate } from "@shipline/core/health/gate";
import { createHttpClient } from "@shipline/core/health/http";
import { writeHealthSummary } from "@shipline/core/health/report-summary";
import type { HealthReport } from "@shipline/core/health/verdict";
import { UserError } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import { type GatePlan, planGate } from "./config";
import { inputSpec } from "./inputs";
import { outputSpec } from "./outputs";

function describePlan(plan: GatePlan): string[] {
  const { config } = plan;
  const s = config.settings;
  const lines = [
    `Timing: ${s.warmUpMs > 0 ? `warm-up ${formatDuration(s.warmUpMs)}` : "no warm-up"}, a probe every ${formatDuration(s.probeIntervalMs)} (timeout ${formatDuration(s.probeTimeoutMs)}), ${s.successThreshold} successes in a row to pass, ${s.failureThreshold} failures in a row to fail, soak ${formatDuration(s.soakMs)}, timeout ${formatDuration(s.timeoutMs)}.`,
  ];
  for (const probe of config.probes)
    lines.push(`Probe: GET ${probe.url}, expecting status ${probe.expectedStatus.text}.`);
  if (config.expectedVersion !== undefined) lines.push(`Served version must be ${config.expectedVersion}.`);
  for (const test of config.smokeTests) lines.push(`Smoke test: ${test.name} (${test.method} ${test.url}).`);
  for (const arn of config.targetGroupArns) lines.push(`Target health: ${arn}.`);
  for (const source of config.metricSources) {
    for (const d of source.definitions) lines.push(`Metric: ${d.name}, from ${d.source}: ${d.description}.`);
  }
  return lines;
}

function failureMessage(report: HealthReport): string {
  const failed = report.checks.filter((c) => c.status === "fail");
  const lines = failed.map((c) => `- ${c.name}: ${c.summary}`);
  return `health-gate: the deployment failed ${failed.length} check${failed.length === 1 ? "" : "s"}.\n${lines.join("\n")}`;
}

export async function main(context: ActionContext): Promise<void> {
  const inputs = context.inputs(inputSpec);
  const { logger } = context;
  const http = createHttpClient();
  const plan = planGate(inputs, { logger, http, clock: context.clock, env: context.env });
  const outputs = context.outputs(outputSpec);

  await logger.group("Plan", async () => {
    for (const line of describePlan(plan)) logger.info(line);
  });

  const report = await logger.group("Watch the deployment", () =>
    runHealthGate(plan.config, {
      http,
      clock: context.clock,
      logger,
      signal: context.signal,
      ...(plan.readTargetHealth ? { readTargetHealth: plan.readTargetHealth } : {}),
    }),
  );

  await logger.group("Verdict", async () => {
    outputs.set("verdict", report.verdict);
    outputs.set("report", report);
    outputs.set("failed-checks", report.failedChecks);
    writeHealthSummary(context.summary, report);
    for (const check of report.checks) {
      logger.info(`${check.status.toUpperCase().padEnd(12)} ${check.name}: ${check.summary}`);
    }
    logger.info(`Verdict: ${report.verdict} (${report.reason})`);
  });

  if (report.verdict === "fail") {
    throw new UserError(failureMessage(report), {
      fix: "Roll back (shipline auto-rollback with this step's `report`), then look at the evidence in the step summary.",
    });
  }
  if (report.verdict === "inconclusive") {
    const reasons = report.checks
      .filter((c) => c.status === "inconclusive")
      .map((c) => `- ${c.name}: ${c.summary}`)
      .join("\n");
    if (plan.onInconclusive === "fail") {
      throw new UserError(`health-gate: not enough evidence to call the deployment healthy.\n${reasons}`, {
        input: "on-inconclusive",
        fix: "Make sure the service gets traffic during the soak and the metrics provider is reachable, or set `on-inconclusive: pass` to accept an inconclusive gate.",
      });
    }
    logger.warning(`health-gate: inconclusive, accepted because on-inconclusive is pass.\n${reasons}`);
  }
}
