// Phase "Pull requests": what GitHub knows of each commit, then the changes of the release grouped,
// revert pairs cancelled, exclusions applied and contributors found.
import type { GitHubClient } from "@shipline/core/github/client";
import type { Git } from "@shipline/core/github/git";
import { groupChanges, organizeChanges, type ReleaseChanges } from "@shipline/core/release-notes/changes";
import { lookUpRange, type RangeLookup } from "@shipline/core/release-notes/lookup";
import type { ReleaseRange } from "@shipline/core/release-notes/range";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";

export interface CollectedChanges {
  lookup: RangeLookup;
  changes: ReleaseChanges;
}

export async function collect(
  context: ActionContext,
  settings: Settings,
  clients: { git: Git; github: GitHubClient },
  range: ReleaseRange,
): Promise<CollectedChanges> {
  const { logger } = context;
  const lookup = await logger.group("Pull requests", async () => {
    const result = await lookUpRange(clients.github, settings.repo, range.history, {
      logger,
      clock: context.clock,
      signal: context.signal,
    });
    logger.info(
      `${result.commits.size} commits looked up in ${result.requests} GraphQL requests (${result.points} rate-limit points)${result.splits ? `; ${result.splits} batches split after time-outs` : ""}.`,
    );
    return result;
  });
  const previousAuthorEmails = range.previousSha
    ? await clients.git.authorEmails(range.previousSha)
    : undefined;
  const changes = organizeChanges(groupChanges(range.history, lookup.commits), settings.config, {
    previousAuthorEmails,
    lookups: lookup.commits,
  });
  return { lookup, changes };
}
