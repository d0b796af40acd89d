import { describe, expect, it } from "vitest";
import {
  breakingNote,
  matchesType,
  parseHeader,
} from "../../../../packages/core/src/release-notes/conventional-commits";

describe("conventional headers", () => {
  it.each([
    ["feat: add paging", { type: "feat", scope: undefined, breaking: false, description: "add paging" }],
    ["fix(api): round totals", { type: "fix", scope: "api", breaking: false, description: "round totals" }],
    ["feat!: drop v1", { type: "feat", scope: undefined, breaking: true, description: "drop v1" }],
    [
      "refactor(core)!: new poller",
      { type: "refactor", scope: "core", breaking: true, description: "new poller" },
    ],
    [
      "Feat: capitalised type",
      { type: "feat", scope: undefined, breaking: false, description: "capitalised type" },
    ],
    ["build(deps): bump x", { type: "build", scope: "deps", breaking: false, description: "bump x" }],
  ])("parses %j", (header, expected) => {
    expect(parseHeader(header)).toEqual(expected);
  });

  it.each([
    "Update README",
    "feat:no space",
    "fix(): empty scope",
    ": no type",
    "Merge pull request #3 from a/b",
  ])("does not parse %j", (header) => {
    expect(parseHeader(header)).toBeUndefined();
  });
});

describe("BREAKING CHANGE footers", () => {
  it.each([
    ["BREAKING CHANGE: the API moved", "the API moved"],
    ["Body text.\n\nBREAKING-CHANGE: renamed the flag", "renamed the flag"],
    ["* feat!: x\n\n* BREAKING CHANGE: folded into a squash message", "folded into a squash message"],
    ["BREAKING CHANGE:", ""],
  ])("finds the note in %j", (body, note) => {
    expect(breakingNote(body)).toBe(note);
  });

  it.each(["Not a BREAKING CHANGE: mid-line", "breaking change: lower case", "no footer"])(
    "finds none in %j",
    (body) => {
      expect(breakingNote(body)).toBeUndefined();
    },
  );
});

describe("type entries", () => {
  const header = parseHeader("chore(deps): bump y");
  it.each([
    ["chore", true],
    ["chore(deps)", true],
    ["chore(ci)", false],
    ["build(deps)", false],
  ])("%s matches chore(deps): %s", (entry, expected) => {
    if (!header) throw new Error("no header");
    expect(matchesType(entry, header)).toBe(expected);
  });
});
