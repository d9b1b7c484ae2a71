// trainLoop watches its gradients: global and per-layer norms every N steps, clipping with the norm before and after,
// and the learning rate of every step (a schedule, or the optimizer's own).
import { beforeAll, describe, expect, it } from "vitest";
import { loadTf, trainLoop } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
});

interface Logged {
  metrics: Record<string, number>;
  step?: number;
  split?: string;
}

function recordingRun() {
  const logged: Logged[] = [];
  return {
    logged,
    run: { log: (metrics: Record<string, number>, options: { step?: number; split?: string } = {}) => void logged.push({ metrics: { ...metrics }, ...options }) },
    series: (key: string, split?: string) => logged.filter((entry) => entry.split === split && key in entry.metrics).map((entry) => [entry.step!, entry.metrics[key]!] as const),
  };
}

function twoLayerModel(seed: number) {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 8, inputShape: [4], activation: "relu", name: "hidden", kernelInitializer: tf.initializers.glorotUniform({ seed }) }));
  model.add(tf.layers.dense({ units: 1, name: "out", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));
  return model;
}

function data(rows = 64) {
  const x = tf.randomNormal([rows, 4], 0, 1, "float32", 3);
  const y = tf.sum(x, 1, true);
  return { x, y };
}

describe("trainLoop gradient norms", () => {
  it("logs the global norm for the detectors and one per layer every N steps, with matching values", async () => {
    const { run, series } = recordingRun();
    const model = twoLayerModel(1);
    await trainLoop({ model, loss: "meanSquaredError", optimizer: tf.train.sgd(0.01), data: data(), batchSize: 16, steps: 25, gradientNormEvery: 10, run, progress: false });
    const global = series("grad_norm", "train");
    expect(global.map(([step]) => step)).toEqual([0, 10, 20]);
    for (const [, norm] of global) expect(norm).toBeGreaterThan(0);
    const perLayer = series("hidden", "gradients").map(([, norm]) => norm);
    const out = series("out", "gradients").map(([, norm]) => norm);
    expect(perLayer).toHaveLength(3);
    // The global norm is the root of the layers' squared norms.
    global.forEach(([, norm], index) => expect(norm).toBeCloseTo(Math.hypot(perLayer[index]!, out[index]!), 4));
    expect(series("global", "gradients").map(([, norm]) => norm)).toEqual(global.map(([, norm]) => norm));
  });

  it("measures the same gradient tf.grads computes", async () => {
    const w = tf.variable(tf.tensor2d([[0.5], [-0.25], [1], [2]]), true, "watched_w");
    const { x, y } = data(8);
    const lossFn = (a: never, b: never) => tf.losses.meanSquaredError(b, tf.matMul(a, w));
    const expected = tf.tidy(() => tf.norm(tf.grad((weights) => tf.losses.meanSquaredError(y, tf.matMul(x, weights as never)))(w)).dataSync()[0]!);
    const { run, series } = recordingRun();
    await trainLoop({ params: [w], lossFn, optimizer: tf.train.sgd(0.001), data: { x, y }, batchSize: 8, steps: 1, gradientNormEvery: 1, run, progress: false });
    expect(series("grad_norm", "train")[0]![1]).toBeCloseTo(expected, 4);
    expect(series("watched_w", "gradients")[0]![1]).toBeCloseTo(expected, 4);
  });

  it("clipNorm caps the applied gradient and logs the norm before and after; clipValue clips elements", async () => {
    const { run, series } = recordingRun();
    const model = twoLayerModel(2);
    const { x, y } = data();
    const big = { x, y: tf.mul(y, 1000) };
    await trainLoop({ model, loss: "meanSquaredError", optimizer: tf.train.sgd(1e-4), data: big, batchSize: 16, steps: 6, gradientNormEvery: 1, clipNorm: 1, run, progress: false });
    const before = series("grad_norm", "train").map(([, norm]) => norm);
    const after = series("grad_norm_clipped", "train").map(([, norm]) => norm);
    expect(before).toHaveLength(6);
    for (let i = 0; i < before.length; i++) {
      expect(before[i]).toBeGreaterThan(1);
      expect(after[i]).toBeCloseTo(1, 4);
    }
    const clippedByValue = recordingRun();
    await trainLoop({ model: twoLayerModel(3), loss: "meanSquaredError", optimizer: tf.train.sgd(1e-4), data: big, batchSize: 64, steps: 1, gradientNormEvery: 1, clipValue: 0.001, run: clippedByValue.run, progress: false });
    const parameters = twoLayerModel(3).countParams();
    expect(clippedByValue.series("grad_norm_clipped", "train")[0]![1]).toBeLessThanOrEqual(0.001 * Math.sqrt(parameters) * (1 + 1e-6)); // every element at most 0.001 (float32)
    await expect(trainLoop({ model: twoLayerModel(4), loss: "meanSquaredError", optimizer: tf.train.sgd(0.1), data: big, steps: 1, clipNorm: -1, run: null })).rejects.toThrow(/clipNorm must be a positive number/);
  });

  it("logs the learning rate of every step: a schedule's, or the optimizer's own", async () => {
    const scheduled = recordingRun();
    const optimizer = tf.train.sgd(0.5);
    await trainLoop({ model: twoLayerModel(5), loss: "meanSquaredError", optimizer, data: data(), batchSize: 16, steps: 8, learningRate: (step) => 0.1 / (step + 1), gradientNormEvery: 0, run: scheduled.run, progress: false });
    expect(scheduled.series("learning_rate").map(([step, rate]) => [step, Number(rate.toPrecision(6))])).toEqual(Array.from({ length: 8 }, (_, step) => [step, Number((0.1 / (step + 1)).toPrecision(6))]));
    expect(scheduled.series("grad_norm", "train")).toEqual([]);
    const constant = recordingRun();
    await trainLoop({ model: twoLayerModel(6), loss: "meanSquaredError", optimizer: tf.train.adam(0.003), data: data(), batchSize: 16, steps: 5, run: constant.run, progress: false });
    expect(constant.series("learning_rate").map(([, rate]) => rate)).toEqual([0.003, 0.003, 0.003, 0.003, 0.003]);
    expect(constant.series("grad_norm", "train").map(([step]) => step)).toEqual([0]); // default: every 100 steps
  });
});
