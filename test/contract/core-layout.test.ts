// The shape of packages/core: folders that say what lives where, and imports that only point one way.
import { readdirSync } from "node:fs";
import { join } from "node:path";
import madge from "madge";
import { describe, expect, it } from "vitest";
import { ROOT } from "../repo/layout";

const CORE_SRC = join(ROOT, "packages", "core", "src");

describe("packages/core layout", () => {
  it("has no import cycle", async () => {
    const graph = await madge(CORE_SRC, {
      fileExtensions: ["ts"],
      tsConfig: join(ROOT, "tsconfig.json"),
    });
    expect(Object.keys(graph.obj()).length).toBeGreaterThan(50);
    expect(graph.circular()).toEqual([]);
  });

  it("keeps modules in folders: the root holds only entry files", () => {
    const rootFiles = readdirSync(CORE_SRC, { withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => entry.name)
      .filter((name) => name !== "index.ts");
    expect(rootFiles).toEqual([]);
  });
});
