// Facts about this repository's layout (its root, the actions, their action.yml and bundles), shared by
// the build, the docs generator, the tests and the benchmarks.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export interface ActionYamlInput {
  description?: string;
  required?: boolean;
  default?: string | number | boolean;
  deprecationMessage?: string;
}

export interface ActionYaml {
  name: string;
  description: string;
  author?: string;
  branding?: { icon?: string; color?: string };
  inputs?: Record<string, ActionYamlInput>;
  outputs?: Record<string, { description?: string; value?: string }>;
  runs: { using: string; main: string; pre?: string; post?: string; "post-if"?: string };
}

/** The action folder names, sorted: every folder under actions/ that has an action.yml. */
export function listActions(): string[] {
  return readdirSync(join(ROOT, "actions"), { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(ROOT, "actions", entry.name, "action.yml")))
    .map((entry) => entry.name)
    .sort();
}

export function actionYamlPath(name: string): string {
  return join(ROOT, "actions", name, "action.yml");
}

export function readActionYaml(name: string): ActionYaml {
  return parse(readFileSync(actionYamlPath(name), "utf8")) as ActionYaml;
}

export function bundlePath(name: string): string {
  return join(ROOT, "dist", name, "index.js");
}
