// Workflow commands on stdout (`::error file=app.ts,line=3::message`), in the format the runner
// documents. The log lines are written here rather than through @actions/core because that
// package's module graph evaluates an HTTP client at load (undici, for OIDC tokens shipline never
// asks it for): about 100 ms and 25 MiB before the first input is read, on every step. @actions/core
// still writes the file commands (outputs, state, summary), loaded once a step needs one. A unit test
// holds every line here byte for byte to what @actions/core writes for the same call.
import { EOL } from "node:os";
import type { Annotation } from "./annotation";

/** Properties of an annotation command, named as the runner reads them. */
export interface CommandProperties {
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
  for (const key of ["title", "file", "line", "endLine", "col", "endColumn"] as const) {
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

/** The log-line commands a step writes: plain lines, debug, annotations, masks and groups. */
export class WorkflowCommands {
  constructor(private readonly write: Write = stdout) {}

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
}
