// Curves from server-side buckets (min, max, last per step range) as one Vega-Lite spec: a panel per metric, each
// series drawn as a min..max band plus a line through the bucket's last value, so a single spike among a million
// points stays visible after downsampling. Pure and browser-safe (no node imports): the dashboard page and the
// notebook build their bucketed curves with this one function.
import { VEGA_LITE_SCHEMA, type VegaLiteSpec } from "./metric-panels.js";

/** One downsampled bucket: a step range with its min, max and last value, and the wall time of its last point. */
export interface CurveBucket {
  x0: number;
  x1: number;
  min: number | null;
  max: number | null;
  last: number | null;
  /** Wall time of the bucket's last point, ms since the epoch. */
  t: number;
  count: number;
}

export interface BucketSeries {
  /** Legend label of the run (its name, made unique by the caller when names repeat). */
  run: string;
  /** Metric key ("loss"); one panel per key. */
  metric: string;
  /** "train", "val", … or "" when the metric has no split. */
  split: string;
  buckets: readonly CurveBucket[];
  /** Run start (ms since the epoch) for the relative-time axis; defaults to the run's earliest bucket time. */
  startedAt?: number;
  /**
   * For `x: "metric"`: the same run's buckets of the metric on the x axis. Each bucket is placed at that metric's
   * value at its last step (the x metric's last bucket ending at or before that step); buckets before the x metric's
   * first point are left out.
   */
  xBuckets?: readonly CurveBucket[];
}

/** "metric": another metric's value at the same step (each series carries that metric's buckets in `xBuckets`). */
export type CurveXAxis = "step" | "relative" | "wall" | "metric";

export interface BucketPanelOptions {
  x?: CurveXAxis;
  /** Exponential smoothing weight of the line, 0 (none) … 0.99; the min..max band is never smoothed. */
  smoothing?: number;
  /** Logarithmic y axis (non-positive values are dropped from the panel). */
  logScale?: boolean;
  /** Clip each panel's y axis to its 1st..99th percentile of values, so a few outliers do not flatten the rest. */
  ignoreOutliers?: boolean;
  /** Hover tooltips on the lines; default: on while the chart holds at most 10,000 buckets (they cost Vega time per point). */
  tooltips?: boolean;
  columns?: number;
  panelWidth?: number;
  panelHeight?: number;
  title?: string;
  /** Axis title for `x: "metric"` (the x metric's name, e.g. "train.loss"). */
  xTitle?: string;
}

/** One row of a panel's data: what the band and the line read. */
export interface BucketChartRow {
  metric: string;
  run: string;
  split: string;
  /** "run · split", the series a line belongs to (detail channel). */
  series: string;
  x: number;
  /** The bucket's last step (the line's drawing order when x is another metric). */
  step: number;
  lo: number | null;
  hi: number | null;
  y: number | null;
  raw: number | null;
  count: number;
}

const X_TITLES: Record<CurveXAxis, string> = { step: "step", relative: "relative time (s)", wall: "wall time", metric: "metric" };

const finiteOrNull = (value: number | null | undefined): number | null => (typeof value === "number" && Number.isFinite(value) ? value : null);

/** TensorBoard's debiased exponential moving average; null values are passed through and do not reset it. */
export function smoothValues(values: readonly (number | null)[], weight: number): (number | null)[] {
  const clamped = Math.min(Math.max(weight, 0), 0.999);
  if (clamped === 0) return [...values];
  let average = 0;
  let seen = 0;
  return values.map((value) => {
    if (value === null) return null;
    seen += 1;
    average = average * clamped + (1 - clamped) * value;
    return average / (1 - clamped ** seen);
  });
}

/** Percentile (0..1) of sorted finite numbers, linearly interpolated. */
function percentile(sorted: readonly number[], fraction: number): number {
  const position = (sorted.length - 1) * fraction;
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below);
}

/** The y domain that ignores outliers: 1st..99th percentile of the lines' values, widened by 10 %. */
export function outlierFreeDomain(rows: readonly BucketChartRow[]): [number, number] | null {
  const values = rows.map((row) => row.raw).filter((value): value is number => value !== null).sort((a, b) => a - b);
  if (values.length < 3) return null;
  const low = percentile(values, 0.01);
  const high = percentile(values, 0.99);
  const margin = (high - low) * 0.1 || Math.abs(high) * 0.1 || 1;
  return [low - margin, high + margin];
}

/**
 * The x metric's value at each step (an as-of join by step): for each step, the last value of the x buckets whose
 * last step is at or before it; null before the x metric's first bucket. `steps` ascending, buckets in step order.
 */
export function metricValuesAtSteps(steps: readonly number[], xBuckets: readonly CurveBucket[]): (number | null)[] {
  const out: (number | null)[] = [];
  let index = -1;
  let value: number | null = null;
  for (const step of steps) {
    while (index + 1 < xBuckets.length && xBuckets[index + 1].x1 <= step) {
      index++;
      const last = finiteOrNull(xBuckets[index].last);
      if (last !== null) value = last;
    }
    out.push(index < 0 ? null : value);
  }
  return out;
}

/** Rows of one series: x per the chosen axis, band from min..max, line through the (smoothed) last values. */
export function bucketRows(series: BucketSeries, options: Pick<BucketPanelOptions, "x" | "smoothing" | "logScale"> = {}): BucketChartRow[] {
  const axis = options.x ?? "step";
  const metricX = axis === "metric" ? metricValuesAtSteps(series.buckets.map((bucket) => bucket.x1), series.xBuckets ?? []) : null;
  const origin = series.startedAt ?? Math.min(...series.buckets.map((bucket) => bucket.t));
  const keep = (value: number | null): number | null => (value !== null && options.logScale && value <= 0 ? null : value);
  const raw = series.buckets.map((bucket) => keep(finiteOrNull(bucket.last)));
  const smoothed = smoothValues(raw, options.smoothing ?? 0);
  const label = series.split ? `${series.run} · ${series.split}` : series.run;
  const rows = series.buckets.map((bucket, index) => ({
    metric: series.metric,
    run: series.run,
    split: series.split || "value",
    series: label,
    x: metricX ? (metricX[index] ?? Number.NaN) : axis === "step" ? bucket.x1 : axis === "relative" ? (bucket.t - origin) / 1000 : bucket.t,
    step: bucket.x1,
    lo: keep(finiteOrNull(bucket.min)),
    hi: keep(finiteOrNull(bucket.max)),
    y: smoothed[index],
    raw: raw[index],
    count: bucket.count,
  }));
  return metricX ? rows.filter((row) => Number.isFinite(row.x)) : rows;
}

function tooltipFields(axis: CurveXAxis, xTitle: string): Record<string, string>[] {
  return [
    { field: "run", type: "nominal" },
    { field: "split", type: "nominal" },
    { field: "x", type: axis === "wall" ? "temporal" : "quantitative", title: xTitle },
    ...(axis === "metric" ? [{ field: "step", type: "quantitative", title: "step" }] : []),
    { field: "raw", type: "quantitative", title: "last" },
    { field: "lo", type: "quantitative", title: "min" },
    { field: "hi", type: "quantitative", title: "max" },
    { field: "count", type: "quantitative", title: "points" },
  ];
}

interface PanelSettings {
  axis: CurveXAxis;
  logScale: boolean;
  ignoreOutliers: boolean;
  width: number;
  height: number;
  splitCount: number;
  tooltips: boolean;
  xTitle: string;
}

function panelSpec(metric: string, rows: BucketChartRow[], settings: PanelSettings): VegaLiteSpec {
  const x: Record<string, unknown> = {
    field: "x",
    type: settings.axis === "wall" ? "temporal" : "quantitative",
    title: settings.xTitle,
  };
  if (settings.axis === "metric") x.scale = { zero: false };
  const yScale: Record<string, unknown> = settings.logScale ? { type: "log" } : { zero: false };
  const domain = settings.ignoreOutliers ? outlierFreeDomain(rows) : null;
  if (domain) yScale.domain = domain;
  const color = { field: "run", type: "nominal", title: "run", legend: { symbolType: "stroke" } };
  const dash = settings.splitCount > 1 ? { strokeDash: { field: "split", type: "nominal", title: "split" } } : {};
  return {
    title: { text: metric, anchor: "start", fontSize: 13 },
    width: settings.width,
    height: settings.height,
    data: { values: rows },
    layer: [
      settings.axis === "metric"
        ? {
            // Against another metric x need not grow with the step, so an area cannot span the buckets: each
            // bucket's min..max is a vertical rule at its x instead, which keeps a spike visible just the same.
            mark: { type: "rule", clip: true, strokeOpacity: 0.45, strokeWidth: 1.5 },
            encoding: { x, y: { field: "lo", type: "quantitative", scale: yScale, title: null }, y2: { field: "hi" }, color },
          }
        : {
            // The min..max band, its outline stroked: a one-bucket spike is a sliver of fill but a visible line.
            mark: { type: "area", clip: true, interpolate: "linear", fillOpacity: 0.2, stroke: { expr: "scale('color', datum.run)" }, strokeOpacity: 0.7, strokeWidth: 1 },
            encoding: {
              x,
              y: { field: "lo", type: "quantitative", scale: yScale, title: null },
              y2: { field: "hi" },
              color,
              detail: { field: "series", type: "nominal" },
            },
          },
      {
        mark: { type: "line", clip: true, strokeWidth: 1.6 },
        encoding: {
          x,
          y: { field: "y", type: "quantitative", scale: yScale, title: null },
          color,
          ...dash,
          detail: { field: "series", type: "nominal" },
          // In step order: against another metric the line is a path through (x metric, y metric) pairs.
          ...(settings.axis === "metric" ? { order: { field: "step", type: "quantitative" } } : {}),
          // Plain fields (no per-point number formatting): Vega builds a tooltip object for every point as it runs.
          ...(settings.tooltips ? { tooltip: tooltipFields(settings.axis, settings.xTitle) } : {}),
        },
      },
    ],
  };
}

/**
 * Overlaid bucketed curves: one panel per metric (in first-seen order), colour = run, dash = split (when more than
 * one split is shown), a translucent min..max band under each line. Options pick the x axis, smoothing, log scale
 * and outlier clipping; the result is plain JSON (no NaN), ready for vega-embed or `display.vegaLite`.
 */
export function buildBucketPanelsSpec(series: readonly BucketSeries[], options: BucketPanelOptions = {}): VegaLiteSpec {
  const byMetric = new Map<string, BucketChartRow[]>();
  const splits = new Set<string>();
  for (const one of series) {
    if (one.buckets.length === 0) continue;
    const rows = bucketRows(one, options);
    const target = byMetric.get(one.metric) ?? [];
    for (const row of rows) target.push(row);
    byMetric.set(one.metric, target);
    splits.add(one.split || "value");
  }
  const settings: PanelSettings = {
    axis: options.x ?? "step",
    logScale: options.logScale ?? false,
    ignoreOutliers: options.ignoreOutliers ?? false,
    width: options.panelWidth ?? 360,
    height: options.panelHeight ?? 200,
    splitCount: splits.size,
    tooltips: options.tooltips ?? [...byMetric.values()].reduce((sum, rows) => sum + rows.length, 0) <= 10_000,
    xTitle: (options.x === "metric" ? options.xTitle : undefined) ?? X_TITLES[options.x ?? "step"],
  };
  const spec: VegaLiteSpec = { $schema: VEGA_LITE_SCHEMA };
  if (options.title !== undefined) spec.title = options.title;
  if (byMetric.size === 0) return { ...spec, data: { values: [] }, mark: "text", encoding: {}, title: options.title ?? "no points logged yet" };
  const panels = [...byMetric].map(([metric, rows]) => panelSpec(metric, rows, settings));
  return {
    ...spec,
    columns: options.columns ?? 2,
    concat: panels,
    resolve: { scale: { color: "shared", strokeDash: "shared" } },
    config: { legend: { orient: "top", columns: 6, symbolStrokeWidth: 3, symbolOpacity: 1, symbolSize: 240, labelFontSize: 12, titleFontSize: 12 } },
  };
}

/**
 * Merges live points into a series' buckets (the page's SSE path): each point becomes a bucket of one, and when
 * the series grows past twice `maxBuckets`, neighbouring buckets are paired up, keeping min, max and last, so
 * spikes survive and memory stays bounded.
 */
export function appendPointsToBuckets(buckets: readonly CurveBucket[], points: readonly { step: number; value: number; t: number }[], maxBuckets = 1000): CurveBucket[] {
  let merged: CurveBucket[] = [...buckets];
  for (const point of points) {
    // Points already covered (an SSE resume can repeat the last step) are skipped, never drawn twice.
    if (merged.length > 0 && point.step <= merged[merged.length - 1].x1) continue;
    const value = finiteOrNull(point.value);
    merged.push({ x0: point.step, x1: point.step, min: value, max: value, last: value, t: point.t, count: 1 });
  }
  while (merged.length > 2 * maxBuckets) merged = pairBuckets(merged);
  return merged;
}

const minOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.min(a, b));
const maxOf = (a: number | null, b: number | null): number | null => (a === null ? b : b === null ? a : Math.max(a, b));

function pairBuckets(buckets: readonly CurveBucket[]): CurveBucket[] {
  const paired: CurveBucket[] = [];
  for (let index = 0; index < buckets.length; index += 2) {
    const first = buckets[index];
    const second = buckets[index + 1];
    if (!second) {
      paired.push(first);
      continue;
    }
    paired.push({ x0: first.x0, x1: second.x1, min: minOf(first.min, second.min), max: maxOf(first.max, second.max), last: second.last, t: second.t, count: first.count + second.count });
  }
  return paired;
}
