import { expect, it } from "vitest";
import { parseLog } from "../../../../packages/core/src/github/git";

const F = "\x1f";
const R = "\x1e";

it("parses git log records whose messages hold blank lines, tabs and unicode", () => {
  const output = [
    `${"a".repeat(40)}${F}${"b".repeat(40)} ${"c".repeat(40)}${F}Zoë${F}zoe@x.test${F}2025-01-01T00:00:00+00:00${F}Merge pull request #1${F}feat: x\n\n\tdetail${R}\n`,
    `${"b".repeat(40)}${F}${F}Al${F}al@x.test${F}2025-01-01T00:00:00+00:00${F}root${F}${R}\n`,
  ].join("");
  expect(parseLog(output)).toEqual([
    {
      sha: "a".repeat(40),
      parents: ["b".repeat(40), "c".repeat(40)],
      authorName: "Zoë",
      authorEmail: "zoe@x.test",
      authoredAt: "2025-01-01T00:00:00+00:00",
      subject: "Merge pull request #1",
      body: "feat: x\n\n\tdetail",
    },
    {
      sha: "b".repeat(40),
      parents: [],
      authorName: "Al",
      authorEmail: "al@x.test",
      authoredAt: "2025-01-01T00:00:00+00:00",
      subject: "root",
      body: "",
    },
  ]);
});
