// Moves the major (v1) and minor (v1.2) tags to a release vX.Y.Z, through GitHub's REST API, as the
// last step of the release workflow: `node .ci/move-tags.ts v1.2.3` in the checkout of the
// tag (with its history and tags), with GITHUB_SHA, GITHUB_REPOSITORY, GITHUB_API_URL and GITHUB_TOKEN.
// A tag moves only to the newest stable release of its line: v1.2.4 released after v1.3.0 moves v1.2
// and leaves v1 on v1.3.0; a pre-release moves nothing. Each tag is read back after it was written.
//
// Plain TypeScript that Node 24 runs as it is (types are stripped), with node: modules only: the
// release job runs it without installing anything.
import { execFileSync } from "node:child_process";
import { pathToFileURL } from "node:url";

export interface Version {
  major: number;
  minor: number;
  patch: number;
  prerelease: string;
}

const VERSION_TAG = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

/** A release tag `vX.Y.Z` (or `vX.Y.Z-rc.1`), or undefined for any other name. */
export function parseVersionTag(tag: string): Version | undefined {
  const match = VERSION_TAG.exec(tag);
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4] ?? "",
  };
}

function compare(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * The tags that follow `tag`: `vX` when it is the newest stable release with major X among `existing`
 * (the repository's tags, which include `tag` or not), and `vX.Y` likewise for X.Y.
 */
export function aliasTags(tag: string, existing: readonly string[]): string[] {
  const version = parseVersionTag(tag);
  if (!version) throw new Error(`${tag} is not a release tag vX.Y.Z`);
  if (version.prerelease) return [];
  const stable = existing
    .map(parseVersionTag)
    .filter((v): v is Version => v !== undefined && v.prerelease === "");
  const newest = (same: (v: Version) => boolean): boolean =>
    stable.filter(same).every((other) => compare(other, version) <= 0);
  const tags: string[] = [];
  if (newest((v) => v.major === version.major)) tags.push(`v${version.major}`);
  if (newest((v) => v.major === version.major && v.minor === version.minor))
    tags.push(`v${version.major}.${version.minor}`);
  return tags;
}

export interface GitHubRefs {
  /** The commit a tag points at, or undefined when there is no such tag. */
  get(tag: string): Promise<string | undefined>;
  create(tag: string, sha: string): Promise<void>;
  /** Moves an existing tag (a forced update: an alias tag moves forward in history and sideways). */
  move(tag: string, sha: string): Promise<void>;
}

/** Points each tag at `sha`, creating the ones that do not exist; returns one line per tag. */
export async function moveTags(refs: GitHubRefs, tags: readonly string[], sha: string): Promise<string[]> {
  const lines: string[] = [];
  for (const tag of tags) {
    const before = await refs.get(tag);
    if (before === sha) {
      lines.push(`${tag}: already at ${sha}`);
      continue;
    }
    if (before === undefined) await refs.create(tag, sha);
    else await refs.move(tag, sha);
    // Never trust the write's answer: read the tag again.
    const after = await refs.get(tag);
    if (after !== sha)
      throw new Error(`${tag} points at ${after ?? "nothing"} after it was moved to ${sha}; move it by hand`);
    lines.push(before === undefined ? `${tag}: created at ${sha}` : `${tag}: moved from ${before} to ${sha}`);
  }
  return lines;
}

/** The Git references API of one repository. */
export function restRefs(apiUrl: string, repository: string, token: string): GitHubRefs {
  const base = `${apiUrl.replace(/\/$/, "")}/repos/${repository}/git`;
  const call = async (method: string, path: string, body?: unknown): Promise<Response> =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${token}`,
        "x-github-api-version": "2022-11-28",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const failed = async (what: string, response: Response): Promise<Error> => {
    const text = await response.text();
    const message = (() => {
      try {
        return String((JSON.parse(text) as { message?: unknown }).message ?? text);
      } catch {
        return text;
      }
    })();
    const hint =
      response.status === 403 || response.status === 404 ? " (the job's token needs `contents: write`)" : "";
    return new Error(`${what}: GitHub answered ${response.status} ${message}${hint}`);
  };
  return {
    async get(tag) {
      const response = await call("GET", `/ref/tags/${encodeURIComponent(tag)}`);
      if (response.status === 404) return undefined;
      if (!response.ok) throw await failed(`Reading ${tag}`, response);
      const ref = (await response.json()) as { ref?: string; object?: { sha?: string } };
      // GET /git/ref/tags/v1 answers the one ref with exactly that name; anything else is not it.
      if (ref.ref !== `refs/tags/${tag}`) return undefined;
      return ref.object?.sha;
    },
    async create(tag, sha) {
      const response = await call("POST", "/refs", { ref: `refs/tags/${tag}`, sha });
      if (!response.ok) throw await failed(`Creating ${tag}`, response);
    },
    async move(tag, sha) {
      const response = await call("PATCH", `/refs/tags/${encodeURIComponent(tag)}`, { sha, force: true });
      if (!response.ok) throw await failed(`Moving ${tag}`, response);
    },
  };
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is not set; the release workflow's step sets it`);
  return value;
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const tag = argv[0] ?? "";
  if (!parseVersionTag(tag)) throw new Error(`Give the release tag vX.Y.Z, not "${tag}"`);
  const sha = required(env, "GITHUB_SHA");
  const existing = execFileSync("git", ["tag", "--list", "v*"], { encoding: "utf8" }).split("\n");
  if (!existing.includes(tag))
    throw new Error(`${tag} is not a tag of this checkout; check out with fetch-depth: 0 to have the tags`);
  const tags = aliasTags(tag, existing);
  if (tags.length === 0) {
    say(`${tag}: a pre-release, or older than a release of its line; no tag moves`);
    return;
  }
  const refs = restRefs(
    required(env, "GITHUB_API_URL"),
    required(env, "GITHUB_REPOSITORY"),
    required(env, "GITHUB_TOKEN"),
  );
  for (const line of await moveTags(refs, tags, sha)) say(line);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2), process.env).catch((error: unknown) => {
    say(`::error::${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  });
}
