// The pull requests of a whole release range: the commits that landed on the branch, then the branch
// commits of merges that no pull request made (a release branch merged back), which may hold PRs.
import type { GitHubClient, RepoRef } from "../github/client";
import type { RangeHistory } from "./history";
import {
  type CommitOnGitHub,
  type LookupOptions,
  lookUpPullRequests,
  mergingPullRequest,
} from "./pull-requests";

export interface RangeLookup {
  /** What GitHub said about each commit looked up. */
  commits: Map<string, CommitOnGitHub>;
  /** GraphQL requests sent, failed ones included. */
  requests: number;
  /** Rate-limit points they cost. */
  points: number;
  /** Batches split because GitHub timed out on them. */
  splits: number;
}

/** The branch commits of mainline merges that GitHub does not know as a pull request's merge. */
export function commitsOfMergesWithoutPullRequest(
  history: RangeHistory,
  lookups: ReadonlyMap<string, CommitOnGitHub>,
): string[] {
  return history.mainline
    .filter((commit) => commit.parents.length > 1)
    .filter((commit) => {
      const lookup = lookups.get(commit.sha);
      return !lookup || !mergingPullRequest(lookup);
    })
    .flatMap((commit) => (history.branchCommits.get(commit.sha) ?? []).map((c) => c.sha));
}

export async function lookUpRange(
  github: GitHubClient,
  repo: RepoRef,
  history: RangeHistory,
  options: LookupOptions,
): Promise<RangeLookup> {
  const first = await lookUpPullRequests(
    github,
    repo,
    history.mainline.map((c) => c.sha),
    options,
  );
  const commits = new Map(first.commits);
  const inner = commitsOfMergesWithoutPullRequest(history, commits);
  let { requests, points, splits } = first;
  if (inner.length > 0) {
    options.logger.info(
      `${inner.length} commits came in through merges without a pull request; looking them up too.`,
    );
    const second = await lookUpPullRequests(github, repo, inner, options);
    for (const [sha, lookup] of second.commits) commits.set(sha, lookup);
    requests += second.requests;
    points += second.points;
    splits += second.splits;
  }
  return { commits, requests, points, splits };
}
