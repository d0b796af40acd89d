// resolveRange from the core library: what a release covers, read from real git repositories built
// by the tests with the git CLI (integration: git).
import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Git } from "../../../packages/core/src/github/git";
import { type RangeRequest, resolveRange } from "../../../packages/core/src/release-notes/range";
import {
  parseTagPattern,
  type VersionTag,
  versionOfTag,
} from "../../../packages/core/src/release-notes/version-tags";
import { UserError } from "../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";
import { buildShopRepo, type ShopRepo } from "./fixtures";

const pattern = parseTagPattern("v*");
let shop: ShopRepo;

beforeAll(() => {
  shop = buildShopRepo();
  shop.repo.tag("base", { at: "v1.0.0" });
});
afterAll(() => shop.repo.remove());

function versionTag(name: string): VersionTag {
  const version = versionOfTag(name, pattern);
  if (!version) throw new Error(`${name} is not a version tag`);
  return { name, version };
}

function request(tag: string, options: Partial<RangeRequest> = {}): RangeRequest {
  return { tag: versionTag(tag), pattern, previousTag: undefined, fetchHistory: false, ...options };
}

async function refusal(promise: Promise<unknown>): Promise<UserError> {
  const error = await promise.catch((e: unknown) => e);
  if (error instanceof UserError) return error;
  throw new Error(`expected a UserError, got ${String(error)}`);
}

describe("resolveRange", () => {
  const git = (dir = shop.repo.dir) => new Git({ cwd: dir, logger: new RecordingLogger() });

  it("compares a stable release with the previous stable tag and marks it the latest", async () => {
    const logger = new RecordingLogger();
    const range = await resolveRange(git(), request("v1.5.0"), logger);
    expect(range.tag).toBe("v1.5.0");
    expect(range.tagSha).toBe(shop.shas.v150);
    expect(range.previous?.name).toBe("v1.4.0");
    expect(range.previousSha).toBe(await git().resolveCommit("refs/tags/v1.4.0"));
    expect(range.latest).toBe(true);
    expect(range.history.mainline.map((c) => c.sha)).toContain(shop.shas.pr18);
    expect(logger.text("info")).toContain(
      `v1.4.0..v1.5.0: ${range.history.commits.size} commits, ${range.history.mainline.length} on the branch itself.`,
    );
  });

  it("does not mark a release candidate or a hotfix of an older line as the latest", async () => {
    const candidate = await resolveRange(git(), request("v1.5.0-rc.1"), new RecordingLogger());
    expect(candidate.previous?.name).toBe("v1.4.0");
    expect(candidate.latest).toBe(false);
    const hotfix = await resolveRange(git(), request("v1.4.1"), new RecordingLogger());
    expect(hotfix.previous?.name).toBe("v1.4.0");
    expect(hotfix.latest).toBe(false);
  });

  it("covers a first release from the root commit", async () => {
    const range = await resolveRange(git(), request("v1.0.0"), new RecordingLogger());
    expect(range.previous).toBeUndefined();
    expect(range.previousSha).toBeUndefined();
    expect(range.history.commits.size).toBe(1);
  });

  it("takes a previous tag the caller names, even one that is not a version tag", async () => {
    const range = await resolveRange(
      git(),
      request("v1.5.0", { previousTag: "base" }),
      new RecordingLogger(),
    );
    expect(range.previous).toEqual({ name: "base", version: undefined });
    expect(range.history.mainline.map((c) => c.subject)).toContain("feat: add the cart (#1)");
  });

  it("refuses a previous tag that is not an ancestor, naming previous-tag", async () => {
    const error = await refusal(
      resolveRange(git(), request("v1.5.0", { previousTag: "v1.4.1" }), new RecordingLogger()),
    );
    expect(error.input).toBe("previous-tag");
    expect(error.message).toContain("v1.4.1 is not an ancestor of v1.5.0");
  });

  it("refuses a tag that is not in the checkout, naming tag", async () => {
    const error = await refusal(resolveRange(git(), request("v9.9.9"), new RecordingLogger()));
    expect(error.input).toBe("tag");
    expect(error.message).toContain("v9.9.9 is not a tag of the checkout");
  });

  it("refuses a shallow checkout it may not fetch into, naming fetch-history", async () => {
    const clone = shop.repo.shallowClone("v1.5.0");
    try {
      const error = await refusal(resolveRange(git(clone), request("v1.5.0"), new RecordingLogger()));
      expect(error.input).toBe("fetch-history");
      expect(error.fix).toContain("fetch-depth: 0");
    } finally {
      rmSync(clone, { recursive: true, force: true });
    }
  });
});
