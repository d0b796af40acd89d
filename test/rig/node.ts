// Finds the Node.js binaries the bundles are run with: the actions' runtime (Node 24) and this
// machine's own node. Node 24 is installed from the npm registry's `node` package when missing.
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../repo/layout";

const NODE24_PREFIX = join(ROOT, ".cache", "node24");
const NODE24_BIN = join(NODE24_PREFIX, "node_modules", "node", "bin", "node");

function majorOf(binary: string): number {
  const version = execFileSync(binary, ["--version"], { encoding: "utf8" }).trim();
  return Number(version.replace(/^v/, "").split(".")[0]);
}

/** The path of a Node 24 binary: this process's own when it is 24, SHIPLINE_NODE24, or the cached install. */
export function findNode24(options: { install?: boolean } = {}): string {
  if (Number(process.versions.node.split(".")[0]) === 24) return process.execPath;
  const configured = process.env.SHIPLINE_NODE24;
  if (configured && existsSync(configured) && majorOf(configured) === 24) return configured;
  if (existsSync(NODE24_BIN) && majorOf(NODE24_BIN) === 24) return NODE24_BIN;
  if (options.install === false) {
    throw new Error("Node 24 is not installed; run `npm install --prefix .cache/node24 node@24`.");
  }
  execFileSync(
    "npm",
    [
      "install",
      "--prefix",
      NODE24_PREFIX,
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--no-package-lock",
      "node@24",
    ],
    { stdio: "inherit" },
  );
  if (!existsSync(NODE24_BIN) || majorOf(NODE24_BIN) !== 24) {
    throw new Error(`Installing node@24 did not produce ${NODE24_BIN}.`);
  }
  return NODE24_BIN;
}

export type NodeChoice = "24" | "current" | string;

export function resolveNode(choice: NodeChoice = "24"): string {
  if (choice === "24") return findNode24();
  if (choice === "current") return process.execPath;
  return choice;
}
