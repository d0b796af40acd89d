// The scan gate as a value: a finished scan judged against the policy, ignore-list ids that matched
// nothing, and the failure of a gate that did not pass.
import { describe, expect, it } from "vitest";
import {
  judgeScanGate,
  type ScanResult,
  scanGateError,
  unmatchedIgnores,
  zeroCounts,
} from "../../../../packages/core/src/ecr/scan";

const DIGEST = `sha256:${"c".repeat(64)}`;
const gate = {
  policy: { threshold: "HIGH" as const, allowed: { HIGH: 1 } },
  ignore: ["CVE-1", "CVE-9"],
};

function result(partial: Partial<ScanResult>): ScanResult {
  return {
    status: "COMPLETE",
    description: undefined,
    counts: zeroCounts(),
    ignored: zeroCounts(),
    ignoredIds: [],
    findings: [],
    waitedMs: 30_000,
    ...partial,
  };
}

describe("judgeScanGate", () => {
  it("keeps the scan's counts and wait beside the verdict", () => {
    const outcome = judgeScanGate(
      result({
        counts: { ...zeroCounts(), HIGH: 2 },
        ignored: { ...zeroCounts(), CRITICAL: 1 },
        ignoredIds: ["CVE-1"],
      }),
      gate,
    );
    expect(outcome).toMatchObject({
      status: "COMPLETE",
      threshold: "HIGH",
      passed: false,
      reasons: ["2 high findings (allowed 1)"],
      ignoredIds: ["CVE-1"],
      waitedMs: 30_000,
    });
    expect(outcome.counts.HIGH).toBe(2);
    expect(outcome.ignored.CRITICAL).toBe(1);
    expect(outcome.rows.find((row) => row.severity === "HIGH")).toMatchObject({ allowed: 1, exceeded: true });
  });

  it("passes findings within what is allowed", () => {
    expect(judgeScanGate(result({ counts: { ...zeroCounts(), HIGH: 1, LOW: 7 } }), gate).passed).toBe(true);
  });
});

describe("unmatchedIgnores", () => {
  it("names ignore-list ids no finding of a settled scan matched", () => {
    expect(unmatchedIgnores(gate, judgeScanGate(result({ ignoredIds: ["CVE-1"] }), gate))).toEqual(["CVE-9"]);
  });

  it("says nothing of a scan that did not settle, whose findings are unknown", () => {
    expect(unmatchedIgnores(gate, judgeScanGate(result({ status: "FAILED" }), gate))).toEqual([]);
  });
});

describe("scanGateError", () => {
  it("names the image, the threshold input and the reasons", () => {
    const outcome = judgeScanGate(result({ counts: { ...zeroCounts(), CRITICAL: 1, HIGH: 3 } }), gate);
    const error = scanGateError(DIGEST, outcome);
    expect(error.input).toBe("scan-severity-threshold");
    expect(error.message).toBe(
      `The scan gate failed for sha256:${"c".repeat(12)}… (threshold high): 1 critical finding (allowed 0); 3 high findings (allowed 1).`,
    );
    expect(error.fix).toContain("scan-ignore");
  });
});
