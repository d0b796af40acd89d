// Reading libpg_query's parse tree: names, column definitions, constraints, types, and whether an
// expression is constant, stable or volatile.
import type {
  AlterTableCmd,
  AlterTableType,
  ColumnDef,
  Constraint,
  Node,
  RangeVar,
  TypeName,
} from "libpg-query";
import type { ColumnType, FileState } from "./model";

/** The statement kind: the parse tree's top-level key (`AlterTableStmt`, `IndexStmt`, ...). */
export function kindOf(node: Node): string {
  for (const key in node) return key;
  return "";
}

export function tableName(relation: RangeVar | undefined): string {
  return relation?.relname ?? "?";
}

/** `schema.name`, or the bare name, as the statement wrote it. */
export function quoted(relation: RangeVar | undefined): string {
  const name = tableName(relation);
  return relation?.schemaname ? `${relation.schemaname}.${name}` : name;
}

export function stringOf(node: Node | undefined): string | undefined {
  return node && "String" in node ? node.String.sval : undefined;
}

/** A dotted name from a list of String nodes (`["public", "t"]` -> "public.t"). */
export function dotted(names: readonly Node[] | undefined): string {
  return (names ?? []).map((n) => stringOf(n) ?? "?").join(".");
}

/** The last part of a dotted name, the object's own name. */
export function lastName(names: readonly Node[] | undefined): string {
  const list = names ?? [];
  return stringOf(list[list.length - 1]) ?? "?";
}

export interface AlterTable {
  relation: RangeVar | undefined;
  cmds: AlterTableCmd[];
  objtype: string | undefined;
  /** The commands' kinds, so a rule can tell at once whether the statement concerns it. */
  subtypes: Set<string>;
}

/**
 * What several rules derive from one parse-tree node is kept on the node itself, under a symbol no
 * parse tree has: cheaper than a WeakMap holding entries for every statement of a large run.
 */
const DERIVED = Symbol("derived");
type Derived = { [DERIVED]?: Record<string, unknown> };

export function derived<T>(node: object, key: string, compute: () => T): T {
  const holder = node as Derived;
  holder[DERIVED] ??= {};
  const cache = holder[DERIVED];
  if (!(key in cache)) cache[key] = compute();
  return cache[key] as T;
}

export function alterTable(node: Node): AlterTable | undefined {
  if (!("AlterTableStmt" in node)) return undefined;
  const stmt = node.AlterTableStmt;
  return derived(stmt, "alter", () => {
    const cmds: AlterTableCmd[] = [];
    const subtypes = new Set<string>();
    for (const cmd of stmt.cmds ?? []) {
      if (!("AlterTableCmd" in cmd)) continue;
      cmds.push(cmd.AlterTableCmd);
      subtypes.add(cmd.AlterTableCmd.subtype ?? "");
    }
    return { relation: stmt.relation, cmds, objtype: stmt.objtype, subtypes };
  });
}

/** ALTER TABLE on a table (not ALTER INDEX, VIEW, SEQUENCE, ...). */
export function alterTableOfTable(node: Node): AlterTable | undefined {
  const alter = alterTable(node);
  if (!alter || (alter.objtype !== undefined && alter.objtype !== "OBJECT_TABLE")) return undefined;
  return alter;
}

/** ALTER TABLE on a table with at least one command of these kinds (the rest of the rules skip it). */
export function alterTableWith(node: Node, ...subtypes: AlterTableType[]): AlterTable | undefined {
  const alter = alterTableOfTable(node);
  if (!alter) return undefined;
  for (const subtype of subtypes) if (alter.subtypes.has(subtype)) return alter;
  return undefined;
}

const NO_CONSTRAINTS: Constraint[] = [];

/** A column's inline constraints (unwrapped once per column: several rules read them). */
export function constraintsOf(column: ColumnDef): Constraint[] {
  const list = column.constraints;
  if (!list) return NO_CONSTRAINTS;
  return derived(column, "constraints", () => {
    const out: Constraint[] = [];
    for (const c of list) if ("Constraint" in c) out.push(c.Constraint);
    return out;
  });
}

export function constraintOf(cmd: AlterTableCmd): Constraint | undefined {
  return cmd.def && "Constraint" in cmd.def ? cmd.def.Constraint : undefined;
}

export function columnOf(cmd: AlterTableCmd): ColumnDef | undefined {
  return cmd.def && "ColumnDef" in cmd.def ? cmd.def.ColumnDef : undefined;
}

const NO_ELEMENTS = { columns: [], constraints: [] };

/** The columns a CREATE TABLE defines, and its table-level constraints (unwrapped once per statement). */
export function tableElements(elements: readonly Node[] | undefined): {
  columns: ColumnDef[];
  constraints: Constraint[];
} {
  if (!elements) return NO_ELEMENTS;
  return derived(elements, "elements", () => {
    const split: { columns: ColumnDef[]; constraints: Constraint[] } = { columns: [], constraints: [] };
    for (const element of elements) {
      if ("ColumnDef" in element) split.columns.push(element.ColumnDef);
      else if ("Constraint" in element) split.constraints.push(element.Constraint);
    }
    return split;
  });
}

/** Column names listed by a constraint's keys or foreign-key columns. */
export function constraintColumns(constraint: Constraint): string[] {
  const names: string[] = [];
  for (const key of [...(constraint.keys ?? []), ...(constraint.fk_attrs ?? [])]) {
    const name = stringOf(key);
    if (name) names.push(name);
  }
  return names;
}

/** `CHECK (col IS NOT NULL)` -> "col". */
export function notNullCheckColumn(constraint: Constraint): string | undefined {
  if (constraint.contype !== "CONSTR_CHECK") return undefined;
  const expr = constraint.raw_expr;
  if (!expr || !("NullTest" in expr)) return undefined;
  const test = expr.NullTest;
  if (test.nulltesttype !== "IS_NOT_NULL" || !test.arg || !("ColumnRef" in test.arg)) return undefined;
  const fields = test.arg.ColumnRef.fields ?? [];
  return stringOf(fields[fields.length - 1]);
}

export function isExisting(name: string, file: FileState): boolean {
  return !file.createdTables.has(name);
}

export function isExistingTable(relation: RangeVar | undefined, file: FileState): boolean {
  return isExisting(tableName(relation), file);
}

/** The names a DROP statement drops (`schema.name`). */
export function dropNames(node: Node): string[] {
  if (!("DropStmt" in node)) return [];
  return (node.DropStmt.objects ?? []).map((object) => {
    if ("List" in object) return dotted(object.List.items);
    if ("String" in object) return object.String.sval ?? "?";
    if ("TypeName" in object) return dotted(object.TypeName.names);
    if ("ObjectWithArgs" in object) return dotted(object.ObjectWithArgs.objname);
    return "?";
  });
}

/** The last part of a dotted name (`schema.table` -> `table`). */
export function unqualified(name: string): string {
  return name.slice(name.lastIndexOf(".") + 1);
}

function hasOption(params: readonly Node[] | undefined, name: string): boolean {
  return (params ?? []).some((p) => "DefElem" in p && p.DefElem.defname === name);
}

export function isVacuumFull(node: Node): boolean {
  return (
    "VacuumStmt" in node &&
    node.VacuumStmt.is_vacuumcmd === true &&
    hasOption(node.VacuumStmt.options, "full")
  );
}

export function isConcurrent(node: Node): boolean {
  if ("IndexStmt" in node) return node.IndexStmt.concurrent === true;
  if ("DropStmt" in node) return node.DropStmt.concurrent === true;
  if ("ReindexStmt" in node) return hasOption(node.ReindexStmt.params, "concurrently");
  if ("RefreshMatViewStmt" in node) return node.RefreshMatViewStmt.concurrent === true;
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
  // REFRESH MATERIALIZED VIEW CONCURRENTLY is allowed in a transaction; the others are not.
  if (isConcurrent(node) && !("RefreshMatViewStmt" in node)) return true;
  if ("VacuumStmt" in node && node.VacuumStmt.is_vacuumcmd === true) return true;
  if ("CreatedbStmt" in node || "DropdbStmt" in node) return true;
  if ("AlterSystemStmt" in node) return true;
  if ("CreateTableSpaceStmt" in node || "DropTableSpaceStmt" in node) return true;
  if ("ReindexStmt" in node) {
    const kind = node.ReindexStmt.kind;
    return (
      kind === "REINDEX_OBJECT_SCHEMA" ||
      kind === "REINDEX_OBJECT_DATABASE" ||
      kind === "REINDEX_OBJECT_SYSTEM"
    );
  }
  return false;
}

// ---- types ----------------------------------------------------------------------------------------

/** A TypeName as the rules compare it: its own name, integer modifiers, array or not. */
export function columnTypeOf(typeName: TypeName | undefined): ColumnType | undefined {
  if (!typeName?.names) return undefined;
  const mods: number[] = [];
  for (const mod of typeName.typmods ?? []) {
    if ("A_Const" in mod && mod.A_Const.ival !== undefined) mods.push(mod.A_Const.ival.ival ?? 0);
    else
      return { name: lastName(typeName.names).toLowerCase(), mods: [Number.NaN], array: isArray(typeName) };
  }
  return { name: lastName(typeName.names).toLowerCase(), mods, array: isArray(typeName) };
}

function isArray(typeName: TypeName): boolean {
  return (typeName.arrayBounds ?? []).length > 0;
}

/** Whether the type name is PostgreSQL's own (unqualified or in pg_catalog), so `int4` means int4. */
export function isBuiltinType(typeName: TypeName | undefined): boolean {
  const names = typeName?.names ?? [];
  return names.length === 1 || (names.length === 2 && stringOf(names[0]) === "pg_catalog");
}

export const SERIAL_TYPES = new Set(["serial", "serial4", "bigserial", "serial8", "smallserial", "serial2"]);
export const SMALL_INTEGER_TYPES = new Set(["int4", "int2", "serial", "serial4", "smallserial", "serial2"]);

export function typeLabel(type: ColumnType): string {
  const mods = type.mods.length > 0 ? `(${type.mods.join(",")})` : "";
  return `${type.name}${mods}${type.array ? "[]" : ""}`;
}

/**
 * Whether PostgreSQL changes `from` to `to` without rewriting the table: the new type is binary
 * compatible and at least as wide (varchar(n) to varchar(m >= n) or text, numeric(p, s) to
 * numeric(q >= p, s), varbit(n) to varbit(m >= n), cidr to inet).
 */
export function changesWithoutRewrite(from: ColumnType, to: ColumnType): boolean {
  if (from.array !== to.array) return false;
  const wider = (): boolean => {
    if (to.mods.length === 0) return true;
    const [f] = from.mods;
    const [t] = to.mods;
    return from.mods.length === 1 && f !== undefined && t !== undefined && t >= f;
  };
  if (
    from.name === to.name &&
    from.mods.length === to.mods.length &&
    from.mods.every((m, i) => m === to.mods[i])
  )
    return true;
  if (from.name === "varchar") return to.name === "text" || (to.name === "varchar" && wider());
  if (from.name === "text") return to.name === "varchar" && to.mods.length === 0;
  if (from.name === "varbit") return to.name === "varbit" && wider();
  if (from.name === "cidr") return to.name === "inet";
  if (from.name === "numeric" && to.name === "numeric") {
    if (to.mods.length === 0) return true;
    const [p, s = 0] = from.mods;
    const [q, t = 0] = to.mods;
    return p !== undefined && q !== undefined && q >= p && s === t;
  }
  return false;
}

// ---- expressions ----------------------------------------------------------------------------------

export type Volatility = "constant" | "stable" | "volatile" | "unknown";

/** Built-in functions that give a new value per row (a default with one rewrites the table). */
const VOLATILE_FUNCTIONS = new Set([
  "random",
  "random_normal",
  "gen_random_uuid",
  "uuid_generate_v1",
  "uuid_generate_v1mc",
  "uuid_generate_v4",
  "uuidv4",
  "uuidv7",
  "clock_timestamp",
  "timeofday",
  "nextval",
  "setval",
  "txid_current",
  "pg_current_xact_id",
  "gen_random_bytes",
  "gen_salt",
]);

/** Built-in functions that are stable or immutable: evaluated once for every existing row. */
const NON_VOLATILE_FUNCTIONS = new Set([
  "now",
  "statement_timestamp",
  "transaction_timestamp",
  "current_setting",
  "current_database",
  "current_schema",
  "version",
  "lower",
  "upper",
  "btrim",
  "ltrim",
  "rtrim",
  "concat",
  "concat_ws",
  "md5",
  "length",
  "replace",
  "to_json",
  "to_jsonb",
  "json_build_object",
  "jsonb_build_object",
  "json_build_array",
  "jsonb_build_array",
  "make_date",
  "make_time",
  "make_timestamp",
  "make_timestamptz",
  "make_interval",
  "date_trunc",
  "to_timestamp",
  "to_date",
  "array_fill",
]);

function maxVolatility(values: Volatility[]): Volatility {
  if (values.includes("volatile")) return "volatile";
  if (values.includes("unknown")) return "unknown";
  if (values.includes("stable")) return "stable";
  return "constant";
}

/** How an expression (a column default) behaves per row. */
export function volatilityOf(expr: Node | undefined): { volatility: Volatility; culprit?: string } {
  if (!expr) return { volatility: "constant" };
  if ("A_Const" in expr) return { volatility: "constant" };
  if ("TypeCast" in expr) return volatilityOf(expr.TypeCast.arg);
  if ("SQLValueFunction" in expr) return { volatility: "stable" };
  if ("FuncCall" in expr) {
    const name = lastName(expr.FuncCall.funcname).toLowerCase();
    if (VOLATILE_FUNCTIONS.has(name)) return { volatility: "volatile", culprit: `${name}()` };
    if (!NON_VOLATILE_FUNCTIONS.has(name)) return { volatility: "unknown", culprit: `${name}()` };
    return childrenVolatility(expr.FuncCall.args ?? []);
  }
  if ("A_Expr" in expr) {
    return childrenVolatility(
      [expr.A_Expr.lexpr, expr.A_Expr.rexpr].filter((n): n is Node => n !== undefined),
    );
  }
  if ("A_ArrayExpr" in expr) return childrenVolatility(expr.A_ArrayExpr.elements ?? []);
  if ("BoolExpr" in expr) return childrenVolatility(expr.BoolExpr.args ?? []);
  if ("CoalesceExpr" in expr) return childrenVolatility(expr.CoalesceExpr.args ?? []);
  if ("NullTest" in expr) return volatilityOf(expr.NullTest.arg);
  return { volatility: "unknown", culprit: "this expression" };
}

function childrenVolatility(children: readonly Node[]): { volatility: Volatility; culprit?: string } {
  const parts = children.map(volatilityOf);
  const volatility = maxVolatility(parts.map((p) => p.volatility));
  const culprit = parts.find((p) => p.volatility === volatility)?.culprit;
  return culprit ? { volatility, culprit } : { volatility };
}

export function isNullConstant(expr: Node | undefined): boolean {
  if (!expr) return false;
  if ("A_Const" in expr) return expr.A_Const.isnull === true;
  if ("TypeCast" in expr) return isNullConstant(expr.TypeCast.arg);
  return false;
}
