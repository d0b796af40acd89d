// Workspaces the migrate bundle tests run in: a temp directory with the given files (or a copy of a
// fixture under test/fixtures/migrations), removed when the test that made it finishes.
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { onTestFinished } from "vitest";
import { ROOT } from "../../rig/harness";

export const MIGRATION_FIXTURES = join(ROOT, "test", "fixtures", "migrations");

/** Writes each file (path relative to dir -> content), creating directories as needed. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A fresh workspace for one test: a copy of `fixture` (when given) plus `files`. */
export function tempWorkspace(
  files: Record<string, string> = {},
  options: { fixture?: string } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), "shipline-migrate-ws-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  if (options.fixture) cpSync(join(MIGRATION_FIXTURES, options.fixture), dir, { recursive: true });
  writeFiles(dir, files);
  return dir;
}
