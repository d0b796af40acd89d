import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import type { GitCommit } from "../../../../packages/core/src/github/git";
import { type Change, findRevertPairs } from "../../../../packages/core/src/release-notes/changes";

let counter = 0;
function commit(subject: string, body = ""): GitCommit {
  counter++;
  return {
    sha: createHash("sha1").update(String(counter)).digest("hex"),
    parents: [],
    authorName: "A",
    authorEmail: "a@x.test",
    authoredAt: "2025-01-01T00:00:00Z",
    subject,
    body,
  };
}

function change(order: number, title: string, landing: GitCommit[], number?: number): Change {
  return {
    key: number === undefined ? `commit:${landing[0]?.sha}` : `pr:${number}`,
    pullRequest:
      number === undefined
        ? undefined
        : {
            number,
            title,
            url: "",
            merged: true,
            mergedAt: undefined,
            author: undefined,
            labels: [],
            mergeCommitSha: undefined,
          },
    title,
    header: undefined,
    breaking: false,
    breakingNote: undefined,
    labels: [],
    author: undefined,
    landing,
    commits: landing,
    order,
  };
}

const pairs = (changes: Change[]) =>
  findRevertPairs(changes).map((pair) => [pair.revert.title, pair.reverted.map((c) => c.title)]);

describe("revert pairs", () => {
  it("pairs a revert PR with the PR it names", () => {
    const feature = change(0, "Gift cards", [commit("Gift cards (#5)")], 5);
    const revert = change(1, "Undo gift cards", [commit("Undo gift cards (#6)", "Reverts acme/shop#5")], 6);
    expect(pairs([feature, revert])).toEqual([["Undo gift cards", ["Gift cards"]]]);
  });

  it("pairs by title with the latest matching change before the revert", () => {
    const first = change(0, "feat: retry", [commit("feat: retry")]);
    const again = change(1, "feat: retry", [commit("feat: retry")]);
    const revert = change(2, 'Revert "feat: retry"', [commit('Revert "feat: retry"')]);
    const result = findRevertPairs([first, again, revert]);
    expect(result.map((p) => p.reverted[0]?.order)).toEqual([1]);
  });

  it("restores a change whose revert was itself reverted", () => {
    const original = change(0, "feat: a", [commit("feat: a")]);
    const revertCommit = commit('Revert "feat: a"', `This reverts commit ${original.landing[0]?.sha}.`);
    const revert = change(1, 'Revert "feat: a"', [revertCommit]);
    const reapply = change(2, 'Revert "Revert "feat: a""', [
      commit('Revert "Revert "feat: a""', `This reverts commit ${revertCommit.sha.slice(0, 12)}.`),
    ]);
    expect(pairs([original, revert, reapply])).toEqual([['Revert "Revert "feat: a""', ['Revert "feat: a"']]]);
  });

  it("keeps both when only one of a rebase-merged PR's commits is reverted", () => {
    const landed = [commit("perf: a"), commit("perf: b")];
    const pr = change(0, "perf: two steps", landed, 9);
    const revert = change(1, 'Revert "perf: b"', [
      commit('Revert "perf: b"', `This reverts commit ${landed[1]?.sha}.`),
    ]);
    expect(pairs([pr, revert])).toEqual([]);
  });

  it("never pairs a revert with a change that came after it", () => {
    const revert = change(0, 'Revert "feat: z"', [commit('Revert "feat: z"')]);
    const later = change(1, "feat: z", [commit("feat: z")]);
    expect(pairs([revert, later])).toEqual([]);
  });
});
