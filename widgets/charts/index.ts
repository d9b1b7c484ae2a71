export { lttbIndices, minMaxIndices, type XYSeries } from "./downsample.js";
export { buildRunChartSpec, buildCompareChartSpec, seriesRows, VEGA_LITE_SCHEMA, type ChartSeries, type ChartOptions, type VegaLiteSpec } from "./metric-panels.js";
export { renderSvg } from "./render.js";
export {
  buildBucketPanelsSpec,
  bucketRows,
  smoothValues,
  outlierFreeDomain,
  appendPointsToBuckets,
  type CurveBucket,
  type BucketSeries,
  type BucketPanelOptions,
  type BucketChartRow,
  type CurveXAxis,
} from "./bucket-panels.js";
