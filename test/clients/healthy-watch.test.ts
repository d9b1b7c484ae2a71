// Healthy training with everything watched, through the real kernel (nbclient), warns of nothing. Two runs that the
// detectors of an earlier version called broken:
// - bench:watch's run itself (MLP 32-64-64-1 on y = Σx², Adam 1e-3, 7,000 steps; gradient norms global and per layer,
//   the model probe, baseline, learning rate, val loss, system metrics): after the loss converged to ~1e-9, Adam's
//   gradient norm rose to 0.425 at step 6800 — > 50× the median of the 20 norms before, the old "exploding" rule;
// - a slow start (Adam 3e-4): the train loss stays above 0.9 × the baseline for hundreds of steps after step 100 while
//   it descends, the old "underfitting" rule, and ends far below it.
// The test reads both runs' series back from the kernel and shows that the old rules would have fired on them.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook } from "../helpers/jupyter.js";

type Output = ReturnType<typeof allOutputs>[number];
const text = (value: unknown): string => (Array.isArray(value) ? value.join("") : String(value ?? ""));
const streamOf = (outputs: Output[], cell: number): string => outputs.filter((output) => output.cell === cell && output.output_type === "stream").map((output) => text(output.text)).join("");
const resultOf = (outputs: Output[], cell: number): Record<string, unknown> => (outputs.find((output) => output.cell === cell && output.output_type === "execute_result")!.data as Record<string, unknown>);
const median = (values: number[]): number => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

const setup = [
  'import { trainLoop } from "labnote";',
  "/** The bench's MLP: FEATURES → UNITS ReLU → UNITS ReLU → 1, seeded. */",
  "function mlp(features: number, units: number) {",
  "  const model = tf.sequential();",
  '  model.add(tf.layers.dense({ units, inputShape: [features], activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));',
  '  model.add(tf.layers.dense({ units, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));',
  "  model.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));",
  "  return model;",
  "}",
  "/** y = Σx² with a held-out set. */",
  "function data(rows: number, features: number) {",
  '  const x = tf.randomNormal([rows, features], 0, 1, "float32", 1);',
  '  const xVal = tf.randomNormal([128, features], 0, 1, "float32", 2);',
  "  return { x, y: tf.sum(tf.square(x), 1, true), validation: { x: xVal, y: tf.sum(tf.square(xVal), 1, true), every: 100 } };",
  "}",
  "type Tracked = { series: { get(split: string, key: string): { steps: Float64Array; values: Float64Array; length: number } | undefined } };",
  "const series = (tracked: Tracked, split: string, key: string) => { const s = tracked.series.get(split, key)!; return { steps: Array.from(s.steps.subarray(0, s.length)), values: Array.from(s.values.subarray(0, s.length)) }; };",
  "const kept: Record<string, unknown> = {};",
].join("\n");

const trackedCell = (name: string, rows: number, features: number, units: number, lr: number, steps: number): string =>
  [
    `%%track --name ${name}`,
    `const d = data(${rows}, ${features});`,
    `await trainLoop({ model: mlp(${features}, ${units}), loss: "meanSquaredError", optimizer: tf.train.adam(${lr}), data: { x: d.x, y: d.y }, batchSize: 32, steps: ${steps}, validation: d.validation });`,
    `kept["${name}"] = { norms: series(run, "train", "grad_norm"), losses: series(run, "train", "loss").values, baseline: series(run, "train", "baseline_loss").values[0], system: ["steps_per_sec", "tensors", "rss_mb"].map((key) => run.series.get("system", key)?.length ?? 0), layerWeights: ["dense_Dense1", "dense_Dense2", "dense_Dense3", "dense_Dense4", "dense_Dense5", "dense_Dense6"].filter((key) => (run.series.get("weights", key)?.length ?? 0) > 0).length };`,
  ].join("\n");

describe("a healthy run with everything watched, through the kernel", () => {
  it("warns of nothing where the old exploding-gradient and underfitting rules fired", async () => {
    const dir = join(ARTIFACTS, "healthy-watch", `run-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    writeNotebook(join(dir, "healthy-watch.ipynb"), [
      "%backend wasm",
      setup,
      trackedCell("converged", 512, 32, 64, 1e-3, 7000),
      trackedCell("slow-start", 128, 16, 32, 3e-4, 1500),
      "display.json(kept)",
    ]);
    const notebook = await executeNotebook(join(dir, "healthy-watch.ipynb"), { cwd: dir, timeoutSec: 400, outputPath: join(dir, "healthy-watch.executed.ipynb") });
    const outputs = allOutputs(notebook);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);

    for (const [cell, name] of [[2, "converged"], [3, "slow-start"]] as const) {
      const run = resultOf(outputs, cell)["application/json"] as { name: string; metrics: Record<string, number>; warnings?: string[] };
      expect(run.name).toBe(name);
      // Everything is watched: norms global and per layer, the probe, baseline, learning rate, val loss, system metrics.
      for (const key of ["train.grad_norm", "gradients.global", "weights.global", "train.baseline_loss", "learning_rate", "val.loss"]) expect(run.metrics[key], `${name}: ${key}`).toBeTypeOf("number");
      for (const split of ["gradients.dense_", "dead_units.dense_"]) expect(Object.keys(run.metrics).filter((key) => key.startsWith(split)).length, `${name}: ${split}*`).toBeGreaterThanOrEqual(split.startsWith("dead") ? 2 : 3);
      expect(run.metrics["train.loss"]!, name).toBeLessThan(0.9 * run.metrics["train.baseline_loss"]!);
      expect(streamOf(outputs, cell), name).not.toMatch(/labnote:/);
      expect(run.warnings ?? [], name).toEqual([]);
    }

    // What the old rules would have said about these same series.
    const shown = outputs.find((output) => output.cell === 4 && output.output_type === "display_data")!.data as Record<string, unknown>;
    const kept = shown["application/json"] as Record<string, { norms: { steps: number[]; values: number[] }; losses: number[]; baseline: number; system: number[]; layerWeights: number }>;
    for (const name of ["converged", "slow-start"]) {
      expect(Math.min(...kept[name]!.system), `${name}: system metrics recorded`).toBeGreaterThan(0);
      expect(kept[name]!.layerWeights, `${name}: per-layer weight norms`).toBe(3);
    }
    const { norms } = kept["converged"]!;
    expect(norms.steps).toHaveLength(70); // every 100 steps
    const oldExploding = norms.values.findIndex((norm, index) => index > 4 && norm > 50 * median(norms.values.slice(Math.max(0, index - 20), index)));
    expect(oldExploding, "the old rule fires on the converged run's norms").toBeGreaterThan(0);
    expect(norms.values[oldExploding]!).toBeLessThan(norms.values[0]!); // a bump far below where training started

    const slow = kept["slow-start"]!;
    let above = 0;
    for (let length = 100; length <= slow.losses.length; length++) {
      const recent = slow.losses.slice(length - 50, length).reduce((sum, loss) => sum + loss, 0) / 50;
      if (recent < 0.9 * slow.baseline) break;
      above++;
    }
    // The old rule held from point 100 on for this many points: every periodic check (4 a second) in that span would fire.
    expect(above, "points after 100 where the old underfitting rule held").toBeGreaterThan(300);
  }, 500_000);
});
