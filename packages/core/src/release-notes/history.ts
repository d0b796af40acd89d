// The commits of a release range, read with local git: what landed on the branch (first parents)
// and, for each merge, the branch commits it brought in.
import type { Git, GitCommit } from "../github/git";

export interface RangeHistory {
  /** The first-parent commits (what landed on the branch), oldest first. */
  mainline: GitCommit[];
  /** Every commit of the range by sha. */
  commits: Map<string, GitCommit>;
  /** For each mainline merge: the commits its other parents brought in, oldest first. */
  branchCommits: Map<string, GitCommit[]>;
}

/** The commits reachable from `to` and not from `from` (from the root commit when from is undefined). */
export async function readRange(git: Git, from: string | undefined, to: string): Promise<RangeHistory> {
  const range = from ? [`^${from}`, to] : [to];
  const [all, firstParents] = await Promise.all([git.log(range, {}), git.log(range, { firstParent: true })]);
  return assignBranchCommits(all, [...firstParents].reverse());
}

/**
 * Assigns each non-mainline commit to the mainline merge that brought it in. Mainline commits are
 * visited oldest first; a merge's branch commits are those reachable from its other parents that no
 * earlier mainline commit brought in, so each commit is assigned exactly once.
 */
export function assignBranchCommits(all: readonly GitCommit[], mainline: GitCommit[]): RangeHistory {
  const commits = new Map(all.map((commit) => [commit.sha, commit]));
  const assigned = new Set<string>();
  const branchCommits = new Map<string, GitCommit[]>();
  for (const commit of mainline) assigned.add(commit.sha);
  // Oldest first by position in `git log` order (newest first).
  const position = new Map(all.map((commit, index) => [commit.sha, index]));
  for (const merge of mainline) {
    if (merge.parents.length < 2) continue;
    const found: GitCommit[] = [];
    const stack = merge.parents.slice(1);
    while (stack.length > 0) {
      const sha = stack.pop() as string;
      const commit = commits.get(sha);
      if (!commit || assigned.has(sha)) continue;
      assigned.add(sha);
      found.push(commit);
      stack.push(...commit.parents);
    }
    found.sort((a, b) => (position.get(b.sha) ?? 0) - (position.get(a.sha) ?? 0));
    branchCommits.set(merge.sha, found);
  }
  return { mainline, commits, branchCommits };
}
