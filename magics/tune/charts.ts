// Vega-Lite specs for a study, as pure functions (data → spec): optimisation history, parallel coordinates,
// parameter importances and slice plots. Rendering (SVG or live) happens at the edge, in the magic.
import { countAxis, rangeOf, readableNumber, valueScaleAndAxis } from "../../widgets/charts/readable-axes.js";
import type { Distribution, NumericDistribution, ParamValue } from "./space.js";
import { choiceIndex, toUnit } from "./space.js";
import type { Mode, TrialResult } from "./study.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

const HISTORY_COLOURS = { domain: ["trial value", "best so far"], range: ["#4c78a8", "#d62728"] };

export function historyChart(trials: readonly TrialResult[], mode: Mode, title = "Optimisation history"): object {
  const rows: { trial: number; value: number; best: number }[] = [];
  let best: number | undefined;
  for (const trial of [...trials].sort((a, b) => a.number - b.number)) {
    if (trial.state !== "complete" || trial.value === null) continue;
    best = best === undefined ? trial.value : mode === "min" ? Math.min(best, trial.value) : Math.max(best, trial.value);
    rows.push({ trial: trial.number, value: trial.value, best });
  }
  const trialAxis = { field: "trial", type: "quantitative", title: "trial", scale: { zero: false }, axis: countAxis(rangeOf(rows.map((row) => row.trial))) };
  const objective = valueScaleAndAxis(rangeOf(rows.flatMap((row) => [row.value, row.best])));
  return {
    $schema: SCHEMA,
    title,
    width: 420,
    height: 220,
    data: { values: rows },
    encoding: { x: trialAxis },
    layer: [
      {
        mark: { type: "point", filled: true, opacity: 0.7 },
        encoding: {
          y: { field: "value", type: "quantitative", title: "objective", scale: objective.scale, axis: objective.axis },
          color: { datum: "trial value", type: "nominal", scale: HISTORY_COLOURS, legend: { title: null } },
          tooltip: [{ field: "trial" }, { field: "value", format: ".4~g" }, { field: "best", title: "best so far", format: ".4~g" }],
        },
      },
      { mark: { type: "line", interpolate: "step-after" }, encoding: { y: { field: "best", type: "quantitative" }, color: { datum: "best so far", type: "nominal" } } },
    ],
  };
}

function axisPosition(distribution: Distribution | undefined, value: ParamValue): number | null {
  if (!distribution) return null;
  if (distribution.type === "choice") {
    const count = distribution.choices.length;
    return count > 1 ? choiceIndex(distribution, value) / (count - 1) : 0.5;
  }
  return typeof value === "number" ? toUnit(distribution, value) : null;
}

interface AxisTick {
  param: string;
  position: number;
  label: string;
}

/** Values worth a tick on a numeric parameter's axis: decades on a wide log range, else five evenly spaced values. */
function numericTickValues(distribution: NumericDistribution): number[] {
  const { low, high } = distribution;
  let values: number[];
  if (distribution.log && high / low >= 100) {
    values = [];
    for (let exponent = Math.ceil(Math.log10(low)); exponent <= Math.floor(Math.log10(high)); exponent++) values.push(10 ** exponent);
  } else if (distribution.log) {
    values = [0, 1, 2, 3, 4].map((k) => low * (high / low) ** (k / 4));
  } else {
    values = [0, 1, 2, 3, 4].map((k) => low + ((high - low) * k) / 4);
  }
  if (distribution.type === "int") values = values.map((value) => Math.round(value));
  return [...new Set(values)];
}

/** Tick labels along one parameter's axis, at the positions its lines use. */
function parameterTicks(name: string, distribution: Distribution): AxisTick[] {
  if (distribution.type === "choice") {
    return distribution.choices.map((choice) => ({ param: name, position: axisPosition(distribution, choice)!, label: String(choice) }));
  }
  return numericTickValues(distribution).map((value) => ({ param: name, position: toUnit(distribution, value), label: readableNumber(value, 3) }));
}

function objectiveTicks(low: number, high: number): AxisTick[] {
  if (!(high > low)) return [{ param: "objective", position: 0.5, label: readableNumber(low, 4) }];
  return [0, 1, 2, 3, 4].map((k) => ({ param: "objective", position: k / 4, label: readableNumber(low + ((high - low) * k) / 4, 3) }));
}

/**
 * One line per complete trial across a normalised axis per parameter (log axes log-scaled), coloured by objective.
 * Every axis is drawn as a rule with its own tick labels (values, or choices), since the axes share no scale.
 */
export function parallelCoordinatesChart(trials: readonly TrialResult[], distributions: Record<string, Distribution>, title = "Parallel coordinates"): object {
  const names = Object.keys(distributions).sort();
  const rows: { trial: number; param: string; position: number | null; label: string; objective: number }[] = [];
  for (const trial of trials) {
    if (trial.state !== "complete" || trial.value === null) continue;
    for (const name of names) {
      if (!(name in trial.params)) continue;
      const position = axisPosition(distributions[name], trial.params[name]!);
      if (position === null) continue;
      rows.push({ trial: trial.number, param: name, position, label: String(trial.params[name]), objective: trial.value });
    }
    rows.push({ trial: trial.number, param: "objective", position: null, label: String(trial.value), objective: trial.value });
  }
  const values = trials.filter((t) => t.state === "complete" && t.value !== null).map((t) => t.value!);
  const low = Math.min(...values);
  const high = Math.max(...values);
  for (const row of rows) {
    if (row.param === "objective") row.position = high > low ? (row.objective - low) / (high - low) : 0.5;
  }
  const axes = [...names, "objective"];
  const ticks = [...names.flatMap((name) => parameterTicks(name, distributions[name]!)), ...(values.length > 0 ? objectiveTicks(low, high) : [])];
  // A little room beyond [0, 1] so the end labels clear the axis names and the title.
  const position = { field: "position", type: "quantitative", axis: null, scale: { domain: [-0.05, 1.05], nice: false } };
  return {
    $schema: SCHEMA,
    title,
    width: Math.max(240, 120 * axes.length),
    height: 240,
    view: { stroke: null },
    data: { values: rows },
    encoding: { x: { field: "param", type: "nominal", sort: axes, title: null, axis: { labelAngle: 0, labelFontWeight: "bold", labelPadding: 6, domain: false, ticks: false, grid: false, orient: "bottom" } } },
    layer: [
      { data: { values: axes.map((param) => ({ param })) }, mark: { type: "rule", color: "#999" }, encoding: { y: { datum: 0, type: "quantitative", scale: position.scale, axis: null }, y2: { datum: 1 } } },
      {
        mark: { type: "line", opacity: 0.6 },
        encoding: {
          y: position,
          detail: { field: "trial", type: "nominal" },
          color: { field: "objective", type: "quantitative", scale: { scheme: "viridis" } },
          tooltip: [{ field: "trial" }, { field: "param" }, { field: "label", title: "value" }, { field: "objective", format: ".4~g" }],
        },
      },
      { data: { values: ticks }, mark: { type: "tick", orient: "horizontal", size: 7, thickness: 1, color: "#666" }, encoding: { y: position } },
      { data: { values: ticks }, mark: { type: "text", align: "left", baseline: "middle", dx: 6, fontSize: 9, color: "#333" }, encoding: { y: position, text: { field: "label" } } },
    ],
  };
}

export function importanceChart(importances: Record<string, number>, estimator: string): object {
  return {
    $schema: SCHEMA,
    title: { text: "Parameter importance", subtitle: estimator },
    width: 360,
    height: { step: 22 },
    data: { values: Object.entries(importances).map(([param, importance]) => ({ param, importance })) },
    mark: "bar",
    encoding: {
      y: { field: "param", type: "nominal", sort: "-x", title: null },
      x: { field: "importance", type: "quantitative", axis: { format: ".0%" } },
      tooltip: [{ field: "param" }, { field: "importance", format: ".1%" }],
    },
  };
}

/** Objective against each parameter, one small panel per parameter (log x axis for log parameters). */
export function sliceChart(trials: readonly TrialResult[], distributions: Record<string, Distribution>, title = "Slices"): object {
  const names = Object.keys(distributions).sort();
  const panels = names.map((name) => {
    const distribution = distributions[name]!;
    const rows = trials
      .filter((t) => t.state === "complete" && t.value !== null && name in t.params)
      .map((t) => ({ trial: t.number, x: t.params[name], objective: t.value }));
    const numeric = distribution.type !== "choice";
    return {
      title: name,
      width: 180,
      height: 150,
      data: { values: rows },
      mark: { type: "point", filled: true, opacity: 0.7 },
      encoding: {
        x: numeric
          ? { field: "x", type: "quantitative", title: name, scale: distribution.log ? { type: "log", domain: [distribution.low, distribution.high], nice: false } : { domain: [distribution.low, distribution.high], nice: false, zero: false }, axis: distribution.type === "int" && !distribution.log ? countAxis(rangeOf([distribution.low, distribution.high])) : {} }
          : { field: "x", type: "nominal", title: name, axis: { labelAngle: 0 } },
        y: { field: "objective", type: "quantitative", scale: { zero: false } },
        color: { field: "trial", type: "quantitative", scale: { scheme: "blues" }, legend: { title: "trial", format: "d" } },
        tooltip: [{ field: "trial" }, { field: "x", title: name }, { field: "objective" }],
      },
    };
  });
  return { $schema: SCHEMA, title, concat: panels, columns: 3 };
}
