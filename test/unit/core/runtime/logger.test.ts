// The runner's Logger writes workflow commands on stdout: what the job log and the annotations show.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { formatElapsed } from "../../../../packages/core/src/runtime/format";
import { createRunnerLogger } from "../../../../packages/core/src/runtime/logger";

let written: string[];

beforeEach(() => {
  written = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

const lines = (): string[] => written.join("").split(/\r?\n/).filter(Boolean);

describe("the runner logger", () => {
  it("places annotations at a file and line", () => {
    const logger = createRunnerLogger(new SimulatedClock());
    logger.error("Migration failed", { file: "db/V2__x.sql", line: 3, endLine: 4, column: 7, title: "SQL" });
    logger.warning("Drops a column", { file: "db/V3__y.sql", line: 12 });
    logger.notice("No migrations");
    expect(lines()).toEqual([
      "::error title=SQL,file=db/V2__x.sql,line=3,endLine=4,col=7::Migration failed",
      "::warning file=db/V3__y.sql,line=12::Drops a column",
      "::notice::No migrations",
    ]);
  });

  it("prefixes progress lines with the time since the action started", async () => {
    const clock = new SimulatedClock();
    const logger = createRunnerLogger(clock);
    await clock.sleep(75_000);
    logger.progress("2/3 tasks running");
    await clock.sleep(3_600_000);
    logger.progress("3/3 tasks running");
    expect(lines()).toEqual(["[01:15] 2/3 tasks running", "[1:01:15] 3/3 tasks running"]);
  });

  it("wraps a phase in a collapsible group, closed even when the phase fails", async () => {
    const logger = createRunnerLogger(new SimulatedClock());
    await expect(
      logger.group("Register task definition", async () => {
        logger.info("inside");
        throw new Error("boom");
      }),
    ).rejects.toThrow("boom");
    expect(lines()).toEqual(["::group::Register task definition", "inside", "::endgroup::"]);
  });

  it("tells the runner to mask a secret before anything prints it", () => {
    const logger = createRunnerLogger(new SimulatedClock());
    logger.secrets.add("s3cr3t-token");
    logger.info("token registered");
    const out = lines();
    expect(out[0]).toBe("::add-mask::s3cr3t-token");
    expect(out.at(-1)).toBe("token registered");
  });
});

describe("formatElapsed", () => {
  it.each([
    [0, "00:00"],
    [59_999, "00:59"],
    [61_000, "01:01"],
    [3_600_000, "1:00:00"],
    [-5, "00:00"],
  ])("shows %d ms as %s", (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});
