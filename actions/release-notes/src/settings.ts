// The inputs of release-notes and the workflow's environment made into checked settings, before any
// git or GitHub call: the tag and its version, the configuration file, what was deployed.
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve } from "node:path";
import { type RepoRef, repoFromEnv } from "@shipline/core/github/client";
import {
  ConfigError,
  defaultConfig,
  parseConfig,
  type ReleaseNotesConfig,
} from "@shipline/core/release-notes/config";
import { type DeploymentFacts, digestOfImage } from "@shipline/core/release-notes/deployment";
import {
  parseTagPattern,
  type TagPattern,
  type VersionTag,
  versionOfTag,
} from "@shipline/core/release-notes/version-tags";
import { UserError } from "@shipline/core/runtime/errors";
import { inputError } from "@shipline/core/runtime/inputs";
import type { Logger } from "@shipline/core/runtime/logger";
import type { Inputs } from "./inputs";

const ROLLBACK_PLACEHOLDER = "<owner>/shipline/actions/auto-rollback@v1";

export interface Settings {
  tag: VersionTag;
  pattern: TagPattern;
  previousTag: string | undefined;
  fetchHistory: boolean;
  /** The checkout, absolute. */
  directory: string;
  config: ReleaseNotesConfig;
  /** The configuration file's name, or "defaults" when there is none. */
  configSource: string;
  repo: RepoRef;
  /** https://github.com/owner/repo */
  repositoryUrl: string;
  token: string;
  releaseName: string | undefined;
  draft: boolean;
  dryRun: boolean;
  /** What was deployed, from the other actions' outputs; the previous release's record is added later. */
  deployment: Omit<DeploymentFacts, "previous">;
}

/** The tag input, else the pushed tag. */
function tagName(inputs: Inputs, env: NodeJS.ProcessEnv): string {
  const ref = env.GITHUB_REF ?? "";
  const tag = inputs.tag ?? (ref.startsWith("refs/tags/") ? ref.slice("refs/tags/".length) : undefined);
  if (!tag) {
    throw inputError(
      "tag",
      `was not given, and the workflow did not start from a tag push (GITHUB_REF is "${ref}").`,
      "Run the workflow on `push: tags: ['v*']`, or pass `tag:` (for example `tag: v1.5.0`).",
    );
  }
  return tag;
}

function versionTag(tag: string, pattern: TagPattern): VersionTag {
  const version = versionOfTag(tag, pattern);
  if (!version) {
    throw inputError(
      "tag",
      `"${tag}" is not a semantic version tag under tag-pattern "${pattern.source}".`,
      `Tag versions as ${pattern.prefix}1.5.0${pattern.suffix} (or ${pattern.prefix}1.5.0-rc.1${pattern.suffix}), or set tag-pattern to how your tags are named.`,
    );
  }
  return { name: tag, version };
}

function checkImageAndDigest(inputs: Inputs): void {
  if (inputs.image && inputs.digest && digestOfImage(inputs.image) !== inputs.digest) {
    throw inputError(
      "digest",
      `${inputs.digest} is not the digest of the image ${inputs.image}.`,
      "Pass the image and digest outputs of the same build-push step (or only one of them).",
    );
  }
}

/** The checkout: a directory that exists, so git is never started in a folder that is not there. */
function checkoutDirectory(inputs: Inputs, env: NodeJS.ProcessEnv): string {
  const directory = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), inputs.workingDirectory);
  if (!existsSync(directory) || !statSync(directory).isDirectory()) {
    throw inputError(
      "working-directory",
      `${inputs.workingDirectory} does not exist in the workspace, or is not a directory.`,
      "Point working-directory at the checkout (relative to GITHUB_WORKSPACE), or leave it out for the workspace itself.",
    );
  }
  return directory;
}

/** The categories file when it exists (its errors name their line), else the defaults. */
function readConfig(
  directory: string,
  file: string,
  logger: Logger,
): { config: ReleaseNotesConfig; source: string } {
  const path = resolve(directory, file);
  if (!existsSync(path)) {
    logger.info(`No ${file}: using the default categories.`);
    return { config: defaultConfig, source: "defaults" };
  }
  try {
    return { config: parseConfig(readFileSync(path, "utf8")), source: file };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new UserError(`${file}${error.line ? ` (line ${error.line})` : ""}: ${error.message}`, {
      fix: "Correct the file; the release-notes README lists every key with its default.",
      input: "config-file",
    });
  }
}

/** The `uses:` of the rollback snippet: the input, else auto-rollback beside this action at its ref. */
function rollbackAction(inputs: Inputs, env: NodeJS.ProcessEnv): string {
  if (inputs.rollbackAction) return inputs.rollbackAction;
  const repository = env.GITHUB_ACTION_REPOSITORY;
  const ref = env.GITHUB_ACTION_REF;
  return repository && ref ? `${repository}/actions/auto-rollback@${ref}` : ROLLBACK_PLACEHOLDER;
}

function deploymentOf(inputs: Inputs, env: NodeJS.ProcessEnv): Settings["deployment"] {
  return {
    image: inputs.image,
    digest: inputs.digest,
    taskDefinitionArn: inputs.taskDefinitionArn,
    previousTaskDefinitionArn: inputs.previousTaskDefinitionArn,
    migrations: inputs.migrations,
    verdict: inputs.verdict,
    healthReport: inputs.healthReport,
    rollbackAction: rollbackAction(inputs, env),
    rollbackWith: inputs.rollbackWith ?? {},
  };
}

export function settingsFromInputs(inputs: Inputs, env: NodeJS.ProcessEnv, logger: Logger): Settings {
  const name = tagName(inputs, env);
  const pattern = parseTagPattern(inputs.tagPattern);
  const tag = versionTag(name, pattern);
  checkImageAndDigest(inputs);
  const directory = checkoutDirectory(inputs, env);
  const { config, source } = readConfig(directory, inputs.configFile, logger);
  const repo = repoFromEnv(env);
  return {
    tag,
    pattern,
    previousTag: inputs.previousTag,
    fetchHistory: inputs.fetchHistory,
    directory,
    config,
    configSource: source,
    repo,
    repositoryUrl: `${env.GITHUB_SERVER_URL ?? "https://github.com"}/${repo.owner}/${repo.repo}`,
    token: inputs.githubToken,
    releaseName: inputs.releaseName,
    draft: inputs.draft,
    dryRun: inputs.dryRun,
    deployment: deploymentOf(inputs, env),
  };
}
