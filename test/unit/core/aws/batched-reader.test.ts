// Reads shared by followers: one call once every follower has asked, chunks of the batch limit,
// answers matched by key, a failure given to every waiter of its call, and a late follower waited for
// no longer than the window.
import { describe, expect, it } from "vitest";
import { BatchedReader } from "../../../../packages/core/src/aws/batched-reader";

function reader(maxBatch: number, windowMs: number, fail?: (keys: readonly string[]) => boolean) {
  const calls: string[][] = [];
  const r = new BatchedReader<string>({
    maxBatch,
    windowMs,
    fetch: async (keys) => {
      calls.push([...keys]);
      if (fail?.(keys)) throw new Error(`failed ${keys.join(",")}`);
      // Answers in another order than asked, and one key the call was not asked about.
      const answers: [string, string][] = [...keys].reverse().map((k) => [k, `value of ${k}`]);
      return new Map([...answers, ["stray", "x"]]);
    },
  });
  return { r, calls };
}

describe("BatchedReader", () => {
  it("sends one call once every follower has asked, and matches each answer to its key", async () => {
    const { r, calls } = reader(10, 10_000);
    const leave = [r.join(), r.join(), r.join()];
    const answers = await Promise.all(["a", "b", "c"].map((k) => r.get(k)));
    expect(answers).toEqual(["value of a", "value of b", "value of c"]);
    expect(calls).toEqual([["a", "b", "c"]]);
    for (const l of leave) l();
  });

  it("splits a batch at the limit", async () => {
    const { r, calls } = reader(2, 0);
    await Promise.all(["a", "b", "c", "d", "e"].map((k) => r.get(k)));
    expect(calls).toEqual([["a", "b"], ["c", "d"], ["e"]]);
  });

  it("asks for a key once however many wait for it, and gives undefined for a key the call did not know", async () => {
    const r = new BatchedReader<string>({
      maxBatch: 10,
      windowMs: 0,
      fetch: async () => new Map([["a", "A"]]),
    });
    expect(await Promise.all([r.get("a"), r.get("a"), r.get("zz")])).toEqual(["A", "A", undefined]);
  });

  it("gives a failed call's error to each of its waiters, and only to them", async () => {
    const { r } = reader(1, 0, (keys) => keys.includes("bad"));
    const [good, bad] = await Promise.allSettled([r.get("good"), r.get("bad")]);
    expect(good).toEqual({ status: "fulfilled", value: "value of good" });
    expect(bad).toMatchObject({ status: "rejected", reason: new Error("failed bad") });
  });

  it("does not wait for a follower that has not asked longer than the window, nor for one that left", async () => {
    const { r, calls } = reader(10, 20);
    r.join();
    const leave = r.join();
    const started = Date.now();
    expect(await r.get("a")).toBe("value of a");
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
    const pendingRead = r.get("b");
    leave();
    expect(await pendingRead).toBe("value of b");
    expect(calls).toEqual([["a"], ["b"]]);
  });
});
