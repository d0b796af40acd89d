// The set of files the built-in sql runner applies: the plain SQL migrations found (Flyway,
// golang-migrate or a glob), from exactly one directory, one file per version, read with their down
// files.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { UserError } from "../runtime/errors";
import type { CollectedMigration } from "./collect";
import type { SqlMigration } from "./sql-runner";

const PLAIN_SQL_LAYOUTS = ["flyway", "golang-migrate", "glob"];

/** Refuses files from several directories or two files with one version: the runner's order needs one set. */
export function sqlMigrationSet(collected: readonly CollectedMigration[], workspace: string): SqlMigration[] {
  const plain = collected.filter((c) => PLAIN_SQL_LAYOUTS.includes(c.migration.layout));
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
