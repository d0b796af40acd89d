// The values the simulator's inspection surface returns: plain copies of its state, read-only, with
// times as epoch milliseconds of simulated time (what CallRecord.at and sim.now() use), so a test
// compares them directly and cannot change the simulation by accident.
import { XmlList } from "./wire";

/** A plain, deeply read-only copy of T in which every Date is epoch milliseconds. */
export type Snapshot<T> = T extends Date
  ? number
  : T extends readonly (infer U)[]
    ? readonly Snapshot<U>[]
    : T extends object
      ? { readonly [K in keyof T]: Snapshot<T[K]> }
      : T;

function copy(value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (value instanceof XmlList) return Object.freeze(value.items.map(copy));
  if (Array.isArray(value)) return Object.freeze(value.map(copy));
  if (value instanceof Map)
    return Object.freeze(Object.fromEntries([...value].map(([k, v]) => [k, copy(v)])));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) if (inner !== undefined) out[key] = copy(inner);
    return Object.freeze(out);
  }
  return value;
}

/** A snapshot of a shape the simulator built (an API answer's member, a record view). */
export function snapshotOf<T>(value: unknown): Snapshot<T> {
  return copy(value) as Snapshot<T>;
}
