// The tests stand on their own: scripts/ holds commands (build, docs, demo) that may use what lives
// under test/ (the world, the repository-layout helpers), never the other way round, so a command can
// change without breaking a test and the demo and the tests share one world instead of leaning on
// each other. Every import, re-export, dynamic import and require under test/ is read with
// TypeScript's own pre-processor, so none is missed for its syntax.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { ROOT } from "../repo/layout";

const SOURCE = /\.(c|m)?[jt]sx?$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : sourceFiles(path);
    return SOURCE.test(entry.name) ? [path] : [];
  });
}

/** The module specifiers a file imports, however it imports them. */
function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** Whether a specifier written in `file` resolves into the folder `target` (both absolute). */
function pointsInto(file: string, specifier: string, target: string): boolean {
  if (!specifier.startsWith(".") && !specifier.startsWith("/")) return false;
  const resolved = resolve(dirname(file), specifier);
  return resolved === target || resolved.startsWith(`${target}${sep}`);
}

describe("imports under test/", () => {
  const scripts = join(ROOT, "scripts");
  const files = sourceFiles(join(ROOT, "test"));

  it("reads every source file under test/", () => {
    // The world, the rig and this file at least: an empty walk would pass on nothing.
    expect(files.length).toBeGreaterThan(100);
    expect(files).toContain(join(ROOT, "test", "contract", "test-imports.test.ts"));
  });

  it("finds an import into scripts/ in every form it can take", () => {
    const file = join(ROOT, "test", "e2e", "example.test.ts");
    const text = [
      'import { a } from "../../scripts/demo";',
      'import type { B } from "../../scripts/lib/x";',
      'export * from "../../scripts/y";',
      'const c = await import("../../scripts/z");',
      'const d = require("../../scripts/w");',
      'import e from "../rig/harness";',
      'import f from "yaml";',
    ].join("\n");
    expect(importsOf(text).filter((s) => pointsInto(file, s, scripts))).toEqual([
      "../../scripts/demo",
      "../../scripts/lib/x",
      "../../scripts/y",
      "../../scripts/z",
      "../../scripts/w",
    ]);
  });

  it("has no file that imports from scripts/", () => {
    const offenders = files.flatMap((file) =>
      importsOf(readFileSync(file, "utf8"))
        .filter((specifier) => pointsInto(file, specifier, scripts))
        .map((specifier) => `${relative(ROOT, file)} imports ${specifier}`),
    );
    expect(offenders, "move what the test needs under test/ (e.g. test/repo, test/world)").toEqual([]);
  });
});
