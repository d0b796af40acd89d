// ecs-deploy against hostile and careless input, through the committed bundle: image references that
// break the reference grammar, a task-definition path out of the workspace, credentials a crashing
// container echoes into its log, and an environment URL that carries a password.
import { symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { leaksOf } from "../../rig/secret-scan";
import { type Simulator, startSimulator } from "../../sim/index";
import { deploy, expectRefused, image, lastSeq, webTaskDefinition, workspace, world } from "./stack";

describe("ecs-deploy refuses what is not an image reference, before any call", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: world() });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it.each([
    [
      "a command substitution in the tag",
      "app=acme/app:$(id)",
      /line 1 \(app\): "acme\/app:\$\(id\)" is not an image reference: the tag "\$\(id\)"/,
    ],
    ["an upper-case repository path", "app=registry.example.com/Acme/App:1", /path component "Acme"/],
    ["a tag longer than 128 characters", `app=acme/app:${"v".repeat(129)}`, /the tag "v+" is not 1 to 128/],
    [
      "a digest that is not hex",
      `app=acme/app@sha256:${"z".repeat(64)}`,
      /the digest "sha256:z+" is not <algorithm>:<hex>/,
    ],
    [
      "a sha256 digest of the wrong length",
      `app=acme/app@sha256:${"a".repeat(40)}`,
      /a sha256 digest is 64 lower-case hex digits/,
    ],
    [
      "a 100,000-character image",
      `app=acme/${"a".repeat(100_000)}`,
      /`containers`: it is 100,009 characters long; at most 32,768 are accepted/,
    ],
  ])("%s", async (_name, containers, error) => {
    const before = lastSeq(sim);
    const run = await deploy(sim, { containers });
    expectRefused(sim, run, before, error);
    expect(run.errors[0]?.message).toMatch(/Input `containers`/);
  });

  it("accepts a reference with a registry port, a tag and a digest", async () => {
    const before = lastSeq(sim);
    const reference = `localhost:5000/acme/app:1.2.3@sha256:${"ab".repeat(32)}`;
    const run = await deploy(sim, { containers: `app=${reference}`, plan: "true" });
    expect(run.errors).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(sim.calls.filter((c) => c.seq > before).length).toBeGreaterThan(0);
  });
});

describe("ecs-deploy keeps the task-definition path inside the workspace", () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSimulator({ scenario: world() });
  });
  afterAll(async () => {
    await sim.stop();
  });

  it("refuses ../../../../etc/passwd without reading it", async () => {
    const before = lastSeq(sim);
    const run = await deploy(
      sim,
      { "task-definition": "../../../../etc/passwd" },
      { workspace: workspace() },
    );
    expectRefused(
      sim,
      run,
      before,
      /Input `task-definition`: "..\/..\/..\/..\/etc\/passwd" is outside the workspace/,
    );
    expect(run.stdout).not.toContain("root:");
  });

  it("refuses an absolute path outside the workspace and a link that leads out of it", async () => {
    const dir = workspace({ "ecs/web.json": webTaskDefinition("2") });
    symlinkSync("/etc", join(dir, "ecs", "system"));
    for (const path of ["/etc/hostname", "ecs/system/hostname"]) {
      const before = lastSeq(sim);
      const run = await deploy(sim, { "task-definition": path }, { workspace: dir });
      expectRefused(
        sim,
        run,
        before,
        /Input `task-definition`: .*(outside the workspace|leads outside the workspace through a symbolic link)/,
      );
    }
  });
});

describe("ecs-deploy never shows the credentials it deploys", () => {
  let sim: Simulator | undefined;
  let github: FakeGitHub | undefined;
  afterEach(async () => {
    await sim?.stop();
    await github?.close();
    sim = undefined;
    github = undefined;
  });

  const password = "Cr@sh-Pa55:w0rd/9";
  const databaseUrl = `postgres://shop:${encodeURIComponent(password)}@db.internal:5432/shop`;

  it("masks a DATABASE_URL that a crashing container echoes: log tail, summary and report", async () => {
    sim = await startSimulator({
      scenario: world({
        images: {
          [image("2")]: {
            kind: "crash",
            exitCode: 1,
            exitLogs: [
              `booting with DATABASE_URL=${databaseUrl}`,
              `FATAL: password authentication failed for user "shop" (password ${password})`,
            ],
          },
        },
      }),
    });
    const run = await deploy(sim, {
      containers: `app=${image("2")}`,
      "environment-variables": `app.DATABASE_URL=${databaseUrl}\napp.LOG_LEVEL=info`,
    });
    expect(run.exitCode).toBe(1);
    // The tail is there, with the credentials taken out.
    expect(run.stdout).toContain("booting with DATABASE_URL=");
    expect(run.summary).toContain("password authentication failed");
    expect(run.outputs.report).toContain("password authentication failed");
    const canaries = [
      { name: "database password", value: password },
      { name: "database URL", value: databaseUrl },
    ];
    expect(leaksOf(canaries, "crash", run)).toEqual([]);
  });

  it("refuses an environment-url with a password before any call to AWS or GitHub", async () => {
    sim = await startSimulator({ scenario: world() });
    github = await startFakeGitHub();
    const before = lastSeq(sim);
    const run = await deploy(
      sim,
      {
        containers: `app=${image("2")}`,
        environment: "production",
        "github-token": "ghs_hostileInputTestToken0123456789",
        "environment-url": `https://admin:${encodeURIComponent(password)}@shop.example.com/`,
      },
      { env: { GITHUB_API_URL: github.url } },
    );
    expectRefused(sim, run, before, /Input `environment-url`: The URL carries a user name or password/);
    expect(github.calls).toEqual([]);
    expect(leaksOf([{ name: "password", value: password }], "environment-url", run)).toEqual([]);
  });
});
