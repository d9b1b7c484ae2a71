// trainLoop off webgpu: step capture falls back to the plain tfjs path with the reason in result.capture, and the
// numbers are exactly those of `capture: false`; Adam may be given by name or config.
import { beforeAll, describe, expect, it } from "vitest";
import { loadTf, switchBackend, trainLoop } from "../../../training/index.js";
import type { Tf, TrainLoopOptions } from "../../../training/index.js";

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
  await switchBackend("cpu");
});

/** A fresh two-weight regression problem with the same start every time. */
function problem(name: string) {
  const w = tf.variable(tf.tensor2d([[0.3], [-0.2]]), true, `${name}_${Math.random()}`);
  const rows = Array.from({ length: 40 }, (_, i) => [Math.sin(i), Math.cos(i * 0.7)]);
  const x = tf.tensor2d(rows);
  const y = tf.tensor2d(rows.map(([a, b]) => [2 * a! - b!]));
  const lossFn = (input: Parameters<Extract<TrainLoopOptions, { lossFn: unknown }>["lossFn"]>[0], target: typeof input) => tf.losses.meanSquaredError(target, tf.matMul(input, w));
  return { w, data: { x, y }, lossFn, dispose: () => tf.dispose([w, x, y]) };
}

describe("trainLoop capture fallback (cpu backend)", () => {
  it("says why it did not capture and computes exactly what capture: false computes, partial batches included", async () => {
    const runs = [];
    for (const capture of [true, false]) {
      const p = problem("fallback");
      const result = await trainLoop({ params: [p.w], lossFn: p.lossFn, optimizer: tf.train.adam(0.05), data: p.data, batchSize: 16, epochs: 20, readEvery: 4, run: null, capture });
      runs.push({ result, w: Array.from(await p.w.data()) });
      p.dispose();
    }
    const [automatic, plain] = runs;
    expect(automatic!.result.capture).toBe("off: step capture needs the webgpu backend (this is cpu)");
    expect(plain!.result.capture).toBe("off: capture: false");
    expect(automatic!.result.steps).toBe(60); // 40 rows in batches of 16: 16, 16, 8 per epoch
    expect(automatic!.result.uncapturedSteps).toBe(0);
    expect(automatic!.result.losses).toEqual(plain!.result.losses);
    expect(automatic!.w).toEqual(plain!.w);
    expect(automatic!.result.finalLoss).toBeLessThan(automatic!.result.losses[0]! / 2);
  });

  it("takes Adam by name or config, matches tf.train.adam, and leaves no tensors behind", async () => {
    const outcomes: number[][] = [];
    for (const makeOptimizer of [() => "adam" as const, () => ({ name: "adam", learningRate: 0.001 }) as const, () => tf.train.adam(0.001)]) {
      const p = problem("named");
      const before = tf.memory().numTensors;
      const optimizer = makeOptimizer();
      const result = await trainLoop({ params: [p.w], lossFn: p.lossFn, optimizer, data: p.data, batchSize: 8, steps: 12, run: null });
      if (typeof optimizer === "object" && "dispose" in optimizer) optimizer.dispose();
      expect(tf.memory().numTensors).toBe(before); // the loop's own Adam and its moments are disposed
      outcomes.push(result.losses);
      p.dispose();
    }
    expect(outcomes[0]).toEqual(outcomes[2]);
    expect(outcomes[1]).toEqual(outcomes[2]);
  });

  it("uses a layers model's compiled optimizer when none is given, and says what to do for unknown names", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
    const p = problem("model");
    const result = await trainLoop({ model, data: p.data, batchSize: 10, epochs: 20, run: null });
    expect(result.finalLoss).toBeLessThan(result.losses[0]! / 4);
    await expect(trainLoop({ params: [p.w], lossFn: p.lossFn, optimizer: "rmsprop" as never, data: p.data, run: null })).rejects.toThrow(/unknown optimizer "rmsprop"\. Pass "adam"/);
    p.dispose();
    model.dispose();
  });
});
