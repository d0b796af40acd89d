// Phase "Notes": the markdown of the notes, with what was deployed and the previous release's record
// of what it deployed, sized to fit beside what the tag's release already holds.
import type { GitHubClient } from "@shipline/core/github/client";
import { findReleases, type ReleaseRecord } from "@shipline/core/github/release";
import type { ReleaseChanges } from "@shipline/core/release-notes/changes";
import { type DeploymentFacts, readDeploymentRecord } from "@shipline/core/release-notes/deployment";
import type { ReleaseRange } from "@shipline/core/release-notes/range";
import { notesLengthLimit } from "@shipline/core/release-notes/release";
import { type RenderedNotes, renderNotes } from "@shipline/core/release-notes/render";
import type { Logger } from "@shipline/core/runtime/logger";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";

export interface Notes {
  notes: RenderedNotes;
  /** The tag's release before this run, if there is one. */
  existing: ReleaseRecord | undefined;
}

function deploymentFacts(
  settings: Settings,
  range: ReleaseRange,
  previousRelease: ReleaseRecord | undefined,
): DeploymentFacts {
  const recorded = readDeploymentRecord(previousRelease?.body);
  const previousTag = range.previous?.name;
  return {
    ...settings.deployment,
    previous: recorded && previousTag ? { ...recorded, tag: previousTag } : undefined,
  };
}

function logCounts(logger: Logger, changes: ReleaseChanges, notes: RenderedNotes): void {
  for (const section of changes.sections) logger.info(`${section.title}: ${section.changes.length}`);
  if (changes.reverts.length > 0) logger.info(`Revert pairs left out: ${changes.reverts.length}`);
  if (changes.excluded.length > 0) logger.info(`Excluded by configuration: ${changes.excluded.length}`);
  if (notes.omitted > 0) {
    logger.warning(`${notes.omitted} changes are not listed, to stay under GitHub's release size limit.`);
  }
}

export function render(
  context: ActionContext,
  settings: Settings,
  github: GitHubClient,
  range: ReleaseRange,
  changes: ReleaseChanges,
): Promise<Notes> {
  return context.logger.group("Notes", async () => {
    const tags = [range.tag, ...(range.previous ? [range.previous.name] : [])];
    const releases = await findReleases(github, settings.repo, tags);
    const existing = releases.get(range.tag);
    const previousRelease = range.previous ? releases.get(range.previous.name) : undefined;
    const notes = renderNotes(changes, {
      repositoryUrl: settings.repositoryUrl,
      tag: range.tag,
      previousTag: range.previous?.name,
      issueKeys: settings.config.issueKeys,
      deployment: deploymentFacts(settings, range, previousRelease),
      maxLength: notesLengthLimit(existing),
    });
    logCounts(context.logger, changes, notes);
    return { notes, existing };
  });
}
