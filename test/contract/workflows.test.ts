// The contract between the workflows (this repository's reusable ones and the example callers a user
// copies) and the actions they call: inputs and outputs that exist, required values given, pinned
// third-party actions, least permissions, one deploy per environment at a time, and the script that
// finds shipline's own commit.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClient } from "../../packages/core/src/github/client";
import { deployPayload, markedDescription } from "../../packages/core/src/github/deployment-record";
import { RecordingLogger } from "../../packages/core/src/runtime/logger";
import { ROOT } from "../repo/layout";
import {
  actionYaml,
  type CallJob,
  exampleWorkflows,
  expressionsIn,
  type Job,
  parseWorkflow,
  repositoryWorkflows,
  type Step,
  type StepsJob,
  shiplineAction,
  shiplineWorkflow,
  stepOutputs,
  stepsOf,
  thirdPartyAction,
  usesLines,
  type Workflow,
} from "../repo/workflow";
import { type FakeGitHub, startFakeGitHub } from "../rig/fake-github";
import { runGitHubScript } from "../world/runner/stand-ins";

const repository = repositoryWorkflows();
const examples = exampleWorkflows();
const all = [...repository, ...examples];
const reusable = repository.filter((w) => w.workflowCall !== undefined);

function byFile(file: string): Workflow {
  const found = all.find((w) => w.file === file);
  if (!found) throw new Error(`no workflow ${file}`);
  return found;
}

function jobsOf(workflow: Workflow): [string, Job][] {
  return Object.entries(workflow.jobs);
}

/** The jobs that run steps (a job that calls a reusable workflow has none of its own). */
function stepJobsOf(workflow: Workflow): [string, StepsJob][] {
  return jobsOf(workflow).flatMap(([id, job]) =>
    job.kind === "steps" ? [[id, job] as [string, StepsJob]] : [],
  );
}

/** The jobs that call a reusable workflow. */
function callJobsOf(workflow: Workflow): [string, CallJob][] {
  return jobsOf(workflow).flatMap(([id, job]) =>
    job.kind === "call" ? [[id, job] as [string, CallJob]] : [],
  );
}

function callJob(workflow: Workflow, id: string): CallJob {
  const job = workflow.jobs[id];
  if (job?.kind !== "call") throw new Error(`${workflow.file}: job ${id} calls no reusable workflow`);
  return job;
}

function stepsIn(workflow: Workflow): (readonly [string, Job, Step])[] {
  return jobsOf(workflow).flatMap(([id, job]) => stepsOf(job).map((s) => [id, job, s] as const));
}

/** A value counts as given when it is not empty (an expression may still be empty at run time). */
function given(value: unknown): boolean {
  return value !== undefined && value !== null && String(value).trim() !== "";
}

it("has the reusable deploy, pull-request and watch workflows and their example callers", () => {
  expect(reusable.map((w) => w.file)).toEqual([
    ".github/workflows/deploy.yml",
    ".github/workflows/pr-checks.yml",
    ".github/workflows/watch.yml",
  ]);
  expect(examples.map((w) => w.file)).toEqual([
    "examples/workflows/deploy-production.yml",
    "examples/workflows/deploy-staging.yml",
    "examples/workflows/pull-request-checks.yml",
    "examples/workflows/watch-production.yml",
  ]);
});

describe.each(all.map((w) => [w.file, w] as const))("%s", (_, workflow) => {
  it("gives every shipline action step only inputs it declares, and every required one", () => {
    const problems: string[] = [];
    for (const [jobId, , step] of stepsIn(workflow)) {
      const action = shiplineAction(step.uses);
      if (!action) continue;
      const declared = actionYaml(action).inputs ?? {};
      const where = `${jobId}/${step.id ?? step.name}`;
      for (const key of Object.keys(step.with ?? {})) {
        if (!(key in declared)) problems.push(`${where}: ${action} has no input ${key}`);
      }
      for (const [input, spec] of Object.entries(declared)) {
        if (spec.required && !given(step.with?.[input])) problems.push(`${where}: ${action} needs ${input}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("calls shipline's reusable workflows with declared inputs and secrets only, the required ones, and the permissions they need", () => {
    const problems: string[] = [];
    for (const [jobId, job] of callJobsOf(workflow)) {
      const file = shiplineWorkflow(job.uses);
      if (!file) continue;
      const called = byFile(file);
      const spec = called.workflowCall ?? { inputs: {}, secrets: {}, outputs: {} };
      for (const key of Object.keys(job.with ?? {})) {
        if (!(key in (spec.inputs ?? {}))) problems.push(`${jobId}: ${file} has no input ${key}`);
      }
      for (const [input, def] of Object.entries(spec.inputs ?? {})) {
        if (def.required && !given(job.with?.[input]))
          problems.push(`${jobId}: ${file} needs input ${input}`);
      }
      if (job.secrets !== "inherit") {
        for (const key of Object.keys(job.secrets ?? {})) {
          if (!(key in (spec.secrets ?? {}))) problems.push(`${jobId}: ${file} has no secret ${key}`);
        }
        for (const [secret, def] of Object.entries(spec.secrets ?? {})) {
          if (def.required && !given(job.secrets?.[secret]))
            problems.push(`${jobId}: ${file} needs secret ${secret}`);
        }
      }
      // A called job gets at most what the calling job grants: grant exactly the most any asks for.
      const wanted: Record<string, string> = {};
      for (const [, calledJob] of jobsOf(called)) {
        for (const [scope, level] of Object.entries(calledJob.permissions ?? {})) {
          if (level === "write" || wanted[scope] === undefined) wanted[scope] = level;
        }
      }
      expect(job.permissions, `${jobId} permissions`).toEqual(wanted);
    }
    expect(problems).toEqual([]);
  });

  it("uses only outputs, steps, jobs, inputs and secrets that exist", () => {
    const problems: string[] = [];
    const spec = workflow.workflowCall;
    const inputs = new Set(Object.keys(spec?.inputs ?? {}));
    const secrets = new Set([...Object.keys(spec?.secrets ?? {}), "GITHUB_TOKEN"]);
    const check = (where: string, expression: string, job: Job | undefined, earlier: Step[]) => {
      for (const m of expression.matchAll(/\binputs\.([\w-]+)/g)) {
        if (!inputs.has(m[1] ?? "")) problems.push(`${where}: unknown input ${m[1]}`);
      }
      for (const m of expression.matchAll(/\bsecrets\.([\w-]+)/g)) {
        if (!secrets.has(m[1] ?? "")) problems.push(`${where}: unknown secret ${m[1]}`);
      }
      for (const m of expression.matchAll(/\bneeds\.([\w-]+)\.(outputs\.([\w-]+)|result)/g)) {
        const [, needed, , output] = m;
        if (!job?.needs.includes(needed ?? "")) {
          problems.push(`${where}: needs.${needed} is not in needs`);
          continue;
        }
        const neededJob = workflow.jobs[needed ?? ""];
        if (output && !(output in (neededJob?.kind === "steps" ? neededJob.outputs : {})))
          problems.push(`${where}: job ${needed} has no output ${output}`);
      }
      for (const m of expression.matchAll(/\bsteps\.([\w-]+)\.(outputs\.([\w-]+)|outcome|conclusion)/g)) {
        const [, id, , output] = m;
        const step = earlier.find((s) => s.id === id);
        if (!step) {
          problems.push(`${where}: no earlier step ${id}`);
          continue;
        }
        const outputs = stepOutputs(step);
        if (output && !outputs?.has(output))
          problems.push(`${where}: step ${id} (${step.uses}) has no output ${output}`);
      }
      for (const m of expression.matchAll(/\bjobs\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        const named = workflow.jobs[m[1] ?? ""];
        if (named?.kind !== "steps" || named.outputs[m[2] ?? ""] === undefined)
          problems.push(`${where}: job ${m[1]} has no output ${m[2]}`);
      }
    };
    for (const [name, output] of Object.entries(spec?.outputs ?? {})) {
      for (const e of expressionsIn(output.value)) check(`output ${name}`, e, undefined, []);
    }
    for (const [jobId, job] of jobsOf(workflow)) {
      const steps = stepsOf(job);
      const outputs = job.kind === "steps" ? job.outputs : {};
      // The job's own keys; its steps and outputs are checked below with what they may name.
      const own = job.kind === "steps" ? { ...job, steps: [], outputs: {} } : job;
      for (const e of expressionsIn(own)) check(jobId, e, job, []);
      for (const [index, step] of steps.entries()) {
        for (const e of expressionsIn(step))
          check(`${jobId}/${step.id ?? step.name}`, e, job, steps.slice(0, index));
      }
      // Job outputs may name any step of the job.
      for (const e of expressionsIn(outputs ?? {})) check(`${jobId} outputs`, e, job, steps);
    }
    expect(problems).toEqual([]);
  });

  it("pins every third-party action to a full commit SHA with a version comment", () => {
    const problems: string[] = [];
    const pins = new Map<string, string>();
    for (const { uses, comment, line } of usesLines(workflow.text)) {
      const third = thirdPartyAction(uses);
      if (!third) continue;
      if (!/^[0-9a-f]{40}$/.test(third.ref)) problems.push(`line ${line}: ${uses} is not pinned by SHA`);
      if (!/^v\d+(\.\d+){0,2}$/.test(comment)) problems.push(`line ${line}: ${uses} has no version comment`);
      const seen = pins.get(third.action);
      if (seen && seen !== `${third.ref} ${comment}`)
        problems.push(`line ${line}: ${third.action} pinned twice`);
      pins.set(third.action, `${third.ref} ${comment}`);
    }
    expect(problems).toEqual([]);
  });
});

/** What a step needs from the GITHUB_TOKEN and OIDC, beyond nothing. */
function permissionsNeeded(step: Step): Record<string, string> {
  const third = thirdPartyAction(step.uses)?.action;
  if (third === "actions/checkout") return { contents: "read" };
  if (third === "aws-actions/configure-aws-credentials") return { "id-token": "write" };
  if (third === "actions/github-script") {
    // Our own scripts: what they call on the token.
    const script = String(step.with?.script ?? "");
    const needs: Record<string, string> = {};
    if (/github\.rest\.repos\.listDeployment/.test(script)) needs.deployments = "read";
    if (/github\.rest\.issues\.(create|update)\b/.test(script)) needs.issues = "write";
    return needs;
  }
  switch (shiplineAction(step.uses)) {
    case "health-gate":
      // With `deployment-id`, the watch gives the deployment its final status.
      return given(step.with?.["deployment-id"]) ? { deployments: "write" } : {};
    case "ecs-deploy":
      if (String(step.with?.plan) === "true") return { "pull-requests": "write" };
      return given(step.with.environment) ? { deployments: "write" } : {};
    case "auto-rollback":
      return { deployments: "write", issues: "write" };
    case "preflight":
      return { deployments: "read", contents: "read" };
    case "release-notes":
      return String(step.with?.["dry-run"]) === "true"
        ? { contents: "read", "pull-requests": "read" }
        : { contents: "write", "pull-requests": "read" };
    default:
      return {};
  }
}

describe.each(repository.map((w) => [w.file, w] as const))("%s permissions", (_, workflow) => {
  it.each(stepJobsOf(workflow).map(([id, job]) => [id, job] as const))(
    "job %s asks for exactly what its steps use",
    (_id, job) => {
      const wanted: Record<string, string> = {};
      for (const step of job.steps) {
        for (const [scope, level] of Object.entries(permissionsNeeded(step))) {
          if (level === "write" || wanted[scope] === undefined) wanted[scope] = level;
        }
      }
      expect(job.permissions ?? workflow.permissions).toEqual(wanted);
      // id-token (OIDC) only where AWS credentials are assumed.
      const assumes = job.steps.some(
        (s) => thirdPartyAction(s.uses)?.action === "aws-actions/configure-aws-credentials",
      );
      expect(job.permissions?.["id-token"] === "write").toBe(assumes);
    },
  );
});

describe.each(reusable.map((w) => [w.file, w] as const))("%s", (_, workflow) => {
  it("grants nothing at the top level", () => {
    expect(workflow.permissions).toEqual({});
  });

  it("runs every state-changing action in the one job bound to the environment, one deploy of an environment at a time", () => {
    const mutating = (step: Step): boolean => {
      const action = shiplineAction(step.uses);
      if (action === "migrate") return step.with?.mode !== "lint";
      if (action === "ecs-deploy") return String(step.with?.plan) !== "true";
      return action === "auto-rollback";
    };
    for (const [id, job] of stepJobsOf(workflow)) {
      const changes = job.steps.some(mutating);
      expect(job.environment !== undefined, `job ${id}: environment`).toBe(changes);
      if (!changes) continue;
      expect(job.environment).toMatchObject({ name: `\${{ inputs.environment }}` });
      expect(job.concurrency).toEqual({
        group: `shipline-deploy-\${{ github.repository }}-\${{ inputs.environment }}`,
        cancelInProgress: false,
      });
    }
    expect(
      stepJobsOf(workflow).filter(([, job]) => job.environment !== undefined).length,
    ).toBeLessThanOrEqual(1);
  });

  it("uses every input and secret it declares", () => {
    const spec = workflow.workflowCall ?? { inputs: {}, secrets: {} };
    const used = expressionsIn(workflow.jobs).join("\n");
    const unused = [
      ...Object.keys(spec.inputs ?? {}).filter((name) => !used.includes(`inputs.${name}`)),
      ...Object.keys(spec.secrets ?? {}).filter((name) => !used.includes(`secrets.${name}`)),
    ];
    expect(unused).toEqual([]);
  });

  // A workflow input named like an action input (or like it with the action's prefix, e.g.
  // migration-rules for migrate's rules, gate-timeout for health-gate's timeout) is that setting:
  // every step of the action gets it, so a threshold set by the caller cannot silently not apply.
  it("passes each setting it declares to every step of the action it is named after", () => {
    const prefixes: Record<string, string[]> = {
      "build-push": ["build"],
      migrate: ["migration", "migrations"],
      "ecs-deploy": ["deploy"],
      "health-gate": ["gate"],
      "auto-rollback": ["rollback"],
    };
    // Same-named settings a step leaves out on purpose.
    const notForwarded: Record<string, string[]> = {
      // configure-aws-credentials gives every later step of the job the region (AWS_REGION).
      "*": ["aws-region"],
      // An environment tag set at build time would name an image the environment does not run yet.
      image: ["environment"],
      // The deploy-plan job runs only when deploy-plan is true; its one step always plans.
      "deploy-plan": ["plan"],
      // ecs-task mode runs the revision the register step made, not the task-definition file, and
      // cluster, service and container go to migrate only in that mode (it refuses them in others):
      // the pipeline test below checks those expressions.
      migrate: ["task-definition", "cluster", "service", "container"],
      // The pull-request lint job only lints.
      "migration-lint": ["cluster", "service", "task-definition", "container"],
      // The register step only registers: a deployment record, timeouts and polls are the deploy's.
      register: ["environment", "environment-url", "wait-timeout", "poll-interval", "timeout"],
      // The deploy step deploys the register step's revision when there is one (checked below).
      deploy: ["task-definition"],
      // auto-rollback's task-definition is a rollback target, not the file that was deployed; its
      // cluster and services come in ecs-deploy's deploy record.
      rollback: ["task-definition", "cluster", "services"],
      // Preflight falls back to the repository variable SHIPLINE_FREEZE when the input is empty.
      preflight: ["freeze-periods"],
      // The restored version is not this commit; the smoke tests may need what only it has. It was
      // verified before, so the gate after the rollback does not watch (checked below).
      "gate-after-rollback": [
        "version-json-path",
        "version-header",
        "smoke-tests",
        "watch",
        "watch-interval",
        "alarm-names",
        "log-group",
        "log-error-pattern",
      ],
      // The gate's watch defaults by environment, 30m in production (checked below).
      gate: ["watch"],
    };
    const inputs = workflow.workflowCall?.inputs ?? {};
    const problems: string[] = [];
    for (const [jobId, , step] of stepsIn(workflow)) {
      const action = shiplineAction(step.uses);
      if (!action) continue;
      const skip = [step.id ?? "", action, jobId, "*"].flatMap((key) => notForwarded[key] ?? []);
      for (const input of Object.keys(actionYaml(action).inputs ?? {})) {
        if (skip.includes(input)) continue;
        const setting = [input, ...(prefixes[action] ?? []).map((p) => `${p}-${input}`)].find(
          (name) => name in inputs,
        );
        if (setting && step.with?.[input] !== `\${{ inputs.${setting} }}`)
          problems.push(`${jobId}/${step.id ?? action}: ${input} is not \${{ inputs.${setting} }}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it("checks shipline out at the commit the workflow runs from, with only the actions and bundles", () => {
    const checkouts = stepsIn(workflow)
      .map(([, , step]) => step)
      .filter(
        (step) =>
          thirdPartyAction(step.uses)?.action === "actions/checkout" && step.with?.path === ".shipline",
      );
    // Every reusable workflow runs shipline actions, so there is at least one checkout to inspect.
    expect(checkouts.length).toBeGreaterThan(0);
    for (const step of checkouts) {
      expect(String(step.with?.repository)).toMatch(
        /^\$\{\{ (steps\.shipline|needs\.(build|check))\.outputs\.(shipline-)?repository \}\}$/,
      );
      expect(String(step.with?.ref)).toMatch(
        /^\$\{\{ (steps\.shipline|needs\.(build|check))\.outputs\.(shipline-)?sha \}\}$/,
      );
      const sparse = String(step.with?.["sparse-checkout"]).trim().split("\n");
      // The watch's first checkout takes the one bundle its selection step loads, as a path.
      if (step.with?.["sparse-checkout-cone-mode"] === false)
        expect(sparse).toEqual(["dist/health-gate/watch-selection.cjs"]);
      else expect(sparse).toEqual(["actions", "dist"]);
      expect(step.with?.["persist-credentials"]).toBe(false);
    }
    // Every job that runs a shipline action checks shipline out first.
    for (const [id, job] of jobsOf(workflow)) {
      const steps = stepsOf(job);
      const first = steps.findIndex((s) => shiplineAction(s.uses));
      if (first < 0) continue;
      const checkout = steps.findIndex((s) => s.with?.path === ".shipline");
      expect(checkout, `job ${id}`).toBeGreaterThanOrEqual(0);
      expect(checkout, `job ${id}`).toBeLessThan(first);
    }
  });
});

describe("the deploy workflow", () => {
  const deploy = byFile(".github/workflows/deploy.yml");
  const steps = deploy.jobs.deploy ? stepsOf(deploy.jobs.deploy) : [];
  const step = (id: string) => steps.find((s) => s.id === id) as Step;

  it("gives the release notes' rollback step the services on one line, however the caller listed them", () => {
    const notes = deploy.jobs["release-notes"] ? stepsOf(deploy.jobs["release-notes"]) : [];
    const joinStep = notes.find((s) => s.id === "services");
    const run = (services: string): string => {
      const dir = mkdtempSync(join(tmpdir(), "shipline-services-"));
      const out = join(dir, "output");
      writeFileSync(out, "");
      execFileSync("bash", ["-eo", "pipefail", "-c", joinStep?.run ?? "exit 1"], {
        env: { PATH: process.env.PATH ?? "", SERVICES: services, GITHUB_OUTPUT: out },
      });
      const written = readFileSync(out, "utf8");
      rmSync(dir, { recursive: true, force: true });
      return written;
    };
    expect(run("web\n  worker \n\napi")).toBe("list=web,worker,api\n");
    expect(run("web, worker")).toBe("list=web,worker\n");
    expect(notes.find((s) => s.id === "notes")?.with?.["rollback-with"]).toContain(
      `services=\${{ steps.services.outputs.list }}`,
    );
    expect(notes.find((s) => s.id === "notes")?.with?.["rollback-with"]).not.toContain(
      "previous-task-definition-arn",
    );
  });

  it("builds on branches and promotes the verified image on tags", () => {
    const build = deploy.jobs.build && stepsOf(deploy.jobs.build).find((s) => s.id === "image");
    expect(build?.with?.mode).toBe(`\${{ startsWith(github.ref, 'refs/tags/') && 'promote' || 'build' }}`);
    expect(build?.with?.source).toBe(`\${{ startsWith(github.ref, 'refs/tags/') && github.sha || '' }}`);
  });

  it("runs preflight outside staging before anything changes, and records its override and the gate's verdict", () => {
    const ids = steps.map((s) => s.id);
    expect(ids.indexOf("preflight")).toBeLessThan(ids.indexOf("register"));
    expect(step("preflight").if).toBe("inputs.preflight && inputs.environment != inputs.staging-environment");
    expect(step("preflight").with?.image).toBe(`\${{ needs.build.outputs.image }}`);
    expect(step("preflight").with?.["freeze-periods"]).toBe(
      `\${{ inputs.freeze-periods || vars.SHIPLINE_FREEZE }}`,
    );
    expect(step("deploy").with?.["preflight-override"]).toBe(`\${{ steps.preflight.outputs.override }}`);
    expect(step("deploy").with?.migrations).toBe(`\${{ steps.migrate.outputs.migrations }}`);
    expect(step("gate").with?.["deployment-id"]).toBe(`\${{ steps.deploy.outputs.deployment-id }}`);
  });

  it("migrates, deploys, gates, then rolls back only on a failed deploy or a fail verdict", () => {
    expect(steps.filter((s) => shiplineAction(s.uses)).map((s) => s.id)).toEqual([
      "preflight",
      "register",
      "migrate",
      "deploy",
      "gate",
      "rollback",
      "gate-after-rollback",
    ]);
    // Without a deploy record ecs-deploy failed before it had a revision to deploy: nothing to undo.
    expect(step("rollback").if).toBe(
      "failure() && steps.deploy.outputs.deploy-record != '' && (steps.deploy.outcome == 'failure' || steps.gate.outputs.verdict == 'fail')",
    );
    expect(step("gate-after-rollback").if).toBe("failure() && steps.rollback.outcome == 'success'");
  });

  it("hands auto-rollback ecs-deploy's deploy record, not its loose outputs", () => {
    const rollback = step("rollback").with ?? {};
    expect(rollback["deploy-record"]).toBe(`\${{ steps.deploy.outputs.deploy-record }}`);
    for (const loose of [
      "cluster",
      "services",
      "previous-task-definition-arn",
      "task-definition-arn",
      "service-deployment-arn",
    ])
      expect(rollback, loose).not.toHaveProperty(loose);
  });

  it("runs an ecs-task migration on a revision registered with the new image, and deploys that revision", () => {
    const register = step("register");
    const deployStep = step("deploy");
    expect(register.if).toBe("inputs.migration-mode == 'ecs-task'");
    expect(register.with?.["register-only"]).toBe(true);
    expect(register.with?.["task-definition"]).toBe(`\${{ inputs.task-definition }}`);
    expect(register.with?.containers).toBe(`\${{ inputs.container }}=\${{ needs.build.outputs.image }}`);
    for (const key of ["cluster", "services"]) {
      expect(register.with?.[key], key).toBe(deployStep.with?.[key]);
    }
    const expr = (body: string): string => `${"$"}{{ ${body} }}`;
    // The deploy takes the registered revision by its ARN, as it is (no image to render onto it);
    // without the register step, the task definition rendered with the built image.
    expect(deployStep.with?.["task-definition"]).toBe(
      expr("steps.register.outputs.task-definition-arn || inputs.task-definition"),
    );
    expect(deployStep.with?.containers).toBe(
      expr(
        "steps.register.outputs.task-definition-arn == '' && format('{0}={1}', inputs.container, needs.build.outputs.image) || ''",
      ),
    );
    const migrate = step("migrate").with ?? {};
    expect(migrate["task-definition"]).toBe(expr("steps.register.outputs.task-definition-arn"));
    expect(migrate.cluster).toBe(expr("inputs.migration-mode == 'ecs-task' && inputs.cluster || ''"));
    expect(migrate.service).toBe(
      expr("inputs.migration-mode == 'ecs-task' && (inputs.migration-service || inputs.services) || ''"),
    );
    expect(migrate.container).toBe(expr("inputs.migration-mode == 'ecs-task' && inputs.container || ''"));
    // The database URL never goes into a task's overrides, where DescribeTasks would show it.
    expect(migrate["database-url"]).toBe(
      expr("inputs.migration-mode != 'ecs-task' && secrets.DATABASE_URL || ''"),
    );
  });

  it("watches 30 minutes after the gate in production and not elsewhere, in the gate's own step", () => {
    const gate = step("gate");
    expect(gate.with?.watch).toBe(
      `\${{ inputs.watch || (inputs.environment == 'production' && '30m' || '0s') }}`,
    );
    // The baseline of the error lines ends when the deploy began; the final status goes on its deployment.
    expect(gate.with?.["deployed-at"]).toBe(`\${{ fromJSON(steps.deploy.outputs.report).startedAt }}`);
    expect(gate.with?.["deployment-id"]).toBe(`\${{ steps.deploy.outputs.deployment-id }}`);
    // A fail inside the window is the gate step's fail: the rollback condition names no other step.
    expect(step("rollback").if).toContain("steps.gate.outputs.verdict == 'fail'");
    const after = step("gate-after-rollback");
    for (const input of ["watch", "alarm-names", "log-group", "deployment-id"])
      expect(after.with?.[input], input).toBeUndefined();
  });

  it("writes release notes on tags only, a draft when the deploy did not pass", () => {
    const notes = deploy.jobs["release-notes"];
    expect(notes?.if).toContain("startsWith(github.ref, 'refs/tags/')");
    expect(notes?.if).toMatch(/^always\(\) && /);
    expect(notes && stepsOf(notes).find((s) => s.id === "notes")?.with.draft).toBe(
      `\${{ needs.deploy.outputs.verdict != 'pass' }}`,
    );
  });
});

describe("the watch workflow", () => {
  const watch = byFile(".github/workflows/watch.yml");
  const check = watch.jobs.check ? stepsOf(watch.jobs.check) : [];
  const rollback = watch.jobs.rollback;

  it("takes the watch's evidence once, without a gate, on the deployment it found", () => {
    const gate = check.find((s) => s.id === "check");
    expect(shiplineAction(gate?.uses)).toBe("health-gate");
    expect(gate?.with?.["skip-gate"]).toBe(true);
    expect(gate?.with?.watch).toBe("0s");
    expect(gate?.with?.["deployment-id"]).toBe(`\${{ steps.find.outputs.deployment-id }}`);
  });

  it("rolls back only when the caller asks, after a fail verdict, in the job bound to the environment", () => {
    expect(rollback?.if).toBe("always() && inputs.rollback && needs.check.outputs.verdict == 'fail'");
    const incident = check.find((s) => s.name === "Open or update the incident issue");
    expect(incident?.if).toBe("failure() && steps.check.outputs.verdict == 'fail' && !inputs.rollback");
    expect(rollback && stepsOf(rollback).find((s) => s.id === "rollback")?.with?.["incident-issue"]).toBe(
      true,
    );
  });

  it("is called every 15 minutes by the example", () => {
    const example = byFile("examples/workflows/watch-production.yml");
    expect(example.on).toMatchObject({ schedule: [{ cron: "*/15 * * * *" }] });
    expect(callJob(example, "watch").uses).toBe("<owner>/shipline/.github/workflows/watch.yml@v1");
  });
});

// The "Find the deployment to check" step run as actions/github-script runs it, with the shipline
// checkout at .shipline (this repository: its committed dist bundle is what the step loads).
describe("the watch's choice of the deployment to check", () => {
  const watch = byFile(".github/workflows/watch.yml");
  const steps = watch.jobs.check ? stepsOf(watch.jobs.check) : [];
  const find = steps.find((s) => s.id === "find");
  const NOW = Date.parse("2026-03-02T12:00:00Z");
  const at = (minutesAgo: number) =>
    new Date(NOW - minutesAgo * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const TD = (n: number) => `arn:aws:ecs:eu-west-1:123456789012:task-definition/web:${n}`;
  let workspace = "";
  let github: FakeGitHub | undefined;
  beforeAll(() => {
    workspace = mkdtempSync(join(tmpdir(), "shipline-watch-"));
    symlinkSync(ROOT, join(workspace, ".shipline"));
  });
  afterAll(() => rmSync(workspace, { recursive: true, force: true }));
  afterEach(async () => {
    await github?.close();
    github = undefined;
  });

  /** One ecs-deploy deployment of production created `age` minutes ago, with [mark text, minutes ago] statuses. */
  async function run(
    age: number,
    statuses: [string, string, number][],
    env: Record<string, string> = {},
  ): Promise<Awaited<ReturnType<typeof runGitHubScript>>> {
    github = await startFakeGitHub({ now: () => NOW });
    github.state.deployments.push({
      id: 41,
      ref: "v1.2.0",
      environment: "production",
      description: "",
      payload: deployPayload({
        cluster: "prod",
        services: ["web"],
        taskDefinitionArn: TD(2),
        previousTaskDefinitionArn: { web: TD(1) },
        images: { app: "shop:2" },
      }),
      created_at: at(age),
      statuses: statuses.map(([state, description, ago], i) => ({
        id: 42 + i,
        state,
        description,
        created_at: at(ago),
      })),
    });
    const defaults = Object.fromEntries(
      Object.entries(watch.workflowCall?.inputs ?? {}).map(([k, v]) => [k, String(v.default ?? "")]),
    );
    return runGitHubScript(String(find?.with?.script), {
      env: {
        SHIPLINE_ENVIRONMENT: "production",
        SHIPLINE_MAX_AGE: defaults["max-age"] ?? "",
        SHIPLINE_SKIP_YOUNGER_THAN: defaults["skip-younger-than"] ?? "",
        ...env,
      },
      // On a runner the script gets github-script's Octokit; shipline's own client (the same
      // @octokit/core REST methods and paginate) stands in for it against the fake GitHub.
      github: createGitHubClient("ghs_fakeTokenForTheWatchContract123", {
        logger: new RecordingLogger(),
        baseUrl: github.url,
        retries: 0,
      }),
      context: { repo: { owner: "acme", repo: "shop" } },
      workspace,
    });
  }

  const PASS = markedDescription({ kind: "gate", verdict: "pass" }, "Health gate passed");
  const VERIFIED = markedDescription({ kind: "verified" }, "verified: watched 30m in 30 rounds");
  const INCONCLUSIVE = markedDescription({ kind: "gate", verdict: "inconclusive" }, "too few requests");

  it("checks shipline's code out before it runs it, and the rest only when a deployment is due", () => {
    const ids = steps.map((s) => s.id ?? s.name);
    expect(ids.indexOf("Check out shipline's watch selection")).toBeLessThan(ids.indexOf("find"));
    expect(steps.find((s) => s.name === "Check out shipline's watch selection")?.if).toBeUndefined();
    expect(ids.indexOf("Check out shipline's actions")).toBeGreaterThan(ids.indexOf("find"));
    expect(steps.find((s) => s.name === "Check out shipline's actions")?.if).toBe(
      "steps.find.outputs.deployment-id != ''",
    );
    expect(steps.find((s) => s.name === "AWS credentials")?.if).toBe(
      "steps.find.outputs.deployment-id != ''",
    );
  });

  it("checks a deployment its deploy job's watch verified, and hands the rollback its record", async () => {
    const result = await run(40, [
      ["success", PASS, 33],
      ["success", VERIFIED, 2],
    ]);
    expect(result.failed).toBeUndefined();
    expect(result.outputs["deployment-id"]).toBe("41");
    expect(JSON.parse(result.outputs["deploy-record"] ?? "{}")).toMatchObject({
      cluster: "prod",
      taskDefinitionArn: TD(2),
      services: [{ name: "web", previousTaskDefinitionArn: TD(1) }],
    });
  });

  it("leaves a deployment whose gate passed less than skip-younger-than ago to its deploy job's watch", async () => {
    // Created long before the gate passed: the age that counts is the gate's.
    const result = await run(50, [["success", PASS, 20]]);
    expect(result.outputs).toEqual({});
    expect(result.log.join("\n")).toMatch(/gate pass 20m ago, younger than skip-younger-than/);
  });

  it("checks a deployment whose gate was inconclusive (state error), once its verdict is old enough", async () => {
    const result = await run(120, [["error", INCONCLUSIVE, 60]]);
    expect(result.outputs["deployment-id"]).toBe("41");
  });

  it("fails naming the input when a duration cannot be read", async () => {
    const result = await run(40, [["success", VERIFIED, 2]], { SHIPLINE_SKIP_YOUNGER_THAN: "soon" });
    expect(result.outputs).toEqual({});
    expect(result.failed).toMatch(
      /^skip-younger-than: "soon" is not a duration\. Write a number with a unit/,
    );
  });
});

describe("the example callers", () => {
  const staging = byFile("examples/workflows/deploy-staging.yml");
  const production = byFile("examples/workflows/deploy-production.yml");
  const checks = byFile("examples/workflows/pull-request-checks.yml");

  it("deploy staging on every push to main, with no approval", () => {
    expect(staging.on).toEqual({ push: { branches: ["main"] } });
    expect(callJob(staging, "deploy").with.environment).toBe("staging");
  });

  it("deploy production on version tags, through the protected production environment", () => {
    expect(production.on).toEqual({ push: { tags: ["v*"] } });
    expect(callJob(production, "deploy").with.environment).toBe("production");
    expect(production.text).toMatch(/Required reviewers/);
  });

  it("run the pull-request checks on pull requests", () => {
    expect(checks.on).toEqual({ pull_request: null });
    expect(callJob(checks, "checks").uses).toBe("<owner>/shipline/.github/workflows/pr-checks.yml@v1");
  });

  it("call the reusable workflows in one line, as a user's repository would", () => {
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.map((w) => jobsOf(w).length)).not.toContain(0);
    for (const workflow of examples) {
      for (const [, job] of jobsOf(workflow)) {
        expect(job.kind === "call" && job.uses).toMatch(
          /^<owner>\/shipline\/\.github\/workflows\/[a-z-]+\.yml@v1$/,
        );
      }
    }
  });
});

// The one-line call the README shows a user is a valid call too.
describe("the README's reusable-workflow call", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Use it\n"));
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  // The block is a whole caller workflow, as a user saves it in .github/workflows/.
  const caller = parseWorkflow(block, "README.md (Use it)");
  const call = callJob(caller, "deploy");
  const deploy = byFile(".github/workflows/deploy.yml");
  const spec = deploy.workflowCall ?? { inputs: {} };

  it("passes only declared inputs, every required one, and the permissions the called jobs need", () => {
    expect(call?.uses).toBe("<owner>/shipline/.github/workflows/deploy.yml@v1");
    const declared = Object.keys(spec.inputs ?? {});
    expect(Object.keys(call?.with ?? {}).filter((key) => !declared.includes(key))).toEqual([]);
    const required = Object.entries(spec.inputs ?? {}).filter(([, def]) => def.required);
    expect(required.map(([name]) => name).filter((name) => !given(call?.with?.[name]))).toEqual([]);
    expect(call?.permissions).toEqual(
      callJob(byFile("examples/workflows/deploy-production.yml"), "deploy").permissions,
    );
  });
});

// The script that finds shipline's repository and commit, run as actions/github-script runs it.
describe("locating shipline's own commit", () => {
  const scripts = reusable.flatMap((w) =>
    stepsIn(w)
      .filter(([, , s]) => s.id === "shipline")
      .map(([, , s]) => String(s.with?.script)),
  );
  const script = scripts[0] ?? "";
  const SHA = "0123456789abcdef0123456789abcdef01234567";

  /** The script run as actions/github-script runs it; what it set and whether it failed. */
  async function locate(
    env: Record<string, string>,
    idToken?: string | Error,
  ): Promise<{ outputs: Record<string, string>; failed?: string }> {
    const { outputs, failed } = await runGitHubScript(script, {
      env,
      idToken: async (audience) => {
        expect(audience).toBe("shipline");
        if (idToken === undefined) throw new Error("Unable to get ACTIONS_ID_TOKEN_REQUEST_URL env variable");
        if (idToken instanceof Error) throw idToken;
        return idToken;
      },
    });
    return { outputs, ...(failed === undefined ? {} : { failed }) };
  }

  function jwt(claims: Record<string, unknown>): string {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    return `${part({ alg: "RS256" })}.${part(claims)}.signature`;
  }

  it("is the same script in every job that has it", () => {
    expect(scripts.length).toBe(4);
    expect(new Set(scripts).size).toBe(1);
  });

  it("takes the repository and commit from the job context", async () => {
    const result = await locate({
      SHIPLINE_WORKFLOW_REPOSITORY: "platform/shipline",
      SHIPLINE_WORKFLOW_SHA: SHA,
    });
    expect(result).toEqual({ outputs: { repository: "platform/shipline", sha: SHA } });
  });

  it("falls back to the OIDC token's job_workflow_ref and job_workflow_sha", async () => {
    const token = jwt({
      job_workflow_ref: "platform/shipline/.github/workflows/deploy.yml@refs/tags/v1",
      job_workflow_sha: SHA,
    });
    const result = await locate({ SHIPLINE_WORKFLOW_REPOSITORY: "", SHIPLINE_WORKFLOW_SHA: "" }, token);
    expect(result).toEqual({ outputs: { repository: "platform/shipline", sha: SHA } });
  });

  it("fails with what to do when neither the job context nor an OIDC token says", async () => {
    const result = await locate({ SHIPLINE_WORKFLOW_REPOSITORY: "", SHIPLINE_WORKFLOW_SHA: "" });
    expect(result.outputs).toEqual({});
    expect(result.failed).toMatch(/job\.workflow_repository and job\.workflow_sha are empty/);
    expect(result.failed).toMatch(/id-token: write/);
  });

  it("refuses a token that does not name a reusable workflow", async () => {
    const token = jwt({ job_workflow_ref: "", job_workflow_sha: "main" });
    const result = await locate({ SHIPLINE_WORKFLOW_REPOSITORY: "", SHIPLINE_WORKFLOW_SHA: "" }, token);
    expect(result.outputs).toEqual({});
    expect(result.failed).toMatch(/gave repository "" and commit "main"/);
  });
});
