// The GitHub side of the suite: one Octokit with retry and throttling, and the writes several actions
// share (PR comments and issues upserted by a hidden marker, deployments and their statuses).
// The client is @octokit/core with the plugins the code calls (rest methods, paginate, retries,
// rate-limit waits) on the runtime's own fetch. @actions/github's getOctokit is the same Octokit
// with a bundled undici besides, for its proxy support, which the run wrapper now takes from Node
// itself (runtime/proxy.ts): one HTTP stack per bundle.
import { Octokit } from "@octokit/core";
import { paginateRest } from "@octokit/plugin-paginate-rest";
import { restEndpointMethods } from "@octokit/plugin-rest-endpoint-methods";
import { retry } from "@octokit/plugin-retry";
import { throttling } from "@octokit/plugin-throttling";
import { type Clock, systemClock } from "../runtime/clock";
import { UserError } from "../runtime/errors";
import type { Logger } from "../runtime/logger";
import { SHIPLINE_VERSION } from "../runtime/version";
import { type HookedClient, paceQueries } from "./query-pacing";

export { runUrl } from "./run-url";
export { GITHUB_TOKEN, GITHUB_TOKEN_HINT } from "./token";

/** Writes and REST reads: rate limits waited out, writes spaced as GitHub asks. */
const ThrottledOctokit = Octokit.plugin(restEndpointMethods, paginateRest, retry, throttling);
/** GraphQL queries, paced by the rate-limit headers instead (query-pacing.ts). */
const QueryOctokit = Octokit.plugin(retry);

export type GitHubClient = InstanceType<typeof ThrottledOctokit>;

/** Where the API is: GITHUB_API_URL (GitHub Enterprise Server, the test fake), else github.com's. */
export function githubApiUrl(env: NodeJS.ProcessEnv = process.env): string {
  return env.GITHUB_API_URL || "https://api.github.com";
}

/**
 * `shipline/<version>`, and the job's orchestration id when the runner gives one (as the runner's own
 * toolkit does), so GitHub can tell which job a request came from. Octokit appends its own part.
 */
function githubUserAgent(env: NodeJS.ProcessEnv = process.env): string {
  const id = env.ACTIONS_ORCHESTRATION_ID?.trim();
  const base = `shipline/${SHIPLINE_VERSION}`;
  return id ? `${base} actions_orchestration_id/${id.replace(/[^A-Za-z0-9_.-]/g, "_")}` : base;
}

export interface GitHubClientOptions {
  logger: Logger;
  /** Defaults to GITHUB_API_URL, so GitHub Enterprise Server and the test fake work unchanged. */
  baseUrl?: string | undefined;
  /** Retries of a failed request (5xx, network); rate limits are handled by the throttler. */
  retries?: number;
  /** Rate-limit waits are allowed this many times per request before giving up. */
  rateLimitRetries?: number;
  /** What rate-limit waits of GraphQL queries sleep on (the action's clock, simulated in tests). */
  clock?: Clock;
  /** Ends those waits when the workflow is cancelled. */
  signal?: AbortSignal | undefined;
}

type GraphQl = GitHubClient["graphql"];

/** A GraphQL document that changes something (a write), told apart from a query (a read). */
function isMutation(query: unknown): boolean {
  const text = typeof query === "string" ? query : String((query as { query?: unknown })?.query ?? "");
  return /(?:^|\})\s*mutation\b/.test(text.replace(/#[^\n]*/g, ""));
}

/** GraphQL queries go to `queries`, mutations to `writes`. */
function routeGraphql(writes: GraphQl, queries: GraphQl): GraphQl {
  const route = ((query: Parameters<GraphQl>[0], parameters?: Parameters<GraphQl>[1]) =>
    (isMutation(query) ? writes : queries)(query, parameters)) as GraphQl;
  return Object.assign(route, { defaults: writes.defaults, endpoint: writes.endpoint });
}

export function createGitHubClient(token: string, options: GitHubClientOptions): GitHubClient {
  const { logger } = options;
  logger.secrets.add(token);
  const rateLimitRetries = options.rateLimitRetries ?? 2;
  const common = {
    auth: token,
    baseUrl: options.baseUrl ?? githubApiUrl(),
    userAgent: githubUserAgent(),
    retry: { retries: options.retries ?? 3 },
  };
  // Both kinds of rate limit are waited out (the plugin sleeps retryAfter) a bounded number of times.
  const waitOut =
    (kind: string) =>
    (retryAfter: number, request: { method: string; url: string }, _octokit: unknown, retryCount: number) => {
      logger.warning(`GitHub ${kind} hit on ${request.method} ${request.url}; waiting ${retryAfter}s.`);
      return retryCount < rateLimitRetries;
    };
  const client = new ThrottledOctokit({
    ...common,
    throttle: { onRateLimit: waitOut("rate limit"), onSecondaryRateLimit: waitOut("secondary rate limit") },
  });
  // Every request's parameters (the body GitHub stores and shows: a release's notes, a comment, a
  // deployment's payload and description) go through the log's masking, whichever code built them.
  client.hook.before("request", (request) => redactRequest(request as Record<string, unknown>, logger));
  // The throttling plugin spaces every GraphQL request a second apart, as it does writes. Queries are
  // reads for GitHub's limits: they go through a client of their own, paced by the rate-limit headers
  // (query-pacing.ts explains why); mutations keep the write spacing above.
  const queries = new QueryOctokit(common);
  queries.hook.before("request", (request) => redactRequest(request as Record<string, unknown>, logger));
  paceQueries(queries as unknown as HookedClient, {
    logger,
    clock: options.clock ?? systemClock,
    rateLimitRetries,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  client.graphql = routeGraphql(client.graphql, queries.graphql);
  return client;
}

/** What a request's options hold besides its parameters; the token travels in the headers. */
const REQUEST_MACHINERY = new Set(["method", "url", "baseUrl", "headers", "request", "mediaType"]);

/** Redacts the parameters that become the request body, in place; the URL's own parameters stay. */
export function redactRequest(request: Record<string, unknown>, logger: Pick<Logger, "secrets">): void {
  const url = typeof request.url === "string" ? request.url : "";
  const inUrl = new Set(
    [...url.matchAll(/\{[?+#./;&]?([^}]+)\}/g)].flatMap((m) => (m[1] as string).split(",")),
  );
  for (const key of Object.keys(request)) {
    if (REQUEST_MACHINERY.has(key) || inUrl.has(key)) continue;
    request[key] = logger.secrets.redactDeep(request[key]);
  }
}

export interface RepoRef {
  owner: string;
  repo: string;
}

/** owner/repo of the workflow's repository (GITHUB_REPOSITORY). */
export function repoFromEnv(env: NodeJS.ProcessEnv = process.env): RepoRef {
  const full = env.GITHUB_REPOSITORY ?? "";
  const [owner, repo, ...rest] = full.split("/");
  if (!owner || !repo || rest.length > 0) {
    throw new UserError(`GITHUB_REPOSITORY is "${full}", not owner/repo.`, {
      fix: "Run the action inside a GitHub Actions job, where GITHUB_REPOSITORY is set.",
    });
  }
  return { owner, repo };
}

/** The hidden HTML comment that identifies a body written by shipline. */
export function marker(key: string): string {
  return `<!-- shipline:${key} -->`;
}

export interface UpsertResult {
  id: number;
  url: string;
  created: boolean;
  /** False when the existing body was already identical. */
  changed: boolean;
}

/** Creates or updates the one PR/issue comment carrying the marker, so re-runs do not add comments. */
export async function upsertComment(
  github: GitHubClient,
  target: RepoRef & { issueNumber: number; key: string; body: string },
): Promise<UpsertResult> {
  const tag = marker(target.key);
  const body = `${tag}\n${target.body}`;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    per_page: 100,
  });
  const existing = comments.find((c) => c.body?.includes(tag));
  if (existing) {
    if (existing.body === body)
      return { id: existing.id, url: existing.html_url, created: false, changed: false };
    const { data } = await github.rest.issues.updateComment({
      owner: target.owner,
      repo: target.repo,
      comment_id: existing.id,
      body,
    });
    return { id: data.id, url: data.html_url, created: false, changed: true };
  }
  const { data } = await github.rest.issues.createComment({
    owner: target.owner,
    repo: target.repo,
    issue_number: target.issueNumber,
    body,
  });
  return { id: data.id, url: data.html_url, created: true, changed: true };
}

/**
 * Creates or updates the one open issue carrying the marker (an incident report), so a re-run adds
 * a comment-free update instead of a second issue.
 */
export async function upsertIssue(
  github: GitHubClient,
  target: RepoRef & { key: string; title: string; body: string; labels?: string[] },
): Promise<UpsertResult & { number: number }> {
  const tag = marker(target.key);
  const body = `${tag}\n${target.body}`;
  const issues = await github.paginate(github.rest.issues.listForRepo, {
    owner: target.owner,
    repo: target.repo,
    state: "open",
    per_page: 100,
    ...(target.labels && target.labels.length > 0 ? { labels: target.labels.join(",") } : {}),
  });
  const existing = issues.find((i) => !i.pull_request && i.body?.includes(tag));
  if (existing) {
    const changed = existing.body !== body || existing.title !== target.title;
    if (changed) {
      await github.rest.issues.update({
        owner: target.owner,
        repo: target.repo,
        issue_number: existing.number,
        title: target.title,
        body,
      });
    }
    return { id: existing.id, number: existing.number, url: existing.html_url, created: false, changed };
  }
  const { data } = await github.rest.issues.create({
    owner: target.owner,
    repo: target.repo,
    title: target.title,
    body,
    ...(target.labels ? { labels: target.labels } : {}),
  });
  return { id: data.id, number: data.number, url: data.html_url, created: true, changed: true };
}

export type DeploymentState =
  | "error"
  | "failure"
  | "inactive"
  | "in_progress"
  | "queued"
  | "pending"
  | "success";

export interface DeploymentRequest extends RepoRef {
  ref: string;
  environment: string;
  description: string;
  /** Machine-readable context stored with the deployment (image, task definition). */
  payload?: Record<string, unknown>;
  productionEnvironment?: boolean;
}

/** Records a GitHub deployment for an environment; statuses are added with setDeploymentStatus. */
export async function createDeployment(github: GitHubClient, request: DeploymentRequest): Promise<number> {
  const response = await github.rest.repos.createDeployment({
    owner: request.owner,
    repo: request.repo,
    ref: request.ref,
    environment: request.environment,
    description: request.description.slice(0, 140),
    auto_merge: false,
    // The workflow's own checks already gated this run; do not block on commit statuses.
    required_contexts: [],
    ...(request.payload ? { payload: request.payload as Record<string, never> } : {}),
    ...(request.productionEnvironment !== undefined
      ? { production_environment: request.productionEnvironment }
      : {}),
  });
  if (response.status !== 201 || !("id" in response.data)) {
    throw new UserError(`GitHub did not create the deployment: ${JSON.stringify(response.data)}`, {
      fix: "Check the token has `deployments: write` permission.",
    });
  }
  return response.data.id;
}

export async function setDeploymentStatus(
  github: GitHubClient,
  target: RepoRef & {
    deploymentId: number;
    state: DeploymentState;
    description: string;
    logUrl?: string | undefined;
    environmentUrl?: string | undefined;
  },
): Promise<void> {
  await github.rest.repos.createDeploymentStatus({
    owner: target.owner,
    repo: target.repo,
    deployment_id: target.deploymentId,
    state: target.state,
    description: target.description.slice(0, 140),
    auto_inactive: target.state === "success",
    ...(target.logUrl ? { log_url: target.logUrl } : {}),
    ...(target.environmentUrl ? { environment_url: target.environmentUrl } : {}),
  });
}
