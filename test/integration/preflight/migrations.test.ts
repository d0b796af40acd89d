// The migrations check against a real git repository and PostgreSQL's own grammar: the files added
// since the commit production runs are the pending ones, and a drop of what the running code still
// names is refused with the expand and contract advice (integration: git, the WebAssembly parser).
import { afterEach, describe, expect, it } from "vitest";
import { gitIn } from "../../../packages/core/src/migrations/new-files";
import { loadSqlParser } from "../../../packages/core/src/migrations/sql-parser";
import {
  judgeMigrations,
  type MigrationQuestion,
  readMigrationFacts,
} from "../../../packages/core/src/preflight/migrations";
import { execCommand } from "../../../packages/core/src/runtime/exec";
import { TestRepo } from "../../rig/git-repo";

let repo: TestRepo | undefined;
afterEach(() => {
  repo?.remove();
  repo = undefined;
});

const SUPPRESSED = "-- shipline-ignore: dropping-column contract phase, the code stopped using it in v1.1\n";

/** v1.0 (production) reads legacy_sku; the release drops it. */
function shop(releaseCode: string): { running: string } {
  repo = TestRepo.create("shipline-preflight-");
  repo.commit({
    message: "v1.0",
    files: {
      "db/migrations/001_products.sql": "CREATE TABLE products (id bigint PRIMARY KEY, legacy_sku text);\n",
      "src/products.ts": 'export const columns = ["id", "legacy_sku"];\n',
    },
  });
  const running = repo.head();
  repo.commit({
    message: "release",
    files: {
      "db/migrations/002_drop_legacy_sku.sql": `${SUPPRESSED}ALTER TABLE products DROP COLUMN legacy_sku;\n`,
      "src/products.ts": releaseCode,
    },
  });
  return { running };
}

async function judge(running: string | undefined, overrides: Partial<MigrationQuestion> = {}) {
  const dir = repo?.dir ?? "";
  // git runs where preflight runs it: in the migrations directory.
  const gitDir = overrides.directory ?? dir;
  const question: MigrationQuestion = {
    workspace: dir,
    directory: dir,
    layout: "glob",
    globs: ["db/migrations/*.sql"],
    levels: {},
    runningSha: running,
    allowDestructive: true,
    backup: "if-destructive",
    ...overrides,
  };
  const facts = await readMigrationFacts(
    {
      parser: await loadSqlParser(),
      git: gitIn(gitDir),
      run: (command, args, cwd) => execCommand(command, args, { cwd, echo: false }),
    },
    question,
  );
  return { facts, judged: judgeMigrations(question, facts) };
}

describe("the migrations check", () => {
  it("counts as pending only what was added since production's commit", async () => {
    const { running } = shop('export const columns = ["id"];\n');
    const { facts } = await judge(running);
    expect(facts.pending.map((p) => p.file)).toEqual(["db/migrations/002_drop_legacy_sku.sql"]);
  });

  it("refuses a drop of a column the running version's code still names, with the expand and contract advice", async () => {
    const { running } = shop('export const columns = ["id"];\n');
    const { judged } = await judge(running);
    expect(judged.status).toBe("fail");
    expect(judged.summary).toContain(
      "drops column products.legacy_sku, which the running version still uses (src/products.ts:1)",
    );
    expect(judged.fix).toMatch(/^Expand and contract/);
  });

  it("searches the whole repository when the migrations directory is a subdirectory (db/)", async () => {
    const { running } = shop('export const columns = ["id"];\n');
    const dir = repo?.dir ?? "";
    const { judged } = await judge(running, { directory: `${dir}/db`, globs: ["migrations/*.sql"] });
    expect(judged.status).toBe("fail");
    // The running code is found; the migration that created the column is not taken for a use.
    expect(judged.summary).toContain("which the running version still uses (src/products.ts:1)");
    expect(judged.summary).not.toContain("001_products.sql");
  });

  it("passes the contract step: production already runs code that no longer names the column", async () => {
    repo = TestRepo.create("shipline-preflight-");
    repo.commit({
      message: "v1.0",
      files: {
        "db/migrations/001_products.sql": "CREATE TABLE products (id bigint PRIMARY KEY, legacy_sku text);\n",
        "src/products.ts": 'export const columns = ["id", "legacy_sku"];\n',
      },
    });
    repo.commit({
      message: "v1.1 stops using it",
      files: { "src/products.ts": 'export const columns = ["id"];\n' },
    });
    const running = repo.head();
    repo.commit({
      message: "v1.2 drops it",
      files: {
        "db/migrations/002_drop_legacy_sku.sql": `${SUPPRESSED}ALTER TABLE products DROP COLUMN legacy_sku;\n`,
      },
    });
    const { judged } = await judge(running);
    expect(judged.status).toBe("pass");
    expect(judged.summary).toContain("drop nothing the running code uses");
  });

  it("refuses a destructive migration without allow-destructive, and without a backup", async () => {
    const { running } = shop('export const columns = ["id"];\n');
    const { judged } = await judge(running, { allowDestructive: false, backup: "never" });
    expect(judged.summary).toContain("is destructive and `allow-destructive` is false");
    expect(judged.summary).toContain("needs a backup");
  });

  it("fails on lint errors at error level, naming file and line", async () => {
    const { running } = shop('export const columns = ["id"];\n');
    repo?.commit({
      message: "index",
      files: { "db/migrations/003_index.sql": "CREATE INDEX products_sku ON products (id);\n" },
    });
    const { judged } = await judge(running);
    expect(judged.summary).toMatch(/db\/migrations\/003_index\.sql:1 /);
  });
});
