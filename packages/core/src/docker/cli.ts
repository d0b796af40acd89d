// The docker CLI on the runner, run through execCommand (no shell); DOCKER_HOST and DOCKER_CONFIG
// come from the environment like any docker command in a workflow.
import { CancelledError } from "../runtime/errors";
import { type ExecOptions, type ExecResult, execCommand } from "../runtime/exec";
import type { Logger } from "../runtime/logger";

export class DockerCommandError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly result: ExecResult,
  ) {
    const tail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-5).join("\n");
    super(`docker ${args[0] ?? ""} exited with ${result.exitCode}${tail ? `:\n${tail}` : ""}`);
    this.name = "DockerCommandError";
  }
}

export interface DockerRunOptions {
  input?: string;
  env?: Record<string, string>;
  /** Echo the output to the job log (default true). */
  echo?: boolean;
  cwd?: string;
}

export class DockerCli {
  constructor(
    readonly logger: Logger,
    readonly binary = "docker",
    /** Cancellation: a running docker command gets SIGINT (docker stops a build or push on it). */
    readonly signal?: AbortSignal,
  ) {}

  /** Runs docker; the exit code is returned, not thrown. A cancelled command throws CancelledError. */
  async run(args: string[], options: DockerRunOptions = {}): Promise<ExecResult> {
    this.logger.debug(`${this.binary} ${args.join(" ")}`);
    const exec: ExecOptions = { logger: this.logger, echo: options.echo ?? true };
    if (options.input !== undefined) exec.input = options.input;
    if (options.env !== undefined) exec.env = options.env;
    if (options.cwd !== undefined) exec.cwd = options.cwd;
    if (this.signal) exec.signal = this.signal;
    const result = await execCommand(this.binary, args, exec);
    if (result.cancelled) {
      throw new CancelledError(`The workflow run was cancelled; \`docker ${args[0] ?? ""}\` was stopped.`);
    }
    return result;
  }

  /** Runs docker and throws DockerCommandError on a non-zero exit. */
  async check(args: string[], options: DockerRunOptions = {}): Promise<ExecResult> {
    const result = await this.run(args, options);
    if (result.exitCode !== 0) throw new DockerCommandError(args, result);
    return result;
  }
}
