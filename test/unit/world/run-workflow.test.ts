// The workflow runner on small workflows of stand-in steps only (github-script, checkout,
// configure-aws-credentials), so no bundle runs: the call checked as GitHub checks it, jobs in needs
// order, if: and status functions, continue-on-error, env precedence, job and workflow outputs, and
// refusing what it cannot run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseWorkflow, type Scalar } from "../../repo/workflow";
import { type RunnerEvent, runWorkflow, type WorkflowRun } from "../../world/runner/run-workflow";

const LOCATED = { repository: "acme/shipline", sha: "0123456789abcdef0123456789abcdef01234567" };

async function run(
  text: string,
  inputs: Record<string, Scalar> = {},
  secrets: Record<string, string> = {},
): Promise<{ run: WorkflowRun; events: RunnerEvent[] }> {
  const events: RunnerEvent[] = [];
  const result = await runWorkflow({
    workflow: parseWorkflow(text, "t.yml"),
    inputs,
    secrets,
    github: {
      repository: "acme/shop",
      sha: "f".repeat(40),
      ref: "refs/tags/v1.0.0",
      eventName: "push",
      token: "ghs_token",
      apiUrl: "http://127.0.0.1:1",
    },
    workspace: "/nonexistent",
    shipline: LOCATED,
    credentials: (role, region) => ({ AWS_ROLE: role, AWS_REGION: region }),
    onEvent: (event) => events.push(event),
  });
  return { run: result, events };
}

/** A github-script step (YAML, in a steps list) that runs `script`. */
function script(id: string, body: string, extra = ""): string {
  return [
    `      - id: ${id}`,
    "        uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea # v7.0.1",
    ...(extra ? [extra] : []),
    "        with:",
    `          script: ${JSON.stringify(body)}`,
  ].join("\n");
}

/** A step's env line setting `name` to the expressions' values, joined by "/". */
function env(name: string, ...expressions: string[]): string {
  return `        env: { ${name}: "${expressions.map((e) => `\${{ ${e} }}`).join("/")}" }`;
}

const CALL = `
on:
  workflow_call:
    inputs:
      who: { type: string, required: true }
      loud: { type: boolean, default: false }
      times: { type: number }
      note: { type: string }
    secrets:
      TOKEN: { required: false }
    outputs:
      greeting: { value: "\${{ jobs.say.outputs.greeting }}" }
      checked: { value: "\${{ jobs.check.result }}" }
`;

describe("running a called workflow", () => {
  const workflow = `${CALL}
jobs:
  say:
    needs: check
    runs-on: x
    outputs:
      greeting: \${{ steps.hello.outputs.text }}
    steps:
${script("hello", 'core.setOutput("text", "hello " + process.env.WHO)', env("WHO", "inputs.who"))}
  check:
    runs-on: x
    steps:
${script("inputs", 'core.setOutput("seen", process.env.SEEN)', env("SEEN", "inputs.loud", "inputs.times", "inputs.note", "secrets.GITHUB_TOKEN"))}
`;

  it("runs each job after the jobs it needs and hands their outputs on", async () => {
    const { run: result, events } = await run(workflow, { who: "shop" });
    expect(events.filter((e) => e.kind === "job-start").map((e) => e.job.id)).toEqual(["check", "say"]);
    expect(result.jobs.say?.outputs).toEqual({ greeting: "hello shop" });
    expect(result.outputs).toEqual({ greeting: "hello shop", checked: "success" });
  });

  it("gives inputs the caller left out their defaults, or GitHub's empty value of their type", async () => {
    const { run: result } = await run(workflow, { who: "shop" });
    expect(result.jobs.check?.steps[0]?.outputs.seen).toBe("false/0//ghs_token");
  });

  it.each([
    [
      "an undeclared input",
      { who: "a", loud2: true },
      {},
      /input loud2 is not defined in the called workflow/,
    ],
    [
      "an input of the wrong type",
      { who: "a", loud: "true" },
      {},
      /input loud is a boolean, not the string "true"/,
    ],
    ["no required input", {}, {}, /input who is required/],
    ["an undeclared secret", { who: "a" }, { DATABASE_URL: "x" }, /secret DATABASE_URL is not defined/],
  ])("refuses a call with %s before any job runs", async (_, inputs, secrets, error) => {
    const events: RunnerEvent[] = [];
    await expect(
      runWorkflow({
        workflow: parseWorkflow(workflow, "t.yml"),
        inputs,
        secrets,
        github: {
          repository: "a/b",
          sha: "f",
          ref: "refs/heads/main",
          eventName: "push",
          token: "t",
          apiUrl: "u",
        },
        workspace: "/nonexistent",
        shipline: LOCATED,
        credentials: () => ({}),
        onEvent: (event) => events.push(event),
      }),
    ).rejects.toThrow(error);
    expect(events).toEqual([]);
  });

  it("refuses a workflow that can neither be called nor runs on the event", async () => {
    await expect(run("on: pull_request\njobs:\n  a: { runs-on: x, steps: [{ run: a }] }\n")).rejects.toThrow(
      /t\.yml has no on\.workflow_call/,
    );
  });
});

describe("running a workflow on its own trigger", () => {
  const workspace = mkdtempSync(join(tmpdir(), "shipline-runner-"));
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));

  async function push(text: string, inputs: Record<string, Scalar> = {}): Promise<WorkflowRun> {
    return runWorkflow({
      workflow: parseWorkflow(text, "t.yml"),
      inputs,
      secrets: { SIGNING_KEY: "k" },
      github: {
        repository: "acme/shipline",
        sha: "f".repeat(40),
        ref: "refs/tags/v1.2.3",
        eventName: "push",
        token: "ghs_token",
        apiUrl: "http://127.0.0.1:1",
      },
      workspace,
      shipline: LOCATED,
      credentials: () => ({}),
    });
  }

  const workflow = `on:
  push:
    tags: ["v*"]
jobs:
  build:
    runs-on: x
    outputs:
      version: \${{ steps.version.outputs.version }}
    steps:
      - id: version
        run: echo "version=\${GITHUB_REF_NAME#v}" >> "$GITHUB_OUTPUT"
      - run: |
          echo "GREETING=hello from \${{ github.ref_name }}" >> "$GITHUB_ENV"
          mkdir -p tools && printf '#!/bin/sh\\necho tool ran\\n' > tools/tool && chmod +x tools/tool
          echo "$PWD/tools" >> "$GITHUB_PATH"
      - id: later
        run: echo "seen=$GREETING $(tool) \${{ secrets.SIGNING_KEY }}" >> "$GITHUB_OUTPUT"
      - id: fails
        run: |
          false
          echo "not reached" >> "$GITHUB_OUTPUT"
      - id: skipped
        run: echo "ran=yes" >> "$GITHUB_OUTPUT"
  publish:
    needs: build
    runs-on: x
    steps:
      - run: echo never
`;

  it("runs run: steps in the workspace with the job's outputs, environment and PATH", async () => {
    const result = await push(workflow);
    expect(result.jobs.build?.steps.map((s) => s.outcome)).toEqual([
      "success",
      "success",
      "success",
      "failure",
      "skipped",
    ]);
    expect(result.jobs.build?.outputs).toEqual({ version: "1.2.3" });
    expect(result.jobs.build?.steps[2]?.outputs).toEqual({ seen: "hello from v1.2.3 tool ran k" });
    // bash -e: the failing line ends the step.
    expect(result.jobs.build?.steps[3]?.outputs).toEqual({});
    expect(result.jobs.publish?.result).toBe("skipped");
  });

  it("refuses inputs, which a push does not carry", async () => {
    await expect(push(workflow, { who: "a" })).rejects.toThrow(/t\.yml runs on push, which takes no inputs/);
  });
});

describe("when a step fails", () => {
  const workflow = `${CALL}
jobs:
  check:
    runs-on: x
    steps:
${script("tolerated", 'core.setFailed("not this time")', "        continue-on-error: true")}
${script("after-tolerated", 'core.setOutput("ran", process.env.C)', env("C", "steps.tolerated.outcome", "steps.tolerated.conclusion"))}
${script("broken", 'core.setFailed("broken")')}
${script("skipped", 'core.setOutput("ran", "yes")')}
${script("cleanup", 'core.setOutput("ran", "yes")', "        if: failure()")}
  say:
    needs: check
    runs-on: x
    steps:
${script("hello", 'core.setOutput("text", "hi")')}
  report:
    needs: [check, say]
    if: always()
    runs-on: x
    steps:
${script("results", 'core.setOutput("r", process.env.R)', env("R", "needs.check.result", "needs.say.result"))}
`;

  it("keeps going after a continue-on-error step, whose conclusion is success", async () => {
    const { run: result } = await run(workflow, { who: "a" });
    const steps = result.jobs.check?.steps ?? [];
    expect(steps.map((s) => [s.id, s.outcome, s.conclusion])).toEqual([
      ["tolerated", "failure", "success"],
      ["after-tolerated", "success", "success"],
      ["broken", "failure", "failure"],
      ["skipped", "skipped", "skipped"],
      ["cleanup", "success", "success"],
    ]);
    expect(steps[1]?.outputs.ran).toBe("failure/success");
  });

  it("fails the job, skips the jobs that need it, and runs an always() job with their results", async () => {
    const { run: result } = await run(workflow, { who: "a" });
    expect(Object.values(result.jobs).map((j) => [j.id, j.result])).toEqual([
      ["check", "failure"],
      ["say", "skipped"],
      ["report", "success"],
    ]);
    expect(result.jobs.report?.steps[0]?.outputs.r).toBe("failure/skipped");
  });
});

describe("env", () => {
  it("gives a step the workflow's env, overridden by the job's, overridden by its own", async () => {
    const { run: result } = await run(
      `${CALL}
env: { A: workflow, B: workflow, C: workflow }
jobs:
  check:
    runs-on: x
    env: { B: job, C: job }
    steps:
${script("env", 'core.setOutput("abc", [process.env.A, process.env.B, process.env.C].join(","))', "        env: { C: step }")}
`,
      { who: "a" },
    );
    expect(result.jobs.check?.steps[0]?.outputs.abc).toBe("workflow,job,step");
  });

  it("gives later steps the credentials configure-aws-credentials left, and records the role", async () => {
    const { run: result } = await run(
      `${CALL}
jobs:
  check:
    runs-on: x
    steps:
      - uses: aws-actions/configure-aws-credentials@8df5847569e6427dd6c4fb1cf565c83acfa8afa7 # v6.0.0
        with: { role-to-assume: "arn:aws:iam::1:role/deploy", aws-region: eu-west-1 }
${script("env", 'core.setOutput("role", process.env.AWS_ROLE)')}
`,
      { who: "a" },
    );
    const [, step] = result.jobs.check?.steps ?? [];
    expect(step?.outputs.role).toBe("arn:aws:iam::1:role/deploy");
    expect(step?.role).toBe("arn:aws:iam::1:role/deploy");
  });
});

describe("what the runner refuses", () => {
  it.each([
    [
      "a shell it does not have",
      "      - run: make\n        shell: pwsh",
      /runs bash and sh steps, not shell: pwsh/,
    ],
    [
      "an action it has no stand-in for",
      "      - uses: actions/cache@v4",
      /cannot run actions\/cache@v4 steps/,
    ],
    [
      "a checkout of shipline at another commit",
      [
        "      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0",
        "        with: { repository: acme/shipline, ref: main, path: .shipline }",
      ].join("\n"),
      /shipline is checked out from acme\/shipline@main, not the located acme\/shipline@0123456789ab/,
    ],
  ])("%s", async (_, step, error) => {
    await expect(
      run(`${CALL}\njobs:\n  check:\n    runs-on: x\n    steps:\n${step}\n`, { who: "a" }),
    ).rejects.toThrow(error);
  });

  it("a matrix", async () => {
    await expect(
      run(
        `${CALL}\njobs:\n  check:\n    runs-on: x\n    strategy: { matrix: { n: [1, 2] } }\n    steps:\n      - run: a\n`,
        {
          who: "a",
        },
      ),
    ).rejects.toThrow(/check: the runner cannot run a job with strategy/);
  });
});
