// AWS's clock from the Date of its answers: an offset beyond the header's rounding is followed,
// one within it is not, and sleeping stays local.
import { describe, expect, it } from "vitest";
import { ServerClock } from "../../../../packages/core/src/aws/server-clock";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";

describe("ServerClock", () => {
  it("follows a server clock ten minutes ahead", () => {
    const local = new SimulatedClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const clock = new ServerClock(local);
    clock.observe(new Date(Date.UTC(2026, 0, 1, 12, 10, 0)).toUTCString(), local.now());
    expect(clock.offsetMs).toBe(600_000);
    expect(clock.now()).toBe(local.now() + 600_000);
  });

  it("ignores the whole-second rounding of the header, and unreadable dates", () => {
    const local = new SimulatedClock(Date.UTC(2026, 0, 1, 12, 0, 0, 900));
    const clock = new ServerClock(local);
    clock.observe(new Date(Date.UTC(2026, 0, 1, 12, 0, 0)).toUTCString(), local.now());
    expect(clock.offsetMs).toBe(0);
    clock.observe("not a date", local.now());
    clock.observe(undefined, local.now());
    expect(clock.now()).toBe(local.now());
  });

  it("sleeps on the local clock", async () => {
    const local = new SimulatedClock(0);
    const clock = new ServerClock(local);
    await clock.sleep(5_000);
    expect(local.sleeps).toEqual([5_000]);
  });
});
