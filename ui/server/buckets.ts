// Curves at a chosen resolution without losing a spike: each bucket keeps the min, max and last value of its points.
// Big series merge the store's summary blocks (never reading their points); small ones bucket their points directly.
import type { MetricBlock } from "../../store/types.js";
import type { MetricBucket } from "../api.js";

export interface PlainPoint {
  step: number;
  value: number;
  wallTime: number;
}

function nullableNumber(value: number | null): number {
  return value === null ? Number.NaN : value;
}

/** Consecutive blocks merged into at most `buckets` buckets (fewer when there are fewer blocks). */
export function bucketsFromBlocks(blocks: readonly MetricBlock[], buckets: number): MetricBucket[] {
  const out: MetricBucket[] = [];
  const groups = Math.min(buckets, blocks.length);
  for (let group = 0; group < groups; group++) {
    const start = Math.floor((group * blocks.length) / groups);
    const end = Math.floor(((group + 1) * blocks.length) / groups);
    let min: number | null = null;
    let max: number | null = null;
    let x0 = Infinity;
    let x1 = -Infinity;
    let count = 0;
    for (let index = start; index < end; index++) {
      const block = blocks[index]!;
      if (block.min !== null && (min === null || block.min < min)) min = block.min;
      if (block.max !== null && (max === null || block.max > max)) max = block.max;
      if (block.x0 < x0) x0 = block.x0;
      if (block.x1 > x1) x1 = block.x1;
      count += block.count;
    }
    const last = blocks[end - 1]!;
    out.push({ x0, x1, min: nullableNumber(min), max: nullableNumber(max), last: last.last, t: last.t, count });
  }
  return out;
}

/** Points (in append order) into at most `buckets` buckets of consecutive points. */
export function bucketsFromPoints(points: readonly PlainPoint[], buckets: number): MetricBucket[] {
  const out: MetricBucket[] = [];
  const groups = Math.min(buckets, points.length);
  for (let group = 0; group < groups; group++) {
    const start = Math.floor((group * points.length) / groups);
    const end = Math.floor(((group + 1) * points.length) / groups);
    let min = Number.NaN;
    let max = Number.NaN;
    let x0 = Infinity;
    let x1 = -Infinity;
    for (let index = start; index < end; index++) {
      const { step, value } = points[index]!;
      if (!Number.isNaN(value)) {
        if (Number.isNaN(min) || value < min) min = value;
        if (Number.isNaN(max) || value > max) max = value;
      }
      if (step < x0) x0 = step;
      if (step > x1) x1 = step;
    }
    const last = points[end - 1]!;
    out.push({ x0, x1, min, max, last: last.value, t: last.wallTime, count: end - start });
  }
  return out;
}
