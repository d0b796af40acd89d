// Collects a repository's migrations for the lint and the runners: discovery, Alembic's generated
// SQL, and which files are new since the base ref. Lints every file in order (later files can rely
// on earlier ones), so reports exist for all; the caller decides which to show.

import { relative } from "node:path";
import { AlembicError, alembicMigrations, alembicUpgradeLine, type CommandRunner } from "./alembic";
import { hasCommandOnPath } from "./command-path";
import { discoverMigrations, type LayoutChoice, migrationSql } from "./discovery";
import { MigrationLinter, type RuleLevels } from "./lint";
import type { LintOptions } from "./rules";
import type { SqlParser } from "./sql-parser";
import type { MigrationFile, MigrationReport } from "./types";

export interface CollectOptions {
  workspace: string;
  directory: string;
  layout: LayoutChoice;
  globs: readonly string[];
  parser: SqlParser;
  levels: RuleLevels;
  lintOptions: LintOptions;
  run: CommandRunner;
  /** Absolute paths of files added since the base; undefined means every file is in scope. */
  addedFiles: Set<string> | undefined;
  /**
   * The files run through shipline's sql runner, which gives a file with a CONCURRENTLY statement no
   * transaction, instead of the layout's own tool (which runs each file as one).
   */
  sqlRunner?: boolean;
  /** Whether alembic is installed (injectable for tests). */
  alembicInstalled?: boolean;
}

export interface CollectedMigration {
  migration: MigrationFile;
  report: MigrationReport;
  /** New since the base (or every file when there is no base). */
  inScope: boolean;
}

export interface Collection {
  migrations: CollectedMigration[];
  /** Things the user should know (Alembic not installed, its SQL not generated). */
  notes: { level: "notice" | "warning"; message: string }[];
}

export async function collectMigrations(options: CollectOptions): Promise<Collection> {
  const discovery = await discoverMigrations({
    directory: options.directory,
    workspace: options.workspace,
    layout: options.layout,
    globs: options.globs,
  });
  const notes: Collection["notes"] = [];
  const files: MigrationFile[] = [...discovery.migrations];

  if (discovery.alembicProjects.length > 0) {
    const installed = options.alembicInstalled ?? hasCommandOnPath("alembic");
    for (const project of discovery.alembicProjects) {
      if (!installed) {
        notes.push({
          level: "warning",
          message: `Found an Alembic project (${relative(options.workspace, project) || "."}) but \`alembic\` is not on PATH, so its revisions are not linted. Install it in the job before this step (for example \`pip install alembic\` with your project's requirements).`,
        });
        continue;
      }
      try {
        files.push(...(await alembicMigrations(project, options.workspace, options.run)));
      } catch (error) {
        if (!(error instanceof AlembicError)) throw error;
        notes.push({
          level: "warning",
          message: `${error.message}. Its revisions are not linted; offline mode needs \`sqlalchemy.url\` (any postgresql:// URL) in alembic.ini and an env.py with run_migrations_offline.`,
        });
      }
    }
  }

  const linter = new MigrationLinter(options.parser, options.levels, options.lintOptions);
  const sqls = files.map(migrationSql);
  // A long run is parsed ahead on a worker thread while the files before are linted.
  const ahead = options.parser.parseAhead(sqls);
  const migrations: CollectedMigration[] = [];
  try {
    for (const [index, migration] of files.entries()) {
      await ahead.ready(index);
      migrations.push(lintOne(linter, migration, sqls[index] ?? "", options));
    }
  } finally {
    ahead.stop();
  }
  return { migrations, notes };
}

function lintOne(
  linter: MigrationLinter,
  migration: MigrationFile,
  sql: string,
  options: CollectOptions,
): CollectedMigration {
  const newInChange = options.addedFiles?.has(migration.absolutePath) ?? false;
  const report = linter.lint({
    newInChange,
    file: migration.file,
    version: migration.version,
    sql,
    wholeFileTransaction: migration.wholeFileTransaction && !options.sqlRunner,
    // Prisma and golang-migrate send a file as one query: PostgreSQL's implicit transaction.
    implicitTransaction:
      !options.sqlRunner && (migration.layout === "prisma" || migration.layout === "golang-migrate"),
    // Files found by a glob are the sql runner's to apply, in every mode (as the README says).
    sqlRunner: (options.sqlRunner ?? false) || migration.layout === "glob",
    ...(migration.startsInTransaction ? { startsInTransaction: true } : {}),
  });
  if (migration.layout === "alembic") {
    // Findings point into the generated SQL; show them at the revision's upgrade() instead.
    const line = alembicUpgradeLine(migration.absolutePath);
    for (const finding of report.findings) {
      finding.message = `Generated SQL line ${finding.line}: ${finding.message}`;
      finding.line = line;
      delete finding.column;
    }
  }
  return {
    migration,
    report,
    inScope: options.addedFiles === undefined || options.addedFiles.has(migration.absolutePath),
  };
}
