// How GraphQL queries (reads) are paced: by the budget GitHub reports on every answer, not by a fixed
// pause. Octokit's throttling plugin spaces every GraphQL request one second apart, the spacing GitHub
// asks for between writes; for 5,000 pull requests that alone is a minute of sleeping. GitHub's rules
// for reads (its REST and GraphQL rate-limit pages) are what a careful client keeps instead:
// - one request at a time ("make requests serially"), which also keeps far below the secondary
//   limits (2,000 GraphQL points a minute, a query without mutations being one point; 60 s of GraphQL
//   CPU time per minute, which serial requests cannot exceed);
// - the primary budget (points per hour; a GITHUB_TOKEN has 1,000 per repository) is read from the
//   x-ratelimit-remaining / -used / -reset headers of each answer: when what is left would not pay for
//   a query like the last one, wait for the reset instead of sending it to be refused;
// - a refusal for a rate limit anyway (403/429 with retry-after, or x-ratelimit-remaining: 0, or a
//   GraphQL RATE_LIMITED error) is waited out as told, a bounded number of times.
// Mutations are writes and keep the throttling plugin's spacing (see client.ts).
import type { Clock } from "../runtime/clock";
import { UserError } from "../runtime/errors";
import { formatDuration } from "../runtime/format";
import type { Logger } from "../runtime/logger";

export interface QueryPacingOptions {
  logger: Logger;
  clock: Clock;
  /** Rate-limit refusals waited out per request before giving up. */
  rateLimitRetries: number;
  /** The longest wait for a budget reset before failing instead (GitHub resets hourly). */
  maxWaitMs?: number;
  signal?: AbortSignal;
}

type Headers = Record<string, string | number | undefined>;

interface RequestResult {
  headers: Headers;
  data: unknown;
}

type RequestFn = (options: Record<string, unknown>) => Promise<RequestResult>;

/** The part of an Octokit this needs: its request hook. */
export interface HookedClient {
  hook: {
    wrap(
      name: "request",
      wrapper: (request: RequestFn, options: Record<string, unknown>) => Promise<unknown>,
    ): void;
  };
}

interface Budget {
  remaining: number;
  used: number;
  resetAtMs: number;
  /** Points the last query cost (the rise of x-ratelimit-used), at least 1. */
  lastCost: number;
}

const DEFAULT_MAX_WAIT_MS = 15 * 60_000;
/** GitHub: wait at least a minute after a secondary limit that gives no retry-after. */
const SECONDARY_FALLBACK_MS = 60_000;
const PROGRESS_STEP_MS = 60_000;

function header(headers: Headers | undefined, name: string): number | undefined {
  const value = headers?.[name];
  if (value === undefined || value === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** The budget after an answer, or the one known before when the answer carries no rate-limit headers. */
function readBudget(headers: Headers | undefined, before: Budget | undefined): Budget | undefined {
  const remaining = header(headers, "x-ratelimit-remaining");
  const reset = header(headers, "x-ratelimit-reset");
  if (remaining === undefined || reset === undefined) return before;
  const used = header(headers, "x-ratelimit-used") ?? 0;
  const resetAtMs = reset * 1000;
  const sameWindow = before !== undefined && before.resetAtMs === resetAtMs;
  const lastCost = sameWindow ? Math.max(1, used - before.used) : Math.max(1, before?.lastCost ?? 1);
  return { remaining, used, resetAtMs, lastCost };
}

function isRateLimitedAnswer(data: unknown): boolean {
  const errors = (data as { errors?: { type?: string }[] } | undefined)?.errors;
  return Array.isArray(errors) && errors.some((error) => error?.type === "RATE_LIMITED");
}

interface HttpFailure {
  status?: number;
  message?: string;
  response?: { headers?: Headers; data?: unknown };
}

/** How long GitHub asks to wait before this request may be sent again; undefined when it is no rate limit. */
function rateLimitWait(error: HttpFailure, budget: Budget | undefined, now: number, attempt: number) {
  if (error.status !== 403 && error.status !== 429) return undefined;
  const headers = error.response?.headers;
  const retryAfter = header(headers, "retry-after");
  if (retryAfter !== undefined) return { ms: retryAfter * 1000, kind: "secondary rate limit" };
  if (header(headers, "x-ratelimit-remaining") === 0 && budget) {
    return { ms: Math.max(0, budget.resetAtMs - now) + 1000, kind: "rate limit" };
  }
  if (/secondary rate limit/i.test(error.message ?? "")) {
    return { ms: SECONDARY_FALLBACK_MS * 2 ** attempt, kind: "secondary rate limit" };
  }
  return undefined;
}

function budgetSpent(budget: Budget, waitMs: number): UserError {
  return new UserError(
    `GitHub's GraphQL rate limit for this token is spent: ${budget.remaining} points left, a query costs about ${budget.lastCost}, and the budget resets at ${new Date(budget.resetAtMs).toISOString()} (in ${formatDuration(waitMs)}).`,
    {
      input: "github-token",
      fix: "Re-run after the reset, or give a token with a larger budget (a GitHub App installation token has 5,000 points an hour; the job's token 1,000 per repository).",
    },
  );
}

/**
 * Paces the client's requests (GraphQL queries) by GitHub's rate-limit headers: one at a time, no
 * pause while the budget allows, a wait for the reset when it would not.
 */
export function paceQueries(client: HookedClient, options: QueryPacingOptions): void {
  const { logger, clock } = options;
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  let budget: Budget | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const wait = async (ms: number, why: string): Promise<void> => {
    logger.warning(`GitHub ${why}: waiting ${formatDuration(ms)} before the next query.`);
    for (let left = ms; left > 0; left -= PROGRESS_STEP_MS) {
      await clock.sleep(Math.min(left, PROGRESS_STEP_MS), options.signal);
      if (left > PROGRESS_STEP_MS)
        logger.progress(`waiting for GitHub: ${formatDuration(left - PROGRESS_STEP_MS)} left`);
    }
  };

  const send = async (
    request: RequestFn,
    requestOptions: Record<string, unknown>,
  ): Promise<RequestResult> => {
    for (let attempt = 0; ; attempt++) {
      if (budget && budget.remaining < budget.lastCost && budget.resetAtMs > clock.now()) {
        const ms = budget.resetAtMs - clock.now() + 1000;
        if (ms > maxWaitMs) throw budgetSpent(budget, ms);
        await wait(ms, `GraphQL budget is down to ${budget.remaining} points`);
      }
      let failure: HttpFailure;
      let refusedAnswer: RequestResult | undefined;
      try {
        const response = await request(requestOptions);
        budget = readBudget(response.headers, budget);
        if (!isRateLimitedAnswer(response.data)) return response;
        // A 200 whose errors say RATE_LIMITED: the primary budget, spent until the reset.
        refusedAnswer = response;
        failure = { status: 403, response: { headers: { ...response.headers, "x-ratelimit-remaining": 0 } } };
      } catch (error) {
        failure = error as HttpFailure;
        budget = readBudget(failure.response?.headers, budget);
      }
      const limited = rateLimitWait(failure, budget, clock.now(), attempt);
      if (!limited || attempt >= options.rateLimitRetries) {
        // The GraphQL client turns a refused answer into its own error, with GitHub's message.
        if (refusedAnswer) return refusedAnswer;
        throw failure;
      }
      if (limited.ms > maxWaitMs && budget) throw budgetSpent(budget, limited.ms);
      await wait(limited.ms, `${limited.kind} hit`);
    }
  };

  client.hook.wrap("request", (request, requestOptions) => {
    // One query at a time, whoever sends them.
    const answer = queue.then(() => send(request, requestOptions));
    queue = answer.catch(() => undefined);
    return answer;
  });
}
