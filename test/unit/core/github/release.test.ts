import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createGitHubClient } from "../../../../packages/core/src/github/client";
import {
  findReleases,
  type ReleaseSectionRequest,
  readSection,
  replaceSection,
  upsertReleaseSection,
} from "../../../../packages/core/src/github/release";
import { UserError } from "../../../../packages/core/src/runtime/errors";
import { RecordingLogger } from "../../../../packages/core/src/runtime/logger";
import { type FakeGitHub, startFakeGitHub } from "../../../rig/fake-github";
import { hideDraftsFromTagLookup } from "../../../rig/fake-github-graphql";

const START = "<!-- shipline:notes:start -->";
const END = "<!-- shipline:notes:end -->";

describe("the marked section of a body", () => {
  it.each([
    [null, `${START}\nnew\n${END}`],
    ["", `${START}\nnew\n${END}`],
    ["Intro by a person.", `Intro by a person.\n\n${START}\nnew\n${END}`],
    [`Intro\n\n${START}\nold\n${END}\n\nOutro`, `Intro\n\n${START}\nnew\n${END}\n\nOutro`],
    [`Intro\r\n${START}\r\nold\r\n${END}\r\nOutro`, `Intro\r\n${START}\nnew\n${END}\r\nOutro`],
    [`Intro\n${START}\nold, end marker deleted`, `Intro\n${START}\nnew\n${END}`],
  ])("replaces the section of %j", (body, expected) => {
    expect(replaceSection(body, "notes", "new\n")).toBe(expected);
  });

  it("reads the section back", () => {
    expect(readSection(`x\n${START}\r\nsome\r\nnotes\r\n${END}`, "notes")).toBe("some\nnotes");
    expect(readSection("no markers", "notes")).toBeUndefined();
  });
});

describe("release upsert", () => {
  let fake: FakeGitHub;
  const logger = new RecordingLogger();
  beforeEach(async () => {
    fake = await startFakeGitHub();
    hideDraftsFromTagLookup(fake);
  });
  afterEach(() => fake.close());

  const request = (
    existing: ReleaseSectionRequest["existing"],
    overrides: Partial<ReleaseSectionRequest> = {},
  ) => ({
    owner: "acme",
    repo: "shop",
    tag: "v1.0.0",
    key: "notes",
    content: "the notes",
    name: "v1.0.0",
    prerelease: false,
    makeLatest: true,
    draft: false,
    targetCommitish: "a".repeat(40),
    existing,
    ...overrides,
  });
  const client = () => createGitHubClient("ghs_token", { logger, baseUrl: fake.url });

  it("keeps a new release as a draft when asked", async () => {
    const result = await upsertReleaseSection(client(), request(undefined, { draft: true }));
    expect(result).toMatchObject({ created: true, changed: true, published: false });
    expect(fake.state.releases[0]).toMatchObject({ draft: true });
    expect(fake.calls.filter((c) => c.method === "PATCH")).toEqual([]);
  });

  it("updates the release another run created in the meantime instead of failing", async () => {
    const github = client();
    await upsertReleaseSection(github, request(undefined));
    // This run looked before the other one created the release.
    const result = await upsertReleaseSection(github, request(undefined, { content: "newer notes" }));
    expect(result).toMatchObject({ created: false, changed: true });
    expect(fake.state.releases).toHaveLength(1);
    expect(fake.state.releases[0]?.body).toContain("newer notes");
  });

  it("finds drafts by listing, and older published releases by tag", async () => {
    for (let i = 0; i < 100; i++) {
      fake.state.releases.push({
        id: i + 1,
        tag_name: i === 0 ? "v0.1.0" : `v0.0.${i}`,
        name: null,
        body: null,
        draft: i === 99,
        prerelease: false,
        target_commitish: "main",
        html_url: "",
      });
    }
    const found = await findReleases(client(), { owner: "acme", repo: "shop" }, [
      "v0.0.99",
      "v0.1.0",
      "v9.9.9",
    ]);
    expect([...found.keys()].sort()).toEqual(["v0.0.99", "v0.1.0"]);
    expect(found.get("v0.0.99")?.draft).toBe(true);
  });

  it("explains a refused read of the releases as a permission to give, not a bug", async () => {
    fake.faults.push({ method: "GET", path: /\/releases$/, status: 403, times: 1 });
    const error = await findReleases(client(), { owner: "acme", repo: "shop" }, ["v1.0.0"]).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toMatch(
      /GitHub refused to list the releases of acme\/shop \(HTTP 403\)/,
    );
    expect((error as UserError).fix).toContain("contents: write");
  });

  it("explains a refused write", async () => {
    fake.faults.push({ method: "POST", path: /\/releases$/, status: 403, times: 1 });
    await expect(upsertReleaseSection(client(), request(undefined))).rejects.toThrow(
      /GitHub refused to write the release of v1.0.0 \(HTTP 403\)/,
    );
  });
});
