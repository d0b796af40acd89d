// Mode sql: the built-in runner on the plain SQL files found (one directory): a plan alone, a rollback
// to a version, or plan → backup → apply under the migration lock. The outcome says how far it got.
import { compareVersions } from "@shipline/core/migrations/discovery";
import {
  destructiveFiles,
  type MigrationRunOutcome,
  nextStep,
  withSqlPending,
} from "@shipline/core/migrations/run-outcome";
import type { SqlParser } from "@shipline/core/migrations/sql-parser";
import {
  type AppliedMigration,
  type MigrationPlan,
  type SqlMigration,
  SqlMigrationRunner,
} from "@shipline/core/migrations/sql-runner";
import { sqlMigrationSet } from "@shipline/core/migrations/sql-set";
import { UserError } from "@shipline/core/runtime/errors";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";
import { backUp } from "./backup";
import type { LintResult } from "./lint";

/** What every step on the runner needs: the connected runner, the files, which of them are destructive. */
interface Session {
  context: ActionContext;
  settings: Settings;
  runner: SqlMigrationRunner;
  migrations: SqlMigration[];
  destructive: ReadonlySet<string>;
}

export async function runSqlMode(
  context: ActionContext,
  settings: Settings,
  lint: LintResult,
  parser: SqlParser,
  linted: MigrationRunOutcome,
): Promise<MigrationRunOutcome> {
  let migrations: SqlMigration[];
  let runner: SqlMigrationRunner;
  try {
    migrations = sqlMigrationSet(lint.collection.migrations, lint.workspace);
    if (migrations.length === 0) return noFilesToRun(context, settings, linted);
    runner = await connectRunner(context, settings, parser);
  } catch (failure) {
    return { ...linted, failure };
  }
  const destructive = destructiveFiles(lint.collection.migrations.map((c) => c.report));
  const session: Session = { context, settings, runner, migrations, destructive };
  try {
    if (settings.sql.plan) return await nextStep(linted, (outcome) => planOnly(session, outcome));
    const locked = await nextStep(linted, async (outcome) => {
      await context.logger.group("Take the migration lock", () => runner.acquireLock());
      return outcome;
    });
    const downTo = settings.sql.downTo;
    if (downTo !== undefined) return await nextStep(locked, (outcome) => rollBack(session, downTo, outcome));
    return await planBackUpAndApply(session, locked);
  } finally {
    await runner.close();
  }
}

/**
 * No plain SQL files: nothing to apply, so the database is not touched (no connection, no history
 * table). A rollback has no down files to run, which is an error.
 */
function noFilesToRun(
  context: ActionContext,
  settings: Settings,
  linted: MigrationRunOutcome,
): MigrationRunOutcome {
  const where = settings.workingDirectory === "." ? "the workspace" : settings.workingDirectory;
  if (settings.sql.downTo !== undefined) {
    return {
      ...linted,
      failure: new UserError(
        `There are no plain SQL migration files in ${where}, so there is nothing to roll back with.`,
        {
          input: "down-to",
          fix: "Run the rollback where the migrations and their down files are (`working-directory`, `migrations-glob`).",
        },
      ),
    };
  }
  context.logger.warning(
    `No plain SQL migration files in ${where}: nothing to apply, and the database was not touched. The sql runner finds Flyway (V<n>__name.sql) and golang-migrate (<n>_name.up.sql) files, or those matching \`migrations-glob\`.`,
  );
  return linted;
}

export function runnerIdentity(env: NodeJS.ProcessEnv): { applicationName: string; appliedBy: string } {
  const repo = env.GITHUB_REPOSITORY ?? "local";
  const run = env.GITHUB_RUN_ID ? ` run ${env.GITHUB_RUN_ID} attempt ${env.GITHUB_RUN_ATTEMPT ?? "1"}` : "";
  return {
    applicationName: `shipline migrate ${repo}${run}`,
    appliedBy: `${env.GITHUB_ACTOR ?? "unknown"} via ${repo}${run}${env.GITHUB_JOB ? ` job ${env.GITHUB_JOB}` : ""}`,
  };
}

function connectRunner(
  context: ActionContext,
  settings: Settings,
  parser: SqlParser,
): Promise<SqlMigrationRunner> {
  const identity = runnerIdentity(context.env);
  return SqlMigrationRunner.connect(
    {
      connectionString: settings.database.url as string,
      historyTable: settings.sql.historyTable,
      lockWaitMs: settings.sql.lockWaitMs,
      lockTimeoutMs: settings.sql.lockTimeoutMs,
      statementTimeoutMs: settings.sql.statementTimeoutMs,
      applicationName: identity.applicationName,
      appliedBy: identity.appliedBy,
      clock: context.clock,
      logger: context.logger,
      signal: context.signal,
    },
    parser,
  );
}

function describePlan(context: ActionContext, plan: MigrationPlan): void {
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

/** Compares the files with the history and refuses an applied file that changed. */
function readPlan(session: Session): Promise<MigrationPlan> {
  return session.context.logger.group("Plan", async () => {
    const plan = await session.runner.plan(session.migrations);
    describePlan(session.context, plan);
    SqlMigrationRunner.refuseChanged(plan);
    return plan;
  });
}

/** `plan: true`: what would be applied, and which of it is destructive; nothing is changed. */
async function planOnly(session: Session, outcome: MigrationRunOutcome): Promise<MigrationRunOutcome> {
  const plan = await readPlan(session);
  const pending = plan.pending.map((m) => ({ file: m.file, destructive: session.destructive.has(m.file) }));
  return {
    ...withSqlPending(outcome, plan.pending, session.destructive),
    run: { kind: "sql-plan", pending },
  };
}

/** Each down file commits on its own: those undone before a failing one are in the outcome too. */
async function rollBack(
  session: Session,
  downTo: string,
  outcome: MigrationRunOutcome,
): Promise<MigrationRunOutcome> {
  const undone: AppliedMigration[] = [];
  const sofar = (): MigrationRunOutcome => ({
    ...outcome,
    rolledBack: undone.map((u) => u.file),
    run: { kind: "sql-rollback", downTo, undone },
  });
  try {
    await session.context.logger.group(`Roll back to version ${downTo}`, () =>
      session.runner.rollback(session.migrations, downTo, compareVersions, (u) => undone.push(u)),
    );
  } catch (failure) {
    return { ...sofar(), failure };
  }
  return sofar();
}

async function planBackUpAndApply(
  session: Session,
  locked: MigrationRunOutcome,
): Promise<MigrationRunOutcome> {
  if (locked.failure !== undefined) return locked;
  let plan: MigrationPlan;
  try {
    plan = await readPlan(session);
  } catch (failure) {
    return { ...locked, failure };
  }
  const planned = withSqlPending(locked, plan.pending, session.destructive);
  const backedUp = await nextStep(planned, (outcome) =>
    outcome.pending.length > 0
      ? backUp(session.context, session.settings, outcome)
      : Promise.resolve(outcome),
  );
  return nextStep(backedUp, (outcome) => applyPending(session, plan.pending, outcome));
}

/** Each file commits on its own: those applied before a failing one are in the outcome too. */
async function applyPending(
  session: Session,
  pending: readonly SqlMigration[],
  outcome: MigrationRunOutcome,
): Promise<MigrationRunOutcome> {
  const { logger } = session.context;
  const applied: AppliedMigration[] = [];
  const sofar = (): MigrationRunOutcome => ({
    ...outcome,
    applied: applied.map((a) => a.file),
    run: { kind: "sql-apply", applied },
  });
  try {
    await logger.group("Apply", async () => {
      await session.runner.ensureHistoryTable();
      await session.runner.apply(pending, (a) => applied.push(a));
      logger.info(
        applied.length
          ? `Applied ${applied.length} file${applied.length === 1 ? "" : "s"}: ${applied.map((a) => a.file).join(", ")}.`
          : "Nothing to apply: the database is up to date.",
      );
    });
  } catch (failure) {
    return { ...sofar(), failure };
  }
  return sofar();
}
