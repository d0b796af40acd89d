// Finds the migrations, lints them, and prints the findings as annotations at file:line; the lint's
// verdict comes back as a value (core's judgeLint), for main to stop the run on.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Collection, collectMigrations } from "@shipline/core/migrations/collect";
import { type BaseRef, filesAddedSince, gitIn, resolveBaseRef } from "@shipline/core/migrations/new-files";
import { judgeLint, lintFailure } from "@shipline/core/migrations/run-outcome";
import type { SqlParser } from "@shipline/core/migrations/sql-parser";
import type { Finding, MigrationReport } from "@shipline/core/migrations/types";
import { UserError } from "@shipline/core/runtime/errors";
import { execCommand } from "@shipline/core/runtime/exec";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";

export interface LintResult {
  collection: Collection;
  /** Reports of the files in scope (new since the base, or all). */
  inScope: MigrationReport[];
  base: BaseRef | undefined;
  workspace: string;
  /** Set when the findings stop the run (at or above `fail-on`). */
  failure: UserError | undefined;
}

/** The base the new files are counted from, and those files; none when every file is in scope. */
interface Scope {
  base: BaseRef | undefined;
  addedFiles: Set<string> | undefined;
}

export async function lintMigrations(
  context: ActionContext,
  settings: Settings,
  parser: SqlParser,
): Promise<LintResult> {
  return context.logger.group("Find and lint migrations", async () => {
    const found = await findMigrations(context, settings, parser);
    return { ...found, failure: reportFindings(context, settings, found) };
  });
}

function readEvent(env: NodeJS.ProcessEnv): Record<string, unknown> {
  if (!env.GITHUB_EVENT_PATH) return {};
  try {
    return JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, "utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function scopeOf(context: ActionContext, settings: Settings, directory: string): Promise<Scope> {
  const { logger, env } = context;
  if (settings.lint.scope !== "new") return { base: undefined, addedFiles: undefined };
  const git = gitIn(directory);
  const inside = await git(["rev-parse", "--is-inside-work-tree"]).catch(() => undefined);
  if (inside?.exitCode !== 0) {
    if (settings.lint.baseRef) {
      throw new UserError(
        `${settings.workingDirectory} is not in a git checkout, so \`base-ref\` cannot be compared with.`,
        { input: "base-ref", fix: "Run actions/checkout before this step, or set `lint-scope: all`." },
      );
    }
    logger.notice("Not a git checkout: every migration is treated as new.");
    return { base: undefined, addedFiles: undefined };
  }
  const base = await resolveBaseRef(git, settings.lint.baseRef, {
    eventName: env.GITHUB_EVENT_NAME,
    ref: env.GITHUB_REF,
    payload: readEvent(env) as never,
  });
  if (!base) {
    logger.info(
      "No base to compare with (no pull request, previous tag or previous push): every migration is treated as new.",
    );
    return { base: undefined, addedFiles: undefined };
  }
  const addedFiles = await filesAddedSince(git, base.commit);
  logger.info(`New migrations are those added since ${base.commit.slice(0, 12)} (${base.reason}).`);
  return { base, addedFiles };
}

async function findMigrations(
  context: ActionContext,
  settings: Settings,
  parser: SqlParser,
): Promise<Omit<LintResult, "failure">> {
  const { logger, env } = context;
  const workspace = resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const directory = resolve(workspace, settings.workingDirectory);
  const { base, addedFiles } = await scopeOf(context, settings, directory);
  const sqlRunner = settings.mode === "sql";
  const collection = await collectMigrations({
    workspace,
    directory,
    layout: settings.lint.layout,
    globs: settings.lint.globs,
    parser,
    levels: settings.lint.levels,
    lintOptions: {
      runnerSetsLockTimeout: sqlRunner && settings.sql.lockTimeoutMs > 0,
      runnerSetsStatementTimeout: sqlRunner && settings.sql.statementTimeoutMs > 0,
      postgresVersion: settings.lint.postgresVersion,
    },
    sqlRunner,
    run: (command, args, cwd) => execCommand(command, args, { cwd, echo: false }),
    addedFiles,
  });
  for (const note of collection.notes) {
    if (note.level === "warning") logger.warning(note.message);
    else logger.notice(note.message);
  }
  const count = collection.migrations.length;
  const layouts = [...new Set(collection.migrations.map((m) => m.migration.layout))];
  logger.info(
    `Found ${count} migration file${count === 1 ? "" : "s"}${layouts.length ? ` (${layouts.join(", ")})` : ""} in ${settings.workingDirectory === "." ? "the workspace" : settings.workingDirectory}.`,
  );
  const inScope = collection.migrations.filter((m) => m.inScope).map((m) => m.report);
  return { collection, inScope, base, workspace };
}

function annotate(context: ActionContext, report: MigrationReport, finding: Finding): void {
  const annotation = {
    title: `migration lint: ${finding.rule}`,
    file: report.file,
    line: finding.line,
    ...(finding.column !== undefined ? { column: finding.column } : {}),
  };
  const suppress =
    finding.rule === "parse-error"
      ? ""
      : `\nSuppress for this statement with: -- shipline-ignore: ${finding.rule} <reason>`;
  const text = `${finding.message}\nSafe alternative: ${finding.fix}${suppress}`;
  if (finding.severity === "error") context.logger.error(text, annotation);
  else context.logger.warning(text, annotation);
}

/** Prints one line per file and every finding as an annotation; returns the error to stop with, if any. */
function reportFindings(
  context: ActionContext,
  settings: Settings,
  found: Omit<LintResult, "failure">,
): UserError | undefined {
  const { logger } = context;
  const reports = found.inScope;
  // With a note (an Alembic project that could not be read) the warning already says why there are none.
  if (found.collection.migrations.length === 0 && found.collection.notes.length === 0) {
    // The folder exists (the inputs say so): a project without migrations yet, said as a notice.
    logger.notice(
      `No migration files in ${settings.workingDirectory === "." ? "the workspace" : settings.workingDirectory}${settings.lint.globs.length ? ` match ${settings.lint.globs.map((g) => `\`${g}\``).join(", ")}` : " (looked for Prisma, Flyway, golang-migrate and Alembic layouts)"}: nothing to lint or apply.`,
    );
  } else if (reports.length === 0) logger.info("No new migration files to lint.");
  for (const report of reports) {
    const n = report.findings.length;
    const counts = n === 0 ? "no findings" : `${n} finding${n === 1 ? "" : "s"}`;
    logger.info(
      `${report.file}: ${report.statements} statement${report.statements === 1 ? "" : "s"}, ${counts}${report.destructive ? ", destructive" : ""}${report.suppressed ? `, ${report.suppressed} suppressed` : ""}`,
    );
    // With `lint: false` the files are only read for the destructive flag: no annotations.
    for (const finding of settings.lint.enabled ? report.findings : []) annotate(context, report, finding);
  }
  if (!settings.lint.enabled) return undefined;
  return lintFailure(judgeLint(reports, settings.lint.failOn));
}
