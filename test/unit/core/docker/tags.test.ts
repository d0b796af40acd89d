// Tag computation: commit, branch, environment, version and semver tags, and the tag grammar.
import { describe, expect, it } from "vitest";
import {
  branchOfRun,
  computeTags,
  isValidTag,
  parseVersion,
  sanitizeTag,
  semverTags,
  TagError,
  type TagOptions,
  tagOfRef,
} from "../../../../packages/core/src/docker/tags";

const SHA = "0123456789abcdef0123456789abcdef01234567";
const base: TagOptions = { commitSha: SHA, commitTag: "full", semverTags: false, extraTags: [] };

describe("computeTags", () => {
  it.each<[string, Partial<TagOptions>, string[]]>([
    ["the full commit SHA", {}, [SHA]],
    ["the short commit SHA", { commitTag: "short" }, ["0123456"]],
    ["commit, then branch", { branch: "main" }, [SHA, "main"]],
    ["a branch made tag-safe", { branch: "feature/Login page" }, [SHA, "feature-Login-page"]],
    ["the environment", { environment: "staging" }, [SHA, "staging"]],
    ["the version as written", { version: "v1.5.0" }, [SHA, "v1.5.0"]],
    [
      "semver forms of a version",
      { version: "v1.5.0", semverTags: true },
      [SHA, "v1.5.0", "1.5.0", "1.5", "1"],
    ],
    [
      "only the full form of a pre-release",
      { version: "v1.6.0-rc.1", semverTags: true },
      [SHA, "v1.6.0-rc.1", "1.6.0-rc.1"],
    ],
    ["no bare 0 for a 0.x version", { version: "0.4.2", semverTags: true }, [SHA, "0.4.2", "0.4"]],
    [
      "extra tags last, duplicates once",
      { branch: "main", extraTags: ["latest", "main"] },
      [SHA, "main", "latest"],
    ],
    ["no commit tag in promote mode", { commitTag: "none", version: "v2.0.0" }, ["v2.0.0"]],
  ])("gives %s", (_, options, expected) => {
    expect(computeTags({ ...base, ...options }).map((t) => t.name)).toEqual(expected);
  });

  it("marks moving and pinned tags", () => {
    const tags = computeTags({
      ...base,
      branch: "main",
      environment: "prod",
      version: "v1.5.0",
      semverTags: true,
    });
    const byName = Object.fromEntries(tags.map((t) => [t.name, { moving: t.moving, pinned: t.pinned }]));
    expect(byName).toEqual({
      [SHA]: { moving: false, pinned: true },
      main: { moving: true, pinned: false },
      prod: { moving: true, pinned: false },
      "v1.5.0": { moving: false, pinned: true },
      "1.5.0": { moving: false, pinned: true },
      "1.5": { moving: true, pinned: false },
      "1": { moving: true, pinned: false },
    });
  });

  it.each<[string, Partial<TagOptions>, string]>([
    ["a short commit SHA", { commitSha: "abc123" }, "commit"],
    ["a missing commit SHA", { commitSha: undefined }, "commit"],
    ["invalid extra tag characters", { extraTags: ["bad tag"] }, "tags"],
    ["a tag starting with a dot", { extraTags: [".hidden"] }, "tags"],
    ["a 129-character tag", { extraTags: ["a".repeat(129)] }, "tags"],
    ["an environment with a slash", { environment: "prod/eu" }, "environment"],
    ["semver tags of a non-semver version", { version: "release-7", semverTags: true }, "version"],
    ["semver tags without a version", { semverTags: true }, "semver-tags"],
    ["a branch with no tag characters", { branch: "///" }, "branch-tag"],
  ])("refuses %s, naming the input", (_, options, input) => {
    expect(() => computeTags({ ...base, ...options })).toThrow(TagError);
    try {
      computeTags({ ...base, ...options });
    } catch (error) {
      expect((error as TagError).input).toBe(input);
    }
  });
});

describe("tag helpers", () => {
  it.each([
    ["main", true],
    ["v1.5.0", true],
    ["_x", true],
    ["-x", false],
    [".x", false],
    ["a:b", false],
    ["", false],
  ])("isValidTag(%j) is %s", (tag, valid) => {
    expect(isValidTag(tag)).toBe(valid);
  });

  it("sanitizes branch names into tags", () => {
    expect(sanitizeTag("dependabot/npm_and_yarn/lodash-4.17.21")).toBe(
      "dependabot-npm_and_yarn-lodash-4.17.21",
    );
    expect(sanitizeTag("-.weird.")).toBe("weird");
    expect(sanitizeTag("x".repeat(200))).toHaveLength(128);
  });

  it("reads the branch of a push or a pull request, and the tag of a tag push", () => {
    expect(branchOfRun("refs/heads/main", undefined)).toBe("main");
    expect(branchOfRun("refs/pull/7/merge", "feature/x")).toBe("feature/x");
    expect(branchOfRun("refs/tags/v1.0.0", undefined)).toBeUndefined();
    expect(tagOfRef("refs/tags/v1.5.0")).toBe("v1.5.0");
    expect(tagOfRef("refs/heads/main")).toBeUndefined();
  });

  it("parses versions strictly and drops build metadata from semver tags", () => {
    expect(parseVersion("v1.2")).toBeUndefined();
    expect(parseVersion("v01.2.3")).toBeUndefined();
    const version = parseVersion("v1.2.3+build.5");
    expect(version && semverTags(version)).toEqual(["1.2.3", "1.2", "1"]);
  });
});
