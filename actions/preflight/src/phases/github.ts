// What preflight reads from GitHub: the staging environment's record of the image, the deployment
// production runs (its commit: the base the pending migrations are counted from), and the release.
import type { GitHubClient, RepoRef } from "@shipline/core/github/client";
import {
  type GitHubTime,
  outcomeStatus,
  type RecordedDeployment,
  recordedDeployments,
  statusesOf,
} from "@shipline/core/github/deployment-record";
import { digestsOf } from "@shipline/core/preflight/staging";

/** The staging deployments, newest first; statuses read for those that carry the digest. */
export async function stagingHistory(
  github: GitHubClient,
  repo: RepoRef,
  environment: string,
  digest: string,
  sha: string,
  time: GitHubTime,
  env: NodeJS.ProcessEnv,
): Promise<RecordedDeployment[]> {
  const deployments = await recordedDeployments(github, repo, { environment, limit: 100, env, time });
  for (const d of deployments) {
    // Statuses cost one call each: only the image's own deployments (and the same commit's, named
    // when the image was built again) need them.
    if (
      digestsOf(d).includes(digest) ||
      (d.sha === sha && !deployments.some((o) => digestsOf(o).includes(digest)))
    )
      d.statuses = await statusesOf(github, repo, d.id, time);
  }
  return deployments;
}

/**
 * The commit production runs: the deployment that recorded the running revision, else the newest
 * whose latest status is a success. Undefined before the first production release.
 */
export async function productionCommit(
  github: GitHubClient,
  repo: RepoRef,
  environment: string,
  runningRevisions: readonly string[],
  time: GitHubTime,
  env: NodeJS.ProcessEnv,
): Promise<{ sha: string; deployment: RecordedDeployment } | undefined> {
  const deployments = await recordedDeployments(github, repo, { environment, limit: 30, env, time });
  const running = deployments.find((d) => runningRevisions.includes(d.payload.taskDefinitionArn));
  if (running) return { sha: running.sha, deployment: running };
  for (const d of deployments.slice(0, 5)) {
    d.statuses = await statusesOf(github, repo, d.id, time);
    if (outcomeStatus(d.statuses)?.state === "success") return { sha: d.sha, deployment: d };
  }
  return undefined;
}

export interface FoundRelease {
  tag: string;
  draft: boolean;
  url: string;
  name: string | null;
}

/**
 * The release of the tag, draft or published. Drafts have no tag yet as far as GitHub's by-tag lookup
 * is concerned (it finds published releases only), so the newest releases are listed instead.
 */
export async function releaseOf(
  github: GitHubClient,
  repo: RepoRef,
  tag: string,
  time: GitHubTime,
): Promise<FoundRelease | undefined> {
  for (let page = 1; page <= 3; page++) {
    const response = await github.rest.repos.listReleases({ ...repo, per_page: 100, page });
    const date = Date.parse(String(response.headers.date ?? ""));
    if (Number.isFinite(date) && (time.latest === undefined || date > time.latest)) time.latest = date;
    const found = response.data.find((r) => r.tag_name === tag);
    if (found) return { tag, draft: found.draft, url: found.html_url, name: found.name };
    if (response.data.length < 100) break;
  }
  return undefined;
}
