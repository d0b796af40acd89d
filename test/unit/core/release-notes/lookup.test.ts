// Which commits of a range are looked up a second time: the branch commits of merges that no pull
// request made (a release branch merged back), since those may hold pull requests of their own.
import { describe, expect, it } from "vitest";
import type { GitCommit } from "../../../../packages/core/src/github/git";
import { assignBranchCommits } from "../../../../packages/core/src/release-notes/history";
import { commitsOfMergesWithoutPullRequest } from "../../../../packages/core/src/release-notes/lookup";
import type { CommitOnGitHub } from "../../../../packages/core/src/release-notes/pull-requests";

const sha = (n: number) => String(n).repeat(40).slice(0, 40);

function commit(n: number, parents: number[]): GitCommit {
  return {
    sha: sha(n),
    parents: parents.map(sha),
    authorName: "A",
    authorEmail: "a@x.test",
    authoredAt: "",
    subject: `c${n}`,
    body: "",
  };
}

function mergedBy(n: number, pr: number | undefined): CommitOnGitHub {
  return {
    sha: sha(n),
    authorLogin: undefined,
    pullRequests:
      pr === undefined
        ? []
        : [
            {
              number: pr,
              title: "t",
              url: "u",
              merged: true,
              mergedAt: undefined,
              author: undefined,
              labels: [],
              mergeCommitSha: sha(n),
            },
          ],
  };
}

// 1 ─ 2 ─────── 5 (merge of 4, no PR) ─ 8 (merge of 7, PR #9)
//      └ 3 ─ 4 ┘                        └ 6 ─ 7 ┘ (6 and 7 branch off 5)
const all = [
  commit(8, [5, 7]),
  commit(7, [6]),
  commit(6, [5]),
  commit(5, [2, 4]),
  commit(4, [3]),
  commit(3, [2]),
  commit(2, [1]),
  commit(1, []),
];
const history = assignBranchCommits(all, [
  commit(1, []),
  commit(2, [1]),
  commit(5, [2, 4]),
  commit(8, [5, 7]),
]);

describe("commitsOfMergesWithoutPullRequest", () => {
  it("takes the branch commits of a merge GitHub knows no pull request for", () => {
    const lookups = new Map([
      [sha(5), mergedBy(5, undefined)],
      [sha(8), mergedBy(8, 9)],
    ]);
    expect(commitsOfMergesWithoutPullRequest(history, lookups)).toEqual([sha(3), sha(4)]);
  });

  it("takes them too when GitHub said nothing of the merge", () => {
    expect(commitsOfMergesWithoutPullRequest(history, new Map())).toEqual([sha(3), sha(4), sha(6), sha(7)]);
  });
});
