// GraphQL queries paced by GitHub's rate-limit headers, through the GitHub client against the fake
// (GraphQL over a real repository, with GitHub's headers and point costs): no fixed pause while the
// budget allows, a wait for the reset when it would not, a failure naming the token when the reset is
// too far, and GitHub's refusals for a rate limit waited out as told. Waits run on a simulated clock.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClient } from "../../../../packages/core/src/github/client";
import { lookUpPullRequests } from "../../../../packages/core/src/release-notes/pull-requests";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import { type FakeGitHub, startFakeGitHub } from "../../../rig/fake-github";
import { type GraphQLFakeOptions, installGraphQL } from "../../../rig/fake-github-graphql";
import { TestRepo } from "../../../rig/git-repo";

const target = { owner: "acme", repo: "shop" };
const author = { name: "Alice Archer", email: "alice@acme.test", login: "alice" };
let repo: TestRepo;
let shas: string[];
let fake: FakeGitHub | undefined;

beforeAll(() => {
  repo = TestRepo.create();
  repo.commit("chore: start");
  repo.squashManyPullRequests({ count: 300, firstNumber: 1, authors: [author] });
  shas = repo.git(["rev-list", "--reverse", "HEAD"]).split("\n").slice(1);
});
afterAll(() => repo.remove());
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

/** The fake's budget, given the simulated start time (whole seconds, as GitHub's reset header is). */
async function setup(rateLimit: (start: number) => GraphQLFakeOptions["rateLimit"] = () => ({})) {
  const start = Math.floor(Date.now() / 1000) * 1000;
  const clock = new SimulatedClock(start);
  const logger = new RecordingLogger();
  fake = await startFakeGitHub();
  const graphql = installGraphQL(fake, {
    repoDir: repo.dir,
    pullRequests: repo.pullRequests,
    people: repo.people,
    rateLimit: { now: () => clock.now(), ...rateLimit(start) },
  });
  const github = createGitHubClient("ghs_token", { logger, baseUrl: fake.url, clock });
  return { clock, logger, graphql, github, fake };
}

describe("GraphQL queries paced by the rate-limit headers", () => {
  it("sends queries back to back, not a second apart, while the budget allows", async () => {
    const { clock, github, fake: server } = await setup();
    const arrivals: number[] = [];
    server.route("POST", /^\/graphql-probe$/, () => ({ status: 200, body: {} }));
    const record = server.calls.push.bind(server.calls);
    server.calls.push = (...calls) => {
      arrivals.push(performance.now());
      return record(...calls);
    };
    const result = await lookUpPullRequests(github, target, shas.slice(0, 12), {
      logger: new RecordingLogger(),
      clock,
      batchSize: 1,
    });
    expect(result.commits.size).toBe(12);
    expect(clock.sleeps).toEqual([]);
    // Octokit's throttling spaces writes (and, before, every GraphQL request) 1 s apart: then no gap
    // between these twelve queries could be shorter. One is enough to show there is no such pause.
    const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] as number));
    expect(Math.min(...gaps)).toBeLessThan(900);
  });

  it("costs what GitHub charges: 6 points for 100 commits, so 300 commits spend 18", async () => {
    const { clock, graphql, github } = await setup();
    const result = await lookUpPullRequests(github, target, shas, { logger: new RecordingLogger(), clock });
    expect(graphql.requests.map((r) => r.cost)).toEqual([6, 6, 6]);
    expect(result.points).toBe(18);
  });

  it("waits for the reset when what is left would not pay for a query like the last one", async () => {
    const { clock, logger, graphql, github } = await setup((start) => ({
      limit: 12,
      resetAt: new Date(start + 120_000),
    }));
    const started = clock.now();
    const result = await lookUpPullRequests(github, target, shas, { logger: new RecordingLogger(), clock });
    expect(result.commits.size).toBe(300);
    // Two queries of 6 points spend the 12; the third waits for the reset instead of being refused.
    expect(graphql.requests.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(clock.now() - started).toBe(121_000);
    expect(logger.text("warning")).toMatch(/GraphQL budget is down to 0 points: waiting 2m1s/);
  });

  it("fails naming github-token when the budget resets too far ahead to wait for", async () => {
    const { clock, github, graphql } = await setup((start) => ({
      limit: 6,
      resetAt: new Date(start + 50 * 60_000),
    }));
    const error = await lookUpPullRequests(github, target, shas.slice(0, 200), {
      logger: new RecordingLogger(),
      clock,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).input).toBe("github-token");
    expect((error as UserError).message).toMatch(/rate limit for this token is spent: 0 points left/);
    expect(graphql.requests).toHaveLength(1);
    expect(clock.sleeps).toEqual([]);
  });

  it("waits out a RATE_LIMITED answer until the reset, then asks again", async () => {
    const { clock, graphql, github } = await setup((start) => ({
      limit: 10,
      remaining: 0,
      resetAt: new Date(start + 30_000),
    }));
    const result = await lookUpPullRequests(github, target, shas.slice(0, 10), {
      logger: new RecordingLogger(),
      clock,
    });
    expect(result.commits.size).toBe(10);
    expect(graphql.requests.map((r) => r.cost)).toEqual([0, 1]);
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30_000);
  });

  it("waits out a secondary rate limit for its retry-after", async () => {
    const { clock, logger, github, fake: server } = await setup();
    server.faults.push({
      path: /^\/graphql$/,
      status: 403,
      times: 1,
      headers: { "retry-after": "30" },
      body: {
        message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
      },
    });
    const result = await lookUpPullRequests(github, target, shas.slice(0, 5), {
      logger: new RecordingLogger(),
      clock,
    });
    expect(result.commits.size).toBe(5);
    expect(clock.sleeps).toEqual([30_000]);
    expect(logger.text("warning")).toContain("secondary rate limit hit: waiting 30s");
  });

  it("says it is the rate limit, not a permission, when the waits are used up", async () => {
    const { clock, github, fake: server } = await setup();
    server.faults.push({
      path: /^\/graphql$/,
      status: 403,
      times: 5,
      headers: { "retry-after": "10" },
      body: { message: "You have exceeded a secondary rate limit." },
    });
    const error = await lookUpPullRequests(github, target, shas.slice(0, 5), {
      logger: new RecordingLogger(),
      clock,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(/^GitHub's rate limit stopped the pull-request lookup/);
    expect(clock.sleeps).toEqual([10_000, 10_000]);
  });
});
