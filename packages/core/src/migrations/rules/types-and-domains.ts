// Rules about enum types and domains: ALTER TYPE ... ADD VALUE in a transaction, where a new value
// goes, and domain constraints that are checked against every table using the domain.
import type { Rule } from "./model";
import { NO_HITS } from "./model";
import { inTransaction } from "./state";
import { dotted, lastName } from "./tree";

const addingEnumValueInTransaction: Rule = {
  id: "adding-enum-value-in-transaction",
  defaultSeverity: "error",
  title: "ALTER TYPE ... ADD VALUE where the server refuses it",
  lock: "none: the migration fails",
  explanation:
    'Before PostgreSQL 12, ALTER TYPE ... ADD VALUE cannot run inside a transaction block; from 12 it can, but the new value cannot be used until that transaction commits ("unsafe use of new value"). Either way the migration fails.',
  safeAlternative:
    "Add the value in a migration of its own (outside a transaction before PostgreSQL 12), and use it in a later migration.",
  versions: "Allowed inside a transaction from PostgreSQL 12, but the value is usable only after COMMIT.",
  destructive: false,
  nodes: ["*"],
  check({ statement, file, options }) {
    const node = statement.node;
    if ("AlterEnumStmt" in node && node.AlterEnumStmt.newVal !== undefined && !node.AlterEnumStmt.oldVal) {
      if (options.postgresVersion < 12 && inTransaction(file)) {
        return [
          {
            message: `ALTER TYPE ${dotted(node.AlterEnumStmt.typeName)} ADD VALUE runs inside a transaction, which PostgreSQL ${options.postgresVersion} refuses (allowed from 12).`,
          },
        ];
      }
      return NO_HITS;
    }
    if (file.enumValuesAdded.size === 0) return NO_HITS;
    const text = statement.text;
    for (const [value, type] of file.enumValuesAdded) {
      if (text.includes(`'${value.replace(/'/g, "''")}'`)) {
        return [
          {
            message: `The value '${value}' added to ${type} earlier in this transaction is used before the transaction commits, which PostgreSQL refuses.`,
          },
        ];
      }
    }
    return NO_HITS;
  },
};

const addingEnumValueWithoutPosition: Rule = {
  id: "adding-enum-value-without-position",
  defaultSeverity: "warning",
  title: "ALTER TYPE ... ADD VALUE without BEFORE or AFTER",
  lock: "none",
  explanation:
    "Without BEFORE or AFTER the new value sorts after every existing one; queries that compare or order enum values (`status < 'approved'`, ORDER BY status) then treat it as the last state, which is rarely what it means.",
  safeAlternative: "Say where it belongs: `ADD VALUE 'pending_review' BEFORE 'approved'` (or AFTER ...).",
  destructive: false,
  squawk: [{ rule: "require-enum-value-ordering", relation: "same" }],
  nodes: ["AlterEnumStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("AlterEnumStmt" in node)) return NO_HITS;
    const stmt = node.AlterEnumStmt;
    if (stmt.newVal === undefined || stmt.oldVal || stmt.newValNeighbor) return NO_HITS;
    if (file.createdTypes.has(lastName(stmt.typeName))) return NO_HITS;
    return [
      {
        message: `Value '${stmt.newVal}' is appended to ${dotted(stmt.typeName)} after every existing value.`,
      },
    ];
  },
};

const addingDomainConstraint: Rule = {
  id: "adding-domain-constraint",
  defaultSeverity: "error",
  title: "ALTER DOMAIN ... ADD CONSTRAINT, VALIDATE CONSTRAINT or SET NOT NULL",
  lock: "SHARE on every table with a column of the domain, for a full scan of each",
  explanation:
    "PostgreSQL checks the new constraint against every column of every table that uses the domain, holding a SHARE lock (no writes) on each table while it scans. VALIDATE CONSTRAINT does the same scan under the same lock up to PostgreSQL 18, so NOT VALID only postpones it.",
  safeAlternative:
    "Put the check on the table columns instead (`ALTER TABLE ... ADD CONSTRAINT ... CHECK (...) NOT VALID`, then VALIDATE CONSTRAINT, which does not block writes); a domain constraint added NOT VALID checks only new values.",
  versions:
    "VALIDATE CONSTRAINT on a domain blocks writes in every version postgres-version accepts (10 to 18).",
  destructive: false,
  squawk: [
    {
      rule: "ban-alter-domain-with-add-constraint",
      relation: "stricter",
      note: "also VALIDATE CONSTRAINT and SET NOT NULL; ADD CONSTRAINT ... NOT VALID alone is allowed",
    },
  ],
  nodes: ["AlterDomainStmt"],
  check({ statement, file }) {
    const node = statement.node;
    if (!("AlterDomainStmt" in node)) return NO_HITS;
    const stmt = node.AlterDomainStmt;
    const domain = dotted(stmt.typeName);
    if (file.createdTypes.has(lastName(stmt.typeName))) return NO_HITS;
    if (stmt.subtype === "C") {
      const constraint = stmt.def && "Constraint" in stmt.def ? stmt.def.Constraint : undefined;
      if (constraint?.skip_validation) return NO_HITS;
      return [
        {
          message: `Domain ${domain} gets a constraint checked now against every column that uses it.`,
          location: constraint?.location,
        },
      ];
    }
    if (stmt.subtype === "V") {
      return [
        {
          message: `VALIDATE CONSTRAINT ${stmt.name ?? "?"} on domain ${domain} scans every table using it under a SHARE lock.`,
        },
      ];
    }
    if (stmt.subtype === "O") {
      return [{ message: `SET NOT NULL on domain ${domain} scans every table using it under a SHARE lock.` }];
    }
    return NO_HITS;
  },
};

const creatingDomainWithConstraint: Rule = {
  id: "creating-domain-with-constraint",
  defaultSeverity: "warning",
  title: "CREATE DOMAIN with a CHECK or NOT NULL constraint",
  lock: "none",
  explanation:
    "Constraints on a domain are hard to change later: adding a column of the domain to an existing table rewrites the table, and adding or validating a domain constraint scans every table using it while blocking their writes.",
  safeAlternative:
    "Create the domain without constraints and put the CHECK on the table columns that use it.",
  destructive: false,
  squawk: [{ rule: "ban-create-domain-with-constraint", relation: "same" }],
  nodes: ["CreateDomainStmt"],
  check({ statement }) {
    const node = statement.node;
    if (!("CreateDomainStmt" in node)) return NO_HITS;
    const constraint = (node.CreateDomainStmt.constraints ?? []).find(
      (c) =>
        "Constraint" in c &&
        (c.Constraint.contype === "CONSTR_CHECK" || c.Constraint.contype === "CONSTR_NOTNULL"),
    );
    if (!constraint || !("Constraint" in constraint)) return NO_HITS;
    return [
      {
        message: `Domain ${dotted(node.CreateDomainStmt.domainname)} is created with a ${constraint.Constraint.contype === "CONSTR_CHECK" ? "CHECK" : "NOT NULL"} constraint.`,
        location: constraint.Constraint.location,
      },
    ];
  },
};

export const TYPE_RULES: readonly Rule[] = [
  addingEnumValueInTransaction,
  addingEnumValueWithoutPosition,
  addingDomainConstraint,
  creatingDomainWithConstraint,
];
