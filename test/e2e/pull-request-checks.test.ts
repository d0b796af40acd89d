// The pull-request checks end to end: .github/workflows/pr-checks.yml run as GitHub would run it for a
// pull request of the shop that adds an unsafe migration and changes the task definition. The
// migration lint fails with the finding at file:line; the deploy plan passes, changes nothing in AWS
// and keeps one comment on the pull request up to date.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../rig/fake-github";
import { everythingPrinted } from "../rig/harness";
import { type Simulator, simulatorEnv, startSimulator } from "../sim/index";
import { ACCOUNT, CLUSTER, REPOSITORY, SERVICE, shopScenario } from "../world/account";
import { runWorkflow, type WorkflowRun } from "../world/runner/run-workflow";
import { buildShopRepo, type ShopRepo } from "../world/shop-repo";
import { SHIPLINE_REPOSITORY } from "../world/story";
import { GITHUB_TOKEN } from "../world/world";

const PLAN_ROLE = `arn:aws:iam::${ACCOUNT}:role/shop-plan`;
const MUTATING = [
  "RegisterTaskDefinition",
  "DeregisterTaskDefinition",
  "UpdateService",
  "StopServiceDeployment",
];

describe("pull-request checks end to end", () => {
  let sim: Simulator;
  let github: FakeGitHub;
  let shop: ShopRepo;
  let run: WorkflowRun;
  let base: string;
  let head: string;

  beforeAll(async () => {
    [sim, github] = await Promise.all([startSimulator(), startFakeGitHub({ owner: "acme", repo: "shop" })]);
    sim.load(shopScenario(undefined));
    shop = buildShopRepo("bad-release");
    base = shop.repo.head();
    shop.repo.git(["checkout", "-q", "-b", "order-totals"]);
    shop.repo.commit({
      message: "feat: order totals",
      files: {
        "db/migrations/003_add_order_total.sql": "ALTER TABLE orders ADD COLUMN total numeric NOT NULL;\n",
        "deploy/task-definition.json": shop.repo
          .git(["show", "HEAD:deploy/task-definition.json"])
          .replace('"value": "info"', '"value": "debug"'),
      },
    });
    head = shop.repo.head();
    run = await runWorkflow({
      workflow: ".github/workflows/pr-checks.yml",
      inputs: {
        "migrations-glob": "db/migrations/*.sql",
        "deploy-plan": true,
        "aws-region": sim.region,
        "plan-role-to-assume": PLAN_ROLE,
        "ecr-repository": `${ACCOUNT}.dkr.ecr.${sim.region}.amazonaws.com/${REPOSITORY}`,
        cluster: CLUSTER,
        services: SERVICE,
        container: "web",
        "task-definition": "deploy/task-definition.json",
      },
      secrets: {},
      github: {
        repository: "acme/shop",
        sha: head,
        ref: "refs/pull/5/merge",
        eventName: "pull_request",
        token: GITHUB_TOKEN,
        apiUrl: github.url,
        event: {
          number: 5,
          pull_request: {
            number: 5,
            base: { sha: base, ref: "main" },
            head: { sha: head, ref: "order-totals" },
          },
        },
      },
      workspace: shop.repo.dir,
      shipline: { repository: SHIPLINE_REPOSITORY, sha: "0123456789abcdef0123456789abcdef01234567" },
      credentials: (_role, region) => ({ ...simulatorEnv(sim), AWS_REGION: region }),
      mark: () => sim.calls.length,
    });
  }, 120_000);

  afterAll(async () => {
    await sim?.stop();
    await github?.close();
    shop?.repo.remove();
  });

  it("fails the migration lint on the unsafe statement of the new file, at its line", () => {
    const lint = run.jobs["migration-lint"];
    expect(lint?.result).toBe("failure");
    const step = lint?.steps.find((s) => s.action === "migrate");
    expect(step?.outcome).toBe("failure");
    const migrations = JSON.parse(step?.outputs.migrations ?? "[]") as {
      file: string;
      findings: { rule: string }[];
    }[];
    expect(migrations.map((m) => [m.file, m.findings.map((f) => f.rule)])).toEqual([
      [
        "db/migrations/003_add_order_total.sql",
        ["adding-not-null-column-without-default", "missing-lock-timeout"],
      ],
    ]);
    const errors = step?.run?.annotations.filter((a) => a.level === "error" && a.properties.file) ?? [];
    expect(errors.map((a) => [a.properties.file, a.properties.line, a.properties.title])).toEqual([
      [
        "db/migrations/003_add_order_total.sql",
        "1",
        expect.stringContaining("adding-not-null-column-without-default"),
      ],
    ]);
  });

  it("plans the deploy without changing anything in AWS, and comments the plan on the pull request", () => {
    const plan = run.jobs["deploy-plan"];
    expect(plan?.result).toBe("success");
    const step = plan?.steps.find((s) => s.action === "ecs-deploy");
    expect(step?.outputs.status).toBe("planned");
    expect(step?.role).toBe(PLAN_ROLE);
    const calls = sim.calls.slice(step?.marks[0], step?.marks[1]);
    expect(calls.filter((c) => MUTATING.includes(c.operation))).toEqual([]);
    // The read-only plan role the README lists.
    expect([...new Set(calls.filter((c) => c.status < 400).map((c) => c.iamAction))].sort()).toEqual([
      "ecs:DescribeServiceRevisions",
      "ecs:DescribeServices",
      "ecs:DescribeTaskDefinition",
    ]);
    const comments = github.state.comments.filter((c) => c.issue_number === 5);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("ECS deploy plan");
    expect(comments[0]?.body).toContain("LOG_LEVEL");
  });

  it("locates shipline in both jobs and prints no token", () => {
    expect(Object.keys(run.jobs).sort()).toEqual(["deploy-plan", "migration-lint"]);
    for (const job of Object.values(run.jobs)) {
      expect(job.steps.filter((s) => s.run).length, "steps that ran an action").toBeGreaterThan(0);
      expect(job.steps.find((s) => s.id === "shipline")?.outputs.repository).toBe(SHIPLINE_REPOSITORY);
      for (const step of job.steps) {
        if (step.run) expect(everythingPrinted(step.run)).not.toContain(GITHUB_TOKEN);
      }
    }
  });
});
