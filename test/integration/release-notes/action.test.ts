// The committed release-notes bundle, run as the runner runs it, against real git repositories and
// the GitHub fake (REST releases, GraphQL pull requests). Rebuild it first: npm run build -- release-notes.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { type GraphQLFake, hideDraftsFromTagLookup, installGraphQL } from "../../rig/fake-github-graphql";
import { TestRepo } from "../../rig/git-repo";
import { type ActionRun, everythingPrinted, type RunActionOptions, runAction } from "../../rig/harness";
import { alice, bob, buildShopRepo, carol, SHOP_CONFIG, type ShopRepo } from "./fixtures";

const TOKEN = "ghs_releaseNotesTestToken0123456789";
const DIGEST = `sha256:${"ab12".repeat(16)}`;
const PREVIOUS_DIGEST = `sha256:${"cd34".repeat(16)}`;
const TASK_DEFINITION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:42";
const PREVIOUS_TASK_DEFINITION = "arn:aws:ecs:eu-west-1:123456789012:task-definition/shop-web:41";
const DEPLOYMENT_INPUTS = {
  image: `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@${DIGEST}`,
  digest: DIGEST,
  "task-definition-arn": TASK_DEFINITION,
  "previous-task-definition-arn": PREVIOUS_TASK_DEFINITION,
  migrations: JSON.stringify([
    { file: "migrations/20250101_add_gift_card_table.sql", destructive: false, statements: 2 },
    { file: "migrations/20250102_drop_legacy_checkout.sql", destructive: true, statements: 1 },
  ]),
  verdict: "pass",
  "rollback-action": "acme-platform/shipline/actions/auto-rollback@v1",
  "rollback-with": "cluster=prod\nservice=shop-web",
};

let shop: ShopRepo;
let fake: FakeGitHub;
let graphqlFake: GraphQLFake;

beforeAll(() => {
  shop = buildShopRepo();
  mkdirSync(join(shop.repo.dir, ".github"), { recursive: true });
  writeFileSync(join(shop.repo.dir, ".github", "shipline-release.yml"), SHOP_CONFIG);
});
afterAll(() => shop.repo.remove());

function attach(repo: TestRepo, options: { failAbove?: number } = {}): void {
  graphqlFake = installGraphQL(fake, {
    repoDir: repo.dir,
    pullRequests: repo.pullRequests,
    people: repo.people,
    ...(options.failAbove === undefined ? {} : { failAbove: options.failAbove }),
  });
  hideDraftsFromTagLookup(fake);
}

beforeEach(async () => {
  fake = await startFakeGitHub();
  attach(shop.repo);
});
afterEach(() => fake.close());

function releaseNotes(
  tag: string,
  options: RunActionOptions = {},
  workspace = shop.repo.dir,
): Promise<ActionRun> {
  return runAction("release-notes", {
    ...options,
    workspace,
    inputs: { "github-token": TOKEN, ...options.inputs },
    env: { GITHUB_API_URL: fake.url, GITHUB_REF: `refs/tags/${tag}`, GITHUB_REF_NAME: tag, ...options.env },
  });
}

function releaseWrites(): string[] {
  return fake.calls
    .filter((call) => call.method !== "GET" && call.path.includes("/releases"))
    .map((call) => `${call.method} ${call.path.replace(/\d+$/, ":id")}`);
}

function expectSuccess(run: ActionRun): void {
  expect(run.errors, run.stdout).toEqual([]);
  expect(run.exitCode).toBe(0);
}

function seedPreviousRelease(): void {
  fake.state.releases.push({
    id: 501,
    tag_name: "v1.4.0",
    name: "v1.4.0",
    body: `<!-- shipline:release-notes:start -->\nold notes\n<!-- shipline:release-notes:deployment {"image":"shop@${PREVIOUS_DIGEST}","digest":"${PREVIOUS_DIGEST}","taskDefinitionArn":"${PREVIOUS_TASK_DEFINITION}"} -->\n<!-- shipline:release-notes:end -->`,
    draft: false,
    prerelease: false,
    target_commitish: "main",
    html_url: "https://github.com/acme/shop/releases/tag/v1.4.0",
  });
}

describe("release-notes bundle", () => {
  it("creates the release as a draft, publishes it, and writes the expected body", async () => {
    seedPreviousRelease();
    const run = await releaseNotes("v1.5.0", { inputs: DEPLOYMENT_INPUTS });
    expectSuccess(run);
    const release = fake.state.releases.find((r) => r.tag_name === "v1.5.0");
    expect(release).toMatchObject({ draft: false, prerelease: false, name: "v1.5.0" });
    await expect(release?.body).toMatchFileSnapshot("__snapshots__/shop-v1.5.0-release-body.md.txt");
    expect(releaseWrites()).toEqual([
      "POST /repos/acme/shop/releases",
      "PATCH /repos/acme/shop/releases/:id",
    ]);
    const create = fake.calls.find((c) => c.method === "POST" && c.path.endsWith("/releases"));
    expect(create?.body).toMatchObject({ draft: true, target_commitish: shop.shas.v150 });
    const publish = fake.calls.find((c) => c.method === "PATCH");
    expect(publish?.body).toEqual({ draft: false, make_latest: "true" });

    expect(run.outputs["release-id"]).toBe(String(release?.id));
    expect(run.outputs["release-url"]).toBe("https://github.com/acme/shop/releases/tag/v1.5.0");
    expect(run.outputs["previous-tag"]).toBe("v1.4.0");
    expect(release?.body).toContain(run.outputs.notes?.trimEnd());
    const report = JSON.parse(run.outputs.report ?? "{}") as Record<string, unknown>;
    expect(report).toMatchObject({
      tag: "v1.5.0",
      previousTag: "v1.4.0",
      pullRequests: 6,
      directCommits: 1,
      reverted: [
        { revert: "#16", reverted: ["#15"] },
        { revert: shop.shas.typoRevert, reverted: [shop.shas.typo] },
      ],
      excluded: ["#17"],
      firstTimeContributors: ["carol", "Dana Doe"],
      graphqlRequests: 1,
      release: { created: true, changed: true, published: true, draft: false },
    });
    expect(run.summary).toContain("Release notes for v1.5.0");
    expect(run.summary).toContain("created and published");
    expect(everythingPrinted(run)).not.toContain(TOKEN);
  });

  it("still hands over the notes (outputs, summary) when GitHub refuses the release write", async () => {
    seedPreviousRelease();
    fake.faults.push({
      method: "POST",
      path: /\/releases$/,
      status: 403,
      times: 1,
      body: { message: "Resource not accessible by integration" },
    });
    const run = await releaseNotes("v1.5.0", { inputs: DEPLOYMENT_INPUTS });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(/GitHub refused to write the release of v1\.5\.0 \(HTTP 403\)/);
    expect(run.stdout).not.toContain("This is a bug in shipline");
    expect(fake.state.releases.find((r) => r.tag_name === "v1.5.0")).toBeUndefined();
    expect(run.outputs.notes).toContain("v1.4.0...v1.5.0");
    expect(run.outputs["previous-tag"]).toBe("v1.4.0");
    expect(run.outputs["release-url"]).toBe("");
    expect(JSON.parse(run.outputs.report ?? "{}")).toMatchObject({ tag: "v1.5.0", releaseWriteFailed: true });
    expect(run.summary).toContain("not written: the write failed");
    expect(run.summary).toContain(run.outputs.notes?.split("\n")[0]);
    expect(everythingPrinted(run)).not.toContain(TOKEN);
  });

  it("leaves one release after two runs, and the second run writes nothing", async () => {
    const first = await releaseNotes("v1.5.0", { inputs: DEPLOYMENT_INPUTS });
    expectSuccess(first);
    const callsAfterFirst = fake.calls.length;
    const second = await releaseNotes("v1.5.0", { inputs: DEPLOYMENT_INPUTS });
    expectSuccess(second);
    expect(fake.state.releases.filter((r) => r.tag_name === "v1.5.0")).toHaveLength(1);
    const secondCalls = fake.calls.slice(callsAfterFirst);
    expect(secondCalls.filter((c) => c.method !== "GET" && c.path !== "/graphql")).toEqual([]);
    expect(second.outputs).toEqual({
      ...first.outputs,
      report: expect.any(String),
    });
    expect(second.summary).toContain("unchanged");
  });

  it("keeps the text a person wrote outside the markers and regenerates only the section", async () => {
    expectSuccess(await releaseNotes("v1.5.0"));
    const release = fake.state.releases.find((r) => r.tag_name === "v1.5.0");
    if (!release) throw new Error("no release");
    // Edited in GitHub's web editor: CRLF line ends, an intro above and a note below.
    release.body = `## Highlights\r\n\r\nGift cards are back next release.\r\n\r\n${(release.body ?? "").replace(/\n/g, "\r\n")}\r\n\r\nThanks to the QA team!`;

    const unchanged = await releaseNotes("v1.5.0");
    expectSuccess(unchanged);
    expect(releaseWrites().filter((w) => w.startsWith("PATCH"))).toHaveLength(1); // the first run's publish

    const rerun = await releaseNotes("v1.5.0", { inputs: { verdict: "fail" } });
    expectSuccess(rerun);
    const body = release.body ?? "";
    expect(body.startsWith("## Highlights\r\n\r\nGift cards are back next release.")).toBe(true);
    expect(body.endsWith("Thanks to the QA team!")).toBe(true);
    expect(body.match(/<!-- shipline:release-notes:start -->/g)).toHaveLength(1);
    expect(body).toContain("| Health gate | **failed** |");
  });

  it("publishes a draft left by an interrupted run instead of creating a second release", async () => {
    fake.state.releases.push({
      id: 777,
      tag_name: "v1.5.0",
      name: "v1.5.0",
      body: null,
      draft: true,
      prerelease: false,
      target_commitish: shop.shas.v150 as string,
      html_url: "https://github.com/acme/shop/releases/tag/untagged-1",
    });
    const run = await releaseNotes("v1.5.0");
    expectSuccess(run);
    expect(fake.state.releases).toHaveLength(1);
    expect(fake.state.releases[0]).toMatchObject({ id: 777, draft: false });
    expect(releaseWrites()).toEqual(["PATCH /repos/acme/shop/releases/:id"]);
    expect(run.outputs["release-id"]).toBe("777");
  });

  it("writes only the step summary and the outputs in a dry run", async () => {
    const run = await releaseNotes("v1.5.0", { inputs: { "dry-run": "true" } });
    expectSuccess(run);
    expect(releaseWrites()).toEqual([]);
    expect(fake.state.releases).toEqual([]);
    expect(run.outputs["release-url"]).toBe("");
    expect(run.outputs.notes).toContain("## Breaking changes");
    expect(run.summary).toContain("(dry run)");
    expect(run.summary).toContain("<details open><summary>Notes</summary>");
    expect(run.summary).toContain("drop the v1 checkout API");
  });

  it("marks a release candidate as a pre-release, compared with the tag before it, not the latest", async () => {
    const run = await releaseNotes("v1.5.0-rc.1");
    expectSuccess(run);
    expect(run.outputs["previous-tag"]).toBe("v1.4.0");
    expect(fake.state.releases[0]).toMatchObject({ tag_name: "v1.5.0-rc.1", prerelease: true, draft: false });
    expect(fake.calls.find((c) => c.method === "PATCH")?.body).toMatchObject({ make_latest: "false" });
    expect(run.outputs.notes).toContain("drop the v1 checkout API");
    expect(run.outputs.notes).not.toContain("bump express");
  });

  it("does not mark a hotfix of an older line as the latest release", async () => {
    const run = await releaseNotes("v1.4.1");
    expectSuccess(run);
    expect(run.outputs["previous-tag"]).toBe("v1.4.0");
    expect(fake.calls.find((c) => c.method === "PATCH")?.body).toMatchObject({ make_latest: "false" });
    expect(run.outputs.notes).toContain("hotfix for the checkout total");
  });

  it("writes a first release from the root commit", async () => {
    const run = await releaseNotes("v1.0.0");
    expectSuccess(run);
    expect(run.outputs["previous-tag"]).toBe("");
    expect(run.outputs.notes).toContain("initial commit");
    expect(run.outputs.notes).toContain(
      "**Full history**: [v1.0.0](https://github.com/acme/shop/commits/v1.0.0)",
    );
  });

  it("refuses a previous tag that is not an ancestor, and writes nothing", async () => {
    const run = await releaseNotes("v1.5.0", { inputs: { "previous-tag": "v1.4.1" } });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toContain("v1.4.1 is not an ancestor of v1.5.0");
    expect(fake.calls).toEqual([]);
  });

  it.each([
    ["a tag that is not a version", "nightly", {}, /Input `tag`: "nightly" is not a semantic version tag/],
    [
      "a tag missing from the checkout",
      "v9.9.9",
      { "fetch-history": "false" },
      /v9.9.9 is not a tag of the checkout/,
    ],
    [
      "an image and a digest that do not match",
      "v1.5.0",
      { image: `shop@${DIGEST}`, digest: `sha256:${"0".repeat(64)}` },
      /Input `digest`: .* is not the digest of the image/,
    ],
    [
      "a malformed migrations list",
      "v1.5.0",
      { migrations: '[{"destructive": true}]' },
      /Input `migrations`: .*has no "file"/,
    ],
    [
      "an unknown configuration key",
      "v1.5.0",
      { "config-file": "bad.yml" },
      /bad.yml: categorys: is not a known key/,
    ],
    [
      "a working directory that does not exist",
      "v1.5.0",
      { "working-directory": "services/missing" },
      /^Input `working-directory`: services\/missing does not exist in the workspace/,
    ],
    [
      "a working directory that is a file",
      "v1.5.0",
      { "working-directory": "bad.yml" },
      /^Input `working-directory`: bad.yml does not exist in the workspace, or is not a directory/,
    ],
    [
      "an empty github-token (a secret that is not set)",
      "v1.5.0",
      { "github-token": "" },
      /^Input `github-token`: is empty/,
    ],
  ])("refuses %s before any GitHub call", async (_, tag, inputs, message) => {
    writeFileSync(join(shop.repo.dir, "bad.yml"), "categorys: []\n");
    const run = await releaseNotes(tag, { inputs });
    expect(run.exitCode).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]?.message).toMatch(message);
    expect(fake.calls).toEqual([]);
  });
});

describe("release-notes bundle on a shallow clone", () => {
  it("says the checkout is shallow, fetches the full history, and writes the same notes", async () => {
    const full = await releaseNotes("v1.5.0", { inputs: { "dry-run": "true", "config-file": "none.yml" } });
    expectSuccess(full);
    const clone = shop.repo.shallowClone("v1.5.0");
    const run = await releaseNotes(
      "v1.5.0",
      { inputs: { "dry-run": "true", "config-file": "none.yml" } },
      clone,
    );
    expectSuccess(run);
    expect(run.annotations.some((a) => a.level === "warning" && /shallow/.test(a.message))).toBe(true);
    expect(run.outputs.notes).toBe(full.outputs.notes);
  });

  it("asks for fetch-depth: 0 when it may not fetch", async () => {
    const clone = shop.repo.shallowClone("v1.5.0");
    const run = await releaseNotes("v1.5.0", { inputs: { "fetch-history": "false" } }, clone);
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]?.message).toContain("The checkout is shallow");
    expect(run.errors[0]?.message).toContain("fetch-depth: 0");
    expect(fake.calls).toEqual([]);
  });
});

describe("release-notes bundle on a large release", () => {
  let big: TestRepo;
  beforeAll(() => {
    big = TestRepo.create();
    big.commit("chore: start");
    big.tag("v2.0.0");
    big.squashManyPullRequests({ count: 250, firstNumber: 100, authors: [alice, bob, carol] });
    big.tag("v2.1.0");
  });
  afterAll(() => big.remove());

  it("recovers from GitHub timing out on a batch of 100 commits by halving it", async () => {
    await fake.close();
    fake = await startFakeGitHub();
    attach(big, { failAbove: 60 });
    const run = await releaseNotes("v2.1.0", {}, big.dir);
    expectSuccess(run);
    // 100 -> 502 -> 50 + 50, and the rest of the range in batches of 50.
    expect(graphqlFake.requests.map((r) => `${r.objects}:${r.status}`)).toEqual([
      "100:502",
      "50:200",
      "50:200",
      "50:200",
      "50:200",
      "50:200",
    ]);
    const report = JSON.parse(run.outputs.report ?? "{}") as Record<string, unknown>;
    expect(report).toMatchObject({ pullRequests: 250, graphqlRequests: 6, batchSplits: 1 });
    const body = fake.state.releases[0]?.body ?? "";
    for (const number of [100, 199, 200, 349]) expect(body).toContain(`/pull/${number})`);
  });
});
