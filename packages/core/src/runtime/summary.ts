// Builds the step summary as markdown. The run wrapper writes it once, redacted, even on failure.

export type Cell = string | number | boolean | null | undefined;

/** Escapes a value for a markdown table cell: pipes escaped, line breaks as <br>. */
export function cell(value: Cell): string {
  if (value === null || value === undefined) return "";
  return String(value).replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\r?\n/g, "<br>");
}

export interface XyChartSeries {
  kind: "line" | "bar";
  values: number[];
}

export interface XyChart {
  title: string;
  xLabels: string[];
  yLabel: string;
  series: XyChartSeries[];
  yMin?: number;
  yMax?: number;
}

function fenced(body: string, language = ""): string {
  // A fence longer than any backtick run inside the body, so the body cannot close it.
  const longest = Math.max(2, ...[...body.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${language}\n${body.replace(/\n$/, "")}\n${fence}`;
}

export class SummaryBuilder {
  readonly #blocks: string[] = [];

  get isEmpty(): boolean {
    return this.#blocks.length === 0;
  }

  heading(text: string, level: 1 | 2 | 3 | 4 = 2): this {
    this.#blocks.push(`${"#".repeat(level)} ${text}`);
    return this;
  }

  paragraph(markdown: string): this {
    this.#blocks.push(markdown);
    return this;
  }

  list(items: string[]): this {
    if (items.length > 0)
      this.#blocks.push(items.map((item) => `- ${item.replace(/\n/g, "\n  ")}`).join("\n"));
    return this;
  }

  table(header: string[], rows: Cell[][]): this {
    const lines = [
      `| ${header.map(cell).join(" | ")} |`,
      `| ${header.map(() => "---").join(" | ")} |`,
      ...rows.map((row) => `| ${header.map((_, i) => cell(row[i])).join(" | ")} |`),
    ];
    this.#blocks.push(lines.join("\n"));
    return this;
  }

  /** A collapsible block; the body is markdown or another builder. */
  details(summary: string, body: string | SummaryBuilder, open = false): this {
    const inner = (typeof body === "string" ? body : body.toMarkdown()).replace(/\n+$/, "");
    this.#blocks.push(
      `<details${open ? " open" : ""}><summary>${summary}</summary>\n\n${inner}\n\n</details>`,
    );
    return this;
  }

  code(text: string, language = ""): this {
    this.#blocks.push(fenced(text, language));
    return this;
  }

  mermaid(diagram: string): this {
    return this.code(diagram, "mermaid");
  }

  /** A mermaid xychart (line or bar series over labelled x values). */
  xyChart(chart: XyChart): this {
    const label = (s: string): string => JSON.stringify(s.replace(/"/g, "'"));
    const range =
      chart.yMin !== undefined && chart.yMax !== undefined ? ` ${chart.yMin} --> ${chart.yMax}` : "";
    const lines = [
      "xychart-beta",
      `  title ${label(chart.title)}`,
      `  x-axis [${chart.xLabels.map(label).join(", ")}]`,
      `  y-axis ${label(chart.yLabel)}${range}`,
      ...chart.series.map((s) => `  ${s.kind} [${s.values.map((v) => Number(v.toFixed(4))).join(", ")}]`),
    ];
    return this.mermaid(lines.join("\n"));
  }

  raw(markdown: string): this {
    this.#blocks.push(markdown);
    return this;
  }

  toMarkdown(): string {
    return this.#blocks.length === 0 ? "" : `${this.#blocks.join("\n\n")}\n`;
  }
}
