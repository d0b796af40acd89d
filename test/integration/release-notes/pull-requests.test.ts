// Batched pull-request lookups through the GraphQL fake, over a real repository with many PRs.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createGitHubClient } from "../../../packages/core/src/github/client";
import {
  type CommitOnGitHub,
  lookUpPullRequests,
  mergingPullRequest,
  type PullRequestInfo,
} from "../../../packages/core/src/release-notes/pull-requests";
import { SimulatedClock } from "../../../packages/core/src/runtime/clock";
import { isUserError } from "../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { type GraphQLFake, installGraphQL } from "../../rig/fake-github-graphql";
import { TestRepo } from "../../rig/git-repo";
import { alice, bob, dependabot } from "./fixtures";

let repo: TestRepo;
let shas: string[];
let fake: FakeGitHub;
let graphqlFake: GraphQLFake;
let logger: RecordingLogger;
let clock: SimulatedClock;
const target = { owner: "acme", repo: "shop" };

beforeAll(() => {
  repo = TestRepo.create();
  repo.commit("chore: start");
  repo.squashManyPullRequests({ count: 230, firstNumber: 1, authors: [alice, bob, dependabot] });
  shas = repo.git(["rev-list", "--reverse", "HEAD"]).split("\n").slice(1);
});
afterAll(() => repo.remove());
beforeEach(async () => {
  fake = await startFakeGitHub();
  graphqlFake = installGraphQL(fake, {
    repoDir: repo.dir,
    pullRequests: repo.pullRequests,
    people: repo.people,
  });
  logger = new RecordingLogger();
  clock = new SimulatedClock();
});
afterEach(() => fake.close());

const client = () => createGitHubClient("ghs_token", { logger, baseUrl: fake.url });

describe("pull-request lookup", () => {
  it("asks for up to 100 commits per query and finds each commit's PR", async () => {
    const result = await lookUpPullRequests(client(), target, shas, { logger, clock });
    expect(graphqlFake.requests.map((r) => r.objects)).toEqual([100, 100, 30]);
    expect(result.requests).toBe(3);
    expect(result.commits.size).toBe(230);
    const first = result.commits.get(shas[0] as string);
    expect(first?.pullRequests.map((pr) => [pr.number, pr.author?.login])).toEqual([[1, "alice"]]);
    expect(first?.authorLogin).toBe("alice");
    const bot = result.commits.get(shas[2] as string);
    expect(bot?.pullRequests[0]?.author).toEqual({ login: "dependabot", bot: true });
    expect(bot?.pullRequests[0]?.labels).toEqual([]);
  });

  it("splits a batch GitHub times out on, down to what it can answer, and keeps that size", async () => {
    graphqlFake.setFailAbove(30);
    const result = await lookUpPullRequests(client(), target, shas.slice(0, 130), { logger, clock });
    expect(graphqlFake.requests.map((r) => `${r.objects}:${r.status}`)).toEqual([
      "100:502",
      "50:502",
      "25:200",
      "25:200",
      "25:200",
      "25:200",
      "25:200",
      "5:200",
    ]);
    expect(result).toMatchObject({ requests: 8, splits: 2 });
    expect(result.commits.size).toBe(130);
    expect(clock.sleeps).toEqual([]);
  });

  it("retries a failing query with backoff on the injected clock", async () => {
    fake.faults.push({ path: /^\/graphql$/, status: 500, times: 2 });
    const result = await lookUpPullRequests(client(), target, shas.slice(0, 10), { logger, clock });
    expect(result.commits.size).toBe(10);
    expect(clock.sleeps).toEqual([1000, 2000]);
    expect(logger.text("info")).toContain("retrying in 1s (attempt 2/3)");
  });

  it("gives up after the attempts when one commit keeps timing out", async () => {
    graphqlFake.setFailAbove(0);
    await expect(
      lookUpPullRequests(client(), target, shas.slice(0, 2), { logger, clock }),
    ).rejects.toMatchObject({
      status: 502,
    });
    // 2 -> split into 1 + 1; the first single one is tried three times.
    expect(graphqlFake.requests.map((r) => r.objects)).toEqual([2, 1, 1, 1]);
  });

  it("says which permission is missing when GitHub refuses", async () => {
    fake.faults.push({ path: /^\/graphql$/, status: 401, times: 1, body: { message: "Bad credentials" } });
    const error = await lookUpPullRequests(client(), target, shas.slice(0, 1), { logger, clock }).catch(
      (e) => e,
    );
    expect(isUserError(error)).toBe(true);
    expect(String(error.fix)).toContain("pull-requests: read");
  });

  it("returns no pull request for a commit GitHub does not know", async () => {
    const unknown = "f".repeat(40);
    const result = await lookUpPullRequests(client(), target, [unknown], { logger, clock });
    expect(result.commits.get(unknown)).toEqual({ sha: unknown, authorLogin: undefined, pullRequests: [] });
  });
});

describe("the PR that merged a commit", () => {
  const pr = (
    number: number,
    merged: boolean,
    mergeCommitSha?: string,
    mergedAt?: string,
  ): PullRequestInfo => ({
    number,
    title: `#${number}`,
    url: "",
    merged,
    mergedAt,
    author: undefined,
    labels: [],
    mergeCommitSha,
  });
  const sha = "a".repeat(40);
  it.each([
    [
      "the one whose merge commit it is",
      [pr(1, true, "b".repeat(40), "2025-01-01"), pr(2, true, sha, "2025-02-01")],
      2,
    ],
    [
      "the earliest merged one otherwise",
      [pr(3, true, undefined, "2025-03-01"), pr(4, true, undefined, "2025-01-01")],
      4,
    ],
    ["never an open one", [pr(5, false), pr(6, true, undefined, "2025-01-01")], 6],
    ["none when none merged", [pr(7, false)], undefined],
  ])("%s", (_, pullRequests, expected) => {
    const commit: CommitOnGitHub = { sha, authorLogin: undefined, pullRequests };
    expect(mergingPullRequest(commit)?.number).toBe(expected);
  });
});
