// migrate: lint the migrations (a PR status check), back up, then apply them one run at a time with
// the built-in SQL runner, the project's own tool, or a one-off ECS task.
import { loadSqlParser } from "@shipline/core/migrations/sql-parser";
import type { ActionContext } from "@shipline/core/runtime/run";
import { inputSpec } from "./inputs";
import { outputSpec } from "./outputs";
import { applyMigrations } from "./phases/apply";
import { lintMigrations } from "./phases/lint";
import { publishReport } from "./report";
import { settingsFrom } from "./settings";

export async function main(context: ActionContext): Promise<void> {
  const inputs = context.inputs(inputSpec);
  const settings = settingsFrom(inputs, context.logger.secrets);
  const outputs = context.outputs(outputSpec);
  const parser = await loadSqlParser();

  const lint = await lintMigrations(context, settings, parser);
  const outcome = await applyMigrations(context, settings, lint, parser);
  publishReport(context, outputs, settings, lint, outcome);
  if (outcome.failure !== undefined) throw outcome.failure;
}
