// The migrate README documents every lint rule, generated from the rules, and compares every squawk
// rule with shipline's.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ALL_RULES, RULE_IDS } from "../../../../packages/core/src/migrations/rules";
import { SQUAWK_GAPS, SQUAWK_RULES } from "../../../../packages/core/src/migrations/rules/squawk";
import { lintRulesTable, squawkConformanceRows, squawkConformanceTable } from "../../../repo/lint-rule-docs";
import { ROOT } from "../../../rig/harness";

const readme = (): string => readFileSync(join(ROOT, "actions", "migrate", "README.md"), "utf8");

describe("the migrate README", () => {
  it("carries the rules table exactly as the rules generate it, one row per rule", () => {
    expect(readme()).toContain(lintRulesTable());
    for (const id of RULE_IDS) expect(readme(), id).toMatch(new RegExp(`^\\| \`${id}\` +\\|`, "m"));
  });

  it("carries the squawk conformance table exactly as the rules generate it", () => {
    expect(readme()).toContain(squawkConformanceTable());
  });
});

describe("squawk conformance", () => {
  it("accounts for every squawk rule: covered by a shipline rule, or marked not applicable or not covered with why", () => {
    const rows = squawkConformanceRows();
    expect(rows.map((r) => r.squawk)).toEqual(SQUAWK_RULES);
    for (const row of rows) {
      expect(row.status, row.squawk).not.toBe("missing");
      expect(row.why.length, row.squawk).toBeGreaterThan(10);
    }
  });

  it("names only squawk rules that exist, and explains a gap only where no shipline rule covers it", () => {
    const matched = new Set(ALL_RULES.flatMap((r) => (r.squawk ?? []).map((m) => m.rule)));
    for (const name of matched) expect(SQUAWK_RULES, name).toContain(name);
    for (const name of Object.keys(SQUAWK_GAPS)) {
      expect(SQUAWK_RULES, name).toContain(name);
      expect(matched.has(name), name).toBe(false);
    }
    expect(new Set(SQUAWK_RULES).size).toBe(SQUAWK_RULES.length);
  });

  it("covers every squawk rule that is on by default", () => {
    const defaults = SQUAWK_RULES.slice(0, SQUAWK_RULES.indexOf("ban-add-column"));
    const gaps = defaults.filter((name) => SQUAWK_GAPS[name]);
    // squawk's require-table-schema is opt-in too; it is listed with the default ones upstream.
    expect(gaps).toEqual(["require-table-schema"]);
  });
});
