// Summaries the store keeps beside the raw points so a reader never scans a million points to draw a curve:
// per series (run, key, split) its count, min, max and last value; per block of METRIC_BLOCK_POINTS consecutive
// points its step range, min, max, last value and wall time. Writers update both in the append transaction.
import type { MetricBlock, MetricPoint, SeriesStats } from "./types.js";

export type { MetricBlock, SeriesStats, SequencedMetricPoint } from "./types.js";

/** Points per summary block: 1M points → ~3,900 blocks, merged by a reader into ≤ 1,000 buckets without losing a spike. */
export const METRIC_BLOCK_POINTS = 256;

/** A batch split by series, in first-seen order, each keeping append order. */
export function groupBySeries(points: readonly MetricPoint[]): MetricPoint[][] {
  const groups = new Map<string, MetricPoint[]>();
  for (const point of points) {
    const id = `${point.runId}\u0000${point.key}\u0000${point.split ?? ""}`;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = []));
    group.push(point);
  }
  return [...groups.values()];
}

function lower(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : a <= b ? a : b;
}
function higher(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : a >= b ? a : b;
}

/** Count, min, max, last and step range of one series' batch (points all of one series, in append order). */
export function summarizeSeriesBatch(points: readonly MetricPoint[]): Omit<SeriesStats, "runId" | "key" | "split" | "seq"> {
  let min: number | null = null;
  let max: number | null = null;
  for (const point of points) {
    const value = point.value;
    if (Number.isNaN(value)) continue;
    if (min === null || value < min) min = value;
    if (max === null || value > max) max = value;
  }
  const last = points[points.length - 1]!;
  return { count: points.length, min, max, last: last.value, firstStep: points[0]!.step, lastStep: last.step };
}

/** The blocks a series' batch touches, given the series already held `startIndex` points before it. */
export function summarizeBlocks(points: readonly MetricPoint[], startIndex: number): MetricBlock[] {
  const blocks: MetricBlock[] = [];
  let current: MetricBlock | undefined;
  for (let offset = 0; offset < points.length; offset++) {
    const point = points[offset]!;
    const index = Math.floor((startIndex + offset) / METRIC_BLOCK_POINTS);
    if (current === undefined || current.index !== index) {
      current = { index, x0: point.step, x1: point.step, min: null, max: null, last: point.value, t: point.wallTime, count: 0 };
      blocks.push(current);
    }
    if (point.step < current.x0) current.x0 = point.step;
    if (point.step > current.x1) current.x1 = point.step;
    if (!Number.isNaN(point.value)) {
      if (current.min === null || point.value < current.min) current.min = point.value;
      if (current.max === null || point.value > current.max) current.max = point.value;
    }
    current.last = point.value;
    current.t = point.wallTime;
    current.count++;
  }
  return blocks;
}

/** A stored block extended by a later part of the same block (what the SQL upserts do). */
export function mergeBlocks(earlier: MetricBlock, later: MetricBlock): MetricBlock {
  return {
    index: earlier.index,
    x0: Math.min(earlier.x0, later.x0),
    x1: Math.max(earlier.x1, later.x1),
    min: lower(earlier.min, later.min),
    max: higher(earlier.max, later.max),
    last: later.last,
    t: later.t,
    count: earlier.count + later.count,
  };
}

/** Stored series stats extended by a later batch. */
export function mergeSeriesStats(earlier: SeriesStats | undefined, batch: Omit<SeriesStats, "runId" | "key" | "split" | "seq">, identity: Pick<SeriesStats, "runId" | "key" | "split" | "seq">): SeriesStats {
  if (!earlier) return { ...identity, ...batch };
  return {
    ...identity,
    count: earlier.count + batch.count,
    min: lower(earlier.min, batch.min),
    max: higher(earlier.max, batch.max),
    last: batch.last,
    firstStep: earlier.firstStep,
    lastStep: batch.lastStep,
  };
}
