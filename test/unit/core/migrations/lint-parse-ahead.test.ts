// A long run (2,000 files or more) is parsed ahead on a worker thread while the files before are
// linted: the reports are the same as when every file is parsed on the linting thread.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { collectMigrations } from "../../../../packages/core/src/migrations/collect";
import { loadSqlParser, type SqlParser } from "../../../../packages/core/src/migrations/sql-parser";

const FILES = 2_100;
let workspace: string;
let parser: SqlParser;

beforeAll(async () => {
  parser = await loadSqlParser();
  workspace = mkdtempSync(join(tmpdir(), "shipline-parse-ahead-"));
  const folder = join(workspace, "db", "migrations");
  mkdirSync(folder, { recursive: true });
  for (let i = 1; i <= FILES; i++) {
    const statements = [
      `CREATE TABLE t${i} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name varchar(40));`,
      i % 3 === 0
        ? `CREATE INDEX t${i - 1}_name ON t${i - 1} (name);`
        : `ALTER TABLE t${i - 1} ADD COLUMN c${i} text;`,
      i % 5 === 0 ? `ALTER TABLE t${i - 1} ADD COLUM broken text;` : "SELECT 1;",
      i % 7 === 0 ? "-- shipline-ignore: dropping-column planned\nALTER TABLE t1 DROP COLUMN name;" : "",
    ];
    writeFileSync(join(folder, `V${i}__m.sql`), `${statements.join("\n")}\n`);
  }
});

afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
});

function collect(on: SqlParser) {
  return collectMigrations({
    workspace,
    directory: workspace,
    layout: "auto",
    globs: [],
    parser: on,
    levels: {},
    lintOptions: { runnerSetsLockTimeout: false },
    run: async () => ({ exitCode: 1, stdout: "", stderr: "" }),
    addedFiles: undefined,
  });
}

it("lints a long run with the files parsed ahead on a worker, reporting what one thread reports", async () => {
  const before = parser.parsedAhead;
  const ahead = await collect(parser);
  // Files with a parse error or a suppression comment are re-read on this thread; the rest come ahead.
  expect(parser.parsedAhead - before).toBeGreaterThan(FILES / 2);

  // The same parser, never asked to parse ahead.
  const oneThread = {
    parse: (text: string, options?: { comments?: boolean }) => parser.parse(text, options),
    parseAhead: () => ({ ready: async () => undefined, stop: () => undefined }),
  } as unknown as SqlParser;
  const alone = await collect(oneThread);
  expect(ahead.migrations.map((m) => m.report)).toEqual(alone.migrations.map((m) => m.report));
  expect(ahead.migrations.flatMap((m) => m.report.findings.map((f) => f.rule))).toContain("parse-error");
});
