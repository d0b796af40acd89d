// Lints migration files with the rules: one report per file with its findings at 1-based lines,
// rule levels from the user's configuration, and per-statement suppressions written as comments.
import {
  DEFAULT_POSTGRES_VERSION,
  INVALID_SUPPRESSION_RULE,
  type LintOptions,
  PARSE_ERROR_RULE,
  POSTGRES_VERSIONS,
  type ResolvedLintOptions,
  RULE_IDS,
  RULES,
  type Rule,
  type RuleContext,
  type RuleHit,
  type RuleInfo,
  type RunState,
  UNUSED_SUPPRESSION_RULE,
} from "./rules";
import { advanceState, finishFile, newFileState, newRunState } from "./rules/state";
import { kindOf } from "./rules/tree";
import type { ParsedStatement, SqlComment, SqlParser } from "./sql-parser";
import type { Finding, MigrationReport, RuleLevel, Severity, Suppression } from "./types";

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

/** The options with their defaults; throws on a PostgreSQL version the rules know nothing of. */
export function resolveLintOptions(options: LintOptions): ResolvedLintOptions {
  const postgresVersion = options.postgresVersion ?? DEFAULT_POSTGRES_VERSION;
  if (!(POSTGRES_VERSIONS as readonly number[]).includes(postgresVersion)) {
    throw new Error(
      `PostgreSQL ${postgresVersion} is not a major version the lint knows (${POSTGRES_VERSIONS[0]} to ${POSTGRES_VERSIONS[POSTGRES_VERSIONS.length - 1]})`,
    );
  }
  return {
    runnerSetsLockTimeout: options.runnerSetsLockTimeout,
    runnerSetsStatementTimeout: options.runnerSetsStatementTimeout ?? false,
    postgresVersion,
  };
}

export { newRunState };

export interface LintFileInput {
  /** Workspace-relative path, as annotations and the report name it. */
  file: string;
  version: string;
  sql: string;
  /** The tool runs the whole file as one transaction. */
  wholeFileTransaction: boolean;
  /**
   * That transaction is PostgreSQL's implicit one around a multi-statement query (Prisma,
   * golang-migrate send the file as one query), so the file's own BEGIN ... COMMIT are honoured.
   */
  implicitTransaction?: boolean;
  /** The file is run by shipline's sql runner, which gives it a transaction unless it cannot have one. */
  sqlRunner?: boolean;
  /** The SQL starts inside a transaction opened before it (Alembic's offline output). */
  startsInTransaction?: boolean;
  /** The file is added by the change being linted (known only when there is a base to compare with). */
  newInChange?: boolean;
}

interface SuppressionComment {
  comment: SqlComment;
  rules: string[];
  reason: string;
  /** Rule ids that silenced a finding. */
  used: Set<string>;
}

function reasonAfter(text: string, from: number): string {
  return text
    .slice(from)
    .replace(/\*\/\s*$/, "")
    .replace(/^[\s:—–-]+/, "")
    .trim();
}

function suppressionsIn(comments: SqlComment[]): SuppressionComment[] {
  const out: SuppressionComment[] = [];
  for (const comment of comments) {
    const match = SUPPRESSION.exec(comment.text);
    if (!match?.[1]) continue;
    out.push({
      comment,
      rules: match[1].split(",").map((id) => id.trim().toLowerCase()),
      reason: reasonAfter(comment.text, match.index + match[0].length),
      used: new Set(),
    });
  }
  return out;
}

/**
 * A comment applies to a statement when it sits between the previous statement's last line and this
 * statement's last line (above it, or trailing on its line).
 */
function appliesTo(
  suppression: SuppressionComment,
  statement: ParsedStatement,
  previousEndLine: number,
): boolean {
  const line = suppression.comment.line;
  return line > previousEndLine && line <= statement.endLine;
}

/** Rules by the statement kind they look at; `*` rules look at every statement. */
function rulesByKind(): Map<string, Rule[]> {
  const byKind = new Map<string, Rule[]>();
  const everywhere = RULES.filter((r) => r.nodes.includes("*"));
  for (const rule of RULES) {
    for (const kind of rule.nodes) {
      if (kind === "*") continue;
      if (!byKind.has(kind)) byKind.set(kind, [...everywhere]);
      byKind.get(kind)?.push(rule);
    }
  }
  // Keep each kind's rules in the README order, so findings on one line come out in that order.
  for (const [kind, rules] of byKind)
    byKind.set(
      kind,
      RULES.filter((r) => rules.includes(r)),
    );
  byKind.set("*", everywhere);
  return byKind;
}

let dispatch: Map<string, Rule[]> | undefined;

/**
 * PostgreSQL cuts names at 63 bytes. A file without a run of 60 name characters (or any multi-byte
 * character) cannot have such a name, and identifier-too-long need not look. One pass, no regex:
 * this runs on every file.
 */
export function mayHaveLongNames(sql: string): boolean {
  let run = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql.charCodeAt(i);
    if (c > 0x7f) return true;
    const word =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x39) ||
      c === 0x5f ||
      c === 0x24;
    run = word ? run + 1 : 0;
    if (run >= 60) return true;
  }
  return false;
}

export class MigrationLinter {
  readonly #parser: SqlParser;
  readonly #levels: RuleLevels;
  readonly #options: ResolvedLintOptions;
  readonly #run: RunState = newRunState();
  readonly #dispatch: Map<string, Rule[]>;

  constructor(
    parser: SqlParser,
    levels: RuleLevels = {},
    options: LintOptions = { runnerSetsLockTimeout: false },
  ) {
    this.#parser = parser;
    this.#levels = levels;
    this.#options = resolveLintOptions(options);
    dispatch ??= rulesByKind();
    this.#dispatch = dispatch;
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
    this.#reportUnknownSuppressions(suppressions, findings);

    const file = newFileState(
      {
        statements: parsed.statements,
        wholeFileTransaction: input.wholeFileTransaction,
        implicitTransaction: input.implicitTransaction ?? false,
        sqlRunner: input.sqlRunner ?? false,
        startsInTransaction: input.startsInTransaction ?? false,
        newInChange: input.newInChange ?? false,
        mayHaveLongNames: mayHaveLongNames(input.sql),
      },
      this.#run,
    );
    const record = (
      rule: RuleInfo,
      hits: readonly RuleHit[],
      statement: ParsedStatement | undefined,
      silencing: SuppressionComment[],
    ): void => {
      if (hits.length === 0) return;
      if (rule.destructive || hits.some((h) => h.destructive)) destructive = true;
      const level = this.#level(rule);
      if (level === "off") return;
      for (const hit of hits) {
        const silencer = silencing.find((s) => s.rules.includes(rule.id));
        if (silencer) {
          silencer.used.add(rule.id);
          suppressed++;
          continue;
        }
        const line = hit.line ?? statement?.lineAt(hit.location) ?? 1;
        findings.push({
          rule: rule.id,
          severity: level,
          line,
          message: `${hit.message} ${rule.explanation}`,
          fix: rule.safeAlternative,
        });
      }
    };

    let previousEndLine = 0;
    const silencingAt: SuppressionComment[][] = [];
    for (const statement of parsed.statements) {
      const silencing =
        suppressions.length === 0
          ? suppressions
          : suppressions.filter((s) => appliesTo(s, statement, previousEndLine));
      silencingAt.push(silencing);
      const context: RuleContext = { statement, file, run: this.#run, options: this.#options };
      const rules = this.#dispatch.get(kindOf(statement.node)) ?? this.#dispatch.get("*") ?? [];
      for (const rule of rules) record(rule, rule.check(context), statement, silencing);
      advanceState(statement, file, this.#run);
      previousEndLine = statement.endLine;
    }
    for (const rule of RULES) {
      if (!rule.finish) continue;
      const hits = rule.finish({ file, run: this.#run, options: this.#options });
      // A finding about the file is silenced by a comment on the statement at its line.
      const at = parsed.statements.findIndex((s) => hits.some((h) => h.line === s.line));
      record(rule, hits, parsed.statements[at], at >= 0 ? (silencingAt[at] ?? []) : []);
    }
    finishFile(file, this.#run, input.newInChange ?? false);
    this.#reportUnusedSuppressions(suppressions, findings);

    findings.sort((a, b) => a.line - b.line || (a.column ?? 0) - (b.column ?? 0));
    const report: MigrationReport = {
      file: input.file,
      version: input.version,
      statements: parsed.statements.length,
      destructive,
      findings,
      suppressed,
    };
    const used: Suppression[] = suppressions.flatMap((s) =>
      [...s.used].map((rule) => ({ rule, line: s.comment.line, reason: s.reason })),
    );
    if (used.length > 0) report.suppressions = used;
    return report;
  }

  #reportUnknownSuppressions(suppressions: SuppressionComment[], findings: Finding[]): void {
    const level = this.#level(INVALID_SUPPRESSION_RULE);
    if (level === "off") return;
    for (const s of suppressions) {
      const unknown = s.rules.filter((id) => !RULE_IDS.includes(id));
      if (unknown.length === 0) continue;
      findings.push({
        rule: INVALID_SUPPRESSION_RULE.id,
        severity: level,
        line: s.comment.line,
        message: `The ${SUPPRESSION_MARKER} comment names ${unknown.map((id) => `"${id}"`).join(", ")}, which ${unknown.length === 1 ? "is not a rule" : "are not rules"}.`,
        fix: INVALID_SUPPRESSION_RULE.safeAlternative,
      });
    }
  }

  #reportUnusedSuppressions(suppressions: SuppressionComment[], findings: Finding[]): void {
    const level = this.#level(UNUSED_SUPPRESSION_RULE);
    if (level === "off") return;
    const engine = new Set([INVALID_SUPPRESSION_RULE.id, UNUSED_SUPPRESSION_RULE.id]);
    for (const s of suppressions) {
      const unused = s.rules.filter((id) => {
        if (!RULE_IDS.includes(id) || engine.has(id) || s.used.has(id)) return false;
        // A rule turned off cannot fire, so naming it is not stale.
        const rule = RULES.find((r) => r.id === id);
        return rule === undefined || this.#level(rule) !== "off";
      });
      if (unused.length === 0) continue;
      findings.push({
        rule: UNUSED_SUPPRESSION_RULE.id,
        severity: level,
        line: s.comment.line,
        message: `The ${SUPPRESSION_MARKER} comment names ${unused.join(", ")}, but nothing it covers breaks ${unused.length === 1 ? "that rule" : "those rules"}. ${UNUSED_SUPPRESSION_RULE.explanation}`,
        fix: UNUSED_SUPPRESSION_RULE.safeAlternative,
      });
    }
  }
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
