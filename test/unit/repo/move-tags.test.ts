// Which alias tags a release moves, and how they are moved: the release workflow's last step.
import { describe, expect, it } from "vitest";
import { aliasTags, type GitHubRefs, moveTags, parseVersionTag } from "../../../.ci/move-tags";

describe("aliasTags", () => {
  it.each([
    ["the first release", "v1.0.0", ["v1.0.0"], ["v1", "v1.0"]],
    ["a new minor", "v1.2.0", ["v1.0.0", "v1.1.3", "v1.2.0"], ["v1", "v1.2"]],
    ["a patch of the newest line", "v1.2.1", ["v1.2.0", "v1.2.1"], ["v1", "v1.2"]],
    ["a patch of an older line", "v1.1.4", ["v1.1.3", "v1.2.0", "v1.1.4"], ["v1.1"]],
    ["a patch older than its line's newest", "v1.2.1", ["v1.2.3", "v1.2.1"], []],
    ["a new major beside the old one", "v2.0.0", ["v1.9.0", "v2.0.0"], ["v2", "v2.0"]],
    ["an old major's patch after a new major", "v1.9.1", ["v1.9.0", "v2.0.0", "v1.9.1"], ["v1", "v1.9"]],
    ["a pre-release", "v1.3.0-rc.1", ["v1.2.0", "v1.3.0-rc.1"], []],
    ["a stable release after its pre-releases", "v1.3.0", ["v1.3.0-rc.1", "v1.3.0-rc.2"], ["v1", "v1.3"]],
    ["tags that are no versions around", "v1.0.1", ["v1", "v1.0", "latest", "v1.0.1"], ["v1", "v1.0"]],
  ])("%s: %s moves %j", (_, tag, existing, moved) => {
    expect(aliasTags(tag, existing)).toEqual(moved);
  });

  it.each(["1.2.3", "v1.2", "v01.2.3", "v1.2.3.4", "release-1"])(
    "refuses %s, which is no release tag",
    (tag) => {
      expect(parseVersionTag(tag)).toBeUndefined();
      expect(() => aliasTags(tag, [])).toThrow(/not a release tag vX\.Y\.Z/);
    },
  );
});

/** Refs in memory; `lie` makes a write answer success and change nothing. */
function memoryRefs(initial: Record<string, string>, lie = false) {
  const refs = new Map(Object.entries(initial));
  const writes: string[] = [];
  const api: GitHubRefs = {
    get: async (tag) => refs.get(tag),
    create: async (tag, sha) => {
      writes.push(`create ${tag}`);
      if (refs.has(tag)) throw new Error("Reference already exists");
      if (!lie) refs.set(tag, sha);
    },
    move: async (tag, sha) => {
      writes.push(`move ${tag}`);
      if (!lie) refs.set(tag, sha);
    },
  };
  return { api, refs, writes };
}

const OLD = "a".repeat(40);
const NEW = "b".repeat(40);

describe("moveTags", () => {
  it("creates the missing tag and moves the existing one, each read back", async () => {
    const fake = memoryRefs({ v1: OLD });
    expect(await moveTags(fake.api, ["v1", "v1.2"], NEW)).toEqual([
      `v1: moved from ${OLD} to ${NEW}`,
      `v1.2: created at ${NEW}`,
    ]);
    expect(Object.fromEntries(fake.refs)).toEqual({ v1: NEW, "v1.2": NEW });
  });

  it("writes nothing on a re-run, when the tags are already at the release", async () => {
    const fake = memoryRefs({ v1: NEW, "v1.2": NEW });
    expect(await moveTags(fake.api, ["v1", "v1.2"], NEW)).toEqual([
      `v1: already at ${NEW}`,
      `v1.2: already at ${NEW}`,
    ]);
    expect(fake.writes).toEqual([]);
  });

  it("fails when the tag does not point at the release after a write that answered success", async () => {
    const fake = memoryRefs({ v1: OLD }, true);
    await expect(moveTags(fake.api, ["v1"], NEW)).rejects.toThrow(
      `v1 points at ${OLD} after it was moved to ${NEW}; move it by hand`,
    );
  });
});
