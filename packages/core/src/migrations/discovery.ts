// Finds migration files without configuration: Prisma, Flyway, golang-migrate, Alembic, or a glob
// the user gives. Files are ordered the way their tool runs them.
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, posix, relative, resolve, sep } from "node:path";
import { glob } from "tinyglobby";
import { UserError } from "../runtime/errors";
import { Workspace } from "../runtime/workspace";
import type { MigrationFile, MigrationLayout } from "./types";

export type LayoutChoice = "auto" | MigrationLayout;

export interface DiscoveryOptions {
  /** Where to look (absolute). */
  directory: string;
  /** Paths in reports are relative to this (the workspace, normally the repository root). */
  workspace: string;
  layout: LayoutChoice;
  /** Patterns for the glob layout, relative to `directory`. */
  globs?: readonly string[];
}

export interface Discovery {
  migrations: MigrationFile[];
  /** Directories holding an alembic.ini (their revisions are read through `alembic upgrade --sql`). */
  alembicProjects: string[];
}

const IGNORE = ["**/node_modules/**", "**/.git/**", "**/dist/**", "**/.cache/**", "**/vendor/**"];

const FLYWAY = /^V(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const FLYWAY_UNDO = /^U(\d+(?:[._]\d+)*)__(.+)\.sql$/;
const GOLANG_MIGRATE = /^(\d+)_(.+)\.up\.sql$/;

function toPosix(path: string): string {
  return path.split(sep).join(posix.sep);
}

/** Orders versions the way people number them: 2 < 10, 1.2 < 1.10, then by text. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[._-]/);
  const pb = b.split(/[._-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const nx = /^\d+$/.test(x) ? BigInt(x) : undefined;
    const ny = /^\d+$/.test(y) ? BigInt(y) : undefined;
    if (nx !== undefined && ny !== undefined) {
      if (nx !== ny) return nx < ny ? -1 : 1;
      continue;
    }
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function normaliseFlywayVersion(raw: string): string {
  return raw.replace(/_/g, ".");
}

/**
 * The files matching the patterns. Symbolic links are not followed (a link to "/" under `**` would
 * walk the whole machine, a link to a file outside would be read and applied), and each file found is
 * checked once more to be inside the workspace.
 */
async function find(
  directory: string,
  patterns: readonly string[],
  workspace: Workspace,
  input: string,
): Promise<string[]> {
  const found = await glob([...patterns], {
    cwd: directory,
    ignore: IGNORE,
    absolute: true,
    dot: false,
    followSymbolicLinks: false,
  });
  for (const path of found) {
    if (!workspace.contains(path)) {
      throw new UserError(
        `Input \`${input}\`: ${relative(workspace.root, path)} leads outside the workspace through a symbolic link; nothing was read.`,
        { input, fix: "Remove the link, or point it at a file inside the repository checkout." },
      );
    }
  }
  return found.sort();
}

export async function discoverMigrations(options: DiscoveryOptions): Promise<Discovery> {
  const { directory, workspace, layout } = options;
  const guard = new Workspace(workspace);
  const look = (patterns: readonly string[], input = "working-directory"): Promise<string[]> =>
    find(directory, patterns, guard, input);
  const migrations: MigrationFile[] = [];
  const wants = (l: MigrationLayout): boolean => (layout === "auto" ? l !== "glob" : layout === l);
  const rel = (absolute: string): string => toPosix(relative(workspace, absolute)) || ".";
  const base = (absolute: string): Pick<MigrationFile, "file" | "absolutePath" | "directory"> => ({
    file: rel(absolute),
    absolutePath: absolute,
    directory: rel(dirname(absolute)),
  });

  if (wants("prisma")) {
    for (const path of await look(["**/prisma/migrations/*/migration.sql"])) {
      const folder = basename(dirname(path));
      const match = /^(\d+)_(.*)$/.exec(folder);
      migrations.push({
        ...base(path),
        directory: rel(dirname(dirname(path))),
        layout: "prisma",
        version: folder,
        description: match?.[2] ?? folder,
        wholeFileTransaction: true,
      });
    }
  }
  if (wants("flyway")) {
    const undoFiles = new Map<string, string>();
    for (const path of await look(["**/U*__*.sql"])) {
      const undo = FLYWAY_UNDO.exec(basename(path));
      if (undo?.[1]) undoFiles.set(`${dirname(path)}\0${normaliseFlywayVersion(undo[1])}`, path);
    }
    for (const path of await look(["**/V*__*.sql"])) {
      const match = FLYWAY.exec(basename(path));
      if (!match?.[1] || !match[2]) continue;
      const version = normaliseFlywayVersion(match[1]);
      const file: MigrationFile = {
        ...base(path),
        layout: "flyway",
        version,
        description: match[2].replace(/_/g, " "),
        wholeFileTransaction: true,
      };
      const undo = undoFiles.get(`${dirname(path)}\0${version}`);
      if (undo) file.downFile = rel(undo);
      migrations.push(file);
    }
  }
  if (wants("golang-migrate")) {
    for (const path of await look(["**/*.up.sql"])) {
      const match = GOLANG_MIGRATE.exec(basename(path));
      if (!match?.[1] || !match[2]) continue;
      const file: MigrationFile = {
        ...base(path),
        layout: "golang-migrate",
        version: match[1],
        description: match[2].replace(/_/g, " "),
        // The postgres driver sends a multi-statement file as one query: one implicit transaction.
        wholeFileTransaction: true,
      };
      const down = path.replace(/\.up\.sql$/, ".down.sql");
      if (existsSync(down)) file.downFile = rel(down);
      migrations.push(file);
    }
  }
  if (layout === "glob") {
    for (const path of await look(options.globs ?? [], "migrations-glob")) {
      if (path.endsWith(".down.sql")) continue;
      const name = basename(path).replace(/(\.up)?\.sql$/, "");
      const match = /^V?(\d+(?:[._]\d+)*)[_-]+(.*)$/.exec(name);
      const file: MigrationFile = {
        ...base(path),
        layout: "glob",
        version: match?.[1] ? normaliseFlywayVersion(match[1]) : name,
        description: (match?.[2] ?? name).replace(/_/g, " "),
        wholeFileTransaction: false,
      };
      const down = path.replace(/(\.up)?\.sql$/, ".down.sql");
      if (down !== path && existsSync(down)) file.downFile = rel(down);
      migrations.push(file);
    }
  }

  const alembicProjects: string[] = [];
  if (wants("alembic")) {
    for (const ini of await look(["**/alembic.ini"])) alembicProjects.push(dirname(ini));
  }

  migrations.sort(
    (a, b) =>
      a.directory.localeCompare(b.directory) ||
      compareVersions(a.version, b.version) ||
      a.file.localeCompare(b.file),
  );
  return { migrations, alembicProjects };
}

/** The SQL a migration file contributes: its own content, or the SQL generated for it. */
export function migrationSql(migration: MigrationFile): string {
  return migration.generatedSql ?? readFileSync(migration.absolutePath, "utf8");
}

/** Resolves a user-given directory inside the workspace. */
export function resolveInWorkspace(workspace: string, path: string): string {
  return resolve(workspace, path);
}
