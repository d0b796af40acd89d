// Reads what an action printed the way the runner does: workflow commands on stdout, and the
// GITHUB_OUTPUT / GITHUB_STATE / GITHUB_ENV files.

export interface AnnotationRecord {
  level: "error" | "warning" | "notice";
  message: string;
  properties: Record<string, string>;
}

export interface ParsedLog {
  annotations: AnnotationRecord[];
  masks: string[];
  debug: string[];
  groups: string[];
  /** The log as a person sees it: commands removed, masked values replaced by ***. */
  visible: string;
}

function unescapeData(value: string): string {
  return value.replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%25/g, "%");
}

function unescapeProperty(value: string): string {
  return unescapeData(value).replace(/%3A/g, ":").replace(/%2C/g, ",");
}

const COMMAND = /^::([a-z-]+)(?: ([^:]*))?::(.*)$/;

export function parseWorkflowCommands(stdout: string): ParsedLog {
  const annotations: AnnotationRecord[] = [];
  const masks: string[] = [];
  const debug: string[] = [];
  const groups: string[] = [];
  const visibleLines: string[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const match = COMMAND.exec(line);
    if (!match) {
      visibleLines.push(line);
      continue;
    }
    const [, command, rawProps, rawData] = match as unknown as [string, string, string | undefined, string];
    const data = unescapeData(rawData);
    const properties: Record<string, string> = {};
    for (const pair of (rawProps ?? "").split(",").filter(Boolean)) {
      const at = pair.indexOf("=");
      if (at > 0) properties[pair.slice(0, at)] = unescapeProperty(pair.slice(at + 1));
    }
    switch (command) {
      case "error":
      case "warning":
      case "notice":
        annotations.push({ level: command, message: data, properties });
        visibleLines.push(`${command.toUpperCase()}: ${data}`);
        break;
      case "add-mask":
        masks.push(data);
        break;
      case "debug":
        debug.push(data);
        break;
      case "group":
        groups.push(data);
        visibleLines.push(`▸ ${data}`);
        break;
      case "endgroup":
        break;
      default:
        visibleLines.push(line);
    }
  }
  let visible = visibleLines.join("\n");
  for (const mask of [...masks].sort((a, b) => b.length - a.length)) {
    if (mask) visible = visible.split(mask).join("***");
  }
  return { annotations, masks, debug, groups, visible };
}

/** Parses the `name<<DELIMITER ... DELIMITER` format of GITHUB_OUTPUT, GITHUB_STATE and GITHUB_ENV. */
export function parseFileCommands(content: string): Record<string, string> {
  const values: Record<string, string> = {};
  const lines = content.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") continue;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string];
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i] as string);
      values[name] = body.join("\n");
      continue;
    }
    const at = line.indexOf("=");
    if (at > 0) values[line.slice(0, at)] = line.slice(at + 1);
  }
  return values;
}
