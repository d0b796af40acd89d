// Mode command: the project's own migration tool on the runner, DATABASE_URL from the secret input,
// its output streamed (masked) as it runs, and its last lines shown when it fails.
import { accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import { hasCommandOnPath } from "@shipline/core/migrations/command-path";
import {
  appliedByTool,
  type MigrationRun,
  type MigrationRunOutcome,
  nextStep,
} from "@shipline/core/migrations/run-outcome";
import { CancelledError, errorMessage, isUserError, UserError } from "@shipline/core/runtime/errors";
import { type ExecResult, execCommand } from "@shipline/core/runtime/exec";
import { formatDuration } from "@shipline/core/runtime/format";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";
import { backUp } from "./backup";

type CommandRun = Extract<MigrationRun, { kind: "command" }>;

const INSTALL_FIX =
  "Install the tool in an earlier step (e.g. `npm ci`, `pip install alembic`) or give its full path.";

/** Refuses a missing program, backs up, then runs the tool; the outcome says how far it got. */
export async function runCommandMode(
  context: ActionContext,
  settings: Settings,
  pending: MigrationRunOutcome,
): Promise<MigrationRunOutcome> {
  const command = settings.command as string[];
  // Everything that can refuse the run is checked before the snapshot, the first change.
  const checked = await nextStep(pending, async (outcome) => {
    refuseMissingProgram(context, settings, command);
    return outcome;
  });
  const backedUp = await nextStep(checked, (outcome) => backUp(context, settings, outcome));
  return nextStep(backedUp, async (outcome) => {
    const run = await context.logger.group(`Run ${command.join(" ")}`, () =>
      runMigrationCommand(context, settings, command),
    );
    return appliedByTool(outcome, run);
  });
}

/** The job's environment without the action's INPUT_* variables: the tool gets only what it is given. */
function withoutInputs(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith("INPUT_")));
}

function workingDirectory(context: ActionContext, settings: Settings): string {
  return resolve(context.env.GITHUB_WORKSPACE ?? process.cwd(), settings.workingDirectory);
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
export function refuseMissingProgram(context: ActionContext, settings: Settings, command: string[]): void {
  const [program] = command;
  if (!program) throw new Error("empty command");
  const found = program.includes("/")
    ? canExecute(resolve(workingDirectory(context, settings), program))
    : hasCommandOnPath(program, context.env);
  if (found) return;
  throw new UserError(
    `\`${program}\` is not ${program.includes("/") ? `an executable file in ${settings.workingDirectory}` : "installed: it is on no directory of PATH"}; nothing was run.`,
    { input: "command", fix: INSTALL_FIX },
  );
}

async function execTool(
  context: ActionContext,
  settings: Settings,
  command: string[],
  tail: string[],
): Promise<ExecResult> {
  const { logger } = context;
  const [program = "", ...args] = command;
  const { url, env: variable } = settings.database;
  try {
    return await execCommand(program, args, {
      cwd: workingDirectory(context, settings),
      replaceEnv: { ...withoutInputs(context.env), ...(url ? { [variable]: url } : {}) },
      timeoutMs: settings.timeoutMs,
      signal: context.signal,
      stopSignal: "SIGTERM",
      echo: false,
      // The runner masks registered secrets in its log, but the raw stream must not carry them either.
      onLine: (line) => {
        const safe = logger.secrets.redact(line);
        logger.info(safe);
        tail.push(safe);
        if (tail.length > settings.logTailLines) tail.shift();
      },
    });
  } catch (error) {
    // execCommand already names a program missing from PATH; anything else (not executable) is said here.
    throw new UserError(
      isUserError(error) ? error.message : `Could not start \`${program}\`: ${errorMessage(error)}`,
      { input: "command", fix: INSTALL_FIX, cause: error },
    );
  }
}

export async function runMigrationCommand(
  context: ActionContext,
  settings: Settings,
  command: string[],
): Promise<CommandRun> {
  const { logger, clock } = context;
  const [program] = command;
  if (!program) throw new Error("empty command");
  const { url, env: variable } = settings.database;
  const tail: string[] = [];
  const started = clock.now();
  logger.info(
    `Running \`${command.join(" ")}\` in ${settings.workingDirectory}${url ? ` with ${variable} set from \`database-url\`` : ""}:`,
  );
  const result = await execTool(context, settings, command, tail);
  const durationMs = clock.now() - started;
  const lastLines = `Its last ${tail.length} line${tail.length === 1 ? "" : "s"}:\n${tail.join("\n")}`;
  if (result.cancelled) throw new CancelledError(`The workflow was cancelled; \`${program}\` was stopped.`);
  if (result.timedOut) {
    throw new UserError(
      `\`${command.join(" ")}\` did not finish within ${formatDuration(settings.timeoutMs)} and was stopped. ${lastLines}`,
      {
        input: "timeout",
        fix: "Find out what it waited on (a lock held by another session is common), or raise `timeout`.",
      },
    );
  }
  if (result.exitCode !== 0) {
    const how = result.killedBy ? `was killed by ${result.killedBy}` : `exited with code ${result.exitCode}`;
    throw new UserError(`\`${command.join(" ")}\` ${how} after ${formatDuration(durationMs)}. ${lastLines}`, {
      fix: "Read the tool's output above; fix the migration or the database access and re-run.",
    });
  }
  logger.info(`\`${command.join(" ")}\` finished in ${formatDuration(durationMs)}.`);
  return { kind: "command", command, exitCode: result.exitCode, durationMs, lastLines: tail };
}
