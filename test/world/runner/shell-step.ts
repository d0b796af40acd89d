// A `run:` step as the runner runs it: the script (its `${{ }}` already evaluated) written to a file
// and run by bash with `-e -o pipefail` in the workspace (or the step's working-directory), with the
// job's environment and the GITHUB_OUTPUT, GITHUB_ENV, GITHUB_PATH and GITHUB_STEP_SUMMARY files,
// which are read back afterwards. Asynchronous on purpose: the fake GitHub the script may call answers
// from this same process.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { isAbsolute, join, relative, resolve } from "node:path";
import { parseFileCommands, parseWorkflowCommands } from "../../rig/workflow-commands";

export interface ShellStepOptions {
  script: string;
  /** `bash` (GitHub's default on Linux) or `sh`; anything else is refused. */
  shell?: string | undefined;
  workspace: string;
  workingDirectory?: string | undefined;
  env: Record<string, string>;
  /** Directories GITHUB_PATH added so far in the job, newest first. */
  path: string[];
  timeoutMs: number;
  onLine?(line: string): void;
}

export interface ShellStepResult {
  exitCode: number | null;
  timedOut: boolean;
  outputs: Record<string, string>;
  /** What the step wrote to GITHUB_ENV, for the steps after it. */
  exportedEnv: Record<string, string>;
  /** What the step wrote to GITHUB_PATH, in the order written. */
  addedPath: string[];
  summary: string;
  /** stdout without workflow commands; stderr follows it. */
  log: string;
  errors: string[];
}

const BASE_ENV_KEYS = ["PATH", "HOME", "LANG", "TMPDIR", "TZ"];

export async function runShellStep(options: ShellStepOptions): Promise<ShellStepResult> {
  const shell = options.shell ?? "bash";
  const args = { bash: ["--noprofile", "--norc", "-eo", "pipefail"], sh: ["-e"] }[shell];
  if (!args) throw new Error(`the workflow runner runs bash and sh steps, not shell: ${shell}`);
  const cwd = resolve(options.workspace, options.workingDirectory ?? ".");
  const inside = relative(options.workspace, cwd);
  if (inside.startsWith("..") || isAbsolute(inside))
    throw new Error(`working-directory ${options.workingDirectory} is outside the workspace`);
  const temp = mkdtempSync(join(tmpdir(), "shipline-run-step-"));
  const files = {
    script: join(temp, "step.sh"),
    output: join(temp, "output"),
    env: join(temp, "env"),
    path: join(temp, "path"),
    summary: join(temp, "summary.md"),
  };
  writeFileSync(files.script, options.script);
  for (const file of [files.output, files.env, files.path, files.summary]) writeFileSync(file, "");
  const env: Record<string, string> = {};
  for (const key of BASE_ENV_KEYS) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, options.env, {
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_OUTPUT: files.output,
    GITHUB_ENV: files.env,
    GITHUB_PATH: files.path,
    GITHUB_STEP_SUMMARY: files.summary,
    RUNNER_TEMP: temp,
  });
  env.PATH = [...options.path, options.env.PATH ?? env.PATH ?? ""].filter(Boolean).join(":");
  try {
    const { exitCode, timedOut, stdout, stderr } = await new Promise<{
      exitCode: number | null;
      timedOut: boolean;
      stdout: string;
      stderr: string;
    }>((done, fail) => {
      const child = spawn(shell, [...args, files.script], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      let pending = "";
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, options.timeoutMs);
      child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        stdout += chunk;
        pending += chunk;
        const lines = pending.split("\n");
        pending = lines.pop() ?? "";
        for (const line of lines) options.onLine?.(line);
      });
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
        stderr += chunk;
      });
      child.on("error", fail);
      child.on("close", (code) => {
        clearTimeout(timer);
        if (pending) options.onLine?.(pending);
        done({ exitCode: code, timedOut, stdout, stderr });
      });
    });
    const parsed = parseWorkflowCommands(stdout);
    return {
      exitCode,
      timedOut,
      outputs: parseFileCommands(readFileSync(files.output, "utf8")),
      exportedEnv: parseFileCommands(readFileSync(files.env, "utf8")),
      addedPath: readFileSync(files.path, "utf8").split("\n").filter(Boolean),
      summary: readFileSync(files.summary, "utf8"),
      log: `${parsed.visible}${stderr ? `\n${stderr}` : ""}`,
      errors: parsed.annotations.filter((a) => a.level === "error").map((a) => a.message),
    };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
