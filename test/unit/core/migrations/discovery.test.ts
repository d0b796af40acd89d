// Finding migrations without configuration: layouts, order, down files, globs.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { compareVersions, discoverMigrations } from "../../../../packages/core/src/migrations/discovery";

function tree(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), "shipline-discovery-"));
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), "SELECT 1;\n");
  }
  return dir;
}

describe("discoverMigrations", () => {
  it("finds Flyway files in version order (2 before 10, 1.2 before 1.10) with their undo files", async () => {
    const dir = tree([
      "db/V10__c.sql",
      "db/V2__b.sql",
      "db/V1_2__a2.sql",
      "db/V1_10__a10.sql",
      "db/U2__b.sql",
      "db/R__view.sql",
      "db/notes.sql",
    ]);
    const { migrations } = await discoverMigrations({ directory: dir, workspace: dir, layout: "auto" });
    expect(migrations.map((m) => [m.version, m.file, m.downFile])).toEqual([
      ["1.2", "db/V1_2__a2.sql", undefined],
      ["1.10", "db/V1_10__a10.sql", undefined],
      ["2", "db/V2__b.sql", "db/U2__b.sql"],
      ["10", "db/V10__c.sql", undefined],
    ]);
    expect(migrations.every((m) => m.layout === "flyway" && m.wholeFileTransaction)).toBe(true);
  });

  it("finds golang-migrate up files with their down files", async () => {
    const dir = tree([
      "migrations/000002_b.up.sql",
      "migrations/000001_a.up.sql",
      "migrations/000001_a.down.sql",
    ]);
    const { migrations } = await discoverMigrations({ directory: dir, workspace: dir, layout: "auto" });
    expect(migrations.map((m) => [m.layout, m.version, m.description, m.downFile])).toEqual([
      ["golang-migrate", "000001", "a", "migrations/000001_a.down.sql"],
      ["golang-migrate", "000002", "b", undefined],
    ]);
  });

  it("finds Prisma migrations by folder, ignoring node_modules", async () => {
    const dir = tree([
      "prisma/migrations/20240201000000_b/migration.sql",
      "prisma/migrations/20240101000000_a/migration.sql",
      "node_modules/x/prisma/migrations/1_x/migration.sql",
    ]);
    const { migrations } = await discoverMigrations({ directory: dir, workspace: dir, layout: "auto" });
    expect(migrations.map((m) => [m.layout, m.version, m.directory])).toEqual([
      ["prisma", "20240101000000_a", "prisma/migrations"],
      ["prisma", "20240201000000_b", "prisma/migrations"],
    ]);
  });

  it("takes only the named layout, and only the glob's files for layout glob", async () => {
    const dir = tree(["db/V1__a.sql", "sql/001-create.sql", "sql/002-alter.sql", "sql/002-alter.down.sql"]);
    const flyway = await discoverMigrations({ directory: dir, workspace: dir, layout: "golang-migrate" });
    expect(flyway.migrations).toEqual([]);
    const glob = await discoverMigrations({
      directory: dir,
      workspace: dir,
      layout: "glob",
      globs: ["sql/*.sql"],
    });
    expect(glob.migrations.map((m) => [m.version, m.file, m.downFile, m.wholeFileTransaction])).toEqual([
      ["001", "sql/001-create.sql", undefined, false],
      ["002", "sql/002-alter.sql", "sql/002-alter.down.sql", false],
    ]);
  });

  it("names files relative to the workspace when looking in a subdirectory", async () => {
    const dir = tree(["services/api/db/V1__a.sql"]);
    const { migrations } = await discoverMigrations({
      directory: join(dir, "services/api"),
      workspace: dir,
      layout: "auto",
    });
    expect(migrations.map((m) => m.file)).toEqual(["services/api/db/V1__a.sql"]);
  });

  it("notes Alembic projects", async () => {
    const dir = tree(["alembic.ini", "migrations/versions/a1_x.py"]);
    const { alembicProjects } = await discoverMigrations({ directory: dir, workspace: dir, layout: "auto" });
    expect(alembicProjects).toEqual([dir]);
  });
});

describe("compareVersions", () => {
  it.each([
    ["1", "2", -1],
    ["2", "10", -1],
    ["1.2", "1.10", -1],
    ["1", "1.1", -1],
    ["20240101", "20240101", 0],
    ["0002", "2", 0],
    ["b", "a", 1],
  ])("%s vs %s -> %i", (a, b, expected) => {
    expect(Math.sign(compareVersions(a, b))).toBe(expected);
  });
});
