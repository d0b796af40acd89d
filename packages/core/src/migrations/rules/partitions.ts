// Rules about attaching and detaching partitions of a partitioned table.
import type { Node, RangeVar } from "libpg-query";
import type { Rule, RuleHit } from "./model";
import { NO_HITS } from "./model";
import { alterTableWith, isExistingTable, quoted, tableName } from "./tree";

function partitionOf(def: Node | undefined): RangeVar | undefined {
  return def && "PartitionCmd" in def ? def.PartitionCmd.name : undefined;
}

const attachingPartitionWithoutCheck: Rule = {
  id: "attaching-partition-without-check",
  defaultSeverity: "error",
  title: "ATTACH PARTITION without a CHECK constraint that matches the bound",
  lock: "ACCESS EXCLUSIVE on the partition (and the default partition), SHARE UPDATE EXCLUSIVE on the parent (ACCESS EXCLUSIVE before PostgreSQL 12), for a full scan",
  explanation:
    "ATTACH PARTITION scans the whole table being attached (and the parent's default partition, if any) to prove every row fits the partition bound, holding an ACCESS EXCLUSIVE lock on it meanwhile. A valid CHECK constraint that implies the bound lets PostgreSQL skip the scan.",
  safeAlternative:
    "Before attaching, `ADD CONSTRAINT ... CHECK (<the bound>) NOT VALID` on the table, `VALIDATE CONSTRAINT` it (reads and writes continue), then ATTACH PARTITION, then drop the check.",
  versions: "From PostgreSQL 12 the parent is only locked SHARE UPDATE EXCLUSIVE; before, ACCESS EXCLUSIVE.",
  destructive: false,
  nodes: ["AlterTableStmt"],
  check({ statement, file, run, options }) {
    const alter = alterTableWith(statement.node, "AT_AttachPartition");
    if (!alter) return NO_HITS;
    const hits: RuleHit[] = [];
    for (const cmd of alter.cmds) {
      if (cmd.subtype !== "AT_AttachPartition") continue;
      const partition = partitionOf(cmd.def);
      if (!partition || !isExistingTable(partition, file)) continue;
      if (run.validatedCheckTables.has(tableName(partition))) continue;
      const parent =
        options.postgresVersion < 12
          ? `, and PostgreSQL ${options.postgresVersion} locks ${quoted(alter.relation)} ACCESS EXCLUSIVE too`
          : "";
      hits.push({
        message: `${quoted(partition)} is attached to ${quoted(alter.relation)} with no validated CHECK constraint added to it before: it is scanned under an ACCESS EXCLUSIVE lock${parent}.`,
      });
    }
    return hits;
  },
};

const detachingPartitionNonConcurrently: Rule = {
  id: "detaching-partition-non-concurrently",
  defaultSeverity: "error",
  title: "DETACH PARTITION without CONCURRENTLY",
  lock: "ACCESS EXCLUSIVE on the parent and the partition",
  explanation:
    "A plain DETACH PARTITION takes an ACCESS EXCLUSIVE lock on the partitioned table: it waits for every query on any partition, and every query after it waits for the detach.",
  safeAlternative:
    "DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+) in a migration of its own outside a transaction; if it is interrupted, finish it with DETACH PARTITION ... FINALIZE.",
  versions:
    "CONCURRENTLY exists from PostgreSQL 14; before 14 the rule is quiet (there is no other way) and missing-lock-timeout applies.",
  destructive: false,
  squawk: [
    {
      rule: "require-concurrent-partition-detach",
      relation: "same",
      note: "only from PostgreSQL 14, where CONCURRENTLY exists",
    },
  ],
  nodes: ["AlterTableStmt"],
  check({ statement, file, options }) {
    if (options.postgresVersion < 14) return NO_HITS;
    const alter = alterTableWith(statement.node, "AT_DetachPartition");
    if (!alter || !isExistingTable(alter.relation, file)) return NO_HITS;
    return alter.cmds
      .filter((cmd) => cmd.subtype === "AT_DetachPartition")
      .filter((cmd) => !(cmd.def && "PartitionCmd" in cmd.def && cmd.def.PartitionCmd.concurrent))
      .map((cmd) => ({
        message: `${quoted(partitionOf(cmd.def))} is detached from ${quoted(alter.relation)} without CONCURRENTLY, locking the whole partitioned table.`,
      }));
  },
};

export const PARTITION_RULES: readonly Rule[] = [
  attachingPartitionWithoutCheck,
  detachingPartitionNonConcurrently,
];
