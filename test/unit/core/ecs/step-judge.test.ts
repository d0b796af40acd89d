// The verdict on one step of a native deployment, from the evidence the watcher read.
import { describe, expect, it } from "vitest";
import { exposureOf, judgeStep, type StepCriteria } from "../../../../packages/core/src/ecs/step-judge";

const criteria: StepCriteria = { errorRateMargin: 0.02, latencyRatio: 1.5, minRequests: 20 };
const healthy = { requests: 1000, errors: 1, p95Seconds: 0.12 };

describe("judgeStep", () => {
  it("waits while the new revision has served fewer requests than it takes to judge", () => {
    const judged = judgeStep(
      { canary: { requests: 19, errors: 19, p95Seconds: 5 }, stable: healthy },
      criteria,
    );
    expect(judged.verdict).toBe("wait");
    expect(judged.findings[0]).toMatch(/served 19 request\(s\), fewer than 20/);
  });

  it("fails a canary whose error rate exceeds the stable one's by more than the margin", () => {
    const judged = judgeStep(
      { canary: { requests: 50, errors: 15, p95Seconds: 0.12 }, stable: healthy },
      criteria,
    );
    expect(judged.verdict).toBe("fail");
    expect(judged.findings[0]).toMatch(
      /error rate 30\.0 % \(15\/50\) vs stable 0\.10 %, limit 2\.1 %: too high/,
    );
  });

  it("passes a canary within the margin of a stable revision that errs too", () => {
    const stable = { requests: 1000, errors: 50, p95Seconds: 0.1 };
    const judged = judgeStep({ canary: { requests: 100, errors: 6, p95Seconds: 0.1 }, stable }, criteria);
    expect(judged.verdict).toBe("pass");
  });

  it("fails a canary slower than the latency ratio allows", () => {
    const judged = judgeStep(
      { canary: { requests: 100, errors: 0, p95Seconds: 0.4 }, stable: healthy },
      criteria,
    );
    expect(judged.verdict).toBe("fail");
    expect(judged.findings.at(-1)).toMatch(/p95 400 ms vs stable 120 ms, limit 180 ms: too slow/);
  });

  it("compares with the baseline once the stable revision no longer serves enough requests", () => {
    const judged = judgeStep(
      {
        canary: { requests: 1000, errors: 40, p95Seconds: 0.1 },
        stable: { requests: 2, errors: 0, p95Seconds: 0.1 },
        baseline: { requests: 5000, errors: 250, p95Seconds: 0.1 },
      },
      criteria,
    );
    // 4 % against the baseline's 5 %: fine, although the last two stable requests had no error.
    expect(judged.verdict).toBe("pass");
  });

  it("fails on a majority of failed test-listener probes, not on one lost request", () => {
    expect(judgeStep({ probes: { passed: 2, failed: 1 } }, criteria).verdict).toBe("pass");
    const failed = judgeStep(
      { probes: { passed: 1, failed: 2, lastFailure: "503 from http://t/health" } },
      criteria,
    );
    expect(failed.verdict).toBe("fail");
    expect(failed.findings).toEqual(["test-listener probes 2/3 failed (503 from http://t/health)"]);
  });

  it("fails when one of the caller's alarms is in ALARM, whatever the metrics say", () => {
    const judged = judgeStep({ firingAlarms: ["web-5xx"], canary: healthy, stable: healthy }, criteria);
    expect(judged.verdict).toBe("fail");
    expect(judged.findings[0]).toBe("alarm web-5xx in ALARM");
  });

  it("waits with no evidence at all", () => {
    expect(judgeStep({}, criteria)).toEqual({ verdict: "wait", findings: [] });
  });
});

describe("exposureOf", () => {
  it("is the share of all requests during the deployment that the new revision failed", () => {
    const exposure = exposureOf(
      { requests: 100, errors: 30, p95Seconds: 0.1 },
      { requests: 9900, errors: 9, p95Seconds: 0.1 },
      5,
    );
    expect(exposure).toEqual({ served: 100, failed: 30, total: 10000, failedShare: 0.003, weightAtStop: 5 });
  });
});
