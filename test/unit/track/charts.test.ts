import { describe, expect, it } from "vitest";
import { lttbIndices, minMaxIndices } from "../../../widgets/charts/downsample.js";
import { buildCompareChartSpec, buildRunChartSpec } from "../../../widgets/charts/metric-panels.js";

type Row = { metric: string; split: string; step: number; value: number | null; run?: string };
const rowsOf = (panel: Record<string, unknown>): Row[] => (panel.data as { values: Row[] }).values;

describe("downsampling", () => {
  it("keeps first, last and a spike while reducing a long series to the threshold", () => {
    const n = 100_000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => (i === 54_321 ? 50 : Math.sin(i / 1000)));
    const kept = lttbIndices({ x, y }, 1000);
    expect(kept.length).toBeLessThanOrEqual(1000);
    expect(kept[0]).toBe(0);
    expect(kept[kept.length - 1]).toBe(n - 1);
    expect([...kept]).toContain(54_321);
    const minMax = minMaxIndices({ x, y }, 1000);
    expect(minMax.length).toBeLessThanOrEqual(1000);
    expect([...minMax]).toContain(54_321);
  });

  it("keeps a NaN visible after downsampling", () => {
    const n = 10_000;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from({ length: n }, (_, i) => (i === 7777 ? NaN : i));
    expect([...lttbIndices({ x, y }, 100)]).toContain(7777);
  });
});

type Panel = Record<string, unknown> & { title?: unknown; transform?: unknown[]; encoding: Record<string, Record<string, unknown>>; layer: Array<Record<string, unknown>> };
const panelsOf = (group: Record<string, unknown>): Panel[] => group.concat as Panel[];
const panelNamed = (group: Record<string, unknown>, metric: string): Panel => panelsOf(group).find((panel) => panel.title === metric)!;

describe("run chart spec", () => {
  it("draws one panel per metric with splits overlaid and system metrics in their own panels", () => {
    const spec = buildRunChartSpec([
      { key: "loss", split: "train", steps: [0, 1, 2], values: [1, 0.5, NaN] },
      { key: "loss", split: "val", steps: [2], values: [0.7] },
      { key: "acc", split: "val", steps: [2], values: [0.8] },
      { key: "rss_mb", split: "system", steps: [0, 2], values: [100, 120] },
    ]);
    expect(spec.$schema).toContain("vega-lite/v5");
    const [metrics, system] = spec.vconcat as Record<string, unknown>[];
    const rows = rowsOf(metrics!);
    expect(new Set(rows.map((row) => row.metric))).toEqual(new Set(["loss", "acc"]));
    expect(rows.filter((row) => row.metric === "loss").map((row) => row.split)).toEqual(["train", "train", "train", "val"]);
    expect(rows.find((row) => row.step === 2 && row.split === "train")?.value).toBeNull(); // NaN → gap
    expect(panelsOf(metrics!).map((panel) => panel.title)).toEqual(["loss", "acc"]);
    expect(panelNamed(metrics!, "loss").transform).toEqual([{ filter: { field: "metric", equal: "loss" } }]);
    expect(panelNamed(metrics!, "loss").encoding.color).toMatchObject({ field: "split", title: "split" });
    expect(JSON.stringify(panelNamed(metrics!, "acc"))).toContain('"color":{"field":"split"'); // "val" is overlaid in loss: same colour here
    expect(panelNamed(system!, "rss_mb").encoding.color).toBeUndefined();
    expect(rowsOf(system!).map((row) => row.metric)).toEqual(["rss_mb", "rss_mb"]);
    expect(system!.title).toBe("system");
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec); // plain JSON, no NaN
  });

  it("leaves series nobody overlays (weights, metrics without a split) out of the colours and the legend", () => {
    const spec = buildRunChartSpec([
      { key: "loss", split: "train", steps: [0, 1, 2], values: [1, 0.5, 0.4] },
      { key: "loss", split: "val", steps: [0, 2], values: [1, 0.7] },
      { key: "weight_norm", split: "weights", steps: [0, 1, 2], values: [3, 3.1, 3.2] },
      { key: "learning_rate", split: "", steps: [0, 1, 2], values: [0.01, 0.01, 0.01] },
    ]);
    // Groups: train / val, gradients and learning rate, weights.
    const [metrics, gradients, weights] = spec.vconcat as Record<string, unknown>[];
    expect(panelNamed(metrics!, "loss").encoding.color).toEqual({ field: "split", type: "nominal", title: "split" });
    expect(panelNamed(weights!, "weight_norm").encoding.color).toBeUndefined();
    expect(panelNamed(gradients!, "learning_rate").encoding.color).toBeUndefined();
  });

  it("shows a series of one point as a dot beside the curves, and a panel of single points as the value", () => {
    const spec = buildRunChartSpec([
      { key: "loss", split: "train", steps: [0, 1, 2], values: [1, 0.5, 0.4] },
      { key: "loss", split: "val", steps: [2], values: [0.7] },
      { key: "cpu_percent", split: "system", steps: [3], values: [42] },
    ]);
    const [metrics, system] = spec.vconcat as Record<string, unknown>[];
    const loss = panelNamed(metrics!, "loss");
    expect(loss.layer.map((layer) => (layer.mark as { type: string }).type)).toEqual(["line", "point"]);
    expect(loss.layer[1]!.transform).toEqual([{ filter: { field: "split", oneOf: ["val"] } }, { filter: "isValid(datum.value)" }]);
    const cpu = panelNamed(system!, "cpu_percent");
    expect(cpu.layer.map((layer) => (layer.mark as { type: string }).type)).toEqual(["text", "text"]);
    expect(JSON.stringify(cpu.transform)).toContain("format(datum.value, '.4~g')");
  });

  it("labels a constant series with its value on a padded axis, and counts steps in whole numbers", () => {
    const spec = buildRunChartSpec([{ key: "lr", split: "train", steps: [0, 1, 2, 3], values: [0.001, 0.001, 0.001, 0.001] }]);
    const lr = panelNamed(spec, "lr");
    expect(lr.encoding.y!.axis).toEqual({ values: [0.001], format: ".6~g" });
    expect(lr.encoding.y!.scale).toMatchObject({ domain: [0.0005, 0.0015] });
    expect(lr.encoding.x!.axis).toEqual({ values: [0, 1, 2, 3], format: "d" });
    expect(lr.encoding.color).toBeUndefined(); // one series nobody overlays: no colour, no legend
  });

  it("turns a 1M-point series into a spec of at most 1000 points per series", () => {
    const n = 1_000_000;
    const steps = Float64Array.from({ length: n }, (_, i) => i);
    const values = Float64Array.from({ length: n }, (_, i) => Math.exp(-i / 1e5));
    const spec = buildRunChartSpec([{ key: "loss", split: "train", steps, values }]);
    const rows = rowsOf(spec);
    expect(rows.length).toBeLessThanOrEqual(1000);
    expect(rows[rows.length - 1].step).toBe(n - 1);
    expect(panelNamed(spec, "loss").encoding.x!.axis).toEqual({ tickMinStep: 1, format: "d" });
  });

  it("compare overlays runs per split.key panel, coloured by run with a legend", () => {
    const spec = buildCompareChartSpec([
      { key: "loss", split: "val", run: "a", steps: [0, 1], values: [1, 0.5] },
      { key: "loss", split: "val", run: "b", steps: [0, 1], values: [1, 0.8] },
      { key: "cpu_percent", split: "system", run: "b", steps: [0], values: [10] },
    ]);
    const rows = rowsOf(spec);
    expect(new Set(rows.map((row) => row.metric))).toEqual(new Set(["val.loss"]));
    expect(new Set(rows.map((row) => row.run))).toEqual(new Set(["a", "b"]));
    expect(panelNamed(spec, "val.loss").encoding.color).toEqual({ field: "run", type: "nominal", title: "run" });
  });
});
