import * as core from "@actions/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Annotation } from "../../../../packages/core/src/runtime/annotation";
import { WorkflowCommands } from "../../../../packages/core/src/runtime/workflow-commands";

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
