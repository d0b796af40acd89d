// A loopback fake of the GitHub REST API (and a GraphQL hook) with in-memory state, a call log and
// fault injection. Octokit talks to it through baseUrl / GITHUB_API_URL, unchanged. Every exchange is
// checked against GitHub's OpenAPI description (github-openapi-check.ts): the records it answers with
// are GitHub's, and a drift fails the test (test/vitest.setup.ts).
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { checkExchange, type OpenApiDrift, recordDrifts } from "./github-openapi-check";

export interface FakeCall {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface Fault {
  method?: string;
  /** Matched against the path (without query). */
  path: RegExp;
  status: number;
  times: number;
  headers?: Record<string, string>;
  body?: unknown;
  /**
   * The answer breaks GitHub's REST API description on purpose (a status or body GitHub documents
   * otherwise): the OpenAPI check leaves this response alone. The request is still checked.
   */
  offSpec?: boolean;
}

interface Comment {
  id: number;
  issue_number: number;
  body: string;
  html_url: string;
  created_at?: string;
  updated_at?: string;
}

interface Issue {
  id: number;
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: { name: string }[];
  html_url: string;
  created_at?: string;
  updated_at?: string;
  closed_at?: string | null;
}

interface Deployment {
  id: number;
  ref: string;
  environment: string;
  description: string;
  payload: unknown;
  production_environment?: boolean;
  statuses: {
    id: number;
    state: string;
    description: string;
    log_url?: string;
    environment_url?: string;
    created_at?: string;
  }[];
  created_at?: string;
}

export interface Release {
  id: number;
  tag_name: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  target_commitish: string;
  html_url: string;
  created_at?: string;
  published_at?: string | null;
}

export interface RouteContext {
  method: string;
  path: string;
  params: RegExpExecArray;
  query: URLSearchParams;
  body: Record<string, unknown>;
  state: FakeGitHubState;
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** As Fault.offSpec: a route that answers off GitHub's description on purpose. */
  offSpec?: boolean;
}

export type RouteHandler = (ctx: RouteContext) => RouteResult | Promise<RouteResult>;

export interface FakeGitHubState {
  owner: string;
  repo: string;
  nextId: () => number;
  comments: Comment[];
  issues: Issue[];
  deployments: Deployment[];
  releases: Release[];
  /** Git references the REST API moved (`refs/tags/v1`), each to a commit. */
  refs: { ref: string; sha: string }[];
}

export interface FakeGitHub {
  url: string;
  state: FakeGitHubState;
  calls: FakeCall[];
  faults: Fault[];
  /** Adds a route (e.g. GraphQL resolvers for a test); routes added later win. */
  route(method: string, path: RegExp, handler: RouteHandler): void;
  /**
   * Where the exchanges so far disagreed with GitHub's REST API description (github-openapi-check.ts).
   * Each is also kept for test/vitest.setup.ts, which fails the test they happened in.
   */
  openapiDrifts(): OpenApiDrift[];
  /** A release of the state as GitHub's REST API returns it, for routes a test adds. */
  releaseJson(release: Release): Record<string, unknown>;
  close(): Promise<void>;
}

const PER_PAGE_MAX = 100;

function page<T>(items: T[], query: URLSearchParams, url: string): RouteResult {
  const perPage = Math.min(Number(query.get("per_page") ?? 30), PER_PAGE_MAX);
  const pageNumber = Number(query.get("page") ?? 1);
  const slice = items.slice((pageNumber - 1) * perPage, pageNumber * perPage);
  const headers: Record<string, string> = {};
  if (pageNumber * perPage < items.length) {
    const next = new URL(url);
    next.searchParams.set("page", String(pageNumber + 1));
    next.searchParams.set("per_page", String(perPage));
    headers.link = `<${next.toString()}>; rel="next"`;
  }
  return { status: 200, body: slice, headers };
}

/** When a record a test seeded has no time of its own. */
const SEEDED_AT = "2024-01-01T00:00:00Z";
/** The token's user: the GITHUB_TOKEN of a workflow run acts as github-actions[bot]. */
const ACTOR = { login: "github-actions[bot]", id: 41898282, type: "Bot" };

/** A simple-user object, as GitHub nests one in every record it returns (creator, author, user). */
function simpleUser(user: { login: string; id: number; type: string } = ACTOR): Record<string, unknown> {
  const api = `https://api.github.com/users/${encodeURIComponent(user.login)}`;
  return {
    login: user.login,
    id: user.id,
    node_id: `MDQ6VXNlcj${user.id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: "",
    url: api,
    html_url: `https://github.com/${encodeURIComponent(user.login)}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: user.type,
    site_admin: false,
  };
}

/** GitHub's node ids are opaque base64; the fake's only need to be strings unique per record. */
function nodeId(kind: string, id: number): string {
  return Buffer.from(`${kind}:${id}`).toString("base64").replace(/=+$/, "");
}

/** What GitHub answers 404 with. */
function notFound(documentation = "https://docs.github.com/rest"): RouteResult {
  return { status: 404, body: { message: "Not Found", documentation_url: documentation, status: "404" } };
}

export async function startFakeGitHub(
  options: {
    owner?: string;
    repo?: string;
    /** GitHub's clock: record times and the Date header (default the real one); tests move it. */
    now?: () => number;
  } = {},
): Promise<FakeGitHub> {
  const clock = options.now ?? (() => Date.now());
  let id = 1000;
  const state: FakeGitHubState = {
    owner: options.owner ?? "acme",
    repo: options.repo ?? "shop",
    nextId: () => ++id,
    comments: [],
    issues: [],
    deployments: [],
    releases: [],
    refs: [],
  };
  const calls: FakeCall[] = [];
  const faults: Fault[] = [];
  const routes: { method: string; path: RegExp; handler: RouteHandler }[] = [];
  const drifts: OpenApiDrift[] = [];
  const repoPath = `/repos/${state.owner}/${state.repo}`;
  const html = `https://github.com/${state.owner}/${state.repo}`;
  const route = (method: string, path: RegExp, handler: RouteHandler): void => {
    routes.unshift({ method, path, handler });
  };
  const under = (suffix: string): RegExp => new RegExp(`^${repoPath.replace(/\//g, "\\/")}${suffix}$`);
  const now = (): string => new Date(clock()).toISOString().replace(/\.\d{3}Z$/, "Z");
  // The records as GitHub's REST API returns them (its OpenAPI description's schemas); the state
  // keeps only what the tests read and seed.
  const api = (): string => `https://api.github.com${repoPath}`;
  const commentJson = (c: Comment): Record<string, unknown> => ({
    id: c.id,
    node_id: nodeId("IssueComment", c.id),
    url: `${api()}/issues/comments/${c.id}`,
    html_url: c.html_url || `${html}/issues/${c.issue_number}#issuecomment-${c.id}`,
    body: c.body,
    user: simpleUser(),
    created_at: c.created_at ?? SEEDED_AT,
    updated_at: c.updated_at ?? c.created_at ?? SEEDED_AT,
    issue_url: `${api()}/issues/${c.issue_number}`,
    author_association: "NONE",
  });
  const issueJson = (i: Issue): Record<string, unknown> => {
    const url = `${api()}/issues/${i.number}`;
    return {
      id: i.id,
      node_id: nodeId("Issue", i.id),
      url,
      repository_url: api(),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: i.html_url || `${html}/issues/${i.number}`,
      number: i.number,
      state: i.state,
      state_reason: i.state === "closed" ? "completed" : null,
      title: i.title,
      body: i.body,
      user: simpleUser(),
      labels: i.labels.map((label) => ({
        id: 1,
        node_id: nodeId("Label", 1),
        url: `${api()}/labels/${encodeURIComponent(label.name)}`,
        name: label.name,
        description: null,
        color: "ededed",
        default: false,
      })),
      assignee: null,
      assignees: [],
      milestone: null,
      locked: false,
      active_lock_reason: null,
      comments: state.comments.filter((c) => c.issue_number === i.number).length,
      closed_at: i.state === "closed" ? (i.closed_at ?? i.updated_at ?? SEEDED_AT) : null,
      created_at: i.created_at ?? SEEDED_AT,
      updated_at: i.updated_at ?? i.created_at ?? SEEDED_AT,
      author_association: "NONE",
    };
  };
  const deploymentJson = (d: Deployment): Record<string, unknown> => {
    const url = `${api()}/deployments/${d.id}`;
    return {
      url,
      id: d.id,
      node_id: nodeId("Deployment", d.id),
      // GitHub resolves the ref to its commit; the fake has no repository to resolve it in.
      sha: /^[0-9a-f]{40}$/.test(d.ref) ? d.ref : createHash("sha1").update(d.ref).digest("hex"),
      ref: d.ref,
      task: "deploy",
      payload: d.payload,
      original_environment: d.environment,
      environment: d.environment,
      description: d.description,
      creator: simpleUser(),
      created_at: d.created_at ?? SEEDED_AT,
      updated_at: d.statuses.at(-1)?.created_at ?? d.created_at ?? SEEDED_AT,
      statuses_url: `${url}/statuses`,
      repository_url: api(),
      ...(d.production_environment !== undefined ? { production_environment: d.production_environment } : {}),
    };
  };
  const statusJson = (d: Deployment, st: Deployment["statuses"][number]): Record<string, unknown> => ({
    url: `${api()}/deployments/${d.id}/statuses/${st.id}`,
    id: st.id,
    node_id: nodeId("DeploymentStatus", st.id),
    state: st.state,
    creator: simpleUser(),
    description: st.description,
    environment: d.environment,
    // GitHub's description has target_url a required URI (log_url replaced it, and GitHub copies
    // log_url into it); without a log_url the fake points it at the repository's deployments page.
    target_url: st.log_url ?? `${html}/deployments`,
    created_at: st.created_at ?? SEEDED_AT,
    updated_at: st.created_at ?? SEEDED_AT,
    deployment_url: `${api()}/deployments/${d.id}`,
    repository_url: api(),
    ...(st.log_url !== undefined ? { log_url: st.log_url } : {}),
    ...(st.environment_url !== undefined ? { environment_url: st.environment_url } : {}),
  });
  const releaseJson = (r: Release): Record<string, unknown> => {
    const url = `${api()}/releases/${r.id}`;
    const tag = encodeURIComponent(r.tag_name);
    return {
      url,
      html_url: r.html_url || `${html}/releases/tag/${tag}`,
      assets_url: `${url}/assets`,
      upload_url: `https://uploads.github.com/repos/${state.owner}/${state.repo}/releases/${r.id}/assets{?name,label}`,
      tarball_url: r.draft ? null : `${api()}/tarball/${tag}`,
      zipball_url: r.draft ? null : `${api()}/zipball/${tag}`,
      id: r.id,
      node_id: nodeId("Release", r.id),
      tag_name: r.tag_name,
      target_commitish: r.target_commitish,
      name: r.name,
      body: r.body,
      draft: r.draft,
      prerelease: r.prerelease,
      immutable: false,
      created_at: r.created_at ?? SEEDED_AT,
      published_at: r.draft ? null : (r.published_at ?? r.created_at ?? SEEDED_AT),
      author: simpleUser(),
      assets: [],
    };
  };

  route("GET", under("/issues/(\\d+)/comments"), ({ params, query, state: s }) =>
    page(
      s.comments.filter((c) => c.issue_number === Number(params[1])).map(commentJson),
      query,
      `${fake.url}${repoPath}/issues/${params[1]}/comments`,
    ),
  );
  route("POST", under("/issues/(\\d+)/comments"), ({ params, body, state: s }) => {
    const comment: Comment = {
      id: s.nextId(),
      issue_number: Number(params[1]),
      body: String(body.body ?? ""),
      html_url: "",
      created_at: now(),
    };
    comment.html_url = `${html}/issues/${params[1]}#issuecomment-${comment.id}`;
    s.comments.push(comment);
    return { status: 201, body: commentJson(comment) };
  });
  route("PATCH", under("/issues/comments/(\\d+)"), ({ params, body, state: s }) => {
    const comment = s.comments.find((c) => c.id === Number(params[1]));
    if (!comment) return notFound();
    comment.body = String(body.body ?? "");
    comment.updated_at = now();
    return { status: 200, body: commentJson(comment) };
  });
  route("GET", under("/issues"), ({ query, state: s }) => {
    const wanted = (query.get("labels") ?? "").split(",").filter(Boolean);
    const stateFilter = query.get("state") ?? "open";
    const items = s.issues.filter(
      (i) =>
        (stateFilter === "all" || i.state === stateFilter) &&
        wanted.every((l) => i.labels.some((x) => x.name === l)),
    );
    return page(items.map(issueJson), query, `${fake.url}${repoPath}/issues`);
  });
  route("POST", under("/issues"), ({ body, state: s }) => {
    const number = s.issues.length + 1;
    const issue: Issue = {
      id: s.nextId(),
      number,
      title: String(body.title ?? ""),
      body: String(body.body ?? ""),
      state: "open",
      labels: ((body.labels as string[] | undefined) ?? []).map((name) => ({ name })),
      html_url: `${html}/issues/${number}`,
      created_at: now(),
    };
    s.issues.push(issue);
    return { status: 201, body: issueJson(issue) };
  });
  route("PATCH", under("/issues/(\\d+)"), ({ params, body, state: s }) => {
    const issue = s.issues.find((i) => i.number === Number(params[1]));
    if (!issue) return notFound();
    if (typeof body.title === "string") issue.title = body.title;
    if (typeof body.body === "string") issue.body = body.body;
    if ((body.state === "open" || body.state === "closed") && body.state !== issue.state) {
      issue.state = body.state;
      issue.closed_at = body.state === "closed" ? now() : null;
    }
    issue.updated_at = now();
    return { status: 200, body: issueJson(issue) };
  });
  route("POST", under("/deployments"), ({ body, state: s }) => {
    const deployment: Deployment = {
      id: s.nextId(),
      ref: String(body.ref ?? ""),
      environment: String(body.environment ?? "production"),
      description: String(body.description ?? ""),
      payload: body.payload ?? {},
      statuses: [],
      created_at: now(),
    };
    if (typeof body.production_environment === "boolean")
      deployment.production_environment = body.production_environment;
    s.deployments.push(deployment);
    return { status: 201, body: deploymentJson(deployment) };
  });
  // GitHub filters on sha, ref, task and environment, and lists newest first.
  route("GET", under("/deployments"), ({ query, state: s }) => {
    const env = query.get("environment");
    const sha = query.get("sha");
    const ref = query.get("ref");
    const task = query.get("task");
    const items = s.deployments
      .map(deploymentJson)
      .filter(
        (d) =>
          (!env || d.environment === env) &&
          (!sha || d.sha === sha) &&
          (!ref || d.ref === ref) &&
          (!task || d.task === task),
      )
      .reverse();
    return page(items, query, `${fake.url}${repoPath}/deployments`);
  });
  route("GET", under("/deployments/(\\d+)/statuses"), ({ params, query, state: s }) => {
    const deployment = s.deployments.find((d) => d.id === Number(params[1]));
    if (!deployment) return notFound();
    const items = [...deployment.statuses].reverse().map((st) => statusJson(deployment, st));
    return page(items, query, `${fake.url}${repoPath}/deployments/${params[1]}/statuses`);
  });
  route("POST", under("/deployments/(\\d+)/statuses"), ({ params, body, state: s }) => {
    const deployment = s.deployments.find((d) => d.id === Number(params[1]));
    if (!deployment) return notFound();
    const status = {
      id: s.nextId(),
      state: String(body.state),
      description: String(body.description ?? ""),
      ...(typeof body.log_url === "string" ? { log_url: body.log_url } : {}),
      ...(typeof body.environment_url === "string" ? { environment_url: body.environment_url } : {}),
      created_at: now(),
    };
    deployment.statuses.push(status);
    // auto_inactive (true unless sent false): a success marks the earlier deployments of the same
    // environment whose latest status is success inactive, unless the environment is a production
    // one (production_environment, true by default only for an environment named "production").
    if (status.state === "success" && body.auto_inactive !== false) {
      const production = (d: Deployment) => d.production_environment ?? d.environment === "production";
      for (const earlier of s.deployments) {
        if (earlier.id >= deployment.id || earlier.environment !== deployment.environment) continue;
        if (production(earlier) || earlier.statuses.at(-1)?.state !== "success") continue;
        earlier.statuses.push({ id: s.nextId(), state: "inactive", description: "", created_at: now() });
      }
    }
    return { status: 201, body: statusJson(deployment, status) };
  });
  // The by-tag lookup finds published releases only; drafts are listed by GET /releases.
  route("GET", under("/releases/tags/(.+)"), ({ params, state: s }) => {
    const release = s.releases.find((r) => !r.draft && r.tag_name === decodeURIComponent(params[1] ?? ""));
    return release ? { status: 200, body: releaseJson(release) } : notFound();
  });
  route("GET", under("/releases"), ({ query, state: s }) =>
    page([...s.releases].reverse().map(releaseJson), query, `${fake.url}${repoPath}/releases`),
  );
  route("POST", under("/releases"), ({ body, state: s }) => {
    const tag = String(body.tag_name ?? "");
    if (s.releases.some((r) => r.tag_name === tag)) {
      return {
        status: 422,
        body: {
          message: "Validation Failed",
          errors: [{ resource: "Release", code: "already_exists", field: "tag_name" }],
          documentation_url: "https://docs.github.com/rest/releases/releases#create-a-release",
          status: "422",
        },
      };
    }
    const release: Release = {
      id: s.nextId(),
      tag_name: tag,
      name: (body.name as string | undefined) ?? null,
      body: (body.body as string | undefined) ?? null,
      draft: Boolean(body.draft),
      prerelease: Boolean(body.prerelease),
      target_commitish: String(body.target_commitish ?? "main"),
      html_url: `${html}/releases/tag/${encodeURIComponent(tag)}`,
      created_at: now(),
    };
    if (!release.draft) release.published_at = release.created_at ?? null;
    s.releases.push(release);
    return { status: 201, body: releaseJson(release) };
  });
  route("PATCH", under("/releases/(\\d+)"), ({ params, body, state: s }) => {
    const release = s.releases.find((r) => r.id === Number(params[1]));
    if (!release) return notFound();
    const wasDraft = release.draft;
    for (const key of ["name", "body", "draft", "prerelease", "tag_name", "target_commitish"] as const) {
      if (key in body) (release as unknown as Record<string, unknown>)[key] = body[key];
    }
    if (wasDraft && !release.draft) release.published_at = now();
    return { status: 200, body: releaseJson(release) };
  });

  // Git references (the release workflow moves the major and minor tags with them). Lightweight tags
  // and branches only: each points at a commit.
  const refJson = (r: { ref: string; sha: string }): Record<string, unknown> => ({
    ref: r.ref,
    node_id: nodeId("Ref", r.ref.length),
    url: `${api()}/git/${r.ref}`,
    object: { type: "commit", sha: r.sha, url: `${api()}/git/commits/${r.sha}` },
  });
  const unprocessable = (message: string, documentation: string): RouteResult => ({
    status: 422,
    body: { message, documentation_url: documentation, status: "422" },
  });
  const SHA = /^[0-9a-f]{40}$/;
  route("GET", under("/git/ref/(.+)"), ({ params, state: s }) => {
    const found = s.refs.find((r) => r.ref === `refs/${decodeURIComponent(params[1] ?? "")}`);
    return found
      ? { status: 200, body: refJson(found) }
      : notFound("https://docs.github.com/rest/git/refs#get-a-reference");
  });
  route("POST", under("/git/refs"), ({ body, state: s }) => {
    const doc = "https://docs.github.com/rest/git/refs#create-a-reference";
    const ref = String(body.ref ?? "");
    const sha = String(body.sha ?? "");
    if (!/^refs\/(heads|tags)\/[^\s]+$/.test(ref) || ref.split("/").length < 3)
      return unprocessable(`${ref} is not a valid ref name.`, doc);
    if (!SHA.test(sha)) return unprocessable("Object does not exist", doc);
    if (s.refs.some((r) => r.ref === ref)) return unprocessable("Reference already exists", doc);
    const created = { ref, sha };
    s.refs.push(created);
    return { status: 201, body: refJson(created) };
  });
  route("PATCH", under("/git/refs/(.+)"), ({ params, body, state: s }) => {
    const doc = "https://docs.github.com/rest/git/refs#update-a-reference";
    const found = s.refs.find((r) => r.ref === `refs/${decodeURIComponent(params[1] ?? "")}`);
    if (!found) return unprocessable("Reference does not exist", doc);
    const sha = String(body.sha ?? "");
    if (!SHA.test(sha)) return unprocessable("Object does not exist", doc);
    // The fake has no commit graph: a move that is not forced is refused unless it changes nothing.
    if (body.force !== true && found.sha !== sha) return unprocessable("Update is not a fast forward", doc);
    found.sha = sha;
    return { status: 200, body: refJson(found) };
  });

  const handle = async (req: IncomingMessage, res: ServerResponse, raw: string): Promise<void> => {
    const url = new URL(req.url ?? "/", fake.url);
    const method = req.method ?? "GET";
    let body: Record<string, unknown> = {};
    if (raw) {
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = {};
      }
    }
    const send = (result: RouteResult): void => {
      calls.push({ method, path: url.pathname + url.search, status: result.status, body });
      res.statusCode = result.status;
      res.setHeader("content-type", "application/json; charset=utf-8");
      res.setHeader("date", new Date(clock()).toUTCString());
      for (const [key, value] of Object.entries(result.headers ?? {})) res.setHeader(key, value);
      res.end(result.body === undefined ? "" : JSON.stringify(result.body));
      // After the answer is on its way, so the check's first compile of an operation does not delay it.
      let found: OpenApiDrift[];
      try {
        found = checkExchange({
          method,
          path: url.pathname,
          query: url.search,
          requestBody: raw,
          status: result.status,
          responseBody: result.body,
          offSpec: result.offSpec === true,
        });
      } catch (error) {
        const operation = `${method} ${url.pathname}`;
        found = [{ operation, part: "check", member: "", message: `could not be checked: ${String(error)}` }];
      }
      drifts.push(...found);
      recordDrifts(found);
    };
    const fault = faults.find(
      (f) => f.times > 0 && (!f.method || f.method === method) && f.path.test(url.pathname),
    );
    if (fault) {
      fault.times--;
      send({
        status: fault.status,
        body: fault.body ?? { message: "Injected fault" },
        ...(fault.headers ? { headers: fault.headers } : {}),
        ...(fault.offSpec ? { offSpec: true } : {}),
      });
      return;
    }
    for (const r of routes) {
      if (r.method !== method) continue;
      const params = r.path.exec(url.pathname);
      if (!params) continue;
      send(await r.handler({ method, path: url.pathname, params, query: url.searchParams, body, state }));
      return;
    }
    send({ status: 404, body: { message: `No fake route for ${method} ${url.pathname}` } });
  };

  const server: Server = createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => {
      raw += chunk;
    });
    req.on("end", () => {
      handle(req, res, raw).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ message: String(error) }));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const fake: FakeGitHub = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    calls,
    faults,
    route,
    openapiDrifts: () => [...drifts],
    releaseJson,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return fake;
}
