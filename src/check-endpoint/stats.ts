/** Nearest-rank percentile (`p` in 0–100) of `values`; NaN when empty. Does not modify `values`. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** `p50 3 ms, p99 12 ms, max 15 ms` (rounded to 0.1 ms). */
export function latencySummary(values: readonly number[]): string {
  const r = (n: number) => `${Math.round(n * 10) / 10} ms`;
  return `p50 ${r(percentile(values, 50))}, p99 ${r(percentile(values, 99))}, max ${r(Math.max(...values))}`;
}
