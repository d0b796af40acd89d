// Runs a committed bundle from dist/ as a separate node process, the way the Actions runner does:
// inputs as INPUT_* variables (with action.yml defaults applied), the GITHUB_* files, an event payload,
// and the post step with the state the main step saved.
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { actionYamlPath, bundlePath, ROOT, readActionYaml } from "../repo/layout";
import { type NodeChoice, resolveNode } from "./node";
import { type AnnotationRecord, parseFileCommands, parseWorkflowCommands } from "./workflow-commands";

export interface RunActionOptions {
  inputs?: Record<string, string | number | boolean | undefined>;
  /** Extra environment (AWS_ENDPOINT_URL, DOCKER_HOST, ...); GITHUB_* defaults can be overridden. */
  env?: Record<string, string | undefined>;
  /** "24" (the actions' runtime, default), "current" (this machine's node) or a path. */
  node?: NodeChoice;
  /** The webhook payload written to GITHUB_EVENT_PATH. */
  event?: Record<string, unknown>;
  eventName?: string;
  /** Run the post step instead of main, with this state (normally a main run's `state`). */
  post?: { state: Record<string, string> };
  workspace?: string;
  timeoutMs?: number;
  /** Send SIGINT after this many ms, as the runner does when the workflow is cancelled. */
  cancelAfterMs?: number;
  /** Send SIGINT as soon as a stdout line matches, to cancel at a known point of the run. */
  cancelWhen?: RegExp;
  /** Called with each stdout line as it arrives (e.g. to react to progress). */
  onLine?: (line: string) => void;
  /** Runs this file instead of dist/<name>/index.js (e.g. a copy of the entry without its chunks). */
  entry?: string;
}

export interface ActionRun {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  state: Record<string, string>;
  exportedEnv: Record<string, string>;
  summary: string;
  annotations: AnnotationRecord[];
  errors: AnnotationRecord[];
  masks: string[];
  debug: string[];
  /** The log as a person sees it in the job view (masked values replaced). */
  visibleLog: string;
  durationMs: number;
  runnerTemp: string;
}

const BASE_ENV_KEYS = ["PATH", "HOME", "LANG", "TMPDIR", "TZ"];

/**
 * Where bundle runs keep Node's compile cache (V8 code for the 1-2 MB bundles), when the test setup
 * turned it on: a test run starts the bundles hundreds of times, and each start then skips compiling
 * what an earlier one compiled. Off otherwise, so the benchmarks time a cold start as a runner sees it.
 */
export const COMPILE_CACHE_ENV = "SHIPLINE_TEST_COMPILE_CACHE";

export function inputEnvName(name: string): string {
  return `INPUT_${name.replace(/ /g, "_").toUpperCase()}`;
}

function stringify(value: string | number | boolean): string {
  return typeof value === "string" ? value : String(value);
}

export async function runAction(name: string, options: RunActionOptions = {}): Promise<ActionRun> {
  const action = readActionYaml(name);
  const runnerTemp = mkdtempSync(join(tmpdir(), `shipline-${name}-`));
  const files = {
    output: join(runnerTemp, "output"),
    state: join(runnerTemp, "state"),
    env: join(runnerTemp, "env"),
    path: join(runnerTemp, "path"),
    summary: join(runnerTemp, "step-summary.md"),
    event: join(runnerTemp, "event.json"),
  };
  for (const file of [files.output, files.state, files.env, files.path, files.summary])
    writeFileSync(file, "");
  writeFileSync(files.event, JSON.stringify(options.event ?? {}));
  const workspace = options.workspace ?? join(runnerTemp, "workspace");
  mkdirSync(workspace, { recursive: true });

  const env: Record<string, string> = {};
  for (const key of BASE_ENV_KEYS) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  const compileCache = process.env[COMPILE_CACHE_ENV];
  if (compileCache) env.NODE_COMPILE_CACHE = compileCache;
  Object.assign(env, {
    CI: "true",
    GITHUB_ACTIONS: "true",
    GITHUB_ACTION: name,
    GITHUB_ACTION_PATH: dirname(actionYamlPath(name)),
    GITHUB_REPOSITORY: "acme/shop",
    GITHUB_REPOSITORY_OWNER: "acme",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    GITHUB_REF: "refs/heads/main",
    GITHUB_REF_NAME: "main",
    GITHUB_EVENT_NAME: options.eventName ?? "push",
    GITHUB_EVENT_PATH: files.event,
    GITHUB_WORKSPACE: workspace,
    GITHUB_RUN_ID: "1001",
    GITHUB_RUN_NUMBER: "7",
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_JOB: "deploy",
    GITHUB_WORKFLOW: "deploy",
    GITHUB_ACTOR: "octocat",
    GITHUB_SERVER_URL: "https://github.com",
    GITHUB_API_URL: "https://api.github.com",
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: "Linux",
    RUNNER_ARCH: "X64",
  });

  // The runner sets every declared input that has a default; given values override.
  for (const [input, spec] of Object.entries(action.inputs ?? {})) {
    if (spec.default !== undefined) env[inputEnvName(input)] = stringify(spec.default);
  }
  for (const [input, value] of Object.entries(options.inputs ?? {})) {
    if (value !== undefined) env[inputEnvName(input)] = stringify(value);
  }
  if (options.post) {
    for (const [key, value] of Object.entries(options.post.state)) env[`STATE_${key}`] = value;
  }
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }

  let entry = options.entry ?? bundlePath(name);
  if (options.post) {
    if (!action.runs.post) throw new Error(`${name} has no post step`);
    entry = join(dirname(actionYamlPath(name)), action.runs.post);
  }

  const started = Date.now();
  const child = spawn(resolveNode(options.node ?? "24"), [entry], {
    cwd: workspace,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  let partial = "";
  let cancelled = false;
  const onLine = (line: string): void => {
    options.onLine?.(line);
    if (!cancelled && options.cancelWhen?.test(line)) {
      cancelled = true;
      child.kill("SIGINT");
    }
  };
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    if (options.onLine || options.cancelWhen) {
      partial += chunk;
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) onLine(line);
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  let timedOut = false;
  const timeout = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, options.timeoutMs ?? 120_000);
  const cancel =
    options.cancelAfterMs === undefined
      ? undefined
      : setTimeout(() => child.kill("SIGINT"), options.cancelAfterMs);
  const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, sig) => resolve([code, sig]));
  });
  clearTimeout(timeout);
  if (cancel) clearTimeout(cancel);

  const parsed = parseWorkflowCommands(stdout);
  return {
    exitCode,
    signal,
    timedOut,
    stdout,
    stderr,
    outputs: parseFileCommands(readFileSync(files.output, "utf8")),
    state: { ...(options.post?.state ?? {}), ...parseFileCommands(readFileSync(files.state, "utf8")) },
    exportedEnv: parseFileCommands(readFileSync(files.env, "utf8")),
    summary: readFileSync(files.summary, "utf8"),
    annotations: parsed.annotations,
    errors: parsed.annotations.filter((a) => a.level === "error"),
    masks: parsed.masks,
    debug: parsed.debug,
    visibleLog: parsed.visible,
    durationMs: Date.now() - started,
    runnerTemp,
  };
}

/**
 * Everything an action wrote where a person or a later step could read it (log minus the mask
 * commands themselves, stderr, outputs, summary, exported env), for "no secret leaks" assertions.
 */
export function everythingPrinted(run: ActionRun): string {
  const log = run.stdout
    .split("\n")
    .filter((line) => !line.startsWith("::add-mask::"))
    .join("\n");
  return [log, run.stderr, JSON.stringify(run.outputs), run.summary, JSON.stringify(run.exportedEnv)].join(
    "\n",
  );
}

export { ROOT };
