// run.watch(model, { gradients: true }): model.fit's gradients measured where tfjs applies them, per layer and global.
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { track } from "../../../magics/track/index.js";
import { loadTf } from "../../../training/index.js";

describe("run.watch(model, { gradients: true })", () => {
  it("logs global and per-layer gradient norms of model.fit's batches, and unhooks the optimizer when the run ends", async () => {
    const tf = await loadTf();
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 6, inputShape: [3], activation: "relu", name: "hidden", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tf.layers.dense({ units: 1, name: "out", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    model.compile({ optimizer: tf.train.sgd(0.01), loss: "meanSquaredError" });
    const optimizer = model.optimizer as unknown as { applyGradients: unknown };
    const original = optimizer.applyGradients;
    const store = createMemoryStore();
    const run = track.start({ store, captureEnvironment: false, systemIntervalMs: 0, warn: () => undefined });
    run.watch(model, { gradients: { everySteps: 2 } });
    const x = tf.randomNormal([32, 3], 0, 1, "float32", 5);
    const y = tf.sum(x, 1, true);
    await model.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, callbacks: [run.callback({ progress: false })] });
    await run.end();
    expect(optimizer.applyGradients).toBe(original);
    const global = await store.getMetrics(run.id, { key: "grad_norm", split: "train" });
    expect(global.map((point) => point.step)).toEqual([0, 2, 4, 6]); // 8 batches, every 2nd
    const hidden = await store.getMetrics(run.id, { key: "hidden", split: "gradients" });
    const out = await store.getMetrics(run.id, { key: "out", split: "gradients" });
    global.forEach((point, index) => {
      expect(point.value).toBeGreaterThan(0);
      expect(point.value).toBeCloseTo(Math.hypot(hidden[index]!.value!, out[index]!.value!), 4);
    });
    const uncompiled = track.start({ store, captureEnvironment: false, systemIntervalMs: 0, warn: () => undefined });
    expect(() => uncompiled.watch(tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] }), { gradients: true })).toThrow(/needs a compiled model/);
    await uncompiled.end();
  });
});
