// Finding the migrations, linting them, and showing the findings: annotations at file:line, the
// summary table, and the `migrations` / `destructive` outputs.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Collection, collectMigrations } from "@shipline/core/migrations/collect";
import { lintTotals } from "@shipline/core/migrations/lint";
import { type BaseRef, filesAddedSince, gitIn, resolveBaseRef } from "@shipline/core/migrations/new-files";
import type { SqlParser } from "@shipline/core/migrations/sql-parser";
import type { MigrationReport } from "@shipline/core/migrations/types";
import { UserError } from "@shipline/core/runtime/errors";
import { execCommand } from "@shipline/core/runtime/exec";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { SummaryBuilder } from "@shipline/core/runtime/summary";
import type { Inputs } from "./inputs";
import type { Settings } from "./settings";

export interface LintOutcome {
  collection: Collection;
  /** Reports of the files in scope (new since the base, or all). */
  inScope: MigrationReport[];
  base: BaseRef | undefined;
  workspace: string;
}

function readEvent(env: NodeJS.ProcessEnv): Record<string, unknown> {
  if (!env.GITHUB_EVENT_PATH) return {};
  try {
    return JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, "utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

export async function findMigrations(
  context: ActionContext,
  inputs: Inputs,
  settings: Settings,
  parser: SqlParser,
): Promise<LintOutcome> {
  const { logger, env } = context;
  const workspace = resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const directory = resolve(workspace, inputs.workingDirectory);

  let base: BaseRef | undefined;
  let addedFiles: Set<string> | undefined;
  if (inputs.lintScope === "new") {
    const git = gitIn(directory);
    const inside = await git(["rev-parse", "--is-inside-work-tree"]).catch(() => undefined);
    if (inside?.exitCode !== 0) {
      if (inputs.baseRef) {
        throw new UserError(
          `${inputs.workingDirectory} is not in a git checkout, so \`base-ref\` cannot be compared with.`,
          {
            input: "base-ref",
            fix: "Run actions/checkout before this step, or set `lint-scope: all`.",
          },
        );
      }
      logger.notice("Not a git checkout: every migration is treated as new.");
    } else {
      base = await resolveBaseRef(git, inputs.baseRef, {
        eventName: env.GITHUB_EVENT_NAME,
        ref: env.GITHUB_REF,
        payload: readEvent(env) as never,
      });
      if (base) {
        addedFiles = await filesAddedSince(git, base.commit);
        logger.info(`New migrations are those added since ${base.commit.slice(0, 12)} (${base.reason}).`);
      } else {
        logger.info(
          "No base to compare with (no pull request, previous tag or previous push): every migration is treated as new.",
        );
      }
    }
  }

  const collection = await collectMigrations({
    workspace,
    directory,
    // A glob given with the default layout means "these files", not "these as well".
    layout: inputs.layout === "auto" && (inputs.migrationsGlob ?? []).length > 0 ? "glob" : inputs.layout,
    globs: inputs.migrationsGlob ?? [],
    parser,
    levels: settings.levels,
    lintOptions: {
      runnerSetsLockTimeout: settings.mode === "sql" && inputs.lockTimeout > 0,
      runnerSetsStatementTimeout: settings.mode === "sql" && inputs.statementTimeout > 0,
      postgresVersion: Number(inputs.postgresVersion),
    },
    sqlRunner: settings.mode === "sql",
    run: (command, args, cwd) => execCommand(command, args, { cwd, echo: false }),
    addedFiles,
  });
  for (const note of collection.notes) {
    if (note.level === "warning") logger.warning(note.message);
    else logger.notice(note.message);
  }
  const layouts = [...new Set(collection.migrations.map((m) => m.migration.layout))];
  logger.info(
    `Found ${collection.migrations.length} migration file${collection.migrations.length === 1 ? "" : "s"}${layouts.length ? ` (${layouts.join(", ")})` : ""} in ${inputs.workingDirectory === "." ? "the workspace" : inputs.workingDirectory}.`,
  );
  const inScope = collection.migrations.filter((m) => m.inScope).map((m) => m.report);
  return { collection, inScope, base, workspace };
}

/** Prints every finding as an annotation and returns the error to fail with, if any. */
export function reportFindings(
  context: ActionContext,
  inputs: Inputs,
  outcome: LintOutcome,
): UserError | undefined {
  const { logger } = context;
  const reports = outcome.inScope;
  if (reports.length === 0) {
    logger.info(
      outcome.collection.migrations.length === 0
        ? "No migration files found."
        : "No new migration files to lint.",
    );
  }
  for (const report of reports) {
    const counts =
      report.findings.length === 0
        ? "no findings"
        : `${report.findings.length} finding${report.findings.length === 1 ? "" : "s"}`;
    logger.info(
      `${report.file}: ${report.statements} statement${report.statements === 1 ? "" : "s"}, ${counts}${report.destructive ? ", destructive" : ""}${report.suppressed ? `, ${report.suppressed} suppressed` : ""}`,
    );
    // With `lint: false` the files are only read for the destructive flag: no annotations.
    for (const finding of inputs.lint ? report.findings : []) {
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
      if (finding.severity === "error") logger.error(text, annotation);
      else logger.warning(text, annotation);
    }
  }
  if (!inputs.lint) return undefined;
  const totals = lintTotals(reports);
  const failing =
    inputs.failOn === "never"
      ? 0
      : inputs.failOn === "warning"
        ? totals.errors + totals.warnings
        : totals.errors;
  if (failing === 0) return undefined;
  return new UserError(
    `The migration lint found ${failing} problem${failing === 1 ? "" : "s"} at ${inputs.failOn} level or above in ${reports.filter((r) => r.findings.length > 0).length} file${reports.filter((r) => r.findings.length > 0).length === 1 ? "" : "s"}; nothing was applied.`,
    {
      fix: "Rewrite the statements as each annotation suggests, or, when a finding is intended, add `-- shipline-ignore: <rule> <reason>` above the statement.",
    },
  );
}

export function summarizeLint(summary: SummaryBuilder, outcome: LintOutcome): void {
  const reports = outcome.inScope;
  const totals = lintTotals(reports);
  summary.heading("Migration lint", 3);
  const scope = outcome.base
    ? `new since \`${outcome.base.commit.slice(0, 12)}\` (${outcome.base.reason})`
    : "all";
  summary.paragraph(
    `${reports.length} file${reports.length === 1 ? "" : "s"} (${scope}), ${totals.statements} statements: **${totals.errors} error${totals.errors === 1 ? "" : "s"}**, ${totals.warnings} warning${totals.warnings === 1 ? "" : "s"}, ${totals.suppressed} suppressed. Destructive: **${totals.destructive ? "yes" : "no"}**.`,
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
  const suppressions = reports.flatMap((r) => (r.suppressions ?? []).map((s) => ({ ...s, file: r.file })));
  if (suppressions.length > 0) {
    summary.table(
      ["Suppressed at", "Rule", "Reason"],
      suppressions.map((s) => [`\`${s.file}:${s.line}\``, s.rule, s.reason || "(no reason given)"]),
    );
  }
}
