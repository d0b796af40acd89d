// A property of every action, generated from its action.yml and its input spec: a bad value of any
// input (empty where required, not one of the choices, not a number, not a duration, 70,000
// characters, shell syntax, a path out of the workspace; each class where it applies to the input's
// kind) fails the step with exit 1 and an error naming that input, never as "a bug", and before a
// single mutating call to AWS or GitHub. An action added later is covered as soon as it has a
// baseline below (the test fails until it does).
//
// The classes are refused by the input spec itself, before any cross-input rule, so one run can carry
// every input of a class at once: the error lists each. That keeps this file to about fifty bundle
// runs. Each run has its own simulator and fake GitHub, so its calls are its own.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { InputDef, InputSpec } from "../../../packages/core/src/runtime/inputs";
import { listActions, readActionYaml } from "../../repo/layout";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { hideDraftsFromTagLookup, installGraphQL } from "../../rig/fake-github-graphql";
import { TestRepo } from "../../rig/git-repo";
import { type ActionRun, ROOT, runAction } from "../../rig/harness";
import { type Scenario, type Simulator, simulatorEnv, startSimulator } from "../../sim/index";
import { digestOf, workspace as ecsWorkspace, image, POLL_MS, world } from "../ecs-deploy/stack";

// ---- the bad-value classes ------------------------------------------------------------------------

type BadClass =
  | "empty-required"
  | "wrong-choice"
  | "non-numeric"
  | "bad-duration"
  | "too-long"
  | "shell"
  | "outside";

type Def = InputDef<unknown, boolean>;

/** The bad value of a class for an input, or undefined where the class does not apply to its kind. */
function badValue(cls: BadClass, def: Def): string | undefined {
  switch (cls) {
    case "empty-required":
      return def.required ? "" : undefined;
    case "wrong-choice":
      return def.kind === "choice" ? "none-of-these" : def.kind === "boolean" ? "maybe" : undefined;
    case "non-numeric":
      return def.kind === "integer" || def.kind === "number" ? "twelve" : undefined;
    case "bad-duration":
      return def.kind === "duration" ? "5 parsecs" : undefined;
    case "too-long":
      return "a".repeat(70_000);
    case "shell":
      // Free text may hold anything; a path may name a file called "$(id)" (the path class applies).
      if (def.freeText || def.kind === "path" || def.kind === "globs") return undefined;
      return def.kind === "key-values" ? "$(id)=x" : def.kind === "json" ? "$(id)" : "x$(id)";
    case "outside":
      return def.kind === "path"
        ? "../../../../etc/passwd"
        : def.kind === "globs"
          ? "../../../../etc/*"
          : undefined;
  }
}

const CLASSES: BadClass[] = [
  "empty-required",
  "wrong-choice",
  "non-numeric",
  "bad-duration",
  "too-long",
  "shell",
  "outside",
];
/** 70,000 characters per input: a dozen per run keeps the environment well under Linux's 2 MB. */
const TOO_LONG_PER_RUN = 12;

// ---- a baseline per action: a valid run that changes something -------------------------------------

interface World {
  sim: Simulator;
  github: FakeGitHub;
}

interface Baseline {
  scenario: Scenario;
  inputs: (world: World) => Record<string, string>;
  workspace: () => string;
  env?: (world: World) => Record<string, string>;
  /** What the valid run must have done, proving a bad run's "nothing" is not for want of trying. */
  didSomething: (run: ActionRun, world: World) => boolean;
}

const NOT_MUTATING = /^(Describe|List|Get|BatchGet|BatchCheck)/;
const mutatingCalls = (world: World): string[] => [
  ...world.sim.calls.filter((c) => !NOT_MUTATING.test(c.operation)).map((c) => `${c.service}:${c.operation}`),
  ...world.github.calls
    .filter((c) => c.method !== "GET" && !(c.method === "POST" && c.path === "/graphql"))
    .map((c) => `${c.method} ${c.path}`),
];

let probeServer: Server;
let probes = 0;
let probeUrl = "";
let releaseRepo: TestRepo;

const BASELINES: Record<string, Baseline> = {
  "ecs-deploy": {
    scenario: world(),
    inputs: () => ({ cluster: "prod", services: "web", containers: `app=${image("2")}`, wait: "false" }),
    workspace: () => ecsWorkspace(),
    didSomething: (_run, w) => mutatingCalls(w).includes("ecs:UpdateService"),
  },
  "auto-rollback": {
    scenario: world({ revisions: ["2"] }),
    inputs: () => ({
      cluster: "prod",
      services: "web",
      "task-definition": "web:2",
      "poll-interval": `${POLL_MS}ms`,
    }),
    workspace: () => ecsWorkspace(),
    didSomething: (_run, w) => mutatingCalls(w).includes("ecs:UpdateService"),
  },
  migrate: {
    scenario: world({ revisions: ["2"], images: { [image("2")]: { exitCode: 0, runMs: 2_000 } } }),
    inputs: () => ({
      mode: "ecs-task",
      cluster: "prod",
      service: "web",
      "task-definition": "web:2",
      "poll-interval": "1s",
      "lint-scope": "all",
    }),
    workspace: () => ecsWorkspace({ "db/migrations/V1__init.sql": "CREATE TABLE accounts (id bigint);\n" }),
    didSomething: (_run, w) => mutatingCalls(w).includes("ecs:RunTask"),
  },
  "run-task": {
    scenario: world({ revisions: ["2"], images: { [image("2")]: { exitCode: 0, runMs: 2_000 } } }),
    inputs: () => ({
      cluster: "prod",
      service: "web",
      "task-definition": "web:2",
      "poll-interval": `${POLL_MS}ms`,
    }),
    workspace: () => ecsWorkspace(),
    didSomething: (_run, w) => mutatingCalls(w).includes("ecs:RunTask"),
  },
  "build-push": {
    scenario: {
      clock: { mode: "scaled", factor: 60 },
      ecr: { repositories: [{ name: "shop/web", images: [{ tags: ["main"] }] }] },
    },
    inputs: () => ({ repository: "shop/web", mode: "promote", source: "main", version: "v1.0.0" }),
    workspace: () => ecsWorkspace(),
    didSomething: (_run, w) => mutatingCalls(w).includes("ecr:PutImage"),
  },
  "health-gate": {
    scenario: world(),
    inputs: () => ({
      "base-url": probeUrl,
      "health-urls": "/health",
      "probe-interval": "200ms",
      "success-threshold": "1",
      soak: "0s",
      timeout: "10s",
    }),
    workspace: () => ecsWorkspace(),
    // health-gate changes nothing anywhere: what it does is probe.
    didSomething: (run) => run.exitCode === 0 && probes > 0,
  },
  // preflight changes nothing anywhere: what it does is read AWS and GitHub and say go.
  preflight: {
    scenario: {
      ...world(),
      ecr: { repositories: [{ name: "web", images: [{ tags: ["1"], digest: digestOf("1") }] }] },
    },
    inputs: () => ({
      "github-token": "ghs_propertyTestToken0123456789",
      cluster: "prod",
      services: "web",
      "check-staging": "false",
      "check-migrations": "false",
      "check-release-notes": "false",
    }),
    workspace: () => ecsWorkspace(),
    didSomething: (run, w) =>
      run.exitCode === 0 &&
      run.outputs.verdict === "go" &&
      w.sim.calls.some((c) => c.operation === "DescribeImages"),
  },
  "release-notes": {
    scenario: world(),
    inputs: () => ({ "github-token": "ghs_propertyTestToken0123456789", tag: "v1.1.0" }),
    workspace: () => releaseRepo.dir,
    env: (w) => ({ GITHUB_API_URL: w.github.url, GITHUB_REF: "refs/tags/v1.1.0", GITHUB_REF_NAME: "v1.1.0" }),
    didSomething: (_run, w) => mutatingCalls(w).some((c) => c.endsWith("/releases")),
  },
};

async function runIn(
  action: string,
  baseline: Baseline,
  inputs: Record<string, string>,
): Promise<{ run: ActionRun; mutations: string[]; world: World }> {
  const sim = await startSimulator({ scenario: baseline.scenario });
  const github = await startFakeGitHub();
  installGraphQL(github, {
    repoDir: releaseRepo.dir,
    pullRequests: releaseRepo.pullRequests,
    people: releaseRepo.people,
  });
  hideDraftsFromTagLookup(github);
  const w = { sim, github };
  try {
    const run = await runAction(action, {
      workspace: baseline.workspace(),
      inputs: { ...baseline.inputs(w), ...inputs },
      env: { ...simulatorEnv(sim), GITHUB_API_URL: github.url, ...(baseline.env?.(w) ?? {}) },
      timeoutMs: 60_000,
    });
    return { run, mutations: mutatingCalls(w), world: w };
  } finally {
    await sim.stop();
    await github.close();
  }
}

/** Runs the jobs a few at a time: the bundles are separate processes on a shared machine. */
async function pool<T, R>(items: readonly T[], width: number, job: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await job(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return results;
}

// ---- the cases, from every action.yml ---------------------------------------------------------------

interface Case {
  action: string;
  cls: BadClass;
  inputs: Record<string, string>;
}

const actions = listActions();
const specs = new Map<string, InputSpec>();

async function casesOf(action: string): Promise<Case[]> {
  const { inputSpec } = (await import(join(ROOT, "actions", action, "src", "inputs.ts"))) as {
    inputSpec: InputSpec;
  };
  specs.set(action, inputSpec);
  const declared = Object.keys(readActionYaml(action).inputs ?? {});
  const cases: Case[] = [];
  for (const cls of CLASSES) {
    const bad: Record<string, string> = {};
    for (const name of declared) {
      const def = inputSpec[name];
      if (!def) throw new Error(`${action}: action.yml declares ${name}, which the input spec lacks`);
      const value = badValue(cls, def);
      if (value !== undefined) bad[name] = value;
    }
    const names = Object.keys(bad);
    const size = cls === "too-long" ? TOO_LONG_PER_RUN : names.length;
    for (let i = 0; i < names.length; i += size) {
      cases.push({
        action,
        cls,
        inputs: Object.fromEntries(names.slice(i, i + size).map((n) => [n, bad[n] as string])),
      });
    }
  }
  return cases;
}

/** Whether the error names the input as a subject: "Input `x`: ..." or "- `x`: ..." in a list. */
function names(message: string, input: string): boolean {
  const quoted = input.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|\\n)(Input |- )\`${quoted}\`:`).test(message);
}

interface Outcome {
  case: Case;
  run: ActionRun;
  mutations: string[];
}

let outcomes: Outcome[] = [];
const controls = new Map<string, { run: ActionRun; didSomething: boolean }>();

beforeAll(async () => {
  probeServer = createServer((_req, res) => {
    probes++;
    res.end("ok");
  });
  await new Promise<void>((resolve) => probeServer.listen(0, "127.0.0.1", resolve));
  probeUrl = `http://127.0.0.1:${(probeServer.address() as AddressInfo).port}`;
  releaseRepo = TestRepo.create("shipline-bad-inputs-");
  releaseRepo.commit({ message: "feat: first", files: { "a.txt": "1\n" } });
  releaseRepo.tag("v1.0.0");
  releaseRepo.commit({ message: "fix: second", files: { "a.txt": "2\n" } });
  releaseRepo.tag("v1.1.0");

  const cases = (await Promise.all(actions.map(casesOf))).flat();
  const known = actions.filter((a) => BASELINES[a]);
  const runs = await pool([...known.map((a) => ({ control: a })), ...cases], 4, async (job) => {
    if ("control" in job) {
      const baseline = BASELINES[job.control] as Baseline;
      const before = probes;
      const { run, world: w } = await runIn(job.control, baseline, {});
      controls.set(job.control, {
        run,
        didSomething: baseline.didSomething(run, w) && (job.control !== "health-gate" || probes > before),
      });
      return undefined;
    }
    const baseline = BASELINES[job.action];
    if (!baseline) return undefined;
    const { run, mutations } = await runIn(job.action, baseline, job.inputs);
    return { case: job, run, mutations };
  });
  outcomes = runs.filter((r): r is Outcome => r !== undefined);
}, 300_000);

afterAll(async () => {
  await new Promise<void>((resolve) => probeServer.close(() => resolve()));
  releaseRepo?.remove();
  const tried = outcomes.reduce((n, o) => n + Object.keys(o.case.inputs).length, 0);
  const refused = outcomes.reduce(
    (n, o) =>
      n +
      Object.keys(o.case.inputs).filter(
        (input) =>
          o.run.exitCode === 1 &&
          o.mutations.length === 0 &&
          !o.run.stdout.includes("This is a bug") &&
          names(o.run.errors[0]?.message ?? "", input),
      ).length,
    0,
  );
  const crashes = outcomes.filter(
    (o) => o.run.stdout.includes("This is a bug") || o.run.timedOut || o.run.signal,
  ).length;
  // The figures the README's reliability section gives.
  console.log(
    `bad inputs: ${tried} (input, class) pairs in ${outcomes.length} bundle runs; ${refused} refused with a clear error naming the input; ${crashes} runs crashed; ${tried - refused} not refused`,
  );
});

describe("every action has a baseline that does something", () => {
  it.each(actions)("%s", (action) => {
    expect(BASELINES[action], `add a baseline for ${action} to this file`).toBeDefined();
    const control = controls.get(action);
    expect(
      control?.didSomething,
      `${action}'s baseline made no change, so "no change" proves nothing:\n${control?.run.stdout.slice(-3_000)}`,
    ).toBe(true);
  });
});

describe.each(actions)("%s refuses every bad input", (action) => {
  it.each(CLASSES)("%s", (cls) => {
    const mine = outcomes.filter((o) => o.case.action === action && o.case.cls === cls);
    const spec = specs.get(action) ?? {};
    const applicable = Object.entries(spec).filter(([, def]) => badValue(cls, def as Def) !== undefined);
    expect(mine.reduce((n, o) => n + Object.keys(o.case.inputs).length, 0)).toBe(applicable.length);
    for (const { case: c, run, mutations } of mine) {
      const message = run.errors[0]?.message ?? "";
      const label = `${action}, ${cls}: ${Object.keys(c.inputs).join(", ")}`;
      expect(run.timedOut, label).toBe(false);
      expect(run.stdout, label).not.toContain("This is a bug in shipline");
      expect(run.exitCode, `${label}\n${message}`).toBe(1);
      expect(run.errors, label).toHaveLength(1);
      expect(mutations, label).toEqual([]);
      const unnamed = Object.keys(c.inputs).filter((input) => !names(message, input));
      expect(unnamed, `${label}: not named in\n${message.slice(0, 2_000)}`).toEqual([]);
    }
  });
});
