// Quantiles from cumulative histogram buckets, the way Prometheus' histogram_quantile estimates them:
// linear interpolation inside the bucket the rank falls in.

export interface Bucket {
  /** Upper bound (`le`); the last bucket is +Inf. */
  le: number;
  /** Cumulative count of observations <= le. */
  count: number;
}

/**
 * The q-quantile (0..1) of the observations, or undefined when there are none. A rank in the +Inf
 * bucket returns the highest finite bound, as Prometheus does; the lowest bucket starts at 0.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const last = sorted.at(-1);
  if (!last || last.le !== Number.POSITIVE_INFINITY || sorted.length < 2) return undefined;
  // Counts can go down between buckets when scraped mid-update; make them monotonic as Prometheus does.
  let highest = 0;
  const counts = sorted.map((b) => {
    highest = Math.max(highest, b.count);
    return highest;
  });
  const total = counts.at(-1) ?? 0;
  if (total <= 0) return undefined;
  const rank = q * total;
  let index = counts.findIndex((count) => count >= rank);
  if (index < 0) index = counts.length - 1;
  if (index === sorted.length - 1) return (sorted[sorted.length - 2] as Bucket).le;
  const upper = (sorted[index] as Bucket).le;
  const lower = index === 0 ? 0 : (sorted[index - 1] as Bucket).le;
  if (index === 0 && upper <= 0) return upper;
  const below = index === 0 ? 0 : (counts[index - 1] as number);
  const inBucket = (counts[index] as number) - below;
  if (inBucket <= 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}
