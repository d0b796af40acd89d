// The lint rules for PostgreSQL migrations, in the order the README lists them: what each looks for
// in the parse tree, the lock it takes, why that hurts on a live database, and the safe way to
// write it. The rules themselves live in rules/, one file per subject.
import { COLUMN_TYPE_RULES } from "./rules/column-types";
import { COLUMN_RULES } from "./rules/columns";
import { CONSTRAINT_RULES } from "./rules/constraints";
import { DROP_RULES } from "./rules/drops";
import { INDEX_RULES } from "./rules/indexes";
import type { Rule, RuleInfo } from "./rules/model";
import { PARTITION_RULES } from "./rules/partitions";
import { RENAME_RULES } from "./rules/renames";
import { STATEMENT_RULES } from "./rules/statements";
import { TABLE_RULES } from "./rules/tables";
import { TIMEOUT_RULES } from "./rules/timeouts";
import { TRANSACTION_RULES } from "./rules/transactions";
import { TYPE_RULES } from "./rules/types-and-domains";

export type {
  ColumnType,
  FileState,
  LintOptions,
  ResolvedLintOptions,
  Rule,
  RuleContext,
  RuleHit,
  RuleInfo,
  RunState,
  SquawkMatch,
} from "./rules/model";
export { DEFAULT_POSTGRES_VERSION, POSTGRES_VERSIONS } from "./rules/model";
export { mustRunOutsideTransaction } from "./rules/tree";

export const RULES: readonly Rule[] = [
  ...COLUMN_RULES,
  ...CONSTRAINT_RULES,
  ...INDEX_RULES,
  ...TABLE_RULES,
  ...PARTITION_RULES,
  ...TYPE_RULES,
  ...DROP_RULES,
  ...RENAME_RULES,
  ...TRANSACTION_RULES,
  ...TIMEOUT_RULES,
  ...STATEMENT_RULES,
  ...COLUMN_TYPE_RULES,
];

/** Pseudo-rules for problems the linter itself finds: they are not about a statement's safety. */
export const PARSE_ERROR_RULE: RuleInfo = {
  id: "parse-error",
  defaultSeverity: "error",
  title: "The file does not parse",
  lock: "none: the migration fails",
  explanation:
    "PostgreSQL cannot parse the SQL, so the migration fails at that statement; the rest of the file is still checked.",
  safeAlternative: "Fix the SQL so PostgreSQL can parse it (the same error would stop the migration).",
  destructive: false,
  squawk: [{ rule: "syntax-error", relation: "same" }],
};

export const INVALID_SUPPRESSION_RULE: RuleInfo = {
  id: "invalid-suppression",
  defaultSeverity: "warning",
  title: "A shipline-ignore comment names an unknown rule",
  lock: "none",
  explanation: "A misspelt rule id silences nothing, so the finding it was meant for is still reported.",
  safeAlternative: "Name rules by their ids, listed in the migrate action's README.",
  destructive: false,
};

export const UNUSED_SUPPRESSION_RULE: RuleInfo = {
  id: "unused-suppression",
  defaultSeverity: "warning",
  title: "A shipline-ignore comment that silences nothing",
  lock: "none",
  explanation:
    "The statement it belongs to no longer breaks the rule it names (or there is no statement under it): a stale suppression would silence a real finding if the statement changed again.",
  safeAlternative: "Remove the comment, or move it to the statement it is meant for.",
  destructive: false,
  squawk: [{ rule: "unused-ignore", relation: "same" }],
};

export const ENGINE_RULES: readonly RuleInfo[] = [
  PARSE_ERROR_RULE,
  INVALID_SUPPRESSION_RULE,
  UNUSED_SUPPRESSION_RULE,
];

/** Every rule, statement rules first, as the README documents them. */
export const ALL_RULES: readonly RuleInfo[] = [...RULES, ...ENGINE_RULES];

export const RULE_IDS: readonly string[] = ALL_RULES.map((r) => r.id);
