// What a release-notes run did, as one value, and the JSON report made from it (the `report` output).
import type { ReleaseRecord } from "../github/release";
import type { ReleaseChanges } from "./changes";
import type { RangeLookup } from "./lookup";
import type { ReleaseRange } from "./range";
import type { ReleaseWrite } from "./release";
import type { RenderedNotes } from "./render";

export interface ReleaseNotesOutcome {
  range: ReleaseRange;
  changes: ReleaseChanges;
  notes: RenderedNotes;
  lookup: Pick<RangeLookup, "requests" | "splits">;
  /** Where the categories came from: the configuration file's name, or "defaults". */
  configSource: string;
  /** The tag's release as found before the write, if there was one. */
  existing: ReleaseRecord | undefined;
  write: ReleaseWrite;
}

export interface ReleaseReport {
  id: number;
  url: string;
  draft: boolean;
  created: boolean;
  changed: boolean;
  published: boolean;
}

export interface ReleaseNotesReport {
  tag: string;
  commit: string;
  previousTag: string | null;
  compareUrl: string;
  commits: number;
  firstParentCommits: number;
  pullRequests: number;
  directCommits: number;
  /** Changes listed per section title. */
  sections: Record<string, number>;
  reverted: { revert: string; reverted: string[] }[];
  excluded: string[];
  contributors: string[];
  firstTimeContributors: string[];
  omitted: number;
  graphqlRequests: number;
  batchSplits: number;
  config: string;
  dryRun: boolean;
  release: ReleaseReport | null;
  /** Present (true) when GitHub refused the write. */
  releaseWriteFailed?: true;
}

/** The release the notes are on now: the one written, else the one found (not after a refused write). */
export function currentRelease(outcome: ReleaseNotesOutcome): ReleaseRecord | undefined {
  return outcome.write.status === "written" ? outcome.write.result.release : outcome.existing;
}

function releaseReport(outcome: ReleaseNotesOutcome): ReleaseReport | null {
  if (outcome.write.status === "written") {
    const { release, created, changed, published } = outcome.write.result;
    return { id: release.id, url: release.url, draft: release.draft, created, changed, published };
  }
  const existing = outcome.existing;
  if (!existing) return null;
  return {
    id: existing.id,
    url: existing.url,
    draft: existing.draft,
    created: false,
    changed: false,
    published: false,
  };
}

/** `#12` for a pull request's change, the sha for a direct commit's. */
function changeRef(key: string): string {
  return key.replace(/^pr:/, "#").replace(/^commit:/, "");
}

export function buildReport(outcome: ReleaseNotesOutcome): ReleaseNotesReport {
  const { range, changes, notes } = outcome;
  const listed = changes.sections.flatMap((section) => section.changes);
  const report: ReleaseNotesReport = {
    tag: range.tag,
    commit: range.tagSha,
    previousTag: range.previous?.name ?? null,
    compareUrl: notes.compareUrl,
    commits: range.history.commits.size,
    firstParentCommits: range.history.mainline.length,
    pullRequests: listed.filter((c) => c.pullRequest).length,
    directCommits: listed.filter((c) => !c.pullRequest).length,
    sections: Object.fromEntries(changes.sections.map((s) => [s.title, s.changes.length])),
    reverted: changes.reverts.map((pair) => ({
      revert: changeRef(pair.revert.key),
      reverted: pair.reverted.map((c) => changeRef(c.key)),
    })),
    excluded: changes.excluded.map((c) => changeRef(c.key)),
    contributors: changes.contributors.map((c) => c.login ?? c.name),
    firstTimeContributors: changes.contributors.filter((c) => c.firstTime).map((c) => c.login ?? c.name),
    omitted: notes.omitted,
    graphqlRequests: outcome.lookup.requests,
    batchSplits: outcome.lookup.splits,
    config: outcome.configSource,
    dryRun: outcome.write.status === "dry-run",
    release: releaseReport(outcome),
  };
  if (outcome.write.status === "failed") report.releaseWriteFailed = true;
  return report;
}
