// migrate's README tables generated from the lint rules themselves: every rule with its level, lock,
// why it hurts and the safe alternative; and squawk's rules against shipline's.
import { ALL_RULES } from "../../packages/core/src/migrations/rules";
import { SQUAWK_GAPS, SQUAWK_RULES } from "../../packages/core/src/migrations/rules/squawk";
import { code, escapeCell, table } from "./markdown";

export function lintRulesTable(): string {
  const rows = ALL_RULES.map((rule) => [
    code(rule.id),
    `${rule.defaultSeverity}${rule.destructive ? ", **destructive**" : ""}`,
    escapeCell(rule.title),
    escapeCell(rule.lock),
    escapeCell(rule.versions ? `${rule.explanation} _Versions:_ ${rule.versions}` : rule.explanation),
    escapeCell(rule.safeAlternative),
  ]);
  return table(["Rule", "Level", "Reports", "Lock", "Why it hurts", "Safe alternative"], rows);
}

const RELATION_WHY = {
  same: "reports the same statements",
  stricter: "reports more",
  narrower: "reports fewer, on purpose",
};

/** One row per squawk rule: the shipline rules that cover it, how, and why. */
export function squawkConformanceRows(): {
  squawk: string;
  shipline: string[];
  status: string;
  why: string;
}[] {
  return SQUAWK_RULES.map((squawk) => {
    const matches = ALL_RULES.flatMap((rule) =>
      (rule.squawk ?? []).filter((m) => m.rule === squawk).map((m) => ({ id: rule.id, ...m })),
    );
    const gap = SQUAWK_GAPS[squawk];
    if (matches.length === 0) {
      return { squawk, shipline: [], status: gap?.status ?? "missing", why: gap?.why ?? "" };
    }
    const relations = [...new Set(matches.map((m) => m.relation))];
    return {
      squawk,
      shipline: matches.map((m) => m.id),
      status: relations.join(", "),
      why: matches.map((m) => m.note ?? RELATION_WHY[m.relation]).join("; "),
    };
  });
}

export function squawkConformanceTable(): string {
  const rows = squawkConformanceRows().map((row) => [
    code(row.squawk),
    row.shipline.length > 0 ? row.shipline.map(code).join(", ") : "—",
    row.status,
    escapeCell(row.why),
  ]);
  return table(["squawk rule", "shipline rule", "Status", "Why"], rows);
}

/** Tables the docs generator writes between `<!-- action-docs:<key>:... -->` markers of an action's README. */
export const LINT_DOC_TABLES: readonly { action: string; key: string; render: () => string }[] = [
  { action: "migrate", key: "lint-rules", render: lintRulesTable },
  { action: "migrate", key: "squawk-conformance", render: squawkConformanceTable },
];
