// The docs generator's tables of a reusable workflow's interface, from the workflow model.
import { describe, expect, it } from "vitest";
import { withWorkflowTables, workflowCallTables } from "../../repo/action-docs";
import { parseWorkflow, readWorkflow } from "../../repo/workflow";

const DEPLOY = parseWorkflow(
  `
on:
  workflow_call:
    inputs:
      environment:
        type: string
        required: true
        description: Where to deploy (staging | production).
      release-notes:
        type: boolean
        default: true
        description: Write release notes on tags.
      build-args:
        type: string
        default: A=1
    secrets:
      DATABASE_URL:
        description: For the migrations.
    outputs:
      verdict:
        value: \${{ jobs.deploy.outputs.verdict }}
        description: pass, fail or inconclusive.
jobs:
  deploy: { runs-on: x, steps: [{ run: a }] }
`,
  ".github/workflows/deploy.yml",
);

describe("workflowCallTables", () => {
  it("renders inputs with type, required and default, then secrets and outputs", () => {
    expect(workflowCallTables(DEPLOY)).toBe(
      [
        "**Inputs**",
        "",
        "| Input           | Type    | Required | Default | Description                              |",
        "| --------------- | ------- | -------- | ------- | ---------------------------------------- |",
        "| `environment`   | string  | yes      |         | Where to deploy (staging \\| production). |",
        "| `release-notes` | boolean | no       | `true`  | Write release notes on tags.             |",
        "| `build-args`    | string  | no       | `A=1`   |                                          |",
        "",
        "**Secrets**",
        "",
        "| Secret         | Required | Description         |",
        "| -------------- | -------- | ------------------- |",
        "| `DATABASE_URL` | no       | For the migrations. |",
        "",
        "**Outputs**",
        "",
        "| Output    | Description                 |",
        "| --------- | --------------------------- |",
        "| `verdict` | pass, fail or inconclusive. |",
      ].join("\n"),
    );
  });

  it("renders every input, secret and output of the deploy workflow", () => {
    const deploy = readWorkflow(".github/workflows/deploy.yml");
    const tables = workflowCallTables(deploy);
    for (const name of [
      ...Object.keys(deploy.workflowCall?.inputs ?? {}),
      ...Object.keys(deploy.workflowCall?.secrets ?? {}),
      ...Object.keys(deploy.workflowCall?.outputs ?? {}),
    ])
      expect(tables).toContain(`| \`${name}\``);
  });

  it("refuses a workflow that cannot be called", () => {
    const ci = parseWorkflow("on: push\njobs:\n  a: { runs-on: x, steps: [{ run: a }] }\n", "ci.yml");
    expect(() => workflowCallTables(ci)).toThrow(/ci\.yml has no on\.workflow_call/);
  });
});

describe("withWorkflowTables", () => {
  const readme = [
    "# x",
    "<!-- workflow-docs:deploy:start -->",
    "stale",
    "<!-- workflow-docs:deploy:end -->",
    "after",
  ].join("\n");

  it("fills the markers of a reusable workflow with its tables and leaves the rest", () => {
    expect(withWorkflowTables(readme, [DEPLOY], "README.md")).toBe(
      [
        "# x",
        "<!-- workflow-docs:deploy:start -->",
        workflowCallTables(DEPLOY),
        "<!-- workflow-docs:deploy:end -->",
        "after",
      ].join("\n"),
    );
  });

  it("leaves a README without markers as it is", () => {
    expect(withWorkflowTables("# x\n", [DEPLOY], "README.md")).toBe("# x\n");
  });

  it("refuses markers that name no reusable workflow", () => {
    expect(() =>
      withWorkflowTables(readme.replaceAll("deploy", "deploy-all"), [DEPLOY], "README.md"),
    ).toThrow(/README\.md: workflow-docs:deploy-all names no reusable workflow/);
  });
});
