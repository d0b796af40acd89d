import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as core from "@actions/core";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Annotation } from "../../../../packages/core/src/runtime/annotation";
import {
  fileCommandDelimiter,
  formatFileCommand,
  WorkflowCommands,
} from "../../../../packages/core/src/runtime/workflow-commands";
import { parseFileCommands } from "../../../rig/workflow-commands";

/** What `fn` writes to stdout. */
async function stdoutOf(fn: () => unknown): Promise<string> {
  const chunks: string[] = [];
  const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return chunks.join("");
}

/** The properties @actions/core takes for the same annotation. */
function coreProperties(a: Annotation | undefined): core.AnnotationProperties {
  if (!a) return {};
  const props: core.AnnotationProperties = {};
  if (a.title !== undefined) props.title = a.title;
  if (a.file !== undefined) props.file = a.file;
  if (a.line !== undefined) props.startLine = a.line;
  if (a.endLine !== undefined) props.endLine = a.endLine;
  if (a.column !== undefined) props.startColumn = a.column;
  return props;
}

const MESSAGES = [
  "plain",
  "",
  "100% done",
  "two\nlines\r\nand a CR\r",
  "::set-output name=x::injected",
  "%0A already escaped %25",
  "colons: and, commas",
  "ünïcødé ✓ 🚀",
];

const ANNOTATIONS: (Annotation | undefined)[] = [
  undefined,
  {},
  { file: "task-def.json", line: 3 },
  { title: "Bad input: tag, again", file: "a:b,c.yml", line: 12, endLine: 14, column: 5 },
  { file: "x.sql", line: 0 },
  { title: "100%\nsure" },
];

describe("workflow commands", () => {
  afterEach(() => vi.restoreAllMocks());

  it("writes each annotation byte for byte as @actions/core does", async () => {
    const ours = new WorkflowCommands();
    const theirs = { notice: core.notice, warning: core.warning, error: core.error };
    for (const level of ["notice", "warning", "error"] as const) {
      for (const message of MESSAGES) {
        for (const annotation of ANNOTATIONS) {
          const expected = await stdoutOf(() => theirs[level](message, coreProperties(annotation)));
          const actual = await stdoutOf(() => ours.annotate(level, message, annotation));
          expect(actual, `${level} ${JSON.stringify(message)} ${JSON.stringify(annotation)}`).toBe(expected);
        }
      }
    }
  });

  it("writes lines, debug, masks and groups as @actions/core does", async () => {
    const ours = new WorkflowCommands();
    for (const message of MESSAGES) {
      expect(await stdoutOf(() => ours.line(message))).toBe(await stdoutOf(() => core.info(message)));
      expect(await stdoutOf(() => ours.debug(message))).toBe(await stdoutOf(() => core.debug(message)));
      expect(await stdoutOf(() => ours.mask(message))).toBe(await stdoutOf(() => core.setSecret(message)));
      const body = async (): Promise<number> => {
        process.stdout.write("inside\n");
        return 7;
      };
      let ourResult = 0;
      let theirResult = 0;
      const actual = await stdoutOf(async () => {
        ourResult = await ours.group(message, body);
      });
      const expected = await stdoutOf(async () => {
        theirResult = await core.group(message, body);
      });
      expect(actual).toBe(expected);
      expect(ourResult).toBe(theirResult);
    }
  });

  it("closes a group when its body throws", async () => {
    const ours = new WorkflowCommands();
    const out = await stdoutOf(() =>
      ours
        .group("failing", async () => {
          throw new Error("boom");
        })
        .catch(() => undefined),
    );
    expect(out).toBe("::group::failing\n::endgroup::\n");
  });
});

describe("file commands", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "file-commands-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  /** A fresh, empty file in the test folder. */
  function emptyFile(name: string): string {
    const path = join(dir, name);
    writeFileSync(path, "");
    return path;
  }

  const coreWriters = { setOutput: core.setOutput, saveState: core.saveState };

  // The delimiters are random on both sides; everything else must be the same bytes.
  const normalized = (text: string): string =>
    text.replace(/ghadelimiter_[0-9a-f-]{36}|shipline_[0-9a-f-]{36}/g, "<DELIMITER>");

  const VALUES = [
    ...MESSAGES,
    "one\ntwo\nthree",
    "ends with a line break\n",
    "\n\nblank lines around\n\n",
    "EOF\nname<<EOF\ninjected=1\nEOF",
    "ghadelimiter_00000000-0000-4000-8000-000000000000\nother<<ghadelimiter_00000000-0000-4000-8000-000000000000",
    "shipline_00000000-0000-4000-8000-000000000000",
    JSON.stringify({ image: "web@sha256:abc", services: ["web", "worker"] }),
  ];

  it.each([
    ["outputs", "OUTPUT", "setOutput"],
    ["state", "STATE", "saveState"],
  ] as const)("appends %s to the file in the same bytes as @actions/core", (_, file, method) => {
    const theirs = emptyFile(`theirs-${file}`);
    const ours = emptyFile(`ours-${file}`);
    vi.stubEnv(`GITHUB_${file}`, theirs);
    const commands = new WorkflowCommands(() => undefined, { [`GITHUB_${file}`]: ours });
    VALUES.forEach((value, i) => {
      coreWriters[method](`value-${i}`, value);
      commands[method](`value-${i}`, value);
    });
    const written = readFileSync(ours, "utf8");
    expect(normalized(written)).toBe(normalized(readFileSync(theirs, "utf8")));
    // Read back as the runner reads the file: every value whole, the look-alike delimiters included.
    expect(parseFileCommands(written)).toEqual(Object.fromEntries(VALUES.map((v, i) => [`value-${i}`, v])));
  });

  it("appends to what the file already holds, one delimiter per entry", () => {
    const path = emptyFile("appended");
    writeFileSync(path, "earlier<<X\nfrom another step\nX\n");
    const commands = new WorkflowCommands(() => undefined, { GITHUB_OUTPUT: path });
    commands.setOutput("a", "1");
    commands.setOutput("b", "2");
    const written = readFileSync(path, "utf8");
    expect(parseFileCommands(written)).toEqual({ earlier: "from another step", a: "1", b: "2" });
    const delimiters = [...written.matchAll(/<<(shipline_.+)$/gm)].map((m) => m[1]);
    expect(new Set(delimiters).size).toBe(2);
  });

  it("draws another delimiter when the value or the name holds the one drawn", () => {
    const draws = ["same", "same", "fresh"];
    const draw = () => draws.shift() ?? "never";
    expect(fileCommandDelimiter("name", "text shipline_same text", draw)).toBe("shipline_fresh");
    draws.push("mine", "other");
    expect(fileCommandDelimiter("x_shipline_mine", "value", draw)).toBe("shipline_other");
    expect(formatFileCommand("image", "a\nb", "D")).toBe("image<<D\na\nb\nD\n");
  });

  it("refuses a name the runner would read differently", () => {
    const commands = new WorkflowCommands(() => undefined, { GITHUB_OUTPUT: emptyFile("names") });
    for (const name of ["", "a=b", "a<<b", "two\nlines"]) {
      expect(() => commands.setOutput(name, "v"), JSON.stringify(name)).toThrow(/cannot name/);
    }
    expect(readFileSync(join(dir, "names"), "utf8")).toBe("");
  });

  it.each([
    ["set-output", "GITHUB_OUTPUT", "setOutput"],
    ["save-state", "GITHUB_STATE", "saveState"],
  ] as const)(
    "falls back to the %s command, as @actions/core does, when %s is not set",
    async (_, variable, method) => {
      vi.stubEnv(variable, "");
      const lines: string[] = [];
      const commands = new WorkflowCommands((text) => lines.push(text), {});
      for (const value of VALUES) {
        lines.length = 0;
        commands[method]("the-name", value);
        const expected = await stdoutOf(() => coreWriters[method]("the-name", value));
        expect(lines.join(""), JSON.stringify(value)).toBe(expected);
      }
    },
  );

  it("appends the summary to GITHUB_STEP_SUMMARY in the same bytes as @actions/core", async () => {
    const markdown =
      "## Deploy\n\n| a | b |\n| --- | --- |\n| 1 | 2 |\n\n<details><summary>x</summary>\n\ny\n\n</details>\n";
    const theirs = emptyFile("theirs-summary");
    const ours = emptyFile("ours-summary");
    vi.stubEnv("GITHUB_STEP_SUMMARY", theirs);
    const commands = new WorkflowCommands(() => undefined, { GITHUB_STEP_SUMMARY: ours });
    for (const text of [markdown, "second write ✓"]) {
      await core.summary.addRaw(text).write();
      await commands.appendSummary(text);
    }
    expect(readFileSync(ours, "utf8")).toBe(readFileSync(theirs, "utf8"));
  });

  it("writes no summary where the runner names no file", async () => {
    const written: string[] = [];
    await new WorkflowCommands((text) => written.push(text), {}).appendSummary("## nothing");
    expect(written).toEqual([]);
  });
});
