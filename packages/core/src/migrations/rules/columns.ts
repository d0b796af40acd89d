// Rules about adding and changing columns: defaults that rewrite the table, NOT NULL, serial keys,
// type changes.
import type { AlterTableCmd, ColumnDef, Constraint } from "libpg-query";
import type { Rule, RuleContext, RuleHit } from "./model";
import { NO_HITS } from "./model";
import {
  alterTableWith,
  changesWithoutRewrite,
  columnOf,
  columnTypeOf,
  constraintColumns,
  constraintOf,
  constraintsOf,
  derived,
  isBuiltinType,
  isExistingTable,
  isNullConstant,
  lastName,
  quoted,
  SERIAL_TYPES,
  tableName,
  typeLabel,
  volatilityOf,
} from "./tree";

function defaultOf(column: ColumnDef): ColumnDef["raw_default"] {
  if (column.raw_default) return column.raw_default;
  return constraintsOf(column).find((c) => c.contype === "CONSTR_DEFAULT")?.raw_expr;
}

function isSerial(column: ColumnDef): boolean {
  return isBuiltinType(column.typeName) && SERIAL_TYPES.has(lastName(column.typeName?.names).toLowerCase());
}

function isIdentity(column: ColumnDef): boolean {
  return Boolean(column.identity) || constraintsOf(column).some((c) => c.contype === "CONSTR_IDENTITY");
}

const isKeyConstraint = (c: Constraint): boolean =>
  c.contype === "CONSTR_PRIMARY" || c.contype === "CONSTR_UNIQUE";

/**
 * Serial or identity columns an ALTER TABLE adds as a primary key or unique key (inline, or by an
 * ADD PRIMARY KEY / UNIQUE of the same statement): adding-serial-primary-key reports them, the
 * default and unique-index rules leave them to it.
 */
export function serialKeyColumns(cmds: readonly AlterTableCmd[]): Map<string, ColumnDef> {
  return derived(cmds, "serialKeys", () => findSerialKeyColumns(cmds));
}

function findSerialKeyColumns(cmds: readonly AlterTableCmd[]): Map<string, ColumnDef> {
  const generated = new Map<string, ColumnDef>();
  for (const cmd of cmds) {
    const column = columnOf(cmd);
    if (cmd.subtype === "AT_AddColumn" && column?.colname && (isSerial(column) || isIdentity(column))) {
      generated.set(column.colname, column);
    }
  }
  const keyed = new Map<string, ColumnDef>();
  for (const [name, column] of generated) {
    if (constraintsOf(column).some(isKeyConstraint)) keyed.set(name, column);
  }
  for (const cmd of cmds) {
    const constraint = constraintOf(cmd);
    if (
      cmd.subtype !== "AT_AddConstraint" ||
      !constraint ||
      !isKeyConstraint(constraint) ||
      constraint.indexname
    )
      continue;
    for (const name of constraintColumns(constraint)) {
      const column = generated.get(name);
      if (column) keyed.set(name, column);
    }
  }
  return keyed;
}

/** Why adding this column to an existing table rewrites every row, or undefined when it does not. */
export function addColumnRewrite(column: ColumnDef, context: RuleContext): string | undefined {
  const version = context.options.postgresVersion;
  if (isIdentity(column)) return "an identity column takes a value from its sequence for every existing row";
  if (isSerial(column)) return "a serial column takes a value from its sequence for every existing row";
  const generated = constraintsOf(column).find((c) => c.contype === "CONSTR_GENERATED");
  if (generated && (generated.generated_kind !== "v" || version < 18)) {
    return "a stored generated column is computed and written for every existing row";
  }
  const fallback = defaultOf(column);
  if (fallback && !isNullConstant(fallback)) {
    if (version < 11)
      return `before PostgreSQL 11 (postgres-version is ${version}) a default is written into every existing row`;
    const { volatility, culprit } = volatilityOf(fallback);
    if (volatility === "volatile")
      return `the default calls ${culprit}, which is volatile: it is evaluated and written for every row`;
    if (volatility === "unknown") {
      return `the default calls ${culprit}, which shipline cannot tell is not volatile; if it is, every row is rewritten`;
    }
  }
  const typeName = lastName(column.typeName?.names);
  if (context.run.constrainedDomains.has(typeName)) {
    return `its type ${typeName} is a domain with constraints, which PostgreSQL checks by rewriting every row`;
  }
  return undefined;
}

/** Whether changing the column's type rewrites the table; unknown when its old type is not in the migrations. */
export function typeChangeRewrites(
  cmd: AlterTableCmd,
  table: string,
  context: RuleContext,
): boolean | undefined {
  const column = columnOf(cmd);
  const to = columnTypeOf(column?.typeName);
  const from = context.run.columnTypes.get(`${table}.${cmd.name ?? ""}`);
  if (column?.raw_default || column?.collClause) return true;
  if (!from || !to) return undefined;
  return !changesWithoutRewrite(from, to);
}

function addedColumns(context: RuleContext): { cmd: AlterTableCmd; column: ColumnDef; table: string }[] {
  const alter = alterTableWith(context.statement.node, "AT_AddColumn");
  if (!alter || !isExistingTable(alter.relation, context.file)) return [];
  return derived(alter, "added", () => {
    const out: { cmd: AlterTableCmd; column: ColumnDef; table: string }[] = [];
    for (const cmd of alter.cmds) {
      const column = columnOf(cmd);
      if (cmd.subtype === "AT_AddColumn" && column) out.push({ cmd, column, table: quoted(alter.relation) });
    }
    return out;
  });
}

const addingNotNullColumnWithoutDefault: Rule = {
  id: "adding-not-null-column-without-default",
  defaultSeverity: "error",
  title: "Adding a NOT NULL column without a default",
  lock: "ACCESS EXCLUSIVE on the table",
  explanation:
    "ADD COLUMN ... NOT NULL without a DEFAULT fails on any table that has rows, and the code still running expects inserts to work without the column.",
  safeAlternative:
    "Add the column with a constant DEFAULT (PostgreSQL 11+ stores it without rewriting the table), or add it nullable, backfill it in batches, then enforce NOT NULL with a validated CHECK constraint.",
  destructive: false,
  squawk: [{ rule: "adding-required-field", relation: "same" }],
  nodes: ["AlterTableStmt"],
  check(context) {
    const hits: RuleHit[] = [];
    for (const { column, table } of addedColumns(context)) {
      const constraints = constraintsOf(column);
      const notNull = column.is_not_null || constraints.some((c) => c.contype === "CONSTR_NOTNULL");
      const filled =
        defaultOf(column) !== undefined ||
        isSerial(column) ||
        constraints.some((c) => ["CONSTR_IDENTITY", "CONSTR_GENERATED"].includes(c.contype ?? ""));
      if (notNull && !filled) {
        hits.push({
          message: `Column ${column.colname ?? "?"} is added to ${table} as NOT NULL without a DEFAULT.`,
          location: column.location,
        });
      }
    }
    return hits;
  },
};

const addingColumnWithVolatileDefault: Rule = {
  id: "adding-column-with-volatile-default",
  defaultSeverity: "error",
  title: "Adding a column that rewrites the table",
  lock: "ACCESS EXCLUSIVE on the table, for the whole rewrite",
  explanation:
    "A column whose value must be computed per row (a volatile default such as gen_random_uuid() or clock_timestamp(), an identity or serial column, a stored generated column, a domain with constraints) makes PostgreSQL rewrite the table and its indexes while holding an ACCESS EXCLUSIVE lock: no reads or writes until it is done.",
  safeAlternative:
    "Add the column without the default (or with a constant one), then `ALTER COLUMN ... SET DEFAULT` for new rows, and backfill the existing rows in batches.",
  versions:
    "Before PostgreSQL 11 any non-NULL default rewrites the table; from 11 a constant or stable default (`DEFAULT 0`, `DEFAULT now()`) is stored once. Virtual generated columns (18) are not written.",
  destructive: false,
  squawk: [
    { rule: "adding-field-with-default", relation: "same", note: "also follows the PostgreSQL version" },
  ],
  nodes: ["AlterTableStmt"],
  check(context) {
    const alter = alterTableWith(context.statement.node, "AT_AddColumn");
    if (!alter) return NO_HITS;
    const claimed = serialKeyColumns(alter.cmds);
    const hits: RuleHit[] = [];
    for (const { column, table } of addedColumns(context)) {
      if (claimed.has(column.colname ?? "")) continue;
      const reason = addColumnRewrite(column, context);
      if (reason) {
        hits.push({
          message: `Adding ${column.colname ?? "?"} to ${table} rewrites the table: ${reason}.`,
          location: column.location,
        });
      }
    }
    return hits;
  },
};

const addingSerialPrimaryKey: Rule = {
  id: "adding-serial-primary-key",
  defaultSeverity: "error",
  title: "Adding a serial or identity primary key to an existing table",
  lock: "ACCESS EXCLUSIVE on the table, for the rewrite and the index build",
  explanation:
    "A new serial or identity key column gets a value from its sequence for every existing row, so PostgreSQL rewrites the whole table and then builds the unique index, all under an ACCESS EXCLUSIVE lock.",
  safeAlternative:
    "Add a nullable bigint column, give it a sequence default (`SET DEFAULT nextval(...)`) for new rows, backfill existing rows in batches, `CREATE UNIQUE INDEX CONCURRENTLY`, then `ADD CONSTRAINT ... PRIMARY KEY USING INDEX`.",
  destructive: false,
  nodes: ["AlterTableStmt"],
  check(context) {
    const alter = alterTableWith(context.statement.node, "AT_AddColumn");
    if (!alter || !isExistingTable(alter.relation, context.file)) return NO_HITS;
    return [...serialKeyColumns(alter.cmds).values()].map((column) => ({
      message: `Key column ${column.colname ?? "?"} is added to ${quoted(alter.relation)} as ${isIdentity(column) ? "an identity" : "a serial"} column: every row is rewritten and the index built under an ACCESS EXCLUSIVE lock.`,
      location: column.location,
    }));
  },
};

const settingNotNull: Rule = {
  id: "setting-not-null",
  defaultSeverity: "error",
  title: "SET NOT NULL on an existing column",
  lock: "ACCESS EXCLUSIVE on the table, for a full scan",
  explanation:
    "ALTER COLUMN ... SET NOT NULL (or ADD CONSTRAINT ... NOT NULL) scans the whole table to check every row while holding an ACCESS EXCLUSIVE lock, which blocks all reads and writes for the length of the scan.",
  safeAlternative:
    "Add `CHECK (column IS NOT NULL) NOT VALID`, run `VALIDATE CONSTRAINT` (which allows reads and writes), then SET NOT NULL: PostgreSQL 12+ uses the valid check and skips the scan. The check can be dropped afterwards. On PostgreSQL 18, `ADD CONSTRAINT ... NOT NULL column NOT VALID` then `VALIDATE CONSTRAINT` does it in two steps.",
  versions:
    "From PostgreSQL 12 a validated CHECK (column IS NOT NULL) lets SET NOT NULL skip the scan (recognised, also across files); before 12 it always scans.",
  destructive: false,
  squawk: [
    {
      rule: "adding-not-nullable-field",
      relation: "same",
      note: "a domain's SET NOT NULL is adding-domain-constraint",
    },
  ],
  nodes: ["AlterTableStmt"],
  check(context) {
    const alter = alterTableWith(context.statement.node, "AT_SetNotNull", "AT_AddConstraint");
    if (!alter || !isExistingTable(alter.relation, context.file)) return NO_HITS;
    const table = tableName(alter.relation);
    const version = context.options.postgresVersion;
    const hits: RuleHit[] = [];
    for (const cmd of alter.cmds) {
      const constraint = constraintOf(cmd);
      let column: string | undefined;
      let location: number | undefined;
      if (cmd.subtype === "AT_SetNotNull") column = cmd.name;
      else if (
        cmd.subtype === "AT_AddConstraint" &&
        constraint?.contype === "CONSTR_NOTNULL" &&
        !constraint.skip_validation
      ) {
        column = constraintColumns(constraint)[0];
        location = constraint.location;
      } else continue;
      const checked = context.run.validatedNotNullChecks.has(`${table}.${column ?? ""}`);
      if (checked && version >= 12) continue;
      hits.push({
        message: checked
          ? `SET NOT NULL on ${quoted(alter.relation)}.${column ?? "?"} scans the table although a valid CHECK exists: PostgreSQL ${version} only uses it from version 12.`
          : `SET NOT NULL on ${quoted(alter.relation)}.${column ?? "?"} scans the table under an ACCESS EXCLUSIVE lock.`,
        location,
      });
    }
    return hits;
  },
};

const droppingNotNull: Rule = {
  id: "dropping-not-null",
  defaultSeverity: "warning",
  title: "DROP NOT NULL on an existing column",
  lock: "ACCESS EXCLUSIVE on the table (brief)",
  explanation:
    "Once the column accepts NULL, the new code can write rows that the version still running, or the one a rollback returns to, does not expect: it reads NULL where it relied on a value.",
  safeAlternative: "Make every reader handle NULL in one release, then drop the constraint in a later one.",
  destructive: false,
  squawk: [{ rule: "ban-drop-not-null", relation: "same" }],
  nodes: ["AlterTableStmt"],
  check(context) {
    const alter = alterTableWith(context.statement.node, "AT_DropNotNull");
    if (!alter || !isExistingTable(alter.relation, context.file)) return NO_HITS;
    return alter.cmds
      .filter((cmd) => cmd.subtype === "AT_DropNotNull")
      .map((cmd) => ({ message: `${quoted(alter.relation)}.${cmd.name ?? "?"} stops being NOT NULL.` }));
  },
};

const changingColumnType: Rule = {
  id: "changing-column-type",
  defaultSeverity: "error",
  title: "Changing a column's type",
  lock: "ACCESS EXCLUSIVE on the table, for the whole rewrite",
  explanation:
    "ALTER COLUMN ... TYPE rewrites the whole table and its indexes under an ACCESS EXCLUSIVE lock, and the code still running may not handle the new type. Widening varchar(n) to varchar(m > n) or text, and numeric(p, s) to numeric(q > p, s), are done without a rewrite and not reported when the migrations show the old type.",
  safeAlternative:
    "Add a column of the new type, write to both, backfill in batches, switch reads, then drop the old column in a later release.",
  destructive: false,
  squawk: [
    {
      rule: "changing-column-type",
      relation: "narrower",
      note: "no finding for the conversions PostgreSQL makes without a rewrite, when the old type is known",
    },
  ],
  nodes: ["AlterTableStmt"],
  check(context) {
    const alter = alterTableWith(context.statement.node, "AT_AlterColumnType");
    if (!alter || !isExistingTable(alter.relation, context.file)) return NO_HITS;
    const table = tableName(alter.relation);
    const hits: RuleHit[] = [];
    for (const cmd of alter.cmds) {
      if (cmd.subtype !== "AT_AlterColumnType") continue;
      const rewrites = typeChangeRewrites(cmd, table, context);
      if (rewrites === false) continue;
      const to = columnTypeOf(columnOf(cmd)?.typeName);
      const from = context.run.columnTypes.get(`${table}.${cmd.name ?? ""}`);
      const target = to ? typeLabel(to) : "a new type";
      hits.push({
        message:
          from && rewrites
            ? `The type of ${quoted(alter.relation)}.${cmd.name ?? "?"} changes from ${typeLabel(from)} to ${target}, which rewrites the table.`
            : `The type of ${quoted(alter.relation)}.${cmd.name ?? "?"} changes to ${target}; its old type is not in the migrations seen, so this may rewrite the table.`,
        location: columnOf(cmd)?.location,
      });
    }
    return hits;
  },
};

export const COLUMN_RULES: readonly Rule[] = [
  addingNotNullColumnWithoutDefault,
  addingColumnWithVolatileDefault,
  addingSerialPrimaryKey,
  settingNotNull,
  droppingNotNull,
  changingColumnType,
];
