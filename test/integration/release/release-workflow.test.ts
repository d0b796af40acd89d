// shipline's release workflow (.github/workflows/release.yml), run by the workflow runner on a version
// tag against the fake GitHub: the `run:` steps by bash, release-notes from its committed bundle, the
// tag script under Node 24. The repository it runs in is a small one built by the test with the same
// contract as shipline's (`npm ci`, `npm run build` writing dist/, `.ci/run` for the checks, a
// CHANGELOG.md, the real .ci/move-tags.ts), so a run takes seconds instead of a full build and test
// suite; what is under test is the workflow: the order of its checks, what stops it, what it publishes.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../../repo/layout";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { installGraphQL } from "../../rig/fake-github-graphql";
import { type Person, TestRepo } from "../../rig/git-repo";
import { runWorkflow, type WorkflowRun } from "../../world/runner/run-workflow";

const TOKEN = "ghs_releaseWorkflowToken0123456789abcdef";
const alice: Person = { name: "Alice Archer", email: "alice@acme.test", login: "alice" };

const BUILD = `// Writes dist/ from src/: the same input gives the same bytes.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
rmSync("dist", { recursive: true, force: true });
for (const file of readdirSync("src")) {
  const name = file.replace(/\\.js$/, "");
  mkdirSync(\`dist/\${name}\`, { recursive: true });
  writeFileSync(\`dist/\${name}/index.js\`, \`// bundle of src/\${file}\\n\${readFileSync(\`src/\${file}\`, "utf8")}\`);
}
`;

const TESTS = `import { existsSync } from "node:fs";
if (!existsSync("dist/greeting/index.js")) { console.error("dist/greeting/index.js is missing"); process.exit(1); }
console.log("1 test passed");
`;

function lockfile(version: string): string {
  return `${JSON.stringify(
    {
      name: "fixture-actions",
      version,
      lockfileVersion: 3,
      requires: true,
      packages: { "": { name: "fixture-actions", version } },
    },
    null,
    2,
  )}\n`;
}

function manifest(version: string): string {
  return `${JSON.stringify(
    {
      name: "fixture-actions",
      version,
      private: true,
      type: "module",
      scripts: { build: "node build.mjs", test: "node test.mjs" },
    },
    null,
    2,
  )}\n`;
}

/** The files of a release commit: version, changelog section, source, and dist built from it (or not). */
function releaseFiles(
  version: string,
  changelog: string,
  source: string,
  built = true,
  distSource = source,
): Record<string, string> {
  return {
    "package.json": manifest(version),
    "package-lock.json": lockfile(version),
    "CHANGELOG.md": changelog,
    "src/greeting.js": source,
    ...(built ? { "dist/greeting/index.js": `// bundle of src/greeting.js\n${distSource}` } : {}),
  };
}

function changelog(...versions: string[]): string {
  return `# Changelog\n\n${versions.map((v) => `## [${v}] - 2026-12-01\n\n- Changes of ${v}.\n`).join("\n")}`;
}

let repo: TestRepo;
let github: FakeGitHub;
const shas: Record<string, string> = {};

function release(tag: string): Promise<WorkflowRun> {
  const sha = repo.git(["rev-list", "-n", "1", tag]);
  repo.git(["checkout", "-q", "--detach", tag]);
  return runWorkflow({
    workflow: ".github/workflows/release.yml",
    inputs: {},
    secrets: {},
    github: {
      repository: "acme/shipline",
      sha,
      ref: `refs/tags/${tag}`,
      eventName: "push",
      token: TOKEN,
      apiUrl: github.url,
      event: { ref: `refs/tags/${tag}`, after: sha },
    },
    workspace: repo.dir,
    shipline: { repository: "acme/shipline", sha },
    credentials: () => {
      throw new Error("the release workflow assumes no AWS role");
    },
    stepTimeoutMs: 120_000,
  });
}

function ref(tag: string): string | undefined {
  return github.state.refs.find((r) => r.ref === `refs/tags/${tag}`)?.sha;
}

function stepOf(run: WorkflowRun, name: RegExp) {
  const found = run.steps.find((s) => name.test(s.name));
  if (!found) throw new Error(`no step ${name}`);
  return found;
}

beforeAll(async () => {
  repo = TestRepo.create("shipline-release-");
  const base = {
    ".gitignore": "node_modules/\n",
    "build.mjs": BUILD,
    "test.mjs": TESTS,
    ".ci/run": "#!/usr/bin/env bash\nset -euo pipefail\nnpm test\n",
    ".ci/move-tags.ts": readFileSync(join(ROOT, ".ci", "move-tags.ts"), "utf8"),
  };
  shas.v100 = repo.commit({
    message: "feat: the greeting action",
    files: { ...base, ...releaseFiles("1.0.0", changelog("1.0.0"), 'export const greeting = "hello";\n') },
  });
  repo.tag("v1.0.0");
  repo.squashPullRequest({
    number: 7,
    title: "feat: greet in French",
    author: alice,
    commits: [
      { message: "feat: bonjour", files: { "src/greeting.js": 'export const greeting = "bonjour";\n' } },
    ],
  });
  shas.v120 = repo.commit({
    message: "chore: release 1.2.0",
    files: releaseFiles("1.2.0", changelog("1.2.0", "1.0.0"), 'export const greeting = "bonjour";\n'),
  });
  repo.tag("v1.2.0");

  github = await startFakeGitHub({ owner: "acme", repo: "shipline" });
  installGraphQL(github, { repoDir: repo.dir, pullRequests: repo.pullRequests, people: repo.people });
  // What the previous release left: v1 and v1.0 at v1.0.0.
  github.state.refs.push({ ref: "refs/tags/v1", sha: shas.v100 as string });
  github.state.refs.push({ ref: "refs/tags/v1.0", sha: shas.v100 as string });
}, 60_000);

afterAll(async () => {
  await github?.close();
  repo?.remove();
});

describe("the release workflow on a version tag", () => {
  let first: WorkflowRun;

  beforeAll(async () => {
    first = await release("v1.2.0");
  }, 180_000);

  it("checks the version, the dist and the tests before it publishes anything", () => {
    expect(first.jobs.verify?.result).toBe("success");
    expect(first.jobs.verify?.steps.map((s) => [s.name, s.outcome])).toEqual([
      ["actions/checkout@8e8c483db84b4bee98b60c0593521ed34d9990e8", "success"],
      ["actions/setup-node@a0853c24544627f65ddf259abe73b1d18a591444", "success"],
      ["The tag is package.json's version and has a CHANGELOG.md section", "success"],
      ["Install", "success"],
      ["The committed dist equals a fresh build", "success"],
      ["Lint, typecheck, docs and tests (the CI script)", "success"],
    ]);
    expect(stepOf(first, /dist equals/).log).toContain("dist/ equals a fresh build");
    expect(stepOf(first, /CI script/).log).toContain("1 test passed");
  });

  it("publishes the release with notes from shipline's release-notes action", () => {
    expect(first.jobs.publish?.result).toBe("success");
    expect(stepOf(first, /^Release notes$/).action).toBe("release-notes");
    const releases = github.state.releases.filter((r) => r.tag_name === "v1.2.0");
    expect(releases).toHaveLength(1);
    expect(releases[0]?.draft).toBe(false);
    expect(releases[0]?.body).toContain("greet in French");
    expect(stepOf(first, /^Release notes$/).outputs["previous-tag"]).toBe("v1.0.0");
  });

  it("moves the major tag and creates the minor one at the release, leaving the older minor alone", () => {
    expect(ref("v1")).toBe(shas.v120);
    expect(ref("v1.2")).toBe(shas.v120);
    expect(ref("v1.0")).toBe(shas.v100);
    expect(stepOf(first, /Move the major/).log).toContain(`v1: moved from ${shas.v100} to ${shas.v120}`);
  });

  it("changes nothing when it runs again", async () => {
    const writes = github.calls.length;
    const again = await release("v1.2.0");
    expect(again.jobs.publish?.result).toBe("success");
    expect(github.state.releases.filter((r) => r.tag_name === "v1.2.0")).toHaveLength(1);
    expect(stepOf(again, /Move the major/).log).toContain(`v1: already at ${shas.v120}`);
    const later = github.calls.slice(writes).filter((c) => c.method !== "GET" && !c.path.includes("graphql"));
    expect(later).toEqual([]);
  }, 180_000);
});

describe("the release workflow stops before publishing", () => {
  it("when the committed dist differs from a fresh build", async () => {
    // The next release forgets to rebuild: dist/ still holds the previous source.
    repo.git(["checkout", "-q", "main"]);
    shas.v121 = repo.commit({
      message: "fix: greet politely",
      files: releaseFiles(
        "1.2.1",
        changelog("1.2.1", "1.2.0", "1.0.0"),
        'export const greeting = "bonjour, madame";\n',
        true,
        'export const greeting = "bonjour";\n',
      ),
    });
    repo.tag("v1.2.1");
    const releasesBefore = github.state.releases.length;
    const refsBefore = JSON.stringify(github.state.refs);
    const run = await release("v1.2.1");
    const check = stepOf(run, /dist equals/);
    expect(check.outcome).toBe("failure");
    expect(check.log).toContain("dist/greeting/index.js");
    expect(stepOf(run, /CI script/).outcome).toBe("skipped");
    expect(run.jobs.verify?.result).toBe("failure");
    expect(run.jobs.publish?.result).toBe("skipped");
    expect(github.state.releases).toHaveLength(releasesBefore);
    expect(JSON.stringify(github.state.refs)).toBe(refsBefore);
  }, 180_000);

  it("when the tag is not package.json's version", async () => {
    repo.git(["checkout", "-q", "main"]);
    repo.tag("v1.3.0");
    const run = await release("v1.3.0");
    const check = stepOf(run, /package\.json's version/);
    expect(check.outcome).toBe("failure");
    expect(check.log).toContain("The tag v1.3.0 is not package.json's version v1.2.1");
    expect(stepOf(run, /^Install$/).outcome).toBe("skipped");
    expect(run.jobs.publish?.result).toBe("skipped");
    expect(github.state.releases.some((r) => r.tag_name === "v1.3.0")).toBe(false);
  }, 60_000);
});
