// Bundles each action into dist/<name>/ with ncc. `npm run build` rebuilds all; `npm run build --
// ecs-deploy migrate` rebuilds the named ones. The output is committed, and CI checks it equals a
// fresh build.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import ncc from "@vercel/ncc";
import { build, transform } from "esbuild";
import { listActions, ROOT } from "../test/repo/layout";

/** A chunk ncc splits off at a dynamic import: `<id>.index.js`. */
const CHUNK = /^\d+\.index\.js$/;

async function buildAction(name: string): Promise<void> {
  const started = Date.now();
  const outDir = join(ROOT, "dist", name);
  const { code, assets } = await ncc(join(ROOT, "actions", name, "src", "index.ts"), {
    cache: false,
    minify: true,
    sourceMap: false,
    license: "licenses.txt",
    target: "es2022",
    quiet: true,
    // Types are checked once by `npm run typecheck` for the whole tree; the bundler only transpiles.
    transpileOnly: true,
  });
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "index.js"), code);
  for (const [file, asset] of Object.entries(assets)) {
    const target = join(outDir, file);
    mkdirSync(dirname(target), { recursive: true });
    // ncc minifies index.js but writes the chunks of dynamic imports as they are: minified here, so
    // what a step loads after its inputs are checked is parsed as quickly as the entry.
    const source = CHUNK.test(file)
      ? (await transform(asset.source.toString(), { minify: true, format: "esm", target: "es2022" })).code
      : asset.source;
    writeFileSync(target, source, asset.permissions ? { mode: asset.permissions } : {});
  }
  // Files the bundle reads beside index.js at run time that ncc cannot see (e.g. a WebAssembly module
  // loaded by path), listed in actions/<name>/bundle-assets.json as repository-relative paths, or as
  // [path, name] to give the copy another name.
  const assetList = join(ROOT, "actions", name, "bundle-assets.json");
  if (existsSync(assetList)) {
    for (const entry of JSON.parse(readFileSync(assetList, "utf8")) as (string | [string, string])[]) {
      const [file, copy] = typeof entry === "string" ? [entry, basename(entry)] : entry;
      copyFileSync(join(ROOT, file), join(outDir, copy));
    }
  }
  // Modules a workflow's github-script step loads from the checked-out shipline (`require`), listed in
  // actions/<name>/bundle-scripts.json as [core module, file name]: CommonJS, readable, no dependency
  // but Node's.
  const scriptList = join(ROOT, "actions", name, "bundle-scripts.json");
  if (existsSync(scriptList)) {
    for (const [entry, file] of JSON.parse(readFileSync(scriptList, "utf8")) as [string, string][]) {
      const result = await build({
        entryPoints: [join(ROOT, entry)],
        bundle: true,
        write: false,
        format: "cjs",
        platform: "node",
        target: "node20",
        legalComments: "none",
        banner: { js: `// Bundled from ${entry} by scripts/build.ts; do not edit.` },
      });
      writeFileSync(join(outDir, file), result.outputFiles[0]?.contents ?? "");
    }
  }
  const kib = Math.round(Buffer.byteLength(code) / 1024);
  console.log(`dist/${name}/index.js  ${kib} KiB  ${Date.now() - started} ms`);
}

const requested = process.argv.slice(2);
const known = listActions();
const unknown = requested.filter((name) => !known.includes(name));
if (unknown.length > 0) {
  console.error(`Unknown action(s): ${unknown.join(", ")}. Known: ${known.join(", ")}`);
  process.exit(2);
}
for (const name of requested.length > 0 ? requested : known) {
  await buildAction(name);
}
