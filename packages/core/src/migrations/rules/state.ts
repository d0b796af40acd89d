// What the linter remembers between statements and files: tables created, timeouts set, the
// transaction the statement runs in, constraints validated, column types declared.
import type { Node, RenameStmt } from "libpg-query";
import type { ParsedStatement } from "../sql-parser";
import type { FileState, RunState } from "./model";
import {
  alterTable,
  columnOf,
  columnTypeOf,
  constraintOf,
  dotted,
  lastName,
  mustRunOutsideTransaction,
  notNullCheckColumn,
  tableElements,
  tableName,
} from "./tree";

export function newRunState(): RunState {
  return {
    validatedNotNullChecks: new Set(),
    notValidNotNullChecks: new Map(),
    notValidChecks: new Map(),
    validatedCheckTables: new Set(),
    tablesNewInChange: new Set(),
    indexesNewInChange: new Set(),
    typesNewInChange: new Set(),
    columnTypes: new Map(),
    constrainedDomains: new Set(),
  };
}

export interface FileSetup {
  statements: readonly ParsedStatement[];
  /** The migration tool runs the whole file as one transaction. */
  wholeFileTransaction: boolean;
  /** That transaction is PostgreSQL's implicit one around a multi-statement query. */
  implicitTransaction: boolean;
  /** The file is run by shipline's sql runner (one transaction per file unless it cannot be). */
  sqlRunner: boolean;
  startsInTransaction: boolean;
  newInChange: boolean;
  mayHaveLongNames: boolean;
}

const isTransactionControl = (node: Node): boolean => "TransactionStmt" in node;

export function newFileState(setup: FileSetup, run: RunState): FileState {
  const nodes = setup.statements.map((s) => s.node);
  // The sql runner gives a file one transaction unless it has its own BEGIN/COMMIT or a statement
  // PostgreSQL refuses in a transaction; the layouts' tools always do.
  const sqlRunnerWraps =
    setup.sqlRunner && !nodes.some(mustRunOutsideTransaction) && !nodes.some(isTransactionControl);
  const toolTransaction = setup.wholeFileTransaction || sqlRunnerWraps;
  return {
    createdTables: new Set(setup.newInChange ? run.tablesNewInChange : []),
    createdIndexes: new Set(setup.newInChange ? run.indexesNewInChange : []),
    createdTypes: new Set(setup.newInChange ? run.typesNewInChange : []),
    lockTimeoutSet: false,
    statementTimeoutSet: false,
    lockTimeoutReported: false,
    statementTimeoutReported: false,
    inTransactionBlock: setup.startsInTransaction,
    transactionBlockLine: undefined,
    toolTransaction,
    implicitTransaction: setup.wholeFileTransaction && setup.implicitTransaction,
    wholeFileTransaction: toolTransaction && nodes.length > 1,
    changeStatements: nodes.filter((n) => !("VariableSetStmt" in n) && !isTransactionControl(n)).length,
    enumValuesAdded: new Map(),
    notValidInTransaction: new Set(),
    constraintsDroppedIfExists: new Set(),
    startsInTransaction: setup.startsInTransaction,
    mayHaveLongNames: setup.mayHaveLongNames,
  };
}

/** Whether the statement shares a transaction with the statements around it. */
export function inTransaction(file: FileState): boolean {
  return file.inTransactionBlock || file.wholeFileTransaction;
}

/** Whether `SET name = value` (or `SET LOCAL`) turns the setting on: a value that is not zero. */
function setsNonZero(node: Node, name: string): boolean | undefined {
  if (!("VariableSetStmt" in node) || node.VariableSetStmt.name !== name) return undefined;
  const set = node.VariableSetStmt;
  if (set.kind !== "VAR_SET_VALUE") return false;
  const arg = set.args?.[0];
  let value: string | number | undefined;
  if (arg && "A_Const" in arg) value = arg.A_Const.sval?.sval ?? arg.A_Const.ival?.ival ?? 0;
  return value !== undefined && !/^\s*0\D*$/.test(String(value));
}

function endTransaction(file: FileState): void {
  file.enumValuesAdded.clear();
  file.notValidInTransaction.clear();
}

/** Updates the file and run state after a statement has been checked. */
export function advanceState(statement: ParsedStatement, file: FileState, run: RunState): void {
  const node = statement.node;
  const lock = setsNonZero(node, "lock_timeout");
  if (lock !== undefined) file.lockTimeoutSet = lock;
  const timeout = setsNonZero(node, "statement_timeout");
  if (timeout !== undefined) file.statementTimeoutSet = timeout;

  if ("TransactionStmt" in node) {
    const kind = node.TransactionStmt.kind;
    if (kind === "TRANS_STMT_BEGIN" || kind === "TRANS_STMT_START") {
      if (!file.inTransactionBlock) file.transactionBlockLine = statement.line;
      file.inTransactionBlock = true;
    }
    if (kind === "TRANS_STMT_COMMIT" || kind === "TRANS_STMT_ROLLBACK") {
      file.inTransactionBlock = false;
      file.transactionBlockLine = undefined;
      endTransaction(file);
    }
  }
  if ("AlterEnumStmt" in node && node.AlterEnumStmt.newVal !== undefined && !node.AlterEnumStmt.oldVal) {
    if (inTransaction(file))
      file.enumValuesAdded.set(node.AlterEnumStmt.newVal, dotted(node.AlterEnumStmt.typeName));
  }
  recordCreated(node, file, run);
  recordAlterTable(node, file, run);
  if ("RenameStmt" in node) recordRename(node.RenameStmt, file, run);
  // Outside any transaction every statement commits on its own.
  if (!inTransaction(file)) endTransaction(file);
}

function recordCreated(node: Node, file: FileState, run: RunState): void {
  if ("CreateStmt" in node) {
    const table = tableName(node.CreateStmt.relation);
    file.createdTables.add(table);
    for (const column of tableElements(node.CreateStmt.tableElts).columns) {
      const type = columnTypeOf(column.typeName);
      if (type && column.colname) run.columnTypes.set(`${table}.${column.colname}`, type);
    }
  }
  if ("CreateTableAsStmt" in node) file.createdTables.add(tableName(node.CreateTableAsStmt.into?.rel));
  if ("IndexStmt" in node && node.IndexStmt.idxname) file.createdIndexes.add(node.IndexStmt.idxname);
  if ("CreateEnumStmt" in node) file.createdTypes.add(lastName(node.CreateEnumStmt.typeName));
  if ("CompositeTypeStmt" in node) file.createdTypes.add(tableName(node.CompositeTypeStmt.typevar));
  if ("CreateDomainStmt" in node) {
    const name = lastName(node.CreateDomainStmt.domainname);
    file.createdTypes.add(name);
    const constrained = (node.CreateDomainStmt.constraints ?? []).some(
      (c) =>
        "Constraint" in c &&
        (c.Constraint.contype === "CONSTR_CHECK" || c.Constraint.contype === "CONSTR_NOTNULL"),
    );
    if (constrained) run.constrainedDomains.add(name);
  }
}

function recordAlterTable(node: Node, file: FileState, run: RunState): void {
  const alter = alterTable(node);
  if (!alter) return;
  const table = tableName(alter.relation);
  for (const cmd of alter.cmds) {
    const column = columnOf(cmd);
    if (cmd.subtype === "AT_AddColumn" && column?.colname) {
      const type = columnTypeOf(column.typeName);
      if (type) run.columnTypes.set(`${table}.${column.colname}`, type);
    }
    if (cmd.subtype === "AT_AlterColumnType" && cmd.name) {
      const type = columnTypeOf(column?.typeName);
      if (type) run.columnTypes.set(`${table}.${cmd.name}`, type);
    }
    if (cmd.subtype === "AT_DropColumn" && cmd.name) run.columnTypes.delete(`${table}.${cmd.name}`);
    const constraint = constraintOf(cmd);
    if (cmd.subtype === "AT_AddConstraint" && constraint?.skip_validation) {
      file.notValidInTransaction.add(`${table}.${constraint.conname ?? ""}`);
    }
    if (cmd.subtype === "AT_DropConstraint" && cmd.missing_ok && cmd.name) {
      file.constraintsDroppedIfExists.add(`${table}.${cmd.name}`);
    }
    if (cmd.subtype === "AT_AddConstraint" && constraint?.contype === "CONSTR_CHECK") {
      const key = `${table}.${constraint.conname ?? ""}`;
      const column = notNullCheckColumn(constraint);
      if (constraint.skip_validation) {
        run.notValidChecks.set(key, table);
        if (column) run.notValidNotNullChecks.set(key, `${table}.${column}`);
      } else {
        run.validatedCheckTables.add(table);
        if (column) run.validatedNotNullChecks.add(`${table}.${column}`);
      }
    }
    if (cmd.subtype === "AT_ValidateConstraint") {
      const key = `${table}.${cmd.name ?? ""}`;
      const pending = run.notValidNotNullChecks.get(key);
      if (pending) run.validatedNotNullChecks.add(pending);
      if (run.notValidChecks.has(key)) run.validatedCheckTables.add(table);
    }
  }
}

function recordRename(rename: RenameStmt, file: FileState, run: RunState): void {
  const table = tableName(rename.relation);
  if (rename.renameType === "OBJECT_TABLE" && rename.newname) {
    if (file.createdTables.delete(table)) file.createdTables.add(rename.newname);
    for (const [key, type] of [...run.columnTypes]) {
      if (!key.startsWith(`${table}.`)) continue;
      run.columnTypes.delete(key);
      run.columnTypes.set(`${rename.newname}.${key.slice(table.length + 1)}`, type);
    }
  }
  if (rename.renameType === "OBJECT_COLUMN" && rename.subname && rename.newname) {
    const type = run.columnTypes.get(`${table}.${rename.subname}`);
    if (type) {
      run.columnTypes.delete(`${table}.${rename.subname}`);
      run.columnTypes.set(`${table}.${rename.newname}`, type);
    }
  }
}

/** After a file: what it created counts as new for the files after it in the same change. */
export function finishFile(file: FileState, run: RunState, newInChange: boolean): void {
  if (!newInChange) return;
  for (const table of file.createdTables) run.tablesNewInChange.add(table);
  for (const index of file.createdIndexes) run.indexesNewInChange.add(index);
  for (const type of file.createdTypes) run.typesNewInChange.add(type);
}
