// model.fit routed through trainLoop must give what tfjs's own fit gives — per-epoch losses, val_loss, the History,
// epoch callbacks and stopTraining — and leave every call it does not cover to tfjs's fit. Checked on the cpu backend
// (the route is the same on webgpu, where trainLoop adds the fused Adam and step capture).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadTf, switchBackend } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";
import { installFitFastPath, lastFitRoute } from "../../../training/fit-fast-path.js";

let tf: Tf;
let uninstall: () => void;
beforeAll(async () => {
  tf = await loadTf();
  await switchBackend("cpu");
  uninstall = installFitFastPath(tf, { backends: ["cpu"] });
});
afterAll(() => uninstall());

function data(rows: number) {
  const x = tf.tensor2d(Array.from({ length: rows * 6 }, (_, i) => Math.sin(i * 0.7)), [rows, 6]);
  const labels = tf.tensor1d(Array.from({ length: rows }, (_, i) => (i * 5) % 3), "int32");
  const y = tf.oneHot(labels, 3).toFloat();
  labels.dispose();
  return { x, y };
}

function model(extra: { metrics?: string[] } = {}): tfTypes.Sequential {
  const m = tf.sequential({
    layers: [
      tf.layers.dense({ units: 8, activation: "relu", inputShape: [6], kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }),
      tf.layers.dense({ units: 3, activation: "softmax", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  m.compile({ optimizer: tf.train.adam(0.01), loss: "categoricalCrossentropy", ...extra });
  return m;
}

/** tfjs's own fitDataset on the same call, with the fast path taken out for it. */
async function plainFitDataset(m: tfTypes.LayersModel, dataset: tfTypes.data.Dataset<tfTypes.TensorContainer>, args: tfTypes.ModelFitDatasetArgs<tfTypes.TensorContainer>) {
  uninstall();
  try {
    return await m.fitDataset(dataset, args);
  } finally {
    uninstall = installFitFastPath(tf, { backends: ["cpu"] });
  }
}

/** tfjs's own fit on the same call, with the fast path taken out for it. */
async function plainFit(m: tfTypes.LayersModel, x: tfTypes.Tensor, y: tfTypes.Tensor, args: tfTypes.ModelFitArgs) {
  uninstall();
  try {
    return await m.fit(x, y, args);
  } finally {
    uninstall = installFitFastPath(tf, { backends: ["cpu"] });
  }
}

const close = (actual: number[], expected: number[]) => {
  expect(actual).toHaveLength(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected[i]!))));
};

describe("model.fit through trainLoop", () => {
  it("gives tfjs's losses, val_loss and History for epochs of full and partial batches with validationSplit", async () => {
    const { x, y } = data(50); // 40 training rows at batch 16: batches of 16, 16, 8
    const args = { epochs: 3, batchSize: 16, shuffle: false, validationSplit: 0.2, verbose: 0 } as const;
    const fast = model();
    const fastHistory = await fast.fit(x, y, args);
    expect(lastFitRoute()).toMatch(/^trainLoop, capture off: step capture needs the webgpu backend/);
    const plain = model();
    const plainHistory = await plainFit(plain, x, y, args);
    expect(fastHistory.epoch).toEqual(plainHistory.epoch);
    expect(Object.keys(fastHistory.history).sort()).toEqual(Object.keys(plainHistory.history).sort());
    close(fastHistory.history.loss as number[], plainHistory.history.loss as number[]);
    close(fastHistory.history.val_loss as number[], plainHistory.history.val_loss as number[]);
    const weights = (m: tfTypes.LayersModel) => m.getWeights().flatMap((w) => Array.from(w.dataSync()));
    close(weights(fast), weights(plain));
    tf.dispose([x, y]);
    fast.dispose();
    plain.dispose();
  });

  it("calls epoch callbacks in fit's order and stops when a callback sets model.stopTraining", async () => {
    const { x, y } = data(32);
    const m = model();
    const events: string[] = [];
    const history = await m.fit(x, y, {
      epochs: 5,
      batchSize: 8,
      verbose: 0,
      callbacks: {
        onTrainBegin: async () => void events.push("train begin"),
        onEpochBegin: async (epoch) => void events.push(`epoch ${epoch} begin`),
        onEpochEnd: async (epoch, logs) => {
          events.push(`epoch ${epoch} end loss ${typeof logs?.loss}`);
          if (epoch === 1) m.stopTraining = true;
        },
        onTrainEnd: async () => void events.push("train end"),
      },
    });
    expect(lastFitRoute()).toMatch(/^trainLoop, capture off: step capture needs the webgpu backend/);
    expect(events).toEqual(["train begin", "epoch 0 begin", "epoch 0 end loss number", "epoch 1 begin", "epoch 1 end loss number", "train end"]);
    expect(history.epoch).toEqual([0, 1]);
    tf.dispose([x, y]);
    m.dispose();
  });

  it("shuffles by default, trains, and leaves no tensors behind", async () => {
    const { x, y } = data(64);
    const m = model();
    await m.fit(x, y, { epochs: 1, batchSize: 16, verbose: 0 }); // optimizer slots exist from here on
    const before = tf.memory().numTensors;
    const history = await m.fit(x, y, { epochs: 30, batchSize: 16, verbose: 0 });
    expect(lastFitRoute()).toMatch(/^trainLoop, capture off: step capture needs the webgpu backend/);
    expect(history.epoch).toEqual(Array.from({ length: 30 }, (_, i) => i)); // 120 steps read back as 100 + 20
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]!).toBeLessThan(losses[0]! * 0.8);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, y]);
    m.dispose();
  });

  it("leaves calls it does not cover to tfjs's fit: metrics, batch callbacks, sample weights", async () => {
    const { x, y } = data(16);
    const withMetrics = model({ metrics: ["accuracy"] });
    const history = await withMetrics.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0 });
    expect(lastFitRoute()).toBe("tfjs fit: metrics besides the loss");
    expect(history.history.acc).toHaveLength(1);
    const m = model();
    let batches = 0;
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: { onBatchBegin: async () => void batches++ } });
    expect(lastFitRoute()).toBe("tfjs fit: onBatchBegin (or another hook the fast path does not call)");
    expect(batches).toBe(2);
    await m.fit(x, y, { epochs: 1, batchSize: 8, verbose: 0, callbacks: tf.callbacks.earlyStopping({ patience: 1 }) });
    expect(lastFitRoute()).toMatch(/^tfjs fit: a callback object of a class/);
    tf.dispose([x, y]);
    withMetrics.dispose();
    m.dispose();
  });

  it("gives tfjs's fitDataset losses for a dataset of {xs, ys} batches, fresh passes and batchesPerEpoch alike", async () => {
    const { x, y } = data(40);
    const dataset = () => tf.data.zip({ xs: tf.data.array(tf.unstack(x)), ys: tf.data.array(tf.unstack(y)) }).batch(16); // 16, 16, 8
    // batchesPerEpoch runs one iterator on across epochs (here over a repeated dataset: batches 16 16 | 8 16 | 16 8 | …).
    for (const [args, repeat] of [[{ epochs: 3, verbose: 0 }, false], [{ epochs: 4, batchesPerEpoch: 2, verbose: 0 }, true]] as const) {
      const make = () => (repeat ? dataset().repeat() : dataset());
      const fast = model();
      const fastHistory = await fast.fitDataset(make(), args);
      expect(lastFitRoute()).toMatch(/^trainLoop, capture off/);
      const plain = model();
      const plainHistory = await plainFitDataset(plain, make(), args);
      expect(fastHistory.epoch).toEqual(plainHistory.epoch);
      close(fastHistory.history.loss as number[], plainHistory.history.loss as number[]);
      fast.dispose();
      plain.dispose();
    }
    const m = model();
    await m.fitDataset(dataset(), { epochs: 1, verbose: 0, callbacks: { onEpochEnd: async () => undefined } });
    expect(lastFitRoute()).toBe("tfjs fitDataset: callbacks (the fast fitDataset takes none)");
    m.dispose();
    tf.dispose([x, y]);
  });

  it("gives onBatchEnd tfjs's batch losses and sizes at the epoch's end, and this.params (as %track's run.callback() reads)", async () => {
    const { x, y } = data(40);
    const record = () => {
      const seen: string[] = [];
      let epochs: unknown;
      const callback = {
        async onTrainBegin(this: { params?: { epochs?: unknown } }) {
          epochs = this.params?.epochs;
        },
        onBatchEnd: async (batch: number, logs?: tfTypes.Logs) => void seen.push(`${batch}:${logs?.size}:${Number(logs?.loss).toFixed(5)}`),
        onEpochEnd: async (epoch: number) => void seen.push(`end ${epoch}`),
      };
      return { callback, seen, epochs: () => epochs };
    };
    const args = (callback: object) => ({ epochs: 2, batchSize: 16, shuffle: false, verbose: 0, callbacks: callback } as tfTypes.ModelFitArgs);
    const fast = record();
    const m1 = model();
    await m1.fit(x, y, args(fast.callback));
    expect(lastFitRoute()).toMatch(/^trainLoop/);
    const plain = record();
    const m2 = model();
    await plainFit(m2, x, y, args(plain.callback));
    expect(fast.seen).toEqual(plain.seen);
    expect(fast.seen).toHaveLength(8); // 3 batches (16, 16, 8) and the end of each of 2 epochs
    expect(fast.epochs()).toBe(2);
    expect(plain.epochs()).toBe(2);
    tf.dispose([x, y]);
    m1.dispose();
    m2.dispose();
  });
});
