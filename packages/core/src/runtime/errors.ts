// The one error type for "the user must change something". Everything else is treated as a bug.
import type { Annotation } from "./annotation";

export interface UserErrorOptions {
  /** What the user should do about it, in one or two sentences. */
  fix?: string;
  /** The action input the problem is in, when there is one. */
  input?: string;
  /** The file and line the problem is at, when it is in a file of the repository. */
  at?: Annotation;
  cause?: unknown;
}

/**
 * A failure the user can act on: a bad input, a refused operation, a deployment that ECS rejected.
 * The run wrapper reports it as one error annotation with its fix and no stack trace.
 */
export class UserError extends Error {
  readonly fix: string | undefined;
  readonly input: string | undefined;
  readonly at: Annotation | undefined;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "UserError";
    this.fix = options.fix;
    this.input = options.input;
    this.at = options.at;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** The message a person reads: the problem, then the fix on its own line. */
export function describeUserError(error: UserError): string {
  return error.fix ? `${error.message}\nFix: ${error.fix}` : error.message;
}

/** Best-effort message of anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error);
  } catch {
    return String(error);
  }
}

/** True when the value is the rejection produced by an aborted AbortSignal. */
export function isAbortError(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "CancelledError");
}

/** Raised when the workflow is cancelled (SIGINT/SIGTERM from the runner) while an action waits. */
export class CancelledError extends Error {
  constructor(message = "The workflow run was cancelled.") {
    super(message);
    this.name = "CancelledError";
  }
}
