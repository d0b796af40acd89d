// The workflow model: what it reads from a workflow file, how it normalises GitHub's shorthand forms,
// and that a file GitHub would refuse (or that says something it does not mean) is an error naming
// the file and the place, never a silently partial model.
import { describe, expect, it } from "vitest";
import { jobOrder, parseWorkflow, readWorkflow, stepsOf } from "../../repo/workflow";

const CALL = `
on:
  workflow_call:
    inputs:
      environment: { type: string, required: true, description: Where to deploy. }
      soak: { type: string, default: 1m }
      notes: { type: boolean, default: true }
      replicas: { type: number, default: 2 }
    secrets:
      DATABASE_URL: { required: true }
      TOKEN:
    outputs:
      verdict: { value: "\${{ jobs.deploy.outputs.verdict }}", description: The gate's verdict. }
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - run: make
  deploy:
    needs: build
    runs-on: ubuntu-24.04
    environment: \${{ inputs.environment }}
    concurrency: deploy-\${{ inputs.environment }}
    permissions: read-all
    outputs:
      verdict: \${{ steps.gate.outputs.verdict }}
    steps:
      - id: gate
        uses: ./.shipline/actions/health-gate
        if: \${{ inputs.notes }}
        with: { soak: "\${{ inputs.soak }}", strict: true, retries: 3 }
        continue-on-error: true
`;

describe("reading a reusable workflow", () => {
  const workflow = parseWorkflow(CALL, "call.yml");

  it("reads the workflow_call interface with typed inputs, secrets and outputs", () => {
    expect(workflow.workflowCall).toEqual({
      inputs: {
        environment: { type: "string", required: true, description: "Where to deploy." },
        soak: { type: "string", required: false, default: "1m" },
        notes: { type: "boolean", required: false, default: true },
        replicas: { type: "number", required: false, default: 2 },
      },
      secrets: { DATABASE_URL: { required: true }, TOKEN: { required: false } },
      outputs: {
        verdict: { value: `\${{ jobs.deploy.outputs.verdict }}`, description: "The gate's verdict." },
      },
    });
  });

  it("reads GitHub's shorthand forms as their long ones", () => {
    const deploy = workflow.jobs.deploy;
    expect(deploy?.needs).toEqual(["build"]);
    expect(workflow.jobs.build?.needs).toEqual([]);
    expect(deploy?.kind === "steps" && deploy.environment).toEqual({ name: `\${{ inputs.environment }}` });
    expect(deploy?.concurrency).toEqual({
      group: `deploy-\${{ inputs.environment }}`,
      cancelInProgress: false,
    });
    expect(deploy?.permissions?.contents).toBe("read");
    expect(deploy?.permissions?.["id-token"]).toBe("read");
  });

  it("keeps a step's with: values as written, templates unevaluated", () => {
    const deploy = workflow.jobs.deploy;
    if (!deploy) throw new Error("no job deploy");
    const [gate] = stepsOf(deploy);
    expect(gate).toMatchObject({
      index: 0,
      id: "gate",
      uses: "./.shipline/actions/health-gate",
      if: `\${{ inputs.notes }}`,
      with: { soak: `\${{ inputs.soak }}`, strict: true, retries: 3 },
      env: {},
      continueOnError: true,
    });
  });

  it("reads every workflow of this repository and its examples", () => {
    for (const file of [
      ".github/workflows/ci.yml",
      ".github/workflows/deploy.yml",
      ".github/workflows/pr-checks.yml",
      "examples/workflows/deploy-production.yml",
    ]) {
      expect(Object.keys(readWorkflow(file).jobs).length, file).toBeGreaterThan(0);
    }
  });
});

describe("triggers", () => {
  it.each([
    ["a name", "on: push", { push: null }],
    ["a list", "on: [push, pull_request]", { push: null, pull_request: null }],
    ["a map", "on:\n  push:\n    branches: [main]", { push: { branches: ["main"] } }],
  ])("reads %s", (_, on, expected) => {
    const workflow = parseWorkflow(
      `${on}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: ok\n`,
      "t.yml",
    );
    expect(workflow.on).toEqual(expected);
    expect(workflow.workflowCall).toBeUndefined();
  });
});

describe("jobs in order", () => {
  it("runs every job after the ones it needs, keeping the written order where it is free", () => {
    const workflow = parseWorkflow(
      [
        "on: push",
        "jobs:",
        "  notes: { needs: [deploy, build], runs-on: x, steps: [{ run: a }] }",
        "  build: { runs-on: x, steps: [{ run: a }] }",
        "  lint: { runs-on: x, steps: [{ run: a }] }",
        "  deploy: { needs: build, runs-on: x, steps: [{ run: a }] }",
      ].join("\n"),
      "t.yml",
    );
    expect(jobOrder(workflow)).toEqual(["build", "lint", "deploy", "notes"]);
  });
});

/** A workflow with one job whose body is `job` (YAML, indented by four). */
function withJob(job: string): string {
  return `on: push\njobs:\n  deploy:\n${job
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n")}\n`;
}

describe("a workflow GitHub would refuse, or that does not say what it means", () => {
  it.each([
    ["not YAML", "on: push\njobs: [", /t\.yml: is not valid YAML/],
    ["no trigger", "jobs:\n  a:\n    runs-on: x\n    steps: [{ run: a }]\n", /t\.yml: has no on:/],
    ["no jobs", "on: push\njobs: {}\n", /jobs: must name at least one job/],
    [
      "an unknown top-level key",
      `${withJob("runs-on: x\nsteps: [{ run: a }]")}job: {}\n`,
      /unknown key "job"/,
    ],
    [
      "a misspelt job key",
      withJob("runs-on: x\nneed: build\nsteps: [{ run: a }]"),
      /jobs\.deploy: unknown key "need"/,
    ],
    ["a job without runs-on", withJob("steps: [{ run: a }]"), /jobs\.deploy: needs runs-on/],
    ["a job without steps", withJob("runs-on: x"), /jobs\.deploy\.steps: must be a non-empty list/],
    [
      "needs naming no job",
      withJob("runs-on: x\nneeds: build\nsteps: [{ run: a }]"),
      /jobs\.deploy\.needs: names no job "build"/,
    ],
    [
      "a misspelt step key",
      withJob("runs-on: x\nsteps: [{ uses: a/b@v1, wth: { x: 1 } }]"),
      /jobs\.deploy\.steps\[0\]: unknown key "wth"/,
    ],
    [
      "a step with uses and run",
      withJob("runs-on: x\nsteps: [{ uses: a/b@v1, run: make }]"),
      /steps\[0\]: needs exactly one of uses and run/,
    ],
    [
      "a step with neither",
      withJob("runs-on: x\nsteps: [{ name: nothing }]"),
      /steps\[0\]: needs exactly one of uses and run/,
    ],
    [
      "with: on a run step",
      withJob("runs-on: x\nsteps: [{ run: make, with: { a: 1 } }]"),
      /steps\[0\]\.with: is for uses steps only/,
    ],
    [
      "a with: value that is a list",
      withJob("runs-on: x\nsteps: [{ uses: a/b@v1, with: { a: [1] } }]"),
      /steps\[0\]\.with\.a: must be a string, number or boolean, not a list/,
    ],
    [
      "a step id used twice",
      withJob("runs-on: x\nsteps: [{ id: a, run: x }, { id: a, run: y }]"),
      /steps\[1\]\.id: "a" is used twice/,
    ],
    [
      "an invalid step id",
      withJob("runs-on: x\nsteps: [{ id: 1st, run: x }]"),
      /steps\[0\]\.id: "1st" is not a valid id/,
    ],
    [
      "an unknown permission",
      withJob("runs-on: x\npermissions: { content: read }\nsteps: [{ run: a }]"),
      /jobs\.deploy\.permissions: unknown key "content"/,
    ],
    [
      "a permission level GitHub has not",
      withJob("runs-on: x\npermissions: { contents: admin }\nsteps: [{ run: a }]"),
      /permissions\.contents: must be read, write or none/,
    ],
    [
      "continue-on-error that is a string",
      withJob("runs-on: x\nsteps: [{ run: a, continue-on-error: yes }]"),
      /continue-on-error: must be true, false or a \$\{\{ \}\} expression/,
    ],
    [
      "a call job with steps",
      withJob("uses: ./.github/workflows/x.yml\nsteps: [{ run: a }]"),
      /jobs\.deploy: unknown key "steps"/,
    ],
  ])("%s", (_, text, error) => {
    expect(() => parseWorkflow(text, "t.yml")).toThrow(error);
  });

  it("refuses jobs that need each other in a circle", () => {
    const text = [
      "on: push",
      "jobs:",
      "  a: { needs: b, runs-on: x, steps: [{ run: a }] }",
      "  b: { needs: a, runs-on: x, steps: [{ run: a }] }",
    ].join("\n");
    expect(() => parseWorkflow(text, "t.yml")).toThrow(/t\.yml: jobs a, b need each other in a circle/);
  });

  it.each([
    [
      "an input without a type",
      "x: { required: true }",
      /inputs\.x\.type: must be one of string, boolean, number/,
    ],
    ["a choice input (workflow_dispatch only)", "x: { type: choice }", /inputs\.x\.type: must be one of/],
    [
      "a default of another type",
      "x: { type: boolean, default: 'true' }",
      /inputs\.x\.default: must be a boolean, like the input/,
    ],
    [
      "required that is not a boolean",
      "x: { type: string, required: 'yes' }",
      /inputs\.x\.required: must be true or false/,
    ],
    ["a misspelt input key", "x: { type: string, defualt: a }", /inputs\.x: unknown key "defualt"/],
  ])("refuses a workflow_call with %s", (_, input, error) => {
    const text = `on:\n  workflow_call:\n    inputs:\n      ${input}\n${withJob("runs-on: x\nsteps: [{ run: a }]").replace("on: push\n", "")}`;
    expect(() => parseWorkflow(text, "t.yml")).toThrow(error);
  });

  it("refuses a workflow_call output without a value", () => {
    const text = `on:\n  workflow_call:\n    outputs:\n      v: { description: d }\n${withJob("runs-on: x\nsteps: [{ run: a }]").replace("on: push\n", "")}`;
    expect(() => parseWorkflow(text, "t.yml")).toThrow(/outputs\.v\.value: is missing/);
  });
});
