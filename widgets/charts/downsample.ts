// Downsampling for display: a chart never needs more points than it has pixels, while the store keeps every point.
// Largest-Triangle-Three-Buckets keeps the visual shape (peaks, drops) of a series in O(n).

export interface XYSeries {
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** Number of valid points (typed-array buffers may be longer). Defaults to x.length. */
  readonly length?: number;
}

/** Indices of the points LTTB keeps (at most `threshold`, always first and last). Non-finite values are kept: they mark gaps. */
export function lttbIndices(series: XYSeries, threshold: number): Uint32Array {
  const n = series.length ?? series.x.length;
  const { x, y } = series;
  if (threshold >= n || threshold < 3) {
    const all = new Uint32Array(Math.min(n, threshold < 3 ? n : threshold));
    for (let i = 0; i < all.length; i++) all[i] = i;
    return all;
  }
  const kept = new Uint32Array(threshold);
  const bucketSize = (n - 2) / (threshold - 2);
  let previous = 0;
  kept[0] = 0;
  let out = 1;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    const start = Math.floor(bucket * bucketSize) + 1;
    const end = Math.min(Math.floor((bucket + 1) * bucketSize) + 1, n - 1);
    // Average of the next bucket: the third corner of the triangle.
    const nextStart = end;
    const nextEnd = Math.min(Math.floor((bucket + 2) * bucketSize) + 1, n);
    let averageX = 0;
    let averageY = 0;
    let counted = 0;
    for (let i = nextStart; i < nextEnd; i++) {
      const value = y[i];
      if (Number.isFinite(value)) {
        averageX += x[i];
        averageY += value;
        counted++;
      }
    }
    if (counted > 0) {
      averageX /= counted;
      averageY /= counted;
    } else {
      averageX = x[nextStart] ?? x[n - 1];
      averageY = 0;
    }
    const previousX = x[previous];
    const previousY = Number.isFinite(y[previous]) ? y[previous] : 0;
    let bestArea = -1;
    let best = start;
    for (let i = start; i < end; i++) {
      const value = y[i];
      if (!Number.isFinite(value)) {
        // A NaN/Inf inside the bucket wins: hiding it would hide the anomaly.
        best = i;
        break;
      }
      const area = Math.abs((previousX - averageX) * (value - previousY) - (previousX - x[i]) * (averageY - previousY));
      if (area > bestArea) {
        bestArea = area;
        best = i;
      }
    }
    kept[out++] = best;
    previous = best;
  }
  kept[out++] = n - 1;
  return kept.subarray(0, out);
}

/** Min-max decimation: per bucket the lowest and highest point, in step order (cheaper than LTTB, keeps extremes). */
export function minMaxIndices(series: XYSeries, maxPoints: number): Uint32Array {
  const n = series.length ?? series.x.length;
  if (n <= maxPoints) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    return all;
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  const kept = new Uint32Array(buckets * 2);
  let out = 0;
  for (let bucket = 0; bucket < buckets; bucket++) {
    const start = Math.floor((bucket * n) / buckets);
    const end = Math.floor(((bucket + 1) * n) / buckets);
    let low = start;
    let high = start;
    for (let i = start + 1; i < end; i++) {
      if (series.y[i] < series.y[low]) low = i;
      if (series.y[i] > series.y[high]) high = i;
    }
    if (low === high) kept[out++] = low;
    else {
      kept[out++] = Math.min(low, high);
      kept[out++] = Math.max(low, high);
    }
  }
  return kept.subarray(0, out);
}
