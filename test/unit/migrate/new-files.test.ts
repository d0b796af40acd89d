// Which files are new: the base a pull request, a tag push or a branch push compares with, and the
// files added since it, on real git repositories.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { UserError } from "../../../packages/core/src/errors";
import { filesAddedSince, gitIn, resolveBaseRef } from "../../../packages/core/src/migrations/new-files";

const env = {
  ...process.env,
  GIT_AUTHOR_NAME: "T",
  GIT_AUTHOR_EMAIL: "t@example.com",
  GIT_COMMITTER_NAME: "T",
  GIT_COMMITTER_EMAIL: "t@example.com",
};
const run = (dir: string, ...args: string[]): string =>
  execFileSync("git", args, { cwd: dir, env, encoding: "utf8" }).trim();

function commit(dir: string, files: Record<string, string>, message = "change"): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  run(dir, "add", "-A");
  run(dir, "commit", "-q", "-m", message);
  return run(dir, "rev-parse", "HEAD");
}

function repo(): string {
  const dir = mkdtempSync(join(tmpdir(), "shipline-new-files-"));
  run(dir, "init", "-q", "-b", "main");
  return dir;
}

describe("resolveBaseRef and filesAddedSince", () => {
  it("uses the merge base with a pull request's base, so files merged to main meanwhile are not new", async () => {
    const dir = repo();
    const fork = commit(dir, { "db/V1__a.sql": "x" });
    run(dir, "checkout", "-q", "-b", "feature");
    commit(dir, { "db/V3__c.sql": "x", "db/V1__a.sql": "edited" });
    run(dir, "checkout", "-q", "main");
    const mainHead = commit(dir, { "db/V2__b.sql": "x" });
    run(dir, "checkout", "-q", "feature");
    const git = gitIn(dir);
    const base = await resolveBaseRef(git, undefined, {
      eventName: "pull_request",
      ref: "refs/pull/7/merge",
      payload: { pull_request: { base: { sha: mainHead, ref: "main" } } },
    });
    expect(base?.commit).toBe(fork);
    expect([...(await filesAddedSince(git, base?.commit ?? ""))]).toEqual([join(dir, "db/V3__c.sql")]);
  });

  it("uses the previous tag for a tag push, and none for the first tag", async () => {
    const dir = repo();
    commit(dir, { a: "1" });
    run(dir, "tag", "v1.0.0");
    const v1 = run(dir, "rev-parse", "v1.0.0");
    commit(dir, { b: "1" });
    run(dir, "tag", "v1.1.0");
    const git = gitIn(dir);
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
    const dir = repo();
    const before = commit(dir, { a: "1" });
    commit(dir, { b: "1" });
    const git = gitIn(dir);
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
    const dir = repo();
    const first = commit(dir, { a: "1" });
    run(dir, "branch", "release");
    commit(dir, { b: "1" });
    const git = gitIn(dir);
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
