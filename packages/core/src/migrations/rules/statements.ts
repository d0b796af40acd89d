// Rules about a statement as written: data changes without WHERE, a column assigned twice, names
// PostgreSQL truncates, syntax the server version lacks, and statements that fail when re-run.
import type { ColumnDef, Node } from "libpg-query";
import type { Rule, RuleContext, RuleHit } from "./model";
import { NO_HITS } from "./model";
import {
  alterTable,
  alterTableOfTable,
  columnOf,
  constraintOf,
  constraintsOf,
  isConcurrent,
  isExistingTable,
  lastName,
  quoted,
  tableElements,
} from "./tree";

const dataChangeWithoutWhere: Rule = {
  id: "data-change-without-where",
  defaultSeverity: "error",
  title: "UPDATE or DELETE without WHERE",
  lock: "row locks on every row, until the transaction ends",
  explanation:
    "An UPDATE or DELETE without WHERE touches every row in one transaction: it locks them all, bloats the table, and is easy to get wrong with no way back.",
  safeAlternative:
    "Add a WHERE clause; for a deliberate backfill of a large table, update in batches by key range outside the schema migration.",
  destructive: false,
  nodes: ["UpdateStmt", "DeleteStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (
      "UpdateStmt" in node &&
      !node.UpdateStmt.whereClause &&
      isExistingTable(node.UpdateStmt.relation, file)
    ) {
      return [
        { message: `UPDATE of ${quoted(node.UpdateStmt.relation)} has no WHERE clause: every row changes.` },
      ];
    }
    if (
      "DeleteStmt" in node &&
      !node.DeleteStmt.whereClause &&
      isExistingTable(node.DeleteStmt.relation, file)
    ) {
      return [
        { message: `DELETE from ${quoted(node.DeleteStmt.relation)} has no WHERE clause: every row goes.` },
      ];
    }
    return NO_HITS;
  },
};

/** Names given more than once (a quadratic scan: the lists are short, and most have no repeat). */
function duplicates(names: readonly (string | undefined)[]): string[] {
  let twice: string[] | undefined;
  for (let i = 1; i < names.length; i++) {
    const name = names[i];
    if (name === undefined || twice?.includes(name)) continue;
    for (let j = 0; j < i; j++) {
      if (names[j] === name) {
        twice ??= [];
        twice.push(name);
        break;
      }
    }
  }
  return twice ?? [];
}

/** A column name of an UPDATE's SET or an INSERT's list; `SET a[1] = x, a[2] = y` names no whole column. */
function assignedName(target: Node): string | undefined {
  return "ResTarget" in target && !(target.ResTarget.indirection ?? []).length
    ? target.ResTarget.name
    : undefined;
}

const assigningColumnTwice: Rule = {
  id: "assigning-column-twice",
  defaultSeverity: "error",
  title: "A column assigned or declared twice",
  lock: "none: the migration fails",
  explanation:
    "PostgreSQL refuses an UPDATE that sets a column twice, an INSERT that lists it twice and a CREATE TABLE that declares it twice: the migration fails at that statement.",
  safeAlternative: "Name each column once.",
  destructive: false,
  squawk: [{ rule: "ban-duplicate-column-assignments", relation: "same" }],
  nodes: ["UpdateStmt", "InsertStmt", "CreateStmt"],
  check({ statement }) {
    const node = statement.node;
    let twice: string[] = [];
    let what: () => string = () => "";
    if ("UpdateStmt" in node) {
      twice = duplicates((node.UpdateStmt.targetList ?? []).map(assignedName));
      what = () => `UPDATE of ${quoted(node.UpdateStmt.relation)} sets`;
    } else if ("InsertStmt" in node) {
      twice = duplicates((node.InsertStmt.cols ?? []).map(assignedName));
      what = () => `INSERT into ${quoted(node.InsertStmt.relation)} lists`;
    } else if ("CreateStmt" in node) {
      twice = duplicates(tableElements(node.CreateStmt.tableElts).columns.map((c) => c.colname));
      what = () => `CREATE TABLE ${quoted(node.CreateStmt.relation)} declares`;
    }
    return twice.length > 0 ? [{ message: `${what()} ${twice.join(", ")} more than once.` }] : NO_HITS;
  },
};

/** PostgreSQL's NAMEDATALEN - 1: longer identifiers are cut to this many bytes. */
const MAX_IDENTIFIER_BYTES = 63;

/** The names a statement gives to new objects. */
function namesGiven(node: Node): (string | undefined)[] {
  const columnNames = (columns: readonly ColumnDef[]): (string | undefined)[] =>
    columns.flatMap((c) => [c.colname, ...constraintsOf(c).map((k) => k.conname)]);
  if ("CreateStmt" in node) {
    const { columns, constraints } = tableElements(node.CreateStmt.tableElts);
    return [node.CreateStmt.relation?.relname, ...columnNames(columns), ...constraints.map((c) => c.conname)];
  }
  if ("IndexStmt" in node) return [node.IndexStmt.idxname];
  if ("RenameStmt" in node) return [node.RenameStmt.newname];
  if ("ViewStmt" in node) return [node.ViewStmt.view?.relname];
  if ("CreateTableAsStmt" in node) return [node.CreateTableAsStmt.into?.rel?.relname];
  if ("CreateSeqStmt" in node) return [node.CreateSeqStmt.sequence?.relname];
  if ("CreateSchemaStmt" in node) return [node.CreateSchemaStmt.schemaname];
  if ("CreateEnumStmt" in node) return [lastName(node.CreateEnumStmt.typeName)];
  if ("CreateDomainStmt" in node) return [lastName(node.CreateDomainStmt.domainname)];
  if ("CreateFunctionStmt" in node) return [lastName(node.CreateFunctionStmt.funcname)];
  if ("CreateTrigStmt" in node) return [node.CreateTrigStmt.trigname];
  const alter = alterTable(node);
  if (alter) {
    return alter.cmds.flatMap((cmd) => {
      const column = columnOf(cmd);
      if (column) return columnNames([column]);
      const constraint = constraintOf(cmd);
      return constraint ? [constraint.conname] : [];
    });
  }
  return [];
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * PostgreSQL's scanner has already cut long names in the parse tree, so a name of (nearly) 63 bytes
 * there is looked up in the statement's text: when the text carries on with more name characters, the
 * name was longer.
 */
function cutNames(context: RuleContext): string[] {
  // A cut name keeps 60 to 63 bytes, so at least 15 characters (none takes more than 4 bytes).
  const candidates = namesGiven(context.statement.node).filter(
    (name): name is string =>
      name !== undefined && name.length >= 15 && Buffer.byteLength(name, "utf8") > MAX_IDENTIFIER_BYTES - 4,
  );
  const long: string[] = [];
  for (const name of new Set(candidates)) {
    const written = new RegExp(`${escapeRegExp(name)}[\\p{L}\\p{N}_$]+`, "iu").exec(
      context.statement.text,
    )?.[0];
    if (written && Buffer.byteLength(written, "utf8") > MAX_IDENTIFIER_BYTES) long.push(written);
  }
  return long;
}

const identifierTooLong: Rule = {
  id: "identifier-too-long",
  defaultSeverity: "warning",
  title: "A name longer than 63 bytes",
  lock: "none",
  explanation:
    "PostgreSQL silently cuts identifiers to 63 bytes: the object gets a name the migration did not write, and two long names with the same first 63 bytes collide.",
  safeAlternative: "Shorten the name to at most 63 bytes.",
  destructive: false,
  squawk: [{ rule: "identifier-too-long", relation: "same" }],
  nodes: [
    "CreateStmt",
    "IndexStmt",
    "RenameStmt",
    "ViewStmt",
    "CreateTableAsStmt",
    "CreateSeqStmt",
    "CreateSchemaStmt",
    "CreateEnumStmt",
    "CreateDomainStmt",
    "CreateFunctionStmt",
    "CreateTrigStmt",
    "AlterTableStmt",
  ],
  check(context) {
    if (!context.file.mayHaveLongNames) return NO_HITS;
    return cutNames(context).map((name) => ({
      message: `"${name}" is ${Buffer.byteLength(name, "utf8")} bytes; PostgreSQL keeps "${Buffer.from(name, "utf8").subarray(0, MAX_IDENTIFIER_BYTES).toString("utf8")}".`,
    }));
  },
};

/** Syntax newer than the server: [the PostgreSQL version it needs, what it is, where] when the statement uses some. */
function newerSyntax(node: Node): [number, string, (number | undefined)?][] {
  const found: [number, string, (number | undefined)?][] = [];
  const columns: ColumnDef[] = [];
  if ("ReindexStmt" in node && isConcurrent(node)) found.push([12, "REINDEX CONCURRENTLY"]);
  if ("MergeStmt" in node) found.push([15, "MERGE"]);
  if ("IndexStmt" in node && node.IndexStmt.nulls_not_distinct) found.push([15, "NULLS NOT DISTINCT"]);
  if ("CreateFunctionStmt" in node && node.CreateFunctionStmt.is_procedure)
    found.push([11, "CREATE PROCEDURE"]);
  if (
    "DropdbStmt" in node &&
    (node.DropdbStmt.options ?? []).some((o) => "DefElem" in o && o.DefElem.defname === "force")
  ) {
    found.push([13, "DROP DATABASE ... WITH (FORCE)"]);
  }
  if ("CreateStmt" in node) columns.push(...tableElements(node.CreateStmt.tableElts).columns);
  const alter = alterTable(node);
  for (const cmd of alter?.cmds ?? []) {
    const column = columnOf(cmd);
    if (column) columns.push(column);
    const constraint = constraintOf(cmd);
    if (cmd.subtype === "AT_AddConstraint" && constraint?.contype === "CONSTR_NOTNULL") {
      found.push([18, "ADD CONSTRAINT ... NOT NULL"]);
    }
    if (constraint?.nulls_not_distinct) found.push([15, "NULLS NOT DISTINCT"]);
    if (cmd.subtype === "AT_DetachPartitionFinalize") found.push([14, "DETACH PARTITION ... FINALIZE"]);
    if (cmd.subtype === "AT_DetachPartition" && isConcurrent(node))
      found.push([14, "DETACH PARTITION ... CONCURRENTLY"]);
    if (cmd.subtype === "AT_SetExpression") found.push([17, "ALTER COLUMN ... SET EXPRESSION"]);
  }
  for (const column of columns) {
    for (const c of constraintsOf(column)) {
      if (c.contype !== "CONSTR_GENERATED") continue;
      if (c.generated_kind === "v") {
        found.push([18, "a virtual generated column (GENERATED ALWAYS AS (...) without STORED)", c.location]);
      } else found.push([12, "a generated column", c.location]);
    }
    if (constraintsOf(column).some((c) => c.nulls_not_distinct)) found.push([15, "NULLS NOT DISTINCT"]);
  }
  return found;
}

const unsupportedByPostgresVersion: Rule = {
  id: "unsupported-by-postgres-version",
  defaultSeverity: "error",
  title: "Syntax the server's PostgreSQL version does not have",
  lock: "none: the migration fails",
  explanation:
    "The parser knows PostgreSQL 18's grammar, but the server runs the version in `postgres-version`: a statement using syntax added later fails there.",
  safeAlternative:
    "Write it the way that version supports (the message names the version that added it), or set `postgres-version` to the server's real major version.",
  versions:
    "Knows REINDEX CONCURRENTLY (12), generated columns (12; virtual ones 18), CREATE PROCEDURE (11), DROP DATABASE ... FORCE (13), DETACH PARTITION CONCURRENTLY and FINALIZE (14), MERGE and NULLS NOT DISTINCT (15), SET EXPRESSION (17), NOT NULL table constraints (18).",
  destructive: false,
  nodes: [
    "ReindexStmt",
    "MergeStmt",
    "IndexStmt",
    "CreateFunctionStmt",
    "DropdbStmt",
    "CreateStmt",
    "AlterTableStmt",
  ],
  check({ statement, options }) {
    // Nothing the rule knows is newer than PostgreSQL 18.
    if (options.postgresVersion >= 18) return NO_HITS;
    const seen = new Set<string>();
    const hits: RuleHit[] = [];
    for (const [since, what, location] of newerSyntax(statement.node)) {
      if (options.postgresVersion >= since || seen.has(what)) continue;
      seen.add(what);
      hits.push({
        message: `This uses ${what}, which PostgreSQL has from version ${since}; postgres-version is ${options.postgresVersion}.`,
        location,
      });
    }
    return hits;
  },
};

/** The part of a statement that fails when it runs a second time, if any. */
function notRerunnable(context: RuleContext): string | undefined {
  const { statement, file } = context;
  const node = statement.node;
  if ("CreateStmt" in node && !node.CreateStmt.if_not_exists)
    return `CREATE TABLE ${quoted(node.CreateStmt.relation)} without IF NOT EXISTS`;
  if ("IndexStmt" in node && !node.IndexStmt.if_not_exists)
    return `CREATE INDEX ${node.IndexStmt.idxname ?? ""} without IF NOT EXISTS`.replace("  ", " ");
  if ("CreateSchemaStmt" in node && !node.CreateSchemaStmt.if_not_exists)
    return "CREATE SCHEMA without IF NOT EXISTS";
  if ("CreateSeqStmt" in node && !node.CreateSeqStmt.if_not_exists)
    return "CREATE SEQUENCE without IF NOT EXISTS";
  if ("CreateExtensionStmt" in node && !node.CreateExtensionStmt.if_not_exists)
    return "CREATE EXTENSION without IF NOT EXISTS";
  if ("ViewStmt" in node && !node.ViewStmt.replace) return "CREATE VIEW without OR REPLACE";
  if ("CreateFunctionStmt" in node && !node.CreateFunctionStmt.replace)
    return "CREATE FUNCTION without OR REPLACE";
  if ("DropStmt" in node && !node.DropStmt.missing_ok) return "DROP without IF EXISTS";
  if (
    "AlterEnumStmt" in node &&
    node.AlterEnumStmt.newVal !== undefined &&
    !node.AlterEnumStmt.oldVal &&
    !node.AlterEnumStmt.skipIfNewValExists
  ) {
    return "ADD VALUE without IF NOT EXISTS";
  }
  const alter = alterTableOfTable(node);
  for (const cmd of alter?.cmds ?? []) {
    if (cmd.subtype === "AT_AddColumn" && !cmd.missing_ok)
      return `ADD COLUMN ${columnOf(cmd)?.colname ?? ""} without IF NOT EXISTS`;
    if (cmd.subtype === "AT_DropColumn" && !cmd.missing_ok)
      return `DROP COLUMN ${cmd.name ?? ""} without IF EXISTS`;
    if (cmd.subtype === "AT_DropConstraint" && !cmd.missing_ok)
      return `DROP CONSTRAINT ${cmd.name ?? ""} without IF EXISTS`;
    const constraint = constraintOf(cmd);
    if (cmd.subtype === "AT_AddConstraint" && constraint) {
      const key = `${alter?.relation?.relname ?? "?"}.${constraint.conname ?? ""}`;
      if (!constraint.conname || !file.constraintsDroppedIfExists.has(key)) {
        return `ADD CONSTRAINT ${constraint.conname ?? ""} without a DROP CONSTRAINT IF EXISTS before it`;
      }
    }
  }
  return undefined;
}

const preferRobustStatements: Rule = {
  id: "prefer-robust-statements",
  defaultSeverity: "warning",
  title: "A statement that fails when a half-applied migration is run again",
  lock: "none",
  explanation:
    "A file that does not run as one transaction (a CONCURRENTLY statement, the sql runner's statement-by-statement mode, a tool that does not wrap it) can fail after some of its statements committed. Run again, it then stops at the first statement that already happened.",
  safeAlternative:
    "Use IF NOT EXISTS / IF EXISTS / OR REPLACE, and DROP CONSTRAINT IF EXISTS before ADD CONSTRAINT, so the file can be re-run; or make it one transaction. A failed CREATE INDEX CONCURRENTLY leaves an INVALID index that IF NOT EXISTS then keeps: drop it first.",
  destructive: false,
  squawk: [{ rule: "prefer-robust-stmts", relation: "same" }],
  nodes: [
    "CreateStmt",
    "IndexStmt",
    "CreateSchemaStmt",
    "CreateSeqStmt",
    "CreateExtensionStmt",
    "ViewStmt",
    "CreateFunctionStmt",
    "DropStmt",
    "AlterEnumStmt",
    "AlterTableStmt",
  ],
  check(context) {
    const { file, statement } = context;
    if (file.toolTransaction || file.inTransactionBlock) return NO_HITS;
    if (file.changeStatements < 2 && !isConcurrent(statement.node)) return NO_HITS;
    const part = notRerunnable(context);
    return part
      ? [{ message: `${part}: if the file fails after this statement, running it again fails here.` }]
      : [];
  },
};

export const STATEMENT_RULES: readonly Rule[] = [
  dataChangeWithoutWhere,
  assigningColumnTwice,
  identifierTooLong,
  unsupportedByPostgresVersion,
  preferRobustStatements,
];
