import { describe, expect, it } from "vitest";
import {
  isLatestVersion,
  parseTagPattern,
  previousVersionTag,
  versionOfTag,
  versionTags,
} from "../../../../packages/core/src/release-notes/version-tags";

const v = parseTagPattern("v*");

describe("tag patterns", () => {
  it.each([
    ["v*", "v1.2.3", "1.2.3"],
    ["v*", "v1.5.0-rc.1", "1.5.0-rc.1"],
    ["v*", "v1.5.0+build.7", "1.5.0"],
    ["api-v*", "api-v2.0.0", "2.0.0"],
    ["release/*", "release/3.1.4", "3.1.4"],
    ["*", "1.0.0", "1.0.0"],
    ["v*", "1.2.3", undefined],
    ["v*", "v1.2", undefined],
    ["v*", "vnext", undefined],
    ["v*", "v01.2.3", undefined],
    ["api-v*", "v2.0.0", undefined],
  ])("%s reads %s as version %s", (pattern, tag, expected) => {
    expect(versionOfTag(tag, parseTagPattern(pattern))?.version).toBe(expected);
  });

  it("rejects a pattern without exactly one *", () => {
    expect(() => parseTagPattern("v")).toThrow(/exactly one "\*"/);
    expect(() => parseTagPattern("v*.*")).toThrow(/exactly one "\*"/);
  });
});

function previous(current: string, candidates: string[]): string | undefined {
  const version = versionOfTag(current, v);
  if (!version) throw new Error(current);
  return previousVersionTag({ name: current, version }, versionTags(candidates, v))?.name;
}

describe("previous version tag", () => {
  it.each([
    [
      "v1.5.0",
      ["v1.4.0", "v1.5.0-rc.1", "v1.5.0-rc.2", "v1.3.9"],
      "v1.4.0",
      "a stable release skips pre-releases",
    ],
    ["v1.5.0-rc.2", ["v1.4.0", "v1.5.0-rc.1"], "v1.5.0-rc.1", "a pre-release follows the tag before it"],
    ["v1.5.0-rc.1", ["v1.4.0", "v1.5.0-beta.3"], "v1.5.0-beta.3", "rc after beta"],
    ["v2.0.0", ["v1.10.0", "v1.9.0", "v1.2.0"], "v1.10.0", "semver order, not string order"],
    ["v1.5.0", ["v1.5.0", "v1.6.0", "v1.4.2"], "v1.4.2", "never itself or a higher version"],
    ["v1.0.0", ["v1.0.0", "latest", "nightly"], undefined, "first release: none"],
    ["v1.0.0", ["v1.0.0-rc.1"], undefined, "a first stable release after only release candidates"],
  ])("%s among %j is compared with %s (%s)", (current, candidates, expected, _why) => {
    expect(previous(current, candidates)).toBe(expected);
  });
});

describe("latest", () => {
  const tags = versionTags(["v1.4.0", "v1.4.1", "v1.5.0", "v1.6.0-rc.1"], v);
  it.each([
    ["v1.5.0", true],
    ["v1.4.1", false],
    ["v1.6.0-rc.1", false],
  ])("%s is the latest: %s", (tag, expected) => {
    const version = versionOfTag(tag, v);
    if (!version) throw new Error(tag);
    expect(isLatestVersion({ name: tag, version }, tags)).toBe(expected);
  });
});
