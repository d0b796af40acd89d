// Input validation of build-push: what the inputs and the workflow's environment make of a run, and
// every cross-input rule, checked before any AWS or Docker call.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/build-push/src/inputs";
import { parseSource, settingsFromInputs } from "../../../actions/build-push/src/settings";
import { UserError } from "../../../packages/core/src/runtime/errors";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";

const SHA = "0123456789abcdef0123456789abcdef01234567";
let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), "sl-settings-"));
  mkdirSync(join(workspace, "app"));
  writeFileSync(join(workspace, "app", "Dockerfile"), "FROM scratch\n");
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

function settings(given: Record<string, string>, env: Record<string, string> = {}) {
  const inputs = parseInputs(inputSpec, { source: (name) => given[name] });
  return settingsFromInputs(inputs, { GITHUB_SHA: SHA, GITHUB_REF: "refs/heads/main", ...env }, workspace);
}

function failure(given: Record<string, string>, env: Record<string, string> = {}): UserError {
  try {
    settings(given, env);
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  throw new Error("expected a UserError");
}

describe("build mode", () => {
  it("tags with the commit and the branch by default, and finds the Dockerfile in the context", () => {
    const s = settings({ repository: "shop/web", context: "app" });
    expect(s.mode).toBe("build");
    expect(s.tags.map((t) => t.name)).toEqual([SHA, "main"]);
    expect(s.commitTag?.name).toBe(SHA);
    expect(s.build?.dockerfile).toBe(join(workspace, "app", "Dockerfile"));
    expect(s.build?.skipExisting).toBe(true);
    expect(s.create).toBeUndefined();
  });

  it("tags a tag push with its version, and no branch", () => {
    const s = settings(
      { repository: "shop/web", context: "app", "semver-tags": "true" },
      { GITHUB_REF: "refs/tags/v1.5.0" },
    );
    expect(s.tags.map((t) => t.name)).toEqual([SHA, "v1.5.0", "1.5.0", "1.5", "1"]);
    expect(s.version).toBe("v1.5.0");
  });

  it("prefers the commit input over GITHUB_SHA", () => {
    const commit = "f".repeat(40);
    expect(
      settings({ repository: "shop/web", context: "app", commit, "commit-tag": "short" }).tags[0]?.name,
    ).toBe("fffffff");
  });

  it("takes account and region from a repository URI", () => {
    const s = settings({
      repository: "123456789012.dkr.ecr.us-east-2.amazonaws.com/shop/web",
      context: "app",
    });
    expect(s.repository).toEqual({ name: "shop/web", registryId: "123456789012", region: "us-east-2" });
    expect(s.region).toBe("us-east-2");
  });

  it("keeps the settings of a repository it may create", () => {
    const s = settings({
      repository: "shop/web",
      context: "app",
      "create-repository": "true",
      "tag-mutability": "IMMUTABLE",
    });
    expect(s.create).toEqual({ mutability: "IMMUTABLE", scanOnPush: true });
  });

  it("reads secrets, build args, platforms and the scan gate", () => {
    const s = settings({
      repository: "shop/web",
      context: "app",
      secrets: "npm_token=abc=def\ngh=xyz",
      "build-args": "A=1\nB=two words",
      platforms: "linux/amd64, linux/arm64",
      "scan-severity-threshold": "high",
      "scan-allowed-findings": "HIGH=3\nmedium=10",
      "scan-ignore": "CVE-2024-1\nCVE-2024-2",
    });
    expect(s.build?.secrets).toEqual([
      { id: "npm_token", value: "abc=def" },
      { id: "gh", value: "xyz" },
    ]);
    expect(s.build?.buildArgs).toEqual({ A: "1", B: "two words" });
    expect(s.build?.platforms).toEqual(["linux/amd64", "linux/arm64"]);
    expect(s.scan).toEqual({
      policy: { threshold: "HIGH", allowed: { HIGH: 3, MEDIUM: 10 } },
      ignore: ["CVE-2024-1", "CVE-2024-2"],
      timeoutMs: 600_000,
      intervalMs: 10_000,
    });
  });
});

describe("promote mode", () => {
  it("adds the version and its semver tags to the source, with no commit or branch tag", () => {
    const s = settings(
      {
        repository: "shop/web",
        mode: "promote",
        source: `shop/web@sha256:${"a".repeat(64)}`,
        "semver-tags": "true",
      },
      { GITHUB_REF: "refs/tags/v2.1.0" },
    );
    expect(s.source).toEqual({ digest: `sha256:${"a".repeat(64)}` });
    expect(s.tags.map((t) => t.name)).toEqual(["v2.1.0", "2.1.0", "2.1", "2"]);
    expect(s.build).toBeUndefined();
  });

  it.each([
    ["abc123", { id: { tag: "abc123" } }],
    [`sha256:${"b".repeat(64)}`, { id: { digest: `sha256:${"b".repeat(64)}` } }],
    [
      "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web:staging",
      {
        id: { tag: "staging" },
        uri: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web",
        registry: { name: "shop/web", registryId: "123456789012", region: "eu-west-1" },
      },
    ],
    [
      `127.0.0.1:5000/shop/web@sha256:${"c".repeat(64)}`,
      { id: { digest: `sha256:${"c".repeat(64)}` }, uri: "127.0.0.1:5000/shop/web" },
    ],
    [`shop/web:v1@sha256:${"d".repeat(64)}`, { id: { digest: `sha256:${"d".repeat(64)}` } }],
  ])("reads the source %s", (source, expected) => {
    expect(parseSource(source, { name: "shop/web" })).toEqual({
      uri: undefined,
      registry: undefined,
      ...expected,
    });
  });

  it.each([
    ["other/repo:abc", "another repository"],
    ["team/shop/web:abc", "another repository"],
    ["shop/web@sha256:short", "is not a digest"],
    ["sha256:xyz", "is not a digest"],
    [`sha256:${"A".repeat(64)}`, "is not a digest"],
    ["sha512:abc", "is not a digest"],
    ["-abc", "is not a valid tag"],
    [`${"a".repeat(129)}`, "is not a valid tag"],
    ["shop/web:bad*tag", "is not a valid tag"],
    ["x.example.com/shop/web", "names no tag or digest"],
    [`@sha256:${"a".repeat(64)}`, "names no repository"],
  ])("refuses the source %s", (source, message) => {
    expect(() => parseSource(source, { name: "shop/web" })).toThrow(message);
  });

  it("promotes in the account and region an ECR source names, and refuses one that contradicts the repository", () => {
    const source = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web@sha256:${"a".repeat(64)}`;
    const s = settings({ repository: "shop/web", mode: "promote", source, version: "v1.0.0" });
    expect(s.repository).toEqual({ name: "shop/web", registryId: "123456789012" });
    expect(s.region).toBe("eu-west-1");
    expect(s.sourceUri).toBe("123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web");
    const error = failure({
      repository: "shop/web",
      mode: "promote",
      source,
      version: "v1.0.0",
      "registry-id": "210987654321",
      "aws-region": "us-east-1",
    });
    expect(error.input).toBe("source");
    expect(error.message).toContain("it is in account 123456789012, but the repository is in 210987654321");
    expect(error.message).toContain("it is in eu-west-1, but the repository is in us-east-1");
  });
});

describe("refused inputs", () => {
  it.each<[string, Record<string, string>, Record<string, string>, string, string]>([
    ["no Dockerfile in the context", { context: "." }, {}, "context", "there is no Dockerfile at Dockerfile"],
    [
      "a missing Dockerfile",
      { context: "app", dockerfile: "app/Containerfile" },
      {},
      "dockerfile",
      "no Dockerfile at app/Containerfile",
    ],
    ["a context outside the workspace", { context: "../" }, {}, "context", "outside the workspace"],
    ["a source in build mode", { context: "app", source: "abc" }, {}, "source", "only used in promote mode"],
    [
      "promote without a source",
      { mode: "promote", version: "v1" },
      {},
      "source",
      "needs the image to promote",
    ],
    [
      "promote with nothing to add",
      { mode: "promote", source: "abc" },
      { GITHUB_REF: "refs/heads/main" },
      "tags",
      "no tag to add",
    ],
    [
      "a registry id that contradicts the URI",
      {
        repository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web",
        "registry-id": "210987654321",
        context: "app",
      },
      {},
      "registry-id",
      "but the repository URI is in 123456789012",
    ],
    [
      "a region that contradicts the URI",
      {
        repository: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop/web",
        "aws-region": "us-east-1",
        context: "app",
      },
      {},
      "aws-region",
      "is in eu-west-1",
    ],
    [
      "an allowed count that is not a number",
      { context: "app", "scan-severity-threshold": "high", "scan-allowed-findings": "high=many" },
      {},
      "scan-allowed-findings",
      "not a whole number",
    ],
    [
      "allowed findings without the gate",
      { context: "app", "scan-allowed-findings": "high=1" },
      {},
      "scan-allowed-findings",
      "no effect without the scan gate",
    ],
    [
      "a short GITHUB_SHA",
      { context: "app" },
      { GITHUB_SHA: "abc" },
      "commit",
      "not a full 40-character SHA",
    ],
  ])("refuses %s, naming the input", (_, given, env, input, message) => {
    const error = failure({ repository: "shop/web", ...given }, env);
    expect(error.input).toBe(input);
    expect(error.message).toContain(message);
    expect(error.fix).toBeTruthy();
  });

  it("reports every problem at once", () => {
    const error = failure({
      repository: "shop/web",
      context: "missing",
      source: "x",
      "scan-ignore": "CVE-1",
    });
    expect(error.message).toMatch(/^3 inputs are invalid:/);
    expect(error.message).toContain("`context`");
    expect(error.message).toContain("`source`");
    expect(error.message).toContain("`scan-ignore`");
  });

  it.each([
    ["tags", "bad tag!"],
    ["environment", "prod/eu"],
    ["platforms", "amd64"],
    ["scan-severity-threshold", "severe"],
    ["scan-timeout", "1s"],
    ["secrets", "not a pair"],
  ])("rejects %s=%j when parsing", (name, value) => {
    expect(() =>
      parseInputs(inputSpec, { source: (n) => ({ repository: "shop/web", [name]: value })[n] }),
    ).toThrow(new RegExp(`\`${name}\``));
  });
});
