// Test files share their worker's module cache (`isolate: false` in vitest.config.ts): loading the
// AWS SDK, the simulator and the rig once per worker instead of once per file halves the suite's
// CPU time. So whatever a file changed in the process beyond its own modules is undone when it
// ends: environment variables and globals stubbed with vi, spies and fake timers.
//
// The fakes are checked against the real APIs' own descriptions: every simulator answer against the
// AWS SDK's model of its operation (test/sim/framework/model-check.ts), every exchange with the fake
// GitHub against GitHub's REST API description (test/rig/github-openapi-check.ts). A drift fails the
// test during which it happened; those of a file's beforeAll fail its first test, those of its
// afterAll the file.
import { afterAll, afterEach, vi } from "vitest";
import { assertNoUnreportedDrifts } from "./rig/github-openapi-check";
import { formatDrifts } from "./sim/framework/model-check";
import { takeUnreportedModelDrifts } from "./sim/simulator";

function failOnModelDrifts(when: string): void {
  const drifts = takeUnreportedModelDrifts();
  if (drifts.length === 0) return;
  throw new Error(
    `the AWS simulator answered off the AWS SDK's model ${when} (${drifts.length} drift${drifts.length === 1 ? "" : "s"}):\n` +
      `${formatDrifts(drifts.slice(0, 20))}\n` +
      "Fix the simulator; an override that answers off the model on purpose sets `offModel: true`.",
  );
}

afterEach(() => {
  failOnModelDrifts("during this test");
  assertNoUnreportedDrifts();
});

afterAll(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
  failOnModelDrifts("in this file's hooks");
  assertNoUnreportedDrifts();
});
