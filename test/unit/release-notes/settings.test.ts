// Input validation of release-notes: what the inputs and the workflow's environment make of a run,
// checked before any git or GitHub call.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inputSpec } from "../../../actions/release-notes/src/inputs";
import { settingsFromInputs } from "../../../actions/release-notes/src/settings";
import { defaultConfig } from "../../../packages/core/src/release-notes/config";
import { UserError } from "../../../packages/core/src/runtime/errors";
import { parseInputs } from "../../../packages/core/src/runtime/inputs";
import { RecordingLogger } from "../../../packages/core/src/runtime/logger";

const DIGEST = `sha256:${"ab".repeat(32)}`;
let workspace: string;

beforeAll(() => {
  workspace = mkdtempSync(join(tmpdir(), "sl-rn-settings-"));
  mkdirSync(join(workspace, ".github"));
  writeFileSync(join(workspace, ".github", "shipline-release.yml"), "other:\n  title: Everything else\n");
  writeFileSync(join(workspace, "bad.yml"), "categories:\n  - title: Features\n    colour: blue\n");
});
afterAll(() => rmSync(workspace, { recursive: true, force: true }));

const ENV = {
  GITHUB_REF: "refs/tags/v1.5.0",
  GITHUB_REPOSITORY: "acme/shop",
  GITHUB_SERVER_URL: "https://github.example.test",
};

function settings(
  given: Record<string, string>,
  env: Record<string, string> = {},
  logger = new RecordingLogger(),
) {
  const inputs = parseInputs(inputSpec, { source: (name) => ({ "github-token": "t", ...given })[name] });
  return settingsFromInputs(inputs, { GITHUB_WORKSPACE: workspace, ...ENV, ...env }, logger);
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

describe("settings", () => {
  it("takes the pushed tag and its version, the configuration file, and the repository's URL", () => {
    const s = settings({});
    expect(s.tag.name).toBe("v1.5.0");
    expect(s.tag.version.version).toBe("1.5.0");
    expect(s.configSource).toBe(".github/shipline-release.yml");
    expect(s.config.other.title).toBe("Everything else");
    expect(s.repo).toEqual({ owner: "acme", repo: "shop" });
    expect(s.repositoryUrl).toBe("https://github.example.test/acme/shop");
    expect(s.directory).toBe(workspace);
  });

  it("prefers the tag input, under the tag pattern", () => {
    const s = settings({ tag: "api-v2.0.0-rc.1", "tag-pattern": "api-v*" });
    expect(s.tag.name).toBe("api-v2.0.0-rc.1");
    expect(s.tag.version.prerelease).toEqual(["rc", 1]);
  });

  it("uses the default categories when the file does not exist, and says so", () => {
    const logger = new RecordingLogger();
    const s = settings({ "config-file": "none.yml" }, {}, logger);
    expect(s.config).toBe(defaultConfig);
    expect(s.configSource).toBe("defaults");
    expect(logger.text("info")).toContain("No none.yml: using the default categories.");
  });

  it("names auto-rollback beside this action at its ref in the rollback snippet, unless given", () => {
    const env = { GITHUB_ACTION_REPOSITORY: "acme-platform/shipline", GITHUB_ACTION_REF: "v1.2.0" };
    expect(settings({}, env).deployment.rollbackAction).toBe(
      "acme-platform/shipline/actions/auto-rollback@v1.2.0",
    );
    expect(settings({}).deployment.rollbackAction).toBe("<owner>/shipline/actions/auto-rollback@v1");
    expect(
      settings({ "rollback-action": "me/rb/actions/auto-rollback@main" }, env).deployment.rollbackAction,
    ).toBe("me/rb/actions/auto-rollback@main");
  });

  it("keeps what was deployed for the notes", () => {
    const s = settings({
      image: `shop@${DIGEST}`,
      digest: DIGEST,
      verdict: "pass",
      "rollback-with": "cluster=prod",
    });
    expect(s.deployment).toMatchObject({
      image: `shop@${DIGEST}`,
      digest: DIGEST,
      verdict: "pass",
      rollbackWith: { cluster: "prod" },
    });
  });
});

describe("refused settings", () => {
  it.each<[string, Record<string, string>, Record<string, string>, string, string]>([
    [
      "no tag and no tag push",
      {},
      { GITHUB_REF: "refs/heads/main" },
      "tag",
      'GITHUB_REF is "refs/heads/main"',
    ],
    ["a tag that is not a version", { tag: "nightly" }, {}, "tag", '"nightly" is not a semantic version tag'],
    [
      "a digest that is not the image's",
      { image: `shop@${DIGEST}`, digest: `sha256:${"0".repeat(64)}` },
      {},
      "digest",
      "is not the digest of the image",
    ],
    [
      "a configuration file with an unknown key",
      { "config-file": "bad.yml" },
      {},
      "config-file",
      "bad.yml: categories[0].colour",
    ],
    [
      "a working directory that does not exist",
      { "working-directory": "missing" },
      {},
      "working-directory",
      "missing does not exist in the workspace",
    ],
    [
      "a working directory that is a file",
      { "working-directory": "bad.yml" },
      {},
      "working-directory",
      "or is not a directory",
    ],
    ["an empty token", { "github-token": "" }, {}, "github-token", "is empty"],
    ["a token of spaces", { "github-token": "   " }, {}, "github-token", "is empty"],
    [
      "the default's unexpanded text",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the unexpanded default, as action.yml writes it.
      { "github-token": "${{ github.token }}" },
      {},
      "github-token",
      "unexpanded workflow expression",
    ],
  ])("refuses %s, naming the input", (_, given, env, input, message) => {
    const error = failure(given, env);
    expect(error.input).toBe(input);
    expect(error.message).toContain(message);
    expect(error.fix).toBeTruthy();
  });
});
