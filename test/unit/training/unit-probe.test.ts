// trainLoop's model probe and trivial baseline: dead-unit shares per ReLU-family layer match a hand count, weight
// norms match the weights, and the baseline is the loss of the labels' mean or class prior for each named loss.
import { beforeAll, describe, expect, it } from "vitest";
import { loadTf, trainLoop } from "../../../training/index.js";
import { PROBE_MAX_STRETCH, PROBE_TIME_BUDGET, probeDue } from "../../../training/train-loop.js";
import type { Tf } from "../../../training/index.js";
import { baselineLoss, createUnitProbe, reluFamilyLayers } from "../../../training/unit-probe.js";

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
});

describe("model probe", () => {
  it("counts units that are zero on every probe row, per ReLU-family layer, and each layer's weight norm", async () => {
    const model = tf.sequential();
    // 4 units: kernel 0 and biases [-1, -1, 1, 2] → units 0 and 1 output 0 for every row, 2 and 3 never do.
    model.add(tf.layers.dense({ units: 4, inputShape: [3], activation: "relu", name: "hidden", kernelInitializer: "zeros", biasInitializer: tf.initializers.zeros() }));
    model.add(tf.layers.dense({ units: 2, activation: "tanh", name: "squash" }));
    model.add(tf.layers.reLU({ name: "clamp" }));
    model.layers[0]!.setWeights([tf.zeros([3, 4]), tf.tensor1d([-1, -1, 1, 2])]);
    expect(reluFamilyLayers(model).map((layer) => layer.name)).toEqual(["hidden", "clamp"]);
    const x = tf.randomNormal([300, 3], 0, 1, "float32", 3);
    const probe = createUnitProbe(tf, model, x)!;
    const reading = await probe.read();
    probe.dispose();
    expect(reading.deadUnits.hidden).toBe(0.5);
    expect(reading.deadUnits.clamp).toBeGreaterThanOrEqual(0);
    const squash = model.layers[1]!.getWeights().reduce((sum, weight) => sum + tf.sum(tf.square(weight)).dataSync()[0]!, 0);
    expect(reading.weightNorms.hidden).toBeCloseTo(Math.sqrt(1 + 1 + 1 + 4), 5);
    expect(reading.weightNorms.squash).toBeCloseTo(Math.sqrt(squash), 4);
    expect(reading.weightNorms.global).toBeCloseTo(Math.sqrt(7 + squash), 4);
    expect(reading.weightNorms.clamp).toBeUndefined(); // no weights
  });

  it("baseline: the loss of predicting the mean (regression) or the class prior (classification)", async () => {
    const y = tf.tensor2d([[1], [2], [3], [6]]);
    const mse = (a: ReturnType<typeof tf.zeros>, b: ReturnType<typeof tf.zeros>) => tf.losses.meanSquaredError(a, b);
    expect(await baselineLoss(tf, "meanSquaredError", mse, y, 1)).toBeCloseTo((4 + 1 + 0 + 9) / 4, 5);
    const entropy = -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75));
    const oneHot = tf.tensor2d([[1, 0], [0, 1], [0, 1], [0, 1]]);
    const categorical = (a: ReturnType<typeof tf.zeros>, b: ReturnType<typeof tf.zeros>) => tf.mean(tf.metrics.categoricalCrossentropy(a, b));
    expect(await baselineLoss(tf, "categoricalCrossentropy", categorical, oneHot, 2)).toBeCloseTo(entropy, 4);
    const sparse = (a: ReturnType<typeof tf.zeros>, b: ReturnType<typeof tf.zeros>) => tf.mean(tf.metrics.categoricalCrossentropy(tf.oneHot(tf.cast(tf.reshape(a, [-1]), "int32") as never, 2), b));
    expect(await baselineLoss(tf, "sparseCategoricalCrossentropy", sparse, tf.tensor2d([[0], [1], [1], [1]]), 2)).toBeCloseTo(entropy, 4);
    const softmax = (a: ReturnType<typeof tf.zeros>, b: ReturnType<typeof tf.zeros>) => tf.losses.softmaxCrossEntropy(a, b);
    expect(await baselineLoss(tf, "softmaxCrossEntropy", softmax, oneHot, 2)).toBeCloseTo(entropy, 4);
    const binary = (a: ReturnType<typeof tf.zeros>, b: ReturnType<typeof tf.zeros>) => tf.mean(tf.metrics.binaryCrossentropy(a, b));
    expect(await baselineLoss(tf, "binaryCrossentropy", binary, tf.tensor2d([[0], [1], [1], [1]]), 1)).toBeCloseTo(entropy, 4);
    expect(baselineLoss(tf, undefined, mse, y, 1)).toBeUndefined(); // a custom loss function: no baseline
  });
});

describe("when trainLoop probes", () => {
  it("the default probe keeps to a time budget, at least 100 and at most 500 steps apart; never before 100", () => {
    const at = { stepsSince: 100, every: 100, budgeted: true, msSince: 200, lastCostMs: 1 };
    expect(probeDue({ ...at, stepsSince: 99 })).toBe(false);
    expect(probeDue(at)).toBe(true); // 1 ms ≤ 0.5% of 200 ms
    expect(probeDue({ ...at, msSince: 1 / PROBE_TIME_BUDGET - 1 })).toBe(false); // over budget: wait
    expect(probeDue({ ...at, msSince: 150, stepsSince: 150 })).toBe(false);
    expect(probeDue({ ...at, msSince: 10, stepsSince: PROBE_MAX_STRETCH * 100 })).toBe(true); // stretched at most 5×
    expect(probeDue({ ...at, stepsSince: Infinity, msSince: 0 })).toBe(true); // the first probe
    expect(probeDue({ ...at, budgeted: false, msSince: 10, lastCostMs: 5 })).toBe(true); // an explicit probeEvery
    expect(probeDue({ ...at, budgeted: false, stepsSince: 99 })).toBe(false);
  });

  const tinyModel = () => {
    const model = tf.sequential();
    model.add(tf.layers.dense({ units: 8, inputShape: [4], activation: "relu", name: "hidden", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
    model.add(tf.layers.dense({ units: 1, name: "out", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
    return model;
  };
  const probedSteps = async (options: { steps: number; readEvery: number; probeEvery?: number }): Promise<number[]> => {
    const steps: number[] = [];
    const run = { log: (metrics: Record<string, number>, at: { step?: number; split?: string } = {}) => void (at.split === "weights" && "global" in metrics && steps.push(at.step!)) };
    const x = tf.randomNormal([64, 4], 0, 1, "float32", 5);
    const y = tf.sum(x, 1, true);
    await trainLoop({ model: tinyModel(), loss: "meanSquaredError", optimizer: tf.train.sgd(0.01), data: { x, y }, batchSize: 16, gradientNormEvery: 0, run, progress: false, ...options });
    tf.dispose([x, y]);
    return steps;
  };

  it("an explicit probeEvery is kept to the step; the default probes at the first read-back, then 100–500 steps apart", async () => {
    expect(await probedSteps({ steps: 60, readEvery: 10, probeEvery: 10 })).toEqual([9, 19, 29, 39, 49, 59]);
    const steps = await probedSteps({ steps: 1200, readEvery: 50 });
    expect(steps[0]).toBe(49);
    expect(steps.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < steps.length; i++) {
      expect(steps[i]! - steps[i - 1]!).toBeGreaterThanOrEqual(100);
      expect(steps[i]! - steps[i - 1]!).toBeLessThanOrEqual(PROBE_MAX_STRETCH * 100);
    }
  });
});
