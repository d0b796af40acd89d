// The release-notes configuration (`.github/shipline-release.yml`): categories by label and
// conventional-commit type, exclusions, issue-key links, contributors. Every key has a default.
import { parseDocument } from "yaml";

export interface CategoryRule {
  title: string;
  /** PR labels that put a change here (compared case-insensitively). */
  labels: string[];
  /** Conventional-commit types (`feat`), optionally with a scope (`chore(deps)`). */
  types: string[];
}

export interface IssueKeyRule {
  /** Key prefixes such as `ABC` for `ABC-42`. */
  prefixes: string[];
  /** Link with `{key}` where the key goes: `https://acme.atlassian.net/browse/{key}`. */
  url: string;
}

export interface ReleaseNotesConfig {
  breaking: { title: string; labels: string[] };
  categories: CategoryRule[];
  other: { title: string };
  exclude: { labels: string[]; authors: string[]; types: string[] };
  issueKeys: IssueKeyRule[];
  contributors: { enabled: boolean; includeBots: boolean };
}

export const defaultConfig: ReleaseNotesConfig = {
  breaking: { title: "Breaking changes", labels: ["breaking", "breaking-change", "breaking change"] },
  categories: [
    { title: "Features", labels: ["feature", "enhancement"], types: ["feat"] },
    { title: "Bug fixes", labels: ["bug", "fix", "bugfix"], types: ["fix"] },
    { title: "Performance", labels: ["performance", "perf"], types: ["perf"] },
    {
      title: "Dependencies",
      labels: ["dependencies", "deps"],
      types: ["deps", "build(deps)", "chore(deps)", "fix(deps)"],
    },
  ],
  other: { title: "Other changes" },
  exclude: { labels: ["skip-release-notes", "skip-changelog"], authors: [], types: [] },
  issueKeys: [],
  contributors: { enabled: true, includeBots: false },
};

/** A configuration problem, with where it is (`categories[1].labels`). */
export class ConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
    readonly line?: number,
  ) {
    super(path ? `${path}: ${message}` : message);
    this.name = "ConfigError";
  }
}

type Json = unknown;

function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkKeys(value: Record<string, Json>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      const where = path ? `${path}.${key}` : key;
      throw new ConfigError(where, `is not a known key (known here: ${allowed.join(", ")}).`);
    }
  }
}

function stringList(value: Json, path: string): string[] {
  if (typeof value === "string") return [value];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string" || item.trim() === "")) {
    throw new ConfigError(path, "must be a list of non-empty strings.");
  }
  return value.map((item) => String(item).trim());
}

function text(value: Json, path: string): string {
  if (typeof value !== "string" || value.trim() === "")
    throw new ConfigError(path, "must be a non-empty string.");
  return value.trim();
}

function bool(value: Json, path: string): boolean {
  if (typeof value !== "boolean") throw new ConfigError(path, "must be true or false.");
  return value;
}

function section(value: Json, path: string, allowed: readonly string[]): Record<string, Json> {
  if (!isRecord(value)) throw new ConfigError(path, "must be a mapping.");
  checkKeys(value, allowed, path);
  return value;
}

const TYPE_PATTERN = /^[a-z][\w-]*(\([\w./-]+\))?$/i;
const PREFIX_PATTERN = /^[A-Z][A-Z0-9_]*$/;

/** Parses the YAML text of a configuration file; absent keys take their defaults. */
export function parseConfig(source: string): ReleaseNotesConfig {
  const document = parseDocument(source, { prettyErrors: false });
  const first = document.errors[0];
  if (first) {
    throw new ConfigError("", `is not valid YAML: ${first.message}`, first.linePos?.[0]?.line);
  }
  const root: Json = document.toJS() ?? {};
  const value = section(root, "", [
    "breaking",
    "categories",
    "other",
    "exclude",
    "issue-keys",
    "contributors",
  ]);
  const config: ReleaseNotesConfig = structuredClone(defaultConfig);

  if (value.breaking !== undefined) {
    const breaking = section(value.breaking, "breaking", ["title", "labels"]);
    if (breaking.title !== undefined) config.breaking.title = text(breaking.title, "breaking.title");
    if (breaking.labels !== undefined)
      config.breaking.labels = stringList(breaking.labels, "breaking.labels");
  }
  if (value.categories !== undefined) {
    if (!Array.isArray(value.categories)) throw new ConfigError("categories", "must be a list.");
    config.categories = value.categories.map((item: Json, index) => {
      const path = `categories[${index}]`;
      const category = section(item, path, ["title", "labels", "types"]);
      const rule: CategoryRule = {
        title: text(category.title, `${path}.title`),
        labels: category.labels === undefined ? [] : stringList(category.labels, `${path}.labels`),
        types: category.types === undefined ? [] : stringList(category.types, `${path}.types`),
      };
      for (const type of rule.types) {
        if (!TYPE_PATTERN.test(type)) {
          throw new ConfigError(
            `${path}.types`,
            `"${type}" is not a commit type such as "feat" or "chore(deps)".`,
          );
        }
      }
      if (rule.labels.length === 0 && rule.types.length === 0) {
        throw new ConfigError(path, "needs labels or types, or no change could ever be put in it.");
      }
      return rule;
    });
  }
  if (value.other !== undefined) {
    const other = section(value.other, "other", ["title"]);
    if (other.title !== undefined) config.other.title = text(other.title, "other.title");
  }
  if (value.exclude !== undefined) {
    const exclude = section(value.exclude, "exclude", ["labels", "authors", "types"]);
    if (exclude.labels !== undefined) config.exclude.labels = stringList(exclude.labels, "exclude.labels");
    if (exclude.authors !== undefined)
      config.exclude.authors = stringList(exclude.authors, "exclude.authors");
    if (exclude.types !== undefined) config.exclude.types = stringList(exclude.types, "exclude.types");
  }
  if (value["issue-keys"] !== undefined) {
    const list = value["issue-keys"];
    if (!Array.isArray(list)) throw new ConfigError("issue-keys", "must be a list.");
    config.issueKeys = list.map((item: Json, index) => {
      const path = `issue-keys[${index}]`;
      const rule = section(item, path, ["prefixes", "url"]);
      const prefixes = stringList(rule.prefixes, `${path}.prefixes`);
      for (const prefix of prefixes) {
        if (!PREFIX_PATTERN.test(prefix)) {
          throw new ConfigError(
            `${path}.prefixes`,
            `"${prefix}" is not an upper-case key prefix such as "ABC".`,
          );
        }
      }
      const url = text(rule.url, `${path}.url`);
      if (!url.includes("{key}") || !/^https?:\/\//.test(url)) {
        throw new ConfigError(`${path}.url`, 'must be an http(s) URL with "{key}" where the key goes.');
      }
      return { prefixes, url };
    });
  }
  if (value.contributors !== undefined) {
    if (typeof value.contributors === "boolean") {
      config.contributors.enabled = value.contributors;
    } else {
      const contributors = section(value.contributors, "contributors", ["enabled", "include-bots"]);
      if (contributors.enabled !== undefined)
        config.contributors.enabled = bool(contributors.enabled, "contributors.enabled");
      if (contributors["include-bots"] !== undefined)
        config.contributors.includeBots = bool(contributors["include-bots"], "contributors.include-bots");
    }
  }
  return config;
}
