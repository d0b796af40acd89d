// preflight's bundle against the AWS simulator (production service "web" running web:1, its image in
// the simulated ECR) and the fake GitHub, whose clock the tests set: the staging record is written in
// the fake GitHub with core's writers (the payload ecs-deploy stores, the statuses health-gate and
// auto-rollback add), and every decision of the "done when" is asserted on the run's outputs,
// its summary and the calls it made.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, type TestContext } from "vitest";
import {
  deployPayload,
  markedDescription,
  type RecordMark,
} from "../../../packages/core/src/github/deployment-record";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { TestRepo } from "../../rig/git-repo";
import { everythingPrinted, runAction } from "../../rig/harness";
import { loopbackResolver, startProxy, startTlsFront, testCertificate } from "../../rig/proxy";
import { type SimProfile, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import { arnOf, digestOf, lastSeq, MUTATING, world } from "../ecs-deploy/stack";

const TOKEN = "ghs_preflightTestToken0123456789abcdefABCD";
const SHA = "0123456789abcdef0123456789abcdef01234567";
/** Monday 2026-12-07 10:00 UTC: GitHub's now in these tests. */
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const RELEASE_DIGEST = `sha256:${"a".repeat(64)}`;
const RELEASE_IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@${RELEASE_DIGEST}`;
const MINUTE = 60_000;

let sim: Simulator | undefined;
let github: FakeGitHub | undefined;
let clock = NOW;

afterEach(async () => {
  await sim?.stop();
  await github?.close();
  sim = undefined;
  github = undefined;
  clock = NOW;
});

async function start(profile: SimProfile = "aws"): Promise<{ sim: Simulator; github: FakeGitHub }> {
  const scenario = world({ manualClock: true });
  scenario.ecr = { repositories: [{ name: "web", images: [{ tags: ["1"], digest: digestOf("1") }] }] };
  sim = await startSimulator({ profile, scenario });
  github = await startFakeGitHub({ now: () => clock });
  return { sim, github };
}

/** A staging deployment of `digest`, as ecs-deploy records it, with statuses at the given minutes before NOW. */
function seedStaging(
  fake: FakeGitHub,
  digest: string,
  statuses: { ago: number; state: string; mark?: RecordMark; text: string }[],
  options: { sha?: string; createdAgo?: number; revision?: string } = {},
): number {
  const id = fake.state.nextId();
  const at = (ago: number) => new Date(NOW - ago * MINUTE).toISOString().replace(/\.\d{3}Z$/, "Z");
  fake.state.deployments.push({
    id,
    ref: options.sha ?? SHA,
    environment: "staging",
    description: "ECS web in staging",
    payload: deployPayload({
      cluster: "staging",
      services: ["web"],
      taskDefinitionArn: arnOf(options.revision ?? "web-staging:7"),
      previousTaskDefinitionArn: {},
      images: { app: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/web@${digest}` },
      migrations: [],
    }),
    created_at: at(options.createdAgo ?? (statuses[0]?.ago ?? 0) + 2),
    statuses: statuses.map((s) => ({
      id: fake.state.nextId(),
      state: s.state,
      description: s.mark ? markedDescription(s.mark, s.text) : s.text,
      log_url: "https://github.com/acme/shop/actions/runs/77",
      created_at: at(s.ago),
    })),
  });
  return id;
}

function provenStaging(fake: FakeGitHub, gateAgo: number): number {
  return seedStaging(fake, RELEASE_DIGEST, [
    { ago: gateAgo + 1, state: "in_progress", text: "Rolling out on ECS" },
    {
      ago: gateAgo + 0.5,
      state: "success",
      mark: { kind: "rolled-out" },
      text: "web-staging:7 rolled out on web",
    },
    {
      ago: gateAgo,
      state: "success",
      mark: { kind: "gate", verdict: "pass" },
      text: "Health gate passed: every check passed",
    },
  ]);
}

async function preflight(
  s: Simulator,
  fake: FakeGitHub,
  inputs: Record<string, string> = {},
  options: { workspace?: string; sha?: string; env?: Record<string, string> } = {},
) {
  return runAction("preflight", {
    timeoutMs: 60_000,
    ...(options.workspace ? { workspace: options.workspace } : {}),
    env: {
      ...simulatorEnv(s),
      GITHUB_API_URL: fake.url,
      GITHUB_REF: "refs/tags/v1.2.0",
      ...(options.sha ? { GITHUB_SHA: options.sha } : {}),
      ...options.env,
    },
    inputs: {
      "github-token": TOKEN,
      image: RELEASE_IMAGE,
      cluster: "prod",
      services: "web",
      "check-migrations": "false",
      "check-release-notes": "false",
      ...inputs,
    },
  });
}

interface Report {
  verdict: string;
  failedChecks: string[];
  checks: {
    id: string;
    status: string;
    summary: string;
    evidence: { label: string; value: string; url?: string }[];
  }[];
  override: { reason: string; checks: string[] } | null;
}

function reportOf(run: { outputs: Record<string, string> }): Report {
  return JSON.parse(run.outputs.report ?? "{}") as Report;
}

function checkOf(run: { outputs: Record<string, string> }, id: string) {
  const found = reportOf(run).checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} check`);
  return found;
}

describe("preflight", () => {
  it("is go when staging proved the digest 40 minutes ago and the rollback target's image is in ECR", async () => {
    const { sim: s, github: fake } = await start();
    const id = provenStaging(fake, 40);
    const run = await preflight(s, fake);
    expect(run.errors).toEqual([]);
    expect(run.outputs.verdict).toBe("go");
    expect(JSON.parse(run.outputs["failed-checks"] ?? "")).toEqual([]);
    expect(checkOf(run, "staging").summary).toContain(`#${id}`);
    expect(checkOf(run, "rollback-target").status).toBe("pass");
    expect(
      checkOf(run, "rollback-target")
        .evidence.map((e) => e.value)
        .join(" "),
    ).toContain(digestOf("1"));
    expect(run.summary).toContain("- [x] **Staging verified this image**");
    expect(run.summary).toContain("~~The release is documented~~ (turned off)");
    expect(everythingPrinted(run)).not.toContain(TOKEN);
  });

  it("is no-go naming the staging deployment whose gate failed, with no mutating AWS call", async () => {
    const { sim: s, github: fake } = await start();
    const id = seedStaging(fake, RELEASE_DIGEST, [
      { ago: 50, state: "success", mark: { kind: "rolled-out" }, text: "rolled out" },
      {
        ago: 48,
        state: "failure",
        mark: { kind: "gate", verdict: "fail" },
        text: "Health gate failed: error rate 30 % > 5 %",
      },
      { ago: 47, state: "failure", mark: { kind: "rolled-back" }, text: "Rolled back to web-staging:6" },
    ]);
    const before = lastSeq(s);
    const run = await preflight(s, fake);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.verdict).toBe("no-go");
    expect(JSON.parse(run.outputs["failed-checks"] ?? "")).toEqual(["staging"]);
    const staging = checkOf(run, "staging");
    expect(staging.summary).toMatch(new RegExp(`health gate failed on staging deployment #${id}`));
    expect(staging.evidence.some((e) => e.url?.endsWith("/deployments/staging"))).toBe(true);
    expect(run.errors[0]?.message).toContain(`#${id}`);
    expect(s.calls.filter((c) => c.seq > before && MUTATING.has(c.operation))).toEqual([]);
    expect(run.summary).toContain("- [ ] **Staging verified this image**");
  });

  it("is no-go when staging passed 5 minutes ago with min-staging-age 30m, saying 25m are left", async () => {
    const { sim: s, github: fake } = await start();
    provenStaging(fake, 5);
    const run = await preflight(s, fake, { "min-staging-age": "30m" });
    expect(run.outputs.verdict).toBe("no-go");
    const staging = checkOf(run, "staging");
    expect(staging.summary).toContain("passed its gate 5m ago");
    expect(staging.summary).toContain("25m left");
    expect(staging.summary).toContain("ready at 2026-12-07T10:25:00Z");
  });

  it("is no-go when staging ran the same commit as another digest (built again, not promoted)", async () => {
    const { sim: s, github: fake } = await start();
    seedStaging(fake, `sha256:${"b".repeat(64)}`, [
      { ago: 60, state: "success", mark: { kind: "gate", verdict: "pass" }, text: "passed" },
    ]);
    const run = await preflight(s, fake);
    expect(run.outputs.verdict).toBe("no-go");
    expect(checkOf(run, "staging").summary).toContain("built again");
  });

  it("is no-go inside a freeze, and go with the override and its reason, which it outputs for the deployment", async () => {
    const { sim: s, github: fake } = await start();
    provenStaging(fake, 60);
    const freeze = {
      "freeze-periods": "2026-12-05..2026-12-08 platform migration",
      "time-zone": "Europe/Berlin",
    };
    const frozen = await preflight(s, fake, freeze);
    expect(frozen.outputs.verdict).toBe("no-go");
    expect(checkOf(frozen, "window").summary).toContain(
      "inside the freeze 2026-12-05 to 2026-12-08 (platform migration)",
    );
    expect(checkOf(frozen, "window").summary).toContain("Mon 2026-12-07 11:00 Europe/Berlin");

    const reason = "hotfix for INC-481, approved by the on-call lead";
    const overridden = await preflight(s, fake, {
      ...freeze,
      "override-window": "true",
      "override-reason": reason,
    });
    expect(overridden.errors).toEqual([]);
    expect(overridden.outputs.verdict).toBe("go");
    expect(checkOf(overridden, "window").status).toBe("overridden");
    expect(JSON.parse(overridden.outputs.override ?? "")).toMatchObject({ checks: ["window"], reason });
    expect(overridden.summary).toContain(reason);
  });

  // The second: days listed with commas, one window per line.
  it.each([
    ["Tue-Thu 09:00-16:00", "(Tue,Wed,Thu 09:00-16:00)"],
    ["Tue,Thu 09:00-16:00\nSat-Sun 10:00-12:00", "(Tue,Thu 09:00-16:00; Sat,Sun 10:00-12:00)"],
  ])("is no-go outside the deploy windows %j, saying the local time", async (windows, listed) => {
    const { sim: s, github: fake } = await start();
    provenStaging(fake, 60);
    const run = await preflight(s, fake, { "deploy-windows": windows, "time-zone": "America/New_York" });
    expect(run.outputs.verdict).toBe("no-go");
    expect(checkOf(run, "window").summary).toContain(
      `Mon 2026-12-07 05:00 America/New_York is outside the deploy windows ${listed}`,
    );
  });

  it("is no-go naming the digest when the rollback target's image was deleted from ECR", async () => {
    const { sim: s, github: fake } = await start();
    provenStaging(fake, 60);
    s.ecr.expireImage("web", digestOf("1"));
    const before = lastSeq(s);
    const run = await preflight(s, fake);
    expect(run.outputs.verdict).toBe("no-go");
    expect(JSON.parse(run.outputs["failed-checks"] ?? "")).toEqual(["rollback-target"]);
    expect(checkOf(run, "rollback-target").summary).toContain(
      `web@${digestOf("1")}, which ECR no longer holds`,
    );
    expect(s.calls.filter((c) => c.seq > before && MUTATING.has(c.operation))).toEqual([]);
  });

  it("finds the rollback target and its deleted image under the compat profile too (no service deployments API)", async () => {
    const { sim: s, github: fake } = await start("compat");
    provenStaging(fake, 60);
    const found = await preflight(s, fake);
    expect(checkOf(found, "rollback-target").status).toBe("pass");
    s.ecr.expireImage("web", digestOf("1"));
    const deleted = await preflight(s, fake);
    // Without service revisions the digest that ran is unknown: the tag a rollback would pull is named.
    expect(checkOf(deleted, "rollback-target").summary).toContain(
      "runs web:1, which ECR no longer holds (tag 1 is gone)",
    );
  });

  it("is no-go when the rollback target's tag now names another image than the one that ran", async () => {
    const { sim: s, github: fake } = await start();
    provenStaging(fake, 60);
    // Someone pushed a new image as web:1: a rollback would pull that one, not what ran.
    const moved = s.ecr.seedImage("web", { tags: ["1"] });
    const run = await preflight(s, fake);
    expect(run.outputs.verdict).toBe("no-go");
    expect(checkOf(run, "rollback-target").summary).toContain(
      `tag 1 now names ${moved}, not the ${digestOf("1")} that ran`,
    );
  });

  it("finds a draft release for the tag, and says when there is none", async () => {
    const { sim: s, github: fake } = await start();
    provenStaging(fake, 60);
    const missing = await preflight(s, fake, { "check-release-notes": "true" });
    expect(checkOf(missing, "release-notes").summary).toMatch(
      /^No release for v1\.2\.0 that this token can see \(a draft is listed only to a token with `contents: write`/,
    );
    fake.state.releases.push({
      id: fake.state.nextId(),
      tag_name: "v1.2.0",
      name: "v1.2.0",
      body: "notes",
      draft: true,
      prerelease: false,
      target_commitish: "main",
      html_url: "https://github.com/acme/shop/releases/tag/v1.2.0",
    });
    const found = await preflight(s, fake, { "check-release-notes": "true" });
    expect(found.outputs.verdict).toBe("go");
    expect(checkOf(found, "release-notes").summary).toContain("(draft)");
  });

  it("is no-go when a pending migration drops a column the code production runs still reads", async () => {
    const { sim: s, github: fake } = await start();
    provenStaging(fake, 60);
    const repo = TestRepo.create("shipline-preflight-bundle-");
    try {
      repo.commit({
        message: "v1.1.0",
        files: {
          "db/migrations/001_orders.sql": "CREATE TABLE orders (id bigint PRIMARY KEY, coupon text);\n",
          "src/orders.ts": "export const select = 'SELECT id, coupon FROM orders';\n",
        },
      });
      const running = repo.head();
      repo.commit({
        message: "v1.2.0",
        files: {
          "db/migrations/002_drop_coupon.sql":
            "-- shipline-ignore: dropping-column coupons are gone\nALTER TABLE orders DROP COLUMN coupon;\n",
        },
      });
      // What production runs: web:1, recorded by ecs-deploy for the v1.1.0 commit.
      fake.state.deployments.push({
        id: fake.state.nextId(),
        ref: running,
        environment: "production",
        description: "ECS web in prod",
        payload: deployPayload({
          cluster: "prod",
          services: ["web"],
          taskDefinitionArn: arnOf("web:1"),
          previousTaskDefinitionArn: {},
          images: { app: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/web:1" },
        }),
        statuses: [],
      });
      const run = await preflight(
        s,
        fake,
        {
          "check-migrations": "true",
          "migrations-glob": "db/migrations/*.sql",
          "allow-destructive": "true",
          backup: "if-destructive",
        },
        { workspace: repo.dir, sha: repo.head() },
      );
      expect(run.outputs.verdict).toBe("no-go");
      const migrations = checkOf(run, "migrations");
      expect(migrations.summary).toContain(
        "drops column orders.coupon, which the running version still uses (src/orders.ts:1)",
      );
      expect(migrations.evidence).toContainEqual({
        label: "pending migrations",
        value: "db/migrations/002_drop_coupon.sql",
      });
    } finally {
      repo.remove();
    }
  });

  it("refuses an override without a reason before reading anything", async () => {
    const { sim: s, github: fake } = await start();
    const run = await preflight(s, fake, { "override-window": "true" });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toMatch(/override-reason/);
    expect(fake.calls).toEqual([]);
    expect(s.calls).toEqual([]);
  });

  it("checks a revision that names its image by tag through the digest that ran (the service revision's)", async () => {
    const { sim: s, github: fake } = await start();
    provenStaging(fake, 60);
    const run = await preflight(s, fake);
    expect(checkOf(run, "rollback-target").evidence.find((e) => e.label === "web/app image")?.value).toBe(
      `${digestOf("1")} in ECR (tag 1)`,
    );
  });
});

// A runner whose way out is a proxy: GitHub and AWS are made-up names (api.github.test,
// ecs.aws.test) served over HTTPS by TLS fronts before the fakes, and the proxy tunnels any name to
// loopback. So a run that reached them with no NO_PROXY went through the proxy, and one with a
// NO_PROXY entry for them went direct (a resolver preloaded into the bundle's process sends the .test
// names to loopback).
describe("preflight behind a proxy", () => {
  async function behindProxy(t: TestContext) {
    const { sim: s, github: fake } = await start();
    provenStaging(fake, 40);
    const certificate = testCertificate(["api.github.test", "ecs.aws.test"]);
    const dir = mkdtempSync(join(tmpdir(), "shipline-proxy-"));
    const proxy = await startProxy();
    const githubFront = await startTlsFront(certificate, Number(new URL(fake.url).port));
    const awsFront = await startTlsFront(certificate, Number(new URL(s.endpoint).port));
    t.onTestFinished(async () => {
      await Promise.all([proxy.close(), githubFront.close(), awsFront.close()]);
      certificate.remove();
      rmSync(dir, { recursive: true, force: true });
    });
    const github = `api.github.test:${githubFront.port}`;
    const aws = `ecs.aws.test:${awsFront.port}`;
    const env = {
      GITHUB_API_URL: `https://${github}`,
      AWS_ENDPOINT_URL: `https://${aws}`,
      HTTPS_PROXY: proxy.url,
      NODE_EXTRA_CA_CERTS: certificate.certFile,
    };
    return { s, fake, proxy, github, aws, env, resolver: loopbackResolver(dir) };
  }

  function expectGo(run: Awaited<ReturnType<typeof preflight>>): void {
    expect(run.errors, run.stdout + run.stderr).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.verdict).toBe("go");
  }

  it("sends the GitHub and the AWS calls through HTTPS_PROXY", async (t) => {
    const { s, fake, proxy, github, aws, env } = await behindProxy(t);
    const run = await preflight(s, fake, {}, { env });
    expectGo(run);
    expect(fake.calls.length).toBeGreaterThan(0);
    expect(s.calls.length).toBeGreaterThan(0);
    // Tunnels to the two names and nothing else (keep-alive lets a tunnel carry several requests).
    expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${github}`, `CONNECT ${aws}`]));
  });

  // GitHub's host by name; AWS's by its domain, which fetch and Node's agents read differently unless
  // shipline writes NO_PROXY for both (proxy.ts): the SDK goes through the agents.
  it.for([
    ["GitHub", "api.github.test"],
    ["AWS", "aws.test"],
  ] as const)(
    "goes direct to %s when NO_PROXY names %s, and through the proxy for the other",
    async ([service, entry], t) => {
      const { s, fake, proxy, github, aws, env, resolver } = await behindProxy(t);
      const run = await preflight(s, fake, {}, { env: { ...env, NO_PROXY: entry, NODE_OPTIONS: resolver } });
      expectGo(run);
      const proxied = service === "GitHub" ? aws : github;
      expect(new Set(proxy.seen)).toEqual(new Set([`CONNECT ${proxied}`]));
      expect(fake.calls.length).toBeGreaterThan(0);
      expect(s.calls.length).toBeGreaterThan(0);
    },
  );
});
