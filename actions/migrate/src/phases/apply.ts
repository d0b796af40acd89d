// Applies the linted migrations the way the mode says: nothing in mode lint or after a failing lint,
// the built-in sql runner, the project's own tool, or a one-off ECS task.
import {
  lintedRun,
  type MigrationRunOutcome,
  withNewFilesPending,
} from "@shipline/core/migrations/run-outcome";
import type { SqlParser } from "@shipline/core/migrations/sql-parser";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";
import type { LintResult } from "./lint";

export async function applyMigrations(
  context: ActionContext,
  settings: Settings,
  lint: LintResult,
  parser: SqlParser,
): Promise<MigrationRunOutcome> {
  const linted = lintedRun(settings.mode, lint.inScope, lint.failure);
  if (linted.failure !== undefined) return linted;
  switch (settings.mode) {
    case "lint":
      return linted;
    // Each mode is loaded only when it runs: lint, the pull-request check, loads no database client,
    // and only ecs-task loads the ECS and CloudWatch Logs clients.
    case "sql": {
      const { runSqlMode } = await import("./run-sql");
      return runSqlMode(context, settings, lint, parser, linted);
    }
    case "command": {
      const { runCommandMode } = await import("./run-command");
      return runCommandMode(context, settings, newFilesPending(context, linted));
    }
    case "ecs-task": {
      const { runEcsTaskMode } = await import("./run-ecs-task");
      return runEcsTaskMode(context, settings, newFilesPending(context, linted));
    }
  }
}

/** The project's tool or task decides what is pending; the new files are what this run brings. */
function newFilesPending(context: ActionContext, linted: MigrationRunOutcome): MigrationRunOutcome {
  const outcome = withNewFilesPending(linted);
  if (outcome.pending.length > 0) {
    context.logger.info(
      `Migrations new in this change (the tool applies whichever are pending):\n${outcome.pending.map((f) => `  ${f}`).join("\n")}`,
    );
  }
  return outcome;
}
