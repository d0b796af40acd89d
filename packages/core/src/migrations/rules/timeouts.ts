// Rules about the timeouts a migration should set before it takes locks the application waits on.
import { lockDemand } from "./locks";
import type { Rule } from "./model";
import { NO_HITS } from "./model";

/** Every statement kind lockDemand knows. */
const LOCKING_NODES = [
  "AlterTableStmt",
  "IndexStmt",
  "DropStmt",
  "TruncateStmt",
  "RenameStmt",
  "AlterObjectSchemaStmt",
  "CreateTrigStmt",
  "ReindexStmt",
  "VacuumStmt",
  "ClusterStmt",
  "LockStmt",
  "RefreshMatViewStmt",
  "AlterDomainStmt",
  "CreateStmt",
];

const missingLockTimeout: Rule = {
  id: "missing-lock-timeout",
  defaultSeverity: "warning",
  title: "No lock_timeout before a blocking statement",
  lock: "any lock that conflicts with the application's queries",
  explanation:
    "A statement that needs a strong lock queues behind any long-running query on the table, and every query after it queues behind it: the table stops answering until it gets the lock.",
  safeAlternative:
    "Start the file with `SET lock_timeout = '5s';` (and retry the migration when it times out), or use the sql runner's `lock-timeout` input, which sets it for every statement.",
  destructive: false,
  squawk: [
    {
      rule: "require-lock-timeout",
      relation: "same",
      note: "reported once per file, at the first statement that needs it",
    },
    { rule: "require-timeout-settings", relation: "same", note: "the lock_timeout half" },
  ],
  nodes: LOCKING_NODES,
  check(context) {
    const { file, options } = context;
    if (options.runnerSetsLockTimeout || file.lockTimeoutSet || file.lockTimeoutReported) return NO_HITS;
    const demand = lockDemand(context);
    if (!demand) return NO_HITS;
    file.lockTimeoutReported = true;
    return [
      {
        message: `This statement locks ${demand.target} with no lock_timeout set earlier in the file, so it can wait indefinitely while blocking every query behind it.`,
      },
    ];
  },
};

const missingStatementTimeout: Rule = {
  id: "missing-statement-timeout",
  defaultSeverity: "warning",
  title: "No statement_timeout before a statement that holds a blocking lock for long",
  lock: "held for the whole scan, rewrite or build",
  explanation:
    "lock_timeout bounds the wait for a lock, not how long it is held: a rewrite, a full scan or an index build under a lock that blocks the application runs as long as the table is big, and the application waits all that time.",
  safeAlternative:
    "`SET statement_timeout = '...'` before it (long enough for the real table, short enough to give up), or use the sql runner's `statement-timeout` input; better, use the non-blocking form the statement's own rule suggests.",
  destructive: false,
  squawk: [
    {
      rule: "require-statement-timeout",
      relation: "narrower",
      note: "only before statements that hold a blocking lock while they scan, rewrite or build",
    },
    { rule: "require-timeout-settings", relation: "narrower", note: "the statement_timeout half, as above" },
  ],
  nodes: LOCKING_NODES,
  check(context) {
    const { file, options } = context;
    if (options.runnerSetsStatementTimeout || file.statementTimeoutSet || file.statementTimeoutReported)
      return NO_HITS;
    const demand = lockDemand(context);
    if (!demand?.long) return NO_HITS;
    file.statementTimeoutReported = true;
    return [
      {
        message: `This statement holds its lock on ${demand.target} while it scans, rewrites or builds, with no statement_timeout set earlier in the file.`,
      },
    ];
  },
};

export const TIMEOUT_RULES: readonly Rule[] = [missingLockTimeout, missingStatementTimeout];
