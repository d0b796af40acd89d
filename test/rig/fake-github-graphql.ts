// GitHub's GraphQL API for the fake, over a test's git repository and its pull requests: the real
// graphql-js engine runs each query against a subset of GitHub's schema, so a misspelt field, a bad
// alias or a wrong argument fails here as it would on GitHub. Adds the time-outs GitHub answers a
// too-heavy query with (502), GitHub's rule that drafts are not found by tag, and the rate-limit
// headers GitHub sends with every GraphQL answer (points computed as GitHub documents them).
import { execFileSync, spawnSync } from "node:child_process";
import {
  buildSchema,
  type DocumentNode,
  type GraphQLError,
  graphql,
  Kind,
  parse,
  type SelectionNode,
} from "graphql";
import type { FakeGitHub } from "./fake-github";
import type { FakePullRequest, Person } from "./git-repo";

const SCHEMA = buildSchema(`
  scalar GitObjectID
  scalar DateTime
  scalar URI

  type Query {
    repository(owner: String!, name: String!): Repository
  }
  type Repository {
    object(oid: GitObjectID, expression: String): GitObject
  }
  interface GitObject {
    oid: GitObjectID!
  }
  type Commit implements GitObject {
    oid: GitObjectID!
    message: String!
    author: GitActor
    associatedPullRequests(first: Int, last: Int, after: String): PullRequestConnection
  }
  type GitActor {
    name: String
    email: String
    user: User
  }
  interface Actor {
    login: String!
  }
  type User implements Actor {
    login: String!
  }
  type Bot implements Actor {
    login: String!
  }
  type PullRequestConnection {
    totalCount: Int!
    nodes: [PullRequest]
  }
  type PullRequest {
    number: Int!
    title: String!
    url: URI!
    merged: Boolean!
    mergedAt: DateTime
    author: Actor
    labels(first: Int, last: Int): LabelConnection
    mergeCommit: Commit
  }
  type LabelConnection {
    totalCount: Int!
    nodes: [Label]
  }
  type Label {
    name: String!
  }
`);

export interface GraphQLFakeOptions {
  /** The repository whose commits `object(oid:)` resolves. */
  repoDir: string;
  pullRequests: readonly FakePullRequest[];
  /** People by lower-cased e-mail, for `author.user.login`. */
  people: ReadonlyMap<string, Person>;
  /** Answer 502 (as GitHub does when a query times out) when a query asks for more objects than this. */
  failAbove?: number;
  /**
   * The primary GraphQL budget (default: 5,000 points, resetting an hour after the first query), on
   * the test's clock when it gives one (the budget is full again once `now()` passes the reset).
   */
  rateLimit?: { limit?: number; remaining?: number; resetAt?: Date; now?: () => number };
}

export interface GraphQLRecord {
  /** How many `object` fields (commits) the query asked for. */
  objects: number;
  status: number;
  /** Rate-limit points the query cost. */
  cost: number;
}

export interface GraphQLFake {
  readonly requests: GraphQLRecord[];
  /** Change the time-out threshold mid-test (undefined: never time out). */
  setFailAbove(limit: number | undefined): void;
}

interface CommitRecord {
  sha: string;
  name: string;
  email: string;
  message: string;
}

/** The repository's refs: when they have not moved, neither have its commits. */
function refsOf(repoDir: string): string {
  // show-ref exits 1 in a repository without refs; its (empty) output is still the answer.
  return spawnSync("git", ["show-ref", "--head"], { cwd: repoDir, encoding: "utf8" }).stdout ?? "";
}

function readCommits(repoDir: string): Map<string, CommitRecord> {
  const output = execFileSync("git", ["log", "--all", "--format=%H%x1f%an%x1f%ae%x1f%B%x1e"], {
    cwd: repoDir,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const commits = new Map<string, CommitRecord>();
  for (const record of output.split("\x1e")) {
    const [sha, name, email, message] = record.replace(/^\n+/, "").split("\x1f");
    if (sha && name !== undefined && email !== undefined)
      commits.set(sha, { sha, name, email, message: message ?? "" });
  }
  return commits;
}

function countObjects(document: DocumentNode): number {
  let count = 0;
  const visit = (selections: readonly { kind: string }[]): void => {
    for (const selection of selections) {
      if (selection.kind !== Kind.FIELD) continue;
      const field = selection as unknown as {
        name: { value: string };
        selectionSet?: { selections: { kind: string }[] };
      };
      if (field.name.value === "object") count++;
      else if (field.selectionSet) visit(field.selectionSet.selections);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) visit(definition.selectionSet.selections);
  }
  return count;
}

/**
 * A query's rate-limit cost as GitHub documents it: one request per connection page the query could
 * need (each `first`/`last` counted as reached, multiplied down nested connections), divided by 100,
 * at least one point.
 */
export function queryCost(document: DocumentNode): number {
  const fragments = new Map<string, readonly SelectionNode[]>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition.selectionSet.selections);
  }
  let requests = 0;
  const visit = (selections: readonly SelectionNode[], multiplier: number): void => {
    for (const selection of selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        visit(fragments.get(selection.name.value) ?? [], multiplier);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet.selections, multiplier);
      } else if (selection.selectionSet) {
        const page = selection.arguments?.find((a) => a.name.value === "first" || a.name.value === "last");
        const size = page?.value.kind === Kind.INT ? Number(page.value.value) : undefined;
        if (size !== undefined) requests += multiplier;
        visit(selection.selectionSet.selections, size === undefined ? multiplier : multiplier * size);
      }
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) visit(definition.selectionSet.selections, 1);
  }
  return Math.max(1, Math.round(requests / 100));
}

export function installGraphQL(fake: FakeGitHub, options: GraphQLFakeOptions): GraphQLFake {
  let failAbove = options.failAbove;
  const requests: GraphQLRecord[] = [];
  let cache: { refs: string; commits: Map<string, CommitRecord> } | undefined;
  const limit = options.rateLimit?.limit ?? 5000;
  let used = limit - (options.rateLimit?.remaining ?? limit);
  let resetAt = options.rateLimit?.resetAt;
  const now = options.rateLimit?.now ?? Date.now;
  const left = (): number => {
    if (resetAt && now() >= resetAt.getTime()) {
      used = 0;
      resetAt = new Date(now() + 3_600_000);
    }
    return limit - used;
  };
  /** GitHub's rate-limit headers after charging `cost` points. */
  const charge = (cost: number): Record<string, string> => {
    resetAt ??= new Date(now() + 3_600_000);
    used = Math.min(limit, used + cost);
    return {
      "x-ratelimit-limit": String(limit),
      "x-ratelimit-remaining": String(limit - used),
      "x-ratelimit-used": String(used),
      "x-ratelimit-reset": String(Math.floor(resetAt.getTime() / 1000)),
      "x-ratelimit-resource": "graphql",
    };
  };
  const html = `https://github.com/${fake.state.owner}/${fake.state.repo}`;

  fake.route("POST", /^\/graphql$/, async ({ body }) => {
    const query = typeof body.query === "string" ? body.query : "";
    const variables = (body.variables ?? {}) as Record<string, unknown>;
    let document: DocumentNode;
    try {
      document = parse(query);
    } catch (error) {
      requests.push({ objects: 0, status: 200, cost: 1 });
      return { status: 200, body: { errors: [{ message: String(error) }] }, headers: charge(1) };
    }
    const objects = countObjects(document);
    const cost = queryCost(document);
    if (left() < cost) {
      requests.push({ objects, status: 200, cost: 0 });
      const headers = charge(0);
      const message = "API rate limit exceeded for installation.";
      return { status: 200, body: { errors: [{ type: "RATE_LIMITED", message }] }, headers };
    }
    if (failAbove !== undefined && objects > failAbove) {
      requests.push({ objects, status: 502, cost });
      return { status: 502, body: { message: "Server Error" }, headers: charge(cost) };
    }
    requests.push({ objects, status: 200, cost });
    const headers = charge(cost);

    // Read again only when a test moved a ref since the last query, so a large repository is not
    // walked once per query (GitHub's answers take their time; the fake's should not dominate).
    const refs = refsOf(options.repoDir);
    if (!cache || cache.refs !== refs) cache = { refs, commits: readCommits(options.repoDir) };
    const commits = cache.commits;
    const pullRequestsOf = new Map<string, FakePullRequest[]>();
    for (const pr of options.pullRequests) {
      for (const sha of new Set([...pr.commits, ...pr.landed])) {
        pullRequestsOf.set(sha, [...(pullRequestsOf.get(sha) ?? []), pr]);
      }
    }
    const user = (email: string): { __typename: string; login: string } | null => {
      const person = options.people.get(email.toLowerCase());
      return person?.login ? { __typename: person.bot ? "Bot" : "User", login: person.login } : null;
    };
    const commitNode = (sha: string): Record<string, unknown> | null => {
      const commit = commits.get(sha);
      if (!commit) return null;
      return {
        __typename: "Commit",
        oid: sha,
        message: commit.message,
        author: { name: commit.name, email: commit.email, user: user(commit.email) },
        associatedPullRequests: ({ first }: { first?: number }) => {
          const prs = pullRequestsOf.get(sha) ?? [];
          return { totalCount: prs.length, nodes: prs.slice(0, first ?? 100).map(pullRequestNode) };
        },
      };
    };
    const pullRequestNode = (pr: FakePullRequest): Record<string, unknown> => ({
      number: pr.number,
      title: pr.title,
      url: `${html}/pull/${pr.number}`,
      merged: pr.merged,
      mergedAt: pr.mergedAt ?? null,
      author: pr.author.login
        ? { __typename: pr.author.bot ? "Bot" : "User", login: pr.author.login.replace(/\[bot\]$/, "") }
        : null,
      labels: ({ first }: { first?: number }) => ({
        totalCount: pr.labels.length,
        nodes: pr.labels.slice(0, first ?? 100).map((name) => ({ name })),
      }),
      mergeCommit: pr.mergeCommit ? () => commitNode(pr.mergeCommit as string) : null,
    });
    const root = {
      repository: ({ owner, name }: { owner: string; name: string }) => {
        if (owner !== fake.state.owner || name !== fake.state.repo) return null;
        return {
          object: ({ oid, expression }: { oid?: string; expression?: string }) =>
            commitNode(oid ?? expression ?? ""),
        };
      },
    };
    const result = await graphql({
      schema: SCHEMA,
      source: query,
      rootValue: root,
      variableValues: variables,
    });
    if (result.errors?.some((error: GraphQLError) => !error.path)) {
      // Validation errors: GitHub answers 200 with only `errors`.
      return {
        status: 200,
        body: { errors: result.errors.map((error) => ({ message: error.message })) },
        headers,
      };
    }
    return { status: 200, body: result, headers };
  });

  return {
    requests,
    setFailAbove: (limit) => {
      failAbove = limit;
    },
  };
}

/** GitHub's get-release-by-tag endpoint only finds published releases (the fake now does so itself; kept for the callers that ask for it explicitly). */
export function hideDraftsFromTagLookup(fake: FakeGitHub): void {
  const path = new RegExp(`^/repos/${fake.state.owner}/${fake.state.repo}/releases/tags/(.+)$`);
  fake.route("GET", path, ({ params, state }) => {
    const release = state.releases.find(
      (r) => r.tag_name === decodeURIComponent(params[1] ?? "") && !r.draft,
    );
    return release
      ? { status: 200, body: fake.releaseJson(release) }
      : { status: 404, body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" } };
  });
}
