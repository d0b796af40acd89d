// `npm run docs` rewrites the inputs/outputs tables in the READMEs from action.yml;
// `npm run docs -- --check` fails when any is stale (a test does the same).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderedReadmes, staleReadmes } from "../test/repo/action-docs";
import { ROOT } from "../test/repo/layout";

if (process.argv.includes("--check")) {
  const stale = staleReadmes();
  if (stale.length > 0) {
    console.error(`Stale action tables in: ${stale.join(", ")}. Run \`npm run docs\`.`);
    process.exit(1);
  }
  console.log("Action tables are up to date.");
} else {
  for (const [path, content] of renderedReadmes()) writeFileSync(join(ROOT, path), content);
  console.log("Action tables written.");
}
