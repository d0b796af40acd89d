// Reads the samples of a Prometheus text exposition (a service's /metrics page): name, labels, value.
// Comments (HELP, TYPE) and timestamps are not needed by the health checks and are skipped.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseValue(text: string): number {
  switch (text) {
    case "+Inf":
    case "Inf":
      return Number.POSITIVE_INFINITY;
    case "-Inf":
      return Number.NEGATIVE_INFINITY;
    case "NaN":
      return Number.NaN;
    default: {
      const value = Number(text);
      if (text === "" || Number.isNaN(value))
        throw new Error(`${JSON.stringify(text)} is not a sample value`);
      return value;
    }
  }
}

function unescapeLabel(value: string): string {
  return value.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
}

/** Parses the text format, line by line; a malformed line is an error naming its number. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  const lines = text.split(/\r?\n/);
  for (const [index, rawLine] of lines.entries()) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) throw new Error(`line ${index + 1} does not start with a metric name`);
    const name = nameMatch[0];
    let rest = line.slice(name.length);
    const labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      let i = 1;
      for (;;) {
        while (rest[i] === " " || rest[i] === ",") i++;
        if (rest[i] === "}") {
          i++;
          break;
        }
        const labelMatch = /^([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"/.exec(rest.slice(i));
        if (!labelMatch) throw new Error(`line ${index + 1} has a malformed label set`);
        i += labelMatch[0].length;
        let value = "";
        while (i < rest.length && rest[i] !== '"') {
          if (rest[i] === "\\") {
            value += rest.slice(i, i + 2);
            i += 2;
          } else {
            value += rest[i];
            i++;
          }
        }
        if (rest[i] !== '"') throw new Error(`line ${index + 1} has an unterminated label value`);
        i++;
        labels[labelMatch[1] as string] = unescapeLabel(value);
      }
      rest = rest.slice(i);
    }
    const fields = rest.trim().split(/\s+/);
    samples.push({ name, labels, value: parseValue(fields[0] ?? "") });
  }
  return samples;
}
