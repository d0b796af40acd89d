// `npm run bench [-- <name>...] [--readme] [--check]`: runs the benchmarks in bench/*.bench.ts and
// prints one table. With --readme it also writes the table into README.md between the bench markers;
// with --check it exits non-zero when a row misses its goal. A bench that cannot measure throws.
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../test/repo/layout";
import type { Benchmark, BenchRow } from "./types";

const args = process.argv.slice(2);
const writeReadme = args.includes("--readme");
const check = args.includes("--check");
const filters = args.filter((a) => !a.startsWith("--"));

const files = readdirSync(join(ROOT, "bench"))
  .filter((f) => f.endsWith(".bench.ts"))
  .sort();
const rows: BenchRow[] = [];
for (const file of files) {
  const { default: bench } = (await import(join(ROOT, "bench", file))) as { default: Benchmark };
  if (filters.length > 0 && !filters.includes(bench.name)) continue;
  console.error(`running ${bench.name} ...`);
  rows.push(...(await bench.run()));
}

const header = ["Benchmark", "Case", "Metric", "Value", "Goal", "Note"];
const body = rows.map((r) => [
  r.benchmark,
  r.case,
  r.metric,
  `${r.value}${r.unit ? ` ${r.unit}` : ""}`,
  r.goal ? `${r.goal}: ${r.met ? "met" : "**missed**"}` : "",
  r.note ?? "",
]);
const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] as string).length)));
const line = (cells: string[]): string =>
  `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(" | ")} |`;
const table = [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...body.map(line)].join(
  "\n",
);
console.log(table);

if (writeReadme) {
  const path = join(ROOT, "README.md");
  const readme = readFileSync(path, "utf8");
  const start = "<!-- bench:start -->";
  const end = "<!-- bench:end -->";
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from < 0 || to < from) throw new Error("README.md lacks the bench markers");
  writeFileSync(path, `${readme.slice(0, from + start.length)}\n${table}\n${readme.slice(to)}`);
  console.error("README.md updated.");
}

const missed = rows.filter((r) => r.goal !== undefined && r.met === false);
if (missed.length > 0) {
  console.error(
    `${missed.length} goal${missed.length === 1 ? "" : "s"} missed: ${missed.map((r) => `${r.case} ${r.metric}`).join("; ")}.`,
  );
  if (check) process.exit(1);
}
