// The shape every benchmark module exports: rows of comparable figures for one table.

export interface BenchRow {
  benchmark: string;
  case: string;
  metric: string;
  value: number | string;
  unit?: string;
  /** What the figure is compared with, or the target it is held to. */
  note?: string;
  /** The goal the figure is held to, in words ("≤ 20 s"); a row without one gives context only. */
  goal?: string;
  /** Whether the figure meets the goal (a `--check` run fails on a row where this is false). */
  met?: boolean;
}

/** A row held to a goal, and whether this run met it (the table prints both; `--check` fails on a miss). */
export function withGoal(row: BenchRow, goal: string, met: boolean): BenchRow {
  return { ...row, goal, met };
}

export interface Benchmark {
  name: string;
  run(): Promise<BenchRow[]>;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function round(value: number, digits = 1): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
