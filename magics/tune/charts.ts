// Vega-Lite specs for a study, as pure functions (data → spec): optimisation history, parallel coordinates,
// parameter importances and slice plots. Rendering (SVG or live) happens at the edge, in the magic.
import type { Distribution, ParamValue } from "./space.js";
import { choiceIndex, toUnit } from "./space.js";
import type { Mode, TrialResult } from "./study.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

export function historyChart(trials: readonly TrialResult[], mode: Mode, title = "Optimisation history"): object {
  const rows: object[] = [];
  let best: number | undefined;
  for (const trial of [...trials].sort((a, b) => a.number - b.number)) {
    if (trial.state !== "complete" || trial.value === null) continue;
    best = best === undefined ? trial.value : mode === "min" ? Math.min(best, trial.value) : Math.max(best, trial.value);
    rows.push({ trial: trial.number, value: trial.value, best });
  }
  return {
    $schema: SCHEMA,
    title,
    width: 420,
    height: 220,
    data: { values: rows },
    layer: [
      { mark: { type: "point", filled: true, opacity: 0.6 }, encoding: { x: { field: "trial", type: "quantitative", title: "trial" }, y: { field: "value", type: "quantitative", title: "objective", scale: { zero: false } }, tooltip: [{ field: "trial" }, { field: "value" }] } },
      { mark: { type: "line", interpolate: "step-after", color: "#d62728" }, encoding: { x: { field: "trial", type: "quantitative" }, y: { field: "best", type: "quantitative" } } },
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

/** One line per complete trial across a normalised axis per parameter (log axes log-scaled), coloured by objective. */
export function parallelCoordinatesChart(trials: readonly TrialResult[], distributions: Record<string, Distribution>, title = "Parallel coordinates"): object {
  const names = Object.keys(distributions).sort();
  const rows: object[] = [];
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
  for (const row of rows as { param: string; position: number | null; objective: number }[]) {
    if (row.param === "objective") row.position = high > low ? (row.objective - low) / (high - low) : 0.5;
  }
  return {
    $schema: SCHEMA,
    title,
    width: Math.max(240, 110 * (names.length + 1)),
    height: 240,
    data: { values: rows },
    mark: { type: "line", opacity: 0.6 },
    encoding: {
      x: { field: "param", type: "nominal", sort: [...names, "objective"], title: null },
      y: { field: "position", type: "quantitative", axis: null },
      detail: { field: "trial", type: "nominal" },
      color: { field: "objective", type: "quantitative", scale: { scheme: "viridis" } },
      tooltip: [{ field: "trial" }, { field: "param" }, { field: "label", title: "value" }, { field: "objective" }],
    },
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
        x: numeric ? { field: "x", type: "quantitative", title: name, scale: distribution.log ? { type: "log" } : { zero: false } } : { field: "x", type: "nominal", title: name },
        y: { field: "objective", type: "quantitative", scale: { zero: false } },
        color: { field: "trial", type: "quantitative", scale: { scheme: "blues" }, legend: null },
        tooltip: [{ field: "trial" }, { field: "x", title: name }, { field: "objective" }],
      },
    };
  });
  return { $schema: SCHEMA, title, concat: panels, columns: 3 };
}
