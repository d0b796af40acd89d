// From commits and their pull requests to the changes of a release: one change per pull request
// (however it was merged) or direct commit, revert pairs cancelled, exclusions applied, each change
// put in one category, and who contributed.
import type { GitCommit } from "../github/git";
import type { CategoryRule, ReleaseNotesConfig } from "./config";
import { breakingNote, type ConventionalHeader, matchesType, parseHeader } from "./conventional-commits";
import type { RangeHistory } from "./history";
import { type CommitOnGitHub, mergingPullRequest, type PullRequestInfo } from "./pull-requests";

export interface ChangeAuthor {
  /** GitHub login, when known. */
  login: string | undefined;
  /** The git author name (for commits whose author has no known GitHub account). */
  name: string;
  bot: boolean;
}

export interface Change {
  /** `pr:12` or `commit:<sha>`: one change per pull request or direct commit. */
  key: string;
  pullRequest: PullRequestInfo | undefined;
  /** The PR title, or the commit subject of a direct commit. */
  title: string;
  header: ConventionalHeader | undefined;
  breaking: boolean;
  breakingNote: string | undefined;
  labels: string[];
  author: ChangeAuthor | undefined;
  /** The commits that put the change on the branch (a merge commit, a squash commit, rebased commits). */
  landing: GitCommit[];
  /** Every commit of the change inside the range, landing ones included. */
  commits: GitCommit[];
  /** Position in merge order (0 = oldest). */
  order: number;
}

export interface RevertPair {
  revert: Change;
  reverted: Change[];
}

export interface Contributor {
  login: string | undefined;
  name: string;
  bot: boolean;
  /** No commit of theirs is reachable from the previous tag. */
  firstTime: boolean;
  /** Their first change in this release (for "made their first contribution in #12"). */
  firstChange: Change;
}

export interface CategorySection {
  title: string;
  /** "breaking", "other", or the index of the configured category. */
  id: string;
  changes: Change[];
}

export interface ReleaseChanges {
  sections: CategorySection[];
  reverts: RevertPair[];
  excluded: Change[];
  contributors: Contributor[];
  /** Changes listed, across every section. */
  listed: number;
}

/**
 * Groups the range's commits into changes. `lookups` holds what GitHub said about the mainline
 * commits and about the branch commits of merges that were not pull requests.
 */
export function groupChanges(history: RangeHistory, lookups: ReadonlyMap<string, CommitOnGitHub>): Change[] {
  const changes = new Map<string, Change>();
  let order = 0;
  const add = (key: string, make: () => Change, landing: GitCommit, inRange: GitCommit[]): void => {
    let change = changes.get(key);
    if (!change) {
      change = make();
      change.order = order++;
      changes.set(key, change);
    }
    change.landing.push(landing);
    change.commits.push(...inRange);
  };
  const fromPullRequest = (pr: PullRequestInfo): Change => ({
    key: `pr:${pr.number}`,
    pullRequest: pr,
    title: pr.title,
    header: undefined,
    breaking: false,
    breakingNote: undefined,
    labels: pr.labels,
    author: pr.author ? { login: pr.author.login, name: pr.author.login, bot: pr.author.bot } : undefined,
    landing: [],
    commits: [],
    order: 0,
  });
  const fromCommit = (commit: GitCommit): Change => {
    const login = lookups.get(commit.sha)?.authorLogin;
    return {
      key: `commit:${commit.sha}`,
      pullRequest: undefined,
      title: commit.subject,
      header: undefined,
      breaking: false,
      breakingNote: undefined,
      labels: [],
      author: {
        login,
        name: commit.authorName,
        bot: /\[bot\]$/.test(login ?? "") || /\[bot\]/.test(commit.authorName),
      },
      landing: [],
      commits: [],
      order: 0,
    };
  };

  for (const commit of history.mainline) {
    const lookup = lookups.get(commit.sha);
    const pr = lookup ? mergingPullRequest(lookup) : undefined;
    const branch = history.branchCommits.get(commit.sha) ?? [];
    if (pr) {
      add(`pr:${pr.number}`, () => fromPullRequest(pr), commit, [commit, ...branch]);
      continue;
    }
    if (commit.parents.length < 2) {
      add(`commit:${commit.sha}`, () => fromCommit(commit), commit, [commit]);
      continue;
    }
    // A merge that no pull request made (a release branch merged back, a local merge): the merge
    // itself says nothing, what it brought in is listed, by pull request where there is one.
    for (const inner of branch) {
      const innerLookup = lookups.get(inner.sha);
      const innerPr = innerLookup ? mergingPullRequest(innerLookup) : undefined;
      if (innerPr) add(`pr:${innerPr.number}`, () => fromPullRequest(innerPr), inner, [inner]);
      else if (inner.parents.length < 2) add(`commit:${inner.sha}`, () => fromCommit(inner), inner, [inner]);
    }
  }

  for (const change of changes.values()) describe(change);
  return [...changes.values()].sort((a, b) => a.order - b.order);
}

/** Fills in the conventional header and breaking flags from the title and the commit messages. */
function describe(change: Change): void {
  const single = change.landing.length === 1 ? change.landing[0] : undefined;
  change.header =
    parseHeader(change.title) ??
    // A squash commit's subject is often the conventional one when the PR title is not.
    (single ? parseHeader(single.subject) : undefined);
  for (const commit of change.commits) {
    const note = breakingNote(commit.body);
    if (note !== undefined) {
      change.breaking = true;
      change.breakingNote ??= note || undefined;
    }
  }
  if (change.header?.breaking) change.breaking = true;
}

const REVERTED_SHA = /This reverts commit ([0-9a-f]{7,40})/g;
const REVERTED_PR = /^Reverts (?:[\w.-]+\/[\w.-]+)?#(\d+)\s*$/gm;
const REVERT_TITLE = /^Revert "(.+)"(?: \(#\d+\))?$/;

function normalizedTitle(title: string): string {
  return title.replace(/ \(#\d+\)$/, "").trim();
}

/**
 * Finds changes that revert other changes of the same range. A pair cancels out when the revert
 * undoes every landing commit of the other change (the merge commit of a merged PR, the squash
 * commit, each rebased commit), names its PR (`Reverts owner/repo#12`), or is titled
 * `Revert "<its title>"`. Newest reverts are matched first, so a revert of a revert restores the
 * original change.
 */
export function findRevertPairs(changes: readonly Change[]): RevertPair[] {
  const bySha = new Map<string, Change>();
  for (const change of changes) for (const commit of change.commits) bySha.set(commit.sha, change);
  const shas = [...bySha.keys()];
  const resolve = (short: string): string | undefined => {
    if (short.length === 40) return bySha.has(short) ? short : undefined;
    // An abbreviated sha counts only when it names one commit of the range.
    const matches = shas.filter((sha) => sha.startsWith(short));
    return matches.length === 1 ? matches[0] : undefined;
  };

  const cancelled = new Set<string>();
  const pairs: RevertPair[] = [];
  for (const revert of [...changes].sort((a, b) => b.order - a.order)) {
    if (cancelled.has(revert.key)) continue;
    const revertedShas = new Set<string>();
    const revertedNumbers = new Set<number>();
    for (const commit of revert.commits) {
      const message = `${commit.subject}\n${commit.body}`;
      for (const match of message.matchAll(REVERTED_SHA)) {
        const sha = resolve(match[1] as string);
        if (sha) revertedShas.add(sha);
      }
      for (const match of commit.body.matchAll(REVERTED_PR)) revertedNumbers.add(Number(match[1]));
    }
    const titled = REVERT_TITLE.exec(revert.title)?.[1];
    const targets = changes.filter((target) => {
      if (target === revert || target.order >= revert.order || cancelled.has(target.key)) return false;
      if (target.pullRequest && revertedNumbers.has(target.pullRequest.number)) return true;
      if (target.landing.length > 0 && target.landing.every((commit) => revertedShas.has(commit.sha)))
        return true;
      return titled !== undefined && normalizedTitle(target.title) === normalizedTitle(titled);
    });
    if (targets.length === 0) continue;
    // With several candidates by title only, the latest one before the revert is the one undone.
    const reverted = revertedShas.size > 0 || revertedNumbers.size > 0 ? targets : targets.slice(-1);
    cancelled.add(revert.key);
    for (const target of reverted) cancelled.add(target.key);
    pairs.push({ revert, reverted });
  }
  return pairs.sort((a, b) => a.revert.order - b.revert.order);
}

function lower(values: readonly string[]): Set<string> {
  return new Set(values.map((value) => value.toLowerCase()));
}

function loginForms(login: string): string[] {
  const base = login.toLowerCase().replace(/\[bot\]$/, "");
  return [base, `${base}[bot]`];
}

/** Why a change is left out by the configuration, or undefined when it is listed. */
export function exclusionReason(change: Change, config: ReleaseNotesConfig): string | undefined {
  const labels = lower(config.exclude.labels);
  const label = change.labels.find((name) => labels.has(name.toLowerCase()));
  if (label) return `label "${label}"`;
  const authors = lower(config.exclude.authors.flatMap(loginForms));
  const login = change.author?.login;
  if (login && authors.has(login.toLowerCase())) return `author @${login}`;
  if (change.author && !login && authors.has(change.author.name.toLowerCase()))
    return `author ${change.author.name}`;
  const type =
    change.header &&
    config.exclude.types.find((entry) => matchesType(entry, change.header as ConventionalHeader));
  if (type) return `type "${type}"`;
  return undefined;
}

/**
 * The category of a change: breaking changes first (a `!`, a BREAKING CHANGE footer, or a breaking
 * label), then the first category with one of its labels, then the first with its commit type, else
 * the catch-all. Labels win over types: a person chose them.
 */
export function categoryOf(change: Change, config: ReleaseNotesConfig): string {
  const labels = lower(change.labels);
  if (change.breaking || config.breaking.labels.some((label) => labels.has(label.toLowerCase()))) {
    return "breaking";
  }
  const byLabel = config.categories.findIndex((rule: CategoryRule) =>
    rule.labels.some((label) => labels.has(label.toLowerCase())),
  );
  if (byLabel >= 0) return String(byLabel);
  const header = change.header;
  if (header) {
    const byType = config.categories.findIndex((rule) =>
      rule.types.some((entry) => matchesType(entry, header)),
    );
    if (byType >= 0) return String(byType);
  }
  return "other";
}

export interface ContributorOptions {
  /** Author e-mails (lower-cased) reachable from the previous tag; undefined for a first release. */
  previousAuthorEmails: ReadonlySet<string> | undefined;
  lookups: ReadonlyMap<string, CommitOnGitHub>;
}

/**
 * Who contributed the listed changes, in order of their first change. A contributor is first-time
 * when none of the e-mail addresses GitHub ties to their account in this range (or, without an
 * account, their own address) authored a commit before the previous tag. On a first release every
 * contributor is new, so nobody is singled out.
 */
export function contributorsOf(
  changes: readonly Change[],
  config: ReleaseNotesConfig,
  options: ContributorOptions,
): Contributor[] {
  const emailsByLogin = new Map<string, Set<string>>();
  const emailsByName = new Map<string, Set<string>>();
  for (const change of changes) {
    for (const commit of change.commits) {
      const login = options.lookups.get(commit.sha)?.authorLogin?.toLowerCase();
      const email = commit.authorEmail.toLowerCase();
      const map = login ? emailsByLogin : emailsByName;
      const key = login ?? commit.authorName;
      const set = map.get(key) ?? new Set<string>();
      set.add(email);
      map.set(key, set);
    }
  }
  const seen = new Map<string, Contributor>();
  for (const change of changes) {
    const author = change.author;
    if (!author || (author.bot && !config.contributors.includeBots)) continue;
    const key = author.login ? `@${author.login.toLowerCase()}` : `name:${author.name}`;
    if (seen.has(key)) continue;
    let firstTime = false;
    if (options.previousAuthorEmails) {
      const emails = author.login
        ? emailsByLogin.get(author.login.toLowerCase())
        : (emailsByName.get(author.name) ?? new Set<string>());
      const previous = options.previousAuthorEmails;
      firstTime =
        emails !== undefined && emails.size > 0 && [...emails].every((email) => !previous.has(email));
    }
    seen.set(key, {
      login: author.login,
      name: author.name,
      bot: author.bot,
      firstTime,
      firstChange: change,
    });
  }
  return [...seen.values()];
}

/** Cancels revert pairs, applies exclusions and sorts what is left into sections in display order. */
export function organizeChanges(
  changes: readonly Change[],
  config: ReleaseNotesConfig,
  contributorOptions: ContributorOptions,
): ReleaseChanges {
  const reverts = findRevertPairs(changes);
  const cancelled = new Set(reverts.flatMap((pair) => [pair.revert.key, ...pair.reverted.map((c) => c.key)]));
  const excluded: Change[] = [];
  const kept: Change[] = [];
  for (const change of changes) {
    if (cancelled.has(change.key)) continue;
    if (exclusionReason(change, config)) excluded.push(change);
    else kept.push(change);
  }
  const sections: CategorySection[] = [
    { id: "breaking", title: config.breaking.title, changes: [] },
    ...config.categories.map((rule, index) => ({
      id: String(index),
      title: rule.title,
      changes: [] as Change[],
    })),
    { id: "other", title: config.other.title, changes: [] },
  ];
  for (const change of kept) {
    const id = categoryOf(change, config);
    sections.find((section) => section.id === id)?.changes.push(change);
  }
  return {
    sections: sections.filter((section) => section.changes.length > 0),
    reverts,
    excluded,
    contributors: config.contributors.enabled ? contributorsOf(kept, config, contributorOptions) : [],
    listed: kept.length,
  };
}
