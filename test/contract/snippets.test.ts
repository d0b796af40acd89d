// Every ```yaml block of every Markdown file (the READMEs, the examples, the guides) is linted with the
// current actionlint as a user would paste it, with 0 findings, deprecated runtimes included; shipline's
// own actions and reusable workflows resolve to this checkout, so their inputs are checked too.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../repo/layout";
import { allSnippets, asWorkflow, markdownFiles, type Snippet, snippetsOf } from "../repo/snippets";
import { ACTIONLINT_INSTALL_HINT, actionlintBinary, runActionlint } from "../rig/actionlint";
import { available } from "../rig/availability";

const binary = actionlintBinary();
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Lints the snippets in a copy of the repository's workflows; returns `file:line: message` per finding. */
function lint(snippets: readonly Snippet[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), "shipline-snippets-"));
  dirs.push(dir);
  mkdirSync(join(dir, ".git"));
  cpSync(join(ROOT, ".github", "workflows"), join(dir, ".github", "workflows"), { recursive: true });
  symlinkSync(ROOT, join(dir, ".shipline"));
  const files = new Map<string, Snippet>();
  snippets.forEach((snippet, index) => {
    const workflow = asWorkflow(snippet);
    if (workflow === undefined) return;
    const file = `.github/workflows/snippet-${index}.yml`;
    writeFileSync(join(dir, file), workflow);
    files.set(file, snippet);
  });
  const run = runActionlint(binary as string, dir, [...files.keys()]);
  if (run.status !== 0 && run.findings.length === 0) throw new Error(`actionlint failed: ${run.stderr}`);
  return run.findings.map((f) => {
    const snippet = files.get(f.file);
    return `${snippet ? `${snippet.file}:${snippet.line}` : f.file}: ${f.message}`;
  });
}

describe("the yaml blocks of the documentation", () => {
  const snippets = allSnippets();

  it("are found in every README, including the actions' own", () => {
    const files = new Set(snippets.map((s) => s.file));
    for (const readme of markdownFiles().filter((f) => /(^|\/)README\.md$/.test(f) && f !== "README.md"))
      expect(files, readme).toContain(readme);
    expect(files).toContain("README.md");
    expect(snippets.length).toBeGreaterThan(20);
  });

  it("are each a workflow, its jobs, steps or a step, unless marked with what else they are", () => {
    for (const s of snippets.filter((x) => x.kind === "not-a-workflow"))
      expect(s.reason, `${s.file}:${s.line}`).toMatch(/\w{4,}/);
    expect(snippets.filter((s) => s.kind !== "not-a-workflow").length).toBeGreaterThan(15);
  });

  it.runIf(available("actionlint", binary !== undefined, ACTIONLINT_INSTALL_HINT))(
    "pass actionlint with no finding",
    () => {
      expect(lint(snippets)).toEqual([]);
    },
  );
});

describe.runIf(available("actionlint", binary !== undefined, ACTIONLINT_INSTALL_HINT))(
  "the snippet check",
  () => {
    it("reports an input shipline does not have, a missing required input and a deprecated runtime", () => {
      const dir = mkdtempSync(join(tmpdir(), "shipline-snippet-md-"));
      dirs.push(dir);
      const pasted: Snippet = {
        file: "GUIDE.md",
        line: 3,
        kind: "steps",
        text: [
          "- uses: actions/checkout@v4",
          "- uses: <owner>/shipline/actions/migrate@v1",
          "  with: { modus: sql }",
          `- run: echo \${{ steps.deploy.outputs.task-definition-arn }}`,
          "",
        ].join("\n"),
      };
      const findings = lint([pasted]);
      expect(findings).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^GUIDE\.md:3: .*node20.*actions\/checkout@v4/),
          expect.stringMatching(/^GUIDE\.md:3: input "modus" is not defined in action "shipline migrate"/),
          expect.stringMatching(/^GUIDE\.md:3: missing input "mode" which is required/),
        ]),
      );
    });

    it("refuses a yaml block it cannot read as a piece of a workflow, unless it is marked", () => {
      const dir = mkdtempSync(join(tmpdir(), "shipline-snippet-md-"));
      dirs.push(dir);
      const file = join(dir, "GUIDE.md");
      writeFileSync(file, "# Guide\n\n```yaml\nwith:\n  mode: sql\n```\n");
      expect(() => snippetsOf(file)).toThrow(/GUIDE\.md:3: a yaml block that is neither a workflow/);
      writeFileSync(
        file,
        "# Guide\n\n<!-- snippet: not a workflow (the release-notes configuration) -->\n```yaml\ncategories: []\n```\n",
      );
      expect(snippetsOf(file)).toEqual([
        expect.objectContaining({
          kind: "not-a-workflow",
          reason: "the release-notes configuration",
          line: 4,
        }),
      ]);
    });
  },
);
