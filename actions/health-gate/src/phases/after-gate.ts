// The watch after the gate passed (or alone, with `skip-gate`): core's watch over the window, its
// checks and verdict folded into the gate's report, and the GitHub deployment's final status, which
// says verified with the figures, or why the watch failed.
import { repoFromEnv } from "@shipline/core/github/client";
import { recordDecision } from "@shipline/core/github/deployment-record";
import type { HttpClient } from "@shipline/core/health/http";
import type { HealthReport } from "@shipline/core/health/verdict";
import { runWatch, type WatchedHealthReport, type WatchReport } from "@shipline/core/health/watch";
import { errorMessage } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";
import type { WatchSettings } from "../watch-settings";

export async function watchAfterGate(
  context: ActionContext,
  settings: Settings,
  watch: WatchSettings,
  http: HttpClient,
): Promise<WatchReport> {
  const title = watch.skipGate
    ? "Watch (the evidence once more, without a gate)"
    : `Watch for ${formatDuration(watch.config.windowMs)} after the gate passed`;
  return context.logger.group(title, () =>
    runWatch(watch.config, {
      http,
      clock: context.clock,
      logger: context.logger,
      signal: context.signal,
      ...(settings.readTargetHealth ? { readTargetHealth: settings.readTargetHealth } : {}),
      ...(watch.readAlarms ? { readAlarms: watch.readAlarms } : {}),
      ...(watch.logErrors ? { logErrors: watch.logErrors } : {}),
    }),
  );
}

/** The gate's report with the watch in it: the watch decides once the gate has passed. */
export function withWatch(gate: HealthReport, watch: WatchReport): WatchedHealthReport {
  const failed = watch.checks.filter((c) => c.status === "fail").map((c) => c.name);
  const inconclusive = watch.checks.filter((c) => c.status === "inconclusive").map((c) => c.name);
  return {
    ...gate,
    verdict: watch.verdict,
    reason: watch.reason,
    finishedAt: watch.finishedAt,
    durationMs: Date.parse(watch.finishedAt) - Date.parse(gate.startedAt),
    checks: [...gate.checks, ...watch.checks],
    failedChecks: [...gate.failedChecks, ...failed],
    inconclusiveChecks: [...gate.inconclusiveChecks, ...inconclusive],
    watch,
  };
}

/** The report of a watch without a gate (the scheduled check). */
export function watchOnlyReport(settings: Settings, watch: WatchReport): WatchedHealthReport {
  const failed = watch.checks.filter((c) => c.status === "fail").map((c) => c.name);
  const inconclusive = watch.checks.filter((c) => c.status === "inconclusive").map((c) => c.name);
  return {
    verdict: watch.verdict,
    reason: watch.reason,
    startedAt: watch.startedAt,
    finishedAt: watch.finishedAt,
    durationMs: Date.parse(watch.finishedAt) - Date.parse(watch.startedAt),
    soakStartedAt: null,
    expectedVersion: settings.gate.expectedVersion ?? null,
    settings: settings.gate.settings,
    checks: watch.checks,
    failedChecks: failed,
    inconclusiveChecks: inconclusive,
    watch,
  };
}

/**
 * The deployment's final status: success saying verified with the figures, or failure saying why.
 * An inconclusive watch leaves the status as ecs-deploy set it. A GitHub failure is a warning: the
 * verdict stands, and the rollback does not wait on GitHub.
 */
export async function recordFinalStatus(
  context: ActionContext,
  watch: WatchSettings,
  report: WatchReport,
): Promise<void> {
  if (!watch.deployment || report.verdict === "inconclusive") return;
  // A later check that finds the deployment still healthy has nothing new to say on it.
  if (watch.skipGate && report.verdict === "pass") return;
  const state = report.verdict === "pass" ? "success" : "failure";
  const description =
    report.verdict === "pass"
      ? report.reason
      : `Watch failed: ${report.reason.replace(/^the watch failed /, "")}`;
  try {
    // Marked as the deployment record's decisions are, so preflight reads a failed watch as a failed
    // gate and a verified release as verified.
    await recordDecision(watch.deployment.github, {
      ...repoFromEnv(context.env),
      deploymentId: watch.deployment.id,
      mark: report.verdict === "pass" ? { kind: "verified" } : { kind: "gate", verdict: "fail" },
      text: description,
      env: context.env,
    });
    context.logger.info(`GitHub deployment ${watch.deployment.id}: ${state} (${description.slice(0, 140)}).`);
  } catch (error) {
    context.logger.warning(
      `Could not set the final status of GitHub deployment ${watch.deployment.id}: ${errorMessage(error)}. Check that the token has \`deployments: write\`.`,
    );
  }
}
