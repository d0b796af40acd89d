// The gate's decision over its judged checks: the verdict, and the one reason a person reads first.
import { describe, expect, it } from "vitest";
import { decideGate, type GateEnding } from "../../../../packages/core/src/health/gate";
import type { CheckResult, Verdict } from "../../../../packages/core/src/health/verdict";

function check(name: string, status: Verdict, summary = `${name} is ${status}`): CheckResult {
  return { name, kind: "metric", status, summary, measurements: [] };
}

function decide(checks: CheckResult[], ending: GateEnding, triggers: string[] = []) {
  return decideGate(checks, { ending, triggers, durationMs: 95_000, timeoutMs: 600_000 });
}

describe("decideGate", () => {
  it("passes when every check passed, saying how many over how long", () => {
    expect(decide([check("probe a", "pass"), check("error rate", "pass")], "ready")).toEqual({
      verdict: "pass",
      reason: "all 2 checks passed over 1m35s",
      failedChecks: [],
      inconclusiveChecks: [],
    });
  });

  it("names the check that ended the watch, even when another failed check comes first", () => {
    const decision = decide(
      [
        check("probe a", "fail", "3 failures in a row"),
        check("error rate", "fail", "9 % over 1200 requests"),
      ],
      "failed",
      ["error rate"],
    );
    expect(decision.verdict).toBe("fail");
    expect(decision.reason).toBe("error rate: 9 % over 1200 requests");
    expect(decision.failedChecks).toEqual(["probe a", "error rate"]);
  });

  it("fails over an inconclusive check, naming the first failed one when nothing triggered", () => {
    const decision = decide(
      [check("target health web", "inconclusive"), check("served version", "fail", "serves v1")],
      "timeout",
    );
    expect(decision).toMatchObject({
      verdict: "fail",
      reason: "served version: serves v1",
      inconclusiveChecks: ["target health web"],
    });
  });

  it("says the checks did not settle when the timeout leaves the gate inconclusive", () => {
    expect(
      decide([check("p95 latency", "inconclusive", "12 requests, fewer than 20")], "timeout").reason,
    ).toBe("the checks did not settle within the timeout of 10m; p95 latency: 12 requests, fewer than 20");
  });

  it("is inconclusive, never a pass, with no check at all", () => {
    expect(decide([], "ready")).toMatchObject({
      verdict: "inconclusive",
      reason: "no check could be judged",
    });
  });
});
