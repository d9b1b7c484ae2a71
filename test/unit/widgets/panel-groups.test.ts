import { describe, expect, it } from "vitest";
import { buildRunChartSpec, type ChartSeries } from "../../../widgets/charts/metric-panels.js";
import { matchPanelPattern, planPanels } from "../../../widgets/charts/panel-groups.js";

type Group = { title?: string | { text: string; subtitle: string }; concat: Array<{ title: string }> };
const series = (key: string, split: string): ChartSeries => ({ key, split, steps: [0, 1, 2], values: [3, 2, 1] });
const groupsOf = (spec: Record<string, unknown>): Group[] => (spec.vconcat as Group[] | undefined) ?? [spec as unknown as Group];
const titleText = (group: Group): string | undefined => (typeof group.title === "object" ? group.title.text : group.title);
const panelTitles = (group: Group): string[] => group.concat.map((panel) => panel.title);

// What trainLoop, run.watch and the system monitor log in one run.
const TRAINING_RUN: ChartSeries[] = [
  series("acc", "train"),
  series("loss", "train"),
  series("grad_norm", "train"),
  series("grad_norm_clipped", "train"),
  series("baseline_loss", "train"),
  series("learning_rate", ""),
  series("loss", "val"),
  series("acc", "val"),
  series("dense_1/kernel", "gradients"),
  series("dense_2/kernel", "gradients"),
  series("dense_1", "dead_units"),
  series("weight_norm", "weights"),
  series("dense_1/kernel", "weights"),
  series("cpu_percent", "system"),
  series("rss_mb", "system"),
];

describe("run chart panel groups", () => {
  it("groups train/val, gradients, weights and system, key metrics first, per-layer series hidden", () => {
    const groups = groupsOf(buildRunChartSpec(TRAINING_RUN));
    expect(groups.map(titleText)).toEqual(["train / val", "gradients and learning rate", "weights and units", "system"]);
    expect(panelTitles(groups[0]!)).toEqual(["loss", "baseline_loss", "acc"]);
    expect(panelTitles(groups[1]!)).toEqual(["grad_norm", "grad_norm_clipped", "learning_rate"]);
    expect(panelTitles(groups[2]!)).toEqual(["weight_norm"]);
    expect(panelTitles(groups[3]!)).toEqual(["cpu_percent", "rss_mb"]);
    expect(JSON.stringify(groups)).not.toContain("dense_");
  });

  it("collapses a large group to its first panels and names the rest in its subtitle", () => {
    const many = ["loss", ...Array.from({ length: 9 }, (_, index) => `metric_${index}`)].map((key) => series(key, "train"));
    const [group] = groupsOf(buildRunChartSpec(many));
    expect(panelTitles(group!)).toEqual(["loss", "metric_0", "metric_1", "metric_2", "metric_3", "metric_4"]);
    expect(group!.title).toMatchObject({ text: "train / val", subtitle: "+4 more (metric_5, metric_6, metric_7, metric_8): choose with %%track --panels" });
    const rows = (group as unknown as { data: { values: Array<{ metric: string }> } }).data.values;
    expect(new Set(rows.map((row) => row.metric)).has("metric_5")).toBe(false); // collapsed panels send no data
    expect(panelTitles(groupsOf(buildRunChartSpec(many, { maxPanelsPerGroup: 20 }))[0]!)).toHaveLength(10);
  });

  it("--panels chooses the panels and their order, and brings per-layer series out when named", () => {
    const chosen = groupsOf(buildRunChartSpec(TRAINING_RUN, { panels: ["acc", "loss"] }));
    expect(chosen).toHaveLength(1);
    expect(panelTitles(chosen[0]!)).toEqual(["acc", "loss"]);
    const layers = groupsOf(buildRunChartSpec(TRAINING_RUN, { panels: ["val.loss", "gradients.*", "dead_units.*", "system"] }));
    expect(layers.map(titleText)).toEqual(["train / val", "gradients and learning rate", "weights and units", "system"]);
    expect(panelTitles(layers[1]!)).toEqual(["gradients.dense_1/kernel", "gradients.dense_2/kernel"]);
    expect(panelTitles(layers[2]!)).toEqual(["dead_units.dense_1"]);
    // A group's name shows the whole group, per-layer series included.
    expect(panelTitles(groupsOf(buildRunChartSpec(TRAINING_RUN, { panels: ["gradients"] }))[0]!)).toEqual(["grad_norm", "grad_norm_clipped", "learning_rate", "gradients.dense_1/kernel", "gradients.dense_2/kernel"]);
    const valOnly = (layers[0] as unknown as { data: { values: Array<{ split: string }> } }).data.values;
    expect(new Set(valOnly.map((row) => row.split))).toEqual(new Set(["val"]));
    expect(panelTitles(groupsOf(buildRunChartSpec(TRAINING_RUN, { panels: ["*norm*"] }))[0]!)).toEqual(["grad_norm", "grad_norm_clipped"]);
  });

  it("matches patterns against metric, split.metric, split and group", () => {
    expect(matchPanelPattern({ key: "acc", split: "val" }, ["loss", "val.acc"])).toBe(1);
    expect(matchPanelPattern({ key: "acc", split: "val" }, ["train.acc"])).toBe(-1);
    expect(matchPanelPattern({ key: "rss_mb", split: "system" }, ["system"])).toBe(0);
    expect(matchPanelPattern({ key: "dense/kernel", split: "weights" }, ["weights.*"])).toBe(0);
    expect(planPanels([{ key: "x", split: "train" }], { panels: ["nothing"] })).toEqual([]);
  });
});
