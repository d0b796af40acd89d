// The committed migrate bundle run the way the runner runs it: the lint as a pull request check on a
// real git repository, the sql runner and the command mode against a real PostgreSQL, and the
// database URL never printed anywhere.
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { available } from "../../rig/availability";
import { TestRepo } from "../../rig/git-repo";
import { type ActionRun, everythingPrinted, ROOT, runAction } from "../../rig/harness";
import { type PostgresServer, postgresAvailable, startPostgres } from "../../rig/services/postgres";
import { tempWorkspace, writeFiles } from "./workspace";

/** A git repository for one test, removed when it finishes. */
function newRepo(): TestRepo {
  const repo = TestRepo.create("shipline-migrate-repo-");
  onTestFinished(() => repo.remove());
  return repo;
}

function json<T>(run: ActionRun, output: string): T {
  return JSON.parse(run.outputs[output] ?? "null") as T;
}

interface Report {
  file: string;
  statements: number;
  destructive: boolean;
  findings: { rule: string; line: number; severity: string }[];
}

describe("migrate bundle: lint", () => {
  it("lints only the files a pull request adds, with annotations at file and line, and fails the check", async () => {
    const repo = newRepo();
    const base = repo.commit({
      message: "base schema",
      files: {
        "db/migrations/V1__base.sql":
          "CREATE TABLE accounts (id bigint PRIMARY KEY, email text);\nCREATE INDEX accounts_email ON accounts (email);\n",
        // Unsafe, but already merged: not this pull request's business.
        "db/migrations/V2__old.sql": "UPDATE accounts SET email = lower(email);\n",
      },
    });
    repo.git(["checkout", "-q", "-b", "feature"]);
    repo.commit({
      message: "add migrations",
      files: {
        "db/migrations/V3__region.sql":
          "SET lock_timeout = '5s';\n\nALTER TABLE accounts\n  ADD COLUMN region text NOT NULL;\n",
        "db/migrations/V4__drop_email.sql":
          "SET lock_timeout = '5s';\n-- shipline-ignore: dropping-column replaced by login in v3\nALTER TABLE accounts DROP COLUMN email;\n",
      },
    });
    const run = await runAction("migrate", {
      workspace: repo.dir,
      eventName: "pull_request",
      event: { pull_request: { base: { sha: base, ref: "main" } } },
      inputs: { mode: "lint" },
    });
    expect(run.exitCode).toBe(1);
    const lintErrors = run.errors.filter((a) => a.properties.file);
    expect(lintErrors.map((a) => `${a.properties.file}:${a.properties.line} ${a.properties.title}`)).toEqual([
      "db/migrations/V3__region.sql:4 migration lint: adding-not-null-column-without-default",
    ]);
    expect(lintErrors[0]?.message).toMatch(/Safe alternative: Add the column with a constant DEFAULT/);
    expect(run.errors.at(-1)?.message).toMatch(/found 1 problem at error level.*nothing was applied/);
    const migrations = json<Report[]>(run, "migrations");
    expect(migrations.map((m) => [m.file, m.destructive, m.findings.length])).toEqual([
      ["db/migrations/V3__region.sql", false, 1],
      ["db/migrations/V4__drop_email.sql", true, 0],
    ]);
    expect(run.outputs.destructive).toBe("true");
    expect(run.summary).toContain("| `db/migrations/V3__region.sql` | 2 | 1 | 0 | no |");
    expect(run.summary).toMatch(/new since `[0-9a-f]{12}` \(merge base with the pull request's base main\)/);
    // The suppression is reported with its reason, in the summary and the output.
    expect(run.summary).toContain(
      "| `db/migrations/V4__drop_email.sql:2` | dropping-column | replaced by login in v3 |",
    );
    expect(json<{ suppressions?: unknown[] }[]>(run, "migrations")[1]?.suppressions).toEqual([
      { rule: "dropping-column", line: 2, reason: "replaced by login in v3" },
    ]);
    expect(run.stdout).not.toMatch(/Unexpected error/);
  });

  it("lints the files added since the previous tag on a tag push", async () => {
    const repo = newRepo();
    repo.commit({
      message: "v1",
      files: {
        "migrations/0001_init.up.sql": "CREATE TABLE t (id int);\n",
        "migrations/0001_init.down.sql": "DROP TABLE t;\n",
      },
    });
    repo.tag("v1.0.0", { annotated: false });
    repo.commit({
      message: "v2",
      files: { "migrations/0002_truncate.up.sql": "SET lock_timeout = '1s';\nTRUNCATE t;\n" },
    });
    repo.tag("v1.1.0", { annotated: false });
    const run = await runAction("migrate", {
      workspace: repo.dir,
      env: { GITHUB_REF: "refs/tags/v1.1.0", GITHUB_REF_NAME: "v1.1.0" },
      inputs: { mode: "lint", "fail-on": "never" },
    });
    expect(run.exitCode).toBe(0);
    expect(json<Report[]>(run, "migrations").map((m) => m.file)).toEqual(["migrations/0002_truncate.up.sql"]);
    expect(run.outputs.destructive).toBe("true");
    expect(run.annotations.map((a) => `${a.level} ${a.properties.file}:${a.properties.line}`)).toEqual([
      "error migrations/0002_truncate.up.sql:2",
    ]);
    expect(run.stdout).toContain("the previous tag v1.0.0");
  });

  it("passes the safe Prisma rewrites with no finding", async () => {
    const run = await runAction("migrate", {
      workspace: tempWorkspace({}, { fixture: "prisma/safe" }),
      inputs: { mode: "lint", "lint-scope": "all" },
    });
    expect(run.exitCode).toBe(0);
    expect(run.annotations).toEqual([]);
    const migrations = json<Report[]>(run, "migrations");
    expect(migrations).toHaveLength(4);
    expect(migrations.every((m) => m.findings.length === 0)).toBe(true);
    expect(run.outputs.destructive).toBe("true");
    expect(json<{ lint: { suppressed: number } }>(run, "report").lint.suppressed).toBe(1);
  });

  it("reports every rule on the unsafe plain SQL fixtures and survives the file that does not parse", async () => {
    const run = await runAction("migrate", {
      workspace: tempWorkspace({}, { fixture: "plain-sql/unsafe" }),
      inputs: { mode: "lint", "lint-scope": "all", rules: "missing-lock-timeout=error" },
    });
    expect(run.exitCode).toBe(1);
    const rules = new Set(
      run.annotations
        .filter((a) => a.properties.file)
        .map((a) => a.properties.title?.replace("migration lint: ", "")),
    );
    expect(rules.size).toBe(14);
    const parseError = run.annotations.find((a) => a.properties.title === "migration lint: parse-error");
    expect(parseError?.properties).toMatchObject({
      file: "db/migrations/V16__does_not_parse.sql",
      line: "3",
    });
    expect(
      run.annotations.find((a) => a.properties.title === "migration lint: missing-lock-timeout")?.level,
    ).toBe("error");
    expect(run.stdout).not.toMatch(/Unexpected error/);
  });

  it.each([
    ["Node 24", "24"],
    [`Node ${process.versions.node.split(".")[0]}`, "current"],
  ] as const)("loads the WebAssembly parser shipped beside the bundle under %s", async (_, node) => {
    const run = await runAction("migrate", {
      node,
      workspace: tempWorkspace({}, { fixture: "prisma/unsafe" }),
      inputs: { mode: "lint", "lint-scope": "all" },
    });
    expect(run.stdout).not.toMatch(/Unexpected error/);
    expect(run.exitCode).toBe(1);
    expect(run.annotations.filter((a) => a.properties.file).length).toBe(6);
  });

  it("follows postgres-version: a constant default rewrites the table on PostgreSQL 10, not on 17", async () => {
    const workspace = tempWorkspace({
      "db/migrations/V1__plan.sql":
        "SET lock_timeout = '5s';\nSET statement_timeout = '1min';\nALTER TABLE accounts ADD COLUMN plan text DEFAULT 'free';\n",
    });
    const rules = async (version: string | undefined): Promise<string[]> => {
      const run = await runAction("migrate", {
        workspace,
        inputs: { mode: "lint", "lint-scope": "all", ...(version ? { "postgres-version": version } : {}) },
      });
      return json<Report[]>(run, "migrations").flatMap((m) => m.findings.map((f) => `${f.line} ${f.rule}`));
    };
    expect(await rules("10")).toEqual(["3 adding-column-with-volatile-default"]);
    expect(await rules(undefined)).toEqual([]);
  });

  it("refuses a postgres-version it does not know, naming the input, before doing anything", async () => {
    const run = await runAction("migrate", { inputs: { mode: "lint", "postgres-version": "9.6" } });
    expect(run.exitCode).toBe(1);
    expect(run.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/Input `postgres-version`: "9\.6" is not valid\..*from 10 to 18/s),
    ]);
    expect(run.stdout).not.toContain("migration file");
  });

  it("refuses a bad rule setting before doing anything", async () => {
    const run = await runAction("migrate", { inputs: { mode: "lint", rules: "no-such-rule=off" } });
    expect(run.exitCode).toBe(1);
    expect(run.errors.map((e) => e.message)).toEqual([
      expect.stringMatching(/Input `rules`: "no-such-rule" is not a rule id/),
    ]);
  });
});

async function rows<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** Polls a condition every 50 ms until it holds; fails after a minute saying what it waited for. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function expectNoSecret(run: ActionRun, server: PostgresServer, url: string): void {
  const printed = everythingPrinted(run);
  expect(printed).not.toContain(server.password);
  expect(printed).not.toContain(encodeURIComponent(server.password));
  expect(printed).not.toContain(url);
  expect(run.masks).toContain(server.password);
}

describe.runIf(available("PostgreSQL", postgresAvailable(), "apt-get install postgresql"))(
  "migrate bundle: sql and command modes on real PostgreSQL",
  () => {
    let server: PostgresServer;
    beforeAll(async () => {
      server = await startPostgres();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("applies the safe fixture set once, then nothing on a re-run, never printing the database URL", async () => {
      const url = await server.createDatabase();
      const workspace = tempWorkspace({}, { fixture: "plain-sql/safe" });
      const inputs = { mode: "sql", "lint-scope": "all", "database-url": url };
      const first = await runAction("migrate", { workspace, inputs });
      expect(first.errors).toEqual([]);
      expect(first.exitCode).toBe(0);
      const applied = json<string[]>(first, "applied");
      expect(applied).toHaveLength(17);
      expect(applied[0]).toBe("db/migrations/V1__base.sql");
      expect(applied.at(-1)).toBe("db/migrations/V16__shipped_at.sql");
      expect(first.outputs.destructive).toBe("true");
      expect(first.stdout).toContain("Will apply, in this order:");
      expect(first.summary).toContain("| 5 | `db/migrations/V5__index_total.sql` | 1 | none |");
      expectNoSecret(first, server, url);

      const second = await runAction("migrate", { workspace, inputs });
      expect(second.exitCode).toBe(0);
      expect(json<string[]>(second, "applied")).toEqual([]);
      expect(json<string[]>(second, "pending")).toEqual([]);
      expect(second.outputs.destructive).toBe("false");
      expect(second.summary).toContain("Nothing to do: the database was up to date.");
      const history = await rows<{ n: string }>(url, "SELECT count(*) AS n FROM shipline_migrations");
      expect(history[0]?.n).toBe("17");
      expectNoSecret(second, server, url);
    });

    it("lets two concurrent runs apply each file exactly once; a run that cannot wait names the lock holder", async () => {
      const url = await server.createDatabase();
      // V2 waits for an advisory lock this test holds, so the run applying it keeps the migration
      // lock exactly as long as the test needs: no guess of how long a bundle takes to start.
      const GATE = 4242;
      const workspace = tempWorkspace({
        "db/V1__accounts.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
        "db/V2__gated.sql": `SELECT pg_advisory_xact_lock(${GATE});\n`,
        "db/V3__name.sql": "ALTER TABLE accounts ADD COLUMN name text;\n",
      });
      const gate = new pg.Client({ connectionString: url });
      await gate.connect();
      onTestFinished(() => gate.end());
      await gate.query("SELECT pg_advisory_lock($1)", [GATE]);

      // lock_timeout would end V2's wait for the gate; the concurrency is what is tested here.
      const inputs = { mode: "sql", "database-url": url, "lint-scope": "all", "lock-timeout": "0s" };
      let waiting = false;
      const watch = (line: string): void => {
        if (line.includes("Waiting for the migration lock, held by")) waiting = true;
      };
      const holder = runAction("migrate", {
        workspace,
        inputs: { ...inputs, "lock-wait": "1m" },
        env: { GITHUB_RUN_ID: "41" },
        onLine: watch,
      });
      const waiter = runAction("migrate", {
        workspace,
        inputs: { ...inputs, "lock-wait": "1m" },
        env: { GITHUB_RUN_ID: "42" },
        onLine: watch,
      });
      await until(async () => {
        const gated = await gate.query(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted",
          [GATE],
        );
        return waiting && gated.rows.length > 0;
      }, "one run inside V2 and the other waiting for the migration lock");

      const impatient = await runAction("migrate", {
        workspace,
        inputs: { ...inputs, "lock-wait": "1s" },
        env: { GITHUB_RUN_ID: "43" },
      });
      await gate.query("SELECT pg_advisory_unlock($1)", [GATE]);
      const [a, b] = await Promise.all([holder, waiter]);
      expect(a.exitCode, a.stdout).toBe(0);
      expect(b.exitCode, b.stdout).toBe(0);
      // The lock is held from plan to the last file: one run applies all three, the other none.
      const applied = [json<string[]>(a, "applied"), json<string[]>(b, "applied")].sort(
        (x, y) => x.length - y.length,
      );
      expect(applied).toEqual([[], ["db/V1__accounts.sql", "db/V2__gated.sql", "db/V3__name.sql"]]);
      const history = await rows<{ version: string }>(
        url,
        "SELECT version FROM shipline_migrations ORDER BY version",
      );
      expect(history.map((h) => h.version)).toEqual(["1", "2", "3"]);

      expect(impatient.exitCode).toBe(1);
      expect(impatient.errors.at(-1)?.message).toMatch(
        /Another migration run holds the migration lock \(advisory lock -?\d+ on "shipline_migrations"\): pid \d+, application_name "shipline migrate acme\/shop run 4[12] attempt 1", client 127\.0\.0\.1:\d+/,
      );
      expect(json<string[]>(impatient, "applied")).toEqual([]);
      expectNoSecret(impatient, server, url);
    });

    it("fails at the failing file's line, leaving the database and history as before that file", async () => {
      const url = await server.createDatabase();
      const workspace = tempWorkspace({
        "migrations/0001_accounts.up.sql": "CREATE TABLE accounts (id bigint PRIMARY KEY);\n",
        "migrations/0002_broken.up.sql":
          "ALTER TABLE accounts ADD COLUMN name text;\n\nINSERT INTO missing_table VALUES (1);\n",
      });
      const run = await runAction("migrate", {
        workspace,
        inputs: { mode: "sql", "database-url": url, "lint-scope": "all", lint: false },
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors.at(-1)?.message).toMatch(
        /migrations\/0002_broken\.up\.sql line 3 failed: relation "missing_table" does not exist \(SQLSTATE 42P01\)\. The file was rolled back/,
      );
      expect(json<string[]>(run, "pending")).toEqual([
        "migrations/0001_accounts.up.sql",
        "migrations/0002_broken.up.sql",
      ]);
      // The file committed before the failing one is applied, and the outputs say so.
      expect(json<string[]>(run, "applied")).toEqual(["migrations/0001_accounts.up.sql"]);
      expect(json<{ applied: string[] }>(run, "report").applied).toEqual(["migrations/0001_accounts.up.sql"]);
      expect(run.summary).toMatch(/Applied before the failure[\s\S]*migrations\/0001_accounts\.up\.sql/);
      // lint: false: no lint annotation; the one error annotation of the failure points at the line.
      expect(run.errors).toHaveLength(1);
      expect(run.annotations.filter((a) => a.properties.file)).toEqual([run.errors[0]]);
      expect(run.errors[0]?.properties).toMatchObject({
        file: "migrations/0002_broken.up.sql",
        line: "3",
        title: "Migration failed",
      });
      const columns = await rows<{ column_name: string }>(
        url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'accounts'",
      );
      expect(columns.map((c) => c.column_name)).toEqual(["id"]);
      const history = await rows<{ version: string }>(url, "SELECT version FROM shipline_migrations");
      expect(history.map((h) => h.version)).toEqual(["0001"]);
      expectNoSecret(run, server, url);
    });

    it("plans without applying, then refuses to run after an applied file was edited", async () => {
      const url = await server.createDatabase();
      const workspace = tempWorkspace({
        "db/V1__t.sql": "CREATE TABLE t (id int);\n",
        "db/V2__u.sql": "CREATE TABLE u (id int);\n",
      });
      const plan = await runAction("migrate", {
        workspace,
        inputs: { mode: "sql", "database-url": url, plan: true },
      });
      expect(plan.exitCode).toBe(0);
      expect(json<string[]>(plan, "pending")).toEqual(["db/V1__t.sql", "db/V2__u.sql"]);
      expect(json<string[]>(plan, "applied")).toEqual([]);
      expect(await rows(url, "SELECT 1 FROM pg_tables WHERE schemaname = 'public'")).toEqual([]);

      expect(
        (await runAction("migrate", { workspace, inputs: { mode: "sql", "database-url": url } })).exitCode,
      ).toBe(0);
      writeFiles(workspace, {
        "db/V1__t.sql": "CREATE TABLE t (id bigint);\n",
        "db/V3__v.sql": "CREATE TABLE v (id int);\n",
      });
      const changed = await runAction("migrate", { workspace, inputs: { mode: "sql", "database-url": url } });
      expect(changed.exitCode).toBe(1);
      expect(changed.errors.at(-1)?.message).toMatch(
        /An applied migration has changed:\ndb\/V1__t\.sql \(version 1\) was applied/,
      );
      expect(await rows(url, "SELECT 1 FROM pg_tables WHERE tablename = 'v'")).toEqual([]);
    });

    it("rolls back to a version with down files", async () => {
      const url = await server.createDatabase();
      const workspace = tempWorkspace({
        "migrations/1_t.up.sql": "CREATE TABLE t (id int);\n",
        "migrations/1_t.down.sql": "DROP TABLE t;\n",
        "migrations/2_u.up.sql": "CREATE TABLE u (id int);\n",
        "migrations/2_u.down.sql": "DROP TABLE u;\n",
      });
      expect(
        (await runAction("migrate", { workspace, inputs: { mode: "sql", "database-url": url } })).exitCode,
      ).toBe(0);
      const run = await runAction("migrate", {
        workspace,
        inputs: { mode: "sql", "database-url": url, "down-to": "1" },
      });
      expect(run.exitCode).toBe(0);
      expect(json<{ rolledBack: string[] }>(run, "report").rolledBack).toEqual(["migrations/2_u.down.sql"]);
      expect(
        (
          await rows<{ tablename: string }>(
            url,
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1",
          )
        ).map((r) => r.tablename),
      ).toEqual(["shipline_migrations", "t"]);
    });

    it("reports the down files undone before one that fails", async () => {
      const url = await server.createDatabase();
      const workspace = tempWorkspace({
        "migrations/1_t.up.sql": "CREATE TABLE t (id int);\n",
        "migrations/1_t.down.sql": "DROP TABLE t;\n",
        "migrations/2_u.up.sql": "CREATE TABLE u (id int);\n",
        "migrations/2_u.down.sql": "DROP TABLE no_such_table;\n",
        "migrations/3_v.up.sql": "CREATE TABLE v (id int);\n",
        "migrations/3_v.down.sql": "DROP TABLE v;\n",
      });
      expect(
        (await runAction("migrate", { workspace, inputs: { mode: "sql", "database-url": url } })).exitCode,
      ).toBe(0);
      const run = await runAction("migrate", {
        workspace,
        inputs: { mode: "sql", "database-url": url, "down-to": "0" },
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors.at(-1)?.message).toMatch(/migrations\/2_u\.down\.sql line 1 failed/);
      expect(json<{ rolledBack: string[] }>(run, "report").rolledBack).toEqual(["migrations/3_v.down.sql"]);
      expect(run.summary).toMatch(/Rolled back before the failure[\s\S]*migrations\/3_v\.down\.sql/);
    });

    it("runs the project's own tool with DATABASE_URL, streaming its output with the URL masked", async () => {
      const url = await server.createDatabase();
      const workspace = tempWorkspace({
        "tool/migrate.cjs": [
          // The project's own tool, with its own PostgreSQL client.
          `const pg = require(${JSON.stringify(join(ROOT, "node_modules", "pg"))});`,
          "(async () => {",
          "  console.log('connecting to ' + process.env.DATABASE_URL);",
          "  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });",
          "  await client.connect();",
          '  await client.query("CREATE TABLE IF NOT EXISTS from_tool (id int)");',
          "  console.error('password is ' + decodeURIComponent(new URL(process.env.DATABASE_URL).password));",
          // As written in the URL, percent-encoded: a form a tool may print too.
          "  console.error('encoded password is ' + new URL(process.env.DATABASE_URL).password);",
          '  console.log("applied 1 migration");',
          "  console.log('inputs seen: ' + Object.keys(process.env).filter((k) => k.startsWith('INPUT_')).length);",
          "  await client.end();",
          "})();",
        ].join("\n"),
      });
      const lines: string[] = [];
      const run = await runAction("migrate", {
        workspace,
        inputs: { mode: "command", command: `"${process.execPath}" tool/migrate.cjs`, "database-url": url },
        onLine: (line) => lines.push(line),
      });
      expect(run.errors).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain("connecting to ***");
      expect(run.stdout).toContain("password is ***");
      expect(run.stdout).toContain("encoded password is ***");
      expect(run.stdout).toContain("applied 1 migration");
      // The tool gets DATABASE_URL, not the action's own INPUT_* variables.
      expect(run.stdout).toContain("inputs seen: 0");
      expect(lines.some((l) => l.includes("applied 1 migration"))).toBe(true);
      expect(await rows(url, "SELECT 1 FROM pg_tables WHERE tablename = 'from_tool'")).toHaveLength(1);
      expectNoSecret(run, server, url);
    });

    it("fails with the tool's exit code and last lines, still masked", async () => {
      const url = await server.createDatabase();
      const workspace = tempWorkspace({
        "fail.mjs":
          "for (let i = 1; i <= 80; i++) console.log('step ' + i);\nconsole.error('cannot reach ' + process.env.DB);\nprocess.exit(3);\n",
      });
      const run = await runAction("migrate", {
        workspace,
        inputs: {
          mode: "command",
          command: `${process.execPath} fail.mjs`,
          "database-url": url,
          "database-url-env": "DB",
          "log-tail-lines": 5,
        },
      });
      expect(run.exitCode).toBe(1);
      const message = run.errors.at(-1)?.message ?? "";
      expect(message).toMatch(
        /exited with code 3 after .*Its last 5 lines:\nstep 77\nstep 78\nstep 79\nstep 80\ncannot reach \*\*\*/,
      );
      expectNoSecret(run, server, url);
    });
  },
);
