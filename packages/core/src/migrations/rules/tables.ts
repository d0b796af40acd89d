// Rules about statements that rewrite, move or lock a whole table: VACUUM FULL and CLUSTER, LOCK
// TABLE, SET LOGGED / UNLOGGED, SET TABLESPACE, REFRESH MATERIALIZED VIEW, disabled triggers.
import type { Rule, RuleHit } from "./model";
import { NO_HITS } from "./model";
import {
  alterTable,
  alterTableWith,
  isConcurrent,
  isExistingTable,
  isVacuumFull,
  quoted,
  tableName,
} from "./tree";

const runningVacuumFullOrCluster: Rule = {
  id: "running-vacuum-full-or-cluster",
  defaultSeverity: "error",
  title: "VACUUM FULL or CLUSTER",
  lock: "ACCESS EXCLUSIVE on the table, for the whole rewrite",
  explanation:
    "VACUUM FULL and CLUSTER write a new copy of the table and all its indexes while holding an ACCESS EXCLUSIVE lock: no reads or writes until the copy is done, and the disk needs room for both copies.",
  safeAlternative:
    "Plain VACUUM (no lock that blocks reads or writes) is usually enough; to reclaim space or reorder rows online, use the pg_repack or pg_squeeze extension outside the migration.",
  destructive: false,
  squawk: [
    {
      rule: "prefer-repack",
      relation: "same",
      note: "squawk suggests REPACK CONCURRENTLY, which only PostgreSQL 19 has (beyond libpg_query 18 and postgres-version)",
    },
  ],
  nodes: ["VacuumStmt", "ClusterStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if ("VacuumStmt" in node && isVacuumFull(node)) {
      const tables = (node.VacuumStmt.rels ?? []).flatMap((r) =>
        "VacuumRelation" in r ? [r.VacuumRelation.relation] : [],
      );
      if (tables.length > 0 && tables.every((t) => !isExistingTable(t, file))) return NO_HITS;
      const names = tables.map((t) => quoted(t)).join(", ");
      return [
        {
          message: `VACUUM FULL rewrites ${names || "every table in the database"} under an ACCESS EXCLUSIVE lock.`,
        },
      ];
    }
    if ("ClusterStmt" in node) {
      const relation = node.ClusterStmt.relation;
      if (relation && !isExistingTable(relation, file)) return NO_HITS;
      return [
        {
          message: `CLUSTER rewrites ${relation ? quoted(relation) : "every previously clustered table"} in index order under an ACCESS EXCLUSIVE lock.`,
        },
      ];
    }
    return NO_HITS;
  },
};

/** PostgreSQL's lock modes by the number libpg_query gives them. */
const LOCK_MODES = [
  "",
  "ACCESS SHARE",
  "ROW SHARE",
  "ROW EXCLUSIVE",
  "SHARE UPDATE EXCLUSIVE",
  "SHARE",
  "SHARE ROW EXCLUSIVE",
  "EXCLUSIVE",
  "ACCESS EXCLUSIVE",
];
/** SHARE and stronger block writes; ACCESS EXCLUSIVE blocks reads too. */
const FIRST_BLOCKING_MODE = 5;

const lockingTableExplicitly: Rule = {
  id: "locking-table-explicitly",
  defaultSeverity: "error",
  title: "LOCK TABLE in a mode that blocks writes",
  lock: "the mode named (ACCESS EXCLUSIVE without one), until the transaction ends",
  explanation:
    "LOCK TABLE holds its lock until the migration's transaction commits, so everything the migration does after it happens with the table's writes (and, in ACCESS EXCLUSIVE mode, its reads) blocked.",
  safeAlternative:
    "Leave the locking to the statements themselves with a lock_timeout; when a lock is truly needed (say, to swap two tables), take it as the last step before a short COMMIT, with lock_timeout set.",
  destructive: false,
  nodes: ["LockStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("LockStmt" in node)) return NO_HITS;
    const mode = node.LockStmt.mode ?? 8;
    if (mode < FIRST_BLOCKING_MODE) return NO_HITS;
    const tables = (node.LockStmt.relations ?? []).flatMap((r) => ("RangeVar" in r ? [r.RangeVar] : []));
    if (tables.length > 0 && tables.every((t) => !isExistingTable(t, file))) return NO_HITS;
    return [
      {
        message: `LOCK TABLE ${tables.map((t) => quoted(t)).join(", ")} takes ${LOCK_MODES[mode] ?? "an exclusive"} mode and keeps it until the transaction ends.`,
      },
    ];
  },
};

const settingLoggedOrUnlogged: Rule = {
  id: "setting-logged-or-unlogged",
  defaultSeverity: "error",
  title: "SET LOGGED or SET UNLOGGED",
  lock: "ACCESS EXCLUSIVE on the table, for the whole rewrite",
  explanation:
    "Changing a table between logged and unlogged rewrites it (SET LOGGED also writes all of it to the WAL) under an ACCESS EXCLUSIVE lock. An unlogged table is also emptied after a crash and is not on the replicas.",
  safeAlternative:
    "Create a new table with the wanted persistence, copy the rows over in batches, and switch to it; or decide persistence when the table is created.",
  destructive: false,
  nodes: ["AlterTableStmt"],
  check({ statement, file }) {
    const alter = alterTableWith(statement.node, "AT_SetLogged", "AT_SetUnLogged");
    if (!alter || !isExistingTable(alter.relation, file)) return NO_HITS;
    return alter.cmds
      .filter((cmd) => cmd.subtype === "AT_SetLogged" || cmd.subtype === "AT_SetUnLogged")
      .map((cmd) => ({
        message: `${quoted(alter.relation)} is set ${cmd.subtype === "AT_SetLogged" ? "LOGGED" : "UNLOGGED"}, which rewrites it under an ACCESS EXCLUSIVE lock.`,
      }));
  },
};

const settingTablespace: Rule = {
  id: "setting-tablespace",
  defaultSeverity: "error",
  title: "Moving a table or index to another tablespace",
  lock: "ACCESS EXCLUSIVE on the table or index, for the whole copy",
  explanation:
    "SET TABLESPACE copies every block of the table (or index) to the new tablespace while holding an ACCESS EXCLUSIVE lock; ALTER ... ALL IN TABLESPACE does it for every object there.",
  safeAlternative:
    "Use pg_repack's --tablespace option to move it online, or create the new table or index (CONCURRENTLY) in the new tablespace and switch to it.",
  destructive: false,
  nodes: ["AlterTableStmt", "AlterTableMoveAllStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if ("AlterTableMoveAllStmt" in node) {
      return [
        {
          message: `Every object in tablespace ${node.AlterTableMoveAllStmt.orig_tablespacename ?? "?"} is moved to ${node.AlterTableMoveAllStmt.new_tablespacename ?? "?"} under ACCESS EXCLUSIVE locks.`,
        },
      ];
    }
    const alter = alterTable(node);
    if (!alter?.subtypes.has("AT_SetTableSpace") || !isExistingTable(alter.relation, file)) return NO_HITS;
    const kind = (alter.objtype ?? "OBJECT_TABLE")
      .replace("OBJECT_", "")
      .toLowerCase()
      .replace("matview", "materialized view");
    return alter.cmds
      .filter((cmd) => cmd.subtype === "AT_SetTableSpace")
      .map((cmd) => ({
        message: `The ${kind} ${quoted(alter.relation)} is moved to tablespace ${cmd.name ?? "?"}, copied under an ACCESS EXCLUSIVE lock.`,
      }));
  },
};

const refreshingMaterializedViewNonConcurrently: Rule = {
  id: "refreshing-materialized-view-non-concurrently",
  defaultSeverity: "error",
  title: "REFRESH MATERIALIZED VIEW without CONCURRENTLY",
  lock: "ACCESS EXCLUSIVE on the materialized view, for the whole refresh",
  explanation:
    "A plain REFRESH MATERIALIZED VIEW runs the view's query again while holding an ACCESS EXCLUSIVE lock on it: every read of the view waits until the query finishes.",
  safeAlternative:
    "REFRESH MATERIALIZED VIEW CONCURRENTLY (it needs a unique index on the view), which lets reads continue.",
  destructive: false,
  nodes: ["RefreshMatViewStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("RefreshMatViewStmt" in node) || isConcurrent(node)) return NO_HITS;
    if (node.RefreshMatViewStmt.skipData) return NO_HITS;
    if (!isExistingTable(node.RefreshMatViewStmt.relation, file)) return NO_HITS;
    return [
      {
        message: `Materialized view ${quoted(node.RefreshMatViewStmt.relation)} is refreshed without CONCURRENTLY, blocking its readers.`,
      },
    ];
  },
};

const DISABLING = new Set(["AT_DisableTrig", "AT_DisableTrigAll", "AT_DisableTrigUser"]);

const disablingTrigger: Rule = {
  id: "disabling-trigger",
  defaultSeverity: "error",
  title: "Disabling triggers",
  lock: "SHARE ROW EXCLUSIVE on the table",
  explanation:
    "While a trigger is disabled, writes by every session skip it: audit rows, derived columns and, with DISABLE TRIGGER ALL, foreign-key checks are silently lost for whatever the application writes meanwhile, and a failed migration can leave it disabled.",
  safeAlternative:
    "Keep the triggers on and make the data change satisfy them; for a bulk load that must skip one, use `SET session_replication_role = replica` in that session only, or a condition inside the trigger.",
  destructive: false,
  squawk: [{ rule: "ban-disable-trigger", relation: "stricter", note: "on by default; opt-in in squawk" }],
  nodes: ["AlterTableStmt"],
  check({ statement, file }) {
    const alter = alterTableWith(statement.node, "AT_DisableTrig", "AT_DisableTrigAll", "AT_DisableTrigUser");
    if (!alter || !isExistingTable(alter.relation, file)) return NO_HITS;
    const hits: RuleHit[] = [];
    for (const cmd of alter.cmds) {
      if (!cmd.subtype || !DISABLING.has(cmd.subtype)) continue;
      const which =
        cmd.subtype === "AT_DisableTrigAll"
          ? "every trigger, foreign-key checks included,"
          : cmd.subtype === "AT_DisableTrigUser"
            ? "every user trigger"
            : `trigger ${cmd.name ?? "?"}`;
      hits.push({ message: `${which} on ${tableName(alter.relation)} is disabled for all sessions.` });
    }
    return hits.map((hit) => ({
      ...hit,
      message: hit.message.charAt(0).toUpperCase() + hit.message.slice(1),
    }));
  },
};

export const TABLE_RULES: readonly Rule[] = [
  runningVacuumFullOrCluster,
  lockingTableExplicitly,
  settingLoggedOrUnlogged,
  settingTablespace,
  refreshingMaterializedViewNonConcurrently,
  disablingTrigger,
];
