// What a health report means for the step: a fail verdict fails it with the failed checks, an
// inconclusive one fails or passes by the caller's policy, a pass passes quietly.
import { describe, expect, it } from "vitest";
import { concludeGate } from "../../../../packages/core/src/health/conclusion";
import type { CheckResult, HealthReport, Verdict } from "../../../../packages/core/src/health/verdict";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { defaultGateSettings } from "../../health-gate/fakes";

function check(name: string, status: Verdict, summary: string): CheckResult {
  return { name, kind: "probe", status, summary, measurements: [] };
}

function report(verdict: Verdict, checks: CheckResult[]): HealthReport {
  return {
    verdict,
    reason: "scripted",
    startedAt: "2025-01-01T00:00:00.000Z",
    finishedAt: "2025-01-01T00:01:00.000Z",
    durationMs: 60_000,
    soakStartedAt: "2025-01-01T00:00:00.000Z",
    expectedVersion: null,
    settings: defaultGateSettings(),
    checks,
    failedChecks: checks.filter((c) => c.status === "fail").map((c) => c.name),
    inconclusiveChecks: checks.filter((c) => c.status === "inconclusive").map((c) => c.name),
  };
}

describe("concludeGate", () => {
  it("passes a pass verdict with neither a failure nor a warning, whatever the policy", () => {
    const passed = report("pass", [check("probe http://a.test/health", "pass", "200 ok")]);
    expect(concludeGate(passed, "fail")).toEqual({});
    expect(concludeGate(passed, "pass")).toEqual({});
  });

  it("fails a fail verdict naming each failed check with its evidence, and says to roll back", () => {
    const failed = report("fail", [
      check("probe http://a.test/health", "pass", "200 ok"),
      check("error rate (metrics endpoint)", "fail", "9 % over 1200 requests, must be <= 5 %"),
      check("smoke: checkout", "fail", "POST /checkout: status 500"),
    ]);
    const { failure, warning } = concludeGate(failed, "pass");
    expect(warning).toBeUndefined();
    expect(failure).toBeInstanceOf(UserError);
    expect(failure?.message).toBe(
      "health-gate: the deployment failed 2 checks.\n- error rate (metrics endpoint): 9 % over 1200 requests, must be <= 5 %\n- smoke: checkout: POST /checkout: status 500",
    );
    expect(failure?.fix).toMatch(/^Roll back \(shipline auto-rollback with this step's `report`\)/);
  });

  it("says check, not checks, when one check failed", () => {
    const failed = report("fail", [check("served version", "fail", "served v1, expected v2")]);
    expect(concludeGate(failed, "fail").failure?.message).toMatch(
      /^health-gate: the deployment failed 1 check\.\n/,
    );
  });

  it("refuses an inconclusive gate under on-inconclusive fail, naming the input and the checks that lacked evidence", () => {
    const unsure = report("inconclusive", [
      check("probe http://a.test/health", "pass", "200 ok"),
      check("error rate (metrics endpoint)", "inconclusive", "12 requests, fewer than 20"),
    ]);
    const { failure, warning } = concludeGate(unsure, "fail");
    expect(warning).toBeUndefined();
    expect(failure?.input).toBe("on-inconclusive");
    expect(failure?.message).toBe(
      "health-gate: not enough evidence to call the deployment healthy.\n- error rate (metrics endpoint): 12 requests, fewer than 20",
    );
  });

  it("accepts an inconclusive gate under on-inconclusive pass with a warning that lists the checks", () => {
    const unsure = report("inconclusive", [check("target health web", "inconclusive", "never read")]);
    expect(concludeGate(unsure, "pass")).toEqual({
      warning:
        "health-gate: inconclusive, accepted because on-inconclusive is pass.\n- target health web: never read",
    });
  });
});
