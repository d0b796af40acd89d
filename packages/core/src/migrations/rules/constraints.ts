// Rules about constraints on existing tables: validation under a lock, unique indexes built under
// ACCESS EXCLUSIVE.
import type { Constraint } from "libpg-query";
import { serialKeyColumns } from "./columns";
import type { Rule, RuleHit } from "./model";
import { NO_HITS } from "./model";
import { inTransaction } from "./state";
import {
  alterTableWith,
  columnOf,
  constraintColumns,
  constraintOf,
  constraintsOf,
  isExistingTable,
  quoted,
  tableName,
} from "./tree";

const addingConstraintWithoutNotValid: Rule = {
  id: "adding-constraint-without-not-valid",
  defaultSeverity: "error",
  title: "Adding a foreign key or check constraint without NOT VALID",
  lock: "SHARE ROW EXCLUSIVE (foreign key, on both tables) or ACCESS EXCLUSIVE (check), for a full scan",
  explanation:
    "Adding a FOREIGN KEY or CHECK constraint checks every existing row while holding a lock that blocks writes (a foreign key locks the referenced table too). Validating it in the same transaction that added it NOT VALID keeps that lock for the whole scan, which gains nothing.",
  safeAlternative:
    "Add the constraint with NOT VALID (only new rows are checked), then `ALTER TABLE ... VALIDATE CONSTRAINT` in a later transaction (another migration file, or after COMMIT), which does not block writes.",
  destructive: false,
  squawk: [
    { rule: "constraint-missing-not-valid", relation: "same" },
    { rule: "adding-foreign-key-constraint", relation: "same" },
  ],
  nodes: ["AlterTableStmt"],
  check({ statement, file }) {
    const alter = alterTableWith(statement.node, "AT_AddConstraint", "AT_AddColumn", "AT_ValidateConstraint");
    if (!alter || !isExistingTable(alter.relation, file)) return NO_HITS;
    const table = tableName(alter.relation);
    const hits: RuleHit[] = [];
    for (const cmd of alter.cmds) {
      const constraint = constraintOf(cmd);
      if (cmd.subtype === "AT_AddConstraint" && constraint) {
        if (constraint.contype !== "CONSTR_FOREIGN" && constraint.contype !== "CONSTR_CHECK") continue;
        if (constraint.skip_validation) continue;
        const kind = constraint.contype === "CONSTR_FOREIGN" ? "Foreign key" : "Check constraint";
        hits.push({
          message: `${kind} ${constraint.conname ?? "(unnamed)"} on ${quoted(alter.relation)} is added without NOT VALID, so every row is checked under a lock.`,
          location: constraint.location,
        });
      }
      const column = columnOf(cmd);
      if (cmd.subtype === "AT_AddColumn" && column) {
        const reference = constraintsOf(column).find((c) => c.contype === "CONSTR_FOREIGN");
        if (reference) {
          hits.push({
            message: `Column ${column.colname ?? "?"} is added to ${quoted(alter.relation)} with an inline REFERENCES, validated at once under a lock on both tables.`,
            location: reference.location,
          });
        }
      }
      if (cmd.subtype === "AT_ValidateConstraint" && inTransaction(file)) {
        if (file.notValidInTransaction.has(`${table}.${cmd.name ?? ""}`)) {
          hits.push({
            message: `Constraint ${cmd.name ?? "?"} is validated in the same transaction that added it NOT VALID: the lock taken by the ADD is held through the whole scan.`,
          });
        }
      }
    }
    return hits;
  },
};

const buildsIndex = (c: Constraint): boolean =>
  (c.contype === "CONSTR_UNIQUE" || c.contype === "CONSTR_PRIMARY" || c.contype === "CONSTR_EXCLUSION") &&
  !c.indexname;

const addingUniqueConstraintWithoutIndex: Rule = {
  id: "adding-unique-constraint-without-index",
  defaultSeverity: "error",
  title: "Adding a unique, primary key or exclusion constraint without an existing index",
  lock: "ACCESS EXCLUSIVE on the table, for the index build",
  explanation:
    "ADD CONSTRAINT ... UNIQUE, PRIMARY KEY or EXCLUDE builds its index while holding an ACCESS EXCLUSIVE lock, blocking reads and writes until the index is built.",
  safeAlternative:
    "CREATE UNIQUE INDEX CONCURRENTLY first, then `ADD CONSTRAINT name UNIQUE USING INDEX index_name` (or PRIMARY KEY USING INDEX), which is instant.",
  destructive: false,
  squawk: [
    { rule: "disallowed-unique-constraint", relation: "same" },
    {
      rule: "adding-serial-primary-key-field",
      relation: "same",
      note: "squawk's name notwithstanding, it reports ADD PRIMARY KEY without USING INDEX; a new serial key column is adding-serial-primary-key",
    },
  ],
  nodes: ["AlterTableStmt"],
  check({ statement, file }) {
    const alter = alterTableWith(statement.node, "AT_AddConstraint", "AT_AddColumn");
    if (!alter || !isExistingTable(alter.relation, file)) return NO_HITS;
    const claimed = serialKeyColumns(alter.cmds);
    const hits: RuleHit[] = [];
    for (const cmd of alter.cmds) {
      const constraint = constraintOf(cmd);
      const column = columnOf(cmd);
      if (cmd.subtype === "AT_AddConstraint" && constraint && buildsIndex(constraint)) {
        if (constraintColumns(constraint).some((name) => claimed.has(name))) continue;
        hits.push({
          message: `Constraint ${constraint.conname ?? "(unnamed)"} on ${quoted(alter.relation)} builds its index under an ACCESS EXCLUSIVE lock.`,
          location: constraint.location,
        });
      } else if (cmd.subtype === "AT_AddColumn" && column && !claimed.has(column.colname ?? "")) {
        const inline = constraintsOf(column).find(buildsIndex);
        if (inline) {
          hits.push({
            message: `Column ${column.colname ?? "?"} is added to ${quoted(alter.relation)} with an inline ${inline.contype === "CONSTR_PRIMARY" ? "PRIMARY KEY" : "UNIQUE"} constraint, built under an ACCESS EXCLUSIVE lock.`,
            location: inline.location,
          });
        }
      }
    }
    return hits;
  },
};

export const CONSTRAINT_RULES: readonly Rule[] = [
  addingConstraintWithoutNotValid,
  addingUniqueConstraintWithoutIndex,
];
