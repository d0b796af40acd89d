// The write of a tag's notes as a value: the request made from the tag and its range, the room the
// notes have in the body, and the notes read back from a release.
import { describe, expect, it } from "vitest";
import { type ReleaseRecord, replaceSection } from "../../../../packages/core/src/github/release";
import {
  NOTES_SECTION,
  notesLengthLimit,
  notesOfRelease,
  planReleaseWrite,
} from "../../../../packages/core/src/release-notes/release";
import { RELEASE_BODY_LIMIT } from "../../../../packages/core/src/release-notes/render";
import { parseTagPattern, versionOfTag } from "../../../../packages/core/src/release-notes/version-tags";

const pattern = parseTagPattern("v*");
const tag = (name: string) => ({
  name,
  version: versionOfTag(name, pattern) as NonNullable<ReturnType<typeof versionOfTag>>,
});

function release(body: string | null): ReleaseRecord {
  return { id: 1, tagName: "v1.5.0", name: "v1.5.0", body, draft: false, prerelease: false, url: "u" };
}

describe("planReleaseWrite", () => {
  it("creates a release at the tag's commit, the latest when the range says so", () => {
    const plan = planReleaseWrite(
      { owner: "acme", repo: "shop" },
      {
        tag: tag("v1.5.0"),
        range: { tagSha: "a".repeat(40), latest: true },
        notes: "notes",
        name: "Spring release",
        draft: false,
        existing: undefined,
      },
    );
    expect(plan).toEqual({
      owner: "acme",
      repo: "shop",
      tag: "v1.5.0",
      key: NOTES_SECTION,
      content: "notes",
      name: "Spring release",
      prerelease: false,
      makeLatest: true,
      draft: false,
      targetCommitish: "a".repeat(40),
      existing: undefined,
    });
  });

  it("marks a release candidate as a pre-release", () => {
    const plan = planReleaseWrite(
      { owner: "acme", repo: "shop" },
      {
        tag: tag("v1.5.0-rc.1"),
        range: { tagSha: "b".repeat(40), latest: false },
        notes: "",
        name: "v1.5.0-rc.1",
        draft: true,
        existing: release(null),
      },
    );
    expect(plan).toMatchObject({ prerelease: true, makeLatest: false, draft: true, existing: release(null) });
  });
});

describe("the notes in a release body", () => {
  it("leave room for what a person wrote outside the section", () => {
    const outside = "Highlights written by hand.\n".repeat(100);
    expect(notesLengthLimit(undefined)).toBe(
      RELEASE_BODY_LIMIT - 1_000 - replaceSection(null, NOTES_SECTION, "").length,
    );
    expect(notesLengthLimit(release(outside))).toBe(
      notesLengthLimit(undefined) - outside.trimEnd().length - 2,
    );
  });

  it("are read back from a release shipline wrote, and are absent from one it did not", () => {
    expect(notesOfRelease(release(replaceSection("Intro", NOTES_SECTION, "## Features\n- x\n")))).toBe(
      "## Features\n- x",
    );
    expect(notesOfRelease(release("Written by hand."))).toBeUndefined();
    expect(notesOfRelease(undefined)).toBeUndefined();
  });
});
