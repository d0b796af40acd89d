// The run wrapper every action's entry file calls: one context, main called once, failure reported
// exactly once, the step summary written even when main fails.
import { basename, dirname } from "node:path";
import type { Clock } from "./clock";
import { systemClock } from "./clock";
import { CancelledError, describeUserError, errorMessage, isUserError } from "./errors";
import { type InputSpec, type InputValues, parseInputs, runnerInputSource } from "./inputs";
import { type Annotation, createRunnerLogger, type Logger } from "./logger";
import { type OutputSpec, Outputs } from "./outputs";
import { useProxies } from "./proxy";
import { SummaryBuilder } from "./summary";
import { SHIPLINE_VERSION } from "./version";
import { WorkflowCommands } from "./workflow-commands";

export interface ActionState {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

export interface ActionContext {
  readonly logger: Logger;
  readonly summary: SummaryBuilder;
  readonly clock: Clock;
  /** Aborted when the runner signals cancellation (SIGINT, then SIGTERM). */
  readonly signal: AbortSignal;
  readonly env: NodeJS.ProcessEnv;
  /** State shared between the main and post steps of one action. */
  readonly state: ActionState;
  /** Parses and validates every input of the spec; call it before anything else. */
  inputs<S extends InputSpec>(spec: S): InputValues<S>;
  outputs<N extends string>(spec: OutputSpec<N>): Outputs<N>;
}

export type ActionMain = (context: ActionContext) => Promise<void>;

/** What the wrapper needs from the outside world; tests pass a recording fake. */
export interface RunDeps {
  logger: Logger;
  clock: Clock;
  env: NodeJS.ProcessEnv;
  /** Fails the step with one error annotation, placed at a file and line when one is given. */
  setFailed(message: string, at?: Annotation): void;
  setOutput(name: string, value: string): void;
  writeSummary(markdown: string): Promise<void>;
  saveState(name: string, value: string): void;
  /** Subscribes to cancellation; returns an unsubscribe function. */
  onCancel(handler: () => void): () => void;
  /** Sends the step's HTTP requests through the proxies the environment sets (proxy.ts). */
  useProxies?(logger: Logger): void;
  /** The action's name for the first log line; the runner's deps take it from the bundle's folder. */
  action?: string | undefined;
}

/** The action a bundle is: its folder under dist/ (dist/<name>/index.js), when the script is one. */
export function bundleAction(script: string | undefined): string | undefined {
  if (!script || basename(script) !== "index.js") return undefined;
  const name = basename(dirname(script));
  return /^[a-z][a-z0-9-]*$/.test(name) ? name : undefined;
}

/**
 * The first line of every step's log: which action, which shipline version, and the ref the workflow
 * named when the step is a `uses: <owner>/shipline/actions/<name>@<ref>` (the runner sets
 * GITHUB_ACTION_REPOSITORY and GITHUB_ACTION_REF then; an action run from a local path has neither).
 */
export function versionLine(action: string | undefined, env: NodeJS.ProcessEnv): string {
  const repository = env.GITHUB_ACTION_REPOSITORY ?? "";
  const ref = env.GITHUB_ACTION_REF ?? "";
  const from = repository && ref ? ` (${repository}@${ref})` : "";
  return `shipline ${action ?? "action"} ${SHIPLINE_VERSION}${from}`;
}

/** The runner's side of a step: its environment, stdout and the files the environment names. */
export function runnerDeps(env: NodeJS.ProcessEnv = process.env): RunDeps {
  const commands = new WorkflowCommands(undefined, env);
  return {
    logger: createRunnerLogger(systemClock, commands),
    clock: systemClock,
    env,
    setFailed: (message, at) => {
      // What core.setFailed does, with the annotation's place in the file.
      process.exitCode = 1;
      commands.annotate("error", message, at);
    },
    setOutput: (name, value) => commands.setOutput(name, value),
    writeSummary: (markdown) => commands.appendSummary(markdown),
    saveState: (name, value) => commands.saveState(name, value),
    action: bundleAction(process.argv[1]),
    useProxies: (logger) => useProxies(env, logger),
    onCancel: (handler) => {
      let signals = 0;
      const listener = (): void => {
        signals++;
        // The runner sends SIGINT, then SIGTERM a few seconds later: the second one ends the process.
        if (signals > 1) process.exit(1);
        handler();
      };
      process.on("SIGINT", listener);
      process.on("SIGTERM", listener);
      return () => {
        process.off("SIGINT", listener);
        process.off("SIGTERM", listener);
      };
    },
  };
}

/**
 * An action main that checks the inputs first and loads the rest of the action only then. The entry
 * file imports nothing heavy, so a bad input is reported before the AWS SDK, Octokit or a parser is
 * evaluated; the bundler puts what `load` imports into a chunk beside index.js.
 */
export function afterInputs<S extends InputSpec>(
  spec: S,
  load: () => Promise<{ main: ActionMain }>,
  /** The rules between inputs (one of these, both or neither), from the same light module as the spec. */
  check?: (inputs: InputValues<S>) => void,
): ActionMain {
  return async (context) => {
    const inputs = context.inputs(spec);
    check?.(inputs);
    const { main } = await load();
    await main(context);
  };
}

/** Runs an action's main with the runner's environment, or the given fakes. Never rejects. */
export async function run(main: ActionMain, deps: RunDeps = runnerDeps()): Promise<void> {
  const { logger, env } = deps;
  // The job's own credentials (AWS_SECRET_ACCESS_KEY, GITHUB_TOKEN, a DATABASE_URL in `env:`, the
  // token inputs as INPUT_GITHUB-TOKEN) are masked before anything can print them.
  logger.secrets.addEnvironment(Object.entries(env));
  // The first line of the step's log, so a log pasted into an issue says what ran.
  logger.info(versionLine(deps.action, env));
  deps.useProxies?.(logger);
  const summary = new SummaryBuilder();
  const controller = new AbortController();
  const stopListening = deps.onCancel(() => {
    logger.warning("Cancellation requested: stopping the current wait.");
    controller.abort(new CancelledError());
  });
  const state: ActionState = {
    get: (name) => env[`STATE_${name}`] || undefined,
    // The state file is readable by later steps of the job: it gets what the log gets.
    set: (name, value) => deps.saveState(name, logger.secrets.redact(value)),
  };
  const parsedInputs = new WeakMap<InputSpec, unknown>();
  const context: ActionContext = {
    logger,
    summary,
    clock: deps.clock,
    signal: controller.signal,
    env,
    state,
    // Parsed once per spec: afterInputs checks them before loading main, which asks again.
    inputs: <S extends InputSpec>(spec: S): InputValues<S> => {
      const known = parsedInputs.get(spec);
      if (known) return known as InputValues<S>;
      const values = parseInputs(spec, {
        source: runnerInputSource(env),
        secrets: logger.secrets,
        workspace: env.GITHUB_WORKSPACE || process.cwd(),
      });
      parsedInputs.set(spec, values);
      return values;
    },
    outputs: (spec) => new Outputs(spec, deps.setOutput, logger.secrets),
  };

  let failure: string | undefined;
  let failureAt: Annotation | undefined;
  try {
    await main(context);
  } catch (error) {
    if (isUserError(error)) {
      failure = describeUserError(error);
      failureAt = error.at;
    } else if (error instanceof CancelledError) {
      failure = error.message;
    } else {
      const stack = error instanceof Error && error.stack ? error.stack : String(error);
      logger.debug(stack);
      failure = `Unexpected error: ${errorMessage(error)}. This is a bug in shipline; re-run with debug logging (ACTIONS_STEP_DEBUG) to see the stack trace, and report it.`;
    }
  } finally {
    stopListening();
  }

  if (!summary.isEmpty) {
    try {
      await deps.writeSummary(logger.secrets.redact(summary.toMarkdown()));
    } catch (error) {
      logger.warning(`Could not write the step summary: ${errorMessage(error)}`);
    }
  }
  if (failure !== undefined) deps.setFailed(logger.secrets.redact(failure), failureAt);
}
