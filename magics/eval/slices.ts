// Metrics per slice of the data. A slice is a column (one value per example → one slice per distinct value) or a
// predicate over the example index. Each slice gets its count, its metric, an interval (Wilson for accuracy,
// percentile bootstrap on request or for non-proportions) and a test against the rest of the data: for accuracy the
// two-sided pooled two-proportion z-test, for other metrics a two-sided Welch z-test on per-example scores (e.g.
// absolute errors); Bonferroni-corrected over all slices at α = 0.05. A slice is flagged "worst" when it is significantly worse than the rest.
import { EvalInputError, type Label } from "./inputs.js";
import { bootstrapInterval, meanDifferenceTest, twoProportionTest, wilsonInterval, type Interval } from "./statistics.js";

export type SliceColumn = ArrayLike<Label | null | undefined>;
export type SlicePredicate = (index: number) => boolean;
export type SliceSpec = Record<string, SliceColumn | SlicePredicate>;

export interface SliceOptions {
  interval?: "wilson" | "bootstrap";
  level?: number;
  alpha?: number;
  seed?: number;
  resamples?: number;
}

export interface SliceResult {
  name: string;
  /** The column or predicate name, and for a column the value that defines the slice. */
  by: string;
  columnValue?: Label | null;
  count: number;
  metric: string;
  /** The metric on this slice. */
  value: number;
  interval: Interval;
  rest: { count: number; value: number };
  gap: number;
  pValue: number;
  /** "two-proportion z" (accuracy) or "Welch z" (other metrics); Bonferroni-corrected α decides `flagged`. */
  test: "two-proportion z" | "Welch z";
  flagged: boolean;
}

export interface SliceMetric {
  name: string; // "accuracy" or "mae"
  /** Per-example score whose mean is the metric (1/0 correct, or absolute error). */
  scores: Float64Array;
  higherIsBetter: boolean;
  isProportion: boolean;
}

function summarise(scores: Float64Array, indices: number[]): { mean: number; variance: number; n: number } {
  let sum = 0;
  for (const index of indices) sum += scores[index]!;
  const mean = sum / indices.length;
  let squares = 0;
  for (const index of indices) squares += (scores[index]! - mean) ** 2;
  return { mean, variance: indices.length > 1 ? squares / (indices.length - 1) : 0, n: indices.length };
}

function groups(name: string, spec: SliceColumn | SlicePredicate, count: number): Array<{ name: string; value?: Label | null; indices: number[] }> {
  if (typeof spec === "function") {
    const indices: number[] = [];
    for (let i = 0; i < count; i++) if (spec(i)) indices.push(i);
    return [{ name, indices }];
  }
  if (spec === null || typeof spec !== "object" || typeof spec.length !== "number") {
    throw new EvalInputError(`slices.${name}`, `slice "${name}" must be a column (one value per example) or a predicate (index) => boolean.`);
  }
  if (spec.length !== count) {
    throw new EvalInputError(`slices.${name}`, `slice "${name}" has ${spec.length} values but labels has ${count}; mismatched lengths — give one value per example.`);
  }
  const byValue = new Map<Label | null, number[]>();
  for (let i = 0; i < count; i++) {
    const value = spec[i] ?? null;
    const list = byValue.get(value);
    if (list) list.push(i);
    else byValue.set(value, [i]);
  }
  return [...byValue.entries()].map(([value, indices]) => ({ name: `${name}=${value === null ? "(missing)" : String(value)}`, value, indices }));
}

export function sliceMetrics(spec: SliceSpec, metric: SliceMetric, options: SliceOptions = {}): SliceResult[] {
  const count = metric.scores.length;
  const level = options.level ?? 0.95;
  const alpha = options.alpha ?? 0.05;
  const all = Object.entries(spec).flatMap(([name, sliceSpec]) => groups(name, sliceSpec, count).map((group) => ({ ...group, by: name })));
  for (const group of all) {
    if (group.indices.length === 0) {
      throw new EvalInputError(`slices.${group.by}`, `slice "${group.name}" selects no examples; check the predicate or drop the slice.`);
    }
  }
  const correctedAlpha = alpha / Math.max(1, all.length);
  const inSlice = new Uint8Array(count);
  return all.map((group) => {
    inSlice.fill(0);
    for (const index of group.indices) inSlice[index] = 1;
    const restIndices: number[] = [];
    for (let i = 0; i < count; i++) if (!inSlice[i]) restIndices.push(i);
    const slice = summarise(metric.scores, group.indices);
    const rest = restIndices.length > 0 ? summarise(metric.scores, restIndices) : undefined;
    const useWilson = metric.isProportion && options.interval !== "bootstrap";
    const interval = useWilson
      ? wilsonInterval(Math.round(slice.mean * slice.n), slice.n, level)
      : bootstrapInterval(group.indices, (sample) => sample.reduce((sum, index) => sum + metric.scores[index]!, 0) / sample.length, { level, seed: options.seed, resamples: options.resamples });
    const test = !rest
      ? { z: 0, pValue: 1 }
      : metric.isProportion
        ? twoProportionTest(Math.round(slice.mean * slice.n), slice.n, Math.round(rest.mean * rest.n), rest.n)
        : meanDifferenceTest(slice, rest);
    const gap = rest ? slice.mean - rest.mean : Number.NaN;
    const worse = rest !== undefined && (metric.higherIsBetter ? gap < 0 : gap > 0);
    return {
      name: group.name,
      by: group.by,
      ...(group.value !== undefined ? { columnValue: group.value } : {}),
      count: slice.n,
      metric: metric.name,
      value: slice.mean,
      interval,
      rest: { count: rest?.n ?? 0, value: rest?.mean ?? Number.NaN },
      gap,
      pValue: test.pValue,
      test: metric.isProportion ? "two-proportion z" : "Welch z",
      flagged: worse && test.pValue < correctedAlpha,
    };
  });
}
