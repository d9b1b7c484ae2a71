// trainLoop on real tfjs-backend-webgpu over Dawn's null backend (shaders compile, API calls are validated, nothing
// is computed): it picks step capture + replay when the step is capturable, says why not when it is not, keeps
// odd-shaped batches on the plain path, logs every step, and leaks nothing. The numbers themselves are compared on
// a GPU by `npm run bench:gpu` ("trainLoop (default settings)" against the baseline's losses).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { loadTf, setWebGpuSpeedups, trainLoop } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";
import { settle, startDawnNullWebgpu } from "../../helpers/dawn-null.js";

let errors: string[];
let detach: () => void;

beforeAll(async () => {
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  await loadTf(); // the ladder first (no GPU here: it settles elsewhere), then webgpu on Dawn's null backend
  ({ errors, detach } = await startDawnNullWebgpu());
  // What the ladder turns on at webgpu start (the tiled matmul included).
  setWebGpuSpeedups(tf as unknown as Tf, { uniformArena: true, submitBatching: true, explicitTransposes: { a: false, b: true, tiled: true } });
});
afterAll(() => {
  detach();
});

function mlp(rows: number) {
  const w0 = tf.variable(tf.zeros([32, 64]), true, `replay_w0_${Math.random()}`);
  const b0 = tf.variable(tf.zeros([64]), true, `replay_b0_${Math.random()}`);
  const w1 = tf.variable(tf.zeros([64, 10]), true, `replay_w1_${Math.random()}`);
  const x = tf.zeros([rows, 32]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: rows }, (_, i) => i % 10), "int32"), 10).toFloat();
  const lossFn = (input: tf.Tensor, target: tf.Tensor) =>
    tf.losses.softmaxCrossEntropy(target, tf.matMul(tf.fused.matMul({ a: input as tf.Tensor2D, b: w0, bias: b0, activation: "relu" }), w1));
  return { params: [w0, b0, w1], data: { x, y }, lossFn, dispose: () => tf.dispose([w0, b0, w1, x, y]) };
}

function classifier(extra: tf.layers.Layer[] = []) {
  const model = tf.sequential({ layers: [tf.layers.dense({ units: 16, activation: "relu", inputShape: [8] }), ...extra, tf.layers.dense({ units: 3, activation: "softmax" })] });
  model.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy" });
  const x = tf.zeros([48, 8]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: 48 }, (_, i) => i % 3), "int32"), 3).toFloat();
  return { model, data: { x, y }, dispose: () => (tf.dispose([x, y]), model.dispose()) };
}

describe("trainLoop on webgpu (Dawn null backend)", () => {
  it("replays captured steps, runs each epoch's partial batch through the plain path, logs every step, leaks nothing", async () => {
    const net = mlp(3 * 64 + 16);
    const optimizer = tf.train.adam(1e-3);
    const logged: number[] = [];
    const options = { params: net.params, lossFn: net.lossFn, optimizer, data: net.data, batchSize: 64, epochs: 2, readEvery: 3, capture: true, run: { log: (_: unknown, o?: { step?: number }) => logged.push(o!.step!) } };
    // Count slice ops: replayed steps copy their rows straight from x and y on the device instead.
    const slice = tf.getKernel("Slice", "webgpu")!;
    let slices = 0;
    tf.unregisterKernel("Slice", "webgpu");
    tf.registerKernel({ ...slice, kernelFunc: (args) => (slices++, slice.kernelFunc(args)) });
    const first = await trainLoop(options);
    tf.unregisterKernel("Slice", "webgpu");
    tf.registerKernel(slice);
    expect(first.capture).toBe("replay");
    expect(first.steps).toBe(8); // 64, 64, 64, 16 per epoch
    expect(first.uncapturedSteps).toBe(2); // the two 16-row batches
    expect(first.replayedSteps).toBe(4); // 6 full batches: warm-up, recording, then 4 replays
    expect(slices).toBe(2 * 4); // x and y for warm-up, recording and the two partial batches only
    expect(first.losses).toHaveLength(8);
    expect(first.losses.every((loss) => Number.isFinite(loss))).toBe(true);
    expect(logged).toEqual([...Array(8).keys()]);
    // Adam's fused twin keeps its moments between calls: a second loop adds no tensors.
    const before = tf.memory().numTensors;
    logged.length = 0;
    const second = await trainLoop(options);
    expect(second.capture).toBe("replay");
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    net.dispose();
    await settle();
    expect(errors).toEqual([]);
  });

  it("captures a layers model's step (weights + loss through model.apply) with its compiled Adam", async () => {
    const { model, data, dispose } = classifier();
    const result = await trainLoop({ model, data, batchSize: 16, epochs: 3, run: null, capture: true });
    expect(result.capture).toBe("replay");
    expect(result.uncapturedSteps).toBe(0);
    expect(result.steps).toBe(9);
    expect(result.replayedSteps).toBe(7);
    dispose();
    await settle();
    expect(errors).toEqual([]);
  });

  it("says why it does not capture: capture: false, a non-Adam optimizer, a random layer, too few steps", async () => {
    const { model, data, dispose } = classifier();
    const off = await trainLoop({ model, data, batchSize: 16, steps: 4, run: null, capture: false });
    expect(off.capture).toBe("off: capture: false");
    const sgd = await trainLoop({ model, data, batchSize: 16, steps: 4, run: null, optimizer: tf.train.sgd(0.1), capture: true });
    expect(sgd.capture).toMatch(/^off: the SGD optimizer replaces its variables every step; step capture needs Adam/);
    const short = await trainLoop({ model, data, batchSize: 16, steps: 2, run: null, capture: true });
    expect(short.capture).toMatch(/^off: too few steps to replay/);
    dispose();

    const dropout = classifier([tf.layers.dropout({ rate: 0.5 })]);
    const random = await trainLoop({ model: dropout.model, data: dropout.data, batchSize: 16, steps: 4, run: null, capture: true });
    expect(random.capture).toMatch(/^off: layer dropout\w* \(Dropout\) draws random numbers each step/);
    dropout.dispose();

    await settle();
    expect(errors).toEqual([]);
  });
});
