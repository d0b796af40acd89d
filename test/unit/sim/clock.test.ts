// The simulator's clock and event scheduler on their own: the time every simulated behaviour runs on.
import { describe, expect, it } from "vitest";
import { Scheduler, SimClock } from "../../sim/framework/clock";

describe("simulated time", () => {
  it("runs scheduled events in time order, as a continuous observer would see them", () => {
    const scheduler = new Scheduler(0);
    const seen: string[] = [];
    scheduler.schedule(300, "c", () => seen.push(`c@${scheduler.current}`));
    scheduler.schedule(100, "a", () => {
      seen.push(`a@${scheduler.current}`);
      scheduler.after(50, "b", () => seen.push(`b@${scheduler.current}`));
    });
    scheduler.runUntil(1_000);
    expect(seen).toEqual(["a@100", "b@150", "c@300"]);
    expect(scheduler.current).toBe(1_000);
  });

  it("scales real time by a factor, or moves only when advanced", async () => {
    const scaled = new SimClock({ mode: "scaled", factor: 1_000, start: 0 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(scaled.now()).toBeGreaterThanOrEqual(45_000);
    const manual = new SimClock({ mode: "manual", start: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(manual.now()).toBe(0);
    manual.advance(5 * 60_000);
    expect(manual.now()).toBe(300_000);
  });

  it("moves a stepped clock only by whole steps, one per call, or when advanced", async () => {
    const stepped = new SimClock({ mode: "stepped", stepMs: 12_000, start: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stepped.now()).toBe(0);
    stepped.step();
    stepped.step();
    expect(stepped.now()).toBe(24_000);
    stepped.advance(1_000);
    expect(stepped.now()).toBe(25_000);
    const manual = new SimClock({ mode: "manual", start: 0 });
    manual.step();
    expect(manual.now()).toBe(0);
    expect(() => new SimClock({ mode: "stepped", stepMs: 0 })).toThrow(/stepMs must be positive/);
  });
});
