// The demo's story, as GitHub would run it for the shop: each release is merged to main (the deploy
// workflow's build job builds the commit's image), then tagged (the whole deploy workflow: promote the
// image, approve, migrate, deploy, gate, roll back when bad, release notes). v1.0.0 goes out; v1.1.0 is
// bad and is rolled back.
import { execFileSync } from "node:child_process";
import { ROOT } from "../../test/repo/layout";
import { simulatorEnv } from "../../test/sim/index";
import type { ShopRelease } from "./shop-repo";
import { type RunnerEvent, runWorkflow, type StepRecord, type WorkflowRun } from "./workflow-runner";
import {
  ACCOUNT,
  CLUSTER,
  DB_INSTANCE,
  GITHUB_TOKEN,
  REPOSITORY,
  SERVICE,
  TARGET_GROUP_ARN,
  type World,
} from "./world";

export const WORKFLOW = ".github/workflows/deploy.yml";
export const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/shop-deploy-production`;
export const BUILD_ROLE = `arn:aws:iam::${ACCOUNT}:role/shop-build`;
/** Where job.workflow_repository says the reusable workflow lives (this checkout stands in for it). */
export const SHIPLINE_REPOSITORY = "acme/shipline";

export interface StoryRun {
  /** "push main" or "tag v1.0.0". */
  trigger: string;
  release: ShopRelease;
  run: WorkflowRun;
}

export interface StoryResult {
  runs: StoryRun[];
  steps: StepRecord[];
}

export interface StoryOptions {
  outputDir: string;
  onEvent?(event: RunnerEvent): void;
  onTrigger?(trigger: string, release: ShopRelease): void;
  onLine?(step: StepRecord, line: string): void;
}

/** The `with:` a caller workflow passes (examples/workflows/deploy-production.yml, pointed at the demo). */
export function callerInputs(world: World, release: ShopRelease): Record<string, string | boolean> {
  return {
    environment: "production",
    "environment-url": world.balancer.url,
    "aws-region": world.sim.region,
    "role-to-assume": DEPLOY_ROLE,
    "build-role-to-assume": BUILD_ROLE,
    "ecr-repository": REPOSITORY,
    "build-args": `VERSION=${release.sha}`,
    cluster: CLUSTER,
    services: SERVICE,
    container: "web",
    "task-definition": "deploy/task-definition.json",
    "deploy-poll-interval": "500ms",
    "migration-mode": "sql",
    "migrations-glob": "db/migrations/*.sql",
    backup: "always",
    "db-instance-identifier": DB_INSTANCE,
    "base-url": world.balancer.url,
    "health-urls": "/health",
    "json-assertions": "status=ok",
    "version-header": "x-service-version",
    "target-group-arns": TARGET_GROUP_ARN,
    "metrics-urls": world.balancer.metricsUrl,
    "probe-interval": "1s",
    soak: "6s",
    "gate-timeout": "90s",
  };
}

function shiplineSha(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return "0".repeat(40);
  }
}

/**
 * The push webhook's payload for a merge that made `releases[index]` the head of main: `before` is
 * the previous head (all zeros for the first push of the branch), which migrate compares with.
 */
export function pushPayload(releases: readonly ShopRelease[], index: number): Record<string, unknown> {
  const release = releases[index];
  if (!release) throw new Error(`no release ${index}`);
  return {
    ref: "refs/heads/main",
    before: releases[index - 1]?.sha ?? "0".repeat(40),
    after: release.sha,
  };
}

/**
 * The deploy workflow for the merge that made `releases[index]` main's head, run as a push to main
 * (the staging caller's trigger), with the release checked out.
 */
export async function runMergeToMain(
  world: World,
  index: number,
  options: { inputs: Record<string, string | boolean>; outputDir: string; runId: number },
): Promise<WorkflowRun> {
  const release = world.shop.releases[index];
  if (!release) throw new Error(`no release ${index}`);
  world.shop.repo.git(["checkout", "-q", "--detach", release.sha]);
  return runWorkflow({
    workflow: WORKFLOW,
    inputs: options.inputs,
    secrets: { DATABASE_URL: world.databaseUrl },
    github: {
      repository: "acme/shop",
      sha: release.sha,
      ref: "refs/heads/main",
      eventName: "push",
      event: pushPayload(world.shop.releases, index),
      token: GITHUB_TOKEN,
      apiUrl: world.github.url,
    },
    workspace: world.shop.repo.dir,
    shipline: { repository: SHIPLINE_REPOSITORY, sha: "0".repeat(40) },
    credentials: (_role, region) => ({ ...simulatorEnv(world.sim), AWS_REGION: region }),
    env: world.actionEnv,
    mark: () => world.sim.calls.length,
    outputDir: options.outputDir,
    filePrefix: `${index + 1}-push-main`,
    runId: options.runId,
  });
}

export async function runStory(world: World, options: StoryOptions): Promise<StoryResult> {
  const result: StoryResult = { runs: [], steps: [] };
  const shipline = { repository: SHIPLINE_REPOSITORY, sha: shiplineSha() };
  for (const [index, release] of world.shop.releases.entries()) {
    for (const [trigger, ref, jobs] of [
      ["push main", "refs/heads/main", ["build"]],
      [`tag ${release.tag}`, `refs/tags/${release.tag}`, undefined],
    ] as const) {
      options.onTrigger?.(trigger, release);
      world.shop.repo.git(["checkout", "-q", "--detach", release.sha]);
      const runNumber = result.runs.length + 1;
      const run = await runWorkflow({
        workflow: WORKFLOW,
        inputs: callerInputs(world, release),
        secrets: { DATABASE_URL: world.databaseUrl },
        github: {
          repository: "acme/shop",
          sha: release.sha,
          ref,
          eventName: "push",
          token: GITHUB_TOKEN,
          apiUrl: world.github.url,
          ...(ref === "refs/heads/main" ? { event: pushPayload(world.shop.releases, index) } : {}),
        },
        workspace: world.shop.repo.dir,
        shipline,
        ...(jobs ? { jobs: [...jobs] } : {}),
        credentials: (_role, region) => ({ ...simulatorEnv(world.sim), AWS_REGION: region }),
        env: world.actionEnv,
        mark: () => world.sim.calls.length,
        outputDir: options.outputDir,
        filePrefix: `${runNumber}-${trigger.replace(/[^a-z0-9.]+/gi, "-")}`,
        runId: 4200 + runNumber,
        ...(options.onEvent ? { onEvent: options.onEvent } : {}),
        ...(options.onLine ? { onLine: options.onLine } : {}),
      });
      result.runs.push({ trigger, release, run });
      result.steps.push(...run.steps);
    }
  }
  return result;
}

/** What must have happened for the story to count as told; each problem is one line. */
export function storyProblems(world: World, story: StoryResult): string[] {
  const problems: string[] = [];
  const tagRun = (tag: string) => story.runs.find((r) => r.trigger === `tag ${tag}`)?.run;
  const first = tagRun("v1.0.0");
  const second = tagRun("v1.1.0");
  const step = (run: WorkflowRun | undefined, id: string) => run?.steps.find((s) => s.id === id);
  if (step(first, "gate")?.outputs.verdict !== "pass") problems.push("v1.0.0: the health gate did not pass");
  if (first?.jobs["release-notes"]?.result !== "success") problems.push("v1.0.0: no release notes");
  if (world.variant === "bad-release") {
    if (step(second, "deploy")?.outcome !== "success")
      problems.push("v1.1.0: ECS did not roll the bad version out");
    if (step(second, "gate")?.outputs.verdict !== "fail")
      problems.push("v1.1.0: the health gate did not fail");
  } else if (step(second, "deploy")?.outcome !== "failure") {
    problems.push("v1.1.0: ecs-deploy did not fail on the crashing version");
  }
  if (step(second, "rollback")?.outputs["rolled-back"] !== "true") problems.push("v1.1.0: no rollback");
  if (step(second, "gate-after-rollback")?.outputs.verdict !== "pass")
    problems.push("v1.1.0: the health gate did not pass after the rollback");
  if (second?.jobs["release-notes"]?.result !== "success") problems.push("v1.1.0: no release notes");
  const serving = world.runtime.processes();
  const expected = world.shop.releases[0]?.sha;
  if (serving.length === 0 || serving.some((p) => p.version !== expected))
    problems.push(
      `the service does not serve v1.0.0 only: ${serving.map((p) => p.version.slice(0, 7)).join(", ")}`,
    );
  return problems;
}
