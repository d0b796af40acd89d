import { describe, expect, it } from "vitest";
import { SimulatedClock } from "../../../../packages/core/src/runtime/clock";
import { CancelledError } from "../../../../packages/core/src/runtime/errors";
import {
  done,
  nextDelay,
  PollTimeoutError,
  pending,
  poll,
} from "../../../../packages/core/src/runtime/poller";

describe("poll", () => {
  it("attempts at once, then every interval until done, in simulated time", async () => {
    const clock = new SimulatedClock();
    const start = clock.now();
    const seen: number[] = [];
    const value = await poll(
      { intervalMs: 5_000, timeoutMs: 60_000, clock, jitter: 0 },
      async ({ attempt, elapsedMs }) => {
        seen.push(elapsedMs);
        return attempt === 4 ? done("stable") : pending;
      },
    );
    expect(value).toBe("stable");
    expect(seen).toEqual([0, 5_000, 10_000, 15_000]);
    expect(clock.now() - start).toBe(15_000);
  });

  it("spreads attempts by the jitter, within bounds", () => {
    expect(nextDelay(5_000, 0.1, 60_000, () => 0)).toBe(4_500);
    expect(nextDelay(5_000, 0.1, 60_000, () => 0.999999)).toBe(5_500);
    expect(nextDelay(5_000, 0.1, 60_000, () => 0.5)).toBe(5_000);
  });

  it("makes a last attempt at the deadline, then gives up with a timeout", async () => {
    const clock = new SimulatedClock();
    let attempts = 0;
    const promise = poll({ intervalMs: 4_000, timeoutMs: 10_000, clock, jitter: 0 }, async () => {
      attempts++;
      return pending;
    });
    await expect(promise).rejects.toBeInstanceOf(PollTimeoutError);
    // 0s, 4s, 8s, then the deadline at 10s.
    expect(attempts).toBe(4);
    expect(clock.sleeps).toEqual([4_000, 4_000, 2_000]);
  });

  it("stops waiting as soon as the signal aborts", async () => {
    const clock = new SimulatedClock();
    const controller = new AbortController();
    let attempts = 0;
    const promise = poll(
      { intervalMs: 1_000, timeoutMs: 60_000, clock, signal: controller.signal },
      async () => {
        attempts++;
        if (attempts === 3) controller.abort(new CancelledError());
        return pending;
      },
    );
    await expect(promise).rejects.toBeInstanceOf(CancelledError);
    expect(attempts).toBe(3);
  });

  it("keeps a fixed cadence from attempt start to attempt start when asked, whatever an attempt takes", async () => {
    const slowAttempts = async (fixedRate: boolean) => {
      const clock = new SimulatedClock();
      const starts: number[] = [];
      const start = clock.now();
      await poll(
        { intervalMs: 5_000, timeoutMs: 60_000, clock, jitter: 0, fixedRate },
        async ({ attempt }) => {
          starts.push(clock.now() - start);
          clock.advance(2_000); // a probe that takes two seconds
          return attempt === 3 ? done(true) : pending;
        },
      );
      return starts;
    };
    expect(await slowAttempts(true)).toEqual([0, 5_000, 10_000]);
    expect(await slowAttempts(false)).toEqual([0, 7_000, 14_000]);
  });

  it("passes an attempt's error straight through", async () => {
    const clock = new SimulatedClock();
    await expect(
      poll({ intervalMs: 1_000, timeoutMs: 5_000, clock }, async () => {
        throw new Error("AccessDeniedException");
      }),
    ).rejects.toThrow("AccessDeniedException");
  });
});
