// Vega-Lite specs for the report, as pure functions (data, options) → spec; rendering happens at the display edge.
import type { CalibrationSummary, CoveragePoint } from "./calibration.js";
import type { Label } from "./inputs.js";
import type { SliceResult } from "./slices.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/**
 * Reliability diagram: a bar per bin spanning its confidence range up to its accuracy, a dot at (mean confidence,
 * accuracy) sized by the bin's count, and the diagonal of perfect calibration.
 */
export function reliabilityDiagramSpec(summary: CalibrationSummary, options: { title?: string } = {}): object {
  const values = summary.bins
    .filter((bin) => bin.count > 0)
    .map((bin) => ({ lower: bin.lower, upper: bin.upper, confidence: bin.confidence, accuracy: bin.accuracy, count: bin.count, gap: bin.gap }));
  const axis = { type: "quantitative", scale: { domain: [0, 1] } };
  return {
    $schema: SCHEMA,
    title: options.title ?? `Reliability diagram (${summary.binning} bins) — ECE ${summary.ece.toFixed(4)}, MCE ${summary.mce.toFixed(4)}`,
    width: 320,
    height: 320,
    layer: [
      {
        data: { values },
        mark: { type: "rect", opacity: 0.35, color: "#4c78a8", stroke: "white" },
        encoding: { x: { field: "lower", ...axis, title: null }, x2: { field: "upper" }, y: { field: "accuracy", ...axis }, y2: { datum: 0 } },
      },
      {
        data: { values: [{ x: 0, y: 0 }, { x: 1, y: 1 }] },
        mark: { type: "line", strokeDash: [4, 4], color: "gray" },
        encoding: { x: { field: "x", ...axis }, y: { field: "y", ...axis } },
      },
      {
        data: { values },
        mark: { type: "circle", color: "#e45756", opacity: 0.9 },
        encoding: {
          x: { field: "confidence", ...axis, title: "mean confidence" },
          y: { field: "accuracy", ...axis, title: "accuracy" },
          size: { field: "count", type: "quantitative", scale: { range: [30, 400] }, title: "examples" },
          tooltip: [{ field: "lower" }, { field: "upper" }, { field: "count" }, { field: "confidence", format: ".3f" }, { field: "accuracy", format: ".3f" }, { field: "gap", format: ".3f" }],
        },
      },
    ],
  };
}

/** Accuracy and coverage as the confidence threshold rises. */
export function confidenceCurveSpec(points: CoveragePoint[]): object {
  const values = points.flatMap((point) => [
    { threshold: point.threshold, measure: "accuracy", value: Number.isNaN(point.accuracy) ? null : point.accuracy },
    { threshold: point.threshold, measure: "coverage", value: point.coverage },
  ]);
  return {
    $schema: SCHEMA,
    title: "Accuracy vs coverage as the confidence threshold rises",
    width: 360,
    height: 240,
    data: { values },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "threshold", type: "quantitative", title: "confidence threshold" },
      y: { field: "value", type: "quantitative", scale: { domain: [0, 1] } },
      color: { field: "measure", type: "nominal" },
    },
  };
}

/** One bar per slice with its interval; flagged slices in red. */
export function sliceBarsSpec(slices: SliceResult[]): object {
  const values = slices.map((slice) => ({ slice: slice.name, value: slice.value, lower: slice.interval.lower, upper: slice.interval.upper, count: slice.count, flagged: slice.flagged }));
  const metric = slices[0]?.metric ?? "metric";
  return {
    $schema: SCHEMA,
    title: `${metric} per slice (${slices[0]?.interval.method ?? "wilson"} ${Math.round((slices[0]?.interval.level ?? 0.95) * 100)}% intervals)`,
    width: 360,
    data: { values },
    encoding: { y: { field: "slice", type: "nominal", sort: null, title: null } },
    layer: [
      {
        mark: "bar",
        encoding: {
          x: { field: "value", type: "quantitative", title: metric },
          color: { field: "flagged", type: "nominal", scale: { domain: [false, true], range: ["#4c78a8", "#e45756"] }, title: "worst" },
          tooltip: [{ field: "slice" }, { field: "count" }, { field: "value", format: ".3f" }],
        },
      },
      { mark: { type: "rule", color: "black" }, encoding: { x: { field: "lower", type: "quantitative" }, x2: { field: "upper" } } },
    ],
  };
}

/** Confusion-matrix heatmap: true class on rows, predicted on columns, counts as colour and text. */
export function confusionMatrixSpec(matrix: number[][], classes: Label[]): object {
  const values = matrix.flatMap((row, i) => row.map((count, j) => ({ actual: String(classes[i]), predicted: String(classes[j]), count })));
  const order = classes.map(String);
  const largest = values.reduce((max, cell) => Math.max(max, cell.count), 0);
  const side = Math.max(160, 48 * classes.length);
  return {
    $schema: SCHEMA,
    title: "Confusion matrix",
    width: side,
    height: side,
    data: { values },
    encoding: {
      // Short class names read level; long ones tilt a little instead of standing on end.
      x: { field: "predicted", type: "nominal", sort: order, axis: { labelAngle: order.some((name) => name.length > 10) ? -35 : 0 } },
      y: { field: "actual", type: "nominal", sort: order },
    },
    layer: [
      { mark: "rect", encoding: { color: { field: "count", type: "quantitative", scale: { scheme: "blues" } } } },
      {
        mark: { type: "text" },
        encoding: {
          text: { field: "count", type: "quantitative" },
          color: { condition: { test: `datum.count > ${largest / 2}`, value: "white" }, value: "black" },
        },
      },
    ],
  };
}
