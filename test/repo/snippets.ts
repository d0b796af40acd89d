// The ```yaml blocks of every Markdown file in the repository (READMEs, examples, guides), read as
// what a user pastes: a whole workflow, the `jobs:` of one, a list of steps, or one step. Each is
// turned into a workflow file that actionlint can check as it stands; only what the block cannot hold
// is added around it: a trigger, a job, and for a `steps.<id>` or `needs.<job>` the block refers to
// but does not define (the steps before it in the reader's job), a stand-in that defines it. A block
// that is not a piece of a workflow (a configuration file) says so in an HTML comment on the line
// before its fence: `<!-- snippet: not a workflow (...) -->`.
import { readdirSync, readFileSync } from "node:fs";
import { isAbsolute, join, relative } from "node:path";
import { parse, stringify } from "yaml";
import { ROOT } from "./layout";

export type SnippetKind = "workflow" | "jobs" | "steps" | "step" | "not-a-workflow";

export interface Snippet {
  /** The Markdown file, relative to the repository root. */
  file: string;
  /** The line of the opening fence. */
  line: number;
  text: string;
  kind: SnippetKind;
  /** Why the block is not a piece of a workflow, when it says so. */
  reason?: string;
}

const SKIP = new Set(["node_modules", "dist", ".git", ".cache", "test-output", "test"]);

/** Every Markdown file of the repository outside dependencies, bundles and test fixtures. */
export function markdownFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name)) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return markdownFiles(path);
    return entry.name.endsWith(".md") ? [relative(ROOT, path)] : [];
  });
}

function kindOf(text: string, file: string, line: number): SnippetKind {
  let value: unknown;
  try {
    value = parse(text);
  } catch (error) {
    throw new Error(`${file}:${line}: the yaml block does not parse: ${String(error)}`);
  }
  const isStep = (v: unknown): boolean =>
    typeof v === "object" && v !== null && !Array.isArray(v) && ("uses" in v || "run" in v);
  if (Array.isArray(value) && value.length > 0 && value.every(isStep)) return "steps";
  if (isStep(value)) return "step";
  if (typeof value === "object" && value !== null && !Array.isArray(value) && "jobs" in value)
    return "on" in value ? "workflow" : "jobs";
  throw new Error(
    `${file}:${line}: a yaml block that is neither a workflow, its jobs, a list of steps nor one step; ` +
      "make it one, or mark it with <!-- snippet: not a workflow (what it is) --> on the line before",
  );
}

/** The yaml blocks of one Markdown file. */
export function snippetsOf(file: string): Snippet[] {
  const lines = readFileSync(isAbsolute(file) ? file : join(ROOT, file), "utf8").split("\n");
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i] ?? "")) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ""); i++) body.push(lines[i] ?? "");
    const text = `${body.join("\n")}\n`;
    const marker = /^<!-- snippet: not a workflow \((.+)\) -->$/.exec(lines[start - 1]?.trim() ?? "");
    const line = start + 1;
    found.push(
      marker
        ? { file, line, text, kind: "not-a-workflow", reason: marker[1] ?? "" }
        : { file, line, text, kind: kindOf(text, file, line) },
    );
  }
  return found;
}

export function allSnippets(): Snippet[] {
  return markdownFiles().flatMap(snippetsOf);
}

/** shipline's own actions and reusable workflows, as the copy that actionlint checks resolves them. */
export function resolveShipline(text: string): string {
  return text
    .replace(/<owner>\/shipline\/(\.github\/workflows\/[\w.-]+\.ya?ml)@[\w.-]+/g, "./$1")
    .replace(/<owner>\/shipline\/actions\/([a-z-]+)@[\w.-]+/g, "./.shipline/actions/$1");
}

type Raw = Record<string, unknown>;

/** The step ids and jobs a text refers to through `steps.<id>` and `needs.<job>.outputs.<name>`. */
function references(text: string): { steps: Set<string>; needs: Map<string, Set<string>> } {
  const steps = new Set([...text.matchAll(/\bsteps\.([\w-]+)\./g)].map((m) => m[1] ?? ""));
  const needs = new Map<string, Set<string>>();
  for (const m of text.matchAll(/\bneeds\.([\w-]+)\.outputs\.([\w-]+)/g)) {
    const outputs = needs.get(m[1] ?? "") ?? new Set<string>();
    outputs.add(m[2] ?? "");
    needs.set(m[1] ?? "", outputs);
  }
  return { steps, needs };
}

/**
 * A job around pasted steps: the steps, after a stand-in for each earlier step they name and do not
 * define, `needs` stand-in jobs that declare the outputs they read.
 */
function jobAround(steps: Raw[], text: string): { jobs: Raw } {
  const { steps: named, needs } = references(text);
  const defined = new Set(steps.map((s) => String(s.id ?? "")));
  const earlier = [...named]
    .filter((id) => !defined.has(id))
    .map((id) => ({ id, name: `earlier step ${id} (not part of the snippet)`, run: "true" }));
  const jobs: Raw = {};
  for (const [job, outputs] of needs) {
    jobs[job] = {
      "runs-on": "ubuntu-24.04",
      outputs: Object.fromEntries([...outputs].map((o) => [o, "stand-in"])),
      steps: [{ run: "true" }],
    };
  }
  jobs.snippet = {
    "runs-on": "ubuntu-24.04",
    ...(needs.size > 0 ? { needs: [...needs.keys()] } : {}),
    steps: [...earlier, ...steps],
  };
  return { jobs };
}

/** The snippet as a whole workflow file, or undefined for a block that is not a piece of one. */
export function asWorkflow(snippet: Snippet): string | undefined {
  const text = resolveShipline(snippet.text);
  switch (snippet.kind) {
    case "workflow":
      return text;
    case "jobs":
      return `on: push\n${text}`;
    case "steps":
      return stringify({ on: "push", ...jobAround(parse(text) as Raw[], text) });
    case "step":
      return stringify({ on: "push", ...jobAround([parse(text) as Raw], text) });
    case "not-a-workflow":
      return undefined;
  }
}
