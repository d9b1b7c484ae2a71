import { beforeAll, describe, expect, it } from "vitest";
import { loadTf, switchBackend, trainLoop } from "../../../training/index.js";
import type { Batch, Tf } from "../../../training/index.js";

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
  await switchBackend("cpu"); // small models: the JS backend has the least fixed cost per op
});

function regressionData(rows: number) {
  // y = 3x - 1 with a little structure, so the loss can go to ~0.
  const xs = Array.from({ length: rows }, (_, i) => (i / rows) * 2 - 1);
  return { x: tf.tensor2d(xs, [rows, 1]), y: tf.tensor2d(xs.map((v) => 3 * v - 1), [rows, 1]) };
}

describe("trainLoop", () => {
  it("trains on the data itself when one batch is the whole data set: no copy per step, the data stays usable", async () => {
    const w = tf.variable(tf.scalar(0), true, "whole_w");
    const b = tf.variable(tf.scalar(0), true, "whole_b");
    const data = regressionData(32);
    const optimizer = tf.train.adam(0.1);
    const lossFn = (x: import("@tensorflow/tfjs").Tensor, y: import("@tensorflow/tfjs").Tensor) => tf.square(tf.sub(tf.add(tf.mul(x, w), b), y));
    await trainLoop({ params: [w, b], lossFn, optimizer, data, batchSize: 32, steps: 2, run: null });
    const before = tf.memory().numTensors;
    let result: Awaited<ReturnType<typeof trainLoop>> | undefined;
    const profile = await tf.profile(async () => {
      result = await trainLoop({ params: [w, b], lossFn, optimizer, data, batchSize: 64, epochs: 300, readEvery: 50, run: null });
      return [];
    });
    result = result!;
    expect(result.steps).toBe(300);
    expect(profile.kernels.filter((kernel) => kernel.name === "Slice")).toHaveLength(0);
    expect(tf.memory().numTensors).toBe(before);
    expect(data.x.isDisposed || data.y.isDisposed).toBe(false);
    expect(result.finalLoss).toBeLessThan(result.losses[0]! / 10);
    tf.dispose([w, b, data.x, data.y]);
    optimizer.dispose();
  });

  it("keeps the tensor count flat over 1,000 steps and reads losses back only every N steps", async () => {
    const w = tf.variable(tf.scalar(0), true, "flat_w");
    const b = tf.variable(tf.scalar(0), true, "flat_b");
    const data = regressionData(64);
    const optimizer = tf.train.adam(0.05);
    // Warm up once so the optimizer's own slots exist before we count.
    await trainLoop({ params: [w, b], lossFn: (x, y) => tf.square(tf.sub(tf.add(tf.mul(x, w), b), y)), optimizer, data, batchSize: 16, steps: 2, run: null });
    const before = tf.memory().numTensors;
    // Count every device→host transfer the backend is asked for during the loop.
    const backend = tf.backend() as unknown as { read(id: object): Promise<unknown>; readSync(id: object): unknown };
    const transfers = { read: 0, readSync: 0 };
    const { read, readSync } = backend;
    backend.read = function (id) { transfers.read++; return read.call(this, id); };
    backend.readSync = function (id) { transfers.readSync++; return readSync.call(this, id); };
    const reads: number[] = [];
    const logged: { step: number; split?: string }[] = [];
    const result = await trainLoop({
      params: [w, b],
      lossFn: (x, y) => tf.square(tf.sub(tf.add(tf.mul(x, w), b), y)),
      optimizer,
      data,
      batchSize: 16,
      steps: 1000,
      readEvery: 50,
      // The per-epoch reshuffle is a gather, whose cpu kernel reads its inputs with readSync (no device transfer).
      shuffle: false,
      run: { log: (metrics, options) => void ("loss" in metrics && logged.push({ step: options!.step!, split: options!.split })) },
      onLosses: (chunk) => reads.push(chunk.length),
    });
    backend.read = read;
    backend.readSync = readSync;
    // One async read of a stacked tensor per 50 steps, nothing else (the cpu backend's read() calls its readSync()).
    expect(transfers).toEqual({ read: 20, readSync: 20 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.steps).toBe(1000);
    expect(reads).toEqual(Array(20).fill(50));
    expect(logged).toHaveLength(1000);
    expect(logged[999]).toEqual({ step: 999, split: "train" });
    expect(result.losses[0]!).toBeGreaterThan(0.1);
    expect(result.finalLoss).toBeLessThan(1e-3);
    expect(Array.from(await w.data())[0]).toBeCloseTo(3, 1);
    expect(result.backend).toBe("cpu");
    tf.dispose([w, b, data.x, data.y]);
    optimizer.dispose();
  });

  it("trains a layers model with a named loss over epochs of device-side batches", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 8, activation: "relu", inputShape: [2] }), tf.layers.dense({ units: 2, activation: "softmax" })] });
    // Two separable classes: label 1 when x0 + x1 > 0.
    const points = Array.from({ length: 128 }, (_, i) => [Math.cos(i * 2.4), Math.sin(i * 1.7)]);
    const x = tf.tensor2d(points);
    const y = tf.oneHot(tf.tensor1d(points.map(([a, b]) => (a! + b! > 0 ? 1 : 0)), "int32"), 2).toFloat();
    const result = await trainLoop({ model, loss: "categoricalCrossentropy", optimizer: tf.train.adam(0.05), data: { x, y }, batchSize: 32, epochs: 30, readEvery: 10, run: null });
    expect(result.steps).toBe(30 * 4);
    expect(result.finalLoss).toBeLessThan(result.losses[0]! / 3);
    const accuracy = tf.tidy(() => tf.mean(tf.equal(tf.argMax(model.predict(x) as never, 1), tf.argMax(y, 1))).dataSync()[0]!);
    expect(accuracy).toBeGreaterThan(0.9);
  });

  it("takes batches from a generator, disposes them, and stops at `steps`", async () => {
    const w = tf.variable(tf.zeros([3, 1]), true, "gen_w");
    const trueW = tf.tensor2d([[1], [-2], [0.5]]);
    const optimizer = tf.train.sgd(0.1);
    let made = 0;
    function* batches(): Generator<Batch> {
      for (;;) {
        made++;
        const x = tf.randomNormal([16, 3]);
        yield { x, y: tf.matMul(x, trueW) };
      }
    }
    const before = tf.memory().numTensors;
    const result = await trainLoop({ params: [w], lossFn: (x, y) => tf.losses.meanSquaredError(y, tf.matMul(x, w)), optimizer, data: batches(), steps: 200, readEvery: 25, run: null });
    expect(result.steps).toBe(200);
    expect(made).toBe(200); // no batch is made past `steps`
    expect(Array.from(await w.data()).map((v) => Math.round(v * 10) / 10)).toEqual([1, -2, 0.5]);
    expect(tf.memory().numTensors).toBe(before); // every yielded batch was disposed
  });

  it("covers every row each epoch: the last batch is the remainder", async () => {
    const w = tf.variable(tf.scalar(1), true, "cover_w");
    const seen: number[][] = [];
    const x = tf.tensor2d([...Array(10).keys()].map((i) => [i]));
    await trainLoop({
      params: [w],
      lossFn: (input, target) => {
        seen.push(Array.from(input.dataSync()));
        return tf.mul(tf.sum(tf.sub(input, target)), w);
      },
      optimizer: tf.train.sgd(0), data: { x, y: x }, batchSize: 4, epochs: 2, run: null, shuffle: false,
    });
    expect(seen).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it("says what to do when the model has no loss", async () => {
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [1] })] });
    const data = regressionData(8);
    await expect(trainLoop({ model, optimizer: tf.train.sgd(0.1), data, run: null })).rejects.toThrow(/Pass `loss`/);
  });

  it("logs every step's loss to the current %track run when none is given", async () => {
    const { track } = await import("../../../magics/track/index.js");
    const { createMemoryStore } = await import("../../../store/index.js");
    const run = track.start({ name: "trainloop-test", store: createMemoryStore(), systemMetricsIntervalMs: 0, warn: () => {} } as Parameters<typeof track.start>[0]);
    const seen: { loss: number; step: number; split: string }[] = [];
    run.onLog((metrics, step, split) => {
      if ("loss" in metrics) seen.push({ loss: metrics.loss!, step, split });
    });
    const w = tf.variable(tf.scalar(0), true, "tracked_w");
    const data = regressionData(32);
    const result = await trainLoop({ params: [w], lossFn: (x, y) => tf.square(tf.sub(tf.mul(x, w), y)), optimizer: tf.train.sgd(0.1), data, batchSize: 8, steps: 12, readEvery: 5 });
    await run.end();
    expect(seen.map((entry) => entry.step)).toEqual([...Array(12).keys()]);
    expect(seen.every((entry) => entry.split === "train")).toBe(true);
    expect(seen.map((entry) => entry.loss)).toEqual(result.losses.map((loss) => expect.closeTo(loss, 6)));
    expect(run.plannedSteps).toBe(12); // told through run.planSteps: the underfitting check's horizon
  });
});

describe("trainLoop and the event loop", () => {
  it("lets timers and I/O run while it trains (a cpu/wasm loop's awaits are microtasks): a timer fires mid-loop", async () => {
    // Without the periodic yield nothing else runs until the loop ends: the interval below would first fire after
    // all 20,000 steps and the loop would not be stopped early.
    const w = tf.variable(tf.scalar(0), true, "yield_w");
    const b = tf.variable(tf.scalar(0), true, "yield_b");
    const data = regressionData(64);
    const optimizer = tf.train.sgd(0.01);
    const lossFn = (x: import("@tensorflow/tfjs").Tensor, y: import("@tensorflow/tfjs").Tensor) => tf.square(tf.sub(tf.add(tf.mul(x, w), b), y));
    let fired = 0;
    const timer = setInterval(() => fired++, 1);
    const stop = new AbortController();
    let stepsWhenFired: number | undefined;
    try {
      const result = await trainLoop({
        params: [w, b],
        lossFn,
        optimizer,
        data,
        batchSize: 8,
        steps: 20_000,
        readEvery: 10,
        run: null,
        signal: stop.signal,
        onLosses: (chunk) => {
          if (fired > 0 && stepsWhenFired === undefined) {
            stepsWhenFired = chunk[chunk.length - 1]!.step + 1;
            stop.abort();
          }
        },
      });
      expect(result.stopped).toBe("interrupted");
      expect(stepsWhenFired).toBeDefined();
      expect(result.steps).toBeLessThan(20_000);
    } finally {
      clearInterval(timer);
      tf.dispose([w, b, data.x, data.y]);
      optimizer.dispose();
    }
  });
});
