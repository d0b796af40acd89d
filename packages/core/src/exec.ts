// Running a command on the runner (docker, a project's migration tool), streaming its output.
import * as actionsExec from "@actions/exec";
import type { Logger } from "./logger";

export interface ExecOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Written to the command's stdin (e.g. a registry password, never passed as an argument). */
  input?: string | Buffer;
  /** Called with each line of stdout and stderr as it arrives. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Echo each line to the job log through the logger (default true). */
  echo?: boolean;
  logger?: Logger;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command without a shell and returns its exit code and output; a non-zero exit is returned,
 * not thrown, so callers can explain it. Output lines go through the logger, so secrets are masked
 * by the runner and redacted in recordings.
 */
export async function execCommand(
  command: string,
  args: string[],
  options: ExecOptions = {},
): Promise<ExecResult> {
  const echo = options.echo ?? true;
  const env = options.env ? { ...(process.env as Record<string, string>), ...options.env } : undefined;
  const execOptions: actionsExec.ExecOptions = {
    ignoreReturnCode: true,
    silent: true,
    listeners: {
      stdline: (line) => {
        if (echo) options.logger?.info(line);
        options.onLine?.(line, "stdout");
      },
      errline: (line) => {
        if (echo) options.logger?.info(line);
        options.onLine?.(line, "stderr");
      },
    },
  };
  if (options.cwd !== undefined) execOptions.cwd = options.cwd;
  if (env !== undefined) execOptions.env = env;
  if (options.input !== undefined) execOptions.input = Buffer.from(options.input);
  const result = await actionsExec.getExecOutput(command, args, execOptions);
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr };
}
