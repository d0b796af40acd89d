// Alembic revisions linted through Alembic's own offline mode (real alembic from Debian's package),
// with findings shown at the revision's upgrade().
import { describe, expect, it } from "vitest";
import { available, hasCommand } from "../../rig/availability";
import { runAction } from "../../rig/harness";
import { tempWorkspace } from "./workspace";

function alembicWorkspace(): string {
  return tempWorkspace({}, { fixture: "alembic" });
}

describe.runIf(available("alembic", hasCommand("alembic"), "apt-get install alembic"))(
  "migrate bundle: Alembic",
  () => {
    it("lints the SQL Alembic generates for each revision, annotating the revision's upgrade()", async () => {
      const run = await runAction("migrate", {
        workspace: alembicWorkspace(),
        inputs: { mode: "lint", "lint-scope": "all" },
      });
      expect(run.exitCode).toBe(1);
      const findings = run.annotations
        .filter((a) => a.properties.file)
        .map(
          (a) =>
            `${a.properties.file}:${a.properties.line} ${a.properties.title?.replace("migration lint: ", "")}`,
        );
      expect(findings.sort()).toEqual([
        // sa.Integer with primary_key=True is a SERIAL key: advice on its type, at warning level.
        "migrations/versions/a1_create_accounts.py:17 prefer-bigint-for-keys",
        "migrations/versions/a1_create_accounts.py:17 prefer-identity-over-serial",
        "migrations/versions/b2_add_index.py:15 adding-not-null-column-without-default",
        "migrations/versions/b2_add_index.py:15 creating-index-non-concurrently",
        "migrations/versions/b2_add_index.py:15 missing-lock-timeout",
        "migrations/versions/b2_add_index.py:15 missing-statement-timeout",
      ]);
      expect(
        run.annotations
          .filter((a) => a.properties.file?.endsWith("a1_create_accounts.py"))
          .map((a) => a.level),
      ).toEqual(["warning", "warning"]);
      expect(
        run.annotations.find((a) => a.properties.title?.endsWith("adding-not-null-column-without-default"))
          ?.message,
      ).toMatch(/^Generated SQL line \d+: Column region is added to accounts as NOT NULL/);
      const migrations = JSON.parse(run.outputs.migrations ?? "[]") as { file: string; statements: number }[];
      expect(migrations.map((m) => m.file)).toEqual([
        "migrations/versions/a1_create_accounts.py",
        "migrations/versions/b2_add_index.py",
      ]);
    });
  },
);

describe("migrate bundle: Alembic not installed", () => {
  it("says the revisions are not linted instead of passing them silently", async () => {
    const run = await runAction("migrate", {
      workspace: alembicWorkspace(),
      inputs: { mode: "lint", "lint-scope": "all" },
      env: { PATH: "/nonexistent" },
      node: "24",
    });
    expect(run.exitCode).toBe(0);
    expect(run.annotations.map((a) => `${a.level}: ${a.message}`)).toEqual([
      expect.stringMatching(
        /^warning: Found an Alembic project \(.*\) but `alembic` is not on PATH, so its revisions are not linted/,
      ),
    ]);
  });
});
