// The shop repository the release-notes tests share: a real git history with every way a change
// reaches main, built with the git CLI (same script, same shas).
import { type Person, TestRepo } from "../../rig/git-repo";

export const alice: Person = { name: "Alice Archer", email: "alice@acme.test", login: "alice" };
export const bob: Person = { name: "Bob Baker", email: "bob@users.noreply.acme.test", login: "bob" };
export const carol: Person = { name: "Carol Chen", email: "carol@example.test", login: "carol" };
export const dependabot: Person = {
  name: "dependabot[bot]",
  email: "49699333+dependabot[bot]@users.noreply.github.com",
  login: "dependabot",
  bot: true,
};
export const outsider: Person = { name: "Dana Doe", email: "dana@example.test" };

export interface ShopRepo {
  repo: TestRepo;
  /** Pull request and commit shas by name, for assertions. */
  shas: Record<string, string>;
}

/**
 * v1.0.0 .. v1.4.0: earlier work by mona, alice and bob; v1.4.1: a hotfix on a branch off v1.4.0;
 * v1.4.0 .. v1.5.0: a merge-commit PR, a squash PR, a rebase PR by a first-time contributor, direct
 * commits, a breaking change, a dependency bump by a bot, a PR reverted by GitHub's revert PR, a
 * direct commit reverted with git revert, an excluded PR, a non-conventional title, and v1.5.0-rc.1
 * in the middle.
 */
export function buildShopRepo(): ShopRepo {
  const repo = TestRepo.create();
  const shas: Record<string, string> = {};
  repo.commit("chore: initial commit");
  repo.tag("v1.0.0");
  repo.squashPullRequest({
    number: 1,
    title: "feat: add the cart",
    author: alice,
    commits: [{ message: "feat: add the cart" }],
  });
  repo.mergeCommitPullRequest({
    number: 2,
    title: "fix: round prices to cents",
    author: bob,
    commits: [{ message: "fix: round prices" }],
  });
  repo.tag("v1.4.0");

  // A hotfix released from a branch: not reachable from v1.5.0.
  repo.git(["checkout", "-q", "-b", "release-1.4", "v1.4.0"]);
  repo.commit({ message: "fix: hotfix for the checkout total", author: bob });
  repo.tag("v1.4.1");
  repo.git(["checkout", "-q", "main"]);

  shas.pr10 = repo.mergeCommitPullRequest({
    number: 10,
    title: "feat(api): add pagination to orders",
    author: alice,
    labels: ["enhancement"],
    commits: [
      { message: "feat(api): page through orders" },
      { message: "test: cover pagination\n\nRefs ABC-42" },
    ],
  }).landed[0] as string;
  shas.pr11 = repo.squashPullRequest({
    number: 11,
    title: "fix: handle empty carts at checkout (#7)",
    author: bob,
    labels: ["bug"],
    commits: [{ message: "fix: handle empty carts" }],
  }).landed[0] as string;
  shas.pr12 = repo.rebasePullRequest({
    number: 12,
    title: "perf: cache price lookups",
    author: carol,
    commits: [{ message: "perf: cache price lookups" }, { message: "perf: expire the price cache hourly" }],
  }).landed[0] as string;
  shas.docs = repo.commit({ message: "docs: describe the release process", author: outsider });
  shas.pr13 = repo.squashPullRequest({
    number: 13,
    title: "feat!: drop the v1 checkout API",
    author: alice,
    commits: [
      {
        message:
          "feat!: drop the v1 checkout API\n\nBREAKING CHANGE: clients must call /v2/checkout; see ABC-50.",
      },
    ],
  }).landed[0] as string;
  repo.tag("v1.5.0-rc.1");
  shas.pr14 = repo.squashPullRequest({
    number: 14,
    title: "build(deps): bump express from 4.18.0 to 4.19.2",
    author: dependabot,
    labels: ["dependencies"],
    commits: [{ message: "build(deps): bump express from 4.18.0 to 4.19.2" }],
  }).landed[0] as string;
  shas.pr15 = repo.squashPullRequest({
    number: 15,
    title: "feat: gift cards",
    author: bob,
    commits: [{ message: "feat: gift cards" }],
  }).landed[0] as string;
  shas.pr16 = repo.squashPullRequest({
    number: 16,
    title: 'Revert "feat: gift cards"',
    author: alice,
    commits: [{ message: `Revert "feat: gift cards"\n\nThis reverts commit ${shas.pr15}.` }],
    squashBody: "Reverts acme/shop#15",
  }).landed[0] as string;
  shas.typo = repo.commit("fix: typo in the footer");
  shas.typoRevert = repo.revert(shas.typo);
  shas.pr17 = repo.squashPullRequest({
    number: 17,
    title: "chore: tidy the CI workflow",
    author: bob,
    labels: ["skip-release-notes"],
    commits: [{ message: "chore: tidy the CI workflow" }],
  }).landed[0] as string;
  shas.pr18 = repo.squashPullRequest({
    number: 18,
    title: "Document the <OPS-7> runbook for #9",
    author: carol,
    labels: ["documentation"],
    commits: [{ message: "Document the runbook" }],
  }).landed[0] as string;
  repo.tag("v1.5.0");
  shas.v150 = repo.head();
  return { repo, shas };
}

export const SHOP_CONFIG = `# shipline release notes
issue-keys:
  - prefixes: [ABC, OPS]
    url: https://acme.atlassian.net/browse/{key}
`;
