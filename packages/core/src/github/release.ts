// GitHub releases upserted by tag: shipline owns only the section between its markers, so text a
// person writes above or below it survives every re-run, and an unchanged section costs no write.
import { errorMessage, UserError } from "../runtime/errors";
import { type GitHubClient, marker, type RepoRef } from "./client";

export interface ReleaseRecord {
  id: number;
  tagName: string;
  name: string | null;
  body: string | null;
  draft: boolean;
  prerelease: boolean;
  url: string;
}

interface RawRelease {
  id: number;
  tag_name: string;
  name: string | null;
  body?: string | null;
  draft: boolean;
  prerelease: boolean;
  html_url: string;
}

function toRecord(raw: RawRelease): ReleaseRecord {
  return {
    id: raw.id,
    tagName: raw.tag_name,
    name: raw.name,
    body: raw.body ?? null,
    draft: raw.draft,
    prerelease: raw.prerelease,
    url: raw.html_url,
  };
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === "object" && error !== null && "status" in error) {
    const status = (error as { status: unknown }).status;
    return typeof status === "number" ? status : undefined;
  }
  return undefined;
}

/**
 * Finds the releases of the given tags, drafts included. The newest releases (one page) are listed
 * first: GitHub's get-by-tag endpoint does not return drafts, and a draft left by an interrupted run
 * must be found, not duplicated. Tags not on that page are asked for by tag (published ones only).
 */
export async function findReleases(
  github: GitHubClient,
  repo: RepoRef,
  tags: readonly string[],
): Promise<Map<string, ReleaseRecord>> {
  const found = new Map<string, ReleaseRecord>();
  let data: unknown[];
  try {
    ({ data } = await github.rest.repos.listReleases({ owner: repo.owner, repo: repo.repo, per_page: 100 }));
  } catch (error) {
    throw readError(error, repo);
  }
  for (const raw of data as RawRelease[]) {
    if (tags.includes(raw.tag_name) && !found.has(raw.tag_name)) found.set(raw.tag_name, toRecord(raw));
  }
  if (data.length < 100) return found;
  for (const tag of tags) {
    if (found.has(tag)) continue;
    try {
      const response = await github.rest.repos.getReleaseByTag({ owner: repo.owner, repo: repo.repo, tag });
      found.set(tag, toRecord(response.data as RawRelease));
    } catch (error) {
      if (statusOf(error) !== 404) throw readError(error, repo);
    }
  }
  return found;
}

export function sectionMarkers(key: string): { start: string; end: string } {
  return { start: marker(`${key}:start`), end: marker(`${key}:end`) };
}

function normalize(text: string): string {
  // Bodies edited in GitHub's web editor come back with CRLF line ends.
  return text.replace(/\r\n/g, "\n").trimEnd();
}

/** The body with the marked section replaced (or appended when there is none yet). */
export function replaceSection(body: string | null, key: string, content: string): string {
  const { start, end } = sectionMarkers(key);
  const section = `${start}\n${content.trimEnd()}\n${end}`;
  const existing = body ?? "";
  const from = existing.indexOf(start);
  if (from < 0) return existing.trim() === "" ? section : `${existing.trimEnd()}\n\n${section}`;
  const to = existing.indexOf(end, from + start.length);
  // A removed end marker: the section runs to the end of the body.
  const after = to < 0 ? "" : existing.slice(to + end.length);
  return `${existing.slice(0, from)}${section}${after}`;
}

/** The text of the marked section, or undefined when the body has none. */
export function readSection(body: string | null, key: string): string | undefined {
  const { start, end } = sectionMarkers(key);
  const existing = body ?? "";
  const from = existing.indexOf(start);
  if (from < 0) return undefined;
  const to = existing.indexOf(end, from);
  return normalize(existing.slice(from + start.length, to < 0 ? undefined : to)).replace(/^\n/, "");
}

/** Characters the body holds outside the marked section, markers included. */
export function lengthOutsideSection(body: string | null, key: string): number {
  return replaceSection(body, key, "").length;
}

export function sameBody(a: string | null, b: string | null): boolean {
  return normalize(a ?? "") === normalize(b ?? "");
}

export interface ReleaseSectionRequest extends RepoRef {
  tag: string;
  /** Marker key of the section (`release-notes`). */
  key: string;
  content: string;
  /** Name given to a release this call creates; an existing release keeps its name. */
  name: string;
  prerelease: boolean;
  /** The commit the tag points at: a tag missing on GitHub is then created there, not on the default branch. */
  targetCommitish: string;
  /** Whether GitHub should show this release as the latest when it is published. */
  makeLatest: boolean;
  /** Leave a new or draft release as a draft instead of publishing it. */
  draft: boolean;
  /** The release as found before (findReleases), or undefined when there is none. */
  existing: ReleaseRecord | undefined;
}

export interface ReleaseSectionResult {
  release: ReleaseRecord;
  created: boolean;
  /** False when the release already said exactly this. */
  changed: boolean;
  /** This call published a draft (its own or one found). */
  published: boolean;
}

/**
 * Creates the release as a draft with the section and then publishes it (so a release event fires
 * only once the notes are complete), or updates the section of the existing release. A re-run with
 * the same content sends no write.
 */
export async function upsertReleaseSection(
  github: GitHubClient,
  request: ReleaseSectionRequest,
): Promise<ReleaseSectionResult> {
  const repo = { owner: request.owner, repo: request.repo };
  let existing = request.existing;
  let created = false;
  if (!existing) {
    try {
      const { data } = await github.rest.repos.createRelease({
        ...repo,
        tag_name: request.tag,
        target_commitish: request.targetCommitish,
        name: request.name,
        body: replaceSection(null, request.key, request.content),
        draft: true,
        prerelease: request.prerelease,
      });
      existing = toRecord(data as RawRelease);
      created = true;
    } catch (error) {
      if (statusOf(error) !== 422) throw releaseError(error, request.tag);
      // Another run created it in the meantime: update that one.
      existing = (await findReleases(github, repo, [request.tag])).get(request.tag);
      if (!existing) throw releaseError(error, request.tag);
    }
  }

  const body = replaceSection(existing.body, request.key, request.content);
  const publish = existing.draft && !request.draft;
  const bodyChanged = !sameBody(existing.body, body);
  if (!bodyChanged && !publish) {
    return { release: existing, created, changed: created, published: false };
  }
  try {
    const { data } = await github.rest.repos.updateRelease({
      ...repo,
      release_id: existing.id,
      ...(bodyChanged ? { body } : {}),
      ...(publish ? { draft: false, make_latest: request.makeLatest ? "true" : "false" } : {}),
    });
    return { release: toRecord(data as RawRelease), created, changed: true, published: publish };
  } catch (error) {
    throw releaseError(error, request.tag);
  }
}

/** A refused read is the token's permissions (or the repository's name), not a bug. */
function readError(error: unknown, repo: RepoRef): Error {
  const status = statusOf(error);
  if (status === 401 || status === 403 || status === 404) {
    return new UserError(
      `GitHub refused to list the releases of ${repo.owner}/${repo.repo} (HTTP ${status}): ${errorMessage(error)}`,
      {
        fix: "Give the job `permissions: contents: write` (reading releases needs `contents: read`, writing them `write`), and check the token belongs to this repository.",
        input: "github-token",
      },
    );
  }
  return error instanceof Error ? error : new Error(errorMessage(error));
}

function releaseError(error: unknown, tag: string): Error {
  const status = statusOf(error);
  if (status === 403 || status === 401 || status === 404) {
    return new UserError(
      `GitHub refused to write the release of ${tag} (HTTP ${status}): ${errorMessage(error)}`,
      {
        fix: "Give the job `permissions: contents: write` (releases need it), and check the tag is pushed.",
        input: "github-token",
      },
    );
  }
  if (status === 422) {
    return new UserError(`GitHub rejected the release of ${tag}: ${errorMessage(error)}`, {
      fix: "Check that the tag exists on GitHub (push it before this step) and that the notes are not over the size limit.",
    });
  }
  return error instanceof Error ? error : new Error(errorMessage(error));
}
