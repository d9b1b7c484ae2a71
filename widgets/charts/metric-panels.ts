// Pure Vega-Lite spec builders for training curves: (series, options) → spec. Rendering (and SVG) happens at the
// display edge. Every series is downsampled to at most `maxPointsPerSeries` points; the store keeps all of them.
// Each group of panels (metrics, system) carries one data array; each panel filters its metric from it.
import { lttbIndices } from "./downsample.js";
import { GROUP_TITLES, panelName, planPanels, type PanelGroupName } from "./panel-groups.js";
import { countAxis, rangeOf, valueScaleAndAxis } from "./readable-axes.js";

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
  /** Splits left out of the chart (stored and queryable still) unless `panels` names them; per-layer series are too. */
  hiddenSplits?: readonly string[];
  /** Run charts: only the panels these patterns name, in this order (`loss`, `val.acc`, `gradients`, `system`, `*_norm`). */
  panels?: readonly string[];
  /** Run charts: panels a group shows before collapsing the rest into its subtitle (default 6). */
  maxPanelsPerGroup?: number;
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

/** The colour of series that no legend names (one series a panel, nobody overlays it). */
const UNCOLOURED = "#5a5a5a";

type PanelSettings = Required<Pick<ChartOptions, "columns" | "panelWidth" | "panelHeight">>;

/** How the series of one panel group are told apart: the field naming a series, and its legend title. */
interface SeriesField {
  field: "split" | "run";
  title: string;
}

function seriesNames(rows: readonly ChartRow[], series: SeriesField | undefined): Set<string> {
  return new Set(rows.map((row) => (series ? String(row[series.field]) : "")));
}

/**
 * One panel per metric. Curves are lines; a series with a single point is drawn as a dot, and a panel whose every
 * series has one point shows the value itself (system metrics sampled once in a short run). Axes come from
 * readable-axes.ts: whole-number step axes, constant series labelled with their value.
 */
function metricPanel(metric: string, rows: ChartRow[], settings: PanelSettings, series: SeriesField | undefined, coloured: boolean): VegaLiteSpec {
  const seriesKey = (row: ChartRow) => (series ? String(row[series.field]) : "");
  // Finite points per series: a series with one (alone, or among NaN gaps) draws no line, so it gets a dot.
  const finitePoints = new Map<string, number>();
  for (const row of rows) finitePoints.set(seriesKey(row), (finitePoints.get(seriesKey(row)) ?? 0) + (row.value === null ? 0 : 1));
  const filter = { filter: { field: "metric", equal: metric } };
  // Every coloured panel declares the same legend: Vega-Lite merges them into one (a `legend: null` would hide it).
  const colourEncoding = series && coloured ? { color: { field: series.field, type: "nominal", title: series.title } } : {};
  if ([...finitePoints.values()].every((count) => count <= 1)) return valuePanel(metric, filter, settings, series, colourEncoding);
  const x = rangeOf(rows.map((row) => row.step));
  const y = valueScaleAndAxis(rangeOf(rows.map((row) => row.value)));
  const lone = [...finitePoints.entries()].filter(([, count]) => count === 1).map(([key]) => key);
  const encoding: VegaLiteSpec = {
    x: { field: "step", type: "quantitative", title: "step", scale: { zero: false }, axis: countAxis(x) },
    y: { field: "value", type: "quantitative", title: null, scale: y.scale, axis: y.axis },
    tooltip: [
      { field: "step", type: "quantitative" },
      { field: "value", type: "quantitative", format: ".4~g" },
      ...(series ? [{ field: series.field, type: "nominal" }] : []),
    ],
    ...colourEncoding,
  };
  // An uncoloured series is drawn in grey, not in the first legend colour (which would read as "train").
  const lineMark = { type: "line", clip: true, strokeWidth: 1.5, ...(series && coloured ? {} : { color: UNCOLOURED }) };
  const layers: VegaLiteSpec[] = [{ mark: lineMark }];
  if (lone.length > 0) {
    const ofLoneSeries = series ? [{ filter: { field: series.field, oneOf: lone } }] : [];
    layers.push({ transform: [...ofLoneSeries, { filter: "isValid(datum.value)" }], mark: { type: "point", filled: true, size: 40, clip: true, ...(series && coloured ? {} : { color: UNCOLOURED }) } });
  }
  return { title: metric, width: settings.panelWidth, height: settings.panelHeight, transform: [filter], encoding, layer: layers };
}

/** A panel of single values: each series' last value, large (or "not finite"), with its series and step underneath. */
function valuePanel(metric: string, filter: VegaLiteSpec, settings: PanelSettings, series: SeriesField | undefined, colourEncoding: VegaLiteSpec): VegaLiteSpec {
  const field = series ? `datum.${series.field}` : undefined;
  // The series name says which one it is, unless it is the placeholder of a metric logged without a split.
  const label = field ? `(${field} && ${field} !== 'value' ? ${field} + ' · ' : '') + 'step ' + datum.step` : "'step ' + datum.step";
  const rowEncoding = series ? { y: { field: series.field, type: "nominal", axis: null } } : {};
  return {
    title: metric,
    width: settings.panelWidth,
    height: settings.panelHeight,
    transform: [
      filter,
      { joinaggregate: [{ op: "max", field: "step", as: "lastStep" }], groupby: series ? [series.field] : [] },
      { filter: "datum.step === datum.lastStep" },
      { calculate: "isValid(datum.value) ? format(datum.value, '.4~g') : 'not finite'", as: "shown" },
      { calculate: label, as: "label" },
    ],
    encoding: { x: { value: settings.panelWidth / 2 }, ...rowEncoding },
    layer: [
      { mark: { type: "text", fontSize: 26, fontWeight: "bold", baseline: "bottom" }, encoding: { text: { field: "shown" }, ...colourEncoding } },
      { mark: { type: "text", fontSize: 11, baseline: "top", dy: 4, color: "#666" }, encoding: { text: { field: "label" } } },
    ],
  };
}

/**
 * The panels of one group (metrics, or system) over one shared data array. Series are coloured by `series` where
 * it tells something: in panels that overlay several, and in single-series panels of a name some overlay uses (so
 * "val" has one colour everywhere). Other single-series panels ("weights", a metric without split) stay uncoloured
 * and out of the legend, which lists only overlaid series.
 */
function panelGroup(rows: ChartRow[], settings: PanelSettings, series: SeriesField | undefined, title?: string | VegaLiteSpec): VegaLiteSpec {
  const byMetric = new Map<string, ChartRow[]>();
  for (const row of rows) {
    const list = byMetric.get(row.metric);
    if (list) list.push(row);
    else byMetric.set(row.metric, [row]);
  }
  const overlaid = new Set<string>();
  for (const metricRows of byMetric.values()) {
    const names = seriesNames(metricRows, series);
    if (names.size > 1) for (const name of names) overlaid.add(name);
  }
  const panels = [...byMetric.entries()].map(([metric, metricRows]) => {
    const coloured = series !== undefined && [...seriesNames(metricRows, series)].some((name) => overlaid.has(name));
    return metricPanel(metric, metricRows, settings, series, coloured);
  });
  const group: VegaLiteSpec = { data: { values: rows }, concat: panels, columns: settings.columns };
  if (title !== undefined) group.title = title;
  return group;
}

function withDefaults(options: ChartOptions): Required<Pick<ChartOptions, "columns" | "panelWidth" | "panelHeight" | "maxPointsPerSeries" | "systemSplit" | "hiddenSplits">> {
  return {
    hiddenSplits: options.hiddenSplits ?? ["gradients"],
    columns: options.columns ?? 3,
    panelWidth: options.panelWidth ?? 240,
    panelHeight: options.panelHeight ?? 150,
    maxPointsPerSeries: options.maxPointsPerSeries ?? 1000,
    systemSplit: options.systemSplit ?? "system",
  };
}

/**
 * A run's live chart: one panel per metric with its splits overlaid, in groups (train / val, gradients and learning
 * rate, weights, system; see panel-groups.ts): key metrics first, a large group collapsed to its first panels with
 * the rest named in its subtitle, per-layer series only when `panels` asks for them.
 */
export function buildRunChartSpec(series: readonly ChartSeries[], options: ChartOptions = {}): VegaLiteSpec {
  const settings = withDefaults(options);
  const nonEmpty = series.filter((one) => (one.length ?? one.steps.length) > 0);
  const plans = planPanels(nonEmpty, { panels: options.panels, maxPanelsPerGroup: options.maxPanelsPerGroup, systemSplit: settings.systemSplit, hiddenSplits: settings.hiddenSplits });
  const panels: VegaLiteSpec[] = [];
  for (const plan of plans) {
    const rows: ChartRow[] = [];
    for (const one of plan.series) for (const row of seriesRows(one, settings.maxPointsPerSeries, panelName(one))) rows.push(row);
    const title = plans.length > 1 || plan.collapsed.length > 0 ? groupTitle(plan.group, plan.collapsed) : undefined;
    // System metrics: one a panel, one series each — no colour, no legend, shorter panels.
    if (plan.group === "system") panels.push(panelGroup(rows, { ...settings, panelHeight: Math.round(settings.panelHeight * 0.6) }, undefined, title));
    else panels.push(panelGroup(rows, settings, { field: "split", title: "split" }, title));
  }
  return finish(panels, options.title);
}

function groupTitle(group: PanelGroupName, collapsed: readonly string[]): string | VegaLiteSpec {
  if (collapsed.length === 0) return GROUP_TITLES[group];
  const named = collapsed.length <= 4 ? collapsed.join(", ") : `${collapsed.slice(0, 4).join(", ")}, …`;
  return { text: GROUP_TITLES[group], subtitle: `+${collapsed.length} more (${named}): choose with %%track --panels`, anchor: "start" };
}

/** Overlaid curves of several runs: one panel per split.key, colour = run (with its legend). */
export function buildCompareChartSpec(series: readonly ChartSeries[], options: ChartOptions = {}): VegaLiteSpec {
  const settings = withDefaults(options);
  const rows: ChartRow[] = [];
  for (const one of series) {
    if ((one.length ?? one.steps.length) === 0 || one.split === settings.systemSplit || settings.hiddenSplits.includes(one.split)) continue;
    const metric = one.split ? `${one.split}.${one.key}` : one.key;
    for (const row of seriesRows(one, settings.maxPointsPerSeries, metric)) rows.push(row);
  }
  return finish(rows.length > 0 ? [panelGroup(rows, settings, { field: "run", title: "run" })] : [], options.title);
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
