// Which statements take a lock that queues the application's queries behind them, and which hold
// it for long (a rewrite, a scan, an index build): the timeouts rules are about these.
import type { AlterTableCmd, CreateStmt, Node } from "libpg-query";
import { addColumnRewrite, typeChangeRewrites } from "./columns";
import type { RuleContext } from "./model";
import {
  alterTable,
  columnOf,
  constraintOf,
  constraintsOf,
  dropNames,
  isConcurrent,
  isExisting,
  isExistingTable,
  isVacuumFull,
  quoted,
  tableElements,
  tableName,
  unqualified,
} from "./tree";

export interface LockDemand {
  /** What is locked, as the message names it. */
  target: string;
  /** The lock is held while the statement scans, rewrites or builds: as long as the table is big. */
  long: boolean;
}

/** ALTER TABLE forms whose lock (SHARE UPDATE EXCLUSIVE or weaker) lets reads and writes go on. */
const NON_BLOCKING = new Set([
  "AT_ValidateConstraint",
  "AT_SetStatistics",
  "AT_SetOptions",
  "AT_ResetOptions",
  "AT_ClusterOn",
  "AT_DropCluster",
  "AT_SetRelOptions",
  "AT_ResetRelOptions",
]);

function alterHoldsLong(cmd: AlterTableCmd, table: string, context: RuleContext): boolean {
  const column = columnOf(cmd);
  const constraint = constraintOf(cmd);
  switch (cmd.subtype) {
    case "AT_AddColumn":
      return (
        column !== undefined &&
        (addColumnRewrite(column, context) !== undefined ||
          constraintsOf(column).some(
            (c) =>
              (c.contype === "CONSTR_PRIMARY" ||
                c.contype === "CONSTR_UNIQUE" ||
                c.contype === "CONSTR_EXCLUSION") &&
              !c.indexname,
          ))
      );
    case "AT_AlterColumnType":
      return typeChangeRewrites(cmd, table, context) !== false;
    case "AT_SetNotNull":
      return !(
        context.run.validatedNotNullChecks.has(`${table}.${cmd.name ?? ""}`) &&
        context.options.postgresVersion >= 12
      );
    case "AT_AddConstraint":
      if (!constraint || constraint.skip_validation) return false;
      return constraint.contype !== "CONSTR_DEFAULT" && !constraint.indexname;
    case "AT_SetLogged":
    case "AT_SetUnLogged":
    case "AT_SetTableSpace":
    case "AT_SetAccessMethod":
      return true;
    case "AT_AttachPartition": {
      const partition = cmd.def && "PartitionCmd" in cmd.def ? cmd.def.PartitionCmd.name : undefined;
      return (
        partition !== undefined &&
        isExistingTable(partition, context.file) &&
        !context.run.validatedCheckTables.has(tableName(partition))
      );
    }
    default:
      return false;
  }
}

function alterDemand(node: Node, context: RuleContext): LockDemand | undefined {
  const alter = alterTable(node);
  if (!alter) return undefined;
  const blocking = alter.cmds.filter((cmd) => {
    if (NON_BLOCKING.has(cmd.subtype ?? "")) return false;
    if (cmd.subtype === "AT_DetachPartition" && isConcurrent(node)) return false;
    return true;
  });
  if (blocking.length === 0) return undefined;
  if (!isExistingTable(alter.relation, context.file)) {
    // A new table still locks the existing tables it references, and the one attached to it.
    const referenced = blocking
      .map((cmd) => constraintOf(cmd))
      .map((constraint) => (constraint?.contype === "CONSTR_FOREIGN" ? constraint.pktable : undefined))
      .find((table) => table !== undefined && isExistingTable(table, context.file));
    if (referenced) return { target: quoted(referenced), long: false };
    const attached = blocking
      .map((cmd) => (cmd.def && "PartitionCmd" in cmd.def ? cmd.def.PartitionCmd.name : undefined))
      .find((partition) => partition !== undefined && isExistingTable(partition, context.file));
    return attached
      ? {
          target: quoted(attached),
          long: blocking.some((cmd) => alterHoldsLong(cmd, tableName(alter.relation), context)),
        }
      : undefined;
  }
  const table = tableName(alter.relation);
  return {
    target: quoted(alter.relation),
    long: blocking.some((cmd) => alterHoldsLong(cmd, table, context)),
  };
}

/** The lock this statement takes that blocks the application's queries, if any. */
export function lockDemand(context: RuleContext): LockDemand | undefined {
  const { statement, file } = context;
  const node = statement.node;
  if ("AlterTableStmt" in node) return alterDemand(node, context);
  if ("IndexStmt" in node) {
    return !node.IndexStmt.concurrent && isExistingTable(node.IndexStmt.relation, file)
      ? { target: quoted(node.IndexStmt.relation), long: true }
      : undefined;
  }
  if ("DropStmt" in node) {
    const kind = node.DropStmt.removeType;
    const names = dropNames(node).map(unqualified);
    if (kind === "OBJECT_TABLE" || kind === "OBJECT_VIEW" || kind === "OBJECT_MATVIEW") {
      const existing = names.find((name) => isExisting(name, file));
      return existing ? { target: existing, long: false } : undefined;
    }
    if (kind === "OBJECT_INDEX" && !node.DropStmt.concurrent) {
      const existing = names.find((name) => !file.createdIndexes.has(name));
      return existing ? { target: `the table of index ${existing}`, long: false } : undefined;
    }
    return undefined;
  }
  if ("TruncateStmt" in node) {
    const first = node.TruncateStmt.relations?.[0];
    const relation = first && "RangeVar" in first ? first.RangeVar : undefined;
    return relation && isExistingTable(relation, file)
      ? { target: quoted(relation), long: false }
      : undefined;
  }
  if ("RenameStmt" in node || "AlterObjectSchemaStmt" in node || "CreateTrigStmt" in node) {
    const relation =
      "RenameStmt" in node
        ? node.RenameStmt.relation
        : "AlterObjectSchemaStmt" in node
          ? node.AlterObjectSchemaStmt.relation
          : node.CreateTrigStmt.relation;
    return relation && isExistingTable(relation, file)
      ? { target: quoted(relation), long: false }
      : undefined;
  }
  if ("ReindexStmt" in node) {
    if (isConcurrent(node)) return undefined;
    return {
      target: node.ReindexStmt.relation ? quoted(node.ReindexStmt.relation) : (node.ReindexStmt.name ?? "?"),
      long: true,
    };
  }
  if ("VacuumStmt" in node && isVacuumFull(node)) return { target: "the vacuumed tables", long: true };
  if ("ClusterStmt" in node) {
    const relation = node.ClusterStmt.relation;
    return !relation || isExistingTable(relation, file)
      ? { target: relation ? quoted(relation) : "the clustered tables", long: true }
      : undefined;
  }
  if ("LockStmt" in node && (node.LockStmt.mode ?? 8) >= 5) {
    const first = node.LockStmt.relations?.[0];
    const relation = first && "RangeVar" in first ? first.RangeVar : undefined;
    return relation && isExistingTable(relation, file)
      ? { target: quoted(relation), long: false }
      : undefined;
  }
  if ("RefreshMatViewStmt" in node && !isConcurrent(node)) {
    return isExistingTable(node.RefreshMatViewStmt.relation, file)
      ? { target: quoted(node.RefreshMatViewStmt.relation), long: true }
      : undefined;
  }
  if ("AlterDomainStmt" in node) {
    const stmt = node.AlterDomainStmt;
    const scans =
      (stmt.subtype === "C" &&
        !(stmt.def && "Constraint" in stmt.def && stmt.def.Constraint.skip_validation)) ||
      stmt.subtype === "V" ||
      stmt.subtype === "O";
    return scans ? { target: "every table using the domain", long: true } : undefined;
  }
  if ("CreateStmt" in node) return createDemand(node.CreateStmt, context);
  return undefined;
}

/** A new table locks the existing tables it references (and the parent it is a partition of). */
function createDemand(create: CreateStmt, context: RuleContext): LockDemand | undefined {
  const { columns, constraints } = tableElements(create.tableElts);
  const referenced = [...constraints, ...columns.flatMap((c) => constraintsOf(c))]
    .filter((c) => c.contype === "CONSTR_FOREIGN")
    .map((c) => c.pktable)
    .find((table) => table !== undefined && isExistingTable(table, context.file));
  if (referenced) return { target: quoted(referenced), long: false };
  if (create.partbound) {
    const parent = create.inhRelations?.[0];
    const relation = parent && "RangeVar" in parent ? parent.RangeVar : undefined;
    if (relation && isExistingTable(relation, context.file)) return { target: quoted(relation), long: false };
  }
  return undefined;
}
