// The built-in runner for plain SQL migration directories on PostgreSQL: a history table, one
// migrator at a time (a session advisory lock), lock and statement timeouts, one transaction per file
// unless a statement cannot run in one, checksums of applied files, a plan, and down files.
import { createHash } from "node:crypto";
import pg from "pg";
import type { Clock } from "../runtime/clock";
import { errorMessage, UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";
import { done, PollTimeoutError, pending, poll } from "../runtime/poller";
import { mustRunOutsideTransaction } from "./rules";
import type { ParsedStatement, SqlParser } from "./sql-parser";

export interface SqlMigration {
  version: string;
  description: string;
  /** Workspace-relative path, for messages and annotations. */
  file: string;
  sql: string;
  downFile?: string;
  downSql?: string;
}

export interface HistoryRow {
  version: string;
  description: string;
  file: string;
  checksum: string;
  appliedAt: Date;
  durationMs: number;
  appliedBy: string;
}

export interface ChangedMigration {
  migration: SqlMigration;
  recorded: HistoryRow;
  checksum: string;
}

export interface MigrationPlan {
  applied: HistoryRow[];
  pending: SqlMigration[];
  /** Applied files whose content changed since: an error. */
  changed: ChangedMigration[];
  /** Versions in the history with no file any more. */
  missing: HistoryRow[];
  /** Pending versions lower than the newest applied one (merged late from a branch). */
  outOfOrder: SqlMigration[];
}

export interface AppliedMigration {
  version: string;
  file: string;
  durationMs: number;
  statements: number;
  transactional: boolean;
}

export interface SqlRunnerOptions {
  connectionString: string;
  /** `table` or `schema.table`; validated by historyTableName. */
  historyTable: string;
  /** How long to wait for another migrator's lock; 0 tries once. */
  lockWaitMs: number;
  /** SET lock_timeout for every statement (0 disables). */
  lockTimeoutMs: number;
  /** SET statement_timeout for every statement (0 disables). */
  statementTimeoutMs: number;
  /** Shown in pg_stat_activity, so a waiting run can name the one holding the lock. */
  applicationName: string;
  /** Recorded in the history's applied_by. */
  appliedBy: string;
  clock: Clock;
  logger: Logger;
  signal?: AbortSignal;
  /** Between lock attempts (default 1s). */
  lockPollIntervalMs?: number;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Quotes a `table` or `schema.table` name; throws on anything else. */
export function historyTableName(name: string): string {
  const parts = name.split(".");
  if (parts.length > 2 || !parts.every((p) => IDENTIFIER.test(p))) {
    throw new UserError(`"${name}" is not a table name.`, {
      input: "history-table",
      fix: "Give a name such as shipline_migrations or schema_name.shipline_migrations (letters, digits, underscores).",
    });
  }
  return parts.map((p) => `"${p}"`).join(".");
}

/** sha256 of the file with line endings normalised, so a CRLF checkout does not look changed. */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/** The 64-bit advisory lock key of a history table, and its halves as pg_locks shows them. */
export function advisoryLockKey(historyTable: string): { key: string; classid: string; objid: string } {
  const digest = createHash("sha256").update(`shipline-migrate:${historyTable}`).digest();
  const unsigned = digest.readBigUInt64BE(0);
  return {
    key: BigInt.asIntN(64, unsigned).toString(),
    classid: (unsigned >> 32n).toString(),
    objid: (unsigned & 0xffffffffn).toString(),
  };
}

export interface LockHolder {
  pid: number;
  applicationName: string;
  client: string;
  user: string;
  since: Date | undefined;
}

export function describeHolder(holder: LockHolder): string {
  const parts = [`pid ${holder.pid}`];
  if (holder.applicationName) parts.push(`application_name "${holder.applicationName}"`);
  if (holder.client) parts.push(`client ${holder.client}`);
  if (holder.user) parts.push(`user ${holder.user}`);
  if (holder.since) parts.push(`connected since ${holder.since.toISOString()}`);
  return parts.join(", ");
}

interface PgError extends Error {
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
}

function lineOfPosition(sql: string, position: string | undefined): number | undefined {
  const at = Number(position);
  if (!Number.isFinite(at) || at < 1) return undefined;
  return sql.slice(0, at - 1).split("\n").length;
}

const SQLSTATE_FIX: Record<string, string> = {
  "55P03":
    "lock_timeout was reached: another session held a conflicting lock. Re-run when the table is quieter, or raise `lock-timeout`.",
  "57014":
    "statement_timeout was reached. Make the statement cheaper (batches, CONCURRENTLY) or raise `statement-timeout`.",
};

export class SqlMigrationRunner {
  readonly #client: pg.Client;
  readonly #options: SqlRunnerOptions;
  readonly #table: string;
  readonly #parser: SqlParser;
  #locked = false;

  private constructor(client: pg.Client, options: SqlRunnerOptions, parser: SqlParser) {
    this.#client = client;
    this.#options = options;
    this.#table = historyTableName(options.historyTable);
    this.#parser = parser;
  }

  /** Connects one session (the advisory lock belongs to it) and sets the timeouts on it. */
  static async connect(options: SqlRunnerOptions, parser: SqlParser): Promise<SqlMigrationRunner> {
    historyTableName(options.historyTable);
    options.logger.secrets.addUrl(options.connectionString);
    const client = new pg.Client({
      connectionString: options.connectionString,
      application_name: options.applicationName.slice(0, 63),
      connectionTimeoutMillis: 15_000,
    });
    // An idle connection error (server restart) must not crash the process; the next query reports it.
    client.on("error", (error) => options.logger.debug(`PostgreSQL connection error: ${error.message}`));
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => undefined);
      throw new UserError(`Could not connect to PostgreSQL: ${errorMessage(error)}`, {
        input: "database-url",
        fix: "Check `database-url` (host, port, database, user, password) and that the runner can reach the database.",
        cause: error,
      });
    }
    const runner = new SqlMigrationRunner(client, options, parser);
    await client.query(`SET lock_timeout = ${Math.max(0, Math.round(options.lockTimeoutMs))}`);
    await client.query(`SET statement_timeout = ${Math.max(0, Math.round(options.statementTimeoutMs))}`);
    return runner;
  }

  async close(): Promise<void> {
    if (this.#locked) {
      await this.#client
        .query("SELECT pg_advisory_unlock($1::bigint)", [this.#lockKey.key])
        .catch(() => undefined);
      this.#locked = false;
    }
    await this.#client.end().catch(() => undefined);
  }

  get #lockKey(): { key: string; classid: string; objid: string } {
    return advisoryLockKey(this.#table);
  }

  async lockHolders(): Promise<LockHolder[]> {
    const { classid, objid } = this.#lockKey;
    const result = await this.#client.query<{
      pid: number;
      application_name: string | null;
      client_addr: string | null;
      client_port: number | null;
      usename: string | null;
      backend_start: Date | null;
    }>(
      `SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.client_port, a.usename, a.backend_start
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1
          AND l.pid <> pg_backend_pid()`,
      [classid, objid],
    );
    return result.rows.map((row) => ({
      pid: row.pid,
      applicationName: row.application_name ?? "",
      client: row.client_addr ? `${row.client_addr}${row.client_port ? `:${row.client_port}` : ""}` : "",
      user: row.usename ?? "",
      since: row.backend_start ?? undefined,
    }));
  }

  /**
   * Takes the session advisory lock that makes this the only migrator, waiting up to lockWaitMs
   * for another run to finish. Fails naming the session that holds it.
   */
  async acquireLock(): Promise<void> {
    const { logger, clock } = this.#options;
    const { key } = this.#lockKey;
    let lastHolder = "";
    try {
      await poll(
        {
          intervalMs: this.#options.lockPollIntervalMs ?? 1_000,
          timeoutMs: this.#options.lockWaitMs,
          clock,
          ...(this.#options.signal ? { signal: this.#options.signal } : {}),
        },
        async ({ elapsedMs }) => {
          const result = await this.#client.query<{ locked: boolean }>(
            "SELECT pg_try_advisory_lock($1::bigint) AS locked",
            [key],
          );
          if (result.rows[0]?.locked) return done(undefined);
          const holder =
            (await this.lockHolders()).map(describeHolder).join("; ") || "a session that has since ended";
          if (holder !== lastHolder) {
            logger.progress(
              `Waiting for the migration lock, held by ${holder} (${formatDuration(elapsedMs)} of ${formatDuration(this.#options.lockWaitMs)}).`,
            );
            lastHolder = holder;
          }
          return pending;
        },
      );
    } catch (error) {
      if (!(error instanceof PollTimeoutError)) throw error;
      const holders = (await this.lockHolders()).map(describeHolder);
      throw new UserError(
        `Another migration run holds the migration lock (advisory lock ${key} on ${this.#table}): ${holders.join("; ") || "the holder has just ended"}. Waited ${formatDuration(this.#options.lockWaitMs)}.`,
        {
          input: "lock-wait",
          fix: "Let the other run finish (its job is named by application_name), or raise `lock-wait`. Runs of one environment should share a GitHub concurrency group.",
        },
      );
    }
    this.#locked = true;
    logger.info(`Holding the migration lock (advisory lock ${key}).`);
  }

  async #historyExists(): Promise<boolean> {
    const result = await this.#client.query<{ exists: boolean }>(
      "SELECT to_regclass($1) IS NOT NULL AS exists",
      [this.#table],
    );
    return result.rows[0]?.exists === true;
  }

  async ensureHistoryTable(): Promise<void> {
    await this.#client.query(
      `CREATE TABLE IF NOT EXISTS ${this.#table} (
         version     text PRIMARY KEY,
         description text NOT NULL,
         file        text NOT NULL,
         checksum    text NOT NULL,
         applied_at  timestamptz NOT NULL DEFAULT now(),
         duration_ms integer NOT NULL,
         applied_by  text NOT NULL
       )`,
    );
  }

  async history(): Promise<HistoryRow[]> {
    if (!(await this.#historyExists())) return [];
    const result = await this.#client.query<{
      version: string;
      description: string;
      file: string;
      checksum: string;
      applied_at: Date;
      duration_ms: number;
      applied_by: string;
    }>(
      `SELECT version, description, file, checksum, applied_at, duration_ms, applied_by FROM ${this.#table}`,
    );
    return result.rows.map((row) => ({
      version: row.version,
      description: row.description,
      file: row.file,
      checksum: row.checksum,
      appliedAt: row.applied_at,
      durationMs: row.duration_ms,
      appliedBy: row.applied_by,
    }));
  }

  /** Compares the files with the history; reads only, takes no lock. */
  async plan(migrations: readonly SqlMigration[]): Promise<MigrationPlan> {
    const rows = await this.history();
    const byVersion = new Map(rows.map((row) => [row.version, row]));
    const versions = new Set(migrations.map((m) => m.version));
    const plan: MigrationPlan = { applied: [], pending: [], changed: [], missing: [], outOfOrder: [] };
    const newestApplied = migrations.filter((m) => byVersion.has(m.version)).pop()?.version;
    let seenNewest = newestApplied === undefined;
    for (const migration of migrations) {
      const recorded = byVersion.get(migration.version);
      if (recorded) {
        plan.applied.push(recorded);
        const checksum = migrationChecksum(migration.sql);
        if (checksum !== recorded.checksum) plan.changed.push({ migration, recorded, checksum });
        if (migration.version === newestApplied) seenNewest = true;
      } else {
        plan.pending.push(migration);
        if (!seenNewest) plan.outOfOrder.push(migration);
      }
    }
    plan.missing = rows.filter((row) => !versions.has(row.version));
    return plan;
  }

  /** Throws when an applied file changed: the database no longer matches the repository. */
  static refuseChanged(plan: MigrationPlan): void {
    if (plan.changed.length === 0) return;
    const lines = plan.changed.map(
      (c) =>
        `${c.migration.file} (version ${c.migration.version}) was applied ${c.recorded.appliedAt.toISOString()} with checksum ${c.recorded.checksum.slice(0, 12)}…; the file now has ${c.checksum.slice(0, 12)}…`,
    );
    throw new UserError(
      `${plan.changed.length === 1 ? "An applied migration has" : `${plan.changed.length} applied migrations have`} changed:\n${lines.join("\n")}`,
      {
        fix: "Restore the applied file and put the change in a new migration. Applied migrations must never change, or databases drift apart.",
      },
    );
  }

  /** Applies the migrations in order; the lock must be held. Stops at the first failure. */
  /**
   * Applies the files in order, each committed on its own. `onApplied` hears of each committed file
   * as it happens, so a caller can say what was applied before a later file failed.
   */
  async apply(
    migrations: readonly SqlMigration[],
    onApplied?: (applied: AppliedMigration) => void,
  ): Promise<AppliedMigration[]> {
    if (!this.#locked) throw new Error("apply() needs the migration lock");
    const applied: AppliedMigration[] = [];
    for (const migration of migrations) {
      const one = await this.#applyOne(migration);
      applied.push(one);
      onApplied?.(one);
    }
    return applied;
  }

  async #applyOne(migration: SqlMigration): Promise<AppliedMigration> {
    const { logger, clock } = this.#options;
    const parsed = this.#parser.parse(migration.sql);
    if (parsed.errors.length > 0) {
      const e = parsed.errors[0];
      throw new UserError(
        `${migration.file} line ${e?.line ?? 1}: the SQL does not parse: ${e?.message ?? ""}.`,
        {
          fix: "Fix the SQL; nothing of this file was applied.",
          at: { file: migration.file, line: e?.line ?? 1, title: "Migration does not parse" },
        },
      );
    }
    const outside = parsed.statements.some((s) => mustRunOutsideTransaction(s.node));
    const ownTransactions = parsed.statements.some((s) => "TransactionStmt" in s.node);
    const transactional = !outside && !ownTransactions;
    const started = clock.now();
    logger.info(
      `Applying ${migration.file} (${parsed.statements.length} statement${parsed.statements.length === 1 ? "" : "s"}${transactional ? ", in one transaction" : outside ? ", outside a transaction: it has a statement that cannot run in one" : ", with the file's own BEGIN/COMMIT"})`,
    );
    const rolledBack =
      "The file was rolled back: nothing of it was applied and the history has no row for it.";
    const partlyApplied = (index: number): string =>
      `${index === 0 ? "No statement of the file was applied" : `Statements 1–${index} of the file were applied and stay applied`}; the history has no row for it. Make the file safe to re-run (IF NOT EXISTS; drop an INVALID index left by a failed CONCURRENTLY build) and re-run.`;
    if (transactional) {
      try {
        await this.#client.query("BEGIN");
      } catch (error) {
        throw this.#failure(migration, undefined, error, "Nothing of the file was applied.");
      }
    }
    // One statement at a time (inside the transaction when there is one), so a failure names its line.
    for (const [index, statement] of parsed.statements.entries()) {
      try {
        await this.#client.query(statement.text);
      } catch (error) {
        if (transactional || ownTransactions) await this.#client.query("ROLLBACK").catch(() => undefined);
        throw this.#failure(migration, statement, error, transactional ? rolledBack : partlyApplied(index));
      }
    }
    if (transactional) {
      try {
        await this.#record(migration, clock.now() - started);
        await this.#client.query("COMMIT");
      } catch (error) {
        await this.#client.query("ROLLBACK").catch(() => undefined);
        throw this.#failure(migration, undefined, error, rolledBack);
      }
    } else {
      await this.#record(migration, clock.now() - started);
    }
    const durationMs = clock.now() - started;
    logger.info(`Applied ${migration.file} in ${formatDuration(durationMs)}.`);
    return {
      version: migration.version,
      file: migration.file,
      durationMs,
      statements: parsed.statements.length,
      transactional,
    };
  }

  async #record(migration: SqlMigration, durationMs: number): Promise<void> {
    await this.#client.query(
      `INSERT INTO ${this.#table} (version, description, file, checksum, duration_ms, applied_by) VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        migration.version,
        migration.description,
        migration.file,
        migrationChecksum(migration.sql),
        Math.round(durationMs),
        this.#options.appliedBy,
      ],
    );
  }

  /** The error for a failed file: at the line PostgreSQL points at, else the failed statement's first. */
  #failure(
    migration: SqlMigration,
    statement: ParsedStatement | undefined,
    error: unknown,
    consequence: string,
  ): UserError {
    const pgError = error as PgError;
    const within = statement ? lineOfPosition(statement.text, pgError.position) : undefined;
    const line = statement ? statement.line - 1 + (within ?? 1) : undefined;
    const where = line === undefined ? "" : ` line ${line}`;
    const code = pgError.code ? ` (SQLSTATE ${pgError.code})` : "";
    const detail = [pgError.detail, pgError.hint].filter(Boolean).join(" ");
    return new UserError(
      `${migration.file}${where} failed: ${errorMessage(error)}${code}.${detail ? ` ${detail}` : ""} ${consequence}`,
      {
        fix:
          (pgError.code && SQLSTATE_FIX[pgError.code]) ??
          "Fix the migration and re-run; files before it stay applied.",
        at: {
          file: migration.file,
          ...(line === undefined ? {} : { line }),
          title: "Migration failed",
        },
        cause: error,
      },
    );
  }

  /**
   * Rolls back the applied migrations newer than `toVersion` (all of them for "0"), newest first,
   * with their down files. Every one must have a down file, checked before anything runs.
   */
  async rollback(
    migrations: readonly SqlMigration[],
    toVersion: string,
    compare: (a: string, b: string) => number,
    onUndone?: (undone: AppliedMigration) => void,
  ): Promise<AppliedMigration[]> {
    if (!this.#locked) throw new Error("rollback() needs the migration lock");
    if (toVersion !== "0" && !migrations.some((m) => m.version === toVersion)) {
      throw new UserError(`No migration has version ${toVersion}; nothing was rolled back.`, {
        input: "down-to",
        fix: `Give the version to keep (one of ${migrations.map((m) => m.version).join(", ") || "none found"}), or "0" to roll back everything.`,
      });
    }
    const rows = await this.history();
    const byVersion = new Map(migrations.map((m) => [m.version, m]));
    const targets = rows
      .filter((row) => toVersion === "0" || compare(row.version, toVersion) > 0)
      .sort((a, b) => compare(b.version, a.version));
    const lacking = targets.filter((row) => byVersion.get(row.version)?.downSql === undefined);
    if (lacking.length > 0) {
      throw new UserError(
        `No down file for ${lacking.map((row) => `${row.file} (version ${row.version})`).join(", ")}; nothing was rolled back.`,
        {
          input: "down-to",
          fix: "Add the down files (golang-migrate `<version>_<name>.down.sql`, Flyway `U<version>__<name>.sql`), or roll back to a later version.",
        },
      );
    }
    const undone: AppliedMigration[] = [];
    for (const row of targets) {
      const migration = byVersion.get(row.version) as SqlMigration;
      const downSql = migration.downSql as string;
      const downFile = migration.downFile ?? `${migration.file} (down)`;
      const started = this.#options.clock.now();
      this.#options.logger.info(`Rolling back ${migration.file} with ${downFile}`);
      const parsed = this.#parser.parse(downSql);
      const syntax = parsed.errors[0];
      if (syntax) {
        throw new UserError(`${downFile} line ${syntax.line}: the SQL does not parse: ${syntax.message}.`, {
          fix: "Fix the down file; nothing of it was applied, and the versions after it stay rolled back.",
          at: { file: downFile, line: syntax.line, title: "Down migration does not parse" },
        });
      }
      const outside = parsed.statements.some((s) => mustRunOutsideTransaction(s.node));
      let current: ParsedStatement | undefined;
      try {
        if (!outside) await this.#client.query("BEGIN");
        for (const statement of parsed.statements) {
          current = statement;
          await this.#client.query(statement.text);
        }
        current = undefined;
        await this.#client.query(`DELETE FROM ${this.#table} WHERE version = $1`, [row.version]);
        if (!outside) await this.#client.query("COMMIT");
      } catch (error) {
        if (!outside) await this.#client.query("ROLLBACK").catch(() => undefined);
        throw this.#failure(
          { ...migration, file: downFile },
          current,
          error,
          "This down file was rolled back; the versions after it stay rolled back.",
        );
      }
      const one: AppliedMigration = {
        version: row.version,
        file: downFile,
        durationMs: this.#options.clock.now() - started,
        statements: parsed.statements.length,
        transactional: !outside,
      };
      undone.push(one);
      onUndone?.(one);
    }
    return undone;
  }
}
