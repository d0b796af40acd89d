// The log of every AWS call the simulator answered (or refused, or dropped), in arrival order.
import type { FaultKind } from "./faults";
import type { Shape } from "./types";

export interface CallRecord {
  /** Increases by one per call, and keeps increasing when the log is cleared. */
  readonly seq: number;
  /** Simulated time of the call, epoch ms. */
  readonly at: number;
  readonly service: string;
  readonly operation: string;
  /** The IAM action the call needs, e.g. "ecs:UpdateService". */
  readonly iamAction: string;
  readonly input: Readonly<Shape>;
  /** HTTP status answered (0: the connection was dropped before an answer). */
  readonly status: number;
  /** Error code returned, if any (including injected faults). */
  readonly error?: string;
  /** The injected fault, if one fired. */
  readonly fault?: FaultKind;
}

/** What the dispatcher fills in while it handles a call. */
export type CallEntry = { -readonly [K in keyof CallRecord]: CallRecord[K] };

export interface CallFilter {
  /** Only calls after this sequence number (a mark taken with `lastSeq()`). */
  since?: number;
  service?: string;
  operation?: string;
}

export class CallLog {
  readonly #entries: CallEntry[] = [];
  #seq = 0;

  /** Every call, oldest first. The array is the log itself: read it, do not change it. */
  get all(): readonly CallRecord[] {
    return this.#entries;
  }

  /** Adds a call (status 200 until the dispatcher knows better). */
  record(call: Omit<CallEntry, "seq" | "status">): CallEntry {
    const entry: CallEntry = { seq: ++this.#seq, status: 200, ...call };
    this.#entries.push(entry);
    return entry;
  }

  /** The sequence number of the last call so far (0 before any): a mark for `find({since})`. */
  lastSeq(): number {
    return this.#seq;
  }

  find(filter: CallFilter = {}): CallRecord[] {
    return this.#entries.filter(
      (c) =>
        (filter.since === undefined || c.seq > filter.since) &&
        (!filter.service || c.service === filter.service) &&
        (!filter.operation || c.operation === filter.operation),
    );
  }

  /** How many calls each operation got, e.g. {DescribeServices: 12, UpdateService: 1}. */
  counts(filter: CallFilter = {}): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const call of this.find(filter)) counts[call.operation] = (counts[call.operation] ?? 0) + 1;
    return counts;
  }

  /** The distinct IAM actions the calls needed (answered, or refused by an injected fault), sorted. */
  iamActions(filter: CallFilter = {}): string[] {
    const needed = this.find(filter).filter((c) => c.status < 400 || c.fault);
    return [...new Set(needed.map((c) => c.iamAction))].sort();
  }

  clear(): void {
    this.#entries.length = 0;
  }
}
