// Rules about renaming what the running code refers to by name: columns, tables, and views,
// functions, types, sequences, schemas (renamed or moved to another schema).
import type { Node } from "libpg-query";
import type { Rule } from "./model";
import { NO_HITS } from "./model";
import { dotted, isExistingTable, quoted } from "./tree";

const renamingColumn: Rule = {
  id: "renaming-column",
  defaultSeverity: "error",
  title: "Renaming a column",
  lock: "ACCESS EXCLUSIVE on the table (brief)",
  explanation:
    "The code still running refers to the old name and fails from the moment the migration commits until the new code is everywhere.",
  safeAlternative:
    "Add the new column, write to both, backfill, switch reads, then drop the old column in a later release.",
  destructive: false,
  squawk: [{ rule: "renaming-column", relation: "same" }],
  nodes: ["RenameStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("RenameStmt" in node) || node.RenameStmt.renameType !== "OBJECT_COLUMN") return NO_HITS;
    const r = node.RenameStmt;
    if (r.relationType !== undefined && r.relationType !== "OBJECT_TABLE") return NO_HITS;
    if (!isExistingTable(r.relation, file)) return NO_HITS;
    return [
      { message: `Column ${quoted(r.relation)}.${r.subname ?? "?"} is renamed to ${r.newname ?? "?"}.` },
    ];
  },
};

const renamingTable: Rule = {
  id: "renaming-table",
  defaultSeverity: "error",
  title: "Renaming a table",
  lock: "ACCESS EXCLUSIVE on the table (brief)",
  explanation:
    "The code still running refers to the old name and fails from the moment the migration commits until the new code is everywhere.",
  safeAlternative:
    "Create the new table (or a view under the new name), migrate readers and writers over releases, then drop the old one.",
  destructive: false,
  squawk: [{ rule: "renaming-table", relation: "same" }],
  nodes: ["RenameStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("RenameStmt" in node) || node.RenameStmt.renameType !== "OBJECT_TABLE") return NO_HITS;
    if (!isExistingTable(node.RenameStmt.relation, file)) return NO_HITS;
    return [
      {
        message: `Table ${quoted(node.RenameStmt.relation)} is renamed to ${node.RenameStmt.newname ?? "?"}.`,
      },
    ];
  },
};

const RENAMED_KINDS: Record<string, string> = {
  OBJECT_VIEW: "View",
  OBJECT_MATVIEW: "Materialized view",
  OBJECT_FUNCTION: "Function",
  OBJECT_PROCEDURE: "Procedure",
  OBJECT_ROUTINE: "Routine",
  OBJECT_TYPE: "Type",
  OBJECT_DOMAIN: "Domain",
  OBJECT_SEQUENCE: "Sequence",
  OBJECT_SCHEMA: "Schema",
  OBJECT_TABLE: "Table",
};

function objectName(
  relation: { relname?: string; schemaname?: string } | undefined,
  object: Node | undefined,
  subname?: string,
): string {
  if (relation) return quoted(relation);
  if (object && "List" in object) return dotted(object.List.items);
  if (object && "ObjectWithArgs" in object) return dotted(object.ObjectWithArgs.objname);
  if (object && "TypeName" in object) return dotted(object.TypeName.names);
  if (object && "String" in object) return object.String.sval ?? "?";
  return subname ?? "?";
}

const renamingObject: Rule = {
  id: "renaming-object",
  defaultSeverity: "error",
  title: "Renaming a view, function, type, sequence or schema, or moving an object to another schema",
  lock: "ACCESS EXCLUSIVE on the object (brief)",
  explanation:
    "The code still running calls or reads the object by its old name (or schema) and fails from the moment the migration commits until the new code is everywhere.",
  safeAlternative:
    "Create the object under its new name beside the old one (a view or wrapper function can forward to it), move the callers over releases, then drop the old name.",
  destructive: false,
  squawk: [
    { rule: "renaming-object", relation: "stricter", note: "on by default; opt-in in squawk" },
    { rule: "ban-set-schema", relation: "stricter", note: "on by default" },
  ],
  nodes: ["RenameStmt", "AlterObjectSchemaStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if ("RenameStmt" in node) {
      const r = node.RenameStmt;
      // Tables and columns have rules of their own.
      const label = r.renameType === "OBJECT_TABLE" ? undefined : RENAMED_KINDS[r.renameType ?? ""];
      if (!label) return NO_HITS;
      if (r.relation && !isExistingTable(r.relation, file)) return NO_HITS;
      const name = objectName(r.relation, r.object, r.subname);
      if (file.createdTypes.has(name)) return NO_HITS;
      return [{ message: `${label} ${name} is renamed to ${r.newname ?? "?"}.` }];
    }
    if ("AlterObjectSchemaStmt" in node) {
      const s = node.AlterObjectSchemaStmt;
      const label = RENAMED_KINDS[s.objectType ?? ""] ?? "Object";
      if (s.relation && !isExistingTable(s.relation, file)) return NO_HITS;
      const name = objectName(s.relation, s.object);
      if (file.createdTypes.has(name)) return NO_HITS;
      return [{ message: `${label} ${name} moves to schema ${s.newschema ?? "?"}.` }];
    }
    return NO_HITS;
  },
};

export const RENAME_RULES: readonly Rule[] = [renamingColumn, renamingTable, renamingObject];
