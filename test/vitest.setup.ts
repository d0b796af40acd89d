// Test files share their worker's module cache (`isolate: false` in vitest.config.ts): loading the
// AWS SDK, the simulator and the rig once per worker instead of once per file halves the suite's
// CPU time. So whatever a file changed in the process beyond its own modules is undone when it
// ends: environment variables and globals stubbed with vi, spies and fake timers.
//
// Every simulator answer is checked against the AWS SDK's model of its operation
// (test/sim/framework/model-check.ts); a drift fails the test during which the simulator answered.
import { afterAll, afterEach, vi } from "vitest";
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

afterEach(() => failOnModelDrifts("during this test"));

afterAll(() => {
  failOnModelDrifts("in this file's hooks");
});

afterAll(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
});
