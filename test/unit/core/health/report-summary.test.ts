import { describe, expect, it } from "vitest";
import { runHealthGate } from "../../../../packages/core/src/health/gate";
import { parseStatusMatcher } from "../../../../packages/core/src/health/probe";
import { writeHealthSummary } from "../../../../packages/core/src/health/report-summary";
import { parseHealthReport } from "../../../../packages/core/src/health/verdict";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import { SummaryBuilder } from "../../../../packages/core/src/runtime/summary";
import {
  defaultGateSettings,
  errorRateDefinition,
  fakeHttp,
  latencyDefinition,
  scriptedSource,
} from "../../health-gate/fakes";

async function failingReport() {
  const clock = new SimulatedClock();
  const start = clock.now();
  const http = fakeHttp(clock, () => ({ status: 200, body: { status: "ok" } }));
  const source = scriptedSource([errorRateDefinition, latencyDefinition], (window) => {
    const seconds = (window.endMs - window.startMs) / 1000;
    return [
      { value: seconds >= 20 ? 0.09 : 0.01, requests: 40 * seconds },
      { value: 0.25, requests: 40 * seconds },
    ];
  });
  return runHealthGate(
    {
      settings: defaultGateSettings(),
      probes: [
        {
          url: "http://shop.test/health",
          expectedStatus: parseStatusMatcher(["200"]),
          jsonAssertions: [],
          timeoutMs: 2_000,
        },
      ],
      smokeTests: [],
      smokeSecrets: {},
      targetGroupArns: [],
      metricSources: [source],
    },
    { http, clock, logger: new RecordingLogger() },
  ).then((report) => ({ report, start }));
}

describe("writeHealthSummary", () => {
  it("shows the verdict, a row per check and a chart per metric with its threshold", async () => {
    const { report } = await failingReport();
    expect(report.verdict).toBe("fail");
    const markdown = new SummaryBuilder();
    writeHealthSummary(markdown, report);
    const text = markdown.toMarkdown();
    expect(text).toContain("## health-gate: ❌ fail");
    expect(text).toContain(
      "| error rate (test) | ❌ fail | 9 % | <= 5 % | 9 % over 1200 requests, must be <= 5 % (3 readings in a row) |",
    );
    expect(text).toContain("| probe http://shop.test/health | ✅ pass | 200 | status 200 |");
    expect(text).toContain(
      "| p95 latency (test) | ⚠️ inconclusive | 250 ms | <= 2 s | the soak did not complete (30s of 1m)",
    );
    // Readings at 5 s to 30 s since the soak opened; the threshold is the flat second line.
    expect(text).toContain('title "error rate (test) over the soak (flat line: threshold)"');
    expect(text).toContain('x-axis ["5s", "10s", "15s", "20s", "25s", "30s"]');
    expect(text).toContain("line [1, 1, 1, 9, 9, 9]");
    expect(text).toContain("line [5, 5, 5, 5, 5, 5]");
    expect(text).toContain('y-axis "ms" 0 --> 2200');
    expect(text).toContain("<details><summary>Failed measurements</summary>");
  });

  it("round-trips through the report output", async () => {
    const { report } = await failingReport();
    const parsed = parseHealthReport(JSON.stringify(report));
    expect(parsed.failedChecks).toEqual(["error rate (test)"]);
    expect(() => parseHealthReport('{"verdict":"maybe","checks":[]}')).toThrow(/no verdict/);
  });
});
