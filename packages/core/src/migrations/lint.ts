// Lints migration files with the rules: one report per file with its findings at 1-based lines,
// rule levels from the user's configuration, and per-statement suppressions written as comments.
import {
  advanceState,
  type FileState,
  INVALID_SUPPRESSION_RULE,
  type LintOptions,
  PARSE_ERROR_RULE,
  RULE_IDS,
  RULES,
  type Rule,
  type RunState,
} from "./rules";
import type { ParsedStatement, SqlComment, SqlParser } from "./sql-parser";
import type { Finding, MigrationReport, RuleLevel, Severity } from "./types";

export type RuleLevels = Readonly<Record<string, RuleLevel>>;

/** The marker of a suppression comment: `-- shipline-ignore: rule-id[, rule-id] [reason]`. */
export const SUPPRESSION_MARKER = "shipline-ignore";
const SUPPRESSION = /shipline-ignore:?\s*([a-z][a-z0-9-]*(?:\s*,\s*[a-z][a-z0-9-]*)*)/i;

/** Parses `rule-id=off|warn|warning|error` settings; throws with the offending entry. */
export function parseRuleLevels(settings: Record<string, string>): Record<string, RuleLevel> {
  const levels: Record<string, RuleLevel> = {};
  for (const [id, raw] of Object.entries(settings)) {
    if (!RULE_IDS.includes(id)) {
      throw new Error(`"${id}" is not a rule id (known: ${RULE_IDS.join(", ")})`);
    }
    const value = raw.toLowerCase();
    if (value === "off") levels[id] = "off";
    else if (value === "warn" || value === "warning") levels[id] = "warning";
    else if (value === "error") levels[id] = "error";
    else throw new Error(`the level of ${id} is "${raw}", not off, warn or error`);
  }
  return levels;
}

export function newRunState(): RunState {
  return {
    validatedNotNullChecks: new Set(),
    notValidNotNullChecks: new Map(),
    tablesNewInChange: new Set(),
  };
}

export interface LintFileInput {
  /** Workspace-relative path, as annotations and the report name it. */
  file: string;
  version: string;
  sql: string;
  /** The tool runs the whole file as one transaction. */
  wholeFileTransaction: boolean;
  /** The SQL starts inside a transaction opened before it (Alembic's offline output). */
  startsInTransaction?: boolean;
  /** The file is added by the change being linted (known only when there is a base to compare with). */
  newInChange?: boolean;
}

interface Suppression {
  comment: SqlComment;
  rules: string[];
}

function suppressionsIn(comments: SqlComment[]): Suppression[] {
  const out: Suppression[] = [];
  for (const comment of comments) {
    const match = SUPPRESSION.exec(comment.text);
    if (!match?.[1]) continue;
    out.push({ comment, rules: match[1].split(",").map((id) => id.trim().toLowerCase()) });
  }
  return out;
}

/**
 * A comment applies to a statement when it sits between the previous statement's last line and this
 * statement's last line (above it, or trailing on its line).
 */
function appliesTo(suppression: Suppression, statement: ParsedStatement, previousEndLine: number): boolean {
  const line = suppression.comment.line;
  return line > previousEndLine && line <= statement.endLine;
}

export class MigrationLinter {
  readonly #parser: SqlParser;
  readonly #levels: RuleLevels;
  readonly #options: LintOptions;
  readonly #run: RunState = newRunState();

  constructor(
    parser: SqlParser,
    levels: RuleLevels = {},
    options: LintOptions = { runnerSetsLockTimeout: false },
  ) {
    this.#parser = parser;
    this.#levels = levels;
    this.#options = options;
  }

  #level(rule: { id: string; defaultSeverity: Severity }): RuleLevel {
    return this.#levels[rule.id] ?? rule.defaultSeverity;
  }

  /** Lints one file. Files must be given in the order they run, so later files see earlier ones. */
  lint(input: LintFileInput): MigrationReport {
    // Comments matter only for suppressions; without one the scanner pass is skipped.
    const parsed = this.#parser.parse(input.sql, { comments: input.sql.includes(SUPPRESSION_MARKER) });
    const findings: Finding[] = [];
    let suppressed = 0;
    let destructive = false;

    const parseLevel = this.#level(PARSE_ERROR_RULE);
    if (parseLevel !== "off") {
      for (const error of parsed.errors) {
        findings.push({
          rule: PARSE_ERROR_RULE.id,
          severity: parseLevel,
          line: error.line,
          column: error.column,
          message: `The SQL does not parse: ${error.message}.`,
          fix: PARSE_ERROR_RULE.safeAlternative,
        });
      }
    }

    const suppressions = suppressionsIn(parsed.comments);
    const invalidLevel = this.#level(INVALID_SUPPRESSION_RULE);
    for (const s of suppressions) {
      const unknown = s.rules.filter((id) => !RULE_IDS.includes(id));
      if (unknown.length > 0 && invalidLevel !== "off") {
        findings.push({
          rule: INVALID_SUPPRESSION_RULE.id,
          severity: invalidLevel,
          line: s.comment.line,
          message: `The ${SUPPRESSION_MARKER} comment names ${unknown.map((id) => `"${id}"`).join(", ")}, which ${unknown.length === 1 ? "is not a rule" : "are not rules"}.`,
          fix: INVALID_SUPPRESSION_RULE.safeAlternative,
        });
      }
    }

    const file: FileState = {
      createdTables: new Set(input.newInChange ? this.#run.tablesNewInChange : []),
      lockTimeoutSet: false,
      inTransactionBlock: input.startsInTransaction ?? false,
      wholeFileTransaction: input.wholeFileTransaction && parsed.statements.length > 1,
      lockTimeoutReported: false,
    };
    let previousEndLine = 0;
    for (const statement of parsed.statements) {
      const silenced = new Set(
        suppressions.filter((s) => appliesTo(s, statement, previousEndLine)).flatMap((s) => s.rules),
      );
      for (const rule of RULES) {
        const hits = rule.check({ statement, file, run: this.#run, options: this.#options });
        if (hits.length === 0) continue;
        if (rule.destructive) destructive = true;
        const level = this.#level(rule);
        if (level === "off") continue;
        for (const hit of hits) {
          if (silenced.has(rule.id)) {
            suppressed++;
            continue;
          }
          findings.push(findingOf(rule, level, statement, hit.message, hit.location));
        }
      }
      advanceState(statement, file, this.#run);
      previousEndLine = statement.endLine;
    }

    if (input.newInChange) for (const table of file.createdTables) this.#run.tablesNewInChange.add(table);
    findings.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
    return {
      file: input.file,
      version: input.version,
      statements: parsed.statements.length,
      destructive,
      findings,
      suppressed,
    };
  }
}

function findingOf(
  rule: Rule,
  severity: Severity,
  statement: ParsedStatement,
  message: string,
  location: number | undefined,
): Finding {
  return {
    rule: rule.id,
    severity,
    line: statement.lineAt(location),
    message: `${message} ${rule.explanation}`,
    fix: rule.safeAlternative,
  };
}

export interface LintTotals {
  files: number;
  statements: number;
  errors: number;
  warnings: number;
  suppressed: number;
  destructive: boolean;
}

export function lintTotals(reports: readonly MigrationReport[]): LintTotals {
  const findings = reports.flatMap((r) => r.findings);
  return {
    files: reports.length,
    statements: reports.reduce((sum, r) => sum + r.statements, 0),
    errors: findings.filter((f) => f.severity === "error").length,
    warnings: findings.filter((f) => f.severity === "warning").length,
    suppressed: reports.reduce((sum, r) => sum + r.suppressed, 0),
    destructive: reports.some((r) => r.destructive),
  };
}
