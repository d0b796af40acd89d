// actionlint on every workflow and example caller, in a copy of the repository where shipline's own
// actions (./.shipline/actions/x) and reusable workflows (<owner>/shipline/.github/workflows/x@v1)
// resolve to this checkout, so actionlint also checks their inputs, outputs and secrets.
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../repo/layout";
import {
  ACTIONLINT_INSTALL_HINT,
  ACTIONLINT_VERSION,
  actionlintBinary,
  actionlintVersion,
  runActionlint,
} from "../rig/actionlint";
import { available } from "../rig/availability";

const binary = actionlintBinary();
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A lintable copy: the workflows, the examples calling the local reusable workflows, .shipline -> here. */
function lintableCopy(edit?: (file: string, text: string) => string): { dir: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "shipline-actionlint-"));
  dirs.push(dir);
  mkdirSync(join(dir, ".git"));
  cpSync(join(ROOT, ".github", "workflows"), join(dir, ".github", "workflows"), { recursive: true });
  mkdirSync(join(dir, "examples"));
  for (const file of readdirSync(join(ROOT, "examples", "workflows"))) {
    const text = readFileSync(join(ROOT, "examples", "workflows", file), "utf8");
    writeFileSync(
      join(dir, "examples", file),
      text.replace(/<owner>\/shipline\/(\.github\/workflows\/[\w.-]+\.yml)@v1/g, "./$1"),
    );
  }
  symlinkSync(ROOT, join(dir, ".shipline"));
  const files = [
    ...readdirSync(join(dir, ".github", "workflows")).map((f) => `.github/workflows/${f}`),
    ...readdirSync(join(dir, "examples")).map((f) => `examples/${f}`),
  ];
  if (edit) {
    for (const file of files)
      writeFileSync(join(dir, file), edit(file, readFileSync(join(dir, file), "utf8")));
  }
  return { dir, files };
}

describe.runIf(available("actionlint", binary !== undefined, ACTIONLINT_INSTALL_HINT))("actionlint", () => {
  const bin = binary as string;

  it(`is the ${ACTIONLINT_VERSION} build from npm`, () => {
    expect(actionlintVersion(bin)).toBe(`actionlint.kjanat.dev ${ACTIONLINT_VERSION}`);
  });

  it("passes on every workflow and example caller", () => {
    const { dir, files } = lintableCopy();
    expect(files.length).toBeGreaterThanOrEqual(6);
    const run = runActionlint(bin, dir, files);
    expect(run.findings).toEqual([]);
    expect(run.status, run.stderr).toBe(0);
  });

  // The checks the workflows rely on actually run: a wrong input to a shipline action, a wrong input
  // to a reusable workflow, and an unknown step output are each reported.
  it("reports an input a shipline action does not declare, a reusable-workflow input that does not exist, and an unknown step output", () => {
    const { dir, files } = lintableCopy((file, text) => {
      if (file.endsWith("deploy.yml") && file.startsWith(".github"))
        return text
          .replace(
            `          mode: \${{ inputs.migration-mode }}\n`,
            `          mode: \${{ inputs.migration-mode }}\n          modus: sql\n`,
          )
          .replace("steps.image.outputs.digest", "steps.image.outputs.digests");
      if (file === "examples/deploy-staging.yml")
        return text.replace("      soak: 2m\n", "      soak: 2m\n      soak-time: 2m\n");
      return text;
    });
    const run = runActionlint(bin, dir, files);
    const messages = run.findings.map((f) => `${f.file}: ${f.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/deploy\.yml: input "modus" is not defined in action "shipline migrate"/),
        expect.stringMatching(/deploy\.yml: property "digests" is not defined/),
        expect.stringMatching(
          /deploy-staging\.yml: input "soak-time" is not defined in "\.\/\.github\/workflows\/deploy\.yml"/,
        ),
      ]),
    );
    expect(run.status).toBe(1);
  });
});
