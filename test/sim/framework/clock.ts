// Simulated time: real time scaled by a factor, moved only by hand, or moved by a fixed step per API
// call; and the event scheduler that every timed behaviour of the simulated services runs on.

/**
 * scaled: simulated time = real time × factor. manual: time moves only when advanced. stepped: time
 * moves by `stepMs` before each API call is handled (and when advanced), so a client's progress, not
 * the speed of the machine, decides how much simulated time passes.
 */
export type ClockMode = "scaled" | "manual" | "stepped";

export interface ClockSettings {
  mode: ClockMode;
  /** Simulated milliseconds per real millisecond in scaled mode (60 = a minute per second). */
  factor?: number;
  /** Simulated milliseconds each API call moves time on in stepped mode. */
  stepMs?: number;
  /** Simulated start time, epoch ms. */
  start?: number;
}

export class SimClock {
  #mode: ClockMode = "scaled";
  #factor = 1;
  #stepMs = 1_000;
  #baseReal = Date.now();
  #baseSim = Date.now();

  constructor(settings: ClockSettings = { mode: "scaled", factor: 1 }) {
    this.configure(settings);
  }

  get mode(): ClockMode {
    return this.#mode;
  }

  get factor(): number {
    return this.#factor;
  }

  get stepMs(): number {
    return this.#stepMs;
  }

  /** Simulated now, epoch ms. */
  now(): number {
    if (this.#mode !== "scaled") return this.#baseSim;
    return this.#baseSim + (Date.now() - this.#baseReal) * this.#factor;
  }

  configure(settings: Partial<ClockSettings>): void {
    const current = this.now();
    this.#baseSim = settings.start ?? current;
    this.#baseReal = Date.now();
    if (settings.mode) this.#mode = settings.mode;
    if (settings.factor !== undefined) {
      if (!(settings.factor > 0)) throw new RangeError("clock factor must be positive");
      this.#factor = settings.factor;
    }
    if (settings.stepMs !== undefined) {
      if (!(settings.stepMs > 0)) throw new RangeError("clock stepMs must be positive");
      this.#stepMs = settings.stepMs;
    }
  }

  /** In stepped mode, moves time on by one step (an API call arrived); otherwise does nothing. */
  step(): void {
    if (this.#mode === "stepped") this.advance(this.#stepMs);
  }

  /** Moves simulated time forward (in either mode). */
  advance(ms: number): void {
    if (ms < 0) throw new RangeError("time only moves forward");
    const current = this.now();
    this.#baseSim = current + ms;
    this.#baseReal = Date.now();
  }
}

interface ScheduledEvent {
  id: number;
  at: number;
  label: string;
  run: () => void;
}

/**
 * Discrete events in simulated time. Services schedule what happens next (a task reaches RUNNING,
 * a health check fails); `runUntil(now)` runs everything due in time order, so a request that arrives
 * after a long gap sees exactly the state a continuous observer would have seen.
 */
export class Scheduler {
  #events: ScheduledEvent[] = [];
  #nextId = 1;
  #current: number;

  constructor(start: number) {
    this.#current = start;
  }

  /** The time of the event being run, or of the last runUntil: what services treat as "now". */
  get current(): number {
    return this.#current;
  }

  schedule(at: number, label: string, run: () => void): number {
    const event: ScheduledEvent = { id: this.#nextId++, at: Math.max(at, this.#current), label, run };
    // Keep the queue ordered by time, then by insertion (stable).
    let index = this.#events.length;
    while (index > 0 && (this.#events[index - 1] as ScheduledEvent).at > event.at) index--;
    this.#events.splice(index, 0, event);
    return event.id;
  }

  after(delayMs: number, label: string, run: () => void): number {
    return this.schedule(this.#current + delayMs, label, run);
  }

  cancel(id: number): void {
    this.#events = this.#events.filter((e) => e.id !== id);
  }

  /** Runs every event due at or before `now`, including events they schedule within the window. */
  runUntil(now: number): number {
    let ran = 0;
    for (;;) {
      const next = this.#events[0];
      if (!next || next.at > now) break;
      this.#events.shift();
      this.#current = next.at;
      next.run();
      ran++;
    }
    if (now > this.#current) this.#current = now;
    return ran;
  }

  pending(): { at: number; label: string }[] {
    return this.#events.map((e) => ({ at: e.at, label: e.label }));
  }

  /** Time of the next pending event, if any. */
  nextAt(): number | undefined {
    return this.#events[0]?.at;
  }

  reset(start: number): void {
    this.#events = [];
    this.#current = start;
  }
}

/** Deterministic PRNG (mulberry32) so fault injection and ids repeat for a given seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
