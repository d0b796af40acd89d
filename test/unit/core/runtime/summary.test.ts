import { describe, expect, it } from "vitest";
import { cell, SummaryBuilder } from "../../../../packages/core/src/runtime/summary";

describe("SummaryBuilder", () => {
  it("renders headings, tables with escaped cells, details and mermaid blocks", () => {
    const md = new SummaryBuilder()
      .heading("Deploy web")
      .table(
        ["Service", "Status"],
        [
          ["web", "a|b"],
          ["api", "line1\nline2"],
        ],
      )
      .details("Events", new SummaryBuilder().list(["one", "two"]))
      .mermaid("graph LR\n  a --> b")
      .toMarkdown();
    expect(md).toBe(
      [
        "## Deploy web",
        "",
        "| Service | Status |\n| --- | --- |\n| web | a\\|b |\n| api | line1<br>line2 |",
        "",
        "<details><summary>Events</summary>\n\n- one\n- two\n\n</details>",
        "",
        "```mermaid\ngraph LR\n  a --> b\n```",
        "",
      ].join("\n"),
    );
  });

  it("uses a fence longer than any backticks in a code block", () => {
    const md = new SummaryBuilder().code("a ``` b").toMarkdown();
    expect(md).toBe("````\na ``` b\n````\n");
  });

  it("renders an xychart with one series per line", () => {
    const md = new SummaryBuilder()
      .xyChart({
        title: "p95",
        xLabels: ["0s", "5s"],
        yLabel: "seconds",
        series: [{ kind: "line", values: [0.1, 0.25] }],
      })
      .toMarkdown();
    expect(md).toContain('x-axis ["0s", "5s"]');
    expect(md).toContain("line [0.1, 0.25]");
  });

  it("is empty until something is added", () => {
    expect(new SummaryBuilder().isEmpty).toBe(true);
    expect(new SummaryBuilder().toMarkdown()).toBe("");
    expect(cell(undefined)).toBe("");
  });
});
