// The lint rules and suppressions on small SQL snippets: what each rule reports, where, and what it
// leaves alone.
import { beforeAll, describe, expect, it } from "vitest";
import {
  MigrationLinter,
  parseRuleLevels,
  type RuleLevels,
} from "../../../../packages/core/src/migrations/lint";
import { loadSqlParser, type SqlParser } from "../../../../packages/core/src/migrations/sql-parser";
import type { MigrationReport } from "../../../../packages/core/src/migrations/types";

let parser: SqlParser;
beforeAll(async () => {
  parser = await loadSqlParser();
});

function lint(
  sql: string,
  options: { levels?: RuleLevels; wholeFile?: boolean; runnerSetsLockTimeout?: boolean } = {},
): MigrationReport {
  const linter = new MigrationLinter(parser, options.levels ?? {}, {
    runnerSetsLockTimeout: options.runnerSetsLockTimeout ?? false,
  });
  // By default the file runs as one transaction, as Prisma, Flyway and golang-migrate run it.
  return linter.lint({ file: "m.sql", version: "1", sql, wholeFileTransaction: options.wholeFile ?? true });
}

function found(report: MigrationReport): string[] {
  return report.findings.map((f) => `${f.line} ${f.rule}`);
}

const LOCK = "SET lock_timeout = '5s'; SET statement_timeout = '1min';\n";

describe("rules", () => {
  it.each([
    ["ALTER TABLE t ADD COLUMN c int NOT NULL", ["2 adding-not-null-column-without-default"]],
    ["ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0", []],
    [
      "ALTER TABLE t ADD COLUMN c int GENERATED ALWAYS AS IDENTITY",
      ["2 adding-column-with-volatile-default", "2 prefer-bigint-for-keys"],
    ],
    ["ALTER TABLE t ADD COLUMN c bigint DEFAULT 0", []],
    ["ALTER TABLE t ADD COLUMN c uuid DEFAULT gen_random_uuid()", ["2 adding-column-with-volatile-default"]],
    ["ALTER TABLE t ADD COLUMN c int", []],
    ["ALTER TABLE t ALTER COLUMN c SET NOT NULL", ["2 setting-not-null"]],
    ["ALTER TABLE t ALTER COLUMN c DROP NOT NULL", ["2 dropping-not-null"]],
    ["CREATE INDEX i ON t (c)", ["2 creating-index-non-concurrently"]],
    ["CREATE UNIQUE INDEX i ON t (c)", ["2 creating-index-non-concurrently"]],
    ["ALTER TABLE t DROP COLUMN c", ["2 dropping-column"]],
    ["DROP TABLE t", ["2 dropping-table"]],
    ["DROP TABLE IF EXISTS a, b", ["2 dropping-table"]],
    ["TRUNCATE t", ["2 dropping-table"]],
    ["DROP SCHEMA s CASCADE", ["2 dropping-table"]],
    ["DROP INDEX i", ["2 dropping-index-non-concurrently"]],
    ["ALTER TABLE t RENAME COLUMN a TO b", ["2 renaming-column"]],
    ["ALTER TABLE t RENAME TO u", ["2 renaming-table"]],
    ["ALTER TABLE t RENAME CONSTRAINT a TO b", []],
    ["ALTER TABLE t ALTER COLUMN c TYPE bigint", ["2 changing-column-type"]],
    [
      "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id)",
      ["2 adding-constraint-without-not-valid"],
    ],
    ["ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id) NOT VALID", []],
    ["ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0)", ["2 adding-constraint-without-not-valid"]],
    ["ALTER TABLE t VALIDATE CONSTRAINT c", []],
    ["ALTER TABLE t ADD CONSTRAINT u UNIQUE (a)", ["2 adding-unique-constraint-without-index"]],
    ["ALTER TABLE t ADD PRIMARY KEY (id)", ["2 adding-unique-constraint-without-index"]],
    ["ALTER TABLE t ADD CONSTRAINT u UNIQUE USING INDEX i", []],
    ["ALTER TABLE t ADD COLUMN c int UNIQUE", ["2 adding-unique-constraint-without-index"]],
    ["UPDATE t SET a = 1", ["2 data-change-without-where"]],
    ["UPDATE t SET a = 1 WHERE id = 2", []],
    ["DELETE FROM t", ["2 data-change-without-where"]],
    ["DELETE FROM t WHERE a IS NULL", []],
    ["INSERT INTO t SELECT * FROM u", []],
    ["CREATE TABLE n (id int)", []],
    ["VACUUM FULL t", ["2 concurrently-in-transaction", "2 running-vacuum-full-or-cluster"]],
    ["ANALYZE t", []],
    ["LOCK TABLE t", ["2 locking-table-explicitly"]],
  ])("%s -> %j", (statement, expected) => {
    expect(found(lint(`${LOCK}${statement};\n`))).toEqual(expected);
  });

  it("reports the line of the offending column in a multi-line ALTER TABLE", () => {
    const report = lint(
      `${LOCK}ALTER TABLE t\n  ADD COLUMN a bigint,\n  ADD COLUMN b int NOT NULL,\n  ADD CONSTRAINT f FOREIGN KEY (a) REFERENCES u (id);\n`,
    );
    expect(found(report)).toEqual([
      "4 adding-not-null-column-without-default",
      "5 adding-constraint-without-not-valid",
    ]);
  });

  it("counts lines correctly after multi-byte characters and block comments", () => {
    const report = lint(
      `${LOCK}/* ünïcödé\n   comment */ UPDATE t SET name = 'Zoë';\n-- ✓\nDELETE FROM t;\n`,
    );
    expect(found(report)).toEqual(["3 data-change-without-where", "5 data-change-without-where"]);
  });

  it("leaves tables created earlier in the same file alone", () => {
    const report = lint(
      "CREATE TABLE n (id int);\nCREATE INDEX n_id ON n (id);\nALTER TABLE n ALTER COLUMN id SET NOT NULL;\nUPDATE n SET id = 1;\n",
    );
    expect(found(report)).toEqual([]);
  });

  it("accepts SET NOT NULL after a validated CHECK (col IS NOT NULL), also from an earlier file", () => {
    const linter = new MigrationLinter(
      parser,
      {},
      { runnerSetsLockTimeout: true, runnerSetsStatementTimeout: true },
    );
    linter.lint({
      file: "1.sql",
      version: "1",
      sql: "ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID;\nALTER TABLE t VALIDATE CONSTRAINT c;\n",
      wholeFileTransaction: false,
    });
    const later = linter.lint({
      file: "2.sql",
      version: "2",
      sql: "ALTER TABLE t ALTER COLUMN a SET NOT NULL;\n",
      wholeFileTransaction: false,
    });
    expect(found(later)).toEqual([]);
    const other = linter.lint({
      file: "3.sql",
      version: "3",
      sql: "ALTER TABLE t ALTER COLUMN b SET NOT NULL;\n",
      wholeFileTransaction: false,
    });
    expect(found(other)).toEqual(["1 setting-not-null"]);
  });

  it("does not accept a CHECK that was never validated", () => {
    const report = lint(
      `${LOCK}ALTER TABLE t ADD CONSTRAINT c CHECK (a IS NOT NULL) NOT VALID;\nALTER TABLE t ALTER COLUMN a SET NOT NULL;\n`,
    );
    expect(found(report)).toEqual(["3 setting-not-null"]);
  });
});

describe("CONCURRENTLY in a transaction", () => {
  it("reports it inside an explicit BEGIN ... COMMIT, not after it", () => {
    const report = lint(
      "BEGIN;\nCREATE INDEX CONCURRENTLY a ON t (a);\nCOMMIT;\nCREATE INDEX CONCURRENTLY IF NOT EXISTS b ON t (b);\n",
      { wholeFile: false },
    );
    expect(found(report)).toEqual(["2 concurrently-in-transaction"]);
  });

  it("reports it in a multi-statement file the tool runs as one transaction", () => {
    const sql = `${LOCK}DROP INDEX CONCURRENTLY IF EXISTS a;\nREINDEX INDEX CONCURRENTLY b;\n`;
    expect(found(lint(sql, { wholeFile: true }))).toEqual([
      "2 concurrently-in-transaction",
      "3 concurrently-in-transaction",
    ]);
    expect(found(lint(sql, { wholeFile: false }))).toEqual([]);
  });

  it("accepts it alone in a file the tool runs as one transaction", () => {
    expect(found(lint("CREATE INDEX CONCURRENTLY a ON t (a);\n", { wholeFile: true }))).toEqual([]);
  });
});

describe("missing lock_timeout", () => {
  it("reports the first blocking statement once per file", () => {
    const report = lint(
      "CREATE TABLE n (id int);\nALTER TABLE t ADD COLUMN a int;\nALTER TABLE t ADD COLUMN b int;\n",
    );
    expect(found(report)).toEqual(["2 missing-lock-timeout"]);
  });

  it.each([
    ["SET lock_timeout = '5s'", []],
    ["SET LOCAL lock_timeout = 3000", []],
    ["SET lock_timeout TO '1min'", []],
    ["SET lock_timeout = 0", ["2 missing-lock-timeout"]],
    ["SET lock_timeout = '0'", ["2 missing-lock-timeout"]],
    ["SET statement_timeout = '5s'", ["2 missing-lock-timeout"]],
  ])("after %s -> %j", (setting, expected) => {
    expect(found(lint(`${setting};\nALTER TABLE t ADD COLUMN a int;\n`))).toEqual(expected);
  });

  it("is not reported when the sql runner sets lock_timeout itself", () => {
    expect(found(lint("ALTER TABLE t ADD COLUMN a int;\n", { runnerSetsLockTimeout: true }))).toEqual([]);
  });

  it("ignores statements that take no blocking lock", () => {
    expect(
      found(
        lint(
          "CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a);\nINSERT INTO t VALUES (1);\nCREATE TABLE IF NOT EXISTS n (id int);\n",
          { wholeFile: false },
        ),
      ),
    ).toEqual([]);
  });
});

describe("suppressions", () => {
  it.each([
    [
      "above the statement",
      "-- shipline-ignore: dropping-column unused since v2\nALTER TABLE t DROP COLUMN a;\n",
    ],
    ["on the statement's line", "ALTER TABLE t DROP COLUMN a; -- shipline-ignore: dropping-column\n"],
    ["as a block comment", "/* shipline-ignore: dropping-column */ ALTER TABLE t DROP COLUMN a;\n"],
  ])("silence the named rule %s", (_, sql) => {
    const report = lint(`${LOCK}${sql}`);
    expect(found(report)).toEqual([]);
    expect(report.suppressed).toBe(1);
    expect(report.destructive).toBe(true);
  });

  it("silence only the statement they belong to", () => {
    const report = lint(
      `${LOCK}ALTER TABLE t DROP COLUMN a; -- shipline-ignore: dropping-column\nALTER TABLE t DROP COLUMN b;\n`,
    );
    expect(found(report)).toEqual(["3 dropping-column"]);
  });

  it("silence every rule they name", () => {
    const report = lint(
      `${LOCK}-- shipline-ignore: dropping-column, adding-constraint-without-not-valid both checked by hand\nALTER TABLE t DROP COLUMN a, ADD CONSTRAINT c CHECK (b > 0);\n`,
    );
    expect(found(report)).toEqual([]);
    expect(report.suppressed).toBe(2);
  });

  it("silence only the rules they name, and a rule named in vain is reported as unused", () => {
    const report = lint(`${LOCK}-- shipline-ignore: renaming-column\nALTER TABLE t DROP COLUMN a;\n`);
    expect(found(report)).toEqual(["2 unused-suppression", "3 dropping-column"]);
  });

  it("keep the reason written after the rule ids, for the summary", () => {
    const report = lint(
      `${LOCK}-- shipline-ignore: dropping-column nothing has read it since v2.0\nALTER TABLE t DROP COLUMN a;\nDROP TABLE old; /* shipline-ignore: dropping-table */\n`,
    );
    expect(report.suppressions).toEqual([
      { rule: "dropping-column", line: 2, reason: "nothing has read it since v2.0" },
      { rule: "dropping-table", line: 4, reason: "" },
    ]);
  });

  it("are not reported unused when the rule they name is turned off", () => {
    const report = lint(`${LOCK}-- shipline-ignore: renaming-column\nALTER TABLE t ADD COLUMN a text;\n`, {
      levels: parseRuleLevels({ "renaming-column": "off" }),
    });
    expect(found(report)).toEqual([]);
  });

  it("leave a report without suppressions free of the field", () => {
    expect(lint(`${LOCK}ALTER TABLE t ADD COLUMN a text;\n`)).not.toHaveProperty("suppressions");
  });

  it("report a comment naming an unknown rule", () => {
    const report = lint(`${LOCK}-- shipline-ignore: droping-column\nALTER TABLE t DROP COLUMN a;\n`);
    expect(found(report)).toEqual(["2 invalid-suppression", "3 dropping-column"]);
  });
});

describe("rule levels", () => {
  it("turns a rule off, down to a warning or up to an error", () => {
    const sql = "ALTER TABLE t DROP COLUMN a;\n";
    const levels = parseRuleLevels({ "dropping-column": "off", "missing-lock-timeout": "error" });
    const report = lint(sql, { levels });
    expect(report.findings.map((f) => [f.rule, f.severity])).toEqual([["missing-lock-timeout", "error"]]);
    expect(report.destructive).toBe(true);
    const warn = lint(`${LOCK}${sql}`, { levels: parseRuleLevels({ "dropping-column": "warn" }) });
    expect(warn.findings.map((f) => f.severity)).toEqual(["warning"]);
  });

  it.each([
    [{ "no-such-rule": "off" }, /"no-such-rule" is not a rule id/],
    [{ "dropping-column": "loud" }, /not off, warn or error/],
  ])("refuses %j", (settings, message) => {
    expect(() => parseRuleLevels(settings)).toThrow(message);
  });
});

describe("no false alarm on the forms PostgreSQL does safely", () => {
  const linted = (files: string[], postgresVersion = 17): string[] => {
    const linter = new MigrationLinter(parser, {}, { runnerSetsLockTimeout: false, postgresVersion });
    return files.flatMap((sql, i) =>
      found(
        linter.lint({
          file: `${i}.sql`,
          version: String(i),
          sql: `${LOCK}${sql}`,
          wholeFileTransaction: true,
        }),
      ).map((f) => `${i}:${f}`),
    );
  };

  it("a type change PostgreSQL makes without a rewrite", () => {
    const schema = "CREATE TABLE t (a varchar(20), b varchar(20), c numeric(10, 2));\n";
    // The first file declares the types (and gets its varchar advice); the second changes them.
    expect(
      linted([
        schema,
        "ALTER TABLE t ALTER COLUMN a TYPE varchar(40);\nALTER TABLE t ALTER COLUMN b TYPE text;\nALTER TABLE t ALTER COLUMN c TYPE numeric(12, 2);\n",
      ]).filter((f) => f.startsWith("1:")),
    ).toEqual([]);
  });

  it.each([11, 12, 17, 18])("ADD COLUMN with a constant or stable default on PostgreSQL %i", (version) => {
    expect(
      linted(
        ["ALTER TABLE t ADD COLUMN a text NOT NULL DEFAULT 'x', ADD COLUMN b timestamptz DEFAULT now();\n"],
        version,
      ),
    ).toEqual([]);
  });

  it("NOT VALID, then VALIDATE in a later migration", () => {
    expect(
      linted([
        "ALTER TABLE t ADD CONSTRAINT f FOREIGN KEY (u_id) REFERENCES u (id) NOT VALID;\n",
        "ALTER TABLE t VALIDATE CONSTRAINT f;\n",
      ]),
    ).toEqual([]);
  });

  it("CONCURRENTLY outside a transaction", () => {
    const linter = new MigrationLinter(parser);
    const report = linter.lint({
      file: "i.sql",
      version: "1",
      sql: "CREATE INDEX CONCURRENTLY i ON t (a);\n",
      wholeFileTransaction: true,
    });
    expect(found(report)).toEqual([]);
  });

  it("statements inside function bodies, quoted or BEGIN ATOMIC", () => {
    expect(
      linted([
        "CREATE OR REPLACE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n  DROP TABLE t;\n  UPDATE u SET a = 1;\nEND\n$$;\n",
        "CREATE OR REPLACE FUNCTION reset_all() RETURNS void LANGUAGE sql\nBEGIN ATOMIC\n  UPDATE u SET a = 1;\n  DELETE FROM v;\nEND;\n",
      ]),
    ).toEqual([]);
  });
});

describe("PostgreSQL version", () => {
  it.each([9, 19, 17.5])("refuses %s, which the rules know nothing of", (version) => {
    expect(
      () => new MigrationLinter(parser, {}, { runnerSetsLockTimeout: false, postgresVersion: version }),
    ).toThrow(/not a major version the lint knows \(10 to 18\)/);
  });

  it("defaults to a current major, where a constant default is stored without a rewrite", () => {
    expect(found(lint(`${LOCK}ALTER TABLE t ADD COLUMN a int DEFAULT 0;\n`))).toEqual([]);
  });
});

describe("files that do not parse", () => {
  it("reports an unterminated string at its line instead of crashing", () => {
    const report = lint("SELECT 1;\nUPDATE t SET a = 'oops;\n");
    expect(found(report)).toEqual(["2 parse-error"]);
    expect(report.findings[0]?.message).toMatch(/unterminated quoted string/);
  });

  it("reports each broken statement and lints the rest", () => {
    const report = lint(`${LOCK}ALTER TABLE t DROP COLUM a;\nDELETE FROM t;\nSELEC 1;\n`);
    expect(found(report)).toEqual(["2 parse-error", "3 data-change-without-where", "4 parse-error"]);
  });

  it("handles an empty file and a file of comments", () => {
    expect(lint("").statements).toBe(0);
    expect(found(lint("-- nothing here\n/* at all */\n"))).toEqual([]);
  });
});

describe("tables new in the change", () => {
  const lintPair = (newInChange: boolean): string[] => {
    const linter = new MigrationLinter(
      parser,
      {},
      { runnerSetsLockTimeout: true, runnerSetsStatementTimeout: true },
    );
    linter.lint({
      file: "1.sql",
      version: "1",
      sql: "CREATE TABLE invoices (id int, total int);\n",
      wholeFileTransaction: true,
      newInChange,
    });
    const second = linter.lint({
      file: "2.sql",
      version: "2",
      sql: "CREATE INDEX invoices_total ON invoices (total);\nALTER TABLE invoices ADD CONSTRAINT c CHECK (total > 0);\n",
      wholeFileTransaction: true,
      newInChange,
    });
    return found(second);
  };

  it("lets a later file of the same change index and constrain a table an earlier one created", () => {
    expect(lintPair(true)).toEqual([]);
  });

  it("treats a table created by a file already released as existing", () => {
    expect(lintPair(false)).toEqual([
      "1 creating-index-non-concurrently",
      "2 adding-constraint-without-not-valid",
    ]);
  });
});
