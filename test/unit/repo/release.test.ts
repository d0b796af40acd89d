// Preparing a release: the changelog's Unreleased section becomes the version's, and every file that
// states the version says the new one.
import { describe, expect, it } from "vitest";
import {
  nextVersion,
  releaseChangelog,
  withLockVersion,
  withPackageVersion,
  withVersionConstant,
} from "../../repo/release";

const CHANGELOG = `# Changelog

## [Unreleased]

- Added: the run-task action.

## [1.1.0] - 2026-11-02

- Fixed: rollbacks of two services.
`;

describe("releaseChangelog", () => {
  it("names the Unreleased changes after the version and opens a new Unreleased section", () => {
    expect(releaseChangelog(CHANGELOG, "1.2.0", "2026-12-07")).toBe(`# Changelog

## [Unreleased]

## [1.2.0] - 2026-12-07

- Added: the run-task action.

## [1.1.0] - 2026-11-02

- Fixed: rollbacks of two services.
`);
  });

  it.each([
    [
      "no Unreleased section",
      "# Changelog\n\n## [1.1.0] - 2026-11-02\n\n- x\n",
      /no `## \[Unreleased\]` section/,
    ],
    [
      "an empty Unreleased section",
      "# Changelog\n\n## [Unreleased]\n\n## [1.1.0]\n\n- x\n",
      /lists no change/,
    ],
    [
      "the version already released",
      CHANGELOG.replace("1.1.0", "1.2.0"),
      /already has a section for 1\.2\.0/,
    ],
  ])("refuses a changelog with %s", (_, text, error) => {
    expect(() => releaseChangelog(text, "1.2.0", "2026-12-07")).toThrow(error);
  });
});

describe("nextVersion", () => {
  it.each([
    ["1.2.0", "1.2.0"],
    ["v2.0.0", "2.0.0"],
    ["1.2.0-rc.1", "1.2.0-rc.1"],
  ])("takes %s", (requested, version) => {
    expect(nextVersion("1.1.0", requested)).toBe(version);
  });

  it.each([
    ["1.2", /not a semantic version/],
    ["", /not a semantic version/],
    ["1.1.0", /not above the current version 1\.1\.0/],
    ["1.0.9", /not above/],
  ])("refuses %j", (requested, error) => {
    expect(() => nextVersion("1.1.0", requested)).toThrow(error);
  });
});

describe("the files that state the version", () => {
  it("sets package.json's version and keeps the rest", () => {
    expect(
      JSON.parse(withPackageVersion('{"name":"shipline","version":"0.1.0","private":true}', "1.0.0")),
    ).toEqual({ name: "shipline", version: "1.0.0", private: true });
  });

  it("sets the lockfile's root and workspace versions, and refuses a workspace it does not have", () => {
    const lock = JSON.stringify({
      version: "0.1.0",
      packages: {
        "": { version: "0.1.0" },
        "packages/core": { version: "0.1.0" },
        "node_modules/x": { version: "9.0.0" },
      },
    });
    expect(JSON.parse(withLockVersion(lock, "1.0.0", ["packages/core"]))).toEqual({
      version: "1.0.0",
      packages: {
        "": { version: "1.0.0" },
        "packages/core": { version: "1.0.0" },
        "node_modules/x": { version: "9.0.0" },
      },
    });
    expect(() => withLockVersion(lock, "1.0.0", ["packages/cli"])).toThrow(/no package "packages\/cli"/);
  });

  it("sets the constant of the user agent and the first log line", () => {
    expect(withVersionConstant('// v\nexport const SHIPLINE_VERSION = "0.1.0";\n', "1.0.0")).toBe(
      '// v\nexport const SHIPLINE_VERSION = "1.0.0";\n',
    );
  });
});
