// Version tags: which tags are releases (a pattern such as `v*` around a semver version), how they
// order, and which one a new release is compared with.
import { SemVer } from "semver";

/** A tag name pattern with one `*` standing for the version: `v*`, `api-v*`, `release/*`. */
export interface TagPattern {
  readonly source: string;
  readonly prefix: string;
  readonly suffix: string;
}

export function parseTagPattern(source: string): TagPattern {
  const stars = source.split("*").length - 1;
  if (stars !== 1) {
    throw new Error(`the pattern must hold exactly one "*" for the version, as in "v*" (it holds ${stars})`);
  }
  const [prefix = "", suffix = ""] = source.split("*");
  return { source, prefix, suffix };
}

export interface VersionTag {
  name: string;
  version: SemVer;
}

/** The version a tag names under the pattern, or undefined when the tag is not a version tag. */
export function versionOfTag(name: string, pattern: TagPattern): SemVer | undefined {
  if (!name.startsWith(pattern.prefix) || !name.endsWith(pattern.suffix)) return undefined;
  const middle = name.slice(pattern.prefix.length, name.length - pattern.suffix.length);
  if (middle === "") return undefined;
  try {
    // Strict parsing: "1.2" or "01.2.3" are not versions; a loose parse would order them oddly.
    return new SemVer(middle);
  } catch {
    return undefined;
  }
}

export function versionTags(names: readonly string[], pattern: TagPattern): VersionTag[] {
  const tags: VersionTag[] = [];
  for (const name of names) {
    const version = versionOfTag(name, pattern);
    if (version) tags.push({ name, version });
  }
  return tags;
}

/** Newest version first; build metadata does not order, so the tag name breaks ties for a stable order. */
export function sortNewestFirst(tags: readonly VersionTag[]): VersionTag[] {
  return [...tags].sort((a, b) => b.version.compare(a.version) || a.name.localeCompare(b.name));
}

/**
 * The tag a release is compared with: the newest version tag lower than the current one among the
 * candidates (the tags reachable from the current tag's commit). A stable release skips pre-releases,
 * so v1.5.0 is compared with v1.4.0 and covers everything its release candidates held; a pre-release
 * is compared with the tag just before it, pre-release or not.
 */
export function previousVersionTag(
  current: VersionTag,
  candidates: readonly VersionTag[],
): VersionTag | undefined {
  const stable = current.version.prerelease.length === 0;
  return sortNewestFirst(candidates).find(
    (tag) =>
      tag.name !== current.name &&
      tag.version.compare(current.version) < 0 &&
      (!stable || tag.version.prerelease.length === 0),
  );
}

/**
 * Whether the release should be marked as the repository's latest: a stable version that no other
 * stable version tag exceeds. (GitHub's default would mark a v1.4.1 hotfix published after v1.5.0
 * as latest.)
 */
export function isLatestVersion(current: VersionTag, all: readonly VersionTag[]): boolean {
  if (current.version.prerelease.length > 0) return false;
  return all.every((tag) => tag.version.prerelease.length > 0 || tag.version.compare(current.version) <= 0);
}
