// What a release relies on: one version stated the same everywhere, a changelog the release workflow
// and `npm run release` can read, and the release workflow's order (nothing published before the
// checks pass; the tags moved after the release is published).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import semver from "semver";
import { describe, expect, it } from "vitest";
import { SHIPLINE_VERSION } from "../../packages/core/src/runtime/version";
import { ROOT } from "../repo/layout";
import { readWorkflow, shiplineAction } from "../repo/workflow";

const read = (file: string): string => readFileSync(join(ROOT, file), "utf8");
const version = (JSON.parse(read("package.json")) as { version: string }).version;

describe("the version", () => {
  it("is the same in package.json, the core package, the lockfile and the actions' own constant", () => {
    const lock = JSON.parse(read("package-lock.json")) as {
      version: string;
      packages: Record<string, { version?: string }>;
    };
    expect({
      core: (JSON.parse(read("packages/core/package.json")) as { version: string }).version,
      lock: lock.version,
      lockRoot: lock.packages[""]?.version,
      lockCore: lock.packages["packages/core"]?.version,
      constant: SHIPLINE_VERSION,
    }).toEqual({ core: version, lock: version, lockRoot: version, lockCore: version, constant: version });
  });
});

describe("CHANGELOG.md", () => {
  const changelog = read("CHANGELOG.md");
  const released = [...changelog.matchAll(/^## \[([^\]]+)\](.*)$/gm)]
    .map((m) => [m[1] ?? "", (m[2] ?? "").trim()] as const)
    .filter(([name]) => name !== "Unreleased");

  it("has an Unreleased section first, for the changes not released yet", () => {
    expect(/^## \[(.+)\]/m.exec(changelog)?.[1]).toBe("Unreleased");
  });

  it("names each release by its semantic version and date, newest first", () => {
    for (const [name, rest] of released) {
      expect(semver.valid(name), name).toBe(name);
      expect(rest, name).toMatch(/^- \d{4}-\d{2}-\d{2}$/);
    }
    const names = released.map(([name]) => name);
    expect(names).toEqual([...names].sort(semver.rcompare));
  });

  it("has package.json's version as its newest release, once there is one", () => {
    if (released.length > 0) expect(released[0]?.[0]).toBe(version);
  });
});

describe("the release workflow", () => {
  const workflow = readWorkflow(".github/workflows/release.yml");
  const verify = workflow.jobs.verify;
  const publish = workflow.jobs.publish;

  it("runs on version tags only", () => {
    expect(workflow.on).toEqual({ push: { tags: ["v[0-9]+.[0-9]+.[0-9]+*"] } });
  });

  it("publishes only after the version, dist and test checks, and moves the tags last", () => {
    if (verify?.kind !== "steps" || publish?.kind !== "steps")
      throw new Error("release.yml's jobs run steps");
    expect(publish.needs).toEqual(["verify"]);
    expect(verify.steps.map((s) => s.name ?? s.uses?.split("@")[0])).toEqual([
      "actions/checkout",
      "actions/setup-node",
      "The tag is package.json's version and has a CHANGELOG.md section",
      "Install",
      "The committed dist equals a fresh build",
      "Lint, typecheck, docs and tests (the CI script)",
    ]);
    const actions = publish.steps.map((s) => shiplineAction(s.uses) ?? s.run ?? s.uses?.split("@")[0]);
    expect(actions).toEqual([
      "actions/checkout",
      "actions/setup-node",
      "release-notes",
      'node .ci/move-tags.ts "$TAG"',
    ]);
    // The release-notes action of this very commit, the one the checks just verified.
    expect(publish.steps[2]?.uses).toBe("./actions/release-notes");
  });
});
