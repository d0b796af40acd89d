// Mutations that must not be repeated blindly. The SDK retries a call whose answer was lost (a reset
// connection, a timeout, a 5xx) as if nothing had happened; for RegisterTaskDefinition that registers
// a second revision, for UpdateService it starts a second rollout. Here each attempt is made once, and
// after a failure that may have taken effect the caller's check reads AWS to see whether it did.

import type { Logger } from "../runtime/logger";
import { singleAttemptClient } from "./clients";
import { isThrottled, isUnanswered } from "./errors";

/**
 * Whether a failed call may still have taken effect: no HTTP answer at all (a reset connection or a
 * timeout), or a server error. A 4xx answer, throttling included, means AWS did not act.
 */
function mayHaveTakenEffect(error: unknown): boolean {
  if (!error || typeof error !== "object") return false;
  const status = (error as { $metadata?: { httpStatusCode?: unknown } }).$metadata?.httpStatusCode;
  if (typeof status === "number") return status >= 500;
  return isUnanswered(error);
}

interface Sender<Output> {
  send(command: never): Promise<Output>;
}

export interface MutationOptions<Result> {
  /** The operation's name, for the log ("RegisterTaskDefinition"). */
  operation: string;
  /** Reads AWS after a failure that may have taken effect: the result when it did, else undefined. */
  tookEffect: () => Promise<Result | undefined>;
  /** What the result is, in the log line that says the lost call took effect ("web:3"). */
  describe?: (result: Result) => string;
  logger: Logger;
}

/**
 * Sends a mutating command through a one-attempt sibling of `client`, as many times as the client may
 * attempt a call. After a lost answer it asks `tookEffect` before sending again; a throttled attempt
 * (which AWS did not act on) goes through the client's own retries and backoff instead, where a lost
 * answer is again retried by the SDK: that narrow case is not covered.
 */
export async function sendMutation<Client extends object, Output, Result>(
  client: Client,
  command: object,
  map: (output: Output) => Result,
  options: MutationOptions<Result>,
): Promise<Result> {
  const once = singleAttemptClient(client);
  const sender = once.client as unknown as Sender<Output>;
  for (let attempt = 1; ; attempt++) {
    try {
      return map(await sender.send(command as never));
    } catch (error) {
      if (isThrottled(error)) return map(await (client as unknown as Sender<Output>).send(command as never));
      if (!mayHaveTakenEffect(error)) throw error;
      const done = await options.tookEffect();
      if (done !== undefined) {
        const what = options.describe ? ` (${options.describe(done)})` : "";
        options.logger.info(
          `The answer to ${options.operation} was lost, but AWS shows it took effect${what}; not sending it again.`,
        );
        return done;
      }
      if (attempt >= once.attempts) throw error;
      options.logger.info(
        `The answer to ${options.operation} was lost and AWS shows it did not take effect; sending it again.`,
      );
    }
  }
}
