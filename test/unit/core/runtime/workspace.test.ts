// The workspace guard: paths and glob patterns from inputs stay inside the workspace, `..` and
// symbolic links included.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Workspace, WorkspacePathError } from "../../../../packages/core/src/runtime/workspace";

const outside = mkdtempSync(join(tmpdir(), "shipline-outside-"));
const root = mkdtempSync(join(tmpdir(), "shipline-ws-"));
mkdirSync(join(root, "db", "migrations"), { recursive: true });
writeFileSync(join(root, "db", "migrations", "V1__a.sql"), "select 1;\n");
writeFileSync(join(outside, "secret.sql"), "drop table accounts;\n");
symlinkSync(outside, join(root, "db", "elsewhere"));
symlinkSync(join(root, "db"), join(root, "db-link"));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});
const workspace = new Workspace(root);

function refusal(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof WorkspacePathError) return error.message;
    throw error;
  }
  throw new Error("the path was accepted");
}

describe("Workspace.locate", () => {
  it.each([".", "db", "db/migrations/V1__a.sql", "db/../db", "not/yet/there", "db-link/migrations"])(
    "accepts %j inside the workspace",
    (path) => {
      expect(workspace.locate(path)).toBe(join(root, path));
    },
  );

  it("accepts an absolute path inside the workspace", () => {
    expect(workspace.locate(join(root, "db"))).toBe(join(root, "db"));
  });

  it.each(["..", "../../..", "db/../../x", "/etc/passwd", outside])("refuses %j as outside", (path) => {
    expect(refusal(() => workspace.locate(path))).toMatch(/is outside the workspace \(it resolves to /);
  });

  it("refuses a path through a symbolic link that points out of the workspace", () => {
    expect(refusal(() => workspace.locate("db/elsewhere/secret.sql"))).toMatch(
      /leads outside the workspace through a symbolic link/,
    );
    expect(refusal(() => workspace.locate("db/elsewhere/not-there-yet.sql"))).toMatch(/symbolic link/);
  });

  it("resolves relative paths from another directory of the workspace", () => {
    expect(workspace.locate("../db", join(root, "db"))).toBe(join(root, "db"));
    expect(refusal(() => workspace.locate("../../..", join(root, "db")))).toMatch(/outside/);
  });
});

describe("Workspace.globPattern", () => {
  it.each([
    ["db/migrations/*.sql", "db/migrations/*.sql"],
    ["db/**/V*__*.sql", "db/**/V*__*.sql"],
    ["./db/*/../migrations/*.sql", "db/migrations/*.sql"],
    ["!db/migrations/skip.sql", "!db/migrations/skip.sql"],
  ])("keeps %j as %j", (pattern, kept) => {
    expect(workspace.globPattern(pattern)).toBe(kept);
  });

  it("returns the pattern relative to its base directory", () => {
    expect(workspace.globPattern(join(root, "db", "migrations", "*.sql"), join(root, "db"))).toBe(
      "migrations/*.sql",
    );
  });

  it.each(["../other/*.sql", "/etc/*", "db/*/../../../x/*.sql", `${outside}/*.sql`])(
    "refuses %j that reaches outside",
    (pattern) => {
      expect(refusal(() => workspace.globPattern(pattern))).toMatch(/reaches outside the workspace/);
    },
  );

  it("refuses a pattern whose fixed directory is a link out of the workspace", () => {
    expect(refusal(() => workspace.globPattern("db/elsewhere/*.sql"))).toMatch(/through a symbolic link/);
  });
});

describe("Workspace.contains", () => {
  it("follows links when telling inside from outside", () => {
    expect(workspace.contains(join(root, "db", "migrations", "V1__a.sql"))).toBe(true);
    expect(workspace.contains(join(root, "db", "elsewhere", "secret.sql"))).toBe(false);
    expect(workspace.contains(join(outside, "secret.sql"))).toBe(false);
  });
});

describe("Workspace.requireExisting", () => {
  it("says when a directory is missing or is a file", () => {
    expect(refusal(() => Workspace.requireExisting(join(root, "nope"), "nope", "directory"))).toBe(
      '"nope" does not exist in the workspace.',
    );
    expect(
      refusal(() => Workspace.requireExisting(join(root, "db/migrations/V1__a.sql"), "V1", "directory")),
    ).toBe('"V1" is not a directory.');
    expect(() => Workspace.requireExisting(join(root, "db"), "db", "directory")).not.toThrow();
  });
});
