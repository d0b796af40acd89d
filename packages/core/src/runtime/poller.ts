// One poller for every wait in shipline: a fixed interval with jitter, a hard deadline, an injectable
// clock, and cancellation. No SDK waiter with unbounded backoff.
import type { Clock } from "./clock";
import { CancelledError } from "./errors";

export type PollOutcome<T> = { readonly done: true; readonly value: T } | { readonly done: false };

export const pending: PollOutcome<never> = { done: false };
export function done<T>(value: T): PollOutcome<T> {
  return { done: true, value };
}

export interface PollOptions {
  intervalMs: number;
  /** Budget from the first attempt; a last attempt is made at the deadline itself. */
  timeoutMs: number;
  clock: Clock;
  /** Fraction of the interval added or removed at random (default 0.1), so parallel pollers spread out. */
  jitter?: number;
  signal?: AbortSignal;
  /** Source of randomness in [0, 1); tests pass a fixed one. */
  random?: () => number;
  /**
   * Measure the interval from the start of one attempt to the start of the next, so a slow attempt
   * does not stretch the cadence (health probes every 5 s even when one takes 2 s). Default: from the
   * end of one attempt.
   */
  fixedRate?: boolean;
}

export interface PollAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  elapsedMs: number;
  remainingMs: number;
}

export class PollTimeoutError extends Error {
  constructor(
    readonly attempts: number,
    readonly elapsedMs: number,
    readonly timeoutMs: number,
  ) {
    super(
      `gave up after ${attempts} attempts in ${Math.round(elapsedMs / 1000)}s (timeout ${Math.round(timeoutMs / 1000)}s)`,
    );
    this.name = "PollTimeoutError";
  }
}

/** The pause before the next attempt: the interval ± jitter, never past the deadline. */
export function nextDelay(
  intervalMs: number,
  jitter: number,
  remainingMs: number,
  random: () => number,
): number {
  const spread = intervalMs * jitter;
  const delay = intervalMs - spread + 2 * spread * random();
  return Math.max(0, Math.min(Math.round(delay), remainingMs));
}

/**
 * Calls attempt until it reports done, the deadline passes (PollTimeoutError) or the signal aborts
 * (CancelledError). The first attempt is immediate. Errors thrown by attempt end the wait: transient
 * AWS errors are already retried by the SDK client underneath.
 */
export async function poll<T>(
  options: PollOptions,
  attempt: (info: PollAttempt) => Promise<PollOutcome<T>>,
): Promise<T> {
  if (!(options.intervalMs > 0)) throw new RangeError("intervalMs must be positive");
  const { clock, signal } = options;
  const jitter = options.jitter ?? 0.1;
  const random = options.random ?? Math.random;
  const startedAt = clock.now();
  const deadline = startedAt + options.timeoutMs;

  for (let count = 1; ; count++) {
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new CancelledError();
    const now = clock.now();
    const outcome = await attempt({
      attempt: count,
      elapsedMs: now - startedAt,
      remainingMs: deadline - now,
    });
    if (outcome.done) return outcome.value;
    const after = clock.now();
    if (after >= deadline) throw new PollTimeoutError(count, after - startedAt, options.timeoutMs);
    const spent = options.fixedRate ? after - now : 0;
    const delay = nextDelay(options.intervalMs, jitter, Number.POSITIVE_INFINITY, random) - spent;
    await clock.sleep(Math.max(0, Math.min(delay, deadline - after)), signal);
  }
}
