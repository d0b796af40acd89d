// The outcome of a run rendered once: the outputs, and the step summary with the notes.

import { releaseStatus } from "@shipline/core/release-notes/release";
import { buildReport, currentRelease, type ReleaseNotesOutcome } from "@shipline/core/release-notes/report";
import type { ActionContext } from "@shipline/core/runtime/run";
import { outputSpec } from "./outputs";

export function publish(context: ActionContext, outcome: ReleaseNotesOutcome): void {
  const { range, changes, notes, write } = outcome;
  const release = currentRelease(outcome);
  context.outputs(outputSpec).setAll({
    "release-url": release?.url ?? "",
    "release-id": release ? String(release.id) : "",
    notes: notes.markdown,
    "previous-tag": range.previous?.name ?? "",
    report: buildReport(outcome),
  });

  const dryRun = write.status === "dry-run";
  const status = releaseStatus(write);
  const { lookup } = outcome;
  const listed = changes.sections.reduce((sum, section) => sum + section.changes.length, 0);
  context.summary
    .heading(`Release notes for ${range.tag}${dryRun ? " (dry run)" : ""}`)
    .table(
      ["", ""],
      [
        ["Previous tag", range.previous?.name ?? "none (first release)"],
        ["Commits", `${range.history.commits.size} (${range.history.mainline.length} on the branch)`],
        ["Changes listed", `${listed}${notes.omitted ? ` (${notes.omitted} not shown: size limit)` : ""}`],
        ["Reverted pairs left out", changes.reverts.length],
        ["Excluded by configuration", changes.excluded.length],
        ["GitHub GraphQL requests", `${lookup.requests}${lookup.splits ? ` (${lookup.splits} splits)` : ""}`],
        ["Release", release ? `[${range.tag}](${release.url}): ${status}` : status],
      ],
    )
    .details("Notes", notes.markdown, write.status !== "written");
}
