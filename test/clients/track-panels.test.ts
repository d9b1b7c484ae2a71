// Through the real kernel (nbclient): %%track --panels picks the chart's panels; by default panels come grouped,
// key metrics first, a crowded group collapsed and per-layer series hidden; samples and tokens counted by run.log
// become samples/s and tokens/s in the system group.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook } from "../helpers/jupyter.js";

type Row = { metric: string; split: string; value: number | null };
type Group = { title?: string | { text: string; subtitle: string }; concat: Array<{ title: string }>; data: { values: Row[] } };

const CHOSEN = `%%track --name chosen --panels loss,val.acc,system
for (let step = 0; step < 30; step++) {
  run.log({ loss: 1 / (step + 1), acc: step / 30, margin: 0.5 }, { step, split: "train", samples: 64, tokens: 64 * 32 });
  if (step % 10 === 9) run.log({ loss: 2 / step, acc: step / 40 }, { step, split: "val" });
  await new Promise((done) => setTimeout(done, 50));
}`;

const CROWDED = `%%track --name crowded
for (let step = 0; step < 5; step++) {
  run.log({ m1: step, m2: step, m3: step, m4: step, m5: step, m6: step, m7: step, m8: step, loss: 1 / (step + 1) }, { step, split: "train" });
  run.log({ "dense/kernel": step, "dense/bias": step }, { step, split: "gradients" });
}`;

describe("%%track chart panels through the kernel", () => {
  it("--panels chooses panels; default groups put the loss first, collapse a crowded group, hide per-layer series", async () => {
    const dir = join(ARTIFACTS, `track-panels-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    const notebook = join(dir, "panels.ipynb");
    writeNotebook(notebook, [CHOSEN, CROWDED, "%track show crowded --panels gradients.*,loss"]);
    const outputs = allOutputs(await executeNotebook(notebook, { cwd: dir, timeoutSec: 180 }));
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);
    const finalChart = (cell: number): Group[] => {
      const charts = outputs.filter((output) => output.cell === cell && (output.data as Record<string, unknown> | undefined)?.["application/vnd.vegalite.v5+json"]);
      const spec = (charts.at(-1)!.data as Record<string, Record<string, unknown>>)["application/vnd.vegalite.v5+json"]!;
      return (spec.vconcat as Group[] | undefined) ?? [spec as unknown as Group];
    };
    const titleText = (group: Group) => (typeof group.title === "object" ? group.title.text : group.title);

    const [metrics, system] = finalChart(0);
    expect(metrics!.concat.map((panel) => panel.title)).toEqual(["loss", "acc"]);
    expect(new Set(metrics!.data.values.filter((row) => row.metric === "acc").map((row) => row.split))).toEqual(new Set(["val"]));
    expect(metrics!.data.values.some((row) => row.metric === "margin")).toBe(false);
    expect(titleText(system!)).toBe("system");
    const systemPanels = system!.concat.map((panel) => panel.title);
    expect(systemPanels).toEqual(expect.arrayContaining(["samples_per_sec", "tokens_per_sec", "steps_per_sec"]));
    const lastOf = (metric: string) => system!.data.values.filter((row) => row.metric === metric).at(-1)!.value!;
    expect(lastOf("tokens_per_sec") / lastOf("samples_per_sec")).toBeCloseTo(32, 6);
    expect(lastOf("samples_per_sec") / lastOf("steps_per_sec")).toBeGreaterThan(50);
    expect(lastOf("samples_per_sec") / lastOf("steps_per_sec")).toBeLessThan(80);

    const crowded = finalChart(1);
    expect(crowded.map(titleText)).toEqual(["train / val", "system"]); // per-layer gradients hidden: no gradients group
    expect(crowded[0]!.concat.map((panel) => panel.title)).toEqual(["loss", "m1", "m2", "m3", "m4", "m5"]);
    expect(crowded[0]!.title).toMatchObject({ text: "train / val", subtitle: "+3 more (m6, m7, m8): choose with %%track --panels" });
    expect(JSON.stringify(crowded)).not.toContain("dense/");

    // Asked for, per-layer series come out, here from the store through %track show.
    const shown = finalChart(2);
    expect(shown.map(titleText)).toEqual(["train / val", "gradients and learning rate"]);
    expect(shown[1]!.concat.map((panel) => panel.title)).toEqual(["gradients.dense/kernel", "gradients.dense/bias"]);
  }, 240_000);
});
