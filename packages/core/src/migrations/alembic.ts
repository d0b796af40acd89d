// Alembic revisions are Python; their SQL comes from Alembic's offline mode (`alembic upgrade
// head --sql`), split per revision at its "Running upgrade" comments and tied back to each
// revision's file.
import { readFileSync } from "node:fs";
import { dirname, posix, relative, sep } from "node:path";
import { glob } from "tinyglobby";
import type { MigrationFile } from "./types";

export type CommandRunner = (
  command: string,
  args: string[],
  cwd: string,
) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

export interface AlembicRevision {
  revision: string;
  /** Absolute path of the revision's .py file. */
  path: string;
  /** 1-based line of `def upgrade`, where findings about its SQL are shown. */
  upgradeLine: number;
}

const REVISION = /^revision(?:\s*:\s*[\w[\], |]+)?\s*=\s*['"]([^'"]+)['"]/m;
const RUNNING_UPGRADE = /^-- Running upgrade\s+(\S*)\s*->\s*(\S+)\s*$/;

export async function alembicRevisions(project: string): Promise<Map<string, AlembicRevision>> {
  const files = await glob(["**/*.py"], {
    cwd: project,
    absolute: true,
    ignore: ["**/env.py", "**/__pycache__/**"],
  });
  const revisions = new Map<string, AlembicRevision>();
  for (const path of files) {
    const text = readFileSync(path, "utf8");
    const match = REVISION.exec(text);
    if (!match?.[1]) continue;
    const upgradeIndex = text.split("\n").findIndex((line) => /^def upgrade\s*\(/.test(line));
    revisions.set(match[1], {
      revision: match[1],
      path,
      upgradeLine: upgradeIndex >= 0 ? upgradeIndex + 1 : 1,
    });
  }
  return revisions;
}

/**
 * Splits offline SQL into one chunk per revision, in upgrade order, noting whether the chunk starts
 * inside the BEGIN that Alembic writes before the first revision.
 */
export function splitOfflineSql(sql: string): { revision: string; sql: string; inTransaction: boolean }[] {
  const chunks: { revision: string; lines: string[]; inTransaction: boolean }[] = [];
  let open = false;
  for (const line of sql.split(/\r?\n/)) {
    const marker = RUNNING_UPGRADE.exec(line);
    if (marker?.[2]) {
      chunks.push({ revision: marker[2], lines: [], inTransaction: open });
      continue;
    }
    if (/^\s*BEGIN\s*;/i.test(line)) open = true;
    if (/^\s*COMMIT\s*;/i.test(line)) open = false;
    chunks[chunks.length - 1]?.lines.push(line);
  }
  return chunks.map((c) => ({
    revision: c.revision,
    sql: c.lines.join("\n"),
    inTransaction: c.inTransaction,
  }));
}

export class AlembicError extends Error {}

/**
 * The migrations of one Alembic project, with the SQL offline mode generates for each revision.
 * Throws AlembicError (with Alembic's own message) when the SQL cannot be generated.
 */
export async function alembicMigrations(
  project: string,
  workspace: string,
  run: CommandRunner,
): Promise<MigrationFile[]> {
  const result = await run("alembic", ["upgrade", "head", "--sql"], project);
  if (result.exitCode !== 0) {
    const reason =
      result.stderr.trim().split("\n").slice(-3).join(" ").trim() || `exit code ${result.exitCode}`;
    throw new AlembicError(`\`alembic upgrade head --sql\` failed in ${rel(workspace, project)}: ${reason}`);
  }
  const revisions = await alembicRevisions(project);
  const migrations: MigrationFile[] = [];
  for (const [index, chunk] of splitOfflineSql(result.stdout).entries()) {
    const revision = revisions.get(chunk.revision);
    if (!revision) continue;
    migrations.push({
      file: rel(workspace, revision.path),
      absolutePath: revision.path,
      layout: "alembic",
      // Zero-padded upgrade order, so the sort keeps Alembic's order (revision ids are hashes).
      version: String(index + 1).padStart(6, "0"),
      description: chunk.revision,
      directory: rel(workspace, dirname(revision.path)),
      // Offline SQL carries its own BEGIN/COMMIT (and COMMIT ... BEGIN around autocommit blocks).
      wholeFileTransaction: false,
      startsInTransaction: chunk.inTransaction,
      generatedSql: chunk.sql,
    });
  }
  return migrations;
}

/** Where in the revision's .py file findings about its generated SQL are shown. */
export function alembicUpgradeLine(path: string): number {
  const text = readFileSync(path, "utf8");
  const index = text.split("\n").findIndex((line) => /^def upgrade\s*\(/.test(line));
  return index >= 0 ? index + 1 : 1;
}

function rel(workspace: string, path: string): string {
  return relative(workspace, path).split(sep).join(posix.sep) || ".";
}
