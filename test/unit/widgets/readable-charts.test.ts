// Charts a person can read: the specs render (vega, headless) and the SVG says what a reader needs — a constant
// learning rate labelled 0.001, a metric sampled once shown as its value, whole-number step and trial axes, a legend
// on every overlay, tick labels on every parallel-coordinates axis. The SVGs are kept under test-artifacts/charts/.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { historyChart, parallelCoordinatesChart, sliceChart } from "../../../magics/tune/charts.js";
import { choiceDistribution, floatDistribution, intDistribution, type Distribution } from "../../../magics/tune/space.js";
import type { TrialResult } from "../../../magics/tune/study.js";
import { buildCompareChartSpec, buildRunChartSpec, type VegaLiteSpec } from "../../../widgets/charts/metric-panels.js";
import { countAxis, rangeOf, readableNumber, valueScaleAndAxis } from "../../../widgets/charts/readable-axes.js";
import { renderSvg } from "../../../widgets/charts/render.js";
import { ARTIFACTS } from "../../helpers/jupyter.js";

const CHARTS = join(ARTIFACTS, "charts");

async function rendered(name: string, spec: object): Promise<string> {
  const svg = await renderSvg(spec as VegaLiteSpec);
  mkdirSync(CHARTS, { recursive: true });
  writeFileSync(join(CHARTS, `${name}.svg`), svg);
  return svg;
}

/** The text a reader sees in an SVG (Vega writes each label as a <text> element). */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((match) => match[1]!.trim());
}

const steps = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("readable axes", () => {
  it("pads a constant and labels it with its value; lists whole-number ticks over a short span", () => {
    expect(valueScaleAndAxis(rangeOf([0.001, 0.001]))).toEqual({ scale: { zero: false, nice: false, domain: [0.0005, 0.0015] }, axis: { values: [0.001], format: ".6~g" } });
    expect(valueScaleAndAxis(rangeOf([0, 0])).scale.domain).toEqual([-1, 1]);
    expect(valueScaleAndAxis(rangeOf([0.1, 0.5, NaN])).scale).toEqual({ zero: false });
    expect(countAxis(rangeOf([0, 1, 2]))).toEqual({ values: [0, 1, 2], format: "d" });
    expect(countAxis(rangeOf([0, 500]))).toEqual({ tickMinStep: 1, format: "d" });
    expect(countAxis(rangeOf([0, 0.5]))).toEqual({});
    expect(rangeOf([NaN, null, Infinity])).toBeUndefined();
    expect([0.001, 0.30000000000000004, 12345.678, 1e-7, 2.5e7].map((value) => readableNumber(value))).toEqual(["0.001", "0.3", "12350", "1e-7", "2.5e+7"]);
  });
});

describe("run charts rendered", () => {
  it("show a constant learning rate as 0.001, a once-sampled metric as its value, step axes in whole numbers and a split legend", async () => {
    const svg = await rendered("run", buildRunChartSpec([
      { key: "loss", split: "train", steps: steps(40), values: steps(40).map((i) => 1 / (i + 1)) },
      { key: "loss", split: "val", steps: [0, 13, 26, 39], values: [1, 0.3, 0.2, 0.15] },
      { key: "lr", split: "train", steps: steps(40), values: steps(40).map(() => 0.001) },
      { key: "epoch", split: "train", steps: steps(4), values: steps(4) },
      { key: "cpu_percent", split: "system", steps: [3], values: [42.5] },
    ], { title: "readable" }));
    const labels = texts(svg);
    expect(labels).toContain("0.001"); // the lr axis
    expect(labels).toContain("42.5"); // the value panel
    expect(labels).toContain("step 3");
    expect(labels).toEqual(expect.arrayContaining(["split", "train", "val"])); // the legend
    expect(labels.filter((label) => /^\d+\.5$/.test(label))).toEqual(["42.5"]); // no half-step ticks anywhere else
  });

  it("show a loss that went NaN as 'not finite', a lone finite point as a dot, and a constant 10 as 10", async () => {
    const labels = texts(await rendered("diverged", buildRunChartSpec([
      { key: "loss", split: "train", steps: steps(20), values: steps(20).map((i) => (i === 0 ? 1.2 : NaN)) },
      { key: "tensors", split: "system", steps: steps(5), values: steps(5).map(() => 10) },
      { key: "acc", split: "train", steps: steps(10), values: steps(10).map((i) => i / 10) },
      { key: "acc", split: "val", steps: [0, 5, 9], values: [NaN, 0.5, NaN] },
    ])));
    expect(labels).toContain("not finite");
    expect(labels).toContain("train · step 19");
    expect(labels).toContain("10");
    expect(labels).not.toContain("1e+1");
  });

  it("compare charts carry a run legend", async () => {
    const labels = texts(await rendered("compare", buildCompareChartSpec([
      { key: "loss", split: "val", run: "lr-3e-3", steps: steps(3), values: [1, 0.5, 0.3] },
      { key: "loss", split: "val", run: "lr-1e-2", steps: steps(3), values: [1, 0.6, 0.4] },
    ])));
    expect(labels).toEqual(expect.arrayContaining(["run", "lr-3e-3", "lr-1e-2"]));
  });
});

describe("study charts rendered", () => {
  const distributions: Record<string, Distribution> = {
    lr: floatDistribution("lr", 1e-3, 0.3, { log: true }),
    width: intDistribution("width", 2, 32, { log: true }),
    act: choiceDistribution("act", ["relu", "tanh"]),
  };
  const trials: TrialResult[] = Array.from({ length: 8 }, (_, number) => ({
    number,
    state: "complete",
    value: 0.5 - number * 0.03 + (number % 3) * 0.05,
    params: { lr: 10 ** (-3 + (number % 4) * 0.5), width: 2 + number * 4, act: number % 2 ? "relu" : "tanh" },
    distributions,
    intermediate: [],
    error: null,
    runId: null,
    durationMs: 1,
  }));

  it("history: whole-number trial axis and a legend for trial values and the best so far", async () => {
    const labels = texts(await rendered("history", historyChart(trials, "min")));
    expect(labels).toEqual(expect.arrayContaining(["trial value", "best so far"]));
    for (const trial of ["0", "1", "7"]) expect(labels).toContain(trial);
    expect(labels.filter((label) => /^\d\.5$/.test(label))).toEqual([]);
  });

  it("parallel coordinates: tick labels on every axis, choices by name", async () => {
    const labels = texts(await rendered("parallel-coordinates", parallelCoordinatesChart(trials, distributions)));
    expect(labels).toEqual(expect.arrayContaining(["act", "lr", "width", "objective", "relu", "tanh", "0.001", "0.01", "0.1", "2", "32"]));
    expect(labels).toContain(readableNumber(Math.min(...trials.map((t) => t.value!)), 3));
  });

  it("slices: parameter axes within the searched range, a legend for the trial colour", async () => {
    const labels = texts(await rendered("slices", sliceChart(trials, distributions)));
    expect(labels).toContain("trial");
    expect(labels).not.toContain("100"); // width searched over 2..32: the axis is not stretched to 100
  });
});
