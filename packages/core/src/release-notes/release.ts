// The GitHub release that holds a tag's notes: the section shipline owns in its body, how long the
// notes may be there, what to write, and what writing did.
import type { GitHubClient, RepoRef } from "../github/client";
import {
  lengthOutsideSection,
  type ReleaseRecord,
  type ReleaseSectionRequest,
  type ReleaseSectionResult,
  readSection,
  upsertReleaseSection,
} from "../github/release";
import type { ReleaseRange } from "./range";
import { RELEASE_BODY_LIMIT } from "./render";
import type { VersionTag } from "./version-tags";

/** The marker key of the section shipline owns in the release body. */
export const NOTES_SECTION = "release-notes";
/** Room left under GitHub's limit for the markers and text a person adds later. */
const BODY_HEADROOM = 1_000;

/** Characters the notes may take in the release body, beside what the body already holds. */
export function notesLengthLimit(existing: ReleaseRecord | undefined): number {
  return RELEASE_BODY_LIMIT - BODY_HEADROOM - lengthOutsideSection(existing?.body ?? null, NOTES_SECTION);
}

/** The notes shipline wrote into a release, or undefined when it holds none (no release, or never written). */
export function notesOfRelease(release: ReleaseRecord | undefined): string | undefined {
  return release ? readSection(release.body, NOTES_SECTION) : undefined;
}

export interface ReleaseRequest {
  tag: VersionTag;
  range: Pick<ReleaseRange, "tagSha" | "latest">;
  notes: string;
  /** The name of a release this write creates; an existing one keeps its name. */
  name: string;
  draft: boolean;
  /** The release found before, or undefined when there is none. */
  existing: ReleaseRecord | undefined;
}

/** What to write: the notes section of the tag's release, created at the tag's commit when missing. */
export function planReleaseWrite(repo: RepoRef, request: ReleaseRequest): ReleaseSectionRequest {
  return {
    ...repo,
    tag: request.tag.name,
    key: NOTES_SECTION,
    content: request.notes,
    name: request.name,
    prerelease: request.tag.version.prerelease.length > 0,
    makeLatest: request.range.latest,
    draft: request.draft,
    targetCommitish: request.range.tagSha,
    existing: request.existing,
  };
}

/** What happened to the release: not touched (a dry run), written, or a write GitHub refused. */
export type ReleaseWrite =
  | { status: "dry-run" }
  | { status: "written"; result: ReleaseSectionResult }
  | { status: "failed"; error: unknown };

/**
 * Writes the notes section. A failed write is returned, not thrown: the notes are ready, and the
 * caller still hands them over (outputs, summary) before it fails.
 */
export async function writeRelease(github: GitHubClient, plan: ReleaseSectionRequest): Promise<ReleaseWrite> {
  try {
    return { status: "written", result: await upsertReleaseSection(github, plan) };
  } catch (error) {
    return { status: "failed", error };
  }
}

/** One phrase for the log and the summary: "created and published", "unchanged", ... */
export function releaseStatus(write: ReleaseWrite): string {
  switch (write.status) {
    case "dry-run":
      return "dry run: not written";
    case "failed":
      return "not written: the write failed";
    default: {
      const { result } = write;
      if (result.created) return result.release.draft ? "created as a draft" : "created and published";
      if (!result.changed) return "unchanged";
      return result.published ? "updated and published" : "updated";
    }
  }
}
