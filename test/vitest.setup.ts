// Test files share their worker's module cache (`isolate: false` in vitest.config.ts): loading the
// AWS SDK, the simulator and the rig once per worker instead of once per file halves the suite's
// CPU time. So whatever a file changed in the process beyond its own modules is undone when it
// ends: environment variables and globals stubbed with vi, spies and fake timers.
import { afterAll, vi } from "vitest";

afterAll(() => {
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
});
