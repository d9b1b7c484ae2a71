// What a chart's PNG costs: `npm run bench:chart-png [REPS]`. For a run chart (short and long), a compare chart and
// the three study charts it measures, per chart, the time to render the SVG (vega, headless), the time to rasterise
// it (resvg, at LABNOTE_CHART_PNG_SCALE, default 1), and the size of the chart's output bundle as the kernel sends it: live update (spec only),
// SVG-only (png: false, the bundle before PNGs) and with the PNG (the default final display). Times are medians over
// REPS (default 7) after one warm-up; the machine's load average is printed beside them.
import { loadavg } from "node:os";
import { chartPngScale, svgToPng } from "../kernel/chart-png.js";
import { renderVegaLiteSvg, vegaLiteBundle } from "../kernel/display.js";
import { historyChart, parallelCoordinatesChart, sliceChart } from "../magics/tune/charts.js";
import { choiceDistribution, floatDistribution, intDistribution, type Distribution } from "../magics/tune/space.js";
import type { TrialResult } from "../magics/tune/study.js";
import { buildCompareChartSpec, buildRunChartSpec, type ChartSeries } from "../widgets/charts/metric-panels.js";

const reps = Number(process.argv[2] ?? 7);

function runSeries(points: number): ChartSeries[] {
  const steps = Array.from({ length: points }, (_, i) => i);
  const every = (n: number) => steps.filter((i) => i % n === 0);
  return [
    { key: "loss", split: "train", steps, values: steps.map((i) => 1 / (1 + i / 50) + 0.02 * Math.sin(i)) },
    { key: "loss", split: "val", steps: every(50), values: every(50).map((i) => 1.1 / (1 + i / 60)) },
    { key: "acc", split: "train", steps, values: steps.map((i) => 1 - 0.9 / (1 + i / 40)) },
    { key: "acc", split: "val", steps: every(50), values: every(50).map((i) => 1 - 0.95 / (1 + i / 45)) },
    { key: "grad_norm", split: "train", steps: every(10), values: every(10).map((i) => 2 / (1 + i / 100)) },
    { key: "learning_rate", split: "", steps, values: steps.map((i) => 1e-3 * 0.999 ** i) },
    { key: "cpu_percent", split: "system", steps: every(20), values: every(20).map((i) => 60 + (i % 7)) },
    { key: "rss_mb", split: "system", steps: every(20), values: every(20).map((i) => 300 + i / 10) },
  ];
}

const distributions: Record<string, Distribution> = {
  lr: floatDistribution("lr", 1e-4, 0.3, { log: true }),
  width: intDistribution("width", 2, 256, { log: true }),
  act: choiceDistribution("act", ["relu", "tanh", "gelu"]),
};
const trials: TrialResult[] = Array.from({ length: 50 }, (_, number) => ({
  number,
  state: "complete",
  value: 0.5 - 0.004 * number + 0.05 * Math.sin(number),
  params: { lr: 10 ** (-4 + (number % 7) * 0.35), width: 2 ** (1 + (number % 8)), act: ["relu", "tanh", "gelu"][number % 3]! },
  distributions,
  intermediate: [],
  error: null,
  runId: null,
  durationMs: 1,
}));

const charts: [string, object][] = [
  ["run, 8 series × 200 steps", buildRunChartSpec(runSeries(200), { title: "run-200" })],
  ["run, 8 series × 2,000 steps", buildRunChartSpec(runSeries(2000), { title: "run-2000" })],
  ["compare, 3 runs × 500 steps", buildCompareChartSpec(["a", "b", "c"].flatMap((run, r) => runSeries(500).slice(0, 2).map((series) => ({ ...series, run, values: Array.from(series.values, (v) => v * (1 + r / 10)) }))), { title: "a vs b vs c" })],
  ["history, 50 trials", historyChart(trials, "min", "study: optimisation history")],
  ["parallel coordinates, 50 trials", parallelCoordinatesChart(trials, distributions, "study: parallel coordinates")],
  ["slices, 50 trials", sliceChart(trials, distributions, "study: slices")],
];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  await work(); // warm-up (first use loads vega / resvg)
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const started = performance.now();
    await work();
    times.push(performance.now() - started);
  }
  return median(times);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const bundleBytes = (bundle: object) => Buffer.byteLength(JSON.stringify(bundle));
console.log(`bench:chart-png — ${reps} reps, median; PNG at ${chartPngScale()}x (LABNOTE_CHART_PNG_SCALE); load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log("chart | SVG render ms | PNG rasterise ms | SVG | PNG | bundle: live | SVG-only | with PNG");
for (const [name, spec] of charts) {
  const svg = await renderVegaLiteSvg(spec);
  const png = await svgToPng(svg);
  const svgMs = await timed(() => renderVegaLiteSvg(spec));
  const pngMs = await timed(() => svgToPng(svg));
  const live = bundleBytes(await vegaLiteBundle(spec, { svg: false }));
  const svgOnly = bundleBytes(await vegaLiteBundle(spec, { png: false }));
  const withPng = bundleBytes(await vegaLiteBundle(spec));
  console.log(`${name} | ${svgMs.toFixed(1)} | ${pngMs.toFixed(1)} | ${kb(svg.length)} | ${kb(png.png.length)} (${png.width}×${png.height} CSS px) | ${kb(live)} | ${kb(svgOnly)} | ${kb(withPng)}`);
}
console.log(`load average after: ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
