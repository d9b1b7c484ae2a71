import * as tf from "@tensorflow/tfjs";
import { beforeAll, describe, expect, it } from "vitest";
import { overfitOneBatch } from "../../../magics/eval/index.js";
import { clearSeed, setSeed } from "../../../magics/seed/state.js";

function classifier(learningRate: number) {
  const model = tf.sequential({
    layers: [tf.layers.dense({ units: 32, activation: "relu", inputShape: [4] }), tf.layers.dense({ units: 3, activation: "softmax" })],
  });
  model.compile({ optimizer: tf.train.adam(learningRate), loss: "categoricalCrossentropy" });
  return model;
}

describe("overfitOneBatch", () => {
  beforeAll(async () => {
    await tf.setBackend("cpu");
    setSeed(3);
    return () => clearSeed();
  });

  it("says 'can fit' with the loss curve when the model memorises one batch, and leaves the weights as they were", async () => {
    const model = classifier(0.05);
    const x = tf.randomNormal([16, 4]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 3), "int32"), 3);
    const before = model.getWeights()[0]!.arraySync();
    const result = await overfitOneBatch(model, x, y, { steps: 300, targetLoss: 0.01 });
    expect(result.canFit).toBe(true);
    expect(result.finalLoss).toBeLessThanOrEqual(0.01);
    expect(result.initialLoss).toBeGreaterThan(0.5);
    expect(result.losses).toHaveLength(result.steps);
    expect(result.verdict).toMatch(/^can fit: loss [\d.]+ → [\d.e-]+ in \d+ steps$/);
    expect(model.getWeights()[0]!.arraySync()).toEqual(before);
  });

  it("says 'cannot drive loss below' with what to check when the labels contradict the inputs", async () => {
    const model = classifier(0.05);
    const x = tf.zeros([12, 4]); // identical inputs, different labels: loss cannot go below the label entropy
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 12 }, (_, i) => i % 3), "int32"), 3);
    const result = await overfitOneBatch(model, x, y, { steps: 60 });
    expect(result.canFit).toBe(false);
    expect(result.bestLoss).toBeGreaterThan(1);
    expect(result.verdict).toMatch(/^cannot drive loss below 1\.\d+ .* in 60 steps: check the labels/);
  });

  it("asks for a compiled model", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
    await expect(overfitOneBatch(model, tf.zeros([1, 1]), tf.zeros([1, 1]))).rejects.toThrow(/not compiled: call model.compile/);
  });
});
