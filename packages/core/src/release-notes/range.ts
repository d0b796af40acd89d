// The range a release covers, read from the local checkout: the tag's commit, the tag it is compared
// with, the commits between them, and whether the release is the repository's newest stable one.
import type { Git } from "../github/git";
import { UserError } from "../runtime/errors";
import { inputError } from "../runtime/inputs";
import type { Logger } from "../runtime/logger";
import { type RangeHistory, readRange } from "./history";
import {
  isLatestVersion,
  previousVersionTag,
  type TagPattern,
  type VersionTag,
  versionOfTag,
  versionTags,
} from "./version-tags";

export interface RangeRequest {
  /** The release's tag. */
  tag: VersionTag;
  /** How version tags are named (the previous tag is looked for among them). */
  pattern: TagPattern;
  /** The tag to compare with when the caller names one; otherwise the previous version tag. */
  previousTag: string | undefined;
  /** Fetch the history and tags from origin when the checkout is shallow or lacks the tag. */
  fetchHistory: boolean;
}

/** The tag compared with: a version tag, or a tag the caller named that is not one. */
export type PreviousTag = VersionTag | { name: string; version: undefined };

export interface ReleaseRange {
  tag: string;
  /** The commit the tag points at. */
  tagSha: string;
  /** undefined on a first release. */
  previous: PreviousTag | undefined;
  previousSha: string | undefined;
  history: RangeHistory;
  /** Whether GitHub should show the release as the latest (no higher stable version tag exists). */
  latest: boolean;
}

const FULL_HISTORY_FIX =
  "Check out with `fetch-depth: 0` on actions/checkout, so every commit and tag is there.";

/** A shallow checkout cannot show the range: fetch the rest when allowed, else refuse. */
export async function ensureFullHistory(git: Git, fetchHistory: boolean, logger: Logger): Promise<void> {
  if (!(await git.isShallow())) return;
  if (!fetchHistory) {
    throw new UserError("The checkout is shallow: release notes need the history back to the previous tag.", {
      fix: `${FULL_HISTORY_FIX} (Or set fetch-history: true to let this step fetch it.)`,
      input: "fetch-history",
    });
  }
  logger.warning(
    `The checkout is shallow; fetching the full history and tags from origin. ${FULL_HISTORY_FIX}`,
  );
  try {
    await git.fetchFullHistory();
  } catch (error) {
    throw new UserError(`The checkout is shallow and fetching the full history failed: ${String(error)}`, {
      fix: FULL_HISTORY_FIX,
      cause: error,
    });
  }
}

async function tagCommit(git: Git, request: RangeRequest, logger: Logger): Promise<string> {
  const tag = request.tag.name;
  let sha = await git.resolveCommit(`refs/tags/${tag}`);
  if (!sha && request.fetchHistory) {
    logger.info(`Tag ${tag} is not in the checkout; fetching tags from origin.`);
    await git.fetchFullHistory().catch(() => undefined);
    sha = await git.resolveCommit(`refs/tags/${tag}`);
  }
  if (!sha) {
    throw inputError(
      "tag",
      `${tag} is not a tag of the checkout.`,
      "Push the tag, and check out with `fetch-depth: 0` (which fetches every tag).",
    );
  }
  return sha;
}

/** The tag named by the caller, or the newest version tag below the release that its commit reaches. */
async function previousTag(
  git: Git,
  request: RangeRequest,
  tagSha: string,
): Promise<PreviousTag | undefined> {
  if (request.previousTag) {
    const version = versionOfTag(request.previousTag, request.pattern);
    return version
      ? { name: request.previousTag, version }
      : { name: request.previousTag, version: undefined };
  }
  return previousVersionTag(request.tag, versionTags(await git.tags(tagSha), request.pattern));
}

async function previousCommit(git: Git, previous: PreviousTag, tag: string, tagSha: string): Promise<string> {
  const sha = await git.resolveCommit(`refs/tags/${previous.name}`);
  if (!sha) {
    throw inputError(
      "previous-tag",
      `${previous.name} is not a tag of the checkout.`,
      "Give an existing tag, or leave previous-tag empty to pick it from the tags.",
    );
  }
  if (!(await git.isAncestor(sha, tagSha))) {
    throw inputError(
      "previous-tag",
      `${previous.name} is not an ancestor of ${tag}: the range between them would mix two lines of history.`,
      "Give a tag on the history of the new tag (for a hotfix branch, the release it branched from).",
    );
  }
  return sha;
}

/**
 * Resolves what a release covers. Refuses (naming the input) a tag that is not in the checkout and a
 * previous tag that is missing or not an ancestor; nothing outside the checkout is changed.
 */
export async function resolveRange(git: Git, request: RangeRequest, logger: Logger): Promise<ReleaseRange> {
  await git.assertRepository();
  await ensureFullHistory(git, request.fetchHistory, logger);
  const tag = request.tag.name;
  const tagSha = await tagCommit(git, request, logger);
  const previous = await previousTag(git, request, tagSha);
  const previousSha = previous ? await previousCommit(git, previous, tag, tagSha) : undefined;
  const history = await readRange(git, previousSha, tagSha);
  const latest = isLatestVersion(request.tag, versionTags(await git.tags(), request.pattern));
  logger.info(
    previous
      ? `${previous.name}..${tag}: ${history.commits.size} commits, ${history.mainline.length} on the branch itself.`
      : `${tag} is the first release: ${history.commits.size} commits from the root commit.`,
  );
  return { tag, tagSha, previous, previousSha, history, latest };
}
