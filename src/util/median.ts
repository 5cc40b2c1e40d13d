// The median of a list of measurements (the mean of the middle two for an even count): the figure
// every timing in simdnet reports, and what the thread pool's solo policy compares.
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
