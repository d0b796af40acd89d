// Mode sql: the built-in runner on the plain SQL files found (one directory), with plan, apply and
// rollback to a version.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import type { CollectedMigration } from "@shipline/core/migrations/collect";
import type { SqlParser } from "@shipline/core/migrations/sql-parser";
import {
  type AppliedMigration,
  type MigrationPlan,
  type SqlMigration,
  SqlMigrationRunner,
} from "@shipline/core/migrations/sql-runner";
import { UserError } from "@shipline/core/runtime/errors";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Inputs } from "./inputs";

/** The plain SQL set the runner applies: exactly one directory of Flyway, golang-migrate or glob files. */
export function sqlMigrationSet(collected: readonly CollectedMigration[], workspace: string): SqlMigration[] {
  const plain = collected.filter((c) => ["flyway", "golang-migrate", "glob"].includes(c.migration.layout));
  const directories = [...new Set(plain.map((c) => c.migration.directory))];
  if (directories.length > 1) {
    throw new UserError(
      `The sql runner found migrations in ${directories.length} directories (${directories.join(", ")}) and runs one at a time.`,
      {
        input: "working-directory",
        fix: "Point `working-directory` at one migrations directory, or give `migrations-glob`.",
      },
    );
  }
  const versions = new Map<string, string>();
  for (const c of plain) {
    const other = versions.get(c.migration.version);
    if (other) {
      throw new UserError(`${other} and ${c.migration.file} have the same version ${c.migration.version}.`, {
        fix: "Give every migration its own version number.",
      });
    }
    versions.set(c.migration.version, c.migration.file);
  }
  return plain.map((c) => {
    const m = c.migration;
    const migration: SqlMigration = {
      version: m.version,
      description: m.description,
      file: m.file,
      sql: readFileSync(m.absolutePath, "utf8"),
    };
    if (m.downFile) {
      migration.downFile = m.downFile;
      migration.downSql = readFileSync(resolve(workspace, m.downFile), "utf8");
    }
    return migration;
  });
}

export function runnerIdentity(env: NodeJS.ProcessEnv): { applicationName: string; appliedBy: string } {
  const repo = env.GITHUB_REPOSITORY ?? "local";
  const run = env.GITHUB_RUN_ID ? ` run ${env.GITHUB_RUN_ID} attempt ${env.GITHUB_RUN_ATTEMPT ?? "1"}` : "";
  return {
    applicationName: `shipline migrate ${repo}${run}`,
    appliedBy: `${env.GITHUB_ACTOR ?? "unknown"} via ${repo}${run}${env.GITHUB_JOB ? ` job ${env.GITHUB_JOB}` : ""}`,
  };
}

export function describePlan(context: ActionContext, plan: MigrationPlan): void {
  const { logger } = context;
  logger.info(`${plan.applied.length} applied, ${plan.pending.length} pending.`);
  for (const row of plan.missing) {
    logger.warning(`Version ${row.version} (${row.file}) is in the history but has no file any more.`);
  }
  for (const m of plan.outOfOrder) {
    logger.warning(
      `${m.file} is pending but older than the newest applied version: it was probably merged late. It will be applied now.`,
    );
  }
  if (plan.pending.length > 0) {
    logger.info(
      `Will apply, in this order:\n${plan.pending.map((m) => `  ${m.version}  ${m.file}`).join("\n")}`,
    );
  }
}

export interface SqlPhaseResult {
  plan: MigrationPlan;
  applied: AppliedMigration[];
  rolledBack: AppliedMigration[];
}

export async function connectRunner(
  context: ActionContext,
  inputs: Inputs,
  parser: SqlParser,
): Promise<SqlMigrationRunner> {
  const identity = runnerIdentity(context.env);
  return SqlMigrationRunner.connect(
    {
      connectionString: inputs.databaseUrl as string,
      historyTable: inputs.historyTable,
      lockWaitMs: inputs.lockWait,
      lockTimeoutMs: inputs.lockTimeout,
      statementTimeoutMs: inputs.statementTimeout,
      applicationName: identity.applicationName,
      appliedBy: identity.appliedBy,
      clock: context.clock,
      logger: context.logger,
      signal: context.signal,
    },
    parser,
  );
}

export function summarizeApplied(
  context: ActionContext,
  title: string,
  applied: readonly AppliedMigration[],
): void {
  context.summary.heading(title, 3);
  if (applied.length === 0) {
    context.summary.paragraph("Nothing to do: the database was up to date.");
    return;
  }
  context.summary.table(
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
