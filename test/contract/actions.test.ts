// The contract between each action's code, its action.yml and the docs.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { InputSpec } from "../../packages/core/src/runtime/inputs";
import { SHIPLINE_VERSION } from "../../packages/core/src/runtime/version";
import { staleReadmes } from "../repo/action-docs";
import { listActions, ROOT, readActionYaml } from "../repo/layout";

const EXPECTED_ACTIONS = [
  "auto-rollback",
  "build-push",
  "ecs-deploy",
  "health-gate",
  "migrate",
  "preflight",
  "release-notes",
  "run-task",
];
const actions = listActions();

async function specsOf(name: string): Promise<{ inputs: InputSpec; outputs: readonly string[] }> {
  const inputs = (await import(join(ROOT, "actions", name, "src", "inputs.ts"))) as { inputSpec: InputSpec };
  const outputs = (await import(join(ROOT, "actions", name, "src", "outputs.ts"))) as {
    outputSpec: readonly string[];
  };
  return { inputs: inputs.inputSpec, outputs: outputs.outputSpec };
}

it("has the actions of the product", () => {
  expect(actions).toEqual(EXPECTED_ACTIONS);
});

describe.each(actions)("%s", (name) => {
  const yaml = readActionYaml(name);

  it("runs on node24 from its committed bundle", () => {
    expect(yaml.runs.using).toBe("node24");
    expect(yaml.runs.main).toBe(`../../dist/${name}/index.js`);
    expect(existsSync(join(ROOT, "dist", name, "index.js"))).toBe(true);
    if (yaml.runs.post) expect(yaml.runs.post).toBe(`../../dist/${name}/index.js`);
  });

  it("has a name, a description and branding", () => {
    expect(yaml.name).toMatch(/^shipline /);
    expect(yaml.description.length).toBeGreaterThan(20);
    expect(yaml.branding?.icon).toBeTruthy();
    expect(yaml.branding?.color).toBeTruthy();
  });

  it("describes every input and output", () => {
    for (const [input, spec] of Object.entries(yaml.inputs ?? {})) {
      expect(spec.description?.trim(), `input ${input}`).toBeTruthy();
    }
    for (const [output, spec] of Object.entries(yaml.outputs ?? {})) {
      expect(spec.description?.trim(), `output ${output}`).toBeTruthy();
    }
  });

  it("declares exactly the inputs its code reads, with the same required flags and defaults", async () => {
    const { inputs } = await specsOf(name);
    const declared = yaml.inputs ?? {};
    expect(Object.keys(declared).sort()).toEqual(Object.keys(inputs).sort());
    for (const [input, def] of Object.entries(inputs)) {
      const spec = declared[input];
      expect(Boolean(spec?.required), `required of ${input}`).toBe(def.required);
      const yamlDefault = spec?.default === undefined ? undefined : String(spec.default);
      expect(yamlDefault, `default of ${input}`).toBe(def.default);
      // A required input with a default would never be reported missing.
      expect(def.required && def.default !== undefined, `${input} is required and has a default`).toBe(false);
    }
  });

  it("declares exactly the outputs its code sets", async () => {
    const { outputs } = await specsOf(name);
    expect(Object.keys(yaml.outputs ?? {}).sort()).toEqual([...outputs].sort());
  });
});

it("keeps every README's inputs and outputs tables equal to action.yml", () => {
  expect(staleReadmes(), "run `npm run docs`").toEqual([]);
});

it("keeps the user-agent version equal to package.json", () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  expect(SHIPLINE_VERSION).toBe(pkg.version);
});
