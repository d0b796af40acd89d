// Rules about dropping things: columns, tables, schemas, databases (destructive: the data is gone)
// and the other objects the running code may use.
import type { Rule, RuleHit } from "./model";
import { NO_HITS } from "./model";
import { alterTableWith, dropNames, isExistingTable, quoted, unqualified } from "./tree";

const droppingColumn: Rule = {
  id: "dropping-column",
  defaultSeverity: "error",
  title: "Dropping a column",
  lock: "ACCESS EXCLUSIVE on the table (brief)",
  explanation:
    "Dropping a column loses its data, and the version of the code still running (or rolled back to) may read or write it.",
  safeAlternative:
    "Stop using the column in one release; drop it in a later release once no running code refers to it, after a backup.",
  destructive: true,
  squawk: [{ rule: "ban-drop-column", relation: "same" }],
  nodes: ["AlterTableStmt"],
  check({ statement, file }) {
    const alter = alterTableWith(statement.node, "AT_DropColumn");
    if (!alter || !isExistingTable(alter.relation, file)) return NO_HITS;
    return alter.cmds
      .filter((cmd) => cmd.subtype === "AT_DropColumn")
      .map((cmd) => ({ message: `Column ${quoted(alter.relation)}.${cmd.name ?? "?"} is dropped.` }));
  },
};

const droppingTable: Rule = {
  id: "dropping-table",
  defaultSeverity: "error",
  title: "Dropping or emptying a table",
  lock: "ACCESS EXCLUSIVE on the table",
  explanation:
    "DROP TABLE, DROP SCHEMA and TRUNCATE lose data, and code still running (or rolled back to) may use it. TRUNCATE ... CASCADE also empties every table that references it.",
  safeAlternative:
    "Stop using the table in one release; drop it in a later release once no running code refers to it, after a backup.",
  destructive: true,
  squawk: [
    { rule: "ban-drop-table", relation: "same" },
    { rule: "ban-drop-schema", relation: "same" },
    { rule: "ban-truncate-cascade", relation: "stricter", note: "every TRUNCATE, not only CASCADE" },
  ],
  nodes: ["DropStmt", "TruncateStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if ("DropStmt" in node) {
      const kind = node.DropStmt.removeType;
      if (kind === "OBJECT_TABLE") {
        const names = dropNames(node).filter((name) => !file.createdTables.has(unqualified(name)));
        return names.length > 0 ? [{ message: `Table ${names.join(", ")} is dropped.` }] : [];
      }
      if (kind === "OBJECT_SCHEMA") return [{ message: `Schema ${dropNames(node).join(", ")} is dropped.` }];
      return NO_HITS;
    }
    if ("TruncateStmt" in node) {
      const names = (node.TruncateStmt.relations ?? []).map((r) =>
        "RangeVar" in r ? quoted(r.RangeVar) : "?",
      );
      const cascade =
        node.TruncateStmt.behavior === "DROP_CASCADE"
          ? ", and CASCADE empties every table that references it"
          : "";
      return [{ message: `TRUNCATE deletes every row of ${names.join(", ")}${cascade}.` }];
    }
    return NO_HITS;
  },
};

const droppingDatabase: Rule = {
  id: "dropping-database",
  defaultSeverity: "error",
  title: "Dropping a database",
  lock: "exclusive use of the database",
  explanation: "DROP DATABASE removes the database and everything in it; there is no undo but a restore.",
  safeAlternative: "Drop databases by hand, after a backup, never from an application's migrations.",
  destructive: true,
  squawk: [{ rule: "ban-drop-database", relation: "same" }],
  nodes: ["DropdbStmt"],
  check({ statement }) {
    const node = statement.node;
    if (!("DropdbStmt" in node)) return NO_HITS;
    return [{ message: `Database ${node.DropdbStmt.dbname ?? "?"} is dropped.` }];
  },
};

/** Objects the application may call or read by name; their own rules cover tables, indexes, schemas. */
const OBJECT_KINDS: Record<string, string> = {
  OBJECT_VIEW: "View",
  OBJECT_MATVIEW: "Materialized view",
  OBJECT_FUNCTION: "Function",
  OBJECT_PROCEDURE: "Procedure",
  OBJECT_ROUTINE: "Routine",
  OBJECT_AGGREGATE: "Aggregate",
  OBJECT_TYPE: "Type",
  OBJECT_DOMAIN: "Domain",
  OBJECT_SEQUENCE: "Sequence",
  OBJECT_TRIGGER: "Trigger",
  OBJECT_EXTENSION: "Extension",
  OBJECT_POLICY: "Policy",
  OBJECT_RULE: "Rule",
};

/** Dropping these with CASCADE drops the columns (or tables) that use them. */
const CASCADES_TO_DATA = new Set(["OBJECT_TYPE", "OBJECT_DOMAIN", "OBJECT_EXTENSION", "OBJECT_SEQUENCE"]);

const droppingObject: Rule = {
  id: "dropping-object",
  defaultSeverity: "warning",
  title: "Dropping a view, function, type, sequence, trigger, extension or policy",
  lock: "ACCESS EXCLUSIVE on the object",
  explanation:
    "The version of the code still running, or the one a rollback returns to, may still use the object: its queries fail from the moment the migration commits. With CASCADE a type, domain, sequence or extension takes the columns and tables that use it along.",
  safeAlternative:
    "Stop using the object in one release and drop it in a later one; never DROP ... CASCADE a type, domain, sequence or extension in a migration.",
  destructive: false,
  squawk: [
    { rule: "ban-drop-view", relation: "stricter", note: "one rule, on by default; opt-in in squawk" },
    { rule: "ban-drop-function", relation: "stricter", note: "on by default" },
    { rule: "ban-drop-type", relation: "stricter", note: "on by default" },
    { rule: "ban-drop-domain", relation: "stricter", note: "on by default" },
    { rule: "ban-drop-sequence", relation: "stricter", note: "on by default" },
    { rule: "ban-drop-trigger", relation: "stricter", note: "on by default" },
    { rule: "ban-drop-extension", relation: "stricter", note: "on by default" },
    { rule: "ban-drop-policy", relation: "stricter", note: "on by default" },
  ],
  nodes: ["DropStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("DropStmt" in node)) return NO_HITS;
    const kind = node.DropStmt.removeType ?? "";
    const label = OBJECT_KINDS[kind];
    if (!label) return NO_HITS;
    const names = dropNames(node).filter(
      (name) => !file.createdTypes.has(unqualified(name)) && !file.createdTables.has(unqualified(name)),
    );
    if (names.length === 0) return NO_HITS;
    const cascade = node.DropStmt.behavior === "DROP_CASCADE";
    const hit: RuleHit = {
      message: `${label} ${names.join(", ")} is dropped${cascade ? " with CASCADE, which drops what depends on it" : ""}.`,
    };
    if (cascade && CASCADES_TO_DATA.has(kind)) hit.destructive = true;
    return [hit];
  },
};

export const DROP_RULES: readonly Rule[] = [droppingColumn, droppingTable, droppingDatabase, droppingObject];
