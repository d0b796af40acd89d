// Runs one of shipline's reusable workflows on this machine the way GitHub would run it for a caller:
// the call checked against the workflow's `workflow_call` interface, jobs in the order of their
// `needs`, `if:` conditions and `${{ }}` expressions evaluated by GitHub's own expression engine,
// workflow, job and step `env`, `continue-on-error`, job and workflow outputs, and every shipline
// action step run from its committed bundle as the runner runs it (test/rig/harness.ts), and `run:`
// steps by bash (shell-step.ts). A workflow with its own trigger (shipline's release workflow on a tag)
// runs for that event instead of a call. The third-party steps are replaced by what they leave behind
// (stand-ins.ts); anything else (a matrix, a container job, another action) is refused rather than
// skipped.
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  jobOrder,
  readWorkflow,
  type Scalar,
  type Step,
  type StepsJob,
  shiplineAction,
  thirdPartyAction,
  type Workflow,
} from "../../repo/workflow";
import { type ActionRun, runAction } from "../../rig/harness";
import { callContexts } from "./call";
import { condition, interpolate, type JobStatus } from "./expressions";
import { runShellStep } from "./shell-step";
import { assumeRole, checkOut, runGitHubScript, setUpNode } from "./stand-ins";

export type Outcome = "success" | "failure" | "skipped";

export interface StepRecord {
  job: string;
  id: string | undefined;
  name: string;
  /** The shipline action the step ran, if it ran one. */
  action: string | undefined;
  outcome: Outcome;
  /** The outcome after continue-on-error (what `steps.<id>.conclusion` says). */
  conclusion: Outcome;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  /** The bundle run (shipline actions only). */
  run: ActionRun | undefined;
  /** What a `run:` step printed (stdout without workflow commands, then stderr). */
  log: string | undefined;
  /** Where the step summary and the log were copied to (shipline actions only). */
  summaryFile: string | undefined;
  logFile: string | undefined;
  /** The IAM role of the job's AWS credentials when the step ran. */
  role: string | undefined;
  startedAt: number;
  durationMs: number;
  /** Marks of the caller's call log (the AWS simulator's) before and after the step. */
  marks: [number, number];
}

export interface JobRecord {
  id: string;
  name: string;
  result: Outcome;
  environment: string | undefined;
  outputs: Record<string, string>;
  steps: StepRecord[];
}

export interface WorkflowRun {
  jobs: Record<string, JobRecord>;
  steps: StepRecord[];
  /** The workflow_call outputs; computed only when every job of the workflow was part of the run. */
  outputs: Record<string, string>;
}

export type RunnerEvent =
  | { kind: "job-start"; job: JobRecord }
  | { kind: "job-skipped"; job: JobRecord }
  | { kind: "approval"; job: JobRecord; environment: string }
  | { kind: "step-start"; job: JobRecord; step: StepRecord }
  | { kind: "step-skipped"; job: JobRecord; step: StepRecord; condition: string }
  | { kind: "step-end"; job: JobRecord; step: StepRecord }
  | { kind: "job-end"; job: JobRecord };

export interface WorkflowRunOptions {
  /** The reusable workflow, by its path from the repository root (.github/workflows/deploy.yml), or read. */
  workflow: string | Workflow;
  /** The caller's `with:` (a workflow run by its own trigger takes none). */
  inputs: Record<string, Scalar>;
  /** The caller's `secrets:`, or the repository's secrets for a workflow run by its own trigger. */
  secrets: Record<string, string>;
  /** The caller wrote `secrets: inherit` (undeclared secrets are then passed too). */
  inheritSecrets?: boolean;
  /** The caller's run: the event that triggered it. */
  github: {
    repository: string;
    sha: string;
    ref: string;
    eventName: string;
    token: string;
    apiUrl: string;
    /** The webhook payload (github.event, GITHUB_EVENT_PATH). */
    event?: Record<string, unknown>;
  };
  /** The caller's checkout, at github.sha. */
  workspace: string;
  /** What job.workflow_repository and job.workflow_sha say: the reusable workflow's repository and commit. */
  shipline: { repository: string; sha: string };
  /** Run only these jobs (their needs must be among them). */
  jobs?: string[];
  /** The environment configure-aws-credentials leaves behind for a role. */
  credentials(role: string, region: string): Record<string, string>;
  /** Environment every action gets (Docker engine, PATH...). */
  env?: Record<string, string>;
  /** Decides a job bound to a GitHub environment may run (the reviewers' approval). */
  approve?(environment: string): Promise<void> | void;
  /** A position in an external call log, recorded before and after each step. */
  mark?(): number;
  /** Where step summaries and logs are copied to; nothing is kept when undefined. */
  outputDir?: string;
  /** Starts the names of the files this run leaves in outputDir (e.g. "2-tag-v1.0.0"). */
  filePrefix?: string;
  /** GITHUB_RUN_ID of this run: each run of a workflow has its own (idempotency keys use it). */
  runId?: number;
  onEvent?(event: RunnerEvent): void;
  onLine?(step: StepRecord, line: string): void;
  /** The longest a step may run when its own timeout-minutes says nothing shorter (default 5 min). */
  stepTimeoutMs?: number;
}

type Needs = Record<string, { result: Outcome; outputs: Record<string, string> }>;
type StepsContext = Record<
  string,
  { outputs: Record<string, string>; outcome: Outcome; conclusion: Outcome }
>;

/** What every job of one run shares. */
interface RunState {
  options: WorkflowRunOptions;
  workflow: Workflow;
  contexts: {
    github: Record<string, unknown>;
    inputs: Record<string, Scalar>;
    secrets: Record<string, string>;
  };
  run: WorkflowRun;
  mark: () => number;
  /** Numbers the files the steps leave in outputDir. */
  counter: number;
}

/** What one job's steps share while it runs. */
interface JobState {
  record: JobRecord;
  base: Record<string, unknown>;
  /** Where the reusable workflow was located (the `job` context's workflow_repository and workflow_sha). */
  located: { repository: string; sha: string };
  status: JobStatus;
  steps: StepsContext;
  env: Record<string, string>;
  /** Directories added to PATH by earlier steps (GITHUB_PATH, setup-node), newest first. */
  path: string[];
  role: string | undefined;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

function githubContext(options: WorkflowRunOptions): Record<string, unknown> {
  return {
    repository: options.github.repository,
    repository_owner: options.github.repository.split("/")[0],
    sha: options.github.sha,
    ref: options.github.ref,
    ref_name: options.github.ref.replace(/^refs\/(heads|tags)\//, ""),
    event_name: options.github.eventName,
    token: options.github.token,
    api_url: options.github.apiUrl,
    workspace: options.workspace,
    event: options.github.event ?? {},
  };
}

export async function runWorkflow(options: WorkflowRunOptions): Promise<WorkflowRun> {
  const workflow = typeof options.workflow === "string" ? readWorkflow(options.workflow) : options.workflow;
  const { inputs, secrets } = triggerContexts(workflow, options);
  const wanted = options.jobs ?? Object.keys(workflow.jobs);
  for (const id of wanted) if (!(id in workflow.jobs)) throw new Error(`${workflow.file} has no job ${id}`);
  const state: RunState = {
    options,
    workflow,
    contexts: { github: githubContext(options), inputs, secrets },
    run: { jobs: {}, steps: [], outputs: {} },
    mark: options.mark ?? (() => 0),
    counter: 0,
  };
  for (const id of jobOrder(workflow)) {
    if (wanted.includes(id)) await runJob(state, id);
  }
  const { run } = state;
  if (Object.keys(run.jobs).length === Object.keys(workflow.jobs).length) {
    const jobs: Needs = {};
    for (const [id, job] of Object.entries(run.jobs)) jobs[id] = { result: job.result, outputs: job.outputs };
    for (const [name, output] of Object.entries(workflow.workflowCall?.outputs ?? {}))
      run.outputs[name] = interpolate(output.value, { jobs }, { failed: false });
  }
  return run;
}

/**
 * The inputs and secrets of the run: from the caller for a reusable workflow; for a workflow run by
 * its own trigger, none and the repository's (the trigger must be one the workflow has).
 */
function triggerContexts(
  workflow: Workflow,
  options: WorkflowRunOptions,
): { inputs: Record<string, Scalar>; secrets: Record<string, string> } {
  if (workflow.workflowCall || !(options.github.eventName in workflow.on)) {
    return callContexts(workflow.file, workflow.workflowCall, {
      inputs: options.inputs,
      secrets: options.secrets,
      token: options.github.token,
      inherited: options.inheritSecrets ?? false,
    });
  }
  if (Object.keys(options.inputs).length > 0)
    throw new Error(`${workflow.file} runs on ${options.github.eventName}, which takes no inputs`);
  return { inputs: {}, secrets: { ...options.secrets, GITHUB_TOKEN: options.github.token } };
}

async function runJob(state: RunState, jobId: string): Promise<void> {
  const { options, workflow, run } = state;
  const job = workflow.jobs[jobId];
  if (!job) throw new Error(`${workflow.file} has no job ${jobId}`);
  if (job.kind === "call")
    throw new Error(`${jobId}: the runner does not run nested reusable-workflow calls`);
  for (const key of ["strategy", "container", "services"] as const)
    if (job[key] !== undefined) throw new Error(`${jobId}: the runner cannot run a job with ${key}`);
  const needs: Needs = {};
  for (const needed of job.needs) {
    const record = run.jobs[needed];
    if (!record) throw new Error(`job ${jobId} needs ${needed}, which is not part of this run`);
    needs[needed] = { result: record.result, outputs: record.outputs };
  }
  const base = { ...state.contexts, needs, vars: {}, runner: { os: "Linux", arch: "X64" } };
  // Without a status function, a job's `if:` means success() && (...): every needed job succeeded.
  const needsStatus: JobStatus = { failed: Object.values(needs).some((n) => n.result !== "success") };
  const record: JobRecord = {
    id: jobId,
    name: interpolate(job.name ?? jobId, base, needsStatus),
    result: "skipped",
    environment: undefined,
    outputs: {},
    steps: [],
  };
  run.jobs[jobId] = record;
  if (!condition(job.if, base, needsStatus)) {
    options.onEvent?.({ kind: "job-skipped", job: record });
    return;
  }
  options.onEvent?.({ kind: "job-start", job: record });
  if (job.environment) {
    record.environment = interpolate(job.environment.name, base, needsStatus);
    options.onEvent?.({ kind: "approval", job: record, environment: record.environment });
    await options.approve?.(record.environment);
  }
  const jobState: JobState = {
    record,
    base,
    located: options.shipline,
    status: { failed: false },
    steps: {},
    env: {},
    path: [],
    role: undefined,
  };
  jobState.env = {
    ...evaluateEnv(workflow.env, jobState),
    ...evaluateEnv(job.env, jobState),
  };
  for (const step of job.steps) await runStep(state, job, jobState, step);
  record.result = jobState.status.failed ? "failure" : "success";
  const context = contextOf(jobState);
  for (const [name, value] of Object.entries(job.outputs))
    record.outputs[name] = interpolate(value, context, jobState.status);
  options.onEvent?.({ kind: "job-end", job: record });
}

/** The contexts an expression in the job sees now. */
function contextOf(job: JobState): Record<string, unknown> {
  return {
    ...job.base,
    steps: job.steps,
    env: job.env,
    job: {
      workflow_repository: job.located.repository,
      workflow_sha: job.located.sha,
      status: job.status.failed ? "failure" : "success",
    },
  };
}

function evaluateEnv(env: Record<string, Scalar>, job: JobState): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) out[key] = interpolate(value, contextOf(job), job.status);
  return out;
}

async function runStep(state: RunState, job: StepsJob, jobState: JobState, spec: Step): Promise<void> {
  const { options } = state;
  const step: StepRecord = {
    job: job.id,
    id: spec.id,
    name: spec.name ?? spec.uses ?? "run",
    action: spec.uses?.startsWith("./") ? shiplineAction(spec.uses) : undefined,
    outcome: "skipped",
    conclusion: "skipped",
    inputs: {},
    outputs: {},
    run: undefined,
    log: undefined,
    summaryFile: undefined,
    logFile: undefined,
    role: jobState.role,
    startedAt: Date.now(),
    durationMs: 0,
    marks: [state.mark(), state.mark()],
  };
  jobState.record.steps.push(step);
  state.run.steps.push(step);
  const save = (): void => {
    if (spec.id)
      jobState.steps[spec.id] = { outputs: step.outputs, outcome: step.outcome, conclusion: step.conclusion };
  };
  const context = contextOf(jobState);
  if (!condition(spec.if, context, jobState.status)) {
    save();
    options.onEvent?.({
      kind: "step-skipped",
      job: jobState.record,
      step,
      condition: spec.if ?? "success()",
    });
    return;
  }
  step.name = interpolate(step.name, context, jobState.status);
  for (const [key, value] of Object.entries(spec.with))
    step.inputs[key] = interpolate(value, context, jobState.status);
  const stepEnv = { ...jobState.env };
  for (const [key, value] of Object.entries(spec.env))
    stepEnv[key] = interpolate(value, context, jobState.status);
  options.onEvent?.({ kind: "step-start", job: jobState.record, step });

  await perform(state, job, jobState, spec, step, stepEnv);

  step.role = jobState.role;
  step.durationMs = Date.now() - step.startedAt;
  step.marks[1] = state.mark();
  const continues = step.outcome === "failure" && continuesOnError(spec, context, jobState.status);
  step.conclusion = continues ? "success" : step.outcome;
  if (step.conclusion === "failure") jobState.status.failed = true;
  save();
  options.onEvent?.({ kind: "step-end", job: jobState.record, step });
}

function continuesOnError(spec: Step, context: Record<string, unknown>, status: JobStatus): boolean {
  if (typeof spec.continueOnError === "boolean") return spec.continueOnError;
  return interpolate(spec.continueOnError, context, status) === "true";
}

/** Runs what the step says: a shipline action's bundle, or the stand-in of a third-party action. */
async function perform(
  state: RunState,
  job: StepsJob,
  jobState: JobState,
  spec: Step,
  step: StepRecord,
  env: Record<string, string>,
): Promise<void> {
  if (step.action) {
    await runShiplineAction(state, job, spec, step, env);
    Object.assign(jobState.env, step.run?.exportedEnv ?? {});
    return;
  }
  if (spec.run !== undefined) {
    await runShell(state, job, jobState, spec, step, env);
    return;
  }
  const third = thirdPartyAction(spec.uses)?.action;
  if (third === "actions/github-script") {
    const result = await runGitHubScript(step.inputs.script ?? "", { env });
    step.outputs = result.outputs;
    step.outcome = result.failed === undefined ? "success" : "failure";
    if (result.failed) state.options.onLine?.(step, `::error::${result.failed}`);
    for (const warning of result.warnings) state.options.onLine?.(step, `::warning::${warning}`);
  } else if (third === "actions/checkout") {
    checkOut(job.id, step.inputs, state.options.shipline);
    step.outcome = "success";
  } else if (third === "actions/setup-node") {
    const bin = setUpNode(job.id, step.inputs);
    if (bin) jobState.path.unshift(bin);
    step.outcome = "success";
  } else if (third === "aws-actions/configure-aws-credentials") {
    const assumed = assumeRole(job.id, step.inputs, state.options.credentials);
    jobState.role = assumed.role;
    Object.assign(jobState.env, assumed.env);
    step.outcome = "success";
  } else {
    throw new Error(`${job.id}: the workflow runner cannot run ${spec.uses ?? "run:"} steps`);
  }
}

async function runShell(
  state: RunState,
  job: StepsJob,
  jobState: JobState,
  spec: Step,
  step: StepRecord,
  env: Record<string, string>,
): Promise<void> {
  const { options } = state;
  const github = state.contexts.github;
  const context = contextOf(jobState);
  const result = await runShellStep({
    script: interpolate(spec.run, context, jobState.status),
    shell: spec.shell,
    workspace: options.workspace,
    workingDirectory:
      spec.workingDirectory === undefined
        ? undefined
        : interpolate(spec.workingDirectory, context, jobState.status),
    env: {
      ...options.env,
      ...env,
      CI: "true",
      GITHUB_ACTIONS: "true",
      GITHUB_REPOSITORY: options.github.repository,
      GITHUB_REPOSITORY_OWNER: String(github.repository_owner),
      GITHUB_SHA: options.github.sha,
      GITHUB_REF: options.github.ref,
      GITHUB_REF_NAME: String(github.ref_name),
      GITHUB_EVENT_NAME: options.github.eventName,
      GITHUB_API_URL: options.github.apiUrl,
      GITHUB_JOB: job.id,
      GITHUB_RUN_ID: String(options.runId ?? 1001),
    },
    path: jobState.path,
    timeoutMs: timeoutOf(spec, options),
    onLine: (line) => options.onLine?.(step, line),
  });
  step.outputs = result.outputs;
  // As the run's page shows them: the log, then the step's error annotations.
  step.log = [result.log, ...result.errors.map((e) => `Error: ${e}`)].filter(Boolean).join("\n");
  step.outcome = result.exitCode === 0 ? "success" : "failure";
  Object.assign(jobState.env, result.exportedEnv);
  jobState.path.unshift(...[...result.addedPath].reverse());
  if (options.outputDir) {
    const index = String(++state.counter).padStart(2, "0");
    const base = `${options.filePrefix ? `${options.filePrefix}-` : ""}${index}-${slug(`${job.id} ${spec.id ?? spec.name ?? "run"}`)}`;
    step.logFile = join(options.outputDir, `${base}.log`);
    writeFileSync(step.logFile, result.log);
    if (result.summary) {
      step.summaryFile = join(options.outputDir, `${base}.md`);
      writeFileSync(step.summaryFile, result.summary);
    }
  }
}

function timeoutOf(spec: Step, options: WorkflowRunOptions): number {
  const fallback = options.stepTimeoutMs ?? 300_000;
  return typeof spec.timeoutMinutes === "number"
    ? Math.min(fallback, spec.timeoutMinutes * 60_000)
    : fallback;
}

async function runShiplineAction(
  state: RunState,
  job: StepsJob,
  spec: Step,
  step: StepRecord,
  env: Record<string, string>,
): Promise<void> {
  const { options } = state;
  const github = state.contexts.github;
  const result = await runAction(step.action as string, {
    inputs: step.inputs,
    workspace: options.workspace,
    event: options.github.event ?? {},
    eventName: options.github.eventName,
    timeoutMs: timeoutOf(spec, options),
    onLine: (line) => options.onLine?.(step, line),
    env: {
      ...options.env,
      ...env,
      GITHUB_REPOSITORY: options.github.repository,
      GITHUB_REPOSITORY_OWNER: String(github.repository_owner),
      GITHUB_SHA: options.github.sha,
      GITHUB_REF: options.github.ref,
      GITHUB_REF_NAME: String(github.ref_name),
      GITHUB_EVENT_NAME: options.github.eventName,
      GITHUB_API_URL: options.github.apiUrl,
      GITHUB_JOB: job.id,
      GITHUB_RUN_ID: String(options.runId ?? 1001),
      GITHUB_RUN_ATTEMPT: "1",
      GITHUB_ACTION: spec.id ?? (step.action as string),
    },
  });
  step.run = result;
  step.outputs = result.outputs;
  step.outcome = result.exitCode === 0 ? "success" : "failure";
  if (options.outputDir) {
    const index = String(++state.counter).padStart(2, "0");
    const base = `${options.filePrefix ? `${options.filePrefix}-` : ""}${index}-${slug(`${job.id} ${spec.id ?? step.action}`)}`;
    step.summaryFile = join(options.outputDir, `${base}.md`);
    step.logFile = join(options.outputDir, `${base}.log`);
    writeFileSync(step.summaryFile, result.summary);
    writeFileSync(step.logFile, `${result.visibleLog}\n${result.stderr}`);
  }
  rmSync(result.runnerTemp, { recursive: true, force: true });
}

/** Copies a file next to the others in the output directory (e.g. the fake GitHub's release body). */
export function keep(outputDir: string, name: string, content: string): string {
  const path = join(outputDir, name);
  writeFileSync(path, content);
  return path;
}
