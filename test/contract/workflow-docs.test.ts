// The reusable workflows are documented like the actions: the README has the inputs, secrets and
// outputs tables of every one of them, generated from `on.workflow_call` (the staleness check is
// actions.test.ts's, over every README), and where a workflow gives an action input another default
// than the action's own, the workflow input's description says so.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { workflowCallTables } from "../repo/action-docs";
import { ROOT } from "../repo/layout";
import {
  actionYaml,
  exampleWorkflows,
  repositoryWorkflows,
  shiplineAction,
  stepsOf,
  type Workflow,
} from "../repo/workflow";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const reusable = repositoryWorkflows().filter((w) => w.workflowCall !== undefined);

function nameOf(workflow: Workflow): string {
  return basename(workflow.file).replace(/\.ya?ml$/, "");
}

/** Each (workflow input, action, action input) where a step passes the input as it is. */
function passedAsIs(workflow: Workflow): { input: string; action: string; actionInput: string }[] {
  const pairs = new Map<string, { input: string; action: string; actionInput: string }>();
  for (const job of Object.values(workflow.jobs)) {
    for (const step of stepsOf(job)) {
      const action = shiplineAction(step.uses);
      if (!action) continue;
      for (const [key, value] of Object.entries(step.with)) {
        const input = /^\$\{\{\s*inputs\.([\w-]+)\s*\}\}$/.exec(String(value))?.[1];
        if (input) pairs.set(`${input} ${action} ${key}`, { input, action, actionInput: key });
      }
    }
  }
  return [...pairs.values()];
}

describe.each(reusable.map((w) => [w.file, w] as const))("%s", (_, workflow) => {
  it("has its inputs, secrets and outputs tables in the README", () => {
    const start = `<!-- workflow-docs:${nameOf(workflow)}:start -->`;
    const end = `<!-- workflow-docs:${nameOf(workflow)}:end -->`;
    const from = readme.indexOf(start);
    expect(from, `README.md has no ${start}`).toBeGreaterThan(0);
    expect(readme.slice(from + start.length, readme.indexOf(end)).trim()).toBe(
      workflowCallTables(workflow).trim(),
    );
  });

  it("explains every default it gives an action input that differs from the action's own", () => {
    const unexplained: string[] = [];
    for (const { input, action, actionInput } of passedAsIs(workflow)) {
      const declared = workflow.workflowCall?.inputs[input];
      const own = actionYaml(action).inputs?.[actionInput];
      if (!declared || !own || own.required) continue;
      const ours = declared.default === undefined ? "" : String(declared.default);
      const theirs = own.default === undefined ? "" : String(own.default);
      // An empty default passes nothing, and the action's own default applies.
      if (ours === "" || ours === theirs) continue;
      const description = declared.description ?? "";
      const mentionsDefault =
        theirs === "" ? /\bnone\b/.test(description) : description.includes(`\`${theirs}\``);
      const explained = description.includes(action) && mentionsDefault;
      if (!explained)
        unexplained.push(
          `${input}: ${JSON.stringify(ours)} here, ${action}'s ${actionInput} defaults to ${theirs ? JSON.stringify(theirs) : "none"}`,
        );
    }
    expect(unexplained).toEqual([]);
  });
});

it("names, in the README's checklist, every variable the README's call and the example callers read", () => {
  const useIt = readme.slice(readme.indexOf("## Use it\n"), readme.indexOf("### Pin a version"));
  const checklist = useIt.slice(0, useIt.indexOf("```yaml"));
  const callers = [useIt, ...exampleWorkflows().map((w) => w.text)].join("\n");
  const read = [...new Set([...callers.matchAll(/\bvars\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] ?? ""))];
  expect(read.length).toBeGreaterThan(10);
  expect(read.filter((name) => !checklist.includes(`\`${name}\``)).sort()).toEqual([]);
});

it("finds the defaults the deploy workflow sets apart from the actions", () => {
  const deploy = reusable.find((w) => w.file === ".github/workflows/deploy.yml");
  if (!deploy) throw new Error("no deploy workflow");
  const differing = passedAsIs(deploy)
    .filter(({ input, action, actionInput }) => {
      const ours = deploy.workflowCall?.inputs[input]?.default;
      const own = actionYaml(action).inputs?.[actionInput];
      return (
        ours !== undefined && ours !== "" && !own?.required && String(ours) !== String(own?.default ?? "")
      );
    })
    .map(({ input }) => input);
  expect([...new Set(differing)].sort()).toEqual(["health-urls", "incident-issue", "soak"]);
});
