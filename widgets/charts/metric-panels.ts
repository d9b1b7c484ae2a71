// Pure Vega-Lite spec builders for training curves: (series, options) → spec. Rendering (and SVG) happens at the
// display edge. Every series is downsampled to at most `maxPointsPerSeries` points; the store keeps all of them.
import { lttbIndices } from "./downsample.js";

export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export interface ChartSeries {
  key: string;
  /** "train", "val", … or "" when the metric has no split. */
  split: string;
  /** The run this series belongs to (compare charts colour by it). */
  run?: string;
  steps: ArrayLike<number>;
  values: ArrayLike<number>;
  /** Valid points in steps/values (typed-array buffers may be longer). */
  length?: number;
}

export interface ChartOptions {
  maxPointsPerSeries?: number;
  /** Panels per row. */
  columns?: number;
  panelWidth?: number;
  panelHeight?: number;
  title?: string;
  /** The split whose series go to the system panel (CPU, memory, throughput). */
  systemSplit?: string;
}

export type VegaLiteSpec = Record<string, unknown>;

interface ChartRow {
  metric: string;
  split: string;
  run?: string;
  step: number;
  /** null for NaN/±Infinity: JSON cannot carry them and Vega-Lite draws a gap. */
  value: number | null;
}

/** Downsampled rows of one series, ready for a Vega-Lite data array. */
export function seriesRows(series: ChartSeries, maxPoints: number, metric: string = series.key): ChartRow[] {
  const kept = lttbIndices({ x: series.steps, y: series.values, length: series.length ?? series.steps.length }, maxPoints);
  const rows: ChartRow[] = new Array(kept.length);
  for (let i = 0; i < kept.length; i++) {
    const index = kept[i];
    const value = series.values[index];
    const row: ChartRow = { metric, split: series.split || "value", step: series.steps[index], value: Number.isFinite(value) ? value : null };
    if (series.run !== undefined) row.run = series.run;
    rows[i] = row;
  }
  return rows;
}

function facetPanel(rows: ChartRow[], options: Required<Pick<ChartOptions, "columns" | "panelWidth" | "panelHeight">>, encoding: VegaLiteSpec, title?: string): VegaLiteSpec {
  const panel: VegaLiteSpec = {
    data: { values: rows },
    facet: { field: "metric", type: "nominal", title: null, header: { labelFontSize: 12, labelFontWeight: "bold" } },
    columns: options.columns,
    spec: {
      width: options.panelWidth,
      height: options.panelHeight,
      mark: { type: "line", clip: true, strokeWidth: 1.5 },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step" },
        y: { field: "value", type: "quantitative", scale: { zero: false }, title: null },
        tooltip: [
          { field: "step", type: "quantitative" },
          { field: "value", type: "quantitative", format: ".4g" },
          ...Object.keys(encoding).map((channel) => ({ field: (encoding[channel] as { field: string }).field, type: "nominal" })),
        ],
        ...encoding,
      },
    },
    resolve: { scale: { y: "independent", x: "independent" } },
  };
  if (title !== undefined) panel.title = title;
  return panel;
}

function withDefaults(options: ChartOptions): Required<Pick<ChartOptions, "columns" | "panelWidth" | "panelHeight" | "maxPointsPerSeries" | "systemSplit">> {
  return {
    columns: options.columns ?? 3,
    panelWidth: options.panelWidth ?? 240,
    panelHeight: options.panelHeight ?? 150,
    maxPointsPerSeries: options.maxPointsPerSeries ?? 1000,
    systemSplit: options.systemSplit ?? "system",
  };
}

/** A run's live chart: one panel per metric key with its splits overlaid, and the system metrics in their own panel. */
export function buildRunChartSpec(series: readonly ChartSeries[], options: ChartOptions = {}): VegaLiteSpec {
  const settings = withDefaults(options);
  const metricRows: ChartRow[] = [];
  const systemRows: ChartRow[] = [];
  for (const one of series) {
    if ((one.length ?? one.steps.length) === 0) continue;
    const rows = seriesRows(one, settings.maxPointsPerSeries);
    const target = one.split === settings.systemSplit ? systemRows : metricRows;
    for (const row of rows) target.push(row);
  }
  const panels: VegaLiteSpec[] = [];
  if (metricRows.length > 0) panels.push(facetPanel(metricRows, settings, { color: { field: "split", type: "nominal", title: "split" } }));
  if (systemRows.length > 0) {
    panels.push(
      facetPanel(systemRows, { ...settings, panelHeight: Math.round(settings.panelHeight * 0.6) }, { color: { field: "split", type: "nominal", legend: null } }, "system"),
    );
  }
  return finish(panels, options.title);
}

/** Overlaid curves of several runs: one panel per split.key, colour = run, dash = split. */
export function buildCompareChartSpec(series: readonly ChartSeries[], options: ChartOptions = {}): VegaLiteSpec {
  const settings = withDefaults(options);
  const rows: ChartRow[] = [];
  for (const one of series) {
    if ((one.length ?? one.steps.length) === 0 || one.split === settings.systemSplit) continue;
    const metric = one.split ? `${one.split}.${one.key}` : one.key;
    for (const row of seriesRows(one, settings.maxPointsPerSeries, metric)) rows.push(row);
  }
  const panel = facetPanel(rows, settings, { color: { field: "run", type: "nominal", title: "run" } });
  return finish(rows.length > 0 ? [panel] : [], options.title);
}

function finish(panels: VegaLiteSpec[], title: string | undefined): VegaLiteSpec {
  const spec: VegaLiteSpec =
    panels.length === 0
      ? { data: { values: [] }, mark: "text", encoding: {}, title: "no metrics logged yet" }
      : panels.length === 1
        ? panels[0]
        : { vconcat: panels };
  const titled: VegaLiteSpec = { $schema: VEGA_LITE_SCHEMA, ...spec };
  if (title !== undefined && panels.length !== 1) titled.title = title;
  else if (title !== undefined) titled.title = title;
  return titled;
}
