// Reads this repository's workflows (the reusable ones in .github/workflows and the example callers in
// examples/workflows) into a small model the workflow contract tests check: jobs, steps, what each
// step calls, and every expression.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { type ActionYaml, ROOT, readActionYaml } from "../repo/layout";

export interface WorkflowStep {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}

export interface WorkflowJob {
  name?: string;
  needs?: string | string[];
  if?: string;
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: "inherit" | Record<string, unknown>;
  permissions?: Record<string, string>;
  environment?: string | { name: string; url?: string };
  concurrency?: string | { group: string; "cancel-in-progress"?: boolean | string };
  outputs?: Record<string, string>;
  steps?: WorkflowStep[];
}

export interface WorkflowCallSpec {
  inputs?: Record<string, { required?: boolean; type?: string; default?: unknown; description?: string }>;
  secrets?: Record<string, { required?: boolean; description?: string }>;
  outputs?: Record<string, { value: string; description?: string }>;
}

export interface Workflow {
  /** Path relative to the repository root. */
  file: string;
  text: string;
  name?: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  jobs: Record<string, WorkflowJob>;
}

function loadDir(dir: string): Workflow[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => {
      const path = join(ROOT, dir, f);
      const text = readFileSync(path, "utf8");
      const doc = parse(text) as Omit<Workflow, "file" | "text">;
      // `on` is the only key YAML 1.1 would read as a boolean; the yaml package keeps it a string.
      return { ...doc, on: doc.on ?? {}, file: relative(ROOT, path), text };
    });
}

export function repositoryWorkflows(): Workflow[] {
  return loadDir(".github/workflows");
}

export function exampleWorkflows(): Workflow[] {
  return loadDir("examples/workflows");
}

export function workflowCall(workflow: Workflow): WorkflowCallSpec | undefined {
  const call = workflow.on.workflow_call;
  return call === undefined ? undefined : ((call ?? {}) as WorkflowCallSpec);
}

export function needsOf(job: WorkflowJob): string[] {
  if (job.needs === undefined) return [];
  return Array.isArray(job.needs) ? job.needs : [job.needs];
}

/** The shipline action a `uses:` names (`./.shipline/actions/x`, `./actions/x`, `<owner>/shipline/actions/x@v1`). */
export function shiplineAction(uses: string | undefined): string | undefined {
  if (!uses) return undefined;
  const local = /^\.\/(?:\.shipline\/)?actions\/([a-z-]+)$/.exec(uses);
  if (local) return local[1];
  return /^[^/]+\/shipline\/actions\/([a-z-]+)@\S+$/.exec(uses)?.[1];
}

/** The shipline reusable workflow file a job's `uses:` names, relative to the repository root. */
export function shiplineWorkflow(uses: string | undefined): string | undefined {
  if (!uses) return undefined;
  const local = /^\.\/(\.github\/workflows\/[\w.-]+\.ya?ml)$/.exec(uses);
  if (local) return local[1];
  return /^[^/]+\/shipline\/(\.github\/workflows\/[\w.-]+\.ya?ml)@\S+$/.exec(uses)?.[1];
}

/** A third-party action reference (`owner/repo[/path]@ref`), or undefined for local and shipline ones. */
export function thirdPartyAction(uses: string | undefined): { action: string; ref: string } | undefined {
  if (!uses || uses.startsWith("./") || shiplineAction(uses) || shiplineWorkflow(uses)) return undefined;
  const at = uses.lastIndexOf("@");
  return at > 0 ? { action: uses.slice(0, at), ref: uses.slice(at + 1) } : { action: uses, ref: "" };
}

export function actionYaml(name: string): ActionYaml {
  return readActionYaml(name);
}

/** Every `${{ ... }}` expression in a value, and the whole value for `if:` keys (implicitly an expression). */
export function expressionsIn(value: unknown, key = ""): string[] {
  if (typeof value === "string") {
    const found = [...value.matchAll(/\$\{\{([\s\S]*?)\}\}/g)].map((m) => (m[1] ?? "").trim());
    if (key === "if" && found.length === 0) return [value];
    return found;
  }
  if (Array.isArray(value)) return value.flatMap((v) => expressionsIn(v));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => expressionsIn(v, k));
  }
  return [];
}

/** The outputs a step's action can set, or undefined when they cannot be known statically. */
export function stepOutputs(step: WorkflowStep): Set<string> | undefined {
  const shipline = shiplineAction(step.uses);
  if (shipline) return new Set(Object.keys(actionYaml(shipline).outputs ?? {}));
  const third = thirdPartyAction(step.uses);
  if (third?.action === "actions/github-script") {
    const script = String(step.with?.script ?? "");
    return new Set([
      "result",
      ...[...script.matchAll(/core\.setOutput\("([\w-]+)"/g)].map((m) => m[1] ?? ""),
    ]);
  }
  if (third?.action === "aws-actions/configure-aws-credentials") {
    return new Set([
      "aws-account-id",
      "aws-access-key-id",
      "aws-secret-access-key",
      "aws-session-token",
      "aws-expiration",
    ]);
  }
  return undefined;
}

/** The `uses:` lines of a workflow's text with their trailing comments, for the pinning rule. */
export function usesLines(text: string): { uses: string; comment: string; line: number }[] {
  return text.split("\n").flatMap((line, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*(\S+)\s*(?:#\s*(.*))?$/.exec(line);
    return match ? [{ uses: match[1] ?? "", comment: (match[2] ?? "").trim(), line: index + 1 }] : [];
  });
}
