// What preflight costs before a production deploy: GitHub API calls, AWS API calls and the bundle's
// wall time (spawn to exit), for a repository with a long staging history (100 recorded deployments,
// the release image's among them), three production services and 20 migrations, five of them
// pending. Every run is checked, not only timed: it must say go with every check judged (none turned
// off), make no mutating call, and a no-go run (the rollback target's image deleted) must name the
// digest. A run that does not do its job measures nothing: the bench fails.
import { deployPayload, markedDescription } from "../packages/core/src/github/deployment-record";
import { arnOf, digestOf, MUTATING, world } from "../test/integration/ecs-deploy/stack";
import { type FakeGitHub, startFakeGitHub } from "../test/rig/fake-github";
import { TestRepo } from "../test/rig/git-repo";
import { assertNoUnreportedDrifts } from "../test/rig/github-openapi-check";
import { runAction } from "../test/rig/harness";
import { type Simulator, simulatorEnv, startSimulator } from "../test/sim/index";
import { type Benchmark, type BenchRow, withGoal } from "./types";

const SERVICES = ["web", "api", "worker"];
const STAGING_HISTORY = 100;
const NOW = Date.UTC(2026, 11, 7, 10, 0, 0);
const MINUTE = 60_000;
const REGISTRY = "123456789012.dkr.ecr.eu-west-1.amazonaws.com";
const RELEASE_DIGEST = `sha256:${"e".repeat(64)}`;
/** The wall time a person waits for the go: well under the minute a job's approval takes. */
const WALL_TIME_GOAL_MS = 8_000;
/**
 * GitHub: one page of staging deployments (100), the statuses of the release image's one deployment,
 * one page of production deployments, one page of releases.
 */
const GITHUB_CALL_GOAL = 4;
/** AWS: DescribeServices (10 per call), then per service its revision, its task definition, its one image. */
const AWS_CALL_GOAL = Math.ceil(SERVICES.length / 10) + 3 * SERVICES.length;

interface Measured {
  verdict: string;
  github: number;
  aws: number;
  mutating: number;
  ms: number;
  judged: number;
  message: string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function seedGitHub(fake: FakeGitHub, running: string, release: string): void {
  for (let i = STAGING_HISTORY; i >= 1; i--) {
    const digest = i === 3 ? RELEASE_DIGEST : `sha256:${i.toString(16).padStart(64, "0")}`;
    const created = NOW - i * 120 * MINUTE;
    fake.state.deployments.push({
      id: fake.state.nextId(),
      ref: i === 3 ? release : running,
      environment: "staging",
      description: "ECS web in staging",
      payload: deployPayload({
        cluster: "staging",
        services: ["web"],
        taskDefinitionArn: arnOf(`web-staging:${STAGING_HISTORY - i + 1}`),
        previousTaskDefinitionArn: {},
        images: { app: `${REGISTRY}/web@${digest}` },
      }),
      created_at: iso(created),
      statuses: [
        {
          id: fake.state.nextId(),
          state: "success",
          description: markedDescription({ kind: "rolled-out" }, "rolled out"),
          created_at: iso(created + MINUTE),
        },
        {
          id: fake.state.nextId(),
          state: "success",
          description: markedDescription({ kind: "gate", verdict: "pass" }, "Health gate passed"),
          created_at: iso(created + 2 * MINUTE),
        },
      ],
    });
  }
  fake.state.deployments.push({
    id: fake.state.nextId(),
    ref: running,
    environment: "production",
    description: "ECS web, api, worker in prod",
    payload: deployPayload({
      cluster: "prod",
      services: SERVICES,
      taskDefinitionArn: arnOf("web:1"),
      previousTaskDefinitionArn: {},
      images: { app: `${REGISTRY}/web:1` },
    }),
    created_at: iso(NOW - 24 * 60 * MINUTE),
    statuses: [
      {
        id: fake.state.nextId(),
        state: "success",
        description: "rolled out",
        created_at: iso(NOW - 24 * 60 * MINUTE),
      },
    ],
  });
  fake.state.releases.push({
    id: fake.state.nextId(),
    tag_name: "v2.0.0",
    name: "v2.0.0",
    body: "notes",
    draft: true,
    prerelease: false,
    target_commitish: "main",
    html_url: "https://github.com/acme/shop/releases/tag/untagged-2",
  });
}

function shopRepo(): { repo: TestRepo; running: string } {
  const repo = TestRepo.create("shipline-bench-preflight-");
  const files: Record<string, string> = { "src/app.ts": "export const columns = ['id', 'name'];\n" };
  for (let i = 1; i <= 15; i++)
    files[`db/migrations/${String(i).padStart(3, "0")}_t${i}.sql`] =
      `CREATE TABLE t${i} (id bigint PRIMARY KEY);\n`;
  repo.commit({ message: "v1.0.0", files });
  const running = repo.head();
  const pending: Record<string, string> = {};
  for (let i = 16; i <= 20; i++)
    pending[`db/migrations/${String(i).padStart(3, "0")}_c${i}.sql`] =
      `ALTER TABLE t${i - 15} ADD COLUMN note text;\n`;
  repo.commit({ message: "v2.0.0", files: pending });
  return { repo, running };
}

async function measure(sim: Simulator, fake: FakeGitHub, repo: TestRepo): Promise<Measured> {
  const githubBefore = fake.calls.length;
  const awsBefore = sim.calls.length;
  const run = await runAction("preflight", {
    workspace: repo.dir,
    timeoutMs: 120_000,
    env: {
      ...simulatorEnv(sim),
      GITHUB_API_URL: fake.url,
      GITHUB_REF: "refs/tags/v2.0.0",
      GITHUB_SHA: repo.head(),
    },
    inputs: {
      "github-token": "ghs_benchPreflightToken0123456789abcdef",
      image: `${REGISTRY}/web@${RELEASE_DIGEST}`,
      cluster: "prod",
      services: SERVICES.join(","),
      "migrations-glob": "db/migrations/*.sql",
      "deploy-windows": "Mon-Fri 08:00-18:00",
      "time-zone": "Europe/Berlin",
      "fail-on-no-go": "false",
    },
  });
  if (run.exitCode !== 0) throw new Error(`preflight failed (exit ${run.exitCode}):\n${run.stdout}`);
  const report = JSON.parse(run.outputs.report ?? "{}") as { checks: { status: string; summary: string }[] };
  const aws = sim.calls.slice(awsBefore);
  return {
    verdict: run.outputs.verdict ?? "",
    github: fake.calls.length - githubBefore,
    aws: aws.length,
    mutating: aws.filter((c) => MUTATING.has(c.operation) || c.operation === "PutImage").length,
    ms: run.durationMs,
    judged: report.checks.filter((c) => c.status === "pass" || c.status === "fail").length,
    message: report.checks.map((c) => c.summary).join(" "),
  };
}

function rows(label: string, m: Measured): BenchRow[] {
  const benchmark = `preflight, ${SERVICES.length} services, ${STAGING_HISTORY} staging deployments`;
  return [
    withGoal(
      { benchmark, case: label, metric: "GitHub API calls", value: m.github },
      `≤ ${GITHUB_CALL_GOAL}`,
      m.github <= GITHUB_CALL_GOAL,
    ),
    withGoal(
      { benchmark, case: label, metric: "AWS API calls", value: m.aws, note: `${m.mutating} mutating` },
      `≤ ${AWS_CALL_GOAL}, none mutating`,
      m.aws <= AWS_CALL_GOAL && m.mutating === 0,
    ),
    withGoal(
      {
        benchmark,
        case: label,
        metric: "wall time",
        value: Math.round(m.ms),
        unit: "ms",
        note: "bundle, spawn to exit",
      },
      `≤ ${WALL_TIME_GOAL_MS / 1000} s`,
      m.ms <= WALL_TIME_GOAL_MS,
    ),
  ];
}

const benchmark: Benchmark = {
  name: "preflight",
  async run() {
    const { repo, running } = shopRepo();
    const scenario = world({ manualClock: true, extraServices: ["api", "worker"] });
    scenario.ecr = { repositories: [{ name: "web", images: [{ tags: ["1"], digest: digestOf("1") }] }] };
    const sim = await startSimulator({ scenario });
    const fake = await startFakeGitHub({ now: () => NOW });
    try {
      seedGitHub(fake, running, repo.head());
      const go = await measure(sim, fake, repo);
      if (go.verdict !== "go" || go.judged !== 5)
        throw new Error(`preflight did not judge every check go: ${go.message}`);
      sim.ecr.expireImage("web", digestOf("1"));
      const noGo = await measure(sim, fake, repo);
      if (noGo.verdict !== "no-go" || !noGo.message.includes(digestOf("1")))
        throw new Error(`preflight did not name the deleted digest: ${noGo.message}`);
      assertNoUnreportedDrifts();
      return [...rows("go, every check judged", go), ...rows("no-go, rollback image deleted", noGo)];
    } finally {
      await sim.stop();
      await fake.close();
      repo.remove();
    }
  },
};

export default benchmark;
