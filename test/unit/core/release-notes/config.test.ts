import { describe, expect, it } from "vitest";
import { ConfigError, defaultConfig, parseConfig } from "../../../../packages/core/src/release-notes/config";

describe("release-notes configuration", () => {
  it("takes every default from an empty file", () => {
    expect(parseConfig("")).toEqual(defaultConfig);
    expect(parseConfig("# only a comment\n")).toEqual(defaultConfig);
  });

  it("replaces the categories and keeps the other defaults", () => {
    const config = parseConfig(`
categories:
  - title: New
    labels: [feature]
    types: [feat]
breaking:
  title: Heads up
exclude:
  labels: skip
  authors: [renovate]
contributors: false
issue-keys:
  - prefixes: [ABC]
    url: https://jira.example.test/browse/{key}
`);
    expect(config.categories).toEqual([{ title: "New", labels: ["feature"], types: ["feat"] }]);
    expect(config.breaking).toEqual({ title: "Heads up", labels: defaultConfig.breaking.labels });
    expect(config.exclude).toEqual({ labels: ["skip"], authors: ["renovate"], types: [] });
    expect(config.contributors.enabled).toBe(false);
    expect(config.issueKeys).toEqual([{ prefixes: ["ABC"], url: "https://jira.example.test/browse/{key}" }]);
  });

  it.each([
    ["categorys: []", /categorys: is not a known key/],
    ["categories: {}", /categories: must be a list/],
    ["categories:\n  - title: Empty", /categories\[0\]: needs labels or types/],
    ["categories:\n  - title: X\n    types: ['feat: x']", /is not a commit type/],
    ["exclude:\n  labels: [1]", /exclude.labels: must be a list of non-empty strings/],
    ["issue-keys:\n  - prefixes: [abc]\n    url: https://x.test/{key}", /upper-case key prefix/],
    ["issue-keys:\n  - prefixes: [ABC]\n    url: https://x.test/", /with "\{key\}"/],
    ["contributors:\n  include-bots: maybe", /contributors.include-bots: must be true or false/],
    ["categories: [", /is not valid YAML/],
  ])("rejects %j naming the key", (source, message) => {
    expect(() => parseConfig(source)).toThrow(ConfigError);
    expect(() => parseConfig(source)).toThrow(message);
  });
});
