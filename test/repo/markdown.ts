// Markdown pieces the README generators share: table cells, inline code, padded tables.

export function escapeCell(text: string): string {
  return text
    .trim()
    .replace(/\|/g, "\\|")
    .replace(/\r?\n+/g, " ");
}

export function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** A markdown table with padded columns, laid out exactly as the formatter (biome) lays it out. */
export function table(header: string[], rows: string[][]): string {
  const width = (text: string): number => [...text].length;
  const widths = header.map((title, i) =>
    Math.max(3, width(title), ...rows.map((row) => width(row[i] ?? ""))),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, i) => cell + " ".repeat((widths[i] ?? 0) - width(cell))).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

/** Replaces what lies between `<!-- <kind>:<key>:start -->` and its end marker. */
export function replaceBetween(
  content: string,
  key: string,
  body: string,
  file: string,
  kind = "action-docs",
): string {
  const start = `<!-- ${kind}:${key}:start -->`;
  const end = `<!-- ${kind}:${key}:end -->`;
  const from = content.indexOf(start);
  const to = content.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} lacks the markers ${start} ... ${end}`);
  return `${content.slice(0, from + start.length)}\n${body}\n${content.slice(to)}`;
}
