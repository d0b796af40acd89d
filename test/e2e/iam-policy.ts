// Reads the IAM table of the README ("Use it in your repository"), which the end-to-end test checks
// against the AWS actions the pipeline's real runs called in the simulator.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../repo/layout";

export interface DocumentedIam {
  /** What the reusable deploy workflow's steps call with the settings the demo uses. */
  pipeline: string[];
  /** What they call only when timing makes them (written after "sometimes:" in the same cell). */
  sometimes: string[];
  /** What other settings add. */
  other: string[];
}

function actionsIn(cell: string): string[] {
  return [...cell.matchAll(/`([a-z0-9-]+:[A-Za-z0-9*]+)`/g)].map((m) => m[1] ?? "").sort();
}

export function documentedIamActions(readme = join(ROOT, "README.md")): Record<string, DocumentedIam> {
  const text = readFileSync(readme, "utf8");
  const start = text.indexOf("<!-- iam:start -->");
  const end = text.indexOf("<!-- iam:end -->");
  if (start < 0 || end < start) throw new Error("README.md has no iam:start/iam:end section");
  const rows = text
    .slice(start, end)
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .slice(2);
  const out: Record<string, DocumentedIam> = {};
  for (const row of rows) {
    const cells = row.split("|").map((c) => c.trim());
    const action = /\[?([a-z-]+)\]?/.exec(cells[1] ?? "")?.[1];
    if (!action) continue;
    const [always = "", sometimes = ""] = (cells[2] ?? "").split("sometimes:");
    out[action] = {
      pipeline: actionsIn(always),
      sometimes: actionsIn(sometimes),
      other: actionsIn(cells[3] ?? ""),
    };
  }
  return out;
}

/** Every AWS action the README's deploy-role policy (the JSON block after the IAM table) allows. */
export function deployRolePolicyActions(readme = join(ROOT, "README.md")): string[] {
  const text = readFileSync(readme, "utf8");
  const after = text.slice(text.indexOf("<!-- iam:end -->"));
  const block = /```json\n([\s\S]*?)```/.exec(after)?.[1];
  if (!block) throw new Error("README.md has no deploy-role policy after the IAM table");
  const policy = JSON.parse(block) as { Statement: { Effect: string; Action: string | string[] }[] };
  return policy.Statement.filter((s) => s.Effect === "Allow")
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
    .sort();
}
