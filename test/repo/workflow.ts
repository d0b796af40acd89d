// One typed model of a GitHub Actions workflow file, read strictly: the triggers and the reusable
// workflow's interface (`workflow_call` inputs, secrets, outputs), the jobs in dependency order with
// their `needs`, `if:`, environment, permissions, concurrency and outputs, and every step's `uses:` or
// `run:`, `with:`, `env` and `if:`. A key GitHub does not know, a value of the wrong kind, a `needs`
// that names no job or an input default of the wrong type is an error naming the file and the place,
// so the workflow runner, the contract tests and the docs generator never work from a misread file.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { parse } from "yaml";
import { type ActionYaml, ROOT, readActionYaml } from "./layout";

/** What a `with:`, `env` or input value can be in YAML. */
export type Scalar = string | number | boolean;

export class WorkflowError extends Error {
  override name = "WorkflowError";
}

export const PERMISSION_SCOPES = [
  "actions",
  "attestations",
  "checks",
  "contents",
  "deployments",
  "discussions",
  "id-token",
  "issues",
  "models",
  "packages",
  "pages",
  "pull-requests",
  "repository-projects",
  "security-events",
  "statuses",
] as const;
export type PermissionScope = (typeof PERMISSION_SCOPES)[number];
export type PermissionLevel = "read" | "write" | "none";
/** The GITHUB_TOKEN's scopes; `read-all` and `write-all` are read as every scope at that level. */
export type Permissions = Partial<Record<PermissionScope, PermissionLevel>>;

export interface Concurrency {
  group: string;
  /** A boolean, or an expression that decides it. */
  cancelInProgress: boolean | string;
}

export interface Environment {
  name: string;
  url?: string;
}

export type CallInputType = "string" | "boolean" | "number";

export interface CallInput {
  type: CallInputType;
  required: boolean;
  /** Of the input's type; absent when the workflow gives none (GitHub then uses "", false or 0). */
  default?: Scalar;
  description?: string;
}

export interface CallSecret {
  required: boolean;
  description?: string;
}

export interface CallOutput {
  /** An expression over the `jobs` context. */
  value: string;
  description?: string;
}

/** A reusable workflow's interface: what a caller's `with:` and `secrets:` may give, what it gets back. */
export interface WorkflowCall {
  inputs: Record<string, CallInput>;
  secrets: Record<string, CallSecret>;
  outputs: Record<string, CallOutput>;
}

export interface Step {
  /** Position in the job, from 0. */
  index: number;
  id?: string;
  name?: string;
  /** The condition as written (GitHub reads it as an expression, `${{ }}` or not). */
  if?: string;
  /** Exactly one of `uses` and `run` is set. */
  uses?: string;
  run?: string;
  /** Inputs of the action (`uses` steps only); values as written, templates unevaluated. */
  with: Record<string, Scalar>;
  env: Record<string, Scalar>;
  shell?: string;
  workingDirectory?: string;
  continueOnError: boolean | string;
  timeoutMinutes?: number | string;
}

interface JobCommon {
  id: string;
  name?: string;
  /** The jobs this one waits for, in the order written. */
  needs: string[];
  if?: string;
  permissions?: Permissions;
  concurrency?: Concurrency;
  /** A matrix, as written (not modelled further: the runner refuses one). */
  strategy?: unknown;
}

/** A job that runs steps on a runner. */
export interface StepsJob extends JobCommon {
  kind: "steps";
  runsOn: unknown;
  environment?: Environment;
  outputs: Record<string, string>;
  env: Record<string, Scalar>;
  timeoutMinutes?: number | string;
  continueOnError: boolean | string;
  /** Container and service containers, as written (not modelled further: the runner refuses them). */
  container?: unknown;
  services?: unknown;
  defaults?: unknown;
  steps: Step[];
}

/** A job that calls a reusable workflow (`uses:` at the job level). */
export interface CallJob extends JobCommon {
  kind: "call";
  uses: string;
  with: Record<string, Scalar>;
  secrets: "inherit" | Record<string, string>;
}

export type Job = StepsJob | CallJob;

export interface Workflow {
  /** Path relative to the repository root (or the name it was parsed under). */
  file: string;
  text: string;
  name?: string;
  runName?: string;
  /** Each trigger with its configuration as written (null when it has none). */
  on: Record<string, unknown>;
  /** The reusable workflow's interface, when `on` has `workflow_call`. */
  workflowCall?: WorkflowCall;
  permissions?: Permissions;
  env: Record<string, Scalar>;
  concurrency?: Concurrency;
  defaults?: unknown;
  /** By id, in the order written. */
  jobs: Record<string, Job>;
}

// ---- reading ---------------------------------------------------------------------------------------

const ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

type Raw = Record<string, unknown>;

/** Reads YAML nodes at one place of one file, failing with the file and the place. */
class Reader {
  constructor(readonly file: string) {}

  fail(where: string, message: string): never {
    throw new WorkflowError(`${this.file}: ${where ? `${where}: ` : ""}${message}`);
  }

  map(value: unknown, where: string): Raw {
    if (value === null || value === undefined) return {};
    if (typeof value !== "object" || Array.isArray(value)) this.fail(where, "must be a mapping");
    return value as Raw;
  }

  keys(value: Raw, allowed: readonly string[], where: string): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.fail(where, `unknown key "${key}" (known: ${[...allowed].sort().join(", ")})`);
    }
  }

  string(value: unknown, where: string): string {
    if (typeof value !== "string")
      this.fail(where, value === undefined ? "is missing" : `must be a string, not ${kindOf(value)}`);
    return value;
  }

  optionalString(value: unknown, where: string): string | undefined {
    return value === undefined ? undefined : this.string(value, where);
  }

  scalar(value: unknown, where: string): Scalar {
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
    return this.fail(where, `must be a string, number or boolean, not ${kindOf(value)}`);
  }

  scalars(value: unknown, where: string): Record<string, Scalar> {
    const out: Record<string, Scalar> = {};
    for (const [key, item] of Object.entries(this.map(value, where)))
      out[key] = this.scalar(item, `${where}.${key}`);
    return out;
  }

  strings(value: unknown, where: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(this.map(value, where)))
      out[key] = this.string(item, `${where}.${key}`);
    return out;
  }

  /** A boolean, or an expression string that decides it at run time. */
  flag(value: unknown, where: string): boolean | string {
    if (value === undefined) return false;
    if (typeof value === "boolean") return value;
    if (typeof value === "string" && /^\$\{\{[\s\S]*\}\}$/.test(value.trim())) return value;
    return this.fail(where, `must be true, false or a \${{ }} expression, not ${JSON.stringify(value)}`);
  }

  /** A number of minutes, or an expression string. */
  minutes(value: unknown, where: string): number | string | undefined {
    if (value === undefined) return undefined;
    if (typeof value === "number" && value > 0) return value;
    if (typeof value === "string" && /^\$\{\{[\s\S]*\}\}$/.test(value.trim())) return value;
    return this.fail(where, `must be a positive number of minutes or a \${{ }} expression`);
  }

  condition(value: unknown, where: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value === "boolean" || typeof value === "number") return String(value);
    return this.string(value, where);
  }

  id(value: string, where: string): string {
    if (!ID.test(value))
      this.fail(where, `"${value}" is not a valid id (a letter or _, then letters, digits, - or _)`);
    return value;
  }
}

function kindOf(value: unknown): string {
  if (value === undefined) return "missing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `the ${typeof value} ${JSON.stringify(value)}`;
}

function readPermissions(r: Reader, value: unknown, where: string): Permissions | undefined {
  if (value === undefined) return undefined;
  if (value === "read-all" || value === "write-all") {
    const level = value === "read-all" ? "read" : "write";
    return Object.fromEntries(PERMISSION_SCOPES.map((scope) => [scope, level]));
  }
  const map = r.map(value, where);
  r.keys(map, PERMISSION_SCOPES, where);
  const out: Permissions = {};
  for (const [scope, level] of Object.entries(map)) {
    if (level !== "read" && level !== "write" && level !== "none")
      r.fail(`${where}.${scope}`, `must be read, write or none, not ${JSON.stringify(level)}`);
    out[scope as PermissionScope] = level;
  }
  return out;
}

function readConcurrency(r: Reader, value: unknown, where: string): Concurrency | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return { group: value, cancelInProgress: false };
  const map = r.map(value, where);
  r.keys(map, ["group", "cancel-in-progress"], where);
  return {
    group: r.string(map.group, `${where}.group`),
    cancelInProgress: r.flag(map["cancel-in-progress"], `${where}.cancel-in-progress`),
  };
}

function readEnvironment(r: Reader, value: unknown, where: string): Environment | undefined {
  if (value === undefined) return undefined;
  if (typeof value === "string") return { name: value };
  const map = r.map(value, where);
  r.keys(map, ["name", "url"], where);
  const url = r.optionalString(map.url, `${where}.url`);
  return { name: r.string(map.name, `${where}.name`), ...(url !== undefined ? { url } : {}) };
}

function readTriggers(r: Reader, value: unknown): Record<string, unknown> {
  if (typeof value === "string") return { [value]: null };
  if (Array.isArray(value)) return Object.fromEntries(value.map((v, i) => [r.string(v, `on[${i}]`), null]));
  const map = r.map(value, "on");
  if (Object.keys(map).length === 0) r.fail("on", "names no trigger");
  return map;
}

const INPUT_TYPES: readonly CallInputType[] = ["string", "boolean", "number"];

function readWorkflowCall(r: Reader, value: unknown): WorkflowCall {
  const where = "on.workflow_call";
  const map = r.map(value, where);
  r.keys(map, ["inputs", "secrets", "outputs"], where);
  const call: WorkflowCall = { inputs: {}, secrets: {}, outputs: {} };
  for (const [name, raw] of Object.entries(r.map(map.inputs, `${where}.inputs`))) {
    const at = `${where}.inputs.${r.id(name, `${where}.inputs`)}`;
    const spec = r.map(raw, at);
    r.keys(spec, ["description", "type", "required", "default"], at);
    const type = spec.type;
    if (!INPUT_TYPES.includes(type as CallInputType))
      r.fail(`${at}.type`, `must be one of ${INPUT_TYPES.join(", ")}, not ${JSON.stringify(type)}`);
    const input: CallInput = { type: type as CallInputType, required: requiredFlag(r, spec, at) };
    if (spec.default !== undefined) {
      const fallback = r.scalar(spec.default, `${at}.default`);
      if (typeof fallback !== type) r.fail(`${at}.default`, `must be a ${type}, like the input`);
      input.default = fallback;
    }
    const description = r.optionalString(spec.description, `${at}.description`);
    if (description !== undefined) input.description = description;
    call.inputs[name] = input;
  }
  for (const [name, raw] of Object.entries(r.map(map.secrets, `${where}.secrets`))) {
    const at = `${where}.secrets.${r.id(name, `${where}.secrets`)}`;
    const spec = r.map(raw, at);
    r.keys(spec, ["description", "required"], at);
    const description = r.optionalString(spec.description, `${at}.description`);
    call.secrets[name] = {
      required: requiredFlag(r, spec, at),
      ...(description !== undefined ? { description } : {}),
    };
  }
  for (const [name, raw] of Object.entries(r.map(map.outputs, `${where}.outputs`))) {
    const at = `${where}.outputs.${r.id(name, `${where}.outputs`)}`;
    const spec = r.map(raw, at);
    r.keys(spec, ["description", "value"], at);
    const description = r.optionalString(spec.description, `${at}.description`);
    call.outputs[name] = {
      value: r.string(spec.value, `${at}.value`),
      ...(description !== undefined ? { description } : {}),
    };
  }
  return call;
}

function requiredFlag(r: Reader, spec: Raw, at: string): boolean {
  if (spec.required === undefined) return false;
  if (typeof spec.required !== "boolean") r.fail(`${at}.required`, "must be true or false");
  return spec.required;
}

const STEP_KEYS = [
  "id",
  "name",
  "if",
  "uses",
  "run",
  "with",
  "env",
  "shell",
  "working-directory",
  "continue-on-error",
  "timeout-minutes",
] as const;

function readStep(r: Reader, value: unknown, index: number, where: string): Step {
  const raw = r.map(value, where);
  r.keys(raw, STEP_KEYS, where);
  const uses = r.optionalString(raw.uses, `${where}.uses`);
  const run = r.optionalString(raw.run, `${where}.run`);
  if ((uses === undefined) === (run === undefined)) r.fail(where, "needs exactly one of uses and run");
  if (uses === undefined && raw.with !== undefined) r.fail(`${where}.with`, "is for uses steps only");
  if (run === undefined && (raw.shell !== undefined || raw["working-directory"] !== undefined))
    r.fail(where, "shell and working-directory are for run steps only");
  const step: Step = {
    index,
    with: r.scalars(raw.with, `${where}.with`),
    env: r.scalars(raw.env, `${where}.env`),
    continueOnError: r.flag(raw["continue-on-error"], `${where}.continue-on-error`),
  };
  if (raw.id !== undefined) step.id = r.id(r.string(raw.id, `${where}.id`), `${where}.id`);
  const name = r.optionalString(raw.name, `${where}.name`);
  if (name !== undefined) step.name = name;
  const condition = r.condition(raw.if, `${where}.if`);
  if (condition !== undefined) step.if = condition;
  if (uses !== undefined) step.uses = uses;
  if (run !== undefined) step.run = run;
  const shell = r.optionalString(raw.shell, `${where}.shell`);
  if (shell !== undefined) step.shell = shell;
  const directory = r.optionalString(raw["working-directory"], `${where}.working-directory`);
  if (directory !== undefined) step.workingDirectory = directory;
  const timeout = r.minutes(raw["timeout-minutes"], `${where}.timeout-minutes`);
  if (timeout !== undefined) step.timeoutMinutes = timeout;
  return step;
}

const COMMON_JOB_KEYS = ["name", "needs", "if", "permissions", "concurrency", "strategy"] as const;
const STEPS_JOB_KEYS = [
  ...COMMON_JOB_KEYS,
  "runs-on",
  "environment",
  "outputs",
  "env",
  "defaults",
  "timeout-minutes",
  "continue-on-error",
  "container",
  "services",
  "steps",
] as const;
const CALL_JOB_KEYS = [...COMMON_JOB_KEYS, "uses", "with", "secrets"] as const;

function readNeeds(r: Reader, value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (typeof value === "string") return [value];
  if (!Array.isArray(value)) return r.fail(where, "must be a job id or a list of them");
  return value.map((v, i) => r.string(v, `${where}[${i}]`));
}

function readJob(r: Reader, id: string, value: unknown): Job {
  const where = `jobs.${id}`;
  const raw = r.map(value, where);
  const common: JobCommon = { id, needs: readNeeds(r, raw.needs, `${where}.needs`) };
  const name = r.optionalString(raw.name, `${where}.name`);
  if (name !== undefined) common.name = name;
  const condition = r.condition(raw.if, `${where}.if`);
  if (condition !== undefined) common.if = condition;
  const permissions = readPermissions(r, raw.permissions, `${where}.permissions`);
  if (permissions) common.permissions = permissions;
  const concurrency = readConcurrency(r, raw.concurrency, `${where}.concurrency`);
  if (concurrency) common.concurrency = concurrency;
  if (raw.strategy !== undefined) common.strategy = raw.strategy;

  if (raw.uses !== undefined) {
    r.keys(raw, CALL_JOB_KEYS, where);
    const secrets = raw.secrets === "inherit" ? "inherit" : r.strings(raw.secrets, `${where}.secrets`);
    return {
      ...common,
      kind: "call",
      uses: r.string(raw.uses, `${where}.uses`),
      with: r.scalars(raw.with, `${where}.with`),
      secrets,
    };
  }
  r.keys(raw, STEPS_JOB_KEYS, where);
  if (raw["runs-on"] === undefined) r.fail(where, "needs runs-on (or uses, to call a reusable workflow)");
  if (!Array.isArray(raw.steps) || raw.steps.length === 0)
    r.fail(`${where}.steps`, "must be a non-empty list");
  const steps = raw.steps.map((s, i) => readStep(r, s, i, `${where}.steps[${i}]`));
  const ids = new Set<string>();
  for (const step of steps) {
    if (step.id === undefined) continue;
    if (ids.has(step.id)) r.fail(`${where}.steps[${step.index}].id`, `"${step.id}" is used twice`);
    ids.add(step.id);
  }
  const job: StepsJob = {
    ...common,
    kind: "steps",
    runsOn: raw["runs-on"],
    outputs: r.strings(raw.outputs, `${where}.outputs`),
    env: r.scalars(raw.env, `${where}.env`),
    continueOnError: r.flag(raw["continue-on-error"], `${where}.continue-on-error`),
    steps,
  };
  const environment = readEnvironment(r, raw.environment, `${where}.environment`);
  if (environment) job.environment = environment;
  const timeout = r.minutes(raw["timeout-minutes"], `${where}.timeout-minutes`);
  if (timeout !== undefined) job.timeoutMinutes = timeout;
  for (const key of ["container", "services", "defaults"] as const)
    if (raw[key] !== undefined) job[key] = raw[key];
  return job;
}

/** Fails on a `needs` that names no job, and on jobs that wait for each other in a circle. */
function checkNeeds(r: Reader, jobs: Record<string, Job>): void {
  for (const job of Object.values(jobs)) {
    for (const needed of job.needs)
      if (!(needed in jobs)) r.fail(`jobs.${job.id}.needs`, `names no job "${needed}"`);
  }
  jobOrder({ jobs, file: r.file });
}

const WORKFLOW_KEYS = ["name", "run-name", "on", "permissions", "env", "defaults", "concurrency", "jobs"];

/** Reads a workflow's text; `file` names it in errors (a path, or e.g. "README.md, the caller example"). */
export function parseWorkflow(text: string, file: string): Workflow {
  const r = new Reader(file);
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (error) {
    r.fail("", `is not valid YAML: ${error instanceof Error ? error.message : String(error)}`);
  }
  const raw = r.map(doc, "");
  r.keys(raw, WORKFLOW_KEYS, "the top level");
  // `on` is the one key YAML 1.1 would read as a boolean; the yaml package reads YAML 1.2, a string.
  if (raw.on === undefined) r.fail("", "has no on:");
  const on = readTriggers(r, raw.on);
  const jobsRaw = r.map(raw.jobs, "jobs");
  if (Object.keys(jobsRaw).length === 0) r.fail("jobs", "must name at least one job");
  const jobs: Record<string, Job> = {};
  for (const [id, value] of Object.entries(jobsRaw)) jobs[r.id(id, "jobs")] = readJob(r, id, value);
  checkNeeds(r, jobs);
  const workflow: Workflow = { file, text, on, env: r.scalars(raw.env, "env"), jobs };
  const name = r.optionalString(raw.name, "name");
  if (name !== undefined) workflow.name = name;
  const runName = r.optionalString(raw["run-name"], "run-name");
  if (runName !== undefined) workflow.runName = runName;
  if ("workflow_call" in on) workflow.workflowCall = readWorkflowCall(r, on.workflow_call);
  const permissions = readPermissions(r, raw.permissions, "permissions");
  if (permissions) workflow.permissions = permissions;
  const concurrency = readConcurrency(r, raw.concurrency, "concurrency");
  if (concurrency) workflow.concurrency = concurrency;
  if (raw.defaults !== undefined) workflow.defaults = raw.defaults;
  return workflow;
}

/** Reads a workflow file of this repository, by its path from the repository root. */
export function readWorkflow(file: string): Workflow {
  return parseWorkflow(readFileSync(join(ROOT, file), "utf8"), file);
}

function readDir(dir: string): Workflow[] {
  return readdirSync(join(ROOT, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => readWorkflow(relative(ROOT, join(ROOT, dir, f))));
}

/** This repository's workflows: CI and the reusable ones. */
export function repositoryWorkflows(): Workflow[] {
  return readDir(".github/workflows");
}

/** The example callers a user copies into their repository. */
export function exampleWorkflows(): Workflow[] {
  return readDir("examples/workflows");
}

// ---- questions about a workflow ------------------------------------------------------------------

/** The job ids in an order that runs every job after the ones it needs (as written, where free). */
export function jobOrder(workflow: Pick<Workflow, "jobs" | "file">): string[] {
  const order: string[] = [];
  const pending = Object.values(workflow.jobs);
  while (pending.length > 0) {
    const ready = pending.findIndex((job) => job.needs.every((needed) => order.includes(needed)));
    if (ready < 0)
      throw new WorkflowError(
        `${workflow.file}: jobs ${pending.map((j) => j.id).join(", ")} need each other in a circle`,
      );
    const [job] = pending.splice(ready, 1);
    if (job) order.push(job.id);
  }
  return order;
}

/** A job's steps; a job that calls a reusable workflow has none of its own. */
export function stepsOf(job: Job): Step[] {
  return job.kind === "steps" ? job.steps : [];
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

/** Every `${{ ... }}` expression in a value, and the whole value for `if` keys (implicitly an expression). */
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
export function stepOutputs(step: Step): Set<string> | undefined {
  // A shell step's outputs are the names it appends to $GITHUB_OUTPUT (`echo "name=…" >> …`).
  if (step.run !== undefined) {
    return new Set(
      [...step.run.matchAll(/echo "([\w-]+)=[^"\n]*" >> "\$GITHUB_OUTPUT"/g)].map((m) => m[1] ?? ""),
    );
  }
  const shipline = shiplineAction(step.uses);
  if (shipline) return new Set(Object.keys(actionYaml(shipline).outputs ?? {}));
  const third = thirdPartyAction(step.uses);
  if (third?.action === "actions/github-script") {
    const script = String(step.with.script ?? "");
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
