// Rules about building, dropping and rebuilding indexes, and about statements PostgreSQL refuses
// inside a transaction.
import type { Node } from "libpg-query";
import type { Rule } from "./model";
import { NO_HITS } from "./model";
import {
  dropNames,
  isConcurrent,
  isExistingTable,
  mustRunOutsideTransaction,
  quoted,
  unqualified,
} from "./tree";

const creatingIndexNonConcurrently: Rule = {
  id: "creating-index-non-concurrently",
  defaultSeverity: "error",
  title: "Creating an index without CONCURRENTLY",
  lock: "SHARE on the table, for the whole build",
  explanation:
    "CREATE INDEX holds a SHARE lock on the table until the index is built, blocking every INSERT, UPDATE and DELETE for minutes on a large table.",
  safeAlternative:
    "Use CREATE INDEX CONCURRENTLY in a migration of its own that does not run in a transaction (and DROP INDEX CONCURRENTLY to remove one).",
  destructive: false,
  squawk: [{ rule: "require-concurrent-index-creation", relation: "same" }],
  nodes: ["IndexStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("IndexStmt" in node) || node.IndexStmt.concurrent) return NO_HITS;
    if (!isExistingTable(node.IndexStmt.relation, file)) return NO_HITS;
    return [
      {
        message: `Index ${node.IndexStmt.idxname ?? "(unnamed)"} on ${quoted(node.IndexStmt.relation)} is built without CONCURRENTLY, blocking writes to the table until it is done.`,
      },
    ];
  },
};

const droppingIndexNonConcurrently: Rule = {
  id: "dropping-index-non-concurrently",
  defaultSeverity: "error",
  title: "Dropping an index without CONCURRENTLY",
  lock: "ACCESS EXCLUSIVE on the index's table",
  explanation:
    "DROP INDEX takes an ACCESS EXCLUSIVE lock on the table the index belongs to: it waits for every running query on the table, and every query after it waits for the drop.",
  safeAlternative:
    "DROP INDEX CONCURRENTLY, one index per statement, in a migration of its own that does not run in a transaction.",
  destructive: false,
  squawk: [
    { rule: "require-concurrent-index-deletion", relation: "same" },
    {
      rule: "ban-drop-index",
      relation: "narrower",
      note: "squawk's opt-in rule reports every drop; shipline the ones that lock the table",
    },
  ],
  nodes: ["DropStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("DropStmt" in node) || node.DropStmt.removeType !== "OBJECT_INDEX" || node.DropStmt.concurrent)
      return NO_HITS;
    const names = dropNames(node).filter((name) => !file.createdIndexes.has(unqualified(name)));
    if (names.length === 0) return NO_HITS;
    return [{ message: `Index ${names.join(", ")} is dropped without CONCURRENTLY, locking its table.` }];
  },
};

const reindexingNonConcurrently: Rule = {
  id: "reindexing-non-concurrently",
  defaultSeverity: "error",
  title: "REINDEX without CONCURRENTLY",
  lock: "SHARE on the table and ACCESS EXCLUSIVE on the index, for the whole rebuild",
  explanation:
    "REINDEX blocks writes to the table while it rebuilds, and the ACCESS EXCLUSIVE lock on the index blocks nearly every read too, since the planner locks all of a table's indexes.",
  safeAlternative:
    "REINDEX ... CONCURRENTLY (PostgreSQL 12+) in a migration of its own outside a transaction; before 12, CREATE INDEX CONCURRENTLY a copy, DROP INDEX CONCURRENTLY the old one and rename the copy.",
  versions: "REINDEX CONCURRENTLY exists from PostgreSQL 12.",
  destructive: false,
  squawk: [{ rule: "require-concurrent-reindex", relation: "same", note: "with the pre-12 alternative" }],
  nodes: ["ReindexStmt"],
  check({ statement, options }) {
    const node = statement.node;
    if (!("ReindexStmt" in node) || isConcurrent(node)) return NO_HITS;
    const target = node.ReindexStmt.relation
      ? quoted(node.ReindexStmt.relation)
      : (node.ReindexStmt.name ?? "");
    const kind = (node.ReindexStmt.kind ?? "").replace("REINDEX_OBJECT_", "").toLowerCase();
    return [
      {
        message: `REINDEX ${kind} ${target} rebuilds without CONCURRENTLY${options.postgresVersion < 12 ? ` (PostgreSQL ${options.postgresVersion} has no REINDEX CONCURRENTLY: build a replacement index concurrently instead)` : ""}.`,
      },
    ];
  },
};

function refusedInTransactionLabel(node: Node): string {
  if (isConcurrent(node)) return "This CONCURRENTLY statement";
  if ("VacuumStmt" in node) return "VACUUM";
  if ("CreatedbStmt" in node) return "CREATE DATABASE";
  if ("DropdbStmt" in node) return "DROP DATABASE";
  if ("AlterSystemStmt" in node) return "ALTER SYSTEM";
  if ("ReindexStmt" in node) return "This REINDEX";
  return "This tablespace statement";
}

const concurrentlyInTransaction: Rule = {
  id: "concurrently-in-transaction",
  defaultSeverity: "error",
  title: "CONCURRENTLY (or another statement PostgreSQL refuses in a transaction) inside a transaction",
  lock: "none: the migration fails",
  explanation:
    "CREATE/DROP/REINDEX ... CONCURRENTLY, DETACH PARTITION ... CONCURRENTLY, VACUUM, CREATE/DROP DATABASE and ALTER SYSTEM cannot run inside a transaction block; the migration fails. Prisma, Flyway and golang-migrate run a multi-statement file as one transaction.",
  safeAlternative: "Put the statement alone in its own migration file, outside any BEGIN ... COMMIT.",
  destructive: false,
  squawk: [
    {
      rule: "ban-concurrent-index-creation-in-transaction",
      relation: "stricter",
      note: "also DROP, REINDEX and DETACH CONCURRENTLY, VACUUM, CREATE/DROP DATABASE, ALTER SYSTEM",
    },
  ],
  nodes: [
    "IndexStmt",
    "DropStmt",
    "ReindexStmt",
    "AlterTableStmt",
    "VacuumStmt",
    "CreatedbStmt",
    "DropdbStmt",
    "AlterSystemStmt",
    "CreateTableSpaceStmt",
    "DropTableSpaceStmt",
  ],
  check({ statement, file }) {
    if (!mustRunOutsideTransaction(statement.node)) return NO_HITS;
    const label = refusedInTransactionLabel(statement.node);
    if (file.inTransactionBlock) {
      return [{ message: `${label} is inside the file's BEGIN ... COMMIT block.` }];
    }
    if (file.wholeFileTransaction) {
      return [
        {
          message: `${label} shares its file with other statements, and the migration tool runs the file as one transaction.`,
        },
      ];
    }
    return NO_HITS;
  },
};

export const INDEX_RULES: readonly Rule[] = [
  creatingIndexNonConcurrently,
  droppingIndexNonConcurrently,
  reindexingNonConcurrently,
  concurrentlyInTransaction,
];
