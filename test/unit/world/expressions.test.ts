// The workflow runner's expressions: `${{ }}` templates and `if:` conditions as the Actions
// runner evaluates them, including the implicit success() of a condition without a status function.
import { describe, expect, it } from "vitest";
import { condition, evaluateValue, interpolate } from "../../world/runner/expressions";

const context = {
  github: { ref: "refs/tags/v1.1.0", sha: "abc" },
  inputs: { container: "web", "migration-mode": "none", "release-notes": true },
  needs: { build: { result: "success", outputs: { image: "repo@sha256:1" } } },
  steps: {
    deploy: { outcome: "success", outputs: {} },
    gate: { outcome: "failure", outputs: { verdict: "fail" } },
  },
};
const ok = { failed: false };
const failed = { failed: true };

describe("interpolate", () => {
  it.each([
    [`\${{ inputs.container }}=\${{ needs.build.outputs.image }}`, "web=repo@sha256:1"],
    [`\${{ startsWith(github.ref, 'refs/tags/') && 'promote' || 'build' }}`, "promote"],
    [`\${{ steps.gate.outputs.verdict != 'pass' }}`, "true"],
    [`\${{ steps.migrate.outputs.destructive }}`, ""],
    ["plain text", "plain text"],
  ])("%s gives %j", (template, expected) => {
    expect(interpolate(template, context, ok)).toBe(expected);
  });
});

describe("condition", () => {
  it.each([
    ["no condition, nothing failed", undefined, ok, true],
    ["no condition, a step failed", undefined, failed, false],
    ["a plain condition is success() && it", "inputs.migration-mode != 'none'", failed, false],
    ["a plain condition that is false", "inputs.migration-mode != 'none'", ok, false],
    [
      "failure() with the gate's fail verdict",
      "failure() && (steps.deploy.outcome == 'failure' || steps.gate.outputs.verdict == 'fail')",
      failed,
      true,
    ],
    ["always() runs after a failure", "always() && inputs.release-notes", failed, true],
    [`wrapped in \${{ }}`, `\${{ failure() }}`, ok, false],
  ] as const)("%s", (_, expression, status, expected) => {
    expect(condition(expression, context, status)).toBe(expected);
  });
});

describe("evaluateValue", () => {
  it.each([
    ["a whole boolean expression stays a boolean", `\${{ inputs.release-notes }}`, true],
    ["a whole comparison is a boolean", `\${{ inputs.container == 'web' }}`, true],
    ["a whole number expression stays a number", `\${{ 3 }}`, 3],
    ["a whole string expression is a string", `\${{ inputs.container }}`, "web"],
    ["a template among text is a string", `x-\${{ inputs.release-notes }}`, "x-true"],
    ["two templates make a string", `\${{ inputs.container }}\${{ 1 }}`, "web1"],
    ["a missing value is empty", `\${{ steps.migrate.outputs.destructive }}`, ""],
    ["plain text stays as written", "web", "web"],
    ["a YAML boolean stays a boolean", false, false],
  ] as const)("%s", (_, value, expected) => {
    expect(evaluateValue(value, context, ok)).toBe(expected);
  });
});
