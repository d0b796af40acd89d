// AWS's clock as its answers tell it (the Date header of each response), for waits whose windows are
// compared with AWS's own timestamps: a CloudWatch window computed on a runner whose clock is off
// asks for the wrong minutes. An offset under two seconds is the header's whole-second rounding and
// is ignored; sleeping stays on the local clock.
import type { Clock } from "../runtime/clock";

interface MiddlewareClient {
  middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { step: "deserialize"; name: string },
    ): void;
  };
}

const ROUNDING_MS = 2_000;

export class ServerClock implements Clock {
  #offsetMs = 0;

  constructor(private readonly local: Clock) {}

  /** The offset learned from the last answer (0 when within the header's rounding). */
  get offsetMs(): number {
    return this.#offsetMs;
  }

  now(): number {
    return this.local.now() + this.#offsetMs;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return this.local.sleep(ms, signal);
  }

  /** Learns from a response's Date header, received at local time `at`. */
  observe(date: string | undefined, at: number): void {
    if (!date) return;
    const server = Date.parse(date);
    if (Number.isNaN(server)) return;
    const offset = server - at;
    this.#offsetMs = Math.abs(offset) < ROUNDING_MS ? 0 : offset;
  }

  /** Makes every answer of the client tell this clock AWS's time. */
  follow<C extends object>(client: C): C {
    const stack = (client as unknown as Partial<MiddlewareClient>).middlewareStack;
    stack?.add(
      (next) => async (args) => {
        const result = (await next(args)) as { response?: { headers?: Record<string, string> } };
        this.observe(result.response?.headers?.date, this.local.now());
        return result;
      },
      { step: "deserialize", name: "shiplineServerClock" },
    );
    return client;
  }
}
