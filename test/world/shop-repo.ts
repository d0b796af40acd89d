// The application repository the world deploys: a shop's web service (the demo service, run from its
// image's settings), its Dockerfile, task definition and migrations, with pull requests merged the ways
// GitHub merges them, and two releases. v1.1.0 carries a bug: a setting that makes 30 % of API requests
// fail, or (the crash variant) one the service cannot parse, so it exits at boot, or (the
// broken-migration variant) a migration PostgreSQL rejects, or (late-failure) a bug that shows only
// ten simulated minutes after the gate passed. With `migrationTask`, the image also
// carries the migrations and the shop's migration tool, and the task definition gives the container
// DATABASE_URL from Secrets Manager: the migration runs as a one-off ECS task of the new image.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../repo/layout";
import { type Person, TestRepo } from "../rig/git-repo";

/**
 * Which bug v1.1.0 ships: a setting that makes 30 % of API requests fail, one the service cannot parse
 * (it exits at boot), a migration PostgreSQL rejects, or (late-failure) a bug that shows only ten
 * simulated minutes after the gate passed, when the world switches it on (story.ts).
 */
export type Variant = "bad-release" | "crash-at-boot" | "broken-migration" | "late-failure";

export interface ShopRelease {
  tag: string;
  /** The commit the tag points at (main's head when it was cut). */
  sha: string;
  /** What the release does to the service, for the timeline. */
  story: string;
}

export interface ShopRepo {
  repo: TestRepo;
  releases: ShopRelease[];
}

const alice: Person = { name: "Alice Archer", email: "alice@shop.test", login: "alice" };
const bob: Person = { name: "Bob Baker", email: "bob@shop.test", login: "bob" };
const carol: Person = { name: "Carol Chen", email: "carol@shop.test", login: "carol" };

/** Where the task definition's DATABASE_URL comes from (migrationTask); the world holds its value. */
export const DATABASE_URL_SECRET_ARN =
  "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop/database-url-Q7mZ2k";

function dockerfile(failureRate: string, migrationTask: boolean): string {
  return [
    "# The shop's web service. The image carries the version and the settings the service runs with.",
    "FROM shipline-demo/busybox:1",
    "ARG VERSION=dev",
    `ENV VERSION=\${VERSION} LATENCY_MS=10 FAILURE_RATE=${failureRate}`,
    "COPY service/ /app/",
    ...(migrationTask
      ? ["# The migrations and their tool, for the one-off migration task.", "COPY db/ /app/db/"]
      : []),
    'CMD ["node", "/app/server.mjs"]',
    "",
  ].join("\n");
}

/** The role ECS pulls the shop's image and reads its secrets with. */
export const SHOP_EXECUTION_ROLE_ARN = "arn:aws:iam::123456789012:role/shop-web-execution";

const TASK_DEFINITION = {
  family: "shop-web",
  networkMode: "awsvpc",
  requiresCompatibilities: ["FARGATE"],
  cpu: "256",
  memory: "512",
  executionRoleArn: SHOP_EXECUTION_ROLE_ARN,
  containerDefinitions: [
    {
      name: "web",
      image: "shop/web:latest",
      essential: true,
      portMappings: [{ containerPort: 8080, protocol: "tcp" }],
      environment: [{ name: "LOG_LEVEL", value: "info" }],
      logConfiguration: {
        logDriver: "awslogs",
        options: {
          "awslogs-group": "/ecs/shop-web",
          "awslogs-region": "eu-west-1",
          "awslogs-stream-prefix": "web",
        },
      },
    },
  ],
};

/** The task definition with DATABASE_URL from Secrets Manager in the web container. */
function taskDefinitionWithDatabaseSecret(): Record<string, unknown> {
  const [web, ...rest] = TASK_DEFINITION.containerDefinitions;
  if (!web) throw new Error("the task definition has no container");
  return {
    ...TASK_DEFINITION,
    containerDefinitions: [
      { ...web, secrets: [{ name: "DATABASE_URL", valueFrom: DATABASE_URL_SECRET_ARN }] },
      ...rest,
    ],
  };
}

export interface ShopRepoOptions {
  /** The migrations run as a one-off ECS task of the new image (see the top of this file). */
  migrationTask?: boolean;
}

export function buildShopRepo(variant: Variant, options: ShopRepoOptions = {}): ShopRepo {
  const migrationTask = options.migrationTask ?? false;
  const repo = TestRepo.create("shipline-demo-shop-");
  const fixture = (name: string) =>
    readFileSync(join(ROOT, "test", "fixtures", "demo-service", name), "utf8");
  const server = fixture("server.mjs");
  repo.commit({ message: "chore: start the shop", files: { "README.md": "# shop\n" } });
  repo.squashPullRequest({
    number: 1,
    title: "feat: product catalogue API",
    author: alice,
    labels: ["enhancement"],
    commits: [
      {
        message: "feat: products",
        files: { "service/server.mjs": server, Dockerfile: dockerfile("0", false) },
      },
    ],
  });
  repo.mergeCommitPullRequest({
    number: 2,
    title: "feat: orders table and the ECS task definition",
    author: bob,
    commits: [
      {
        message: "feat: orders table",
        files: {
          "db/migrations/001_create_orders.sql": [
            "CREATE TABLE orders (",
            "  id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,",
            "  sku text NOT NULL,",
            "  quantity integer NOT NULL DEFAULT 1,",
            "  created_at timestamptz NOT NULL DEFAULT now()",
            ");",
            "",
          ].join("\n"),
          ...(migrationTask
            ? { "service/migrate.mjs": fixture("migrate.mjs"), Dockerfile: dockerfile("0", true) }
            : {}),
        },
      },
      {
        message: "chore: task definition",
        files: {
          "deploy/task-definition.json": `${JSON.stringify(migrationTask ? taskDefinitionWithDatabaseSecret() : TASK_DEFINITION, null, 2)}\n`,
        },
      },
    ],
  });
  const first = repo.head();
  repo.tag("v1.0.0", { annotated: true });

  repo.squashPullRequest({
    number: 3,
    title: "feat: gift messages on orders",
    author: carol,
    labels: ["enhancement"],
    commits: [
      {
        message: "feat: gift messages",
        files: {
          "db/migrations/002_add_gift_message.sql":
            // A misspelt column: valid SQL to the linter, refused by PostgreSQL when it is applied.
            variant === "broken-migration"
              ? "ALTER TABLE orders ADD COLUMN gift_message text;\nCOMMENT ON COLUMN orders.gift_mesage IS 'printed on the packing slip';\n"
              : "ALTER TABLE orders ADD COLUMN gift_message text;\n",
        },
      },
    ],
  });
  repo.squashPullRequest({
    number: 4,
    title: "perf: batch order writes",
    author: alice,
    commits: [
      {
        message: "perf: batch order writes",
        // The bug this release ships, as the demo service can show it.
        files: {
          Dockerfile: dockerfile(
            { "bad-release": "0.3", "crash-at-boot": "30%", "broken-migration": "0", "late-failure": "0" }[
              variant
            ],
            migrationTask,
          ),
        },
      },
    ],
  });
  const second = repo.head();
  repo.tag("v1.1.0", { annotated: true });
  return {
    repo,
    releases: [
      { tag: "v1.0.0", sha: first, story: "the catalogue and orders API" },
      {
        tag: "v1.1.0",
        sha: second,
        story: {
          "bad-release": "gift messages, and a bug: 30 % of API requests fail",
          "crash-at-boot": "gift messages, and a setting the service cannot parse: it exits at boot",
          "broken-migration": "gift messages, in a migration PostgreSQL rejects",
          "late-failure":
            "gift messages, and a bug that shows ten minutes after the gate: 30 % of API requests fail",
        }[variant],
      },
    ],
  };
}

/** The environment the image built from a commit's Dockerfile sets (ENV lines, VERSION from the build arg). */
export function imageEnvironmentAt(shop: ShopRepo, sha: string): Record<string, string> {
  const text = shop.repo.git(["show", `${sha}:Dockerfile`]);
  const args: Record<string, string> = { VERSION: sha };
  const env: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const match = /^ENV\s+(.+)$/.exec(line.trim());
    if (!match) continue;
    for (const pair of (match[1] ?? "").split(/\s+/)) {
      const at = pair.indexOf("=");
      if (at <= 0) continue;
      env[pair.slice(0, at)] = pair
        .slice(at + 1)
        .replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? "");
    }
  }
  return env;
}

/**
 * The files the image built from a commit's Dockerfile holds (its COPY lines, from the commit's tree),
 * under `root` as if it were the image's root directory.
 */
export function imageFilesAt(shop: ShopRepo, sha: string, root: string): void {
  const text = shop.repo.git(["show", `${sha}:Dockerfile`]);
  for (const line of text.split("\n")) {
    const match = /^COPY\s+(\S+)\s+(\S+)$/.exec(line.trim());
    if (!match) continue;
    const source = (match[1] ?? "").replace(/\/$/, "");
    const target = join(root, match[2] ?? "");
    mkdirSync(target, { recursive: true });
    const tar = execFileSync("git", ["archive", "--format=tar", `${sha}:${source}`], {
      cwd: shop.repo.dir,
      maxBuffer: 64 * 1024 * 1024,
    });
    execFileSync("tar", ["-x", "-C", target], { input: tar });
  }
}
