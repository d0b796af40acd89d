// The files the sql runner applies: one directory of plain SQL, one file per version, read with their
// down files; anything else is refused before a connection is made.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CollectedMigration } from "../../../../packages/core/src/migrations/collect";
import { sqlMigrationSet } from "../../../../packages/core/src/migrations/sql-set";
import type { MigrationFile, MigrationLayout } from "../../../../packages/core/src/migrations/types";
import { UserError } from "../../../../packages/core/src/runtime/errors";

let workspace: string | undefined;
afterEach(() => {
  if (workspace) rmSync(workspace, { recursive: true, force: true });
  workspace = undefined;
});

function write(files: Record<string, string>): string {
  workspace = mkdtempSync(join(tmpdir(), "shipline-sql-set-"));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(workspace, path)), { recursive: true });
    writeFileSync(join(workspace, path), text);
  }
  return workspace;
}

function collected(
  root: string,
  file: string,
  version: string,
  layout: MigrationLayout = "golang-migrate",
  extra: Partial<MigrationFile> = {},
): CollectedMigration {
  const migration: MigrationFile = {
    file,
    absolutePath: join(root, file),
    layout,
    version,
    description: file,
    directory: dirname(file),
    wholeFileTransaction: true,
    ...extra,
  };
  return {
    migration,
    report: { file, version, statements: 1, destructive: false, findings: [], suppressed: 0 },
    inScope: true,
  };
}

describe("sqlMigrationSet", () => {
  it("reads each plain SQL file with its down file, in the order found, and leaves other layouts out", () => {
    const root = write({
      "migrations/1_t.up.sql": "CREATE TABLE t (id int);\n",
      "migrations/1_t.down.sql": "DROP TABLE t;\n",
      "migrations/2_u.up.sql": "CREATE TABLE u (id int);\n",
    });
    const set = sqlMigrationSet(
      [
        collected(root, "migrations/1_t.up.sql", "1", "golang-migrate", {
          downFile: "migrations/1_t.down.sql",
        }),
        collected(root, "migrations/2_u.up.sql", "2"),
        collected(root, "prisma/migrations/3_x/migration.sql", "3", "prisma"),
      ],
      root,
    );
    expect(set).toEqual([
      {
        version: "1",
        description: "migrations/1_t.up.sql",
        file: "migrations/1_t.up.sql",
        sql: "CREATE TABLE t (id int);\n",
        downFile: "migrations/1_t.down.sql",
        downSql: "DROP TABLE t;\n",
      },
      {
        version: "2",
        description: "migrations/2_u.up.sql",
        file: "migrations/2_u.up.sql",
        sql: "CREATE TABLE u (id int);\n",
      },
    ]);
  });

  it("refuses files from two directories, naming both and the input to change", () => {
    const root = write({ "a/V1__x.sql": "", "b/V2__y.sql": "" });
    const refuse = () =>
      sqlMigrationSet(
        [collected(root, "a/V1__x.sql", "1", "flyway"), collected(root, "b/V2__y.sql", "2", "flyway")],
        root,
      );
    expect(refuse).toThrow(UserError);
    expect(refuse).toThrow(/found migrations in 2 directories \(a, b\) and runs one at a time/);
  });

  it("refuses two files with the same version", () => {
    const root = write({ "db/V1__x.sql": "", "db/V1.0__y.sql": "" });
    expect(() =>
      sqlMigrationSet(
        [collected(root, "db/V1__x.sql", "1", "flyway"), collected(root, "db/V1.0__y.sql", "1", "flyway")],
        root,
      ),
    ).toThrow("db/V1__x.sql and db/V1.0__y.sql have the same version 1.");
  });
});
