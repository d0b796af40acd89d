// Running a command on the runner (docker, git, a project's migration tool), streaming its output,
// and stopping it when the workflow is cancelled or a timeout passes.
//
// Node's own spawn, not @actions/exec: that one cannot stop a command it started, and a cancelled
// workflow must stop a `docker build` or a migration tool instead of leaving it running.
import { spawn } from "node:child_process";
import { UserError } from "./errors";
import type { Logger } from "./logger";

export interface ExecOptions {
  cwd?: string;
  /** Added to (and overriding) the runner's environment. */
  env?: Record<string, string>;
  /** The whole environment instead: the command sees nothing else. */
  replaceEnv?: NodeJS.ProcessEnv;
  /** Written to the command's stdin (e.g. a registry password, never passed as an argument). */
  input?: string | Buffer;
  /** Called with each line of stdout and stderr as it arrives. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Echo each line to the job log through the logger (default true). */
  echo?: boolean;
  logger?: Logger;
  /** Stops the command (`stopSignal`, then SIGKILL after `killAfterMs`) when aborted. */
  signal?: AbortSignal;
  /** The first signal a stopped command gets (default SIGINT, which docker cancels a build on). */
  stopSignal?: NodeJS.Signals;
  /** Stops the command the same way after this long. */
  timeoutMs?: number;
  /** How long a stopped command gets to end by itself before SIGKILL (default 10 s). */
  killAfterMs?: number;
}

export interface ExecResult {
  /** The exit code; -1 when a signal ended the command. */
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The signal that ended the command, if one did. */
  killedBy?: NodeJS.Signals;
  timedOut?: boolean;
  cancelled?: boolean;
}

/**
 * Runs a command without a shell and returns its exit code and output; a non-zero exit is returned,
 * not thrown, so callers can explain it. Output lines go through the logger, so secrets are masked
 * by the runner and redacted in recordings. A command that cannot be started is a UserError.
 */
export function execCommand(command: string, args: string[], options: ExecOptions = {}): Promise<ExecResult> {
  const echo = options.echo ?? true;
  const env = options.replaceEnv ?? (options.env ? { ...process.env, ...options.env } : process.env);
  return new Promise((resolvePromise, reject) => {
    if (options.signal?.aborted) {
      resolvePromise({ exitCode: -1, stdout: "", stderr: "", cancelled: true });
      return;
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env,
      stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    const collected = { stdout: [] as string[], stderr: [] as string[] };
    const partial = { stdout: "", stderr: "" };
    const emit = (stream: "stdout" | "stderr", line: string): void => {
      if (echo) options.logger?.info(line);
      options.onLine?.(line, stream);
    };
    const feed = (stream: "stdout" | "stderr", chunk: string): void => {
      collected[stream].push(chunk);
      const lines = (partial[stream] + chunk).split(/\r?\n/);
      partial[stream] = lines.pop() ?? "";
      for (const line of lines) emit(stream, line);
    };
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => feed("stdout", chunk));
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => feed("stderr", chunk));
    if (child.stdin && options.input !== undefined) {
      // A command that exits without reading its stdin must not crash the action with EPIPE.
      child.stdin.on("error", () => undefined);
      child.stdin.end(options.input);
    }

    let timedOut = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      if (killTimer) return;
      child.kill(options.stopSignal ?? "SIGINT");
      killTimer = setTimeout(() => child.kill("SIGKILL"), options.killAfterMs ?? 10_000);
    };
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs);
    const onAbort = (): void => {
      cancelled = true;
      stop();
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    const settle = (): void => {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener("abort", onAbort);
    };

    child.on("error", (error: NodeJS.ErrnoException) => {
      settle();
      if (error.code === "ENOENT") {
        reject(
          new UserError(`Could not run \`${command}\`: it was not found on PATH.`, {
            fix: `Install ${command} on the runner, or put its directory on PATH, before this step.`,
            cause: error,
          }),
        );
        return;
      }
      reject(error);
    });
    child.on("close", (code, signal) => {
      settle();
      for (const stream of ["stdout", "stderr"] as const) {
        if (partial[stream]) emit(stream, partial[stream]);
      }
      const result: ExecResult = {
        exitCode: code ?? -1,
        stdout: collected.stdout.join(""),
        stderr: collected.stderr.join(""),
      };
      if (signal) result.killedBy = signal;
      if (timedOut) result.timedOut = true;
      if (cancelled) result.cancelled = true;
      resolvePromise(result);
    });
  });
}
