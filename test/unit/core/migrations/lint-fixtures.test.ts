// The lint on the layout fixture migrations (whole Flyway and Prisma projects): each finding at the
// line its `-- expect:` marker names, nothing else, and nothing at all on the safe rewrites.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { collectMigrations } from "../../../../packages/core/src/migrations/collect";
import { loadSqlParser, type SqlParser } from "../../../../packages/core/src/migrations/sql-parser";
import { ROOT } from "../../../rig/harness";

const FIXTURES = join(ROOT, "test", "fixtures", "migrations");

/** `file:line rule` for every `-- expect: a, b` marker in the files. */
function expectedFindings(files: { file: string; absolutePath: string }[]): string[] {
  const expected: string[] = [];
  for (const { file, absolutePath } of files) {
    readFileSync(absolutePath, "utf8")
      .split("\n")
      .forEach((line, index) => {
        const marker = /-- expect: (.+)$/.exec(line);
        for (const rule of marker?.[1]?.split(",") ?? [])
          expected.push(`${file}:${index + 1} ${rule.trim()}`);
      });
  }
  return expected.sort();
}

async function lintFixture(parser: SqlParser, name: string) {
  const workspace = join(FIXTURES, name);
  const collection = await collectMigrations({
    workspace,
    directory: workspace,
    layout: "auto",
    globs: [],
    parser,
    levels: {},
    lintOptions: { runnerSetsLockTimeout: false },
    run: async () => ({ exitCode: 1, stdout: "", stderr: "not used" }),
    addedFiles: undefined,
    alembicInstalled: false,
  });
  const found = collection.migrations
    .flatMap((m) => m.report.findings.map((f) => `${m.report.file}:${f.line} ${f.rule}`))
    .sort();
  return { collection, found, expected: expectedFindings(collection.migrations.map((m) => m.migration)) };
}

describe("lint on the fixture migrations", () => {
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await loadSqlParser();
  });

  it.each(["plain-sql/unsafe", "prisma/unsafe"])(
    "reports exactly the expected findings in %s",
    async (name) => {
      const { found, expected } = await lintFixture(parser, name);
      expect(expected.length).toBeGreaterThan(3);
      expect(found).toEqual(expected);
    },
  );

  it("covers the core rules across the two layouts (every rule has its own pair under rules/)", async () => {
    const plain = await lintFixture(parser, "plain-sql/unsafe");
    const prisma = await lintFixture(parser, "prisma/unsafe");
    const rules = new Set([...plain.found, ...prisma.found].map((f) => f.split(" ")[1]));
    expect([...rules].sort()).toEqual([
      "adding-constraint-without-not-valid",
      "adding-not-null-column-without-default",
      "adding-unique-constraint-without-index",
      "changing-column-type",
      "concurrently-in-transaction",
      "creating-index-non-concurrently",
      "data-change-without-where",
      "dropping-column",
      "dropping-table",
      "missing-lock-timeout",
      "parse-error",
      "renaming-column",
      "renaming-table",
      "setting-not-null",
    ]);
  });

  it.each(["plain-sql/safe", "prisma/safe"])("reports nothing on the safe rewrites in %s", async (name) => {
    const { collection, found } = await lintFixture(parser, name);
    expect(collection.migrations.length).toBeGreaterThan(3);
    expect(found).toEqual([]);
  });

  it("finds the files in the order their tools run them", async () => {
    const { collection } = await lintFixture(parser, "plain-sql/unsafe");
    expect(collection.migrations.map((m) => m.migration.version)).toEqual(
      Array.from({ length: 16 }, (_, i) => String(i + 1)),
    );
    const prisma = await lintFixture(parser, "prisma/safe");
    expect(prisma.collection.migrations.map((m) => m.migration.layout)).toEqual([
      "prisma",
      "prisma",
      "prisma",
      "prisma",
    ]);
  });

  it("marks the files that drop a column or table as destructive, also when the finding is suppressed", async () => {
    for (const name of ["plain-sql/unsafe", "plain-sql/safe"]) {
      const { collection } = await lintFixture(parser, name);
      const destructive = collection.migrations
        .filter((m) => m.report.destructive)
        .map((m) => m.migration.version);
      expect(destructive, name).toEqual(["6", "7"]);
    }
    const safe = await lintFixture(parser, "plain-sql/safe");
    expect(safe.collection.migrations.reduce((n, m) => n + m.report.suppressed, 0)).toBe(2);
  });

  it("keeps linting the statements around one that does not parse", async () => {
    const { collection } = await lintFixture(parser, "plain-sql/unsafe");
    const broken = collection.migrations.find((m) => m.migration.version === "16");
    expect(broken?.report.statements).toBe(3);
    expect(broken?.report.findings.find((f) => f.rule === "parse-error")?.message).toMatch(
      /syntax error at or near "text"/,
    );
  });
});
