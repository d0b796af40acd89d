// Lint throughput on 1,000 generated migration files: the committed migrate bundle end to end (a fresh
// process: Node start, bundle load, WebAssembly parser start-up, discovery, lint, annotations, outputs),
// the parser's start-up alone, and the in-process parse + lint rate with a warm parser.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectMigrations } from "../packages/core/src/migrations/collect";
import { loadSqlParser } from "../packages/core/src/migrations/sql-parser";
import { bundlePath, readActionYaml } from "../test/repo/layout";
import { findNode24 } from "../test/rig/node";
import { type Benchmark, type BenchRow, median, round } from "./types";

const FILES = 1_000;
const RUNS = 5;

/** Realistic migrations: new tables, added columns, indexes, constraints, backfills; about 1 in 5 unsafe. */
function generate(dir: string): void {
  const folder = join(dir, "db", "migrations");
  mkdirSync(folder, { recursive: true });
  for (let i = 1; i <= FILES; i++) {
    const t = `table_${i}`;
    const previous = `table_${Math.max(1, i - 1)}`;
    const statements = [
      "SET lock_timeout = '5s';",
      `CREATE TABLE ${t} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  account_id bigint NOT NULL,\n  name text NOT NULL,\n  payload jsonb NOT NULL DEFAULT '{}'::jsonb,\n  created_at timestamptz NOT NULL DEFAULT now()\n);`,
      `ALTER TABLE ${previous} ADD COLUMN note_${i} text;`,
      `ALTER TABLE ${previous} ADD CONSTRAINT ${previous}_fk_${i} FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;`,
      `ALTER TABLE ${previous} VALIDATE CONSTRAINT ${previous}_fk_${i};`,
      `UPDATE ${previous} SET note_${i} = 'n/a' WHERE id BETWEEN ${i * 1000} AND ${i * 1000 + 999};`,
      `COMMENT ON TABLE ${t} IS 'generated migration ${i}';`,
    ];
    if (i % 5 === 0) statements.push(`CREATE INDEX ${previous}_name_${i} ON ${previous} (name);`);
    if (i % 7 === 0) statements.push(`ALTER TABLE ${previous} ALTER COLUMN name SET NOT NULL;`);
    writeFileSync(
      join(folder, `V${i}__migration_${i}.sql`),
      `-- migration ${i}\n${statements.join("\n\n")}\n`,
    );
  }
}

function bundleEnv(workspace: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? "", GITHUB_WORKSPACE: workspace };
  for (const [name, spec] of Object.entries(readActionYaml("migrate").inputs ?? {})) {
    if (spec.default !== undefined) env[`INPUT_${name.toUpperCase()}`] = String(spec.default);
  }
  Object.assign(env, { INPUT_MODE: "lint", "INPUT_LINT-SCOPE": "all", "INPUT_FAIL-ON": "never" });
  return env;
}

const benchmark: Benchmark = {
  name: "migrate-lint",
  async run() {
    const workspace = mkdtempSync(join(tmpdir(), "shipline-bench-lint-"));
    try {
      generate(workspace);
      const node = findNode24();
      const rows: BenchRow[] = [];

      const bundleMs: number[] = [];
      for (let i = 0; i < RUNS + 1; i++) {
        const start = process.hrtime.bigint();
        const result = spawnSync(node, [bundlePath("migrate")], {
          env: bundleEnv(workspace),
          encoding: "utf8",
          maxBuffer: 256 * 1024 * 1024,
        });
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        if (result.status !== 0)
          throw new Error(`the bundle failed: ${result.stdout.slice(-2000)}${result.stderr}`);
        if (!result.stdout.includes(`Found ${FILES} migration files`))
          throw new Error("the bundle did not find the files");
        if (i > 0) bundleMs.push(ms); // the first run warms the page cache
      }
      const bundle = median(bundleMs);
      rows.push({
        benchmark: "migrate lint",
        case: `${FILES} files, bundle end to end (Node 24)`,
        metric: "median",
        value: round(bundle, 0),
        unit: "ms",
        note: `target < 2000 ms incl. parser start-up; ${round((FILES / bundle) * 1000, 0)} files/s; min ${round(Math.min(...bundleMs), 0)} ms`,
      });

      const wasm = createRequire(import.meta.url).resolve("libpg-query");
      const startupMs: number[] = [];
      for (let i = 0; i < RUNS; i++) {
        const script = `const t=performance.now();const m=require(${JSON.stringify(wasm)});m.loadModule().then(()=>console.log(performance.now()-t))`;
        const result = spawnSync(node, ["-e", script], { encoding: "utf8" });
        startupMs.push(Number(result.stdout.trim()));
      }
      rows.push({
        benchmark: "migrate lint",
        case: "parser start-up (load + instantiate the .wasm)",
        metric: "median",
        value: round(median(startupMs), 1),
        unit: "ms",
      });

      const parser = await loadSqlParser();
      const inProcessMs: number[] = [];
      let statements = 0;
      for (let i = 0; i < RUNS; i++) {
        const start = process.hrtime.bigint();
        const collection = await collectMigrations({
          workspace,
          directory: workspace,
          layout: "auto",
          globs: [],
          parser,
          levels: {},
          lintOptions: { runnerSetsLockTimeout: false },
          run: async () => ({ exitCode: 1, stdout: "", stderr: "" }),
          addedFiles: undefined,
          alembicInstalled: false,
        });
        inProcessMs.push(Number(process.hrtime.bigint() - start) / 1e6);
        statements = collection.migrations.reduce((n, m) => n + m.report.statements, 0);
      }
      const inProcess = median(inProcessMs);
      rows.push({
        benchmark: "migrate lint",
        case: `${FILES} files (${statements} statements), discovery + parse + lint in process`,
        metric: "median",
        value: round(inProcess, 0),
        unit: "ms",
        note: `${round((statements / inProcess) * 1000, 0)} statements/s with a warm parser (Node ${process.versions.node.split(".")[0]})`,
      });
      return rows;
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  },
};

export default benchmark;
