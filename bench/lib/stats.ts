/** Small statistics helpers for the benchmark's figures. */

export interface Spread {
  n: number;
  p50: number;
  p95: number;
  mean: number;
  max: number;
}

/** Nearest-rank percentile of an unsorted list (undefined when empty). */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function spread(values: readonly number[]): Spread | undefined {
  if (values.length === 0) return undefined;
  const r1 = (n: number) => Math.round(n * 10) / 10;
  return {
    n: values.length,
    p50: r1(percentile(values, 50)!),
    p95: r1(percentile(values, 95)!),
    mean: r1(values.reduce((a, b) => a + b, 0) / values.length),
    max: r1(Math.max(...values)),
  };
}

export function median(values: readonly number[]): number | undefined {
  return percentile(values, 50);
}
