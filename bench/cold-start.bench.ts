// Cold start of each bundle against bare Node 24, paired: every sample spawns `node -e ''` and the
// bundle back to back (in alternating order), with the runner's environment set (the GITHUB_* files,
// the workspace), and the bundle's required inputs missing so it fails right after reading them. The
// figures are the median ratio of the pairs and the peak RSS of each process, read inside it at exit
// by a hook preloaded into both, so a loaded machine slows both sides of a pair alike.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundlePath, listActions } from "../test/repo/layout";
import { findNode24 } from "../test/rig/node";
import { type Benchmark, type BenchRow, median, round, withGoal } from "./types";

const RUNS = 15;
const WARM_UP = 2;
const MAX_RATIO = 2;
const MAX_EXTRA_RSS_MIB = 15;
const MAX_BUNDLE_BYTES = 1_000_000;

/** Preloaded into every process: writes its peak RSS (KiB) to the file named by COLD_START_RSS. */
const RSS_HOOK = `data:text/javascript,${encodeURIComponent(
  'import { writeFileSync } from "node:fs"; process.on("exit", () => writeFileSync(process.env.COLD_START_RSS, String(process.resourceUsage().maxRSS)));',
)}`;

interface Sample {
  ms: number;
  rssKiB: number;
}

function runnerEnvironment(dir: string): NodeJS.ProcessEnv {
  const file = (name: string): string => {
    const path = join(dir, name);
    writeFileSync(path, "");
    return path;
  };
  return {
    PATH: process.env.PATH ?? "",
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_WORKSPACE: dir,
    RUNNER_TEMP: dir,
    GITHUB_OUTPUT: file("output"),
    GITHUB_STATE: file("state"),
    GITHUB_ENV: file("env"),
    GITHUB_PATH: file("path"),
    GITHUB_STEP_SUMMARY: file("summary"),
    GITHUB_REPOSITORY: "acme/shop",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    GITHUB_REF: "refs/heads/main",
    GITHUB_RUN_ID: "1",
    GITHUB_RUN_ATTEMPT: "1",
  };
}

/**
 * One spawn, timed from spawn to exit. A bundle must end the way the figure claims (exit 1 with one
 * error annotation about its inputs), or the figure would time a crash instead of a cold start.
 */
function spawnOnce(node: string, args: string[], env: NodeJS.ProcessEnv, expectInputError: boolean): Sample {
  const rssFile = join(env.RUNNER_TEMP as string, "rss");
  rmSync(rssFile, { force: true });
  const start = process.hrtime.bigint();
  const run = spawnSync(node, ["--import", RSS_HOOK, ...args], {
    env: { ...env, COLD_START_RSS: rssFile },
    encoding: "utf8",
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (expectInputError) {
    const errors = run.stdout.split("\n").filter((line) => line.startsWith("::error"));
    if (
      run.status !== 1 ||
      errors.length !== 1 ||
      !/Input `|inputs are invalid|region/.test(errors[0] ?? "")
    ) {
      throw new Error(
        `${args.join(" ")} did not fail on its missing inputs (exit ${run.status}):\n${run.stdout}${run.stderr}`,
      );
    }
  } else if (run.status !== 0) {
    throw new Error(`${args.join(" ")} exited ${run.status}: ${run.stderr}`);
  }
  const rssKiB = Number(readFileSync(rssFile, "utf8"));
  if (!Number.isFinite(rssKiB) || rssKiB <= 0)
    throw new Error(`no peak RSS was recorded for ${args.join(" ")}`);
  return { ms, rssKiB };
}

const benchmark: Benchmark = {
  name: "cold-start",
  async run() {
    const node = findNode24();
    const dir = mkdtempSync(join(tmpdir(), "cold-start-"));
    const rows: BenchRow[] = [];
    try {
      const env = runnerEnvironment(dir);
      const bareAll: Sample[] = [];
      for (const name of listActions()) {
        const ratios: number[] = [];
        const extraRss: number[] = [];
        const times: number[] = [];
        for (let i = 0; i < RUNS + WARM_UP; i++) {
          // Alternate which side goes first, so neither always meets the warmer cache.
          const bundleFirst = i % 2 === 1;
          const first = bundleFirst
            ? spawnOnce(node, [bundlePath(name)], env, true)
            : spawnOnce(node, ["-e", ""], env, false);
          const second = bundleFirst
            ? spawnOnce(node, ["-e", ""], env, false)
            : spawnOnce(node, [bundlePath(name)], env, true);
          const [bare, bundle] = bundleFirst ? [second, first] : [first, second];
          if (i < WARM_UP) continue;
          bareAll.push(bare);
          ratios.push(bundle.ms / bare.ms);
          extraRss.push((bundle.rssKiB - bare.rssKiB) / 1024);
          times.push(bundle.ms);
        }
        const ratio = median(ratios);
        const rss = median(extraRss);
        const size = statSync(bundlePath(name)).size;
        rows.push(
          withGoal(
            {
              benchmark: "cold start (Node 24)",
              case: name,
              metric: "time / bare node (median of pairs)",
              value: round(ratio, 2),
              unit: "×",
              note: `median ${round(median(times))} ms`,
            },
            `≤ ${MAX_RATIO}×`,
            ratio <= MAX_RATIO,
          ),
          withGoal(
            {
              benchmark: "cold start (Node 24)",
              case: name,
              metric: "peak RSS over bare node",
              value: round(rss),
              unit: "MiB",
            },
            `≤ ${MAX_EXTRA_RSS_MIB} MiB`,
            rss <= MAX_EXTRA_RSS_MIB,
          ),
          withGoal(
            {
              benchmark: "cold start (Node 24)",
              case: name,
              metric: "index.js size",
              value: round(size / 1e6, 2),
              unit: "MB",
            },
            `≤ ${MAX_BUNDLE_BYTES / 1e6} MB`,
            size <= MAX_BUNDLE_BYTES,
          ),
        );
      }
      rows.unshift({
        benchmark: "cold start (Node 24)",
        case: "bare node -e ''",
        metric: "median",
        value: round(median(bareAll.map((s) => s.ms))),
        unit: "ms",
        note: `peak RSS ${round(median(bareAll.map((s) => s.rssKiB)) / 1024)} MiB`,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
};

export default benchmark;
