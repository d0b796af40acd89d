// The migration lint through the committed migrate bundle, end to end (a fresh process: Node start,
// bundle load, WebAssembly parser start-up, discovery, lint, annotations, outputs) on 10, 1,000 and
// 10,000 generated files: wall time and peak memory against the goals of the performance issue, next
// to a bare Node start measured in the same run. Plus the parser's start-up and the in-process rate.
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collectMigrations } from "../packages/core/src/migrations/collect";
import { loadSqlParser } from "../packages/core/src/migrations/sql-parser";
import { bundlePath, readActionYaml } from "../test/repo/layout";
import { findNode24 } from "../test/rig/node";
import { type Benchmark, type BenchRow, median, round } from "./types";

/** Files per case, how many runs the median is taken over, and the goals (ms, MiB; none: reported only). */
const CASES = [
  { files: 10, runs: 9, goalMs: 300, goalMiB: 150 },
  { files: 1_000, runs: 5, goalMs: 1_000, goalMiB: undefined },
  { files: 10_000, runs: 3, goalMs: 3_000, goalMiB: undefined },
] as const;

/** Realistic migrations: new tables, added columns, indexes, constraints, backfills; about 1 in 5 unsafe. */
function generate(dir: string, files: number): void {
  const folder = join(dir, "db", "migrations");
  mkdirSync(folder, { recursive: true });
  for (let i = 1; i <= files; i++) {
    const t = `table_${i}`;
    const previous = `table_${Math.max(1, i - 1)}`;
    const statements = [
      "SET lock_timeout = '5s';",
      "SET statement_timeout = '15min';",
      `CREATE TABLE ${t} (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  account_id bigint NOT NULL,\n  name text NOT NULL,\n  payload jsonb NOT NULL DEFAULT '{}'::jsonb,\n  created_at timestamptz NOT NULL DEFAULT now()\n);`,
      `ALTER TABLE ${previous} ADD COLUMN note_${i} text;`,
      `ALTER TABLE ${previous} ADD CONSTRAINT ${previous}_fk_${i} FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;`,
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

interface ProcessRun {
  ms: number;
  /** Peak resident memory of the process, from its high-water mark (VmHWM). */
  peakMiB: number;
  status: number | null;
  stdout: string;
}

/**
 * Runs a process to its exit, timing it and reading its peak memory from /proc while it runs (the
 * high-water mark only grows, so the last reading holds the peak, work at exit included).
 */
function measure(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let peakKiB = 0;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString("utf8");
    });
    const sample = (): void => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const hwm = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0);
        if (hwm > peakKiB) peakKiB = hwm;
      } catch {
        // Between the process's exit and its reaping there is nothing left to read.
      }
    };
    const timer = setInterval(sample, 2);
    child.on("error", (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on("exit", (status) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      clearInterval(timer);
      if (peakKiB === 0) {
        reject(
          new Error(
            `could not read the peak memory of ${command} ${args.join(" ")} from /proc (${stderr.trim()})`,
          ),
        );
        return;
      }
      resolve({ ms, peakMiB: peakKiB / 1024, status, stdout: `${stdout}${stderr}` });
    });
  });
}

/** The runner's environment for the step: inputs, and the files it reads outputs and the summary from. */
function bundleEnv(workspace: string, files: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH ?? "",
    GITHUB_ACTIONS: "true",
    GITHUB_WORKSPACE: workspace,
  };
  for (const name of ["GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_STATE", "GITHUB_ENV", "GITHUB_PATH"]) {
    const path = join(files, name.toLowerCase());
    writeFileSync(path, "");
    env[name] = path;
  }
  for (const [name, spec] of Object.entries(readActionYaml("migrate").inputs ?? {})) {
    if (spec.default !== undefined) env[`INPUT_${name.toUpperCase()}`] = String(spec.default);
  }
  Object.assign(env, { INPUT_MODE: "lint", "INPUT_LINT-SCOPE": "all", "INPUT_FAIL-ON": "never" });
  return env;
}

/** The bundle's run must have linted every file, or the figure would time something else. */
function checkLinted(run: ProcessRun, files: number, env: NodeJS.ProcessEnv): void {
  if (run.status !== 0) throw new Error(`the bundle failed (exit ${run.status}): ${run.stdout.slice(-2000)}`);
  if (!run.stdout.includes(`Found ${files} migration files`))
    throw new Error(`the bundle did not find the ${files} files`);
  const outputs = readFileSync(env.GITHUB_OUTPUT as string, "utf8");
  const marker = /^migrations<<(.+)$/m.exec(outputs);
  const body = marker
    ? outputs.slice((marker.index ?? 0) + marker[0].length + 1).split(`\n${marker[1]}`)[0]
    : undefined;
  const linted = body ? (JSON.parse(body) as unknown[]).length : 0;
  if (linted !== files) throw new Error(`the migrations output has ${linted} files, not ${files}`);
}

async function bundleRows(node: string, bare: number): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const c of CASES) {
    const workspace = mkdtempSync(join(tmpdir(), "shipline-bench-lint-"));
    try {
      generate(workspace, c.files);
      const runnerFiles = join(workspace, ".runner");
      mkdirSync(runnerFiles);
      const ms: number[] = [];
      let peak = 0;
      for (let i = 0; i < c.runs + 1; i++) {
        const env = bundleEnv(workspace, runnerFiles);
        const run = await measure(node, [bundlePath("migrate")], env);
        checkLinted(run, c.files, env);
        peak = Math.max(peak, run.peakMiB);
        if (i > 0) ms.push(run.ms); // the first run warms the page cache
      }
      const time = median(ms);
      rows.push({
        benchmark: "migrate lint",
        case: `${c.files.toLocaleString("en")} files, bundle end to end (Node 24)`,
        metric: "median",
        value: round(time, 0),
        unit: "ms",
        goal: `≤ ${c.goalMs.toLocaleString("en")} ms`,
        met: time <= c.goalMs,
        note: `best ${round(Math.min(...ms), 0)} ms; bare node ${round(bare, 0)} ms; ${round((c.files / time) * 1000, 0)} files/s`,
      });
      rows.push({
        benchmark: "migrate lint",
        case: `${c.files.toLocaleString("en")} files, bundle end to end (Node 24)`,
        metric: "max RSS",
        value: round(peak, 0),
        unit: "MiB",
        ...(c.goalMiB !== undefined ? { goal: `≤ ${c.goalMiB} MiB`, met: peak <= c.goalMiB } : {}),
      });
    } finally {
      rmSync(workspace, { recursive: true, force: true });
    }
  }
  return rows;
}

async function inProcessRow(): Promise<BenchRow> {
  const workspace = mkdtempSync(join(tmpdir(), "shipline-bench-lint-"));
  try {
    generate(workspace, 1_000);
    const parser = await loadSqlParser();
    const samples: number[] = [];
    let statements = 0;
    for (let i = 0; i < 5; i++) {
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
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      statements = collection.migrations.reduce((n, m) => n + m.report.statements, 0);
    }
    const ms = median(samples);
    return {
      benchmark: "migrate lint",
      case: `1,000 files (${statements} statements), discovery + parse + lint in process`,
      metric: "median",
      value: round(ms, 0),
      unit: "ms",
      note: `${round((statements / ms) * 1000, 0)} statements/s with a warm parser (Node ${process.versions.node.split(".")[0]})`,
    };
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

const benchmark: Benchmark = {
  name: "migrate-lint",
  async run() {
    const node = findNode24();
    const bareRuns: number[] = [];
    for (let i = 0; i < 9; i++)
      bareRuns.push((await measure(node, ["-e", ""], { PATH: process.env.PATH ?? "" })).ms);
    const bare = median(bareRuns);
    const rows = await bundleRows(node, bare);

    const startup: number[] = [];
    const loader = join(import.meta.dirname, "..", "packages", "core", "src", "migrations", "sql-parser.ts");
    for (let i = 0; i < 5; i++) {
      // Timed from after the module is imported: tsx's own transpiling is not the parser's start-up.
      const script = `const {loadSqlParser}=await import(${JSON.stringify(loader)});const t=performance.now();await loadSqlParser();console.log(performance.now()-t)`;
      const result = spawnSync(node, ["--import", "tsx", "--input-type=module", "-e", script], {
        encoding: "utf8",
      });
      const ms = Number(result.stdout.trim());
      if (result.status !== 0 || !Number.isFinite(ms))
        throw new Error(`the parser did not start: ${result.stderr}`);
      startup.push(ms);
    }
    rows.push({
      benchmark: "migrate lint",
      case: "parser start-up (read, compile and instantiate the .wasm)",
      metric: "median",
      value: round(median(startup), 1),
      unit: "ms",
    });
    rows.push(await inProcessRow());
    return rows;
  },
};

export default benchmark;
