// Secret registry: masks values in the runner's log and redacts them from summaries and outputs,
// which the runner does not mask.

export interface SecretSink {
  /** Tells the runner to mask the value in the job log (the `::add-mask::` command). */
  mask(value: string): void;
}

const MIN_LENGTH = 3;

/**
 * How a value reads once written inside a JSON string (outputs and reports are JSON) or a markdown
 * table cell (the step summary): a quote, backslash or pipe in a password would otherwise slip past
 * redaction in its escaped form.
 */
function printedForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const tableCell = value.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
  return [json, tableCell];
}

export class Secrets {
  readonly #values = new Set<string>();
  readonly #sink: SecretSink;

  constructor(sink: SecretSink) {
    this.#sink = sink;
  }

  /**
   * Registers a secret and the forms it commonly takes when printed (URL-encoded, base64, escaped in
   * JSON or a markdown table), before anything can print it. Very short values are not registered:
   * masking "a" would garble the log.
   */
  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_LENGTH) return;
    const forms = new Set([
      value,
      encodeURIComponent(value),
      Buffer.from(value).toString("base64"),
      ...printedForms(value),
    ]);
    for (const form of forms) {
      if (form.length < MIN_LENGTH || this.#values.has(form)) continue;
      this.#values.add(form);
      // Multi-line secrets are masked line by line by the runner; redact each line too, so a summary
      // hides what the log hides.
      for (const line of form.split(/\r?\n/)) {
        if (line.trim().length < MIN_LENGTH) continue;
        this.#sink.mask(line);
        if (line !== form) this.#values.add(line);
      }
    }
  }

  /** Registers the password (and the whole URL) of a connection URL such as a DATABASE_URL. */
  addUrl(url: string | undefined): void {
    if (!url) return;
    this.add(url);
    try {
      const parsed = new URL(url);
      if (parsed.password) this.add(decodeURIComponent(parsed.password));
    } catch {
      // Not a URL: the whole value is already registered.
    }
  }

  /** Replaces every registered secret in the text with ***. Longest first, so overlaps are covered. */
  redact(text: string): string {
    if (this.#values.size === 0) return text;
    let out = text;
    const ordered = [...this.#values].sort((a, b) => b.length - a.length);
    for (const value of ordered) {
      if (out.includes(value)) out = out.split(value).join("***");
    }
    return out;
  }

  get size(): number {
    return this.#values.size;
  }
}
