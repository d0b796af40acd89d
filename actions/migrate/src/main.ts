// migrate: lint the migrations (a PR status check), back up, then apply them one run at a time with
// the built-in SQL runner, the project's own tool, or a one-off ECS task.
import { compareVersions } from "@shipline/core/migrations/discovery";
import { lintTotals } from "@shipline/core/migrations/lint";
import { loadSqlParser } from "@shipline/core/migrations/sql-parser";
import { type AppliedMigration, SqlMigrationRunner } from "@shipline/core/migrations/sql-runner";
import type { ActionContext } from "@shipline/core/runtime/run";
import { SummaryBuilder } from "@shipline/core/runtime/summary";
import { backUp } from "./backup-phase";
import { refuseMissingProgram, runMigrationCommand } from "./command-phase";
import { prepareEcsTask, runEcsTask } from "./ecs-task-phase";
import { inputSpec } from "./inputs";
import { findMigrations, reportFindings, summarizeLint } from "./lint-phase";
import { outputSpec } from "./outputs";
import { settingsFrom } from "./settings";
import { connectRunner, describePlan, sqlMigrationSet, summarizeApplied } from "./sql-phase";

interface MigrateReport {
  mode: string;
  lint: { files: number; errors: number; warnings: number; suppressed: number };
  destructive: boolean;
  pending: string[];
  applied: string[];
  rolledBack: string[];
  snapshotId?: string | undefined;
  taskArn?: string | undefined;
  exitCode?: number;
  durationMs?: number;
}

export async function main(context: ActionContext): Promise<void> {
  const inputs = context.inputs(inputSpec);
  const settings = settingsFrom(inputs);
  if (inputs.databaseUrl) context.logger.secrets.addUrl(inputs.databaseUrl);
  const outputs = context.outputs(outputSpec);
  const { logger, summary } = context;
  summary.heading(`Database migrations (${settings.mode})`, 2);

  const parser = await loadSqlParser();
  const lint = await logger.group("Find and lint migrations", async () => {
    const outcome = await findMigrations(context, inputs, settings, parser);
    const failure = reportFindings(context, inputs, outcome);
    return { outcome, failure };
  });
  const inScope = lint.outcome.inScope;
  const totals = lintTotals(inScope);
  const report: MigrateReport = {
    mode: settings.mode,
    lint: {
      files: totals.files,
      errors: totals.errors,
      warnings: totals.warnings,
      suppressed: totals.suppressed,
    },
    destructive: totals.destructive,
    pending: [],
    applied: [],
    rolledBack: [],
  };
  const publish = (): void => {
    outputs.setAll({
      migrations: inScope,
      destructive: report.destructive ? "true" : "false",
      pending: report.pending,
      applied: report.applied,
      "snapshot-id": report.snapshotId,
      "task-arn": report.taskArn,
      report,
    });
  };
  if (inputs.lint) summarizeLint(summary, lint.outcome);
  if (lint.failure) {
    publish();
    throw lint.failure;
  }

  if (settings.mode === "lint") {
    publish();
    return;
  }

  if (settings.mode === "sql") {
    const migrations = sqlMigrationSet(lint.outcome.collection.migrations, lint.outcome.workspace);
    if (migrations.length === 0) {
      logger.warning(
        `No plain SQL migration files in ${inputs.workingDirectory}: nothing to apply. The sql runner finds Flyway (V<n>__name.sql) and golang-migrate (<n>_name.up.sql) files, or those matching \`migrations-glob\`.`,
      );
    }
    const destructiveFiles = new Set(
      lint.outcome.collection.migrations.filter((c) => c.report.destructive).map((c) => c.migration.file),
    );
    const runner = await connectRunner(context, inputs, parser);
    try {
      if (inputs.plan) {
        await logger.group("Plan", async () => {
          const plan = await runner.plan(migrations);
          describePlan(context, plan);
          SqlMigrationRunner.refuseChanged(plan);
          report.pending = plan.pending.map((m) => m.file);
          report.destructive = plan.pending.some((m) => destructiveFiles.has(m.file));
          summary.heading("Plan", 3);
          summary.list(
            plan.pending.length
              ? plan.pending.map(
                  (m) => `\`${m.file}\`${destructiveFiles.has(m.file) ? " (destructive)" : ""}`,
                )
              : ["Nothing pending."],
          );
        });
        publish();
        return;
      }
      await logger.group("Take the migration lock", () => runner.acquireLock());
      if (inputs.downTo !== undefined) {
        const downTo = inputs.downTo;
        // Each down file commits on its own: those undone before a failing one are reported too.
        const undone: AppliedMigration[] = [];
        try {
          await logger.group(`Roll back to version ${downTo}`, () =>
            runner.rollback(migrations, downTo, compareVersions, (u) => {
              undone.push(u);
              report.rolledBack.push(u.file);
            }),
          );
        } catch (error) {
          if (undone.length > 0) summarizeApplied(context, "Rolled back before the failure", undone);
          throw error;
        }
        summarizeApplied(context, `Rolled back to version ${downTo}`, undone);
        publish();
        return;
      }
      const plan = await logger.group("Plan", async () => {
        const planned = await runner.plan(migrations);
        describePlan(context, planned);
        SqlMigrationRunner.refuseChanged(planned);
        return planned;
      });
      report.pending = plan.pending.map((m) => m.file);
      report.destructive = plan.pending.some((m) => destructiveFiles.has(m.file));
      if (plan.pending.length > 0) {
        report.snapshotId = await backUp(context, inputs, settings, report.destructive);
      }
      // Each file commits on its own: those applied before a failing one are in the outputs too.
      const applied: AppliedMigration[] = [];
      try {
        await logger.group("Apply", async () => {
          await runner.ensureHistoryTable();
          await runner.apply(plan.pending, (a) => {
            applied.push(a);
            report.applied.push(a.file);
          });
          logger.info(
            applied.length
              ? `Applied ${applied.length} file${applied.length === 1 ? "" : "s"}: ${applied.map((a) => a.file).join(", ")}.`
              : "Nothing to apply: the database is up to date.",
          );
        });
      } catch (error) {
        if (applied.length > 0) summarizeApplied(context, "Applied before the failure", applied);
        throw error;
      }
      summarizeApplied(context, "Applied", applied);
    } finally {
      await runner.close();
      publish();
    }
    return;
  }

  // command and ecs-task: the tool decides what is pending; the new files are what this run brings.
  report.pending = inScope.map((r) => r.file);
  if (report.pending.length > 0) {
    logger.info(
      `Migrations new in this change (the tool applies whichever are pending):\n${report.pending.map((f) => `  ${f}`).join("\n")}`,
    );
  }
  // Everything that can refuse the run is checked before the snapshot, the first change.
  if (settings.mode === "command") refuseMissingProgram(context, inputs, settings.command as string[]);
  const ecsTask = settings.mode === "ecs-task" ? await prepareEcsTask(context, inputs, settings) : undefined;
  report.snapshotId = await backUp(context, inputs, settings, report.destructive);

  try {
    if (settings.mode === "command") {
      const command = settings.command as string[];
      const result = await logger.group(`Run ${command.join(" ")}`, () =>
        runMigrationCommand(context, inputs, command),
      );
      report.exitCode = result.exitCode;
      report.durationMs = result.durationMs;
      report.applied = report.pending;
      summary.heading("Applied", 3);
      summary.paragraph(`\`${command.join(" ")}\` exited 0.`);
      if (result.lastLines.length > 0) {
        summary.details("Last lines of its output", new SummaryBuilder().code(result.lastLines.join("\n")));
      }
    } else if (ecsTask) {
      const result = await runEcsTask(context, inputs, settings, ecsTask, (taskArn) => {
        report.taskArn = taskArn;
      });
      report.exitCode = result.exitCode;
      report.durationMs = result.durationMs;
      report.applied = report.pending;
    } else {
      throw new Error(`mode ${settings.mode} reached the run phase with nothing to run`);
    }
  } finally {
    publish();
  }
}
