// Every lint rule against its fixture pair in test/fixtures/migrations/rules/<rule-id>/: each unsafe
// file gives exactly the findings its `-- expect:` markers name (rule, severity, line), each safe
// file gives none, and the destructive flag is what the file declares.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type LintFileInput, MigrationLinter } from "../../../../packages/core/src/migrations/lint";
import { ALL_RULES, RULES } from "../../../../packages/core/src/migrations/rules";
import { loadSqlParser, type SqlParser } from "../../../../packages/core/src/migrations/sql-parser";
import type { MigrationReport } from "../../../../packages/core/src/migrations/types";
import { ROOT } from "../../../rig/harness";

const FIXTURES = join(ROOT, "test", "fixtures", "migrations", "rules");

interface FixtureOptions {
  postgresVersion: number;
  transaction: "tool" | "implicit" | "none" | "sql-runner";
  runnerTimeouts: boolean;
  destructive: boolean;
}

/** `-- lint: key=value, key=value` lines: how the fixture is run. */
function optionsOf(sql: string): FixtureOptions {
  const options: FixtureOptions = {
    postgresVersion: 17,
    transaction: "tool",
    runnerTimeouts: false,
    destructive: false,
  };
  for (const [, list] of sql.matchAll(/^-- lint: (.+)$/gm)) {
    for (const pair of (list ?? "").split(",")) {
      const [key, value] = pair.split("=").map((s) => s.trim());
      if (key === "postgres-version") options.postgresVersion = Number(value);
      else if (key === "transaction") options.transaction = value as FixtureOptions["transaction"];
      else if (key === "runner-timeouts") options.runnerTimeouts = value === "true";
      else if (key === "destructive") options.destructive = value === "true";
      else throw new Error(`unknown fixture option ${key}`);
    }
  }
  return options;
}

/** `line rule severity` for every `-- expect: rule severity[, rule severity]` marker. */
function expectedFindings(sql: string): string[] {
  const expected: string[] = [];
  sql.split("\n").forEach((line, index) => {
    const marker = /-- expect: (.+)$/.exec(line);
    for (const entry of marker?.[1]?.split(",") ?? []) expected.push(`${index + 1} ${entry.trim()}`);
  });
  return expected.sort();
}

function fixtureFiles(rule: string): string[] {
  const dir = join(FIXTURES, rule);
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".sql") && f !== "before.sql")
        .sort()
    : [];
}

function lintFixture(
  parser: SqlParser,
  rule: string,
  name: string,
): { report: MigrationReport; sql: string } {
  const sql = readFileSync(join(FIXTURES, rule, name), "utf8");
  const options = optionsOf(sql);
  const linter = new MigrationLinter(
    parser,
    {},
    {
      runnerSetsLockTimeout: options.runnerTimeouts,
      runnerSetsStatementTimeout: options.runnerTimeouts,
      postgresVersion: options.postgresVersion,
    },
  );
  const input = (file: string, text: string, version: string): LintFileInput => ({
    file,
    version,
    sql: text,
    wholeFileTransaction: options.transaction === "tool" || options.transaction === "implicit",
    implicitTransaction: options.transaction === "implicit",
    sqlRunner: options.transaction === "sql-runner",
  });
  // A before.sql is an earlier, already released migration the fixture builds on.
  const before = join(FIXTURES, rule, "before.sql");
  if (existsSync(before)) linter.lint(input("before.sql", readFileSync(before, "utf8"), "1"));
  return { report: linter.lint(input(name, sql, "2")), sql };
}

const found = (report: MigrationReport): string[] =>
  report.findings.map((f) => `${f.line} ${f.rule} ${f.severity}`).sort();

describe("rule fixtures", () => {
  let parser: SqlParser;
  beforeAll(async () => {
    parser = await loadSqlParser();
  });

  it("has an unsafe and a safe fixture for every rule, and none for a rule that does not exist", () => {
    for (const rule of ALL_RULES) {
      const files = fixtureFiles(rule.id);
      expect(
        files.filter((f) => f.startsWith("unsafe")),
        rule.id,
      ).not.toEqual([]);
      expect(
        files.filter((f) => f.startsWith("safe")),
        rule.id,
      ).not.toEqual([]);
      expect(
        files.every((f) => /^(unsafe|safe)(-[a-z0-9-]+)?\.sql$/.test(f)),
        rule.id,
      ).toBe(true);
    }
    expect(readdirSync(FIXTURES).sort()).toEqual(ALL_RULES.map((r) => r.id).sort());
  });

  describe.each(ALL_RULES.map((rule) => [rule.id, rule] as const))("%s", (id, rule) => {
    const unsafe = fixtureFiles(id).filter((f) => f.startsWith("unsafe"));
    const safe = fixtureFiles(id).filter((f) => f.startsWith("safe"));

    it.each(unsafe)(
      "fires on %s at the statement's line with its severity, and nothing else fires",
      (name) => {
        const { report, sql } = lintFixture(parser, id, name);
        const expected = expectedFindings(sql);
        expect(
          expected.some((e) => e.endsWith(` ${id} ${rule.defaultSeverity}`)),
          "the file marks the rule",
        ).toBe(true);
        expect(found(report)).toEqual(expected);
        expect(report.destructive).toBe(optionsOf(sql).destructive);
      },
    );

    it.each(safe)("stays silent on %s", (name) => {
      const { report, sql } = lintFixture(parser, id, name);
      expect(expectedFindings(sql)).toEqual([]);
      expect(found(report)).toEqual([]);
      expect(report.destructive).toBe(optionsOf(sql).destructive);
    });
  });

  it("marks every unsafe fixture of a destructive rule destructive", () => {
    for (const rule of RULES.filter((r) => r.destructive)) {
      for (const name of fixtureFiles(rule.id).filter((f) => f.startsWith("unsafe"))) {
        expect(
          optionsOf(readFileSync(join(FIXTURES, rule.id, name), "utf8")).destructive,
          `${rule.id}/${name}`,
        ).toBe(true);
      }
    }
  });
});
