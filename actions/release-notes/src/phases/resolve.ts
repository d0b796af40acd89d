// Phase "Range": which commits the release covers, and the tag it is compared with.
import type { Git } from "@shipline/core/github/git";
import { type ReleaseRange, resolveRange } from "@shipline/core/release-notes/range";
import type { ActionContext } from "@shipline/core/runtime/run";
import type { Settings } from "../settings";

export function resolve(context: ActionContext, settings: Settings, git: Git): Promise<ReleaseRange> {
  return context.logger.group("Range", () =>
    resolveRange(
      git,
      {
        tag: settings.tag,
        pattern: settings.pattern,
        previousTag: settings.previousTag,
        fetchHistory: settings.fetchHistory,
      },
      context.logger,
    ),
  );
}
