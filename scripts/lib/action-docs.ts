// Renders each action's inputs and outputs tables from its action.yml into the README files, between
// markers, so the tables cannot drift from the action's real interface; and the tables generated from
// code (migrate's lint rules and their squawk conformance) the same way.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { LINT_DOC_TABLES } from "./lint-rule-docs";
import { code, escapeCell, replaceBetween, table } from "./markdown";
import { listActions, ROOT, readActionYaml } from "./repo";

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
    for (const extra of LINT_DOC_TABLES.filter((t) => t.action === name)) {
      own = replaceBetween(own, extra.key, extra.render(), actionPath);
    }
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
