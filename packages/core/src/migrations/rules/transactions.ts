// Rules about the file's own transaction control: BEGIN inside a transaction the tool already
// opened, and a BEGIN never committed.
import type { Rule } from "./model";
import { NO_HITS } from "./model";

const transactionNesting: Rule = {
  id: "transaction-nesting",
  defaultSeverity: "error",
  title: "BEGIN or COMMIT inside a transaction",
  lock: "none",
  explanation:
    "PostgreSQL has one transaction per session. A BEGIN inside the transaction the migration tool opened for the file (Flyway, the sql runner) or inside an enclosing BEGIN only warns, and the COMMIT that follows commits the outer transaction early: the statements after it run outside it, so a failure leaves the file half applied while the tool records it as failed or applied. Prisma and golang-migrate send the file as one query, whose implicit transaction the file's own BEGIN ... COMMIT replaces: that is allowed.",
  safeAlternative:
    "Remove the BEGIN/COMMIT and let the tool's transaction cover the file; to commit in steps, split the file into several migrations.",
  destructive: false,
  squawk: [{ rule: "transaction-nesting", relation: "same" }],
  nodes: ["TransactionStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("TransactionStmt" in node)) return NO_HITS;
    const kind = node.TransactionStmt.kind;
    if (kind === "TRANS_STMT_BEGIN" || kind === "TRANS_STMT_START") {
      if (file.inTransactionBlock) {
        const opened =
          file.transactionBlockLine !== undefined
            ? `at line ${file.transactionBlockLine}`
            : "before this file";
        return [
          {
            message: `BEGIN inside the transaction block opened ${opened}: PostgreSQL ignores it with a warning.`,
          },
        ];
      }
      if (file.toolTransaction && !file.implicitTransaction) {
        return [{ message: "BEGIN in a file the migration tool already runs as one transaction." }];
      }
    }
    if (
      (kind === "TRANS_STMT_COMMIT" || kind === "TRANS_STMT_ROLLBACK") &&
      !file.inTransactionBlock &&
      file.toolTransaction &&
      !file.implicitTransaction
    ) {
      return [
        {
          message: `${kind === "TRANS_STMT_COMMIT" ? "COMMIT" : "ROLLBACK"} ends the transaction the migration tool opened for the file: what follows runs outside it.`,
        },
      ];
    }
    return NO_HITS;
  },
};

const uncommittedTransaction: Rule = {
  id: "uncommitted-transaction",
  defaultSeverity: "error",
  title: "A BEGIN without COMMIT",
  lock: "whatever the block took, until the session ends",
  explanation:
    "A transaction the file opens and never commits is rolled back when the migration's session ends: the run can report success while none of the block's changes were kept, and its locks are held until then.",
  safeAlternative:
    "End the block with COMMIT (or remove the BEGIN and let the tool's transaction cover the file).",
  destructive: false,
  squawk: [{ rule: "ban-uncommitted-transaction", relation: "same" }],
  nodes: [],
  check() {
    return NO_HITS;
  },
  finish({ file }) {
    // Alembic's offline SQL is split per revision; a transaction it opens continues into the next one.
    // A tool's own transaction (not PostgreSQL's implicit one) commits what the file left open.
    if (file.startsInTransaction || (file.toolTransaction && !file.implicitTransaction)) return NO_HITS;
    if (!file.inTransactionBlock || file.transactionBlockLine === undefined) return NO_HITS;
    return [
      {
        message:
          "The transaction opened here is never committed: its changes are rolled back when the session ends.",
        line: file.transactionBlockLine,
      },
    ];
  },
};

export const TRANSACTION_RULES: readonly Rule[] = [transactionNesting, uncommittedTransaction];
