import { describe, expect, it } from "vitest";
import { historyChart, importanceChart, parallelCoordinatesChart, sliceChart } from "../../../magics/tune/charts.js";
import { parameterImportances } from "../../../magics/tune/importance.js";
import { createRandom } from "../../../magics/tune/rng.js";
import { choiceDistribution, floatDistribution, intDistribution, type Distribution } from "../../../magics/tune/space.js";
import type { TrialResult } from "../../../magics/tune/study.js";

const distributions: Record<string, Distribution> = {
  lr: floatDistribution("lr", 1e-4, 1e-1, { log: true }),
  width: intDistribution("width", 8, 64),
  act: choiceDistribution("act", ["relu", "tanh"]),
};

function trials(count: number): TrialResult[] {
  const random = createRandom(5);
  return Array.from({ length: count }, (_, number) => {
    const lr = 10 ** (-4 + 3 * random.next());
    const width = 8 + Math.floor(random.next() * 57);
    const act = random.next() < 0.5 ? "relu" : "tanh";
    const value = (Math.log10(lr) + 2) ** 2 + width / 1000 + (act === "relu" ? 0.01 : 0);
    return { number, state: number === 3 ? "pruned" : "complete", value, params: { lr, width, act }, distributions, intermediate: [], error: null, runId: null, durationMs: 1 };
  });
}

type Spec = { data: { values: Record<string, unknown>[] }; layer?: unknown[]; concat?: { data: { values: unknown[] }; encoding: { x: { scale?: { type?: string } } } }[] };

describe("study charts", () => {
  it("history: one point per complete trial and a best-so-far line that only improves", () => {
    const spec = historyChart(trials(30), "min") as Spec;
    const rows = spec.data.values as { trial: number; value: number; best: number }[];
    expect(rows).toHaveLength(29);
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.best).toBeLessThanOrEqual(rows[i - 1]!.best);
    expect(rows.at(-1)!.best).toBe(Math.min(...rows.map((r) => r.value)));
    expect((historyChart(trials(30), "max") as Spec).data.values.at(-1)!["best"]).toBe(Math.max(...rows.map((r) => r.value)));
  });
  it("parallel coordinates: an axis per parameter plus the objective, positions in [0, 1]", () => {
    const spec = parallelCoordinatesChart(trials(10), distributions) as Spec;
    const rows = spec.data.values as { param: string; position: number }[];
    expect(new Set(rows.map((r) => r.param))).toEqual(new Set(["act", "lr", "objective", "width"]));
    expect(rows).toHaveLength(9 * 4);
    for (const row of rows) expect(row.position).toBeGreaterThanOrEqual(0), expect(row.position).toBeLessThanOrEqual(1);
  });
  it("slices: one panel per parameter, log x axis for log parameters", () => {
    const spec = sliceChart(trials(10), distributions) as Spec;
    expect(spec.concat).toHaveLength(3);
    const lrPanel = spec.concat![1]!;
    expect(lrPanel.encoding.x.scale?.type).toBe("log");
    expect(importanceChart({ lr: 0.9, width: 0.1 }, "forest")).toMatchObject({ title: { subtitle: "forest" } });
  });
  it("importances: the parameter that drives the objective dominates, and they sum to 1", () => {
    const importances = parameterImportances(trials(60).filter((t) => t.state === "complete").map((t) => ({ params: t.params, distributions, value: t.value! })));
    expect(importances["lr"]).toBeGreaterThan(0.7);
    expect(importances["lr"]! + importances["width"]! + importances["act"]!).toBeCloseTo(1, 10);
  });
});
