// Which files are new: the base a pull request, a tag push or a branch push compares with, and the
// files added since it, on real git repositories.
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { filesAddedSince, gitIn, resolveBaseRef } from "../../../../packages/core/src/migrations/new-files";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { TestRepo } from "../../../rig/git-repo";

function newRepo(): TestRepo {
  const created = TestRepo.create("shipline-new-files-");
  onTestFinished(() => created.remove());
  return created;
}

describe("resolveBaseRef and filesAddedSince", () => {
  it("uses the merge base with a pull request's base, so files merged to main meanwhile are not new", async () => {
    const repo = newRepo();
    const fork = repo.commit({ message: "change", files: { "db/V1__a.sql": "x" } });
    repo.git(["checkout", "-q", "-b", "feature"]);
    repo.commit({ message: "change", files: { "db/V3__c.sql": "x", "db/V1__a.sql": "edited" } });
    repo.git(["checkout", "-q", "main"]);
    const mainHead = repo.commit({ message: "change", files: { "db/V2__b.sql": "x" } });
    repo.git(["checkout", "-q", "feature"]);
    const git = gitIn(repo.dir);
    const base = await resolveBaseRef(git, undefined, {
      eventName: "pull_request",
      ref: "refs/pull/7/merge",
      payload: { pull_request: { base: { sha: mainHead, ref: "main" } } },
    });
    expect(base?.commit).toBe(fork);
    expect([...(await filesAddedSince(git, base?.commit ?? ""))]).toEqual([join(repo.dir, "db/V3__c.sql")]);
  });

  it("uses the previous tag for a tag push, and none for the first tag", async () => {
    const repo = newRepo();
    repo.commit({ message: "change", files: { a: "1" } });
    repo.git(["tag", "v1.0.0"]);
    const v1 = repo.git(["rev-parse", "v1.0.0"]);
    repo.commit({ message: "change", files: { b: "1" } });
    repo.git(["tag", "v1.1.0"]);
    const git = gitIn(repo.dir);
    expect(
      await resolveBaseRef(git, undefined, { eventName: "push", ref: "refs/tags/v1.1.0", payload: {} }),
    ).toEqual({
      commit: v1,
      reason: "the previous tag v1.0.0",
    });
    expect(
      await resolveBaseRef(git, undefined, { eventName: "push", ref: "refs/tags/v1.0.0", payload: {} }),
    ).toBeUndefined();
  });

  it("uses the previous head of a branch push, but not a branch's first push", async () => {
    const repo = newRepo();
    const before = repo.commit({ message: "change", files: { a: "1" } });
    repo.commit({ message: "change", files: { b: "1" } });
    const git = gitIn(repo.dir);
    expect(
      (
        await resolveBaseRef(git, undefined, {
          eventName: "push",
          ref: "refs/heads/main",
          payload: { before },
        })
      )?.commit,
    ).toBe(before);
    expect(
      await resolveBaseRef(git, undefined, {
        eventName: "push",
        ref: "refs/heads/main",
        payload: { before: "0".repeat(40) },
      }),
    ).toBeUndefined();
  });

  it("prefers the base-ref input, and explains a ref the checkout lacks (a shallow clone)", async () => {
    const repo = newRepo();
    const first = repo.commit({ message: "change", files: { a: "1" } });
    repo.git(["branch", "release"]);
    repo.commit({ message: "change", files: { b: "1" } });
    const git = gitIn(repo.dir);
    expect(
      (await resolveBaseRef(git, "release", { eventName: "push", ref: undefined, payload: {} }))?.commit,
    ).toBe(first);
    const error = await resolveBaseRef(git, "origin/main", {
      eventName: "push",
      ref: undefined,
      payload: {},
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).fix).toMatch(/fetch-depth: 0/);
  });
});
