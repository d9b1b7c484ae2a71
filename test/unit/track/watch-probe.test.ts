// run.watch(model, { probe: x }): model.fit users get trainLoop's dead-unit probe; a bias that kills every ReLU is
// reported with the layer and step, a healthy model's shares are logged and nothing is reported.
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { track } from "../../../magics/track/index.js";
import { loadTf } from "../../../training/index.js";

describe("run.watch(model, { probe })", () => {
  it("logs each ReLU layer's dead-unit share during model.fit and warns when a layer is dead", async () => {
    const tf = await loadTf();
    const x = tf.randomNormal([256, 4], 0, 1, "float32", 5);
    const y = tf.sum(x, 1, true);
    const store = createMemoryStore();
    async function fitWatched(bias: number): Promise<{ warnings: string[]; shares: number[] }> {
      const model = tf.sequential();
      model.add(tf.layers.dense({ units: 8, inputShape: [4], activation: "relu", name: "hidden", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }), biasInitializer: tf.initializers.constant({ value: bias }) }));
      model.add(tf.layers.dense({ units: 1, name: "out", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
      model.compile({ optimizer: tf.train.sgd(0.01), loss: "meanSquaredError" });
      const warnings: string[] = [];
      const run = track.start({ store, name: `bias ${bias}`, captureEnvironment: false, systemIntervalMs: 0, warn: (message) => warnings.push(message) });
      run.watch(model, { probe: x.slice(0, 64), everySteps: 10 });
      await model.fit(x, y, { epochs: 4, batchSize: 16, verbose: 0, callbacks: [run.callback({ progress: false })] });
      await new Promise((resolve) => setTimeout(resolve, 1500)); // the run's periodic check probes at least once more
      await run.end();
      const shares = (await store.getMetrics(run.id, { key: "hidden", split: "dead_units" })).map((point) => point.value!);
      return { warnings, shares };
    }
    const dead = await fitWatched(-10);
    expect(dead.shares.length).toBeGreaterThan(0);
    expect(dead.shares.every((share) => share === 1)).toBe(true);
    expect(dead.warnings.join("\n")).toMatch(/100% of the units of layer "hidden" output zero on the whole probe batch at step \d+ in run "bias -10"/);
    const healthy = await fitWatched(0.1);
    expect(healthy.shares.length).toBeGreaterThan(0);
    expect(Math.max(...healthy.shares)).toBeLessThan(0.5);
    expect(healthy.warnings.join("\n")).not.toMatch(/output zero/);
  }, 60_000);
});
