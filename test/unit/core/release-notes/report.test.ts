// The release-notes outcome as a value: the JSON report made from it, the release it leaves the
// notes on, and the phrase the log and summary use for the write.
import { describe, expect, it } from "vitest";
import { parseVersion } from "../../../../packages/core/src/docker/tags";
import type { GitCommit } from "../../../../packages/core/src/github/git";
import type { ReleaseRecord, ReleaseSectionResult } from "../../../../packages/core/src/github/release";
import type { Change, ReleaseChanges } from "../../../../packages/core/src/release-notes/changes";
import type { ReleaseRange } from "../../../../packages/core/src/release-notes/range";
import { type ReleaseWrite, releaseStatus } from "../../../../packages/core/src/release-notes/release";
import {
  buildReport,
  currentRelease,
  type ReleaseNotesOutcome,
} from "../../../../packages/core/src/release-notes/report";

const SHA = "1".repeat(40);
const DIRECT = "2".repeat(40);

function commit(sha: string, subject: string): GitCommit {
  return {
    sha,
    parents: [],
    authorName: "Alice",
    authorEmail: "a@x.test",
    authoredAt: "",
    subject,
    body: "",
  };
}

function change(key: string, title: string, pullRequest: boolean): Change {
  return {
    key,
    pullRequest: pullRequest
      ? {
          number: Number(key.slice(3)),
          title,
          url: `https://github.com/acme/shop/pull/${key.slice(3)}`,
          merged: true,
          mergedAt: undefined,
          author: { login: "alice", bot: false },
          labels: [],
          mergeCommitSha: undefined,
        }
      : undefined,
    title,
    header: undefined,
    breaking: false,
    breakingNote: undefined,
    labels: [],
    author: { login: pullRequest ? "alice" : undefined, name: "Alice", bot: false },
    landing: [],
    commits: [],
    order: 0,
  };
}

const feature = change("pr:12", "feat: gift cards", true);
const fix = change(`commit:${DIRECT}`, "fix: typo", false);
const revert = change("pr:14", 'Revert "feat: coupons"', true);
const reverted = change("pr:13", "feat: coupons", true);
const excluded = change("pr:15", "chore: ci", true);

const changes: ReleaseChanges = {
  sections: [
    { id: "0", title: "Features", changes: [feature] },
    { id: "other", title: "Other changes", changes: [fix] },
  ],
  reverts: [{ revert, reverted: [reverted] }],
  excluded: [excluded],
  contributors: [
    { login: "alice", name: "Alice", bot: false, firstTime: false, firstChange: feature },
    { login: undefined, name: "Dana Doe", bot: false, firstTime: true, firstChange: fix },
  ],
  listed: 2,
};

const range: ReleaseRange = {
  tag: "v1.5.0",
  tagSha: SHA,
  previous: {
    name: "v1.4.0",
    version: parseVersion("1.4.0") as NonNullable<ReturnType<typeof parseVersion>>,
  },
  previousSha: "3".repeat(40),
  history: {
    mainline: [commit(SHA, "feat: gift cards (#12)"), commit(DIRECT, "fix: typo")],
    commits: new Map([
      [SHA, commit(SHA, "feat: gift cards (#12)")],
      [DIRECT, commit(DIRECT, "fix: typo")],
      ["4".repeat(40), commit("4".repeat(40), "wip")],
    ]),
    branchCommits: new Map(),
  },
  latest: true,
};

const existing: ReleaseRecord = {
  id: 77,
  tagName: "v1.5.0",
  name: "v1.5.0",
  body: null,
  draft: true,
  prerelease: false,
  url: "https://github.com/acme/shop/releases/tag/untagged-1",
};

function outcome(write: ReleaseWrite, found: ReleaseRecord | undefined = undefined): ReleaseNotesOutcome {
  return {
    range,
    changes,
    notes: {
      markdown: "notes\n",
      omitted: 1,
      compareUrl: "https://github.com/acme/shop/compare/v1.4.0...v1.5.0",
    },
    lookup: { requests: 3, splits: 1 },
    configSource: ".github/shipline-release.yml",
    existing: found,
    write,
  };
}

function written(result: Partial<ReleaseSectionResult>): ReleaseWrite {
  return {
    status: "written",
    result: {
      release: { ...existing, id: 78, draft: false, url: "https://github.com/acme/shop/releases/tag/v1.5.0" },
      created: false,
      changed: false,
      published: false,
      ...result,
    },
  };
}

describe("the release-notes report", () => {
  it("counts the range, the changes by kind and section, and names reverts, exclusions and contributors", () => {
    expect(buildReport(outcome(written({ created: true, changed: true, published: true })))).toEqual({
      tag: "v1.5.0",
      commit: SHA,
      previousTag: "v1.4.0",
      compareUrl: "https://github.com/acme/shop/compare/v1.4.0...v1.5.0",
      commits: 3,
      firstParentCommits: 2,
      pullRequests: 1,
      directCommits: 1,
      sections: { Features: 1, "Other changes": 1 },
      reverted: [{ revert: "#14", reverted: ["#13"] }],
      excluded: ["#15"],
      contributors: ["alice", "Dana Doe"],
      firstTimeContributors: ["Dana Doe"],
      omitted: 1,
      graphqlRequests: 3,
      batchSplits: 1,
      config: ".github/shipline-release.yml",
      dryRun: false,
      release: {
        id: 78,
        url: "https://github.com/acme/shop/releases/tag/v1.5.0",
        draft: false,
        created: true,
        changed: true,
        published: true,
      },
    });
  });

  it("shows the release found before in a dry run, untouched", () => {
    const report = buildReport(outcome({ status: "dry-run" }, existing));
    expect(report.dryRun).toBe(true);
    expect(report.release).toEqual({
      id: 77,
      url: existing.url,
      draft: true,
      created: false,
      changed: false,
      published: false,
    });
    expect(report).not.toHaveProperty("releaseWriteFailed");
  });

  it("says the write failed, and shows no release when there was none before", () => {
    const report = buildReport(outcome({ status: "failed", error: new Error("403") }));
    expect(report.release).toBeNull();
    expect(report.releaseWriteFailed).toBe(true);
    expect(report.previousTag).toBe("v1.4.0");
  });

  it("leaves the notes on the release written, else on the one found", () => {
    expect(currentRelease(outcome(written({}), existing))?.id).toBe(78);
    expect(currentRelease(outcome({ status: "failed", error: undefined }, existing))?.id).toBe(77);
    expect(currentRelease(outcome({ status: "dry-run" }))).toBeUndefined();
  });
});

describe("the status of the release write", () => {
  it.each<[string, ReleaseWrite]>([
    ["dry run: not written", { status: "dry-run" }],
    ["not written: the write failed", { status: "failed", error: new Error("x") }],
    ["created and published", written({ created: true, changed: true, published: true })],
    ["created as a draft", written({ created: true, changed: true, release: { ...existing, draft: true } })],
    ["unchanged", written({})],
    ["updated", written({ changed: true })],
    ["updated and published", written({ changed: true, published: true })],
  ])("reads %j", (expected, write) => {
    expect(releaseStatus(write)).toBe(expected);
  });
});
