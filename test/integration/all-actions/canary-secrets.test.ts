// Canary secrets through every action, on the paths where secrets escape: a crashing container that
// echoes its environment, a migration tool that prints its DATABASE_URL, a failed migration, a failed
// gate whose service echoes its credentials, a report and a release that carry them on. A database
// URL with a URL-encoded password, a GitHub token and an AWS secret key must appear 0 times, in any
// encoding, in logs, summaries, outputs, state files and GitHub request bodies.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { available } from "../../rig/availability";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { hideDraftsFromTagLookup, installGraphQL } from "../../rig/fake-github-graphql";
import { TestRepo } from "../../rig/git-repo";
import { type ActionRun, runAction } from "../../rig/harness";
import { type Canary, findLeaks, type Leak, runPlaces } from "../../rig/secret-scan";
import { type PostgresServer, postgresAvailable, startPostgres } from "../../rig/services/postgres";
import { type Scenario, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import { image, POLL_MS, workspace, world } from "../ecs-deploy/stack";

// Characters that URL-encoding, JSON and markdown each change: "@", "/", ":", "%", "+", '"', "|".
const DB_PASSWORD = 'c@n4ry/Pw:50%+q"x|z';
const GITHUB_TOKEN = "ghs_CanaryTokenFor7heSecretScan0123456";
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCanaryKEY99";
const dbUrl = (host = "db.internal:5432", database = "shop") =>
  `postgres://canary:${encodeURIComponent(DB_PASSWORD)}@${host}/${database}`;

const CANARIES: Canary[] = [
  { name: "database password", value: DB_PASSWORD },
  { name: "database URL", value: dbUrl() },
  { name: "GitHub token", value: GITHUB_TOKEN },
  { name: "AWS secret access key", value: AWS_SECRET },
];

/** Every leak found, with the run it came from; the figure the README gives is its length. */
const leaks: Leak[] = [];
let scanned = 0;

function scan(label: string, run: ActionRun, github?: FakeGitHub, canaries: Canary[] = CANARIES): Leak[] {
  scanned++;
  const found = findLeaks(canaries, runPlaces(label, run, github?.calls ?? []));
  leaks.push(...found);
  return found;
}

afterAll(() => {
  console.log(`canary leaks: ${leaks.length} in ${scanned} runs`);
});

async function withWorld<T>(
  scenario: Scenario,
  fn: (sim: Simulator, github: FakeGitHub) => Promise<T>,
): Promise<T> {
  const sim = await startSimulator({ scenario });
  const github = await startFakeGitHub();
  try {
    return await fn(sim, github);
  } finally {
    await sim.stop();
    await github.close();
  }
}

const awsEnv = (sim: Simulator, github: FakeGitHub) => ({
  ...simulatorEnv(sim),
  AWS_SECRET_ACCESS_KEY: AWS_SECRET,
  GITHUB_API_URL: github.url,
});

describe("canary secrets never show", () => {
  it("ecs-deploy: a crashing container that echoes its DATABASE_URL, with a GitHub deployment", async () => {
    const scenario = world({
      images: {
        [image("2")]: {
          kind: "crash",
          exitCode: 1,
          exitLogs: [
            `env: DATABASE_URL=${dbUrl()}`,
            `FATAL: password authentication failed for "canary" (password was ${DB_PASSWORD})`,
            `config: ${JSON.stringify({ databaseUrl: dbUrl() })}`,
          ],
        },
      },
    });
    await withWorld(scenario, async (sim, github) => {
      const run = await runAction("ecs-deploy", {
        workspace: workspace(),
        env: awsEnv(sim, github),
        inputs: {
          cluster: "prod",
          services: "web",
          "poll-interval": `${POLL_MS}ms`,
          containers: `app=${image("2")}`,
          "environment-variables": `app.DATABASE_URL=${dbUrl()}\napp.DB_PASSWORD=${DB_PASSWORD}`,
          environment: "production",
          "environment-url": "https://shop.example.com/",
          "github-token": GITHUB_TOKEN,
        },
        timeoutMs: 90_000,
      });
      expect(run.exitCode).toBe(1);
      expect(run.summary).toContain("password authentication failed");
      expect(github.calls.some((c) => c.method === "POST" && c.path.endsWith("/statuses"))).toBe(true);
      expect(scan("ecs-deploy crash", run, github)).toEqual([]);
    });
  });

  it("run-task: a one-off task that prints its DATABASE_URL and the AWS key, then fails", async () => {
    const scenario = world({
      revisions: ["2"],
      images: {
        [image("2")]: {
          commands: {
            "print-env": {
              exitCode: 1,
              runMs: 20_000,
              logs: [`env: DATABASE_URL=${dbUrl()}`],
              exitLogs: [`aws: secret key ${AWS_SECRET} rejected`, `FATAL: password ${DB_PASSWORD} refused`],
            },
          },
        },
      },
    });
    await withWorld(scenario, async (sim, github) => {
      const run = await runAction("run-task", {
        env: { ...awsEnv(sim, github), DATABASE_URL: dbUrl() },
        inputs: {
          cluster: "prod",
          service: "web",
          "task-definition": "web:2",
          command: "print-env",
          "poll-interval": `${POLL_MS}ms`,
        },
        timeoutMs: 90_000,
      });
      expect(run.exitCode).toBe(1);
      expect(run.summary).toContain("FATAL: password *** refused");
      expect(scan("run-task", run, github)).toEqual([]);
    });
  });

  it("auto-rollback: a failed gate's report carrying the URL into the summary, statuses and incident issue", async () => {
    await withWorld(world({ revisions: ["2"] }), async (sim, github) => {
      const report = {
        verdict: "fail",
        reason: `health /ready failed: could not connect to ${dbUrl()}`,
        failedChecks: ["health /ready"],
      };
      const run = await runAction("auto-rollback", {
        workspace: workspace(),
        env: awsEnv(sim, github),
        inputs: {
          cluster: "prod",
          services: "web",
          "poll-interval": `${POLL_MS}ms`,
          "task-definition": "web:2",
          verdict: "fail",
          "health-report": JSON.stringify(report),
          "github-token": GITHUB_TOKEN,
          environment: "production",
          "incident-issue": "true",
        },
        timeoutMs: 90_000,
      });
      expect(run.summary).toContain("could not connect to postgres://canary:***@db.internal:5432/shop");
      expect(github.state.issues.length).toBe(1);
      expect(scan("auto-rollback", run, github)).toEqual([]);
    });
  });

  it("migrate: a migration tool that prints its DATABASE_URL and fails", async () => {
    await withWorld(world(), async (sim, github) => {
      const run = await runAction("migrate", {
        workspace: workspace({ "db/migrations/V1__init.sql": "CREATE TABLE accounts (id bigint);\n" }),
        env: awsEnv(sim, github),
        inputs: {
          mode: "command",
          "lint-scope": "all",
          "database-url": dbUrl(),
          // The tool prints the URL, the decoded password and the URL in base64, then fails.
          command: `node -e "const u = new URL(process.env.DATABASE_URL); console.log('connecting to ' + u.href); console.log('password ' + decodeURIComponent(u.password)); console.log(Buffer.from(u.href).toString('base64')); process.exit(3)"`,
        },
      });
      expect(run.exitCode).toBe(1);
      // The whole URL is the secret input: it is masked whole; the decoded password and base64 too.
      expect(run.errors[0]?.message).toContain("connecting to ***\npassword ***\n***");
      expect(scan("migrate command", run, github)).toEqual([]);
    });
  });

  it("build-push: a promote that fails, with the AWS key in the job's environment", async () => {
    const scenario: Scenario = { ecr: { repositories: [{ name: "shop/web" }] } };
    await withWorld(scenario, async (sim, github) => {
      const run = await runAction("build-push", {
        workspace: workspace(),
        env: awsEnv(sim, github),
        inputs: { repository: "shop/web", mode: "promote", source: "missing-tag", version: "v1.0.0" },
      });
      expect(run.exitCode).toBe(1);
      expect(scan("build-push promote", run, github)).toEqual([]);
    });
  });

  describe("through HTTP and GitHub", () => {
    let service: Server;
    let base = "";
    beforeAll(async () => {
      // A service that fails its health check and echoes what it was sent and what it connects to.
      service = createServer((req, res) => {
        res.statusCode = 500;
        res.setHeader("content-type", "application/json");
        res.end(
          JSON.stringify({ error: "database down", dsn: dbUrl(), authorization: req.headers.authorization }),
        );
      });
      await new Promise<void>((resolve) => service.listen(0, "127.0.0.1", resolve));
      base = `http://canary:${encodeURIComponent(DB_PASSWORD)}@127.0.0.1:${(service.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => service.close(() => resolve()));
    });

    it("health-gate: a failed gate whose service echoes its credentials and DSN", async () => {
      const run = await runAction("health-gate", {
        inputs: {
          "base-url": base,
          "health-urls": "/health",
          "probe-interval": "200ms",
          "failure-threshold": "1",
          soak: "0s",
          timeout: "10s",
          "smoke-secrets": `API_TOKEN=${GITHUB_TOKEN}`,
        },
        env: { AWS_SECRET_ACCESS_KEY: AWS_SECRET },
      });
      expect(run.exitCode).toBe(1);
      expect(run.outputs.verdict).toBe("fail");
      expect(scan("health-gate", run)).toEqual([]);
    });

    it("release-notes: a failed gate's report rendered into the release GitHub stores", async () => {
      const repo = TestRepo.create("shipline-canary-notes-");
      try {
        repo.commit({ message: "feat: first", files: { "a.txt": "1\n" } });
        repo.tag("v1.0.0");
        repo.commit({ message: "fix: second", files: { "a.txt": "2\n" } });
        repo.tag("v1.1.0");
        const github = await startFakeGitHub();
        installGraphQL(github, { repoDir: repo.dir, pullRequests: repo.pullRequests, people: repo.people });
        hideDraftsFromTagLookup(github);
        try {
          const run = await runAction("release-notes", {
            workspace: repo.dir,
            env: {
              GITHUB_API_URL: github.url,
              GITHUB_REF: "refs/tags/v1.1.0",
              GITHUB_REF_NAME: "v1.1.0",
              AWS_SECRET_ACCESS_KEY: AWS_SECRET,
            },
            inputs: {
              "github-token": GITHUB_TOKEN,
              verdict: "fail",
              "health-report": JSON.stringify({ verdict: "fail", reason: `could not connect to ${dbUrl()}` }),
            },
          });
          expect(run.exitCode).toBe(0);
          expect(github.state.releases).toHaveLength(1);
          expect(scan("release-notes", run, github)).toEqual([]);
        } finally {
          await github.close();
        }
      } finally {
        repo.remove();
      }
    });
  });
});

describe.runIf(available("PostgreSQL", postgresAvailable(), "apt-get install postgresql"))(
  "canary secrets never show when a migration fails",
  () => {
    let server: PostgresServer;
    beforeAll(async () => {
      server = await startPostgres();
    });
    afterAll(async () => {
      await server?.stop();
    });

    it("migrate sql: a failing migration, connected with a role whose password needs encoding", async () => {
      const url = await server.createDatabase();
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const database = new URL(url).pathname.slice(1);
      try {
        await admin
          .query(`CREATE ROLE canary LOGIN PASSWORD '${DB_PASSWORD.replace(/'/g, "''")}'`)
          .catch(() => {});
        await admin.query(`GRANT ALL ON DATABASE "${database}" TO canary`);
        await admin.query("GRANT ALL ON SCHEMA public TO canary");
      } finally {
        await admin.end();
      }
      const canaryUrl = dbUrl(`127.0.0.1:${server.port}`, database);
      const run = await runAction("migrate", {
        workspace: workspace({
          "db/migrations/V1__init.sql": "CREATE TABLE accounts (id bigint);\n",
          "db/migrations/V2__broken.sql": "ALTER TABLE acounts ADD COLUMN email text;\n",
        }),
        env: { AWS_SECRET_ACCESS_KEY: AWS_SECRET },
        inputs: { mode: "sql", "lint-scope": "all", lint: "false", "database-url": canaryUrl },
      });
      expect(run.exitCode).toBe(1);
      expect(run.errors[0]?.message).toMatch(/acounts/);
      expect(
        scan("migrate sql", run, undefined, [
          ...CANARIES,
          { name: "database URL (local)", value: canaryUrl },
        ]),
      ).toEqual([]);
    });
  },
);
