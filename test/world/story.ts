// The story the demo tells and the end-to-end tests check, as GitHub would run it for the shop: each
// release is merged to main (the deploy workflow's build job builds the commit's image), then tagged
// (the whole deploy workflow: promote the image, approve, migrate, deploy, gate, roll back when bad,
// release notes). v1.0.0 goes out; v1.1.0 is bad and is rolled back. Also the runs the other tests
// make in the same world: a merge to main through the whole workflow, as the staging caller runs it.
import { execFileSync } from "node:child_process";
import { ROOT } from "../repo/layout";
import type { Scalar } from "../repo/workflow";
import { simulatorEnv } from "../sim/index";
import {
  ACCOUNT,
  CLOCK_FACTOR,
  CLUSTER,
  DB_INSTANCE,
  LOG_GROUP,
  REPOSITORY,
  SERVICE,
  TARGET_GROUP_ARN,
} from "./account";
import { type RunnerEvent, runWorkflow, type StepRecord, type WorkflowRun } from "./runner/run-workflow";
import type { ShopRelease } from "./shop-repo";
import { GITHUB_TOKEN, type World } from "./world";

export const WORKFLOW = ".github/workflows/deploy.yml";
export const DEPLOY_ROLE = `arn:aws:iam::${ACCOUNT}:role/shop-deploy-production`;
export const BUILD_ROLE = `arn:aws:iam::${ACCOUNT}:role/shop-build`;
/** Where job.workflow_repository says the reusable workflow lives (this checkout stands in for it). */
export const SHIPLINE_REPOSITORY = "acme/shipline";
/** The commit job.workflow_sha names where the story does not use this checkout's own. */
export const ANY_SHIPLINE_SHA = "0".repeat(40);

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
  /** What the world itself does during a run (the late failure switched on), for the timeline. */
  onNote?(text: string): void;
}

/** How long after v1.1.0's gate passed its bug shows (late-failure), in simulated time. */
export const LATE_FAILURE_AFTER_MS = 10 * 60_000;
/** The watch after the gate, in real time: 15 simulated minutes at the world's clock factor. */
export const WATCH = "45s";

/** The `with:` a caller workflow passes (examples/workflows/deploy-production.yml, pointed at the world). */
export function callerInputs(world: World, release: ShopRelease): Record<string, Scalar> {
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
    watch: WATCH,
    "watch-interval": "2s",
    "log-group": LOG_GROUP,
    // The world has one cluster: staging cannot run beside production, so no staging deployment can
    // prove the image; preflight's other checks (rollback target, migrations, window) run.
    "preflight-skip": "staging",
  };
}

/** This checkout's commit: where job.workflow_sha says the workflow file came from. */
function shiplineSha(): string {
  try {
    return execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    return ANY_SHIPLINE_SHA;
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

interface DeployRun {
  index: number;
  ref: string;
  inputs: Record<string, Scalar>;
  outputDir: string;
  filePrefix: string;
  runId: number;
  shipline: { repository: string; sha: string };
  jobs?: string[];
  story?: StoryOptions;
}

/** One run of the deploy workflow for a push of `ref` at release `index`, with the release checked out. */
function runDeploy(world: World, run: DeployRun): Promise<WorkflowRun> {
  const release = world.shop.releases[run.index];
  if (!release) throw new Error(`no release ${run.index}`);
  world.shop.repo.git(["checkout", "-q", "--detach", release.sha]);
  return runWorkflow({
    workflow: WORKFLOW,
    inputs: run.inputs,
    secrets: { DATABASE_URL: world.databaseUrl },
    github: {
      repository: "acme/shop",
      sha: release.sha,
      ref: run.ref,
      eventName: "push",
      token: GITHUB_TOKEN,
      apiUrl: world.github.url,
      ...(run.ref === "refs/heads/main" ? { event: pushPayload(world.shop.releases, run.index) } : {}),
    },
    workspace: world.shop.repo.dir,
    shipline: run.shipline,
    ...(run.jobs ? { jobs: run.jobs } : {}),
    credentials: (_role, region) => ({ ...simulatorEnv(world.sim), AWS_REGION: region }),
    env: world.actionEnv,
    mark: () => world.sim.calls.length,
    outputDir: run.outputDir,
    filePrefix: run.filePrefix,
    runId: run.runId,
    ...(run.story?.onEvent ? { onEvent: run.story.onEvent } : {}),
    ...(run.story?.onLine ? { onLine: run.story.onLine } : {}),
  });
}

/**
 * The deploy workflow for the merge that made `releases[index]` main's head, run as a push to main
 * (the staging caller's trigger), with the release checked out.
 */
export function runMergeToMain(
  world: World,
  index: number,
  options: { inputs: Record<string, Scalar>; outputDir: string; runId: number },
): Promise<WorkflowRun> {
  return runDeploy(world, {
    index,
    ref: "refs/heads/main",
    inputs: options.inputs,
    outputDir: options.outputDir,
    filePrefix: `${index + 1}-push-main`,
    runId: options.runId,
    shipline: { repository: SHIPLINE_REPOSITORY, sha: ANY_SHIPLINE_SHA },
  });
}

/**
 * The deploy workflow for the version tag of `releases[index]` (the production caller's trigger), with
 * the release checked out; the image must have been built on main before.
 */
export function runVersionTag(
  world: World,
  index: number,
  options: { inputs: Record<string, Scalar>; outputDir: string; runId: number },
): Promise<WorkflowRun> {
  const release = world.shop.releases[index];
  if (!release) throw new Error(`no release ${index}`);
  return runDeploy(world, {
    index,
    ref: `refs/tags/${release.tag}`,
    inputs: options.inputs,
    outputDir: options.outputDir,
    filePrefix: `${index + 1}-tag-${release.tag}`,
    runId: options.runId,
    shipline: { repository: SHIPLINE_REPOSITORY, sha: ANY_SHIPLINE_SHA },
  });
}

/**
 * late-failure: once v1.1.0's gate has passed (its watch begins), the bug shows ten simulated minutes
 * later: every v1.1.0 process starts failing 30 % of API requests (and logs an error line for each).
 */
function lateFailure(world: World, release: ShopRelease, options: StoryOptions) {
  let timer: NodeJS.Timeout | undefined;
  const onLine = (step: StepRecord, line: string): void => {
    options.onLine?.(step, line);
    if (timer || step.id !== "gate" || !line.includes("Watch for")) return;
    options.onNote?.(
      `world: the gate passed; v1.1.0's bug shows in ${LATE_FAILURE_AFTER_MS / 60_000} simulated minutes`,
    );
    timer = setTimeout(() => {
      void world.runtime.setBehaviour(release.sha, { failureRate: 0.3 }).then((count) => {
        options.onNote?.(`world: v1.1.0 goes bad: ${count} processes now fail 30 % of API requests`);
      });
    }, LATE_FAILURE_AFTER_MS / CLOCK_FACTOR);
  };
  return { story: { ...options, onLine }, stop: () => clearTimeout(timer) };
}

/** Both releases, each merged to main (the build job) and then tagged (the whole workflow). */
export async function runStory(world: World, options: StoryOptions): Promise<StoryResult> {
  const result: StoryResult = { runs: [], steps: [] };
  const shipline = { repository: SHIPLINE_REPOSITORY, sha: shiplineSha() };
  for (const [index, release] of world.shop.releases.entries()) {
    for (const [trigger, ref, jobs] of [
      ["push main", "refs/heads/main", ["build"]],
      [`tag ${release.tag}`, `refs/tags/${release.tag}`, undefined],
    ] as const) {
      options.onTrigger?.(trigger, release);
      const runNumber = result.runs.length + 1;
      const late =
        world.variant === "late-failure" && index === 1 && jobs === undefined
          ? lateFailure(world, release, options)
          : undefined;
      const run = await runDeploy(world, {
        index,
        ref,
        inputs: callerInputs(world, release),
        outputDir: options.outputDir,
        filePrefix: `${runNumber}-${trigger.replace(/[^a-z0-9.]+/gi, "-")}`,
        runId: 4200 + runNumber,
        shipline,
        ...(jobs ? { jobs: [...jobs] } : {}),
        story: late?.story ?? options,
      }).finally(() => late?.stop());
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
  const watchOf = (run: WorkflowRun | undefined) => {
    try {
      return (JSON.parse(step(run, "gate")?.outputs.report ?? "{}") as { watch?: { verdict?: string } })
        .watch;
    } catch {
      return undefined;
    }
  };
  if (watchOf(first)?.verdict !== "pass") problems.push("v1.0.0: the watch after the gate did not verify it");
  const firstStatus = world.github.state.deployments[0]?.statuses.at(-1);
  if (
    firstStatus?.state !== "success" ||
    !/^(\[shipline verified\] )?verified/.test(firstStatus.description ?? "")
  )
    problems.push("v1.0.0: its GitHub deployment does not say verified");
  if (world.variant === "bad-release" || world.variant === "late-failure") {
    if (step(second, "deploy")?.outcome !== "success")
      problems.push("v1.1.0: ECS did not roll the bad version out");
    if (step(second, "gate")?.outputs.verdict !== "fail")
      problems.push("v1.1.0: the health gate did not fail");
  } else if (step(second, "deploy")?.outcome !== "failure") {
    problems.push("v1.1.0: ecs-deploy did not fail on the crashing version");
  }
  if (world.variant === "late-failure") {
    if (watchOf(second)?.verdict !== "fail") problems.push("v1.1.0: the watch did not fail it");
    const statuses = world.github.state.deployments[1]?.statuses ?? [];
    if (
      !statuses.some(
        (s) => s.state === "failure" && /^(\[shipline [^\]]+\] )?Watch failed/.test(s.description ?? ""),
      )
    )
      problems.push("v1.1.0: its GitHub deployment does not say the watch failed it");
    if (world.github.state.issues.length !== 1) problems.push("v1.1.0: no incident issue");
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
