// Renders a migration run's outcome in one place: the outputs, and the step summary (lint findings,
// the plan, the backup, and what was applied, rolled back or run).
import { lintTotals } from "@shipline/core/migrations/lint";
import {
  type MigrationRun,
  type MigrationRunOutcome,
  migrationRunReport,
  type SnapshotTaken,
  type StoppedTask,
} from "@shipline/core/migrations/run-outcome";
import type { AppliedMigration } from "@shipline/core/migrations/sql-runner";
import { formatDuration } from "@shipline/core/runtime/format";
import type { Outputs } from "@shipline/core/runtime/outputs";
import type { ActionContext } from "@shipline/core/runtime/run";
import { SummaryBuilder } from "@shipline/core/runtime/summary";
import type { outputSpec } from "./outputs";
import type { LintResult } from "./phases/lint";
import type { Settings } from "./settings";

type MigrateOutputs = Outputs<(typeof outputSpec)[number]>;

export function publishReport(
  context: ActionContext,
  outputs: MigrateOutputs,
  settings: Settings,
  lint: LintResult,
  outcome: MigrationRunOutcome,
): void {
  outputs.setAll({
    migrations: outcome.migrations,
    destructive: outcome.destructive ? "true" : "false",
    pending: outcome.pending,
    applied: outcome.applied,
    "snapshot-id": outcome.snapshot?.snapshotId,
    "task-arn": outcome.taskArn,
    report: migrationRunReport(outcome),
  });
  const { summary } = context;
  summary.heading(`Database migrations (${outcome.mode})`, 2);
  if (settings.lint.enabled) summarizeLint(summary, lint);
  if (outcome.snapshot) summarizeSnapshot(summary, outcome.snapshot);
  if (outcome.run) summarizeRun(summary, outcome.run, outcome.failure !== undefined);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function summarizeLint(summary: SummaryBuilder, lint: LintResult): void {
  const reports = lint.inScope;
  const totals = lintTotals(reports);
  summary.heading("Migration lint", 3);
  const scope = lint.base ? `new since \`${lint.base.commit.slice(0, 12)}\` (${lint.base.reason})` : "all";
  summary.paragraph(
    `${plural(reports.length, "file")} (${scope}), ${totals.statements} statements: **${plural(totals.errors, "error")}**, ${plural(totals.warnings, "warning")}, ${totals.suppressed} suppressed. Destructive: **${totals.destructive ? "yes" : "no"}**.`,
  );
  if (reports.length === 0) return;
  summary.table(
    ["File", "Statements", "Errors", "Warnings", "Destructive"],
    reports.map((r) => [
      `\`${r.file}\``,
      r.statements,
      r.findings.filter((f) => f.severity === "error").length,
      r.findings.filter((f) => f.severity === "warning").length,
      r.destructive ? "yes" : "no",
    ]),
  );
  const findings = reports.flatMap((r) => r.findings.map((f) => ({ ...f, file: r.file })));
  if (findings.length > 0) {
    summary.table(
      ["Where", "Rule", "Severity", "Problem"],
      findings.map((f) => [`\`${f.file}:${f.line}\``, f.rule, f.severity, f.message]),
    );
  }
  const suppressions = reports.flatMap((r) => (r.suppressions ?? []).map((x) => ({ ...x, file: r.file })));
  if (suppressions.length > 0) {
    summary.table(
      ["Suppressed at", "Rule", "Reason"],
      suppressions.map((x) => [`\`${x.file}:${x.line}\``, x.rule, x.reason || "(no reason given)"]),
    );
  }
}

function summarizeSnapshot(summary: SummaryBuilder, snapshot: SnapshotTaken): void {
  const restore = snapshot.kind === "instance" ? "instance-from-db-snapshot" : "cluster-from-snapshot";
  summary.heading("Backup", 3);
  summary.paragraph(
    `${snapshot.created ? "Took" : "Reused"} snapshot \`${snapshot.snapshotId}\` of \`${snapshot.database}\` (${snapshot.why}). Restore it with \`aws rds restore-db-${restore}\` if the migration must be undone.`,
  );
}

function summarizeRun(summary: SummaryBuilder, run: MigrationRun, failed: boolean): void {
  switch (run.kind) {
    case "sql-plan":
      summary.heading("Plan", 3);
      summary.list(
        run.pending.length
          ? run.pending.map((m) => `\`${m.file}\`${m.destructive ? " (destructive)" : ""}`)
          : ["Nothing pending."],
      );
      return;
    case "sql-apply":
      if (!failed) summarizeApplied(summary, "Applied", run.applied);
      else if (run.applied.length > 0) summarizeApplied(summary, "Applied before the failure", run.applied);
      return;
    case "sql-rollback":
      if (!failed) summarizeApplied(summary, `Rolled back to version ${run.downTo}`, run.undone);
      else if (run.undone.length > 0) summarizeApplied(summary, "Rolled back before the failure", run.undone);
      return;
    case "command":
      summary.heading("Applied", 3);
      summary.paragraph(`\`${run.command.join(" ")}\` exited 0.`);
      if (run.lastLines.length > 0) {
        summary.details("Last lines of its output", new SummaryBuilder().code(run.lastLines.join("\n")));
      }
      return;
    case "ecs-task":
      summarizeTask(summary, run.task);
      return;
  }
}

function summarizeApplied(
  summary: SummaryBuilder,
  title: string,
  applied: readonly AppliedMigration[],
): void {
  summary.heading(title, 3);
  if (applied.length === 0) {
    summary.paragraph("Nothing to do: the database was up to date.");
    return;
  }
  summary.table(
    ["Version", "File", "Statements", "Transaction", "Took"],
    applied.map((a) => [
      a.version,
      `\`${a.file}\``,
      a.statements,
      a.transactional ? "one" : "none",
      formatDuration(a.durationMs),
    ]),
  );
}

function summarizeTask(summary: SummaryBuilder, task: StoppedTask): void {
  summary.heading("One-off task", 3);
  summary.table(
    ["Task", "Container", "Exit code", "Stop code", "Stopped reason", "Took"],
    [
      [
        task.taskArn,
        task.container.name,
        task.container.exitCode ?? "none",
        task.stopCode ?? "",
        task.stoppedReason ?? "",
        formatDuration(task.durationMs),
      ],
    ],
  );
  if (!task.succeeded && task.logTail.length > 0) {
    summary.details(
      `Last ${task.logTail.length} log lines`,
      new SummaryBuilder().code(task.logTail.map((l) => l.message).join("\n")),
      true,
    );
  }
}
