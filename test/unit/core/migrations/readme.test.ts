// The migrate README documents every lint rule the code has.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { RULE_IDS } from "../../../../packages/core/src/migrations/rules";
import { ROOT } from "../../../rig/harness";

it("lists every lint rule id in the migrate README's rules table", () => {
  const readme = readFileSync(join(ROOT, "actions", "migrate", "README.md"), "utf8");
  for (const id of RULE_IDS) expect(readme, id).toMatch(new RegExp(`^\\| \`${id}\` +\\|`, "m"));
});
