// Renders each action's inputs and outputs tables from its action.yml into the README files, between
// markers, so the tables cannot drift from the action's real interface (and the tables generated from
// code, migrate's lint rules and their squawk conformance, the same way); and a reusable workflow's
// inputs, secrets and outputs from its `workflow_call` (the workflow model), wherever the root README
// has `<!-- workflow-docs:<name>:start -->` ... `end -->` markers for `.github/workflows/<name>.yml`.
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { listActions, ROOT, readActionYaml } from "./layout";
import { LINT_DOC_TABLES } from "./lint-rule-docs";
import { code, escapeCell, replaceBetween, table } from "./markdown";
import { repositoryWorkflows, type Workflow } from "./workflow";

/** A default as a cell: nothing for none or "", else the value as code with newlines shown as \n. */
function defaultCell(value: string | number | boolean | undefined): string {
  return value === undefined || value === "" ? "" : code(String(value).replace(/\n/g, "\\n"));
}

export function inputsTable(name: string): string {
  const inputs = Object.entries(readActionYaml(name).inputs ?? {});
  if (inputs.length === 0) return "This action has no inputs yet.";
  const rows = inputs.map(([input, spec]) => [
    code(input),
    spec.required ? "yes" : "no",
    defaultCell(spec.default),
    escapeCell(spec.description ?? ""),
  ]);
  return table(["Input", "Required", "Default", "Description"], rows);
}

export function outputsTable(name: string): string {
  const outputs = Object.entries(readActionYaml(name).outputs ?? {});
  if (outputs.length === 0) return "This action has no outputs yet.";
  const rows = outputs.map(([output, spec]) => [code(output), escapeCell(spec.description ?? "")]);
  return table(["Output", "Description"], rows);
}

/** A reusable workflow's interface: what a caller's `with:` and `secrets:` take, and its outputs. */
export function workflowCallTables(workflow: Workflow): string {
  const call = workflow.workflowCall;
  if (!call) throw new Error(`${workflow.file} has no on.workflow_call`);
  const inputs = Object.entries(call.inputs).map(([name, spec]) => [
    code(name),
    spec.type,
    spec.required ? "yes" : "no",
    defaultCell(spec.default),
    escapeCell(spec.description ?? ""),
  ]);
  const secrets = Object.entries(call.secrets).map(([name, spec]) => [
    code(name),
    spec.required ? "yes" : "no",
    escapeCell(spec.description ?? ""),
  ]);
  const outputs = Object.entries(call.outputs).map(([name, spec]) => [
    code(name),
    escapeCell(spec.description ?? ""),
  ]);
  return [
    "**Inputs**",
    "",
    inputs.length > 0
      ? table(["Input", "Type", "Required", "Default", "Description"], inputs)
      : "This workflow has no inputs.",
    "",
    "**Secrets**",
    "",
    secrets.length > 0
      ? table(["Secret", "Required", "Description"], secrets)
      : "This workflow takes no secrets.",
    "",
    "**Outputs**",
    "",
    outputs.length > 0 ? table(["Output", "Description"], outputs) : "This workflow has no outputs.",
  ].join("\n");
}

/** Fills the workflow-docs markers `content` has with the tables of the reusable workflow they name. */
export function withWorkflowTables(content: string, workflows: readonly Workflow[], file: string): string {
  let out = content;
  for (const match of content.matchAll(/<!-- workflow-docs:([\w.-]+):start -->/g)) {
    const name = match[1] ?? "";
    const workflow = workflows.find((w) => basename(w.file).replace(/\.ya?ml$/, "") === name);
    if (!workflow?.workflowCall)
      throw new Error(`${file}: workflow-docs:${name} names no reusable workflow in .github/workflows`);
    out = replaceBetween(out, name, workflowCallTables(workflow), file, "workflow-docs");
  }
  return out;
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
  files.set(rootPath, withWorkflowTables(root, repositoryWorkflows(), rootPath));
  return files;
}

/** Paths whose tables differ from action.yml. */
export function staleReadmes(): string[] {
  return [...renderedReadmes()]
    .filter(([path, content]) => readFileSync(join(ROOT, path), "utf8") !== content)
    .map(([path]) => path);
}
