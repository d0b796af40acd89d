// release-notes: the notes of a version tag from local git history and the pull requests GitHub
// knows, with what was deployed, written into the tag's GitHub release between shipline's markers.
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createGitHubClient, type RepoRef, repoFromEnv } from "@shipline/core/github/client";
import { Git } from "@shipline/core/github/git";
import {
  findReleases,
  lengthOutsideSection,
  type ReleaseRecord,
  type ReleaseSectionResult,
  upsertReleaseSection,
} from "@shipline/core/github/release";
import { groupChanges, organizeChanges, type ReleaseChanges } from "@shipline/core/release-notes/changes";
import {
  ConfigError,
  defaultConfig,
  parseConfig,
  type ReleaseNotesConfig,
} from "@shipline/core/release-notes/config";
import {
  type DeploymentFacts,
  digestOfImage,
  readDeploymentRecord,
} from "@shipline/core/release-notes/deployment";
import { type RangeHistory, readRange } from "@shipline/core/release-notes/history";
import {
  type CommitOnGitHub,
  lookUpPullRequests,
  mergingPullRequest,
} from "@shipline/core/release-notes/pull-requests";
import { RELEASE_BODY_LIMIT, type RenderedNotes, renderNotes } from "@shipline/core/release-notes/render";
import {
  isLatestVersion,
  parseTagPattern,
  previousVersionTag,
  type TagPattern,
  type VersionTag,
  versionOfTag,
  versionTags,
} from "@shipline/core/release-notes/version-tags";
import { UserError } from "@shipline/core/runtime/errors";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Logger } from "@shipline/core/runtime/logger";
import type { ActionContext } from "@shipline/core/runtime/run";
import { type Inputs, inputSpec } from "./inputs";
import { outputSpec } from "./outputs";

/** The marker key of the section shipline owns in the release body. */
const SECTION_KEY = "release-notes";
/** Room left under GitHub's limit for the markers and text a person adds later. */
const BODY_HEADROOM = 1_000;
const ROLLBACK_PLACEHOLDER = "<owner>/shipline/actions/auto-rollback@v1";

interface Plan {
  tag: string;
  version: VersionTag;
  pattern: TagPattern;
  directory: string;
  config: ReleaseNotesConfig;
  configSource: string;
  rollbackAction: string;
}

function prepare(inputs: Inputs, env: NodeJS.ProcessEnv, logger: Logger): Plan {
  const ref = env.GITHUB_REF ?? "";
  const tag = inputs.tag ?? (ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : undefined);
  if (!tag) {
    throw inputError(
      "tag",
      `was not given, and the workflow did not start from a tag push (GITHUB_REF is "${ref}").`,
      "Run the workflow on `push: tags: ['v*']`, or pass `tag:` (for example `tag: v1.5.0`).",
    );
  }
  const pattern = parseTagPattern(inputs.tagPattern);
  const version = versionOfTag(tag, pattern);
  if (!version) {
    throw inputError(
      "tag",
      `"${tag}" is not a semantic version tag under tag-pattern "${pattern.source}".`,
      `Tag versions as ${pattern.prefix}1.5.0${pattern.suffix} (or ${pattern.prefix}1.5.0-rc.1${pattern.suffix}), or set tag-pattern to how your tags are named.`,
    );
  }
  if (inputs.image && inputs.digest && digestOfImage(inputs.image) !== inputs.digest) {
    throw inputError(
      "digest",
      `${inputs.digest} is not the digest of the image ${inputs.image}.`,
      "Pass the image and digest outputs of the same build-push step (or only one of them).",
    );
  }
  if (!inputs.githubToken) {
    throw inputError(
      "github-token",
      "is empty.",
      "Leave github-token at its default (the job's token) or pass one.",
    );
  }

  const directory = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), inputs.workingDirectory);
  const configPath = resolve(directory, inputs.configFile);
  let config = defaultConfig;
  let configSource = "defaults";
  if (existsSync(configPath)) {
    try {
      config = parseConfig(readFileSync(configPath, "utf8"));
      configSource = inputs.configFile;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      throw new UserError(
        `${inputs.configFile}${error.line ? ` (line ${error.line})` : ""}: ${error.message}`,
        {
          fix: "Correct the file; the release-notes README lists every key with its default.",
          input: "config-file",
        },
      );
    }
  } else {
    logger.info(`No ${inputs.configFile}: using the default categories.`);
  }

  const actionRepository = env.GITHUB_ACTION_REPOSITORY;
  const actionRef = env.GITHUB_ACTION_REF;
  const rollbackAction =
    inputs.rollbackAction ??
    (actionRepository && actionRef
      ? `${actionRepository}/actions/auto-rollback@${actionRef}`
      : ROLLBACK_PLACEHOLDER);
  return {
    tag,
    version: { name: tag, version },
    pattern,
    directory,
    config,
    configSource,
    rollbackAction,
  };
}

interface Range {
  tagSha: string;
  previous: VersionTag | { name: string; version: undefined } | undefined;
  previousSha: string | undefined;
  history: RangeHistory;
  latest: boolean;
}

async function ensureFullHistory(git: Git, inputs: Inputs, logger: Logger): Promise<void> {
  if (!(await git.isShallow())) return;
  const ask = "Check out with `fetch-depth: 0` on actions/checkout, so every commit and tag is there.";
  if (!inputs.fetchHistory) {
    throw new UserError("The checkout is shallow: release notes need the history back to the previous tag.", {
      fix: `${ask} (Or set fetch-history: true to let this step fetch it.)`,
      input: "fetch-history",
    });
  }
  logger.warning(`The checkout is shallow; fetching the full history and tags from origin. ${ask}`);
  try {
    await git.fetchFullHistory();
  } catch (error) {
    throw new UserError(`The checkout is shallow and fetching the full history failed: ${String(error)}`, {
      fix: ask,
      cause: error,
    });
  }
}

async function resolveRange(git: Git, inputs: Inputs, plan: Plan, logger: Logger): Promise<Range> {
  await git.assertRepository();
  await ensureFullHistory(git, inputs, logger);
  let tagSha = await git.resolveCommit(`refs/tags/${plan.tag}`);
  if (!tagSha && inputs.fetchHistory) {
    logger.info(`Tag ${plan.tag} is not in the checkout; fetching tags from origin.`);
    await git.fetchFullHistory().catch(() => undefined);
    tagSha = await git.resolveCommit(`refs/tags/${plan.tag}`);
  }
  if (!tagSha) {
    throw inputError(
      "tag",
      `${plan.tag} is not a tag of the checkout.`,
      "Push the tag, and check out with `fetch-depth: 0` (which fetches every tag).",
    );
  }

  let previous: Range["previous"];
  if (inputs.previousTag) {
    const version = versionOfTag(inputs.previousTag, plan.pattern);
    previous = version
      ? { name: inputs.previousTag, version }
      : { name: inputs.previousTag, version: undefined };
  } else {
    previous = previousVersionTag(plan.version, versionTags(await git.tags(tagSha), plan.pattern));
  }
  let previousSha: string | undefined;
  if (previous) {
    previousSha = await git.resolveCommit(`refs/tags/${previous.name}`);
    if (!previousSha) {
      throw inputError(
        "previous-tag",
        `${previous.name} is not a tag of the checkout.`,
        "Give an existing tag, or leave previous-tag empty to pick it from the tags.",
      );
    }
    if (!(await git.isAncestor(previousSha, tagSha))) {
      throw inputError(
        "previous-tag",
        `${previous.name} is not an ancestor of ${plan.tag}: the range between them would mix two lines of history.`,
        "Give a tag on the history of the new tag (for a hotfix branch, the release it branched from).",
      );
    }
  }
  const history = await readRange(git, previousSha, tagSha);
  const latest = isLatestVersion(plan.version, versionTags(await git.tags(), plan.pattern));
  logger.info(
    previous
      ? `${previous.name}..${plan.tag}: ${history.commits.size} commits, ${history.mainline.length} on the branch itself.`
      : `${plan.tag} is the first release: ${history.commits.size} commits from the root commit.`,
  );
  return { tagSha, previous, previousSha, history, latest };
}

async function lookUp(
  context: ActionContext,
  github: ReturnType<typeof createGitHubClient>,
  repo: RepoRef,
  history: RangeHistory,
): Promise<{ lookups: Map<string, CommitOnGitHub>; requests: number; splits: number }> {
  const options = { logger: context.logger, clock: context.clock, signal: context.signal };
  const first = await lookUpPullRequests(
    github,
    repo,
    history.mainline.map((c) => c.sha),
    options,
  );
  const lookups = new Map(first.commits);
  // Merges no pull request made (a release branch merged back): what they brought in may hold PRs.
  const inner = history.mainline
    .filter((commit) => commit.parents.length > 1)
    .filter((commit) => {
      const lookup = lookups.get(commit.sha);
      return !lookup || !mergingPullRequest(lookup);
    })
    .flatMap((commit) => (history.branchCommits.get(commit.sha) ?? []).map((c) => c.sha));
  let { requests, splits } = first;
  if (inner.length > 0) {
    context.logger.info(
      `${inner.length} commits came in through merges without a pull request; looking them up too.`,
    );
    const second = await lookUpPullRequests(github, repo, inner, options);
    for (const [sha, lookup] of second.commits) lookups.set(sha, lookup);
    requests += second.requests;
    splits += second.splits;
  }
  return { lookups, requests, splits };
}

function deploymentFacts(
  inputs: Inputs,
  plan: Plan,
  previousTag: string | undefined,
  previousRelease: ReleaseRecord | undefined,
): DeploymentFacts {
  const recorded = readDeploymentRecord(previousRelease?.body);
  return {
    image: inputs.image,
    digest: inputs.digest,
    taskDefinitionArn: inputs.taskDefinitionArn,
    previousTaskDefinitionArn: inputs.previousTaskDefinitionArn,
    migrations: inputs.migrations,
    verdict: inputs.verdict,
    healthReport: inputs.healthReport,
    previous: recorded && previousTag ? { ...recorded, tag: previousTag } : undefined,
    rollbackAction: plan.rollbackAction,
    rollbackWith: inputs.rollbackWith ?? {},
  };
}

function releaseStatus(result: ReleaseSectionResult | undefined, dryRun: boolean): string {
  if (dryRun || !result) return "dry run: not written";
  if (result.created) return result.release.draft ? "created as a draft" : "created and published";
  if (!result.changed) return "unchanged";
  return result.published ? "updated and published" : "updated";
}

function buildReport(
  plan: Plan,
  range: Range,
  organized: ReleaseChanges,
  rendered: RenderedNotes,
  lookup: { requests: number; splits: number },
  release: ReleaseSectionResult | undefined,
  existing: ReleaseRecord | undefined,
  dryRun: boolean,
): Record<string, unknown> {
  const listed = organized.sections.flatMap((section) => section.changes);
  const ref = (key: string): string => key.replace(/^pr:/, "#").replace(/^commit:/, "");
  return {
    tag: plan.tag,
    commit: range.tagSha,
    previousTag: range.previous?.name ?? null,
    compareUrl: rendered.compareUrl,
    commits: range.history.commits.size,
    firstParentCommits: range.history.mainline.length,
    pullRequests: listed.filter((c) => c.pullRequest).length,
    directCommits: listed.filter((c) => !c.pullRequest).length,
    sections: Object.fromEntries(organized.sections.map((s) => [s.title, s.changes.length])),
    reverted: organized.reverts.map((pair) => ({
      revert: ref(pair.revert.key),
      reverted: pair.reverted.map((c) => ref(c.key)),
    })),
    excluded: organized.excluded.map((c) => ref(c.key)),
    contributors: organized.contributors.map((c) => c.login ?? c.name),
    firstTimeContributors: organized.contributors.filter((c) => c.firstTime).map((c) => c.login ?? c.name),
    omitted: rendered.omitted,
    graphqlRequests: lookup.requests,
    batchSplits: lookup.splits,
    config: plan.configSource,
    dryRun,
    release: release
      ? {
          id: release.release.id,
          url: release.release.url,
          draft: release.release.draft,
          created: release.created,
          changed: release.changed,
          published: release.published,
        }
      : existing
        ? {
            id: existing.id,
            url: existing.url,
            draft: existing.draft,
            created: false,
            changed: false,
            published: false,
          }
        : null,
  };
}

export async function main(context: ActionContext): Promise<void> {
  const inputs = context.inputs(inputSpec);
  const { logger } = context;
  const outputs = context.outputs(outputSpec);
  const plan = prepare(inputs, context.env, logger);
  const repo = repoFromEnv(context.env);
  const repositoryUrl = `${context.env.GITHUB_SERVER_URL ?? "https://github.com"}/${repo.owner}/${repo.repo}`;
  const git = new Git({ cwd: plan.directory, logger });

  const range = await logger.group("Range", () => resolveRange(git, inputs, plan, logger));
  const github = createGitHubClient(inputs.githubToken, { logger });

  const lookup = await logger.group("Pull requests", async () => {
    const result = await lookUp(context, github, repo, range.history);
    logger.info(
      `${result.lookups.size} commits looked up in ${result.requests} GraphQL requests${result.splits ? ` (${result.splits} batches split after time-outs)` : ""}.`,
    );
    return result;
  });

  const { organized, rendered, existing } = await logger.group("Notes", async () => {
    const changes = groupChanges(range.history, lookup.lookups);
    const previousAuthorEmails = range.previousSha ? await git.authorEmails(range.previousSha) : undefined;
    const organized = organizeChanges(changes, plan.config, {
      previousAuthorEmails,
      lookups: lookup.lookups,
    });
    const tags = [plan.tag, ...(range.previous ? [range.previous.name] : [])];
    const releases = await findReleases(github, repo, tags);
    const existing = releases.get(plan.tag);
    const previousRelease = range.previous ? releases.get(range.previous.name) : undefined;
    const rendered = renderNotes(organized, {
      repositoryUrl,
      tag: plan.tag,
      previousTag: range.previous?.name,
      issueKeys: plan.config.issueKeys,
      deployment: deploymentFacts(inputs, plan, range.previous?.name, previousRelease),
      maxLength:
        RELEASE_BODY_LIMIT - BODY_HEADROOM - lengthOutsideSection(existing?.body ?? null, SECTION_KEY),
    });
    for (const section of organized.sections) logger.info(`${section.title}: ${section.changes.length}`);
    if (organized.reverts.length > 0) logger.info(`Revert pairs left out: ${organized.reverts.length}`);
    if (organized.excluded.length > 0) logger.info(`Excluded by configuration: ${organized.excluded.length}`);
    if (rendered.omitted > 0) {
      logger.warning(
        `${rendered.omitted} changes are not listed, to stay under GitHub's release size limit.`,
      );
    }
    return { organized, rendered, existing };
  });

  let release: ReleaseSectionResult | undefined;
  let writeFailure: unknown;
  if (inputs.dryRun) {
    logger.info("Dry run: the notes go to the step summary and the `notes` output only.");
  } else {
    try {
      release = await logger.group("Release", async () => {
        const result = await upsertReleaseSection(github, {
          ...repo,
          tag: plan.tag,
          key: SECTION_KEY,
          content: rendered.markdown,
          name: inputs.releaseName ?? plan.tag,
          prerelease: plan.version.version.prerelease.length > 0,
          makeLatest: range.latest,
          draft: inputs.draft,
          targetCommitish: range.tagSha,
          existing,
        });
        logger.info(`Release ${plan.tag}: ${releaseStatus(result, false)} (${result.release.url}).`);
        return result;
      });
    } catch (error) {
      // The notes are ready: a refused write still hands them over (outputs, summary), then fails.
      writeFailure = error;
    }
  }

  const shown = release?.release ?? existing;
  const report = buildReport(plan, range, organized, rendered, lookup, release, existing, inputs.dryRun);
  if (writeFailure !== undefined) report.releaseWriteFailed = true;
  outputs.setAll({
    "release-url": shown?.url ?? "",
    "release-id": shown ? String(shown.id) : "",
    notes: rendered.markdown,
    "previous-tag": range.previous?.name ?? "",
    report,
  });

  const listed = organized.sections.reduce((sum, section) => sum + section.changes.length, 0);
  const status =
    writeFailure !== undefined ? "not written: the write failed" : releaseStatus(release, inputs.dryRun);
  context.summary
    .heading(`Release notes for ${plan.tag}${inputs.dryRun ? " (dry run)" : ""}`)
    .table(
      ["", ""],
      [
        ["Previous tag", range.previous?.name ?? "none (first release)"],
        ["Commits", `${range.history.commits.size} (${range.history.mainline.length} on the branch)`],
        [
          "Changes listed",
          `${listed}${rendered.omitted ? ` (${rendered.omitted} not shown: size limit)` : ""}`,
        ],
        ["Reverted pairs left out", organized.reverts.length],
        ["Excluded by configuration", organized.excluded.length],
        ["GitHub GraphQL requests", `${lookup.requests}${lookup.splits ? ` (${lookup.splits} splits)` : ""}`],
        ["Release", shown ? `[${plan.tag}](${shown.url}): ${status}` : status],
      ],
    )
    .details("Notes", rendered.markdown, inputs.dryRun || writeFailure !== undefined);
  if (writeFailure !== undefined) throw writeFailure;
}
