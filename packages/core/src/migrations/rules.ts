// The lint rules for PostgreSQL migrations: what each looks for in the parse tree, why it is unsafe on
// a live database, and the safe way to write it.
import type { AlterTableCmd, ColumnDef, Constraint, Node, RangeVar } from "libpg-query";
import type { ParsedStatement } from "./sql-parser";
import type { Severity } from "./types";

/** What the rules know about the file so far (statements before the current one). */
export interface FileState {
  /** Tables created earlier in this file (or in an earlier file of the same change): empty, so nothing on them blocks anyone. */
  createdTables: Set<string>;
  /** A `SET [LOCAL] lock_timeout` to a non-zero value came earlier in the file. */
  lockTimeoutSet: boolean;
  /** Inside an explicit BEGIN ... COMMIT of the file. */
  inTransactionBlock: boolean;
  /** The tool runs the whole file as one transaction and the file has several statements. */
  wholeFileTransaction: boolean;
  /** missing-lock-timeout reports once per file, at the first blocking statement. */
  lockTimeoutReported: boolean;
}

/** What the rules know across the files linted in this run, in order. */
export interface RunState {
  /** `table.column` pairs with a validated `CHECK (column IS NOT NULL)`: SET NOT NULL is then cheap. */
  validatedNotNullChecks: Set<string>;
  /** Pending NOT VALID checks by constraint name (`table.constraint` -> `table.column`). */
  notValidNotNullChecks: Map<string, string>;
  /**
   * Tables created by files this change adds: they reach production empty, just before the files
   * after them, so those files may index or constrain them without the precautions.
   */
  tablesNewInChange: Set<string>;
}

export interface LintOptions {
  /** The runner sets lock_timeout for every statement itself (the sql runner with `lock-timeout`). */
  runnerSetsLockTimeout: boolean;
}

export interface RuleHit {
  message: string;
  /** A node location inside the statement, for a more precise line. */
  location?: number | undefined;
}

export interface RuleContext {
  statement: ParsedStatement;
  file: FileState;
  run: RunState;
  options: LintOptions;
}

export interface Rule {
  id: string;
  defaultSeverity: Severity;
  title: string;
  /** Why it is unsafe on a live database. */
  explanation: string;
  /** The safe way to get the same result. */
  safeAlternative: string;
  /** Loses data: marks the migration destructive whatever the rule's level or suppressions. */
  destructive: boolean;
  check(context: RuleContext): RuleHit[];
}

// ---- parse-tree helpers ---------------------------------------------------------------------------

function tableName(relation: RangeVar | undefined): string {
  return relation?.relname ?? "?";
}

function quoted(relation: RangeVar | undefined): string {
  const name = tableName(relation);
  return relation?.schemaname ? `${relation.schemaname}.${name}` : name;
}

function alterTable(node: Node): { relation: RangeVar | undefined; cmds: AlterTableCmd[] } | undefined {
  if (!("AlterTableStmt" in node)) return undefined;
  const stmt = node.AlterTableStmt;
  if (stmt.objtype !== undefined && stmt.objtype !== "OBJECT_TABLE") return undefined;
  const cmds: AlterTableCmd[] = [];
  for (const cmd of stmt.cmds ?? []) if ("AlterTableCmd" in cmd) cmds.push(cmd.AlterTableCmd);
  return { relation: stmt.relation, cmds };
}

function constraintsOf(column: ColumnDef): Constraint[] {
  const out: Constraint[] = [];
  for (const c of column.constraints ?? []) if ("Constraint" in c) out.push(c.Constraint);
  return out;
}

function constraintOf(cmd: AlterTableCmd): Constraint | undefined {
  return cmd.def && "Constraint" in cmd.def ? cmd.def.Constraint : undefined;
}

function columnOf(cmd: AlterTableCmd): ColumnDef | undefined {
  return cmd.def && "ColumnDef" in cmd.def ? cmd.def.ColumnDef : undefined;
}

/** `CHECK (col IS NOT NULL)` -> "col". */
function notNullCheckColumn(constraint: Constraint): string | undefined {
  if (constraint.contype !== "CONSTR_CHECK") return undefined;
  const expr = constraint.raw_expr;
  if (!expr || !("NullTest" in expr)) return undefined;
  const test = expr.NullTest;
  if (test.nulltesttype !== "IS_NOT_NULL" || !test.arg || !("ColumnRef" in test.arg)) return undefined;
  const fields = test.arg.ColumnRef.fields ?? [];
  const last = fields[fields.length - 1];
  return last && "String" in last ? last.String.sval : undefined;
}

function isExisting(relation: RangeVar | undefined, file: FileState): boolean {
  return !file.createdTables.has(tableName(relation));
}

/** The table a statement takes a lock on that blocks reads or writes, when it is an existing one. */
function blockingTarget(node: Node, file: FileState): RangeVar | undefined {
  let relation: RangeVar | undefined;
  if ("AlterTableStmt" in node) relation = node.AlterTableStmt.relation;
  else if ("IndexStmt" in node && !node.IndexStmt.concurrent) relation = node.IndexStmt.relation;
  else if ("RenameStmt" in node) relation = node.RenameStmt.relation;
  else if ("CreateTrigStmt" in node) relation = node.CreateTrigStmt.relation;
  else if ("TruncateStmt" in node) {
    const first = node.TruncateStmt.relations?.[0];
    relation = first && "RangeVar" in first ? first.RangeVar : undefined;
  } else if ("DropStmt" in node && node.DropStmt.removeType === "OBJECT_TABLE") {
    return { relname: dropNames(node)[0] ?? "?" };
  }
  return relation && isExisting(relation, file) ? relation : undefined;
}

function dropNames(node: Node): string[] {
  if (!("DropStmt" in node)) return [];
  return (node.DropStmt.objects ?? []).map((object) => {
    const items = "List" in object ? (object.List.items ?? []) : [];
    return items.map((item) => ("String" in item ? item.String.sval : "?")).join(".");
  });
}

function isConcurrent(node: Node): boolean {
  if ("IndexStmt" in node) return node.IndexStmt.concurrent === true;
  if ("DropStmt" in node) return node.DropStmt.concurrent === true;
  if ("ReindexStmt" in node) {
    return (node.ReindexStmt.params ?? []).some(
      (p) => "DefElem" in p && p.DefElem.defname === "concurrently",
    );
  }
  if ("AlterTableStmt" in node) {
    return (node.AlterTableStmt.cmds ?? []).some(
      (cmd) =>
        "AlterTableCmd" in cmd &&
        cmd.AlterTableCmd.def !== undefined &&
        "PartitionCmd" in cmd.AlterTableCmd.def &&
        cmd.AlterTableCmd.def.PartitionCmd.concurrent === true,
    );
  }
  return false;
}

/** Statements PostgreSQL refuses inside a transaction block (the sql runner runs them on their own). */
export function mustRunOutsideTransaction(node: Node): boolean {
  if (isConcurrent(node)) return true;
  if ("VacuumStmt" in node) return true;
  if ("CreatedbStmt" in node || "DropdbStmt" in node) return true;
  if ("AlterSystemStmt" in node) return true;
  if ("CreateTableSpaceStmt" in node || "DropTableSpaceStmt" in node) return true;
  return false;
}

// ---- the rules -----------------------------------------------------------------------------------

export const RULES: readonly Rule[] = [
  {
    id: "adding-not-null-column-without-default",
    defaultSeverity: "error",
    title: "Adding a NOT NULL column without a default",
    explanation:
      "ADD COLUMN ... NOT NULL without a DEFAULT fails on any table that has rows, and the code still running expects inserts to work without the column.",
    safeAlternative:
      "Add the column with a constant DEFAULT (PostgreSQL 11+ stores it without rewriting the table), or add it nullable, backfill it in batches, then enforce NOT NULL with a validated CHECK constraint.",
    destructive: false,
    check({ statement, file }) {
      const alter = alterTable(statement.node);
      if (!alter || !isExisting(alter.relation, file)) return [];
      const hits: RuleHit[] = [];
      for (const cmd of alter.cmds) {
        const column = columnOf(cmd);
        if (cmd.subtype !== "AT_AddColumn" || !column) continue;
        const constraints = constraintsOf(column);
        const notNull = column.is_not_null || constraints.some((c) => c.contype === "CONSTR_NOTNULL");
        const filled =
          column.raw_default !== undefined ||
          constraints.some((c) =>
            ["CONSTR_DEFAULT", "CONSTR_IDENTITY", "CONSTR_GENERATED"].includes(c.contype ?? ""),
          );
        if (notNull && !filled) {
          hits.push({
            message: `Column ${column.colname ?? "?"} is added to ${quoted(alter.relation)} as NOT NULL without a DEFAULT.`,
            location: column.location,
          });
        }
      }
      return hits;
    },
  },
  {
    id: "setting-not-null",
    defaultSeverity: "error",
    title: "SET NOT NULL on an existing column",
    explanation:
      "ALTER COLUMN ... SET NOT NULL scans the whole table to check every row while holding an ACCESS EXCLUSIVE lock, which blocks all reads and writes for the length of the scan.",
    safeAlternative:
      "Add `CHECK (column IS NOT NULL) NOT VALID`, run `VALIDATE CONSTRAINT` (which allows reads and writes), then SET NOT NULL: PostgreSQL 12+ uses the valid check and skips the scan. The check can be dropped afterwards.",
    destructive: false,
    check({ statement, file, run }) {
      const alter = alterTable(statement.node);
      if (!alter || !isExisting(alter.relation, file)) return [];
      return alter.cmds
        .filter((cmd) => cmd.subtype === "AT_SetNotNull")
        .filter((cmd) => !run.validatedNotNullChecks.has(`${tableName(alter.relation)}.${cmd.name ?? ""}`))
        .map((cmd) => ({
          message: `SET NOT NULL on ${quoted(alter.relation)}.${cmd.name ?? "?"} scans the table under an ACCESS EXCLUSIVE lock.`,
        }));
    },
  },
  {
    id: "creating-index-non-concurrently",
    defaultSeverity: "error",
    title: "Creating an index without CONCURRENTLY",
    explanation:
      "CREATE INDEX holds a SHARE lock on the table until the index is built, blocking every INSERT, UPDATE and DELETE for minutes on a large table.",
    safeAlternative:
      "Use CREATE INDEX CONCURRENTLY in a migration of its own that does not run in a transaction (and DROP INDEX CONCURRENTLY to remove one).",
    destructive: false,
    check({ statement, file }) {
      const node = statement.node;
      if (!("IndexStmt" in node) || node.IndexStmt.concurrent) return [];
      if (!isExisting(node.IndexStmt.relation, file)) return [];
      return [
        {
          message: `Index ${node.IndexStmt.idxname ?? "(unnamed)"} on ${quoted(node.IndexStmt.relation)} is built without CONCURRENTLY, blocking writes to the table until it is done.`,
        },
      ];
    },
  },
  {
    id: "concurrently-in-transaction",
    defaultSeverity: "error",
    title: "CONCURRENTLY inside a transaction",
    explanation:
      "CREATE/DROP/REINDEX ... CONCURRENTLY cannot run inside a transaction block; the migration fails. Prisma, Flyway and golang-migrate run a multi-statement file as one transaction.",
    safeAlternative:
      "Put the CONCURRENTLY statement alone in its own migration file, outside any BEGIN ... COMMIT.",
    destructive: false,
    check({ statement, file }) {
      if (!isConcurrent(statement.node)) return [];
      if (file.inTransactionBlock) {
        return [{ message: "This CONCURRENTLY statement is inside the file's BEGIN ... COMMIT block." }];
      }
      if (file.wholeFileTransaction) {
        return [
          {
            message:
              "This CONCURRENTLY statement shares its file with other statements, and the migration tool runs the file as one transaction.",
          },
        ];
      }
      return [];
    },
  },
  {
    id: "dropping-column",
    defaultSeverity: "error",
    title: "Dropping a column",
    explanation:
      "Dropping a column loses its data, and the version of the code still running (or rolled back to) may read or write it.",
    safeAlternative:
      "Stop using the column in one release; drop it in a later release once no running code refers to it, after a backup.",
    destructive: true,
    check({ statement, file }) {
      const alter = alterTable(statement.node);
      if (!alter || !isExisting(alter.relation, file)) return [];
      return alter.cmds
        .filter((cmd) => cmd.subtype === "AT_DropColumn")
        .map((cmd) => ({ message: `Column ${quoted(alter.relation)}.${cmd.name ?? "?"} is dropped.` }));
    },
  },
  {
    id: "dropping-table",
    defaultSeverity: "error",
    title: "Dropping or emptying a table",
    explanation:
      "DROP TABLE, DROP SCHEMA and TRUNCATE lose data, and code still running (or rolled back to) may use it.",
    safeAlternative:
      "Stop using the table in one release; drop it in a later release once no running code refers to it, after a backup.",
    destructive: true,
    check({ statement, file }) {
      const node = statement.node;
      if ("DropStmt" in node) {
        const kind = node.DropStmt.removeType;
        if (kind === "OBJECT_TABLE") {
          const names = dropNames(node).filter(
            (name) => !file.createdTables.has(name.split(".").pop() ?? ""),
          );
          return names.length > 0 ? [{ message: `Table ${names.join(", ")} is dropped.` }] : [];
        }
        if (kind === "OBJECT_SCHEMA")
          return [{ message: `Schema ${dropNames(node).join(", ")} is dropped.` }];
        return [];
      }
      if ("TruncateStmt" in node) {
        const names = (node.TruncateStmt.relations ?? []).map((r) =>
          "RangeVar" in r ? quoted(r.RangeVar) : "?",
        );
        return [{ message: `TRUNCATE deletes every row of ${names.join(", ")}.` }];
      }
      return [];
    },
  },
  {
    id: "renaming-column",
    defaultSeverity: "error",
    title: "Renaming a column",
    explanation:
      "The code still running refers to the old name and fails from the moment the migration commits until the new code is everywhere.",
    safeAlternative:
      "Add the new column, write to both, backfill, switch reads, then drop the old column in a later release.",
    destructive: false,
    check({ statement, file }) {
      const node = statement.node;
      if (!("RenameStmt" in node) || node.RenameStmt.renameType !== "OBJECT_COLUMN") return [];
      if (!isExisting(node.RenameStmt.relation, file)) return [];
      const r = node.RenameStmt;
      return [
        {
          message: `Column ${quoted(r.relation)}.${r.subname ?? "?"} is renamed to ${r.newname ?? "?"}.`,
        },
      ];
    },
  },
  {
    id: "renaming-table",
    defaultSeverity: "error",
    title: "Renaming a table",
    explanation:
      "The code still running refers to the old name and fails from the moment the migration commits until the new code is everywhere.",
    safeAlternative:
      "Create the new table (or a view under the new name), migrate readers and writers over releases, then drop the old one.",
    destructive: false,
    check({ statement, file }) {
      const node = statement.node;
      if (!("RenameStmt" in node) || node.RenameStmt.renameType !== "OBJECT_TABLE") return [];
      if (!isExisting(node.RenameStmt.relation, file)) return [];
      return [
        {
          message: `Table ${quoted(node.RenameStmt.relation)} is renamed to ${node.RenameStmt.newname ?? "?"}.`,
        },
      ];
    },
  },
  {
    id: "changing-column-type",
    defaultSeverity: "error",
    title: "Changing a column's type",
    explanation:
      "ALTER COLUMN ... TYPE usually rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock, and the code still running may not handle the new type. (Only a few changes, such as widening varchar, avoid the rewrite.)",
    safeAlternative:
      "Add a column of the new type, write to both, backfill in batches, switch reads, then drop the old column in a later release.",
    destructive: false,
    check({ statement, file }) {
      const alter = alterTable(statement.node);
      if (!alter || !isExisting(alter.relation, file)) return [];
      return alter.cmds
        .filter((cmd) => cmd.subtype === "AT_AlterColumnType")
        .map((cmd) => ({
          message: `The type of ${quoted(alter.relation)}.${cmd.name ?? "?"} is changed.`,
          location: columnOf(cmd)?.location,
        }));
    },
  },
  {
    id: "adding-constraint-without-not-valid",
    defaultSeverity: "error",
    title: "Adding a foreign key or check constraint without NOT VALID",
    explanation:
      "Adding a FOREIGN KEY or CHECK constraint checks every existing row while holding a lock that blocks writes (a foreign key locks the referenced table too).",
    safeAlternative:
      "Add the constraint with NOT VALID (only new rows are checked), then `ALTER TABLE ... VALIDATE CONSTRAINT` in a later statement, which does not block writes.",
    destructive: false,
    check({ statement, file }) {
      const alter = alterTable(statement.node);
      if (!alter || !isExisting(alter.relation, file)) return [];
      const hits: RuleHit[] = [];
      for (const cmd of alter.cmds) {
        const constraint = constraintOf(cmd);
        if (cmd.subtype !== "AT_AddConstraint" || !constraint) continue;
        if (constraint.contype !== "CONSTR_FOREIGN" && constraint.contype !== "CONSTR_CHECK") continue;
        if (constraint.skip_validation) continue;
        const kind = constraint.contype === "CONSTR_FOREIGN" ? "Foreign key" : "Check constraint";
        hits.push({
          message: `${kind} ${constraint.conname ?? "(unnamed)"} on ${quoted(alter.relation)} is added without NOT VALID, so every row is checked under a lock.`,
          location: constraint.location,
        });
      }
      return hits;
    },
  },
  {
    id: "adding-unique-constraint-without-index",
    defaultSeverity: "error",
    title: "Adding a unique constraint without an existing index",
    explanation:
      "ADD CONSTRAINT ... UNIQUE (or PRIMARY KEY) builds its index while holding an ACCESS EXCLUSIVE lock, blocking reads and writes until the index is built.",
    safeAlternative:
      "CREATE UNIQUE INDEX CONCURRENTLY first, then `ADD CONSTRAINT name UNIQUE USING INDEX index_name` (or PRIMARY KEY USING INDEX), which is instant.",
    destructive: false,
    check({ statement, file }) {
      const alter = alterTable(statement.node);
      if (!alter || !isExisting(alter.relation, file)) return [];
      const hits: RuleHit[] = [];
      for (const cmd of alter.cmds) {
        const constraint = constraintOf(cmd);
        const column = columnOf(cmd);
        const unique = (c: Constraint): boolean =>
          (c.contype === "CONSTR_UNIQUE" || c.contype === "CONSTR_PRIMARY") && !c.indexname;
        if (cmd.subtype === "AT_AddConstraint" && constraint && unique(constraint)) {
          hits.push({
            message: `Constraint ${constraint.conname ?? "(unnamed)"} on ${quoted(alter.relation)} builds a unique index under an ACCESS EXCLUSIVE lock.`,
            location: constraint.location,
          });
        } else if (cmd.subtype === "AT_AddColumn" && column) {
          const inline = constraintsOf(column).find(unique);
          if (inline) {
            hits.push({
              message: `Column ${column.colname ?? "?"} is added to ${quoted(alter.relation)} with an inline unique constraint, built under an ACCESS EXCLUSIVE lock.`,
              location: inline.location,
            });
          }
        }
      }
      return hits;
    },
  },
  {
    id: "missing-lock-timeout",
    defaultSeverity: "warning",
    title: "No lock_timeout before a blocking statement",
    explanation:
      "A statement that needs a strong lock queues behind any long-running query on the table, and every query after it queues behind it: the table stops answering until it gets the lock.",
    safeAlternative:
      "Start the file with `SET lock_timeout = '5s';` (and retry the migration when it times out), or use the sql runner's `lock-timeout` input, which sets it for every statement.",
    destructive: false,
    check({ statement, file, options }) {
      if (options.runnerSetsLockTimeout || file.lockTimeoutSet || file.lockTimeoutReported) return [];
      const target = blockingTarget(statement.node, file);
      if (!target) return [];
      file.lockTimeoutReported = true;
      return [
        {
          message: `This statement locks ${quoted(target)} with no lock_timeout set earlier in the file, so it can wait indefinitely while blocking every query behind it.`,
        },
      ];
    },
  },
  {
    id: "data-change-without-where",
    defaultSeverity: "error",
    title: "UPDATE or DELETE without WHERE",
    explanation:
      "An UPDATE or DELETE without WHERE touches every row in one transaction: it locks them all, bloats the table, and is easy to get wrong with no way back.",
    safeAlternative:
      "Add a WHERE clause; for a deliberate backfill of a large table, update in batches by key range outside the schema migration.",
    destructive: false,
    check({ statement, file }) {
      const node = statement.node;
      if (
        "UpdateStmt" in node &&
        !node.UpdateStmt.whereClause &&
        isExisting(node.UpdateStmt.relation, file)
      ) {
        return [
          {
            message: `UPDATE of ${quoted(node.UpdateStmt.relation)} has no WHERE clause: every row changes.`,
          },
        ];
      }
      if (
        "DeleteStmt" in node &&
        !node.DeleteStmt.whereClause &&
        isExisting(node.DeleteStmt.relation, file)
      ) {
        return [
          { message: `DELETE from ${quoted(node.DeleteStmt.relation)} has no WHERE clause: every row goes.` },
        ];
      }
      return [];
    },
  },
];

/** Pseudo-rules for problems that are not about a statement's safety. */
export const PARSE_ERROR_RULE = {
  id: "parse-error",
  defaultSeverity: "error" as Severity,
  title: "The file does not parse",
  safeAlternative: "Fix the SQL so PostgreSQL can parse it (the same error would stop the migration).",
};

export const INVALID_SUPPRESSION_RULE = {
  id: "invalid-suppression",
  defaultSeverity: "warning" as Severity,
  title: "A shipline-ignore comment names an unknown rule",
  safeAlternative: "Name rules by their ids, listed in the migrate action's README.",
};

export const RULE_IDS: readonly string[] = [
  ...RULES.map((r) => r.id),
  PARSE_ERROR_RULE.id,
  INVALID_SUPPRESSION_RULE.id,
];

/** Updates the file and run state after a statement has been checked. */
export function advanceState(statement: ParsedStatement, file: FileState, run: RunState): void {
  const node = statement.node;
  if ("CreateStmt" in node) file.createdTables.add(tableName(node.CreateStmt.relation));
  if ("CreateTableAsStmt" in node) file.createdTables.add(tableName(node.CreateTableAsStmt.into?.rel));
  if ("VariableSetStmt" in node && node.VariableSetStmt.name === "lock_timeout") {
    const set = node.VariableSetStmt;
    const arg = set.args?.[0];
    let value: string | number | undefined;
    if (arg && "A_Const" in arg) value = arg.A_Const.sval?.sval ?? arg.A_Const.ival?.ival ?? 0;
    file.lockTimeoutSet =
      set.kind === "VAR_SET_VALUE" && value !== undefined && !/^0\D*$/.test(String(value));
  }
  if ("TransactionStmt" in node) {
    const kind = node.TransactionStmt.kind;
    if (kind === "TRANS_STMT_BEGIN" || kind === "TRANS_STMT_START") file.inTransactionBlock = true;
    if (kind === "TRANS_STMT_COMMIT" || kind === "TRANS_STMT_ROLLBACK") file.inTransactionBlock = false;
  }
  const alter = alterTable(node);
  if (alter) {
    const table = tableName(alter.relation);
    for (const cmd of alter.cmds) {
      const constraint = constraintOf(cmd);
      if (cmd.subtype === "AT_AddConstraint" && constraint) {
        const column = notNullCheckColumn(constraint);
        if (!column) continue;
        if (constraint.skip_validation) {
          run.notValidNotNullChecks.set(`${table}.${constraint.conname ?? ""}`, `${table}.${column}`);
        } else {
          run.validatedNotNullChecks.add(`${table}.${column}`);
        }
      }
      if (cmd.subtype === "AT_ValidateConstraint") {
        const pending = run.notValidNotNullChecks.get(`${table}.${cmd.name ?? ""}`);
        if (pending) run.validatedNotNullChecks.add(pending);
      }
    }
  }
}
