// Builds real git repositories for tests with the git CLI: pull requests merged the three ways GitHub
// merges them (merge commit, squash, rebase), direct commits, reverts, tags, shallow clones. Dates
// are fixed and advance one minute per commit, so the same script always gives the same shas.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export interface Person {
  name: string;
  email: string;
  /** GitHub login tied to the e-mail; undefined for an address GitHub does not know. */
  login?: string;
  bot?: boolean;
}

/** A pull request as the GitHub fake serves it. */
export interface FakePullRequest {
  number: number;
  title: string;
  author: Person;
  labels: string[];
  /** The PR's own commits (its head branch). */
  commits: string[];
  /** The commits the merge put on the base branch (merge commit, squash commit, rebased commits). */
  landed: string[];
  mergeCommit: string | undefined;
  merged: boolean;
  mergedAt: string | undefined;
}

export interface CommitSpec {
  message: string;
  author?: Person;
  /** Files to write (path -> content); a default file is touched when none are given. */
  files?: Record<string, string>;
}

export interface PullRequestSpec {
  number: number;
  title: string;
  author: Person;
  labels?: string[];
  commits: CommitSpec[];
  /** Who pressed the merge button (author of a merge commit). */
  merger?: Person;
  /** Extra body of the squash commit (GitHub puts the PR's commit messages there by default). */
  squashBody?: string;
}

export const MAINTAINER: Person = { name: "Mona Maintainer", email: "mona@acme.test", login: "mona" };
const START = Date.UTC(2025, 0, 1, 9, 0, 0);

export class TestRepo {
  readonly pullRequests: FakePullRequest[] = [];
  readonly people = new Map<string, Person>();
  #tick = 0;
  #fileCounter = 0;

  private constructor(readonly dir: string) {}

  static create(prefix = "shipline-repo-"): TestRepo {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const repo = new TestRepo(dir);
    repo.git(["init", "-q", "-b", "main"]);
    repo.git(["config", "user.name", MAINTAINER.name]);
    repo.git(["config", "user.email", MAINTAINER.email]);
    repo.git(["config", "commit.gpgsign", "false"]);
    repo.git(["config", "tag.gpgsign", "false"]);
    return repo;
  }

  /** Runs git in the repository with fixed dates; returns trimmed stdout. */
  git(args: string[], options: { author?: Person; committer?: Person; input?: string } = {}): string {
    this.#tick++;
    const date = new Date(START + this.#tick * 60_000).toISOString();
    const author = options.author ?? MAINTAINER;
    const committer = options.committer ?? author;
    return execFileSync("git", args, {
      cwd: this.dir,
      encoding: "utf8",
      input: options.input,
      maxBuffer: 256 * 1024 * 1024,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: this.dir,
        GIT_CONFIG_NOSYSTEM: "1",
        GIT_AUTHOR_NAME: author.name,
        GIT_AUTHOR_EMAIL: author.email,
        GIT_AUTHOR_DATE: date,
        GIT_COMMITTER_NAME: committer.name,
        GIT_COMMITTER_EMAIL: committer.email,
        GIT_COMMITTER_DATE: date,
      },
      stdio: ["pipe", "pipe", "pipe"],
    }).trim();
  }

  head(): string {
    return this.git(["rev-parse", "HEAD"]);
  }

  #remember(person: Person): void {
    this.people.set(person.email.toLowerCase(), person);
  }

  #write(files: Record<string, string> | undefined): void {
    const entries = files
      ? Object.entries(files)
      : [[`changes/${++this.#fileCounter}.txt`, `change ${this.#fileCounter}\n`]];
    for (const [path, content] of entries) {
      const full = join(this.dir, path as string);
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content as string);
      this.git(["add", "--", path as string]);
    }
  }

  /** A commit on the current branch. */
  commit(spec: CommitSpec | string): string {
    const { message, author = MAINTAINER, files } = typeof spec === "string" ? { message: spec } : spec;
    this.#remember(author);
    this.#write(files);
    this.git(["commit", "-q", "--allow-empty", "-F", "-"], { author, input: message });
    return this.head();
  }

  #branchCommits(spec: PullRequestSpec): { branch: string; shas: string[] } {
    const branch = `pr-${spec.number}`;
    this.git(["checkout", "-q", "-b", branch, "main"]);
    const shas = spec.commits.map((commit) =>
      this.commit({ ...commit, author: commit.author ?? spec.author }),
    );
    this.git(["checkout", "-q", "main"]);
    return { branch, shas };
  }

  #record(spec: PullRequestSpec, commits: string[], landed: string[]): FakePullRequest {
    this.#remember(spec.author);
    const pr: FakePullRequest = {
      number: spec.number,
      title: spec.title,
      author: spec.author,
      labels: spec.labels ?? [],
      commits,
      landed,
      mergeCommit: landed.at(-1),
      merged: true,
      mergedAt: new Date(START + this.#tick * 60_000).toISOString(),
    };
    this.pullRequests.push(pr);
    return pr;
  }

  /** "Create a merge commit": the branch's commits plus a merge commit on main. */
  mergeCommitPullRequest(spec: PullRequestSpec): FakePullRequest {
    const { branch, shas } = this.#branchCommits(spec);
    const merger = spec.merger ?? MAINTAINER;
    this.git(
      [
        "merge",
        "-q",
        "--no-ff",
        "-m",
        `Merge pull request #${spec.number} from acme/${branch}`,
        "-m",
        spec.title,
        branch,
      ],
      {
        author: merger,
      },
    );
    this.git(["branch", "-q", "-D", branch]);
    return this.#record(spec, shas, [this.head()]);
  }

  /** "Squash and merge": one commit on main titled `<title> (#n)`, authored by the PR's author. */
  squashPullRequest(spec: PullRequestSpec): FakePullRequest {
    const { branch, shas } = this.#branchCommits(spec);
    this.git(["merge", "-q", "--squash", branch]);
    const body = spec.squashBody ?? spec.commits.map((c) => `* ${c.message}`).join("\n\n");
    this.git(["commit", "-q", "--allow-empty", "-F", "-"], {
      author: spec.author,
      committer: MAINTAINER,
      input: `${spec.title} (#${spec.number})\n\n${body}`,
    });
    this.git(["branch", "-q", "-D", branch]);
    return this.#record(spec, shas, [this.head()]);
  }

  /** "Rebase and merge": each of the branch's commits replayed onto main. */
  rebasePullRequest(spec: PullRequestSpec): FakePullRequest {
    const { branch, shas } = this.#branchCommits(spec);
    const landed: string[] = [];
    for (const sha of shas) {
      this.git(["cherry-pick", "--allow-empty", sha], { committer: MAINTAINER, author: spec.author });
      landed.push(this.head());
    }
    this.git(["branch", "-q", "-D", branch]);
    return this.#record(spec, shas, landed);
  }

  /** `git revert` of a commit on main (the first parent's side for a merge commit). */
  revert(sha: string, author: Person = MAINTAINER): string {
    this.#remember(author);
    const isMerge = this.git(["rev-list", "--parents", "-n", "1", sha]).split(" ").length > 2;
    this.git(["revert", "--no-edit", ...(isMerge ? ["-m", "1"] : []), sha], { author });
    return this.head();
  }

  /** An annotated tag, as release tooling pushes them (lightweight when annotated is false). */
  tag(name: string, options: { at?: string; annotated?: boolean } = {}): void {
    const args = options.annotated === false ? ["tag", name] : ["tag", "-a", name, "-m", name];
    this.git([...args, ...(options.at ? [options.at] : [])]);
  }

  /** A shallow clone (depth 1) of one tag, as actions/checkout makes by default; its origin is this repo. */
  shallowClone(tag: string): string {
    const target = mkdtempSync(join(tmpdir(), "shipline-shallow-"));
    execFileSync("git", ["clone", "-q", "--depth", "1", "--branch", tag, `file://${this.dir}`, target], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    return target;
  }

  /**
   * Appends `count` squash-merged pull requests to main in one `git fast-import` (seconds for
   * thousands, where one `git commit` each would take minutes). Titles cycle through conventional
   * types; authors cycle through the given people.
   */
  squashManyPullRequests(options: {
    count: number;
    firstNumber: number;
    authors: Person[];
  }): FakePullRequest[] {
    const parent = this.head();
    const types = ["feat", "fix", "perf", "chore", "docs", "refactor", "build(deps)"];
    const lines: string[] = [];
    const created: FakePullRequest[] = [];
    for (let i = 0; i < options.count; i++) {
      const number = options.firstNumber + i;
      const author = options.authors[i % options.authors.length] as Person;
      this.#remember(author);
      const type = types[i % types.length] as string;
      const title = `${type}: change number ${number}`;
      const message = `${title} (#${number})\n\n* ${title}\n`;
      const when = Math.floor((START + ++this.#tick * 60_000) / 1000);
      const content = `change ${number}\n`;
      lines.push(
        "commit refs/heads/main",
        `mark :${i + 1}`,
        `author ${author.name} <${author.email}> ${when} +0000`,
        `committer ${MAINTAINER.name} <${MAINTAINER.email}> ${when} +0000`,
        `data ${Buffer.byteLength(message)}`,
        message,
        ...(i === 0 ? [`from ${parent}`] : []),
        `M 100644 inline bulk/${number}.txt`,
        `data ${Buffer.byteLength(content)}`,
        content,
      );
      created.push({
        number,
        title,
        author,
        labels: type === "build(deps)" ? ["dependencies"] : [],
        commits: [],
        landed: [],
        mergeCommit: undefined,
        merged: true,
        mergedAt: new Date(when * 1000).toISOString(),
      });
    }
    this.git(["fast-import", "--quiet"], { input: `${lines.join("\n")}\n` });
    this.git(["reset", "-q", "--hard", "main"]);
    const shas = this.git(["rev-list", "--first-parent", "--reverse", `${parent}..main`]).split("\n");
    created.forEach((pr, index) => {
      const sha = shas[index] as string;
      pr.landed = [sha];
      pr.commits = [sha];
      pr.mergeCommit = sha;
    });
    this.pullRequests.push(...created);
    return created;
  }

  loginOf(email: string): string | undefined {
    return this.people.get(email.toLowerCase())?.login;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
