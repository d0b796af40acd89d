// Preflight through the reusable deploy workflow and the committed bundles, for a tag of the shop
// going to production: the build job promotes the image main built, the deploy job's first shipline
// step is preflight. Against the AWS simulator (production service "web" on web:1, its image and the
// release image in the simulated ECR), the fake GitHub on a fixed clock holding staging's record (as
// ecs-deploy and health-gate write it, through core's writers) and a loopback service the gate probes.
// The "done when": a failed staging gate, a too-young staging deploy, a freeze with and
// without an override, and a rollback target whose image was deleted.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  deployPayload,
  markedDescription,
  parseDeploymentPayload,
  type RecordMark,
} from "../../packages/core/src/github/deployment-record";
import { digestOf, FACTOR, MUTATING, world } from "../integration/ecs-deploy/stack";
import { type FakeGitHub, startFakeGitHub } from "../rig/fake-github";
import { everythingPrinted } from "../rig/harness";
import { type Simulator, simulatorEnv, startSimulator } from "../sim/index";
import { runWorkflow, type WorkflowRun } from "../world/runner/run-workflow";
import { SHIPLINE_REPOSITORY, WORKFLOW } from "../world/story";

const TOKEN = "ghs_preflightWorkflowToken0123456789abcdef";
const SHA = "5d41402abc4b2a76b9719d911017c592ae8e4c11";
const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
/** GitHub's now: Monday 2026-12-07 10:00 UTC. */
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const MINUTE = 60_000;

let sim: Simulator | undefined;
let github: FakeGitHub | undefined;
let health: Server;
let healthUrl = "";
let workspace = "";
let releaseDigest = "";

beforeAll(async () => {
  health = createServer((_req, res) => {
    res.statusCode = 200;
    res.end("ok");
  });
  await new Promise<void>((resolve) => health.listen(0, "127.0.0.1", resolve));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}`;
  workspace = mkdtempSync(join(tmpdir(), "shipline-preflight-e2e-"));
});

afterAll(async () => {
  await new Promise<void>((resolve) => health.close(() => resolve()));
  rmSync(workspace, { recursive: true, force: true });
});

afterEach(async () => {
  await sim?.stop();
  await github?.close();
  sim = undefined;
  github = undefined;
});

async function start(): Promise<{ sim: Simulator; github: FakeGitHub }> {
  const scenario = world({ factor: FACTOR });
  scenario.ecr = { repositories: [{ name: "web", images: [{ tags: ["1"], digest: digestOf("1") }] }] };
  sim = await startSimulator({ scenario });
  // What the merge to main pushed: the image built from the tagged commit.
  releaseDigest = sim.ecr.seedImage("web", { tags: [SHA] });
  github = await startFakeGitHub({ now: () => NOW });
  // The workflow writes no notes here (`release-notes: false`), so preflight asks for them: a draft.
  github.state.releases.push({
    id: github.state.nextId(),
    tag_name: "v1.2.0",
    name: "v1.2.0",
    body: "Checkout fixes.",
    draft: true,
    prerelease: false,
    target_commitish: "main",
    html_url: "https://github.com/acme/shop/releases/tag/untagged-1",
  });
  return { sim, github };
}

/** Staging's deployment of the release image, as ecs-deploy and health-gate record it. */
function seedStaging(
  fake: FakeGitHub,
  statuses: { ago: number; state: string; mark: RecordMark; text: string }[],
) {
  const id = fake.state.nextId();
  const at = (ago: number) => new Date(NOW - ago * MINUTE).toISOString().replace(/\.\d{3}Z$/, "Z");
  fake.state.deployments.push({
    id,
    ref: SHA,
    environment: "staging",
    description: "ECS web in staging",
    payload: deployPayload({
      cluster: "staging",
      services: ["web"],
      taskDefinitionArn: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web-staging:4",
      previousTaskDefinitionArn: {},
      images: { app: `${REGISTRY}/web@${releaseDigest}` },
      migrations: [],
    }),
    created_at: at((statuses[0]?.ago ?? 0) + 2),
    statuses: statuses.map((s) => ({
      id: fake.state.nextId(),
      state: s.state,
      description: markedDescription(s.mark, s.text),
      log_url: "https://github.com/acme/shop/actions/runs/4100",
      created_at: at(s.ago),
    })),
  });
  return id;
}

function stagingPassed(fake: FakeGitHub, ago: number): number {
  return seedStaging(fake, [
    { ago: ago + 1, state: "success", mark: { kind: "rolled-out" }, text: "web-staging:4 rolled out on web" },
    { ago, state: "success", mark: { kind: "gate", verdict: "pass" }, text: "Health gate passed" },
  ]);
}

async function releaseTag(
  s: Simulator,
  fake: FakeGitHub,
  inputs: Record<string, string> = {},
): Promise<WorkflowRun> {
  return runWorkflow({
    workflow: WORKFLOW,
    inputs: {
      environment: "production",
      "aws-region": s.region,
      "role-to-assume": "arn:aws:iam::123456789012:role/shop-deploy-production",
      "ecr-repository": "web",
      cluster: "prod",
      services: "web",
      container: "app",
      "deploy-poll-interval": "100ms",
      "base-url": healthUrl,
      "health-urls": "/health",
      "probe-interval": "1s",
      "probe-timeout": "1s",
      "success-threshold": "2",
      soak: "0s",
      // Production's default 30-minute watch after the gate is not what these tests are about (it has
      // its own end-to-end test); off, the deploy ends with the gate.
      watch: "0s",
      "gate-timeout": "30s",
      "release-notes": false,
      ...inputs,
    },
    secrets: {},
    github: {
      repository: "acme/shop",
      sha: SHA,
      ref: "refs/tags/v1.2.0",
      eventName: "push",
      token: TOKEN,
      apiUrl: fake.url,
    },
    workspace,
    shipline: { repository: SHIPLINE_REPOSITORY, sha: "0".repeat(40) },
    jobs: ["build", "deploy"],
    credentials: (_role, region) => ({ ...simulatorEnv(s), AWS_REGION: region }),
    mark: () => s.calls.length,
    runId: 4321,
  });
}

function step(run: WorkflowRun, id: string) {
  const found = run.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id}`);
  return found;
}

/** The deploy job's calls that change something in AWS. */
function deployJobMutations(s: Simulator, run: WorkflowRun) {
  const steps = run.jobs.deploy?.steps ?? [];
  const from = steps[0]?.marks[0] ?? s.calls.length;
  const to = steps.at(-1)?.marks[1] ?? s.calls.length;
  return s.calls.slice(from, to).filter((c) => MUTATING.has(c.operation));
}

function staging(run: WorkflowRun): string {
  const report = JSON.parse(step(run, "preflight").outputs.report ?? "{}") as {
    checks: { id: string; summary: string }[];
  };
  return report.checks.find((c) => c.id === "staging")?.summary ?? "";
}

describe("a release tag through the reusable workflow's preflight", () => {
  it("is no-go naming the staging deployment whose gate failed, and production does not change", async () => {
    const { sim: s, github: fake } = await start();
    const id = seedStaging(fake, [
      { ago: 60, state: "success", mark: { kind: "rolled-out" }, text: "web-staging:4 rolled out on web" },
      {
        ago: 58,
        state: "failure",
        mark: { kind: "gate", verdict: "fail" },
        text: "Health gate failed: error rate 30 %",
      },
    ]);
    const run = await releaseTag(s, fake);
    expect(run.jobs.build?.result).toBe("success");
    const preflight = step(run, "preflight");
    expect(preflight.outcome).toBe("failure");
    expect(preflight.outputs.verdict).toBe("no-go");
    expect(staging(run)).toContain(`staging deployment #${id}`);
    for (const later of ["migrate", "deploy", "gate", "rollback"])
      expect(step(run, later).outcome).toBe("skipped");
    expect(deployJobMutations(s, run)).toEqual([]);
    expect(s.ecs.service("web", "prod")?.taskDefinition).toMatch(/task-definition\/web:1$/);
    expect(fake.state.deployments.filter((d) => d.environment === "production")).toEqual([]);
    expect(everythingPrinted(preflight.run ?? ({} as never))).not.toContain(TOKEN);
  }, 180_000);

  it("is no-go when staging passed 5 minutes ago with min-staging-age 30m, saying how long is left", async () => {
    const { sim: s, github: fake } = await start();
    stagingPassed(fake, 5);
    const run = await releaseTag(s, fake, { "min-staging-age": "30m" });
    expect(step(run, "preflight").outputs.verdict).toBe("no-go");
    expect(staging(run)).toContain("25m left");
    expect(deployJobMutations(s, run)).toEqual([]);
  }, 180_000);

  it("is no-go inside a freeze; with an override and its reason it deploys, and the reason is in the deployment", async () => {
    const { sim: s, github: fake } = await start();
    stagingPassed(fake, 90);
    const freeze = { "freeze-periods": "2026-12-07 end-of-quarter freeze" };
    const frozen = await releaseTag(s, fake, freeze);
    expect(step(frozen, "preflight").outputs.verdict).toBe("no-go");
    expect(JSON.parse(step(frozen, "preflight").outputs["failed-checks"] ?? "")).toEqual(["window"]);
    expect(deployJobMutations(s, frozen)).toEqual([]);

    const reason = "hotfix for INC-481: checkout fails for every card payment";
    const released = await releaseTag(s, fake, { ...freeze, "override-reason": reason });
    expect(step(released, "preflight").outputs.verdict).toBe("go");
    expect(step(released, "deploy").outcome).toBe("success");
    expect(step(released, "gate").outputs.verdict).toBe("pass");
    const production = fake.state.deployments.find((d) => d.environment === "production");
    const record = parseDeploymentPayload(production?.payload);
    expect(record?.shipline === "ecs-deploy" && record.override).toMatchObject({
      checks: ["window"],
      reason,
    });
    expect(record?.shipline === "ecs-deploy" && record.containers[0]?.digest).toBe(releaseDigest);
    // The gate's verdict is on the production deployment too, for the next promotion to read.
    expect(production?.statuses.at(-1)?.description).toMatch(/^\[shipline gate:pass\]/);
  }, 240_000);

  it("is no-go naming the digest when the rollback target's image was deleted from ECR", async () => {
    const { sim: s, github: fake } = await start();
    stagingPassed(fake, 90);
    s.ecr.expireImage("web", digestOf("1"));
    const run = await releaseTag(s, fake);
    expect(step(run, "preflight").outputs.verdict).toBe("no-go");
    expect(step(run, "preflight").run?.errors[0]?.message).toContain(digestOf("1"));
    expect(deployJobMutations(s, run)).toEqual([]);
  }, 180_000);
});
