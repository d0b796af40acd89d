// Release ranges read from real git repositories (built by the tests with the git CLI) and the pull
// requests the GitHub fake's GraphQL API serves for them.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHubClient } from "../../../packages/core/src/github/client";
import { Git } from "../../../packages/core/src/github/git";
import { type Change, groupChanges, organizeChanges } from "../../../packages/core/src/release-notes/changes";
import { defaultConfig, parseConfig } from "../../../packages/core/src/release-notes/config";
import { readRange } from "../../../packages/core/src/release-notes/history";
import { lookUpRange } from "../../../packages/core/src/release-notes/lookup";
import {
  parseTagPattern,
  previousVersionTag,
  versionOfTag,
  versionTags,
} from "../../../packages/core/src/release-notes/version-tags";
import { SimulatedClock } from "../../../packages/core/src/runtime/clock";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";
import { type FakeGitHub, startFakeGitHub } from "../../rig/fake-github";
import { installGraphQL } from "../../rig/fake-github-graphql";
import { MAINTAINER, TestRepo } from "../../rig/git-repo";
import { alice, bob, buildShopRepo, SHOP_CONFIG, type ShopRepo } from "./fixtures";

let shop: ShopRepo;
let fake: FakeGitHub;

beforeAll(async () => {
  shop = buildShopRepo();
  fake = await startFakeGitHub();
});
afterAll(async () => {
  await fake.close();
  shop.repo.remove();
});

async function notesFor(repo: TestRepo, from: string | undefined, to: string, config = defaultConfig) {
  const logger = new RecordingLogger();
  const git = new Git({ cwd: repo.dir, logger });
  const history = await readRange(git, from, to);
  const local = await startFakeGitHub();
  installGraphQL(local, { repoDir: repo.dir, pullRequests: repo.pullRequests, people: repo.people });
  try {
    const github = createGitHubClient("ghs_test", { logger, baseUrl: local.url });
    // The mainline commits, then the branch commits of merges no pull request made.
    const { commits: lookups } = await lookUpRange(github, { owner: "acme", repo: "shop" }, history, {
      logger,
      clock: new SimulatedClock(),
    });
    const changes = groupChanges(history, lookups);
    const previousAuthorEmails = from ? await git.authorEmails(from) : undefined;
    return {
      history,
      changes,
      organized: organizeChanges(changes, config, { previousAuthorEmails, lookups }),
    };
  } finally {
    await local.close();
  }
}

const keys = (changes: readonly Change[]): string[] =>
  changes.map((c) => (c.pullRequest ? `#${c.pullRequest.number}` : c.title));

describe("release range of the shop repository (v1.4.0..v1.5.0)", () => {
  it("makes one change per pull request whichever way it was merged, and one per direct commit", async () => {
    const { changes } = await notesFor(shop.repo, "v1.4.0", "v1.5.0");
    expect(keys(changes)).toEqual([
      "#10",
      "#11",
      "#12",
      "docs: describe the release process",
      "#13",
      "#14",
      "#15",
      "#16",
      "fix: typo in the footer",
      'Revert "fix: typo in the footer"',
      "#17",
      "#18",
    ]);
    const rebase = changes.find((c) => c.pullRequest?.number === 12);
    expect(rebase?.landing).toHaveLength(2);
    const merge = changes.find((c) => c.pullRequest?.number === 10);
    // The merge commit and the two commits of its branch.
    expect(merge?.commits).toHaveLength(3);
  });

  it("cancels a PR reverted by GitHub's revert PR and a commit reverted with git revert", async () => {
    const { organized } = await notesFor(shop.repo, "v1.4.0", "v1.5.0");
    expect(organized.reverts.map((pair) => [keys([pair.revert]), keys(pair.reverted)])).toEqual([
      [["#16"], ["#15"]],
      [['Revert "fix: typo in the footer"'], ["fix: typo in the footer"]],
    ]);
    const listed = organized.sections.flatMap((s) => keys(s.changes));
    expect(listed).not.toContain("#15");
    expect(listed).not.toContain("#16");
  });

  it("sorts breaking changes first, then features, fixes, performance, dependencies and other", async () => {
    const { organized } = await notesFor(shop.repo, "v1.4.0", "v1.5.0");
    expect(organized.sections.map((s) => [s.title, keys(s.changes)])).toEqual([
      ["Breaking changes", ["#13"]],
      ["Features", ["#10"]],
      ["Bug fixes", ["#11"]],
      ["Performance", ["#12"]],
      ["Dependencies", ["#14"]],
      ["Other changes", ["docs: describe the release process", "#18"]],
    ]);
    expect(organized.sections[0]?.changes[0]?.breakingNote).toBe(
      "clients must call /v2/checkout; see ABC-50.",
    );
    expect(keys(organized.excluded)).toEqual(["#17"]);
  });

  it("lists contributors without bots and singles out the first-time ones", async () => {
    const { organized } = await notesFor(shop.repo, "v1.4.0", "v1.5.0");
    expect(organized.contributors.map((c) => [c.login ?? c.name, c.firstTime])).toEqual([
      ["alice", false],
      ["bob", false],
      ["carol", true],
      ["Dana Doe", true],
    ]);
  });

  it("applies a configuration: categories by label win over types, excluded authors", async () => {
    const config = parseConfig(`
categories:
  - title: Docs
    labels: [documentation]
    types: [docs]
  - title: Features
    types: [feat]
exclude:
  authors: [dependabot]
`);
    const { organized } = await notesFor(shop.repo, "v1.4.0", "v1.5.0", config);
    expect(organized.sections.map((s) => [s.title, keys(s.changes)])).toEqual([
      ["Breaking changes", ["#13"]],
      ["Docs", ["docs: describe the release process", "#18"]],
      ["Features", ["#10"]],
      ["Other changes", ["#11", "#12"]],
    ]);
    expect(keys(organized.excluded)).toEqual(["#14", "#17"]);
    expect(parseConfig(SHOP_CONFIG).issueKeys[0]?.prefixes).toEqual(["ABC", "OPS"]);
  });
});

describe("previous tag", () => {
  const pattern = parseTagPattern("v*");
  async function previousOf(tag: string): Promise<string | undefined> {
    const git = new Git({ cwd: shop.repo.dir, logger: new RecordingLogger() });
    const sha = (await git.resolveCommit(`refs/tags/${tag}`)) as string;
    const version = versionOfTag(tag, pattern);
    if (!version) throw new Error(tag);
    return previousVersionTag({ name: tag, version }, versionTags(await git.tags(sha), pattern))?.name;
  }

  it.each([
    ["v1.5.0", "v1.4.0", "a stable release skips the release candidates and an unreachable hotfix"],
    ["v1.5.0-rc.1", "v1.4.0", "a release candidate follows the last tag before it"],
    ["v1.4.1", "v1.4.0", "a hotfix on a release branch"],
    ["v1.4.0", "v1.0.0", "the tag before it"],
    ["v1.0.0", undefined, "the first release has none"],
  ])("%s is compared with %s (%s)", async (tag, expected, _why) => {
    expect(await previousOf(tag)).toBe(expected);
  });

  it("a second release candidate is compared with the first", async () => {
    const repo = TestRepo.create();
    try {
      repo.commit("chore: start");
      repo.tag("v2.0.0-rc.1");
      repo.commit("fix: late fix");
      repo.tag("v2.0.0-rc.2");
      const git = new Git({ cwd: repo.dir, logger: new RecordingLogger() });
      const tags = versionTags(await git.tags("v2.0.0-rc.2"), pattern);
      const current = { name: "v2.0.0-rc.2", version: versionOfTag("v2.0.0-rc.2", pattern) as never };
      expect(previousVersionTag(current, tags)?.name).toBe("v2.0.0-rc.1");
    } finally {
      repo.remove();
    }
  });
});

describe("other histories", () => {
  it("reads a first release from the root commit", async () => {
    const { history, organized } = await notesFor(shop.repo, undefined, "v1.0.0");
    expect(history.commits.size).toBe(1);
    expect(organized.sections.map((s) => keys(s.changes))).toEqual([["chore: initial commit"]]);
    // On a first release everybody is new, so nobody is singled out.
    expect(organized.contributors.every((c) => !c.firstTime)).toBe(true);
  });

  it("lists the pull requests a merge without a PR (a release branch merged back) brought in", async () => {
    const repo = TestRepo.create();
    try {
      repo.commit("chore: start");
      repo.tag("v1.0.0");
      repo.git(["checkout", "-q", "-b", "release-1.0"]);
      // A PR into the release branch, squash-merged there.
      repo.git(["checkout", "-q", "-b", "pr-3"]);
      repo.commit({ message: "fix: patch the release", author: bob });
      repo.git(["checkout", "-q", "release-1.0"]);
      repo.git(["merge", "-q", "--squash", "pr-3"]);
      repo.git(["commit", "-q", "-m", "fix: patch the release (#3)"], { author: bob });
      const squash = repo.head();
      repo.pullRequests.push({
        number: 3,
        title: "fix: patch the release",
        author: bob,
        labels: [],
        commits: [],
        landed: [squash],
        mergeCommit: squash,
        merged: true,
        mergedAt: "2025-01-02T00:00:00Z",
      });
      repo.commit({ message: "chore: bump the version", author: MAINTAINER });
      repo.git(["checkout", "-q", "main"]);
      repo.commit({ message: "feat: on main meanwhile", author: alice });
      repo.git(["merge", "-q", "--no-ff", "-m", "Merge branch 'release-1.0'", "release-1.0"]);
      repo.tag("v1.1.0");
      const { organized } = await notesFor(repo, "v1.0.0", "v1.1.0");
      expect(organized.sections.flatMap((s) => keys(s.changes))).toEqual([
        "feat: on main meanwhile",
        "#3",
        "chore: bump the version",
      ]);
      expect(organized.contributors.map((c) => c.login ?? c.name)).toContain("bob");
    } finally {
      repo.remove();
    }
  });

  it("keeps a revert whose reverted change shipped in an earlier release", async () => {
    const repo = TestRepo.create();
    try {
      const old = repo.commit("feat: old feature");
      repo.tag("v1.0.0");
      repo.revert(old);
      repo.tag("v1.0.1");
      const { organized } = await notesFor(repo, "v1.0.0", "v1.0.1");
      expect(organized.reverts).toEqual([]);
      expect(organized.sections.flatMap((s) => keys(s.changes))).toEqual(['Revert "feat: old feature"']);
    } finally {
      repo.remove();
    }
  });
});
