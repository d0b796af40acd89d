// Local git on the runner's checkout: history, tags and ancestry for release notes and base refs.
// Every call goes through execCommand (no shell) and fails with the command's own message.
import { UserError } from "../runtime/errors";
import { execCommand } from "../runtime/exec";
import type { Logger } from "../runtime/logger";

export class GitError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly exitCode: number,
    readonly stderr: string,
  ) {
    super(`git ${args.join(" ")} exited with ${exitCode}: ${stderr.trim() || "(no output)"}`);
    this.name = "GitError";
  }
}

export interface GitOptions {
  /** The working tree (normally GITHUB_WORKSPACE or a sub-folder of it). */
  cwd: string;
  logger: Logger;
}

export interface GitCommit {
  sha: string;
  parents: string[];
  authorName: string;
  authorEmail: string;
  /** ISO 8601 author date. */
  authoredAt: string;
  subject: string;
  /** The message after the subject line, trimmed. */
  body: string;
}

// Fields and records are separated by ASCII unit/record separators, which commit messages do not hold.
const FIELD = "\x1f";
const RECORD = "\x1e";
const LOG_FORMAT = `${["%H", "%P", "%an", "%ae", "%aI", "%s", "%b"].join("%x1f")}%x1e`;

export function parseLog(output: string): GitCommit[] {
  const commits: GitCommit[] = [];
  for (const raw of output.split(RECORD)) {
    const record = raw.replace(/^\n+/, "");
    if (record.trim() === "") continue;
    const [sha, parents, authorName, authorEmail, authoredAt, subject, ...body] = record.split(FIELD);
    if (!sha || authoredAt === undefined || subject === undefined) {
      throw new Error(`unexpected git log record: ${JSON.stringify(record.slice(0, 200))}`);
    }
    commits.push({
      sha,
      parents: parents ? parents.split(" ").filter(Boolean) : [],
      authorName: authorName ?? "",
      authorEmail: authorEmail ?? "",
      authoredAt,
      subject,
      body: body.join(FIELD).trim(),
    });
  }
  return commits;
}

export class Git {
  readonly cwd: string;
  readonly #logger: Logger;

  constructor(options: GitOptions) {
    this.cwd = options.cwd;
    this.#logger = options.logger;
  }

  /** Runs git and returns stdout; a non-zero exit throws GitError. */
  async run(args: string[]): Promise<string> {
    const result = await this.tryRun(args);
    if (result.exitCode !== 0) throw new GitError(args, result.exitCode, result.stderr);
    return result.stdout;
  }

  async tryRun(args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    this.#logger.debug(`git ${args.join(" ")}`);
    return execCommand("git", args, {
      cwd: this.cwd,
      echo: false,
      env: { GIT_TERMINAL_PROMPT: "0", LC_ALL: "C" },
    });
  }

  /** Fails with a UserError when the folder is not inside a git working tree. */
  async assertRepository(): Promise<void> {
    const result = await this.tryRun(["rev-parse", "--is-inside-work-tree"]);
    if (result.exitCode !== 0 || result.stdout.trim() !== "true") {
      throw new UserError(`${this.cwd} is not a git checkout.`, {
        fix: "Run actions/checkout (with fetch-depth: 0) before this step, or point working-directory at the checkout.",
        input: "working-directory",
      });
    }
  }

  async isShallow(): Promise<boolean> {
    return (await this.run(["rev-parse", "--is-shallow-repository"])).trim() === "true";
  }

  /** The commit a ref (tag, branch, sha) points at, or undefined when it does not resolve. */
  async resolveCommit(ref: string): Promise<string | undefined> {
    const result = await this.tryRun(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`]);
    return result.exitCode === 0 ? result.stdout.trim() : undefined;
  }

  /** True when ancestor is an ancestor of (or equal to) descendant. */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const result = await this.tryRun(["merge-base", "--is-ancestor", ancestor, descendant]);
    if (result.exitCode === 0) return true;
    if (result.exitCode === 1) return false;
    throw new GitError(["merge-base", "--is-ancestor", ancestor, descendant], result.exitCode, result.stderr);
  }

  /** Every tag name, or only those whose commit is reachable from `mergedInto`. */
  async tags(mergedInto?: string): Promise<string[]> {
    const args = ["tag", "--list"];
    if (mergedInto) args.push("--merged", mergedInto);
    return (await this.run(args))
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
  }

  /**
   * Commits of a revision range, newest first. `firstParent` follows only the first parent of
   * merges, i.e. what landed on the branch itself.
   */
  async log(range: string[], options: { firstParent?: boolean } = {}): Promise<GitCommit[]> {
    const args = ["log", `--format=${LOG_FORMAT}`, "--no-color", "--encoding=UTF-8"];
    if (options.firstParent) args.push("--first-parent");
    return parseLog(await this.run([...args, ...range, "--"]));
  }

  /** Author e-mail addresses (lower-cased) of every commit reachable from ref. */
  async authorEmails(ref: string): Promise<Set<string>> {
    const output = await this.run(["log", "--format=%ae", ref, "--"]);
    return new Set(
      output
        .split("\n")
        .map((line) => line.trim().toLowerCase())
        .filter(Boolean),
    );
  }

  /** Fetches the complete history and every tag from the remote; the checkout must have one. */
  async fetchFullHistory(remote = "origin"): Promise<void> {
    const shallow = await this.isShallow();
    await this.run([
      "fetch",
      "--quiet",
      "--tags",
      "--force",
      "--no-recurse-submodules",
      ...(shallow ? ["--unshallow"] : []),
      remote,
    ]);
  }
}
