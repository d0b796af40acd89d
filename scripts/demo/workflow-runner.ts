// Runs one of shipline's reusable workflows on this machine the way GitHub would run it for a caller:
// jobs in the order of their `needs`, `if:` conditions and `${{ }}` expressions evaluated by GitHub's
// own expression engine, job and workflow outputs, and every shipline action step run from its
// committed bundle as the runner runs it (test/rig/harness.ts). The steps that reach outside the
// machine are replaced by what they leave behind: actions/checkout (the workspace is already at the
// commit; shipline's own actions are this checkout, and the step's repository and ref are checked to
// be the located ones), aws-actions/configure-aws-credentials (credentials for the AWS simulator),
// actions/github-script (the workflow's own script, run with a small `core`).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { ROOT } from "../../test/repo/layout";
import { type ActionRun, runAction } from "../../test/rig/harness";
import { condition, interpolate, type JobStatus } from "./expressions";

interface StepSpec {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
  "continue-on-error"?: boolean;
}

interface JobSpec {
  name?: string;
  needs?: string | string[];
  if?: string;
  environment?: string | { name: string; url?: string };
  outputs?: Record<string, string>;
  steps?: StepSpec[];
}

interface WorkflowSpec {
  on: {
    workflow_call?: {
      inputs?: Record<string, { default?: unknown }>;
      outputs?: Record<string, { value: string }>;
    };
  };
  jobs: Record<string, JobSpec>;
}

export type Outcome = "success" | "failure" | "skipped";

export interface StepRecord {
  job: string;
  id: string | undefined;
  name: string;
  /** The shipline action the step ran, if it ran one. */
  action: string | undefined;
  outcome: Outcome;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
  /** The bundle run (shipline actions only). */
  run: ActionRun | undefined;
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
  /** The reusable workflow, relative to the repository root (.github/workflows/deploy.yml). */
  workflow: string;
  /** The caller's `with:`. */
  inputs: Record<string, string | boolean>;
  secrets: Record<string, string>;
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
  /** Run only these jobs (their needs must have run earlier in the same call). */
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
  stepTimeoutMs?: number;
}

function needsOf(job: JobSpec): string[] {
  if (!job.needs) return [];
  return Array.isArray(job.needs) ? job.needs : [job.needs];
}

const SHIPLINE_ACTION = /^\.\/\.shipline\/actions\/([a-z-]+)$/;

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}

/** Runs the workflow's github-script step as actions/github-script would, with the `core` it uses. */
async function runScript(
  script: string,
  env: Record<string, string>,
): Promise<{ outputs: Record<string, string>; failed?: string; log: string[] }> {
  const result: { outputs: Record<string, string>; failed?: string; log: string[] } = {
    outputs: {},
    log: [],
  };
  const core = {
    getIDToken: async () => {
      throw new Error("Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable");
    },
    setOutput: (name: string, value: string) => {
      result.outputs[name] = value;
    },
    setFailed: (message: string) => {
      result.failed = message;
    },
    info: (message: string) => {
      result.log.push(message);
    },
  };
  const saved: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(env)) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  try {
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<void>;
    await new AsyncFunction("core", script)(core);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
  return result;
}

export async function runWorkflow(options: WorkflowRunOptions): Promise<WorkflowRun> {
  const spec = parse(readFileSync(join(ROOT, options.workflow), "utf8")) as WorkflowSpec;
  const call = spec.on.workflow_call ?? {};
  const inputs: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(call.inputs ?? {})) inputs[name] = def.default ?? "";
  Object.assign(inputs, options.inputs);
  const github = {
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
  const run: WorkflowRun = { jobs: {}, steps: [], outputs: {} };
  const mark = options.mark ?? (() => 0);
  const wanted = options.jobs ?? Object.keys(spec.jobs);
  let counter = 0;

  for (const [jobId, job] of Object.entries(spec.jobs)) {
    if (!wanted.includes(jobId)) continue;
    const needs: Record<string, { result: Outcome; outputs: Record<string, string> }> = {};
    for (const needed of needsOf(job)) {
      const record = run.jobs[needed];
      if (!record) throw new Error(`job ${jobId} needs ${needed}, which has not run`);
      needs[needed] = { result: record.result, outputs: record.outputs };
    }
    const base = { github, inputs, secrets: options.secrets, needs };
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
    // Without a status function, `if:` means success() && (...): every needed job succeeded.
    if (!condition(job.if, base, needsStatus)) {
      options.onEvent?.({ kind: "job-skipped", job: record });
      continue;
    }
    options.onEvent?.({ kind: "job-start", job: record });
    if (job.environment) {
      const name = typeof job.environment === "string" ? job.environment : job.environment.name;
      record.environment = interpolate(name, base, needsStatus);
      options.onEvent?.({ kind: "approval", job: record, environment: record.environment });
      await options.approve?.(record.environment);
    }

    const status: JobStatus = { failed: false };
    const steps: Record<string, { outputs: Record<string, string>; outcome: Outcome; conclusion: Outcome }> =
      {};
    let jobEnv: Record<string, string> = {};
    let role: string | undefined;
    const jobContext = {
      workflow_repository: options.shipline.repository,
      workflow_sha: options.shipline.sha,
      status: "success",
    };
    for (const stepSpec of job.steps ?? []) {
      const context = { ...base, steps, job: jobContext, env: jobEnv };
      const step: StepRecord = {
        job: jobId,
        id: stepSpec.id,
        name: stepSpec.name ?? stepSpec.uses ?? "run",
        action: SHIPLINE_ACTION.exec(stepSpec.uses ?? "")?.[1],
        outcome: "skipped",
        inputs: {},
        outputs: {},
        run: undefined,
        summaryFile: undefined,
        logFile: undefined,
        role,
        startedAt: Date.now(),
        durationMs: 0,
        marks: [mark(), mark()],
      };
      record.steps.push(step);
      run.steps.push(step);
      const save = () => {
        if (stepSpec.id)
          steps[stepSpec.id] = { outputs: step.outputs, outcome: step.outcome, conclusion: step.outcome };
      };
      if (!condition(stepSpec.if, context, status)) {
        save();
        options.onEvent?.({ kind: "step-skipped", job: record, step, condition: stepSpec.if ?? "success()" });
        continue;
      }
      for (const [key, value] of Object.entries(stepSpec.with ?? {}))
        step.inputs[key] = interpolate(value, context, status);
      const stepEnv: Record<string, string> = {};
      for (const [key, value] of Object.entries(stepSpec.env ?? {}))
        stepEnv[key] = interpolate(value, context, status);
      options.onEvent?.({ kind: "step-start", job: record, step });

      const uses = stepSpec.uses ?? "";
      const action = uses.replace(/@.*$/, "");
      if (step.action) {
        const index = String(++counter).padStart(2, "0");
        const result = await runAction(step.action, {
          inputs: step.inputs,
          workspace: options.workspace,
          event: github.event,
          eventName: options.github.eventName,
          timeoutMs: options.stepTimeoutMs ?? 300_000,
          onLine: (line) => options.onLine?.(step, line),
          env: {
            ...options.env,
            ...jobEnv,
            ...stepEnv,
            GITHUB_REPOSITORY: options.github.repository,
            GITHUB_REPOSITORY_OWNER: github.repository_owner,
            GITHUB_SHA: options.github.sha,
            GITHUB_REF: options.github.ref,
            GITHUB_REF_NAME: github.ref_name,
            GITHUB_EVENT_NAME: options.github.eventName,
            GITHUB_API_URL: options.github.apiUrl,
            GITHUB_JOB: jobId,
            GITHUB_RUN_ID: String(options.runId ?? 1001),
            GITHUB_RUN_ATTEMPT: "1",
            GITHUB_ACTION: stepSpec.id ?? step.action,
          },
        });
        step.run = result;
        step.outputs = result.outputs;
        step.outcome = result.exitCode === 0 ? "success" : "failure";
        if (options.outputDir) {
          const base = `${options.filePrefix ? `${options.filePrefix}-` : ""}${index}-${slug(`${jobId} ${stepSpec.id ?? step.action}`)}`;
          step.summaryFile = join(options.outputDir, `${base}.md`);
          step.logFile = join(options.outputDir, `${base}.log`);
          writeFileSync(step.summaryFile, result.summary);
          writeFileSync(step.logFile, `${result.visibleLog}\n${result.stderr}`);
        }
        rmSync(result.runnerTemp, { recursive: true, force: true });
      } else if (action === "actions/github-script") {
        const result = await runScript(step.inputs.script ?? "", stepEnv);
        step.outputs = result.outputs;
        step.outcome = result.failed === undefined ? "success" : "failure";
        if (result.failed) options.onLine?.(step, `::error::${result.failed}`);
      } else if (action === "actions/checkout") {
        if (step.inputs.path === ".shipline") {
          // shipline's actions are this checkout: it must be the commit the workflow was located at.
          if (
            step.inputs.repository !== options.shipline.repository ||
            step.inputs.ref !== options.shipline.sha
          ) {
            throw new Error(
              `${jobId}: shipline is checked out from ${step.inputs.repository}@${step.inputs.ref}, not the located ${options.shipline.repository}@${options.shipline.sha}`,
            );
          }
        }
        step.outcome = "success";
      } else if (action === "aws-actions/configure-aws-credentials") {
        const assumed = step.inputs["role-to-assume"] ?? "";
        const region = step.inputs["aws-region"] ?? "";
        if (!assumed || !region)
          throw new Error(`${jobId}: configure-aws-credentials without a role or region`);
        role = assumed;
        jobEnv = { ...jobEnv, ...options.credentials(assumed, region) };
        step.outcome = "success";
      } else {
        throw new Error(`${jobId}: the demo runner cannot run ${uses || "run:"} steps`);
      }
      step.role = role;
      step.durationMs = Date.now() - step.startedAt;
      step.marks[1] = mark();
      if (step.outcome === "failure" && !stepSpec["continue-on-error"]) status.failed = true;
      save();
      options.onEvent?.({ kind: "step-end", job: record, step });
    }
    record.result = status.failed ? "failure" : "success";
    const context = { ...base, steps, job: jobContext, env: jobEnv };
    for (const [name, value] of Object.entries(job.outputs ?? {})) {
      record.outputs[name] = interpolate(value, context, status);
    }
    options.onEvent?.({ kind: "job-end", job: record });
  }

  const jobsContext: Record<string, { result: Outcome; outputs: Record<string, string> }> = {};
  for (const [id, job] of Object.entries(run.jobs))
    jobsContext[id] = { result: job.result, outputs: job.outputs };
  for (const [name, output] of Object.entries(call.outputs ?? {})) {
    if (Object.keys(jobsContext).length === Object.keys(spec.jobs).length)
      run.outputs[name] = interpolate(output.value, { jobs: jobsContext }, { failed: false });
  }
  return run;
}

/** Copies a file next to the others in the output directory (e.g. the fake GitHub's release body). */
export function keep(outputDir: string, name: string, content: string): string {
  const path = join(outputDir, name);
  writeFileSync(path, content);
  return path;
}
