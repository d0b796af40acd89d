// Mode command: the project's own migration tool on the runner, DATABASE_URL from the secret input,
// its output streamed (masked) as it runs, and its last lines shown when it fails.
import { accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import { hasCommandOnPath } from "@shipline/core/migrations/command-path";
import { CancelledError, errorMessage, isUserError, UserError } from "@shipline/core/runtime/errors";
import { type ExecResult, execCommand } from "@shipline/core/runtime/exec";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Inputs } from "./inputs";

export interface CommandResult {
  exitCode: number;
  durationMs: number;
  lastLines: string[];
}

/** The job's environment without the action's INPUT_* variables: the tool gets only what it is given. */
function withoutInputs(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("INPUT_")));
}

function workingDirectory(context: ActionContext, inputs: Inputs): string {
  return resolve(context.env.GITHUB_WORKSPACE ?? process.cwd(), inputs.workingDirectory);
}

function canExecute(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Refuses a program that is not there, before the backup and before anything runs: a path (with a
 * `/`) from the working directory, a bare name on PATH, as the spawn will look for it.
 */
export function refuseMissingProgram(context: ActionContext, inputs: Inputs, command: string[]): void {
  const [program] = command;
  if (!program) throw new Error("empty command");
  const found = program.includes("/")
    ? canExecute(resolve(workingDirectory(context, inputs), program))
    : hasCommandOnPath(program, context.env);
  if (found) return;
  throw new UserError(
    `\`${program}\` is not ${program.includes("/") ? `an executable file in ${inputs.workingDirectory}` : "installed: it is on no directory of PATH"}; nothing was run.`,
    {
      input: "command",
      fix: "Install the tool in an earlier step (e.g. `npm ci`, `pip install alembic`) or give its full path.",
    },
  );
}

export async function runMigrationCommand(
  context: ActionContext,
  inputs: Inputs,
  command: string[],
): Promise<CommandResult> {
  const { logger, clock } = context;
  const [program, ...args] = command;
  if (!program) throw new Error("empty command");
  const cwd = workingDirectory(context, inputs);
  const env: Record<string, string> = {};
  if (inputs.databaseUrl) {
    logger.secrets.addUrl(inputs.databaseUrl);
    env[inputs.databaseUrlEnv] = inputs.databaseUrl;
  }
  const tail: string[] = [];
  const keep = inputs.logTailLines;
  const started = clock.now();
  logger.info(
    `Running \`${command.join(" ")}\` in ${inputs.workingDirectory}${inputs.databaseUrl ? ` with ${inputs.databaseUrlEnv} set from \`database-url\`` : ""}:`,
  );
  let result: ExecResult;
  try {
    result = await execCommand(program, args, {
      cwd,
      replaceEnv: { ...withoutInputs(context.env), ...env },
      timeoutMs: inputs.timeout,
      signal: context.signal,
      stopSignal: "SIGTERM",
      echo: false,
      // The runner masks registered secrets in its log, but the raw stream must not carry them either.
      onLine: (line) => {
        const safe = logger.secrets.redact(line);
        logger.info(safe);
        tail.push(safe);
        if (tail.length > keep) tail.shift();
      },
    });
  } catch (error) {
    // execCommand already names a program missing from PATH; anything else (not executable) is said here.
    throw new UserError(
      isUserError(error) ? error.message : `Could not start \`${program}\`: ${errorMessage(error)}`,
      {
        input: "command",
        fix: "Install the tool in an earlier step (e.g. `npm ci`, `pip install alembic`) or give its full path.",
        cause: error,
      },
    );
  }
  const durationMs = clock.now() - started;
  const lastLines = `Its last ${tail.length} line${tail.length === 1 ? "" : "s"}:\n${tail.join("\n")}`;
  if (result.cancelled) throw new CancelledError(`The workflow was cancelled; \`${program}\` was stopped.`);
  if (result.timedOut) {
    throw new UserError(
      `\`${command.join(" ")}\` did not finish within ${formatDuration(inputs.timeout)} and was stopped. ${lastLines}`,
      {
        input: "timeout",
        fix: "Find out what it waited on (a lock held by another session is common), or raise `timeout`.",
      },
    );
  }
  const exitCode = result.exitCode;
  if (exitCode !== 0) {
    const how = result.killedBy ? `was killed by ${result.killedBy}` : `exited with code ${result.exitCode}`;
    throw new UserError(`\`${command.join(" ")}\` ${how} after ${formatDuration(durationMs)}. ${lastLines}`, {
      fix: "Read the tool's output above; fix the migration or the database access and re-run.",
    });
  }
  logger.info(`\`${command.join(" ")}\` finished in ${formatDuration(durationMs)}.`);
  return { exitCode, durationMs, lastLines: tail };
}
