// The workspace guard: every path an action reads from an input stays inside GITHUB_WORKSPACE, after
// `..` is resolved and symbolic links are followed. Path and glob inputs apply it when they are
// parsed; code that lists files (a glob's matches) applies it to each file it finds.
import { existsSync, realpathSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, posix, relative, resolve, sep } from "node:path";

/** Why a path was refused (outside the workspace, or missing), said after the input's name. */
export class WorkspacePathError extends Error {}

/** Follows symbolic links in the part of the path that exists; the rest is appended as written. */
function realpathOfExisting(absolute: string): string {
  let existing = absolute;
  const rest: string[] = [];
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    rest.unshift(existing.slice(parent.length).replace(/^[\\/]+/, ""));
    existing = parent;
  }
  let real: string;
  try {
    real = realpathSync.native(existing);
  } catch {
    // A dangling link or a directory without permission: judge the path as written.
    real = existing;
  }
  return rest.length === 0 ? real : join(real, ...rest);
}

function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === "" || (!rel.startsWith(`..${sep}`) && rel !== ".." && !isAbsolute(rel));
}

/** Characters that make a path segment a glob pattern (picomatch's syntax) rather than a name. */
const GLOB_SYNTAX = /[*?[\]{}()!+@]/;

export class Workspace {
  /** The workspace as given, resolved to an absolute path. */
  readonly root: string;
  /** The same with symbolic links followed: what "inside" is measured against. */
  readonly realRoot: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.realRoot = realpathOfExisting(this.root);
  }

  /** The workspace of the job: GITHUB_WORKSPACE, or the current directory outside a runner. */
  static fromEnv(env: NodeJS.ProcessEnv = process.env): Workspace {
    return new Workspace(env.GITHUB_WORKSPACE || process.cwd());
  }

  /** Whether an absolute path is inside the workspace once its symbolic links are followed. */
  contains(absolute: string): boolean {
    return within(this.root, absolute) && within(this.realRoot, realpathOfExisting(absolute));
  }

  /**
   * Resolves a path given by the user (relative to `base`, the workspace by default; absolute paths
   * are taken as they are) and throws WorkspacePathError when it, or a link on its way, leads out.
   */
  locate(path: string, base: string = this.root): string {
    const absolute = resolve(base, path);
    if (!within(this.root, absolute)) {
      throw new WorkspacePathError(
        `${JSON.stringify(path)} is outside the workspace (it resolves to ${absolute}).`,
      );
    }
    const real = realpathOfExisting(absolute);
    if (!within(this.realRoot, real)) {
      throw new WorkspacePathError(
        `${JSON.stringify(path)} leads outside the workspace through a symbolic link (to ${real}).`,
      );
    }
    return absolute;
  }

  /**
   * Checks a glob pattern's reach: the pattern with `..` resolved must stay inside, and so must the
   * directory its fixed leading part names (links followed). Returns the pattern relative to `base`,
   * in posix form, for a matcher whose cwd is `base`. Negated patterns (`!x`) only exclude files.
   */
  globPattern(pattern: string, base: string = this.root): string {
    if (pattern.startsWith("!")) return pattern;
    const absolute = resolve(base, pattern);
    if (!within(this.root, absolute)) {
      throw new WorkspacePathError(
        `the pattern ${JSON.stringify(pattern)} reaches outside the workspace (it resolves to ${absolute}).`,
      );
    }
    const segments = relative(this.root, absolute).split(sep);
    const firstGlob = segments.findIndex((s) => GLOB_SYNTAX.test(s));
    const fixed = firstGlob < 0 ? segments : segments.slice(0, firstGlob);
    const real = realpathOfExisting(join(this.root, ...fixed));
    if (!within(this.realRoot, real)) {
      throw new WorkspacePathError(
        `the pattern ${JSON.stringify(pattern)} leads outside the workspace through a symbolic link (to ${real}).`,
      );
    }
    return relative(base, absolute).split(sep).join(posix.sep) || ".";
  }

  /** The directory a glob pattern's fixed leading part names, relative to `base` ("" for `base`). */
  static fixedDirectory(pattern: string): string {
    const segments = pattern.split("/");
    const firstGlob = segments.findIndex((s) => GLOB_SYNTAX.test(s));
    return segments.slice(0, firstGlob < 0 ? segments.length - 1 : firstGlob).join("/");
  }

  /** Throws WorkspacePathError unless the path is an existing directory (or file). */
  static requireExisting(absolute: string, shown: string, what: "directory" | "file"): void {
    let stat: ReturnType<typeof statSync> | undefined;
    try {
      stat = statSync(absolute);
    } catch {
      stat = undefined;
    }
    if (!stat) throw new WorkspacePathError(`${JSON.stringify(shown)} does not exist in the workspace.`);
    if (what === "directory" && !stat.isDirectory()) {
      throw new WorkspacePathError(`${JSON.stringify(shown)} is not a directory.`);
    }
    if (what === "file" && !stat.isFile()) {
      throw new WorkspacePathError(`${JSON.stringify(shown)} is not a file.`);
    }
  }
}
