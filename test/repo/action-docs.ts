// Renders each action's inputs and outputs tables from its action.yml into the README files, between
// markers, so the tables cannot drift from the action's real interface.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { listActions, ROOT, readActionYaml } from "./layout";

function escapeCell(text: string): string {
  return text
    .trim()
    .replace(/\|/g, "\\|")
    .replace(/\r?\n+/g, " ");
}

function code(text: string): string {
  return text.includes("`") ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** A markdown table with padded columns, laid out exactly as the formatter (biome) lays it out. */
function table(header: string[], rows: string[][]): string {
  const width = (text: string): number => [...text].length;
  const widths = header.map((title, i) =>
    Math.max(3, width(title), ...rows.map((row) => width(row[i] ?? ""))),
  );
  const line = (cells: string[]): string =>
    `| ${cells.map((cell, i) => cell + " ".repeat((widths[i] ?? 0) - width(cell))).join(" | ")} |`;
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function inputsTable(name: string): string {
  const inputs = Object.entries(readActionYaml(name).inputs ?? {});
  if (inputs.length === 0) return "This action has no inputs yet.";
  const rows = inputs.map(([input, spec]) => {
    const fallback =
      spec.default === undefined || spec.default === ""
        ? ""
        : code(String(spec.default).replace(/\n/g, "\\n"));
    return [code(input), spec.required ? "yes" : "no", fallback, escapeCell(spec.description ?? "")];
  });
  return table(["Input", "Required", "Default", "Description"], rows);
}

export function outputsTable(name: string): string {
  const outputs = Object.entries(readActionYaml(name).outputs ?? {});
  if (outputs.length === 0) return "This action has no outputs yet.";
  const rows = outputs.map(([output, spec]) => [code(output), escapeCell(spec.description ?? "")]);
  return table(["Output", "Description"], rows);
}

function replaceBetween(content: string, key: string, body: string, file: string): string {
  const start = `<!-- action-docs:${key}:start -->`;
  const end = `<!-- action-docs:${key}:end -->`;
  const from = content.indexOf(start);
  const to = content.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} lacks the markers ${start} ... ${end}`);
  return `${content.slice(0, from + start.length)}\n${body}\n${content.slice(to)}`;
}

/** The content every README should have, keyed by path relative to the repository root. */
export function renderedReadmes(): Map<string, string> {
  const files = new Map<string, string>();
  const rootPath = "README.md";
  let root = existsSync(join(ROOT, rootPath)) ? readFileSync(join(ROOT, rootPath), "utf8") : "";
  for (const name of listActions()) {
    const actionPath = `actions/${name}/README.md`;
    let own = readFileSync(join(ROOT, actionPath), "utf8");
    own = replaceBetween(own, "inputs", inputsTable(name), actionPath);
    own = replaceBetween(own, "outputs", outputsTable(name), actionPath);
    files.set(actionPath, own);
    const section = [`**Inputs**`, "", inputsTable(name), "", `**Outputs**`, "", outputsTable(name)].join(
      "\n",
    );
    root = replaceBetween(root, name, section, rootPath);
  }
  files.set(rootPath, root);
  return files;
}

/** Paths whose tables differ from action.yml. */
export function staleReadmes(): string[] {
  return [...renderedReadmes()]
    .filter(([path, content]) => readFileSync(join(ROOT, path), "utf8") !== content)
    .map(([path]) => path);
}
