// Image tags: the grammar Docker and ECR accept, and the tags a build or a promote gives an image
// (commit SHA, branch or environment, version and its semver forms, extra tags).
import { SemVer } from "semver";
import { TAG_PATTERN } from "./reference";

export { TAG_PATTERN };

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

/** A branch or environment name made into a tag: "feature/Login page" -> "feature-Login-page". */
export function sanitizeTag(name: string): string {
  const replaced = name
    .replace(/[^A-Za-z0-9_.-]+/g, "-")
    .replace(/^[.-]+/, "")
    .slice(0, 128)
    .replace(/[.-]+$/, "");
  return replaced;
}

export type TagKind = "commit" | "branch" | "environment" | "version" | "semver" | "extra";

export interface ImageTag {
  name: string;
  kind: TagKind;
  /**
   * A tag that names a different image over time (branch, environment, `1.5`, `1`). An IMMUTABLE
   * repository cannot hold one.
   */
  moving: boolean;
  /** A tag that must only ever name one image (the commit, the exact version), even where ECR allows a move. */
  pinned: boolean;
}

/** The build-push input that asks for a tag of this kind. */
export function inputOfTagKind(kind: TagKind): string {
  switch (kind) {
    case "branch":
      return "branch-tag";
    case "environment":
      return "environment";
    case "semver":
      return "semver-tags";
    case "version":
      return "version";
    case "commit":
      return "commit-tag";
    default:
      return "tags";
  }
}

export class TagError extends Error {
  constructor(
    message: string,
    readonly input: string,
    readonly fix: string,
  ) {
    super(message);
    this.name = "TagError";
  }
}

/** The branch a workflow run is for: the PR's head branch, or refs/heads/<branch>. */
export function branchOfRun(ref: string | undefined, headRef: string | undefined): string | undefined {
  if (headRef) return headRef;
  return ref?.startsWith("refs/heads/") ? ref.slice("refs/heads/".length) : undefined;
}

/** The tag name of a tag ref (refs/tags/v1.5.0 -> v1.5.0). */
export function tagOfRef(ref: string | undefined): string | undefined {
  return ref?.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : undefined;
}

/** Parses "v1.5.0" or "1.5.0" strictly; undefined when the text is not a semantic version. */
export function parseVersion(text: string): SemVer | undefined {
  try {
    return new SemVer(text.replace(/^v(?=\d)/, ""));
  } catch {
    return undefined;
  }
}

/**
 * The semver forms of a version: 1.5.0 -> ["1.5.0", "1.5", "1"]. A pre-release gets only its full
 * form (1.6.0-rc.1 must not take over "1.6"), and major 0 gets no bare "0" (0.x promises nothing).
 * Build metadata ("+build.5") is not a valid tag character and is dropped.
 */
export function semverTags(version: SemVer): string[] {
  const full = `${version.major}.${version.minor}.${version.patch}${
    version.prerelease.length > 0 ? `-${version.prerelease.join(".")}` : ""
  }`;
  if (version.prerelease.length > 0) return [full];
  const tags = [full, `${version.major}.${version.minor}`];
  if (version.major > 0) tags.push(String(version.major));
  return tags;
}

export interface TagOptions {
  /** The full 40-character commit SHA; only needed when a commit tag is asked for. */
  commitSha?: string | undefined;
  commitTag: "full" | "short" | "none";
  /** Raw branch name (sanitized here); undefined when the run is not for a branch. */
  branch?: string | undefined;
  environment?: string | undefined;
  /** The version as written in the tag or input: "v1.5.0". */
  version?: string | undefined;
  semverTags: boolean;
  extraTags: readonly string[];
}

export const SHORT_SHA_LENGTH = 7;

/**
 * Computes the tags of an image in a stable order, commit first. Throws TagError naming the input at
 * fault when a tag cannot be made or is invalid.
 */
export function computeTags(options: TagOptions): ImageTag[] {
  const tags: ImageTag[] = [];
  const add = (name: string, kind: TagKind, input: string, moving: boolean, pinned: boolean): void => {
    if (!isValidTag(name)) {
      throw new TagError(
        `"${name}" is not a valid image tag.`,
        input,
        "Tags are 1 to 128 letters, digits, '_', '.' and '-', and do not start with '.' or '-'.",
      );
    }
    const existing = tags.find((t) => t.name === name);
    if (existing) {
      // The same tag from two sources: keep the stricter reading of it.
      existing.pinned ||= pinned;
      existing.moving &&= moving;
      return;
    }
    tags.push({ name, kind, moving, pinned });
  };

  if (options.commitTag !== "none") {
    const sha = options.commitSha ?? "";
    if (!/^[0-9a-f]{40}$/.test(sha)) {
      throw new TagError(
        `the commit SHA "${sha}" is not a full 40-character SHA.`,
        "commit",
        "Leave `commit` empty to use the workflow's GITHUB_SHA, or give a full commit SHA.",
      );
    }
    add(
      options.commitTag === "short" ? sha.slice(0, SHORT_SHA_LENGTH) : sha,
      "commit",
      "commit-tag",
      false,
      true,
    );
  }
  if (options.branch !== undefined) {
    const name = sanitizeTag(options.branch);
    if (name === "") {
      throw new TagError(
        `the branch "${options.branch}" leaves no valid tag characters.`,
        "branch-tag",
        "Set `branch-tag: false`, or give the tag in `tags`.",
      );
    }
    add(name, "branch", "branch-tag", true, false);
  }
  if (options.environment) add(options.environment, "environment", "environment", true, false);
  if (options.version) {
    add(options.version, "version", "version", false, true);
    if (options.semverTags) {
      const parsed = parseVersion(options.version);
      if (!parsed) {
        throw new TagError(
          `"${options.version}" is not a semantic version, so it has no semver tags.`,
          "version",
          'Give a version such as "v1.5.0" or "1.5.0", or set `semver-tags: false`.',
        );
      }
      const [full, ...floating] = semverTags(parsed);
      if (full) add(full, "semver", "version", false, true);
      for (const tag of floating) add(tag, "semver", "version", true, false);
    }
  } else if (options.semverTags) {
    throw new TagError(
      "`semver-tags` is on but there is no version.",
      "semver-tags",
      "Run on a version tag (refs/tags/v1.5.0) or give `version`.",
    );
  }
  for (const tag of options.extraTags) add(tag, "extra", "tags", false, false);
  return tags;
}
