import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  createDeployment,
  createGitHubClient,
  githubApiUrl,
  marker,
  runUrl,
  setDeploymentStatus,
  upsertComment,
  upsertIssue,
} from "../../../../packages/core/src/github/client";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import { SHIPLINE_VERSION } from "../../../../packages/core/src/runtime/version";
import { type FakeGitHub, startFakeGitHub } from "../../../rig/fake-github";

let fake: FakeGitHub;
let logger: RecordingLogger;
const repo = { owner: "acme", repo: "shop" };

beforeEach(async () => {
  fake = await startFakeGitHub();
  logger = new RecordingLogger();
});
afterEach(() => fake.close());

function client() {
  return createGitHubClient("ghs_faketoken123", { logger, baseUrl: fake.url });
}

describe("GitHub client", () => {
  it("registers the token as a secret", () => {
    client();
    expect(logger.masked).toContain("ghs_faketoken123");
  });

  it("sends the token, and a user agent naming shipline and the job's orchestration id", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ id: 1 }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    vi.stubEnv("ACTIONS_ORCHESTRATION_ID", "run 42/job:7");
    try {
      const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const github = createGitHubClient("ghs_faketoken123", { logger, baseUrl });
      await github.rest.repos.get(repo);
      await github.graphql("query { viewer { login } }");
    } finally {
      vi.unstubAllEnvs();
      server.close();
    }
    expect(seen).toHaveLength(2);
    for (const headers of seen) {
      expect(headers.authorization).toBe("token ghs_faketoken123");
      expect(headers["user-agent"]).toMatch(
        new RegExp(
          `^shipline/${SHIPLINE_VERSION.replace(/\./g, "\\.")} actions_orchestration_id/run_42_job_7 octokit-core\\.js/`,
        ),
      );
    }
  });

  it("talks to GITHUB_API_URL, else to api.github.com", () => {
    expect(githubApiUrl({ GITHUB_API_URL: "https://ghe.example.com/api/v3" })).toBe(
      "https://ghe.example.com/api/v3",
    );
    expect(githubApiUrl({ GITHUB_API_URL: "" })).toBe("https://api.github.com");
    expect(githubApiUrl({})).toBe("https://api.github.com");
  });

  it("retries a 502 and succeeds", async () => {
    fake.faults.push({ method: "POST", path: /\/issues\/7\/comments$/, status: 502, times: 1 });
    const result = await upsertComment(client(), { ...repo, issueNumber: 7, key: "plan", body: "plan" });
    expect(result.created).toBe(true);
    expect(fake.calls.filter((c) => c.method === "POST").map((c) => c.status)).toEqual([502, 201]);
  });

  it("waits out a rate limit and retries", async () => {
    const reset = String(Math.ceil(Date.now() / 1000) + 1);
    fake.faults.push({
      path: /\/issues\/7\/comments$/,
      method: "GET",
      status: 403,
      times: 1,
      headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset },
      body: { message: "API rate limit exceeded" },
    });
    const result = await upsertComment(client(), { ...repo, issueNumber: 7, key: "plan", body: "plan" });
    expect(result.created).toBe(true);
    expect(logger.text("warning")).toMatch(/GitHub rate limit hit/);
  });
});

describe("upsertComment", () => {
  it("creates one comment, updates it on change, and leaves it alone when unchanged", async () => {
    const gh = client();
    const first = await upsertComment(gh, { ...repo, issueNumber: 3, key: "deploy-plan", body: "v1" });
    const second = await upsertComment(gh, { ...repo, issueNumber: 3, key: "deploy-plan", body: "v2" });
    const third = await upsertComment(gh, { ...repo, issueNumber: 3, key: "deploy-plan", body: "v2" });
    expect([first.created, second.created, third.created]).toEqual([true, false, false]);
    expect([second.changed, third.changed]).toEqual([true, false]);
    expect(fake.state.comments).toHaveLength(1);
    expect(fake.state.comments[0]?.body).toBe(`${marker("deploy-plan")}\nv2`);
  });

  it("finds its comment beyond the first page", async () => {
    for (let i = 0; i < 120; i++) {
      fake.state.comments.push({ id: i + 1, issue_number: 3, body: `chatter ${i}`, html_url: "" });
    }
    await upsertComment(client(), { ...repo, issueNumber: 3, key: "k", body: "a" });
    await upsertComment(client(), { ...repo, issueNumber: 3, key: "k", body: "b" });
    expect(fake.state.comments.filter((c) => c.body.includes(marker("k")))).toHaveLength(1);
  });
});

describe("upsertIssue", () => {
  it("opens one incident issue and updates it on a re-run", async () => {
    const gh = client();
    const a = await upsertIssue(gh, {
      ...repo,
      key: "incident:web",
      title: "Rollback of web",
      body: "first",
      labels: ["incident"],
    });
    const b = await upsertIssue(gh, {
      ...repo,
      key: "incident:web",
      title: "Rollback of web",
      body: "second",
      labels: ["incident"],
    });
    expect(a.created).toBe(true);
    expect(b).toMatchObject({ created: false, changed: true, number: a.number });
    expect(fake.state.issues).toHaveLength(1);
    expect(fake.state.issues[0]?.body).toContain("second");
  });
});

describe("deployments", () => {
  it("records a deployment and its statuses", async () => {
    const gh = client();
    const id = await createDeployment(gh, {
      ...repo,
      ref: "main",
      environment: "staging",
      description: "web to rev 7",
    });
    await setDeploymentStatus(gh, {
      ...repo,
      deploymentId: id,
      state: "in_progress",
      description: "rolling out",
    });
    await setDeploymentStatus(gh, { ...repo, deploymentId: id, state: "success", description: "stable" });
    expect(fake.state.deployments[0]).toMatchObject({ environment: "staging", ref: "main" });
    expect(fake.state.deployments[0]?.statuses.map((s) => s.state)).toEqual(["in_progress", "success"]);
  });

  it("links to the run, with the attempt when it is a re-run", () => {
    const env = { GITHUB_REPOSITORY: "acme/shop", GITHUB_RUN_ID: "42", GITHUB_RUN_ATTEMPT: "2" };
    expect(runUrl(env)).toBe("https://github.com/acme/shop/actions/runs/42/attempts/2");
  });
});

describe("GitHub request bodies", () => {
  it("go through the log's masking, whoever built them; the URL's own parameters stay", async () => {
    logger.secrets.add("db-password-123");
    const github = client();
    const deploymentId = await createDeployment(github, {
      ...repo,
      ref: "main",
      environment: "production",
      description: "deploy with db-password-123",
    });
    await setDeploymentStatus(github, {
      ...repo,
      deploymentId,
      state: "failure",
      description: "crashed: FATAL password db-password-123 rejected",
      environmentUrl: "https://ops:url-pw-456@shop.example.com/",
    });
    const call = fake.calls.find((c) => c.method === "POST" && c.path.endsWith("/statuses"));
    expect(call?.path).toBe(`/repos/acme/shop/deployments/${deploymentId}/statuses`);
    expect(call?.body).toMatchObject({
      description: "crashed: FATAL password *** rejected",
      environment_url: "https://ops:***@shop.example.com/",
    });
    expect(JSON.stringify(fake.calls)).not.toMatch(/db-password-123|url-pw-456/);
  });
});
