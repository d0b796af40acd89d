// Reads that many followers make at about the same moment, sent as one call: each follower of a
// rollout asks for its own service every poll, and DescribeServices takes ten at once. A batch is sent
// as soon as every follower that joined has asked, or when the window after the first request ends
// (a follower that is late, or busy with something else this poll, does not hold the others up for
// longer than that); requests beyond the batch limit go in further calls. Each answer is matched to
// the key asked by the fetch function, never by position.

export interface BatchedReaderOptions<V> {
  /** The most keys one call takes (DescribeServices: 10; DescribeServiceDeployments: 20). */
  maxBatch: number;
  /** One call for these keys (at most maxBatch); the map holds the answer for every key it knows. */
  fetch(keys: readonly string[]): Promise<ReadonlyMap<string, V>>;
  /** How long a batch waits for the followers that have not asked yet (real ms; 0: the next turn). */
  windowMs: number;
}

interface Waiter<V> {
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

export class BatchedReader<V> {
  readonly #options: BatchedReaderOptions<V>;
  #members = 0;
  #pending = new Map<string, Waiter<V>[]>();
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  /** Calls sent, for the benchmarks and tests. */
  calls = 0;

  constructor(options: BatchedReaderOptions<V>) {
    this.#options = options;
  }

  /** A follower that will ask every poll; call the returned function when it stops. */
  join(): () => void {
    this.#members++;
    let left = false;
    return () => {
      if (left) return;
      left = true;
      this.#members--;
      this.#maybeFlush();
    };
  }

  /** The answer for one key (undefined: the call did not know it). */
  get(key: string): Promise<V | undefined> {
    return new Promise<V | undefined>((resolve, reject) => {
      const waiting = this.#pending.get(key) ?? [];
      waiting.push({ resolve, reject });
      this.#pending.set(key, waiting);
      if (!this.#timer && !this.#immediate) {
        this.#timer = setTimeout(() => this.#flush(), this.#options.windowMs);
        this.#timer.unref?.();
      }
      this.#maybeFlush();
    });
  }

  #maybeFlush(): void {
    if (this.#pending.size === 0 || this.#immediate) return;
    // Everyone who follows has asked (a lone caller counts as everyone): send on the next turn, so
    // that the requests of followers woken by the same timer all join.
    if (this.#pending.size >= Math.max(1, this.#members) || this.#options.windowMs === 0) {
      this.#immediate = setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#immediate) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
    const batch = this.#pending;
    this.#pending = new Map();
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += this.#options.maxBatch) {
      const chunk = keys.slice(i, i + this.#options.maxBatch);
      this.calls++;
      this.#options.fetch(chunk).then(
        (answers) => {
          for (const key of chunk) for (const w of batch.get(key) ?? []) w.resolve(answers.get(key));
        },
        (error: unknown) => {
          for (const key of chunk) for (const w of batch.get(key) ?? []) w.reject(error);
        },
      );
    }
  }
}
