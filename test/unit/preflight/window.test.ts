import { describe, expect, it } from "vitest";
import {
  judgeWindow,
  parseFreeze,
  parseWindow,
  ScheduleError,
} from "../../../packages/core/src/preflight/window";

// Monday 2026-12-07 10:00 UTC.
const MONDAY_10_UTC = Date.UTC(2026, 11, 7, 10, 0);

describe("release windows", () => {
  it.each([
    ["Mon-Thu 09:00-16:00", ["Mon", "Tue", "Wed", "Thu"], 540, 960],
    ["Mon,Wed 10:00-12:00", ["Mon", "Wed"], 600, 720],
    ["fri 09:00-24:00", ["Fri"], 540, 1440],
  ])("reads %s", (line, days, start, end) => {
    expect(parseWindow(line)).toMatchObject({ days, start, end });
  });

  it.each([
    ["Mon-Thu", /weekdays/],
    ["Fri-Mon 09:00-10:00", /backwards/],
    ["Mon 16:00-09:00", /crosses midnight/],
    ["Mon 25:00-26:00", /time of day/],
    ["Mun 09:00-10:00", /not a weekday/],
  ])("refuses %s", (line, message) => {
    expect(() => parseWindow(line)).toThrow(ScheduleError);
    expect(() => parseWindow(line)).toThrow(message);
  });

  it("is open inside a window, in the window's time zone", () => {
    const judged = judgeWindow(MONDAY_10_UTC, "Europe/Berlin", [parseWindow("Mon-Thu 09:00-16:00")], []);
    expect(judged).toMatchObject({ open: true, local: { text: "Mon 2026-12-07 11:00 Europe/Berlin" } });
  });

  it("is closed before a window opens in a zone behind UTC", () => {
    const judged = judgeWindow(MONDAY_10_UTC, "America/New_York", [parseWindow("Mon-Thu 09:00-16:00")], []);
    expect(judged.open).toBe(false);
    if (!judged.open) expect(judged.why).toContain("05:00 America/New_York is outside the deploy windows");
  });

  it("is closed inside a freeze even inside a window, naming the freeze", () => {
    const judged = judgeWindow(
      MONDAY_10_UTC,
      "UTC",
      [parseWindow("Mon-Fri 00:00-24:00")],
      [parseFreeze("2026-12-07 release train paused")],
    );
    expect(judged.open).toBe(false);
    if (!judged.open) expect(judged.why).toContain("inside the freeze 2026-12-07 (release train paused)");
  });

  it("reads the freeze date in the time zone: already the next day east of UTC", () => {
    const lateSunday = Date.UTC(2026, 11, 6, 23, 30);
    expect(judgeWindow(lateSunday, "Europe/Berlin", [], [parseFreeze("2026-12-07")]).open).toBe(false);
    expect(judgeWindow(lateSunday, "UTC", [], [parseFreeze("2026-12-07")]).open).toBe(true);
  });

  it.each(["2026-02-30", "2026-12-24..2026-12-01", "tomorrow"])("refuses the freeze %s", (line) => {
    expect(() => parseFreeze(line)).toThrow(ScheduleError);
  });
});
