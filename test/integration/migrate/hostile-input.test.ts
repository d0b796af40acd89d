// migrate against hostile and careless input, through the committed bundle: directories and globs
// that climb out of the workspace, a glob too long to be one, a folder that is not there, database
// URLs that are not PostgreSQL's; and a misconfigured sql run leaves the database as it was.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { available } from "../../rig/availability";
import { type ActionRun, runAction } from "../../rig/harness";
import { leaksOf } from "../../rig/secret-scan";
import { type PostgresServer, postgresAvailable, startPostgres } from "../../rig/services/postgres";
import { tempWorkspace } from "./workspace";

/** A folder beside the workspace holding a migration nobody meant to run. */
function outsideFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipline-migrate-outside-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "V9__drop_everything.sql"), "DROP TABLE accounts;\n");
  return dir;
}

/** A clear refusal: exit 1, one error naming the input, and no bug report. */
function expectRefusal(run: ActionRun, input: string, message: RegExp): void {
  expect(run.timedOut).toBe(false);
  expect(run.exitCode).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]?.message).toContain(`Input \`${input}\``);
  expect(run.errors[0]?.message).toMatch(message);
  expect(run.stdout).not.toContain("This is a bug in shipline");
}

const migrate = (workspace: string, inputs: Record<string, string>) =>
  // A refusal is immediate; 20 s is far more than it needs and far less than a walk of the disk.
  runAction("migrate", { workspace, inputs: { "lint-scope": "all", ...inputs }, timeoutMs: 20_000 });

describe("migrate keeps every path inside the workspace", () => {
  it("refuses working-directory ../../.. at once instead of walking the disk from /", async () => {
    const run = await migrate(tempWorkspace(), { mode: "lint", "working-directory": "../../.." });
    expectRefusal(run, "working-directory", /"..\/..\/.." is outside the workspace/);
    expect(run.durationMs).toBeLessThan(20_000);
  });

  it("refuses a working directory that is a link out of the workspace", async () => {
    const workspace = tempWorkspace();
    symlinkSync(outsideFolder(), join(workspace, "db"));
    const run = await migrate(workspace, { mode: "lint", "working-directory": "db" });
    expectRefusal(run, "working-directory", /leads outside the workspace through a symbolic link/);
  });

  it("refuses migrations-glob ../other/*.sql and an absolute path outside, reading neither", async () => {
    const outside = outsideFolder();
    const workspace = tempWorkspace({ "db/V1__init.sql": "CREATE TABLE accounts (id bigint);\n" });
    const relative = join("..", outside.split("/").pop() ?? "", "*.sql");
    for (const glob of [relative, join(outside, "*.sql")]) {
      const run = await migrate(workspace, { mode: "lint", "migrations-glob": glob });
      expectRefusal(run, "migrations-glob", /reaches outside the workspace/);
      expect(run.stdout).not.toContain("V9__drop_everything");
    }
  });

  it("never reads a file through a symbolic link that a glob matches", async () => {
    const outside = outsideFolder();
    const workspace = tempWorkspace({ "db/V1__init.sql": "CREATE TABLE accounts (id bigint);\n" });
    symlinkSync(join(outside, "V9__drop_everything.sql"), join(workspace, "db", "V9__drop_everything.sql"));
    symlinkSync(outside, join(workspace, "db", "linked"));
    const run = await migrate(workspace, { mode: "lint", "migrations-glob": "db/**/*.sql" });
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain("Found 1 migration file (glob)");
    expect(run.stdout).toContain("db/V1__init.sql");
    expect(run.stdout).not.toContain("V9__drop_everything");
  });

  it("refuses a 70,000-character migrations-glob as too long, not as a crash", async () => {
    const run = await migrate(tempWorkspace(), {
      mode: "lint",
      "migrations-glob": `db/${"x".repeat(70_000)}/*.sql`,
    });
    expectRefusal(run, "migrations-glob", /it is 70,009 characters long; at most 4,096 are accepted/);
  });
});

describe("migrate says when there is nothing where it was told to look", () => {
  it("refuses a working directory that does not exist", async () => {
    const run = await migrate(tempWorkspace(), { mode: "lint", "working-directory": "services/api" });
    expectRefusal(run, "working-directory", /"services\/api" does not exist in the workspace/);
  });

  it("refuses a glob into a folder that does not exist", async () => {
    const run = await migrate(tempWorkspace({ "db/migrations/.gitkeep": "" }), {
      mode: "lint",
      "migrations-glob": "db/migration/*.sql",
    });
    expectRefusal(
      run,
      "migrations-glob",
      /looks in "db\/migration" does not exist in the workspace, so it matches nothing/,
    );
  });

  it("passes with a notice when the folder exists and holds no migration yet", async () => {
    const run = await migrate(tempWorkspace({ "db/migrations/.gitkeep": "" }), {
      mode: "lint",
      "migrations-glob": "db/migrations/*.sql",
    });
    expect(run.exitCode).toBe(0);
    expect(run.annotations.filter((a) => a.level === "notice").map((a) => a.message)).toContain(
      "No migration files in the workspace match `db/migrations/*.sql`: nothing to lint or apply.",
    );
  });
});

describe("migrate takes only PostgreSQL URLs, and never echoes one", () => {
  it.each([
    ["not a url", /The value is not a URL/],
    ["mysql://shop:Sup3r-secret@db:3306/shop", /The value is not a postgres:\/\/ or postgresql:\/\/ URL/],
    ["postgres://shop:Sup3r-secret@$(id)/shop", /The value is not a URL|The value has no valid host name/],
  ])("refuses %j naming database-url", async (url, message) => {
    const run = await migrate(tempWorkspace({ "db/V1__init.sql": "CREATE TABLE a (id bigint);\n" }), {
      mode: "sql",
      "database-url": url,
    });
    expectRefusal(run, "database-url", message);
    expect(
      leaksOf(
        [
          { name: "password", value: "Sup3r-secret" },
          { name: "url", value: url },
        ],
        "refusal",
        run,
      ),
    ).toEqual([]);
  });
});

describe.runIf(available("PostgreSQL", postgresAvailable(), "apt-get install postgresql"))(
  "a misconfigured sql run changes nothing in the database",
  () => {
    let server: PostgresServer;
    beforeAll(async () => {
      server = await startPostgres();
    });
    afterAll(async () => {
      await server?.stop();
    });

    async function tables(url: string): Promise<string[]> {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ name: string }>(
          "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1",
        );
        return rows.map((r) => r.name);
      } finally {
        await client.end();
      }
    }

    it("creates no history table when the working directory is mistyped", async () => {
      const url = await server.createDatabase();
      const workspace = tempWorkspace({
        "db/migrations/V1__init.sql": "CREATE TABLE accounts (id bigint);\n",
      });
      const run = await migrate(workspace, {
        mode: "sql",
        "database-url": url,
        "working-directory": "db/migration",
      });
      expectRefusal(run, "working-directory", /does not exist/);
      expect(await tables(url)).toEqual([]);
    });

    it("does not touch the database when a glob matches no file yet", async () => {
      const url = await server.createDatabase();
      const workspace = tempWorkspace();
      mkdirSync(join(workspace, "db", "migrations"), { recursive: true });
      const run = await migrate(workspace, {
        mode: "sql",
        "database-url": url,
        "migrations-glob": "db/migrations/*.sql",
      });
      expect(run.exitCode).toBe(0);
      expect(run.stdout).toContain("nothing to apply, and the database was not touched");
      expect(await tables(url)).toEqual([]);
    });
  },
);
