// "What is new in this change": the base a pull request or release is compared with (merge base,
// previous tag, the push's previous head) and the files added since it, from git.
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { UserError } from "../runtime/errors";

export interface GitResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type Git = (args: string[]) => Promise<GitResult>;

/** Runs git in a directory; a non-zero exit is returned, not thrown. */
export function gitIn(directory: string): Git {
  return (args) =>
    new Promise((resolvePromise, reject) => {
      execFile("git", args, { cwd: directory, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
        if (error && typeof error.code !== "number") {
          reject(error);
          return;
        }
        resolvePromise({ exitCode: error ? Number(error.code) : 0, stdout, stderr });
      });
    });
}

export interface EventContext {
  eventName: string | undefined;
  /** GITHUB_REF, e.g. refs/tags/v1.5.0. */
  ref: string | undefined;
  payload: {
    pull_request?: { base?: { sha?: string; ref?: string } };
    before?: string;
  };
}

export interface BaseRef {
  /** The commit to compare with. */
  commit: string;
  /** Why this commit, for the log. */
  reason: string;
}

const ZERO_SHA = /^0+$/;

async function commitOf(git: Git, ref: string): Promise<string | undefined> {
  const result = await git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

function shallowFix(ref: string): string {
  return `The commit ${ref} is not in the checkout. Give actions/checkout \`fetch-depth: 0\` (or fetch the base branch and tags) so the lint can tell which migrations are new.`;
}

/**
 * The commit new files are counted from: the merge base with `given` when the user names a ref;
 * otherwise, from the event, the merge base with a pull request's base, the previous tag for a tag
 * push, or the previous head of a branch push. Undefined when there is nothing to compare with.
 */
export async function resolveBaseRef(
  git: Git,
  given: string | undefined,
  event: EventContext,
): Promise<BaseRef | undefined> {
  const mergeBase = async (ref: string, reason: string): Promise<BaseRef> => {
    const commit = await commitOf(git, ref);
    if (!commit)
      throw new UserError(`The base ref "${ref}" is not in the checkout.`, {
        fix: shallowFix(ref),
        input: "base-ref",
      });
    const result = await git(["merge-base", commit, "HEAD"]);
    if (result.exitCode !== 0) {
      throw new UserError(`"${ref}" and HEAD have no common ancestor in the checkout.`, {
        fix: shallowFix(ref),
        input: "base-ref",
      });
    }
    return { commit: result.stdout.trim(), reason };
  };

  if (given) return mergeBase(given, `merge base with ${given}`);

  const prBase = event.payload.pull_request?.base;
  if (prBase?.sha) {
    return mergeBase(prBase.sha, `merge base with the pull request's base ${prBase.ref ?? prBase.sha}`);
  }
  if (event.ref?.startsWith("refs/tags/")) {
    const tag = event.ref.slice("refs/tags/".length);
    const previous = await git(["describe", "--tags", "--abbrev=0", `${tag}^`]);
    if (previous.exitCode === 0 && previous.stdout.trim()) {
      const name = previous.stdout.trim();
      return mergeBase(name, `the previous tag ${name}`);
    }
    return undefined;
  }
  const before = event.payload.before;
  if (event.eventName === "push" && before && !ZERO_SHA.test(before)) {
    return mergeBase(before, `the push's previous head ${before.slice(0, 12)}`);
  }
  return undefined;
}

/** Absolute paths of the files added (or renamed into place) between the base commit and HEAD. */
export async function filesAddedSince(git: Git, base: string): Promise<Set<string>> {
  const top = await git(["rev-parse", "--show-toplevel"]);
  if (top.exitCode !== 0) throw new Error(`git rev-parse failed: ${top.stderr.trim()}`);
  const root = top.stdout.trim();
  const diff = await git(["diff", "--name-only", "--no-renames", "--diff-filter=A", "-z", base, "HEAD"]);
  if (diff.exitCode !== 0) throw new Error(`git diff failed: ${diff.stderr.trim()}`);
  return new Set(
    diff.stdout
      .split("\0")
      .filter(Boolean)
      .map((path) => resolve(root, path)),
  );
}
