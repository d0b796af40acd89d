// Preparing a release of shipline as edits of the repository's text (`npm run release -- 1.2.0` applies
// them): CHANGELOG.md's Unreleased section becomes the version's, and every place that states the
// version (package.json, the lockfile, the core package, the user agent and first log line) says the
// new one. Pure functions over file contents, so the rules are tested without touching the checkout.
import semver from "semver";

export class ReleaseError extends Error {
  override name = "ReleaseError";
}

const UNRELEASED = /^## \[Unreleased\][^\n]*\n/m;

/**
 * CHANGELOG.md with the Unreleased section renamed `## [version] - date` under a new, empty Unreleased
 * section. Refuses a changelog without Unreleased changes, or that already has the version.
 */
export function releaseChangelog(changelog: string, version: string, date: string): string {
  const match = UNRELEASED.exec(changelog);
  if (!match) throw new ReleaseError("CHANGELOG.md has no `## [Unreleased]` section to release");
  if (changelog.includes(`## [${version}]`))
    throw new ReleaseError(`CHANGELOG.md already has a section for ${version}`);
  const start = match.index + match[0].length;
  const next = changelog.slice(start).search(/^## \[/m);
  const body = next < 0 ? changelog.slice(start) : changelog.slice(start, start + next);
  if (!/^\s*[-*] \S/m.test(body))
    throw new ReleaseError(
      "CHANGELOG.md's Unreleased section lists no change: say what this release changes",
    );
  return `${changelog.slice(0, match.index)}## [Unreleased]\n\n## [${version}] - ${date}\n${changelog.slice(start)}`;
}

/** The next version, which must be a valid semantic version above the current one. */
export function nextVersion(current: string, requested: string): string {
  const version = semver.valid(requested.replace(/^v/, ""));
  if (!version) throw new ReleaseError(`"${requested}" is not a semantic version (X.Y.Z)`);
  if (!semver.gt(version, current))
    throw new ReleaseError(`${version} is not above the current version ${current}`);
  return version;
}

/** package.json (the root or a workspace's) with its version set. */
export function withPackageVersion(manifest: string, version: string): string {
  const parsed = JSON.parse(manifest) as Record<string, unknown>;
  parsed.version = version;
  return `${JSON.stringify(parsed, null, 2)}\n`;
}

/** package-lock.json with the root's and the given workspaces' versions set. */
export function withLockVersion(lock: string, version: string, workspaces: readonly string[]): string {
  const parsed = JSON.parse(lock) as {
    version?: string;
    packages: Record<string, { version?: string }>;
  };
  parsed.version = version;
  for (const key of ["", ...workspaces]) {
    const entry = parsed.packages[key];
    if (!entry) throw new ReleaseError(`package-lock.json has no package "${key}"`);
    entry.version = version;
  }
  return `${JSON.stringify(parsed, null, 2)}\n`;
}

/** packages/core/src/runtime/version.ts with the constant set. */
export function withVersionConstant(source: string, version: string): string {
  const pattern = /export const SHIPLINE_VERSION = "[^"]*";/;
  if (!pattern.test(source)) throw new ReleaseError("version.ts has no SHIPLINE_VERSION constant");
  return source.replace(pattern, `export const SHIPLINE_VERSION = "${version}";`);
}
