// Cold start of each bundle (spawn to exit, with its required inputs missing, so it fails right
// after parsing them) against a bare `node -e ''` measured in the same run, plus each bundle's size.
import { spawnSync } from "node:child_process";
import { statSync } from "node:fs";
import { bundlePath, listActions } from "../test/repo/layout";
import { findNode24 } from "../test/rig/node";
import { type Benchmark, type BenchRow, median, round } from "./types";

const RUNS = 15;

/**
 * Median spawn-to-exit time. A bundle must end the way the figure claims (exit 1 with one error
 * annotation about its inputs), or the figure would time a crash instead of a cold start.
 */
function timeSpawn(node: string, args: string[], expectInputError = false): number {
  const samples: number[] = [];
  const env = { PATH: process.env.PATH ?? "", GITHUB_ACTIONS: "true" };
  for (let i = 0; i < RUNS + 2; i++) {
    const start = process.hrtime.bigint();
    const run = spawnSync(node, args, { env, encoding: "utf8" });
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
    }
    if (i >= 2) samples.push(ms); // the first runs warm the page cache
  }
  return median(samples);
}

const benchmark: Benchmark = {
  name: "cold-start",
  async run() {
    const node = findNode24();
    const bare = timeSpawn(node, ["-e", ""]);
    const rows: BenchRow[] = [
      {
        benchmark: "cold start (Node 24)",
        case: "bare node -e ''",
        metric: "median",
        value: round(bare),
        unit: "ms",
      },
    ];
    for (const name of listActions()) {
      const ms = timeSpawn(node, [bundlePath(name)], true);
      const size = statSync(bundlePath(name)).size;
      rows.push({
        benchmark: "cold start (Node 24)",
        case: name,
        metric: "median",
        value: round(ms),
        unit: "ms",
        note: `+${round(ms - bare)} ms over bare node; bundle ${round(size / 1024, 0)} KiB`,
      });
    }
    return rows;
  },
};

export default benchmark;
