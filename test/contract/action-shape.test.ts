// Every action has the same shape: a typed input spec, a settings step that validates it, phases that
// do the work, one report, and a short main that reads as inputs → settings → phases → publish.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { listActions, ROOT } from "../repo/layout";

const MAX_FUNCTION_LINES = 80;
const REQUIRED_FILES = [
  "action.yml",
  "README.md",
  "src/index.ts",
  "src/inputs.ts",
  "src/settings.ts",
  "src/main.ts",
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => join(entry.parentPath, entry.name));
}

interface LongFunction {
  where: string;
  name: string;
  lines: number;
}

function nameOf(node: ts.Node): string {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name)
    return node.name.getText();
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent)) return parent.name.getText();
  if (parent && ts.isPropertyAssignment(parent)) return parent.name.getText();
  return "(anonymous)";
}

/** Functions (declarations, methods, arrows, expressions) longer than the limit, with where they start. */
function longFunctions(file: string, limit: number): LongFunction[] {
  const text = readFileSync(file, "utf8");
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node)
    ) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > limit) {
        found.push({ where: `${relative(ROOT, file)}:${start + 1}`, name: nameOf(node), lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

it("measures function length as a reader would (the check itself bites)", () => {
  const mainOfHealthGate = join(ROOT, "actions", "health-gate", "src", "main.ts");
  expect(longFunctions(mainOfHealthGate, 5).length).toBeGreaterThan(0);
});

describe.each(listActions())("%s", (name) => {
  const dir = join(ROOT, "actions", name);

  it("has the files every action has", () => {
    const missing = REQUIRED_FILES.filter((file) => !existsSync(join(dir, file)));
    expect(missing).toEqual([]);
    expect(existsSync(join(dir, "src", "phases"))).toBe(true);
    expect(sourceFiles(join(dir, "src", "phases")).length).toBeGreaterThan(0);
  });

  it(`has no function longer than ${MAX_FUNCTION_LINES} lines`, () => {
    const long = sourceFiles(join(dir, "src")).flatMap((file) => longFunctions(file, MAX_FUNCTION_LINES));
    expect(long).toEqual([]);
  });
});
