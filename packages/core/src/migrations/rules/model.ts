// What a lint rule is, and what it knows when it looks at a statement: the file so far, the files
// before it in the run, and how the migration will be run.
import type { ParsedStatement } from "../sql-parser";
import type { Severity } from "../types";

/** PostgreSQL major versions the rules know the facts of; `postgres-version` takes one of these. */
export const POSTGRES_VERSIONS = [10, 11, 12, 13, 14, 15, 16, 17, 18] as const;
export const DEFAULT_POSTGRES_VERSION = 17;

export interface LintOptions {
  /** The runner sets lock_timeout for every statement itself (the sql runner with `lock-timeout`). */
  runnerSetsLockTimeout: boolean;
  /** The runner sets statement_timeout for every statement (the sql runner with `statement-timeout`). */
  runnerSetsStatementTimeout?: boolean;
  /** The major version of the server the migrations run on (default {@link DEFAULT_POSTGRES_VERSION}). */
  postgresVersion?: number;
}

export interface ResolvedLintOptions {
  runnerSetsLockTimeout: boolean;
  runnerSetsStatementTimeout: boolean;
  postgresVersion: number;
}

/** A column's declared type, as far as the migrations show it. */
export interface ColumnType {
  /** The type's last name, lower-case (`varchar`, `numeric`, `int4`, `text`, ...). */
  name: string;
  /** Type modifiers when all are integers (`varchar(20)` -> [20], `numeric(10,2)` -> [10, 2]). */
  mods: number[];
  array: boolean;
}

/** What the rules know about the file so far (statements before the current one). */
export interface FileState {
  /** Tables (and materialized views) created earlier in this file or in an earlier file of the same change: empty, so nothing on them blocks anyone. */
  createdTables: Set<string>;
  /** Indexes created earlier in this file or the change. */
  createdIndexes: Set<string>;
  /** Types and domains created earlier in this file or the change. */
  createdTypes: Set<string>;
  /** A `SET [LOCAL] lock_timeout` to a non-zero value came earlier in the file. */
  lockTimeoutSet: boolean;
  /** A `SET [LOCAL] statement_timeout` to a non-zero value came earlier in the file. */
  statementTimeoutSet: boolean;
  /** missing-lock-timeout and missing-statement-timeout report once per file. */
  lockTimeoutReported: boolean;
  statementTimeoutReported: boolean;
  /** Inside an explicit BEGIN ... COMMIT of the file. */
  inTransactionBlock: boolean;
  /** Line of the BEGIN that opened the block (undefined when the block was open before the file). */
  transactionBlockLine: number | undefined;
  /** The tool (or the sql runner) runs the whole file as one transaction. */
  toolTransaction: boolean;
  /**
   * That transaction is PostgreSQL's implicit one around a multi-statement query (Prisma,
   * golang-migrate): a BEGIN ... COMMIT of the file's own replaces it instead of nesting in it.
   */
  implicitTransaction: boolean;
  /** toolTransaction, and the file has several statements. */
  wholeFileTransaction: boolean;
  /** Statements that change something (not SET, not transaction control). */
  changeStatements: number;
  /** Enum values added in the current transaction: value -> type. */
  enumValuesAdded: Map<string, string>;
  /** `table.constraint` added NOT VALID in the current transaction. */
  notValidInTransaction: Set<string>;
  /** `table.constraint` dropped with IF EXISTS earlier in the file (a re-runnable ADD CONSTRAINT). */
  constraintsDroppedIfExists: Set<string>;
  /** The file's text starts inside a transaction opened before it (Alembic's offline output). */
  startsInTransaction: boolean;
  /** The file has a word long enough to be a name PostgreSQL cuts (or a multi-byte character). */
  mayHaveLongNames: boolean;
}

/** What the rules know across the files linted in this run, in order. */
export interface RunState {
  /** `table.column` pairs with a validated `CHECK (column IS NOT NULL)`: SET NOT NULL is then cheap. */
  validatedNotNullChecks: Set<string>;
  /** Pending NOT VALID checks by constraint name (`table.constraint` -> `table.column`). */
  notValidNotNullChecks: Map<string, string>;
  /** Pending NOT VALID checks of any kind (`table.constraint` -> table), for ATTACH PARTITION. */
  notValidChecks: Map<string, string>;
  /** Tables with a validated CHECK constraint added by the migrations (ATTACH PARTITION can skip its scan). */
  validatedCheckTables: Set<string>;
  /**
   * Tables, indexes and types created by files this change adds: they reach production empty, just
   * before the files after them, so those files may index or constrain them without the precautions.
   */
  tablesNewInChange: Set<string>;
  indexesNewInChange: Set<string>;
  typesNewInChange: Set<string>;
  /** Declared column types (`table.column`), from CREATE TABLE, ADD COLUMN and ALTER TYPE so far. */
  columnTypes: Map<string, ColumnType>;
  /** Domains created with a CHECK or NOT NULL constraint. */
  constrainedDomains: Set<string>;
}

export interface RuleHit {
  message: string;
  /** A node location inside the statement, for a more precise line. */
  location?: number | undefined;
  /** A line of its own (for findings about the file rather than a statement). */
  line?: number | undefined;
  /** This hit loses data (rules whose every hit does say so with `destructive`). */
  destructive?: boolean;
}

/** What a rule returns when the statement is fine: one shared empty list, no allocation per statement. */
export const NO_HITS: readonly RuleHit[] = Object.freeze([]);

export interface RuleContext {
  statement: ParsedStatement;
  file: FileState;
  run: RunState;
  options: ResolvedLintOptions;
}

/** How one of squawk's rules compares with a shipline rule, for the README's conformance table. */
export interface SquawkMatch {
  rule: string;
  /** same: reports the same statements; stricter: more of them; narrower: fewer, on purpose. */
  relation: "same" | "stricter" | "narrower";
  note?: string;
}

/** The top-level parse-tree node kinds (`AlterTableStmt`, `IndexStmt`, ...). */
export type NodeKind = string;

export interface RuleInfo {
  id: string;
  defaultSeverity: Severity;
  title: string;
  /** The lock the statement takes (or "none"), for the README. */
  lock: string;
  /** Why it is unsafe on a live database. */
  explanation: string;
  /** The safe way to get the same result. */
  safeAlternative: string;
  /** How the rule depends on the PostgreSQL version, when it does. */
  versions?: string;
  /** Loses data: marks the migration destructive whatever the rule's level or suppressions. */
  destructive: boolean;
  squawk?: readonly SquawkMatch[];
}

export interface Rule extends RuleInfo {
  /** The statement kinds the rule looks at; the linter calls `check` only for these. */
  nodes: readonly NodeKind[];
  check(context: RuleContext): readonly RuleHit[];
  /** Called once after the file's last statement, for findings about the file as a whole. */
  finish?(context: Omit<RuleContext, "statement">): readonly RuleHit[];
}
