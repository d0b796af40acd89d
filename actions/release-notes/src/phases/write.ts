// Phase "Release": the notes written into the tag's GitHub release (created as a draft, then
// published, unless `draft`), or nothing in a dry run. A refused write is returned, not thrown.
import type { GitHubClient } from "@shipline/core/github/client";
import type { ReleaseRange } from "@shipline/core/release-notes/range";
import {
  planReleaseWrite,
  type ReleaseWrite,
  releaseStatus,
  writeRelease,
} from "@shipline/core/release-notes/release";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";
import type { Notes } from "./render";

export async function write(
  context: ActionContext,
  settings: Settings,
  github: GitHubClient,
  range: ReleaseRange,
  rendered: Notes,
): Promise<ReleaseWrite> {
  const { logger } = context;
  if (settings.dryRun) {
    logger.info("Dry run: the notes go to the step summary and the `notes` output only.");
    return { status: "dry-run" };
  }
  const plan = planReleaseWrite(settings.repo, {
    tag: settings.tag,
    range,
    notes: rendered.notes.markdown,
    name: settings.releaseName ?? settings.tag.name,
    draft: settings.draft,
    existing: rendered.existing,
  });
  return logger.group("Release", async () => {
    const written = await writeRelease(github, plan);
    if (written.status === "written") {
      logger.info(`Release ${plan.tag}: ${releaseStatus(written)} (${written.result.release.url}).`);
    }
    return written;
  });
}
