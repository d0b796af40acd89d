// The logging port: actions talk to a Logger, the runner implementation writes workflow commands,
// and tests use the recording implementation.
import type { Annotation } from "./annotation";
import type { Clock } from "./clock";
import { systemClock } from "./clock";
import { formatElapsed } from "./format";
import { Secrets } from "./secrets";
import { WorkflowCommands } from "./workflow-commands";

export type { Annotation } from "./annotation";

export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  notice(message: string, annotation?: Annotation): void;
  warning(message: string, annotation?: Annotation): void;
  /** An error annotation that does not by itself fail the step (the run wrapper does that). */
  error(message: string, annotation?: Annotation): void;
  /** A progress line of a long wait, prefixed with the time since the action started. */
  progress(message: string): void;
  /** Runs fn inside a titled, collapsible group of the job log. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Registers secrets: masked in the log from now on, redacted from summaries and outputs. */
  readonly secrets: Secrets;
}

/**
 * The Logger of a real run: workflow commands on stdout. Every message is redacted before it is
 * written, so a secret never reaches stdout at all: the runner's masking (which the secrets are
 * registered with too) only covers the values it was told, in the forms it was told.
 */
export function createRunnerLogger(clock: Clock = systemClock, commands = new WorkflowCommands()): Logger {
  const startedAt = clock.now();
  const secrets = new Secrets({ mask: (value) => commands.mask(value) });
  const safe = (message: string): string => secrets.redact(message);
  return {
    secrets,
    info: (message) => commands.line(safe(message)),
    debug: (message) => commands.debug(safe(message)),
    notice: (message, annotation) => commands.annotate("notice", safe(message), annotation),
    warning: (message, annotation) => commands.annotate("warning", safe(message), annotation),
    error: (message, annotation) => commands.annotate("error", safe(message), annotation),
    progress: (message) => commands.line(`[${formatElapsed(clock.now() - startedAt)}] ${safe(message)}`),
    group: (title, fn) => commands.group(safe(title), fn),
  };
}

export interface RecordedLine {
  level: "info" | "debug" | "notice" | "warning" | "error" | "progress" | "group";
  message: string;
  annotation?: Annotation;
}

/** A Logger that records what was said, for tests. Secrets are redacted as the runner would. */
export class RecordingLogger implements Logger {
  readonly lines: RecordedLine[] = [];
  readonly masked: string[] = [];
  readonly secrets = new Secrets({ mask: (value) => this.masked.push(value) });

  #push(level: RecordedLine["level"], message: string, annotation?: Annotation): void {
    const line: RecordedLine = { level, message: this.secrets.redact(message) };
    if (annotation) line.annotation = annotation;
    this.lines.push(line);
  }

  info(message: string): void {
    this.#push("info", message);
  }
  debug(message: string): void {
    this.#push("debug", message);
  }
  notice(message: string, annotation?: Annotation): void {
    this.#push("notice", message, annotation);
  }
  warning(message: string, annotation?: Annotation): void {
    this.#push("warning", message, annotation);
  }
  error(message: string, annotation?: Annotation): void {
    this.#push("error", message, annotation);
  }
  progress(message: string): void {
    this.#push("progress", message);
  }
  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.#push("group", title);
    return fn();
  }

  /** Every recorded message at the given levels, joined by newlines (all levels when none given). */
  text(...levels: RecordedLine["level"][]): string {
    return this.lines
      .filter((l) => levels.length === 0 || levels.includes(l.level))
      .map((l) => l.message)
      .join("\n");
  }
}
