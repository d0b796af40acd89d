// A loopback fake of the GitHub REST API (and a GraphQL hook) with in-memory state, a call log and
// fault injection. Octokit talks to it through baseUrl / GITHUB_API_URL, unchanged.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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
}

interface Comment {
  id: number;
  issue_number: number;
  body: string;
  html_url: string;
}

interface Issue {
  id: number;
  number: number;
  title: string;
  body: string;
  state: "open" | "closed";
  labels: { name: string }[];
  html_url: string;
}

interface Deployment {
  id: number;
  ref: string;
  environment: string;
  description: string;
  payload: unknown;
  production_environment?: boolean;
  statuses: { id: number; state: string; description: string; log_url?: string; environment_url?: string }[];
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
}

export interface FakeGitHub {
  url: string;
  state: FakeGitHubState;
  calls: FakeCall[];
  faults: Fault[];
  /** Adds a route (e.g. GraphQL resolvers for a test); routes added later win. */
  route(method: string, path: RegExp, handler: RouteHandler): void;
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

export async function startFakeGitHub(options: { owner?: string; repo?: string } = {}): Promise<FakeGitHub> {
  let id = 1000;
  const state: FakeGitHubState = {
    owner: options.owner ?? "acme",
    repo: options.repo ?? "shop",
    nextId: () => ++id,
    comments: [],
    issues: [],
    deployments: [],
    releases: [],
  };
  const calls: FakeCall[] = [];
  const faults: Fault[] = [];
  const routes: { method: string; path: RegExp; handler: RouteHandler }[] = [];
  const repoPath = `/repos/${state.owner}/${state.repo}`;
  const html = `https://github.com/${state.owner}/${state.repo}`;
  const route = (method: string, path: RegExp, handler: RouteHandler): void => {
    routes.unshift({ method, path, handler });
  };
  const under = (suffix: string): RegExp => new RegExp(`^${repoPath.replace(/\//g, "\\/")}${suffix}$`);

  route("GET", under("/issues/(\\d+)/comments"), ({ params, query, state: s }) =>
    page(
      s.comments.filter((c) => c.issue_number === Number(params[1])),
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
    };
    comment.html_url = `${html}/issues/${params[1]}#issuecomment-${comment.id}`;
    s.comments.push(comment);
    return { status: 201, body: comment };
  });
  route("PATCH", under("/issues/comments/(\\d+)"), ({ params, body, state: s }) => {
    const comment = s.comments.find((c) => c.id === Number(params[1]));
    if (!comment) return { status: 404, body: { message: "Not Found" } };
    comment.body = String(body.body ?? "");
    return { status: 200, body: comment };
  });
  route("GET", under("/issues"), ({ query, state: s }) => {
    const wanted = (query.get("labels") ?? "").split(",").filter(Boolean);
    const stateFilter = query.get("state") ?? "open";
    const items = s.issues.filter(
      (i) =>
        (stateFilter === "all" || i.state === stateFilter) &&
        wanted.every((l) => i.labels.some((x) => x.name === l)),
    );
    return page(items, query, `${fake.url}${repoPath}/issues`);
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
    };
    s.issues.push(issue);
    return { status: 201, body: issue };
  });
  route("PATCH", under("/issues/(\\d+)"), ({ params, body, state: s }) => {
    const issue = s.issues.find((i) => i.number === Number(params[1]));
    if (!issue) return { status: 404, body: { message: "Not Found" } };
    if (typeof body.title === "string") issue.title = body.title;
    if (typeof body.body === "string") issue.body = body.body;
    if (body.state === "open" || body.state === "closed") issue.state = body.state;
    return { status: 200, body: issue };
  });
  route("POST", under("/deployments"), ({ body, state: s }) => {
    const deployment: Deployment = {
      id: s.nextId(),
      ref: String(body.ref ?? ""),
      environment: String(body.environment ?? "production"),
      description: String(body.description ?? ""),
      payload: body.payload ?? {},
      statuses: [],
    };
    if (typeof body.production_environment === "boolean")
      deployment.production_environment = body.production_environment;
    s.deployments.push(deployment);
    return { status: 201, body: deployment };
  });
  route("GET", under("/deployments"), ({ query, state: s }) => {
    const env = query.get("environment");
    const items = s.deployments.filter((d) => !env || d.environment === env).reverse();
    return page(items, query, `${fake.url}${repoPath}/deployments`);
  });
  route("POST", under("/deployments/(\\d+)/statuses"), ({ params, body, state: s }) => {
    const deployment = s.deployments.find((d) => d.id === Number(params[1]));
    if (!deployment) return { status: 404, body: { message: "Not Found" } };
    const status = {
      id: s.nextId(),
      state: String(body.state),
      description: String(body.description ?? ""),
      ...(typeof body.log_url === "string" ? { log_url: body.log_url } : {}),
      ...(typeof body.environment_url === "string" ? { environment_url: body.environment_url } : {}),
    };
    deployment.statuses.push(status);
    return { status: 201, body: status };
  });
  route("GET", under("/releases/tags/(.+)"), ({ params, state: s }) => {
    const release = s.releases.find((r) => r.tag_name === decodeURIComponent(params[1] ?? ""));
    return release ? { status: 200, body: release } : { status: 404, body: { message: "Not Found" } };
  });
  route("GET", under("/releases"), ({ query, state: s }) =>
    page([...s.releases].reverse(), query, `${fake.url}${repoPath}/releases`),
  );
  route("POST", under("/releases"), ({ body, state: s }) => {
    const tag = String(body.tag_name ?? "");
    if (s.releases.some((r) => r.tag_name === tag)) {
      return {
        status: 422,
        body: { message: "Validation Failed", errors: [{ code: "already_exists", field: "tag_name" }] },
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
      html_url: `${html}/releases/tag/${tag}`,
    };
    s.releases.push(release);
    return { status: 201, body: release };
  });
  route("PATCH", under("/releases/(\\d+)"), ({ params, body, state: s }) => {
    const release = s.releases.find((r) => r.id === Number(params[1]));
    if (!release) return { status: 404, body: { message: "Not Found" } };
    for (const key of ["name", "body", "draft", "prerelease", "tag_name", "target_commitish"] as const) {
      if (key in body) (release as unknown as Record<string, unknown>)[key] = body[key];
    }
    return { status: 200, body: release };
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
      for (const [key, value] of Object.entries(result.headers ?? {})) res.setHeader(key, value);
      res.end(result.body === undefined ? "" : JSON.stringify(result.body));
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return fake;
}
