// The check of the fake GitHub's exchanges against GitHub's REST API description: it passes an
// exchange GitHub would have, and names the operation and the member of one it would not (a request
// body member GitHub does not know or of the wrong type, an undeclared query parameter, a response
// missing a required member or with one of the wrong type). Through the fake: every exchange is
// checked, the drifts are kept on the fake for the test, and an injected fault can opt out.
import { afterEach, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import {
  assertNoUnreportedDrifts,
  checkExchange,
  type Exchange,
  type OpenApiDrift,
  recordDrifts,
  takeUnreportedDrifts,
  toJsonSchema,
} from "../../rig/github-openapi-check";

const CREATE_COMMENT = "POST /repos/{owner}/{repo}/issues/{issue_number}/comments (issues/create-comment)";
const LIST_COMMENTS = "GET /repos/{owner}/{repo}/issues/{issue_number}/comments (issues/list-comments)";

function user(login = "octocat", id = 1): Record<string, unknown> {
  const api = `https://api.github.com/users/${login}`;
  return {
    login,
    id,
    node_id: "MDQ6VXNlcjE=",
    avatar_url: "https://github.com/images/error/octocat_happy.gif",
    gravatar_id: "",
    url: api,
    html_url: `https://github.com/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: "User",
    site_admin: false,
  };
}

/** An issue comment as GitHub's description has it. */
function comment(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 1,
    node_id: "MDEyOklzc3VlQ29tbWVudDE=",
    url: "https://api.github.com/repos/acme/shop/issues/comments/1",
    html_url: "https://github.com/acme/shop/issues/7#issuecomment-1",
    body: "Deployed.",
    user: user(),
    created_at: "2024-04-14T16:00:49Z",
    updated_at: "2024-04-14T16:00:49Z",
    issue_url: "https://api.github.com/repos/acme/shop/issues/7",
    author_association: "COLLABORATOR",
    ...overrides,
  };
}

const createComment = (request: unknown, response: unknown = comment()): Exchange => ({
  method: "POST",
  path: "/repos/acme/shop/issues/7/comments",
  requestBody: JSON.stringify(request),
  status: 201,
  responseBody: response,
});

const members = (drifts: OpenApiDrift[]): string[] => drifts.map((d) => `${d.part} ${d.member}`);

describe("the check of one exchange", () => {
  it("passes an exchange GitHub would have", () => {
    expect(checkExchange(createComment({ body: "Deployed." }))).toEqual([]);
    expect(
      checkExchange({
        method: "GET",
        path: "/repos/acme/shop/issues/7/comments",
        query: "?per_page=100&page=2",
        status: 200,
        responseBody: [comment(), comment({ id: 2 })],
      }),
    ).toEqual([]);
  });

  it("names a request body member GitHub's description does not declare", () => {
    const drifts = checkExchange(createComment({ body: "Deployed.", bdy: "typo" }));
    expect(drifts).toEqual([
      {
        operation: CREATE_COMMENT,
        part: "request body",
        member: "/bdy",
        message: "is not a member GitHub's description declares (GitHub ignores it)",
      },
    ]);
  });

  it("names a request body member of the wrong type, and a missing required one", () => {
    expect(checkExchange(createComment({ body: 42 }))).toEqual([
      { operation: CREATE_COMMENT, part: "request body", member: "/body", message: "must be string" },
    ]);
    expect(members(checkExchange(createComment({})))).toEqual(["request body /body"]);
    const deployment = checkExchange({
      method: "POST",
      path: "/repos/acme/shop/deployments",
      requestBody: JSON.stringify({ ref: "main", production_environment: "yes" }),
      status: 202,
      responseBody: { message: "Auto-merged main into topic-branch on deployment." },
    });
    expect(deployment).toEqual([
      {
        operation: "POST /repos/{owner}/{repo}/deployments (repos/create-deployment)",
        part: "request body",
        member: "/production_environment",
        message: "must be boolean",
      },
    ]);
  });

  it("names a query parameter the operation does not declare, and a value of the wrong type", () => {
    const drifts = checkExchange({
      method: "GET",
      path: "/repos/acme/shop/issues/7/comments",
      query: "?per_page=100&state=open&page=two",
      status: 200,
      responseBody: [],
    });
    expect(drifts).toEqual([
      {
        operation: LIST_COMMENTS,
        part: "query",
        member: "state",
        message: "is not a query parameter of this operation",
      },
      { operation: LIST_COMMENTS, part: "query", member: "page", message: "must be integer" },
    ]);
  });

  it("names a response member that is required but missing", () => {
    const { user: _user, ...withoutUser } = comment();
    const drifts = checkExchange(createComment({ body: "Deployed." }, withoutUser));
    expect(drifts).toEqual([
      {
        operation: CREATE_COMMENT,
        part: "response 201",
        member: "/user",
        message: "is required but missing",
      },
    ]);
  });

  it("names a response member of the wrong type or format, nested and in a list", () => {
    const drifts = checkExchange({
      method: "GET",
      path: "/repos/acme/shop/issues/7/comments",
      status: 200,
      responseBody: [
        comment(),
        comment({ id: "2", user: { ...user(), site_admin: "no" }, created_at: "today" }),
      ],
    });
    expect(members(drifts).sort()).toEqual([
      "response 200 /1/created_at",
      "response 200 /1/id",
      "response 200 /1/user/site_admin",
    ]);
    expect(drifts.find((d) => d.member === "/1/id")?.message).toBe("must be integer");
  });

  it("follows the schema as written: open objects may carry more, nullable members may be null", () => {
    expect(checkExchange(createComment({ body: "x" }, comment({ reactions_total: 3, user: null })))).toEqual(
      [],
    );
  });

  it("reports a member beyond a closed object's properties", () => {
    // GitHub answers creating an organisation's variable with an empty, closed object.
    const exchange = (responseBody: unknown): Exchange => ({
      method: "POST",
      path: "/orgs/acme/actions/variables",
      requestBody: JSON.stringify({ name: "REGION", value: "eu-west-1", visibility: "all" }),
      status: 201,
      responseBody,
    });
    expect(checkExchange(exchange({}))).toEqual([]);
    expect(checkExchange(exchange({ name: "REGION" }))).toEqual([
      {
        operation: "POST /orgs/{org}/actions/variables (actions/create-org-variable)",
        part: "response 201",
        member: "/name",
        message: "is not among the properties of this closed object",
      },
    ]);
  });

  it("turns OpenAPI's nullable into JSON Schema, and closes request objects only when asked", () => {
    expect(toJsonSchema({ type: "string", nullable: true, description: "a name", example: "x" })).toEqual({
      type: ["string", "null"],
    });
    expect(toJsonSchema({ enum: ["a", "b"], nullable: true })).toEqual({
      anyOf: [{ enum: ["a", "b", null] }, { type: "null" }],
    });
    expect(toJsonSchema({ allOf: [{ type: "object" }], nullable: true })).toEqual({
      anyOf: [{ allOf: [{ type: "object" }] }, { type: "null" }],
    });
    const body = {
      type: "object",
      properties: { description: { type: "string", description: "kept: a member" } },
    };
    expect(toJsonSchema(body)).toEqual({ type: "object", properties: { description: { type: "string" } } });
    expect(toJsonSchema(body, true)).toMatchObject({ additionalProperties: false });
  });

  it("names a path no operation has, and a 2xx status the operation does not document", () => {
    expect(
      checkExchange({ method: "GET", path: "/repos/acme/shop/deploys", status: 200, responseBody: [] }),
    ).toEqual([
      {
        operation: "GET /repos/acme/shop/deploys",
        part: "path",
        member: "/repos/acme/shop/deploys",
        message: "matches no operation in GitHub's REST API description",
      },
    ]);
    const drifts = checkExchange({ ...createComment({ body: "x" }), status: 200 });
    expect(members(drifts)).toEqual(["response 200 "]);
  });

  it("matches the most literal template, and multi-segment parameters", () => {
    // /issues/comments is its own operation, not issue number "comments".
    expect(
      checkExchange({
        method: "GET",
        path: "/repos/acme/shop/issues/comments",
        status: 200,
        responseBody: [],
      }),
    ).toEqual([]);
    const ref = checkExchange({
      method: "GET",
      path: "/repos/acme/shop/git/ref/heads/main",
      status: 200,
      responseBody: {},
    });
    expect(ref.map((d) => d.operation)).toContain("GET /repos/{owner}/{repo}/git/ref/{ref} (git/get-ref)");
  });

  it("leaves an off-spec answer alone but still checks its request", () => {
    const drifts = checkExchange({ ...createComment({ body: 1 }, { message: "Injected" }), offSpec: true });
    expect(members(drifts)).toEqual(["request body /body"]);
  });
});

describe("the fake GitHub's check of every exchange", () => {
  let fake: FakeGitHub | undefined;
  afterEach(async () => {
    await fake?.close();
    fake = undefined;
  });

  it("keeps the drifts of its exchanges, for the test to fail with", async () => {
    fake = await startFakeGitHub();
    fake.route("GET", /^\/repos\/acme\/shop\/releases\/latest$/, () => ({
      status: 200,
      body: { id: "one" },
    }));
    await fetch(`${fake.url}/repos/acme/shop/releases/latest?per_page=1`);
    const drifts = fake.openapiDrifts();
    expect(drifts.map((d) => `${d.operation} ${d.part} ${d.member}`)).toEqual(
      expect.arrayContaining([
        "GET /repos/{owner}/{repo}/releases/latest (repos/get-latest-release) query per_page",
        "GET /repos/{owner}/{repo}/releases/latest (repos/get-latest-release) response 200 /id",
        "GET /repos/{owner}/{repo}/releases/latest (repos/get-latest-release) response 200 /tag_name",
      ]),
    );
    // What test/vitest.setup.ts does after each test: fail it, listing the drifts.
    expect(() => assertNoUnreportedDrifts()).toThrow(
      /repos\/get-latest-release.*response 200 \/id: must be integer/,
    );
    expect(takeUnreportedDrifts()).toEqual([]);
  });

  it("answers as GitHub's description has it", async () => {
    fake = await startFakeGitHub();
    const post = (path: string, body: unknown) =>
      fetch(`${fake?.url}/repos/acme/shop${path}`, { method: "POST", body: JSON.stringify(body) });
    await post("/issues/7/comments", { body: "hello" });
    await post("/issues", { title: "Incident", body: "b", labels: ["incident"] });
    await post("/releases", { tag_name: "v1.0.0", draft: true });
    await post("/releases", { tag_name: "v1.0.0" });
    const deployment = (await (await post("/deployments", { ref: "main", environment: "prod" })).json()) as {
      id: number;
    };
    await post(`/deployments/${deployment.id}/statuses`, { state: "success" });
    for (const path of [
      "/issues/7/comments",
      "/issues?state=open",
      "/releases",
      "/deployments",
      "/releases/tags/v1.0.0",
    ]) {
      await fetch(`${fake.url}/repos/acme/shop${path}`);
    }
    expect(fake.openapiDrifts()).toEqual([]);
  });

  it("leaves an injected fault's answer alone when it is marked off-spec", async () => {
    fake = await startFakeGitHub();
    fake.faults.push({
      method: "POST",
      path: /\/issues\/7\/comments$/,
      status: 201,
      times: 1,
      body: {},
      offSpec: true,
    });
    await fetch(`${fake.url}/repos/acme/shop/issues/7/comments`, { method: "POST", body: '{"body":"x"}' });
    expect(fake.openapiDrifts()).toEqual([]);
    fake.faults.push({ method: "POST", path: /\/issues\/7\/comments$/, status: 201, times: 1, body: {} });
    await fetch(`${fake.url}/repos/acme/shop/issues/7/comments`, { method: "POST", body: '{"body":"x"}' });
    expect(fake.openapiDrifts().map((d) => d.member)).toContain("/user");
    takeUnreportedDrifts();
  });

  it("fails with nothing when nothing drifted", () => {
    recordDrifts([]);
    expect(() => assertNoUnreportedDrifts()).not.toThrow();
  });
});
