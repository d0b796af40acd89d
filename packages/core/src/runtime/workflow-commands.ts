// How a step talks to the runner, in the formats the runner documents: workflow commands on stdout
// (`::error file=app.ts,line=3::message`) and the file commands (outputs and state appended to the
// GITHUB_OUTPUT and GITHUB_STATE files, the job summary to GITHUB_STEP_SUMMARY). They are written here
// rather than through @actions/core because that package's module graph evaluates an HTTP client at
// load (undici, for OIDC tokens shipline never asks it for): about 100 ms and 25 MiB, and a second
// HTTP stack in every bundle beside the one the AWS SDK and Octokit use. A unit test holds every
// line and file entry here byte for byte to what @actions/core writes for the same call.
import { appendFileSync, promises as fs } from "node:fs";
import { EOL } from "node:os";
import type { Annotation } from "./annotation";

/** Properties of an annotation command, named as the runner reads them. */
export interface CommandProperties {
  /** The output or state a `set-output` / `save-state` command sets. */
  name?: string | undefined;
  title?: string | undefined;
  file?: string | undefined;
  line?: number | undefined;
  endLine?: number | undefined;
  col?: number | undefined;
  endColumn?: number | undefined;
}

function escapeData(value: string): string {
  return value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

function escapeProperty(value: string): string {
  return escapeData(value).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** One command line, without its line ending. Empty properties are left out, as the runner expects. */
export function formatCommand(name: string, properties: CommandProperties, message: string): string {
  const pairs: string[] = [];
  for (const key of ["name", "title", "file", "line", "endLine", "col", "endColumn"] as const) {
    const value = properties[key];
    if (value) pairs.push(`${key}=${escapeProperty(String(value))}`);
  }
  return `::${name}${pairs.length > 0 ? ` ${pairs.join(",")}` : ""}::${escapeData(message)}`;
}

/** The command properties of an annotation: where in which file the message points. */
export function annotationProperties(annotation: Annotation | undefined): CommandProperties {
  if (!annotation) return {};
  return {
    title: annotation.title,
    file: annotation.file,
    line: annotation.line,
    endLine: annotation.endLine,
    col: annotation.column,
  };
}

export type Write = (text: string) => void;

const stdout: Write = (text) => {
  process.stdout.write(text);
};

/** The files of the key-value file commands: the step's outputs, and the state its post step reads. */
type FileCommand = "OUTPUT" | "STATE";

/**
 * A heredoc delimiter that occurs in neither the name nor the value, so the runner cannot end the
 * value early (a value that names a delimiter of its own could otherwise set other outputs). A random
 * UUID practically never occurs in them; a new one is drawn if it does.
 */
export function fileCommandDelimiter(
  name: string,
  value: string,
  // Web Crypto's, loaded on first use: node:crypto at start would cost every step 3 MiB.
  draw: () => string = () => globalThis.crypto.randomUUID(),
): string {
  for (;;) {
    const delimiter = `shipline_${draw()}`;
    if (!name.includes(delimiter) && !value.includes(delimiter)) return delimiter;
  }
}

/**
 * One entry of GITHUB_OUTPUT or GITHUB_STATE in the multi-line form the runner reads:
 * `name<<DELIMITER`, the value as it is (line breaks included), `DELIMITER`, each on its own line.
 */
export function formatFileCommand(name: string, value: string, delimiter: string): string {
  return `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`;
}

/**
 * Names are the action's own (action.yml declares them), so a bad one is a bug: the runner would read
 * `a=b<<...` as the one-line form, and a line break or "<<" would end the name elsewhere.
 */
function checkName(name: string): void {
  if (!name || /[\r\n=]|<</.test(name)) {
    throw new Error(`${JSON.stringify(name)} cannot name an output or a state value`);
  }
}

/**
 * What a step writes for the runner: plain lines, debug, annotations, masks and groups on stdout;
 * outputs, state and the job summary in the files the runner names in the environment.
 */
export class WorkflowCommands {
  constructor(
    private readonly write: Write = stdout,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  line(message: string): void {
    this.write(message + EOL);
  }

  command(name: string, properties: CommandProperties, message: string): void {
    this.write(formatCommand(name, properties, message) + EOL);
  }

  debug(message: string): void {
    this.command("debug", {}, message);
  }

  annotate(level: "notice" | "warning" | "error", message: string, annotation?: Annotation): void {
    this.command(level, annotationProperties(annotation), message);
  }

  mask(value: string): void {
    this.command("add-mask", {}, value);
  }

  async group<T>(title: string, fn: () => Promise<T>): Promise<T> {
    this.command("group", {}, title);
    try {
      return await fn();
    } finally {
      this.command("endgroup", {}, "");
    }
  }

  /** Sets a step output (redacting it is the caller's part: Outputs does it). */
  setOutput(name: string, value: string): void {
    this.#keyValue("OUTPUT", "set-output", name, value);
  }

  /** Saves a value for the action's post step, which reads it as STATE_<name>. */
  saveState(name: string, value: string): void {
    this.#keyValue("STATE", "save-state", name, value);
  }

  /** Appends markdown to the job summary; without GITHUB_STEP_SUMMARY there is none to write. */
  async appendSummary(markdown: string): Promise<void> {
    const file = this.env.GITHUB_STEP_SUMMARY;
    if (file) await fs.appendFile(file, markdown, { encoding: "utf8" });
  }

  /**
   * Appends to the file the runner names in GITHUB_<file>. Where it names none, this is a runner older
   * than the files (2022, so none that runs a node24 action) or a `node dist/<name>/index.js` by hand:
   * the value is then written as the older stdout command, which such a runner reads and a person
   * sees, as @actions/core does. The value is redacted either way (Outputs and the state do it).
   */
  #keyValue(file: FileCommand, command: "set-output" | "save-state", name: string, value: string): void {
    checkName(name);
    const path = this.env[`GITHUB_${file}`];
    if (path) {
      appendFileSync(path, formatFileCommand(name, value, fileCommandDelimiter(name, value)), {
        encoding: "utf8",
      });
      return;
    }
    // @actions/core writes an empty line before this one (and not before save-state): kept, so the
    // log reads the same as an action built on it.
    if (command === "set-output") this.write(EOL);
    this.command(command, { name }, value);
  }
}
