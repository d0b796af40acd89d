// Which pull request brought each commit: GitHub GraphQL `associatedPullRequests`, up to 100 commits
// per query through aliases, queries made one after another (GitHub asks for serial requests; the
// client paces them by the rate-limit headers, not by a fixed pause: github/query-pacing.ts), a
// query that times out (502/504) split in halves (and the rest of the range queried in that size),
// other transient failures retried with backoff.

import type { GitHubClient, RepoRef } from "../github/client";
import type { Clock } from "../runtime/clock";
import { errorMessage, UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";

export interface PullRequestAuthor {
  login: string;
  bot: boolean;
}

export interface PullRequestInfo {
  number: number;
  title: string;
  url: string;
  merged: boolean;
  mergedAt: string | undefined;
  author: PullRequestAuthor | undefined;
  labels: string[];
  mergeCommitSha: string | undefined;
}

export interface CommitOnGitHub {
  sha: string;
  /** The GitHub account of the commit's author e-mail, when GitHub knows it. */
  authorLogin: string | undefined;
  pullRequests: PullRequestInfo[];
}

export interface LookupOptions {
  logger: Logger;
  clock: Clock;
  signal?: AbortSignal;
  /** Commits per query (at most 100, GitHub's limit for one connection page and a safe query cost). */
  batchSize?: number;
  /** Attempts per query for transient failures other than time-outs (default 3). */
  attempts?: number;
  /** First backoff between attempts; doubled each time (default 1 s). */
  backoffMs?: number;
}

export interface LookupResult {
  commits: Map<string, CommitOnGitHub>;
  /** GraphQL requests sent, failed ones included. */
  requests: number;
  /** Rate-limit points those requests cost, as GitHub computes them. */
  points: number;
  /** How many times a batch was split because GitHub timed out on it. */
  splits: number;
}

const SHA = /^[0-9a-f]{40}$/;
const PULL_REQUESTS_PER_COMMIT = 5;
const LABELS_PER_PULL_REQUEST = 50;

// A query's size against GitHub's limits (its GraphQL rate-limit and node-limit page). A connection
// gives at most 100 nodes a page, and a query at most 500,000 nodes; a query costs one point per 100
// connection pages it could need. Per commit: its pull requests (one page of 5) and each one's labels
// (one page of 50) are 1 + 5 = 6 pages and 5 + 5 × 50 = 255 nodes (+1 for the commit). So 100 commits,
// one page's worth, are 25,600 nodes and 6 points: a 5,000-commit release spends about 300 of a job
// token's 1,000 points an hour. More commits per query would not cost fewer points (the cost is per
// commit) and would run closer to GitHub's query time-out, which is why 100, GitHub's page size.
const GITHUB_PAGE_SIZE = 100;
const GITHUB_NODE_LIMIT = 500_000;
const NODES_PER_COMMIT = 1 + PULL_REQUESTS_PER_COMMIT * (1 + LABELS_PER_PULL_REQUEST);
const PAGES_PER_COMMIT = 1 + PULL_REQUESTS_PER_COMMIT;
export const MAX_BATCH = Math.min(GITHUB_PAGE_SIZE, Math.floor(GITHUB_NODE_LIMIT / NODES_PER_COMMIT));

/** The rate-limit points GitHub charges a query of this many commits. */
export function queryPoints(commits: number): number {
  return Math.max(1, Math.round((commits * PAGES_PER_COMMIT) / 100));
}

const COMMIT_FRAGMENT = `fragment commitPullRequests on Commit {
  oid
  author { user { login } }
  associatedPullRequests(first: ${PULL_REQUESTS_PER_COMMIT}) {
    nodes {
      number
      title
      url
      merged
      mergedAt
      author { __typename login }
      labels(first: ${LABELS_PER_PULL_REQUEST}) { nodes { name } }
      mergeCommit { oid }
    }
  }
}`;

/** The aliased query for one batch; the shas are checked to be hex, so they cannot inject GraphQL. */
export function batchQuery(shas: readonly string[]): string {
  const objects = shas.map((sha, index) => {
    if (!SHA.test(sha)) throw new Error(`not a full commit sha: ${sha}`);
    return `    c${index}: object(oid: "${sha}") { ...commitPullRequests }`;
  });
  return `query ReleaseNotesPullRequests($owner: String!, $name: String!) {
  repository(owner: $owner, name: $name) {
${objects.join("\n")}
  }
}
${COMMIT_FRAGMENT}`;
}

interface RawPullRequest {
  number?: number;
  title?: string;
  url?: string;
  merged?: boolean;
  mergedAt?: string | null;
  author?: { __typename?: string; login?: string } | null;
  labels?: { nodes?: ({ name?: string } | null)[] | null } | null;
  mergeCommit?: { oid?: string } | null;
}

interface RawCommit {
  oid?: string;
  author?: { user?: { login?: string } | null } | null;
  associatedPullRequests?: { nodes?: (RawPullRequest | null)[] | null } | null;
}

type BatchResponse = { repository: Record<string, RawCommit | null> | null };

function toPullRequest(raw: RawPullRequest): PullRequestInfo | undefined {
  if (typeof raw.number !== "number" || typeof raw.title !== "string" || typeof raw.url !== "string") {
    return undefined;
  }
  const login = raw.author?.login;
  return {
    number: raw.number,
    title: raw.title,
    url: raw.url,
    merged: raw.merged === true,
    mergedAt: raw.mergedAt ?? undefined,
    author: login ? { login, bot: raw.author?.__typename === "Bot" || login.endsWith("[bot]") } : undefined,
    labels: (raw.labels?.nodes ?? []).flatMap((label) => (label?.name ? [label.name] : [])),
    mergeCommitSha: raw.mergeCommit?.oid ?? undefined,
  };
}

function errorStatus(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    return typeof status === "number" ? status : undefined;
  }
  return undefined;
}

/** GitHub answers a GraphQL query that ran too long with 502 or 504 (or a 200 saying so). */
function isTimeout(error: unknown): boolean {
  const status = errorStatus(error);
  if (status === 502 || status === 504) return true;
  return /timed? ?out|Something went wrong while executing your query/i.test(errorMessage(error));
}

/** A refusal for a rate limit (what the client's pacing did not wait out), not for a permission. */
function isRateLimit(error: unknown): boolean {
  const failure = error as {
    response?: { headers?: Record<string, unknown>; data?: { errors?: { type?: string }[] } };
    errors?: { type?: string }[];
  };
  const headers = failure.response?.headers ?? {};
  const errors = failure.errors ?? failure.response?.data?.errors ?? [];
  return (
    String(headers["x-ratelimit-remaining"]) === "0" ||
    headers["retry-after"] !== undefined ||
    errors.some((e) => e?.type === "RATE_LIMITED") ||
    /rate limit/i.test(errorMessage(error))
  );
}

function isTransient(error: unknown): boolean {
  const status = errorStatus(error);
  // No status: a network error (reset, refused) that the retry plugin already gave up on.
  return status === undefined || status >= 500 || status === 408;
}

/**
 * Looks up the pull requests of every commit. Commits GitHub does not know (not pushed) come back
 * with no pull requests.
 */
export async function lookUpPullRequests(
  github: GitHubClient,
  repo: RepoRef,
  shas: readonly string[],
  options: LookupOptions,
): Promise<LookupResult> {
  const batchSize = Math.max(1, Math.min(options.batchSize ?? MAX_BATCH, MAX_BATCH));
  const attempts = options.attempts ?? 3;
  const backoffMs = options.backoffMs ?? 1000;
  const result: LookupResult = { commits: new Map(), requests: 0, points: 0, splits: 0 };
  const unique = [...new Set(shas)];
  // A work list: a batch that times out is replaced by its two halves at the front.
  const queue: string[][] = [];
  for (let i = 0; i < unique.length; i += batchSize) queue.push(unique.slice(i, i + batchSize));
  let done = 0;

  while (queue.length > 0) {
    const batch = queue.shift() as string[];
    let response: BatchResponse | undefined;
    for (let attempt = 1; response === undefined; attempt++) {
      if (options.signal?.aborted) throw options.signal.reason;
      result.requests++;
      result.points += queryPoints(batch.length);
      try {
        response = await github.graphql<BatchResponse>(batchQuery(batch), {
          owner: repo.owner,
          name: repo.repo,
          // Time-outs are answered by splitting the query, not by sending the same query again,
          // and other retries wait on the injected clock: so the client's own retries are off here.
          request: { retries: 0 },
        });
      } catch (error) {
        const status = errorStatus(error);
        if (isRateLimit(error)) {
          throw new UserError(`GitHub's rate limit stopped the pull-request lookup: ${errorMessage(error)}`, {
            fix: "Re-run when the limit resets (the job's token has 1,000 GraphQL points an hour per repository), or give a token with a larger budget.",
            input: "github-token",
          });
        }
        if (status === 401 || status === 403) {
          throw new UserError(
            `GitHub refused the pull-request lookup (HTTP ${status}): ${errorMessage(error)}`,
            {
              fix: "Give the token `contents: read` and `pull-requests: read` (the default GITHUB_TOKEN has both).",
              input: "github-token",
            },
          );
        }
        if (isTimeout(error) && batch.length > 1) {
          // What timed out once will time out again: the rest of the range goes in the smaller size too.
          const half = Math.ceil(batch.length / 2);
          const rest = queue.flat();
          queue.length = 0;
          queue.push(batch.slice(0, half), batch.slice(half));
          for (let i = 0; i < rest.length; i += half) queue.push(rest.slice(i, i + half));
          result.splits++;
          options.logger.info(
            `GitHub timed out on a query of ${batch.length} commits (${status ?? "error"}); splitting it into ${half} + ${batch.length - half}.`,
          );
          break;
        }
        if ((isTimeout(error) || isTransient(error)) && attempt < attempts) {
          const wait = backoffMs * 2 ** (attempt - 1);
          options.logger.info(
            `Pull-request lookup failed (${errorMessage(error)}); retrying in ${Math.round(wait / 100) / 10}s (attempt ${attempt + 1}/${attempts}).`,
          );
          await options.clock.sleep(wait, options.signal);
          continue;
        }
        throw error;
      }
    }
    if (response === undefined) continue; // split: its halves are queued
    if (!response.repository) {
      throw new UserError(`GitHub did not find the repository ${repo.owner}/${repo.repo}.`, {
        fix: "Check GITHUB_REPOSITORY and that the token can read the repository.",
        input: "github-token",
      });
    }
    batch.forEach((sha, index) => {
      const raw = response.repository?.[`c${index}`];
      const pullRequests = (raw?.associatedPullRequests?.nodes ?? []).flatMap((node) => {
        const pr = node ? toPullRequest(node) : undefined;
        return pr ? [pr] : [];
      });
      result.commits.set(sha, { sha, authorLogin: raw?.author?.user?.login ?? undefined, pullRequests });
    });
    done += batch.length;
    options.logger.progress(`pull requests: ${done}/${unique.length} commits looked up`);
  }
  return result;
}

/**
 * The pull request that brought a commit onto the branch: a merged one whose merge commit is this
 * commit (merge and squash merges), else the first merged one (a rebase merge, or a commit of a
 * merge commit's branch). Open and closed-unmerged pull requests that happen to contain the commit
 * are ignored.
 */
export function mergingPullRequest(commit: CommitOnGitHub): PullRequestInfo | undefined {
  const merged = commit.pullRequests.filter((pr) => pr.merged);
  return (
    merged.find((pr) => pr.mergeCommitSha === commit.sha) ??
    [...merged].sort((a, b) => (a.mergedAt ?? "").localeCompare(b.mergedAt ?? "") || a.number - b.number)[0]
  );
}
