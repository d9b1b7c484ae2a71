// Progress bars a user sees while training: model.fit with run.callback() and trainLoop inside a cell.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type * as tfTypes from "@tensorflow/tfjs";
import { createMemoryStore } from "../../../store/index.js";
import { track, type RunOptions } from "../../../magics/track/index.js";
import { epochDescription } from "../../../magics/track/model-hooks.js";
import { fakeDisplay, type DisplayEvent } from "./fakes.js";

let tf: typeof tfTypes;
beforeAll(async () => {
  tf = await import("@tensorflow/tfjs");
  await tf.setBackend("cpu");
});

function quietRun(options: RunOptions = {}) {
  return track.start({ store: createMemoryStore(), captureEnvironment: false, systemIntervalMs: 0, anomalies: false, warn: () => undefined, ...options });
}

const progressEvents = (events: DisplayEvent[]) => events.filter((event) => String(event.data["text/html"] ?? "").includes("<progress"));
const lastText = (events: DisplayEvent[]) => String(events[events.length - 1]!.data["text/plain"]);

describe("epoch progress bar (run.callback)", () => {
  it("model.fit shows one bar updated in place up to epoch N/N with the loss, taking N from fit", async () => {
    const { display, events } = fakeDisplay();
    const run = quietRun({ display, chartIntervalMs: 60_000 });
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
    const x = tf.tensor2d([[0, 1], [1, 0], [1, 1], [0, 0]]);
    const y = tf.tensor2d([[1], [1], [2], [0]]);
    await model.fit(x, y, { epochs: 4, batchSize: 2, validationData: [x, y], callbacks: [run.callback()], verbose: 0 });
    await run.end();
    const bars = progressEvents(events);
    expect(bars.length).toBeGreaterThanOrEqual(2);
    expect(new Set(bars.map((event) => event.displayId)).size).toBe(1);
    expect(bars[0]!.kind).toBe("display");
    expect(bars.slice(1).every((event) => event.kind === "update")).toBe(true);
    expect(String(bars[0]!.data["text/plain"])).toMatch(/^epoch 0\/4 \[-+\] 0\/4 \(0%\)$/);
    const final = bars[bars.length - 1]!;
    expect(String(final.data["text/plain"])).toMatch(/^epoch 4\/4 loss \d+\.\d{4} val_loss \d+\.\d{4} \[#+\] 4\/4 \(100%\)$/);
    expect(String(final.data["text/html"])).toContain('<progress value="4" max="4">');
    tf.dispose([x, y]);
    model.dispose();
  });

  it("a hand-driven callback takes the epoch count from its options; display: false shows no bar", async () => {
    const { display, events } = fakeDisplay();
    const run = quietRun({ display, chartIntervalMs: 60_000 });
    const callback = run.callback({ epochs: 2 });
    await callback.onTrainBegin();
    for (let epoch = 0; epoch < 2; epoch++) {
      await callback.onBatchEnd(0, { loss: 1 - epoch / 2 });
      await callback.onEpochEnd(epoch, { loss: 1 - epoch / 2, acc: 0.25 * (epoch + 1) });
    }
    await callback.onTrainEnd();
    await run.end();
    const bars = progressEvents(events);
    expect(lastText(bars)).toBe("epoch 2/2 loss 0.5000 acc 0.5000 [##############################] 2/2 (100%)");

    const silent = quietRun({ display: false });
    const noBar = silent.callback({ epochs: 2 });
    await noBar.onTrainBegin();
    await noBar.onEpochEnd(0, { loss: 1 });
    await noBar.onTrainEnd();
    await silent.end();
    expect(progressEvents(events)).toHaveLength(bars.length);
  });

  it("formats the epoch line with losses and accuracies only", () => {
    expect(epochDescription(3, 10, { loss: 0.41234, acc: 0.9, lr: 0.01, val_loss: 1e-5 })).toBe("epoch 3/10 loss 0.4123 acc 0.9000 val_loss 0.00001");
  });
});

describe("progress bars through the notebook's display global", () => {
  const globals = globalThis as { display?: unknown };
  afterEach(() => void delete globals.display);

  it("track.start() without a display draws the epoch bar in the cell, but a %tune trial's run does not", async () => {
    const { display, events } = fakeDisplay();
    globals.display = display;
    const drive = async (run: ReturnType<typeof quietRun>) => {
      const callback = run.callback({ epochs: 1 });
      await callback.onTrainBegin();
      await callback.onEpochEnd(0, { loss: 0.5 });
      await callback.onTrainEnd();
      await run.end();
    };
    await drive(quietRun());
    expect(lastText(progressEvents(events))).toMatch(/^epoch 1\/1 loss 0\.5000 /);
    const shown = events.length;
    await drive(quietRun({ studyName: "mlp-width", trialNumber: 3 }));
    const { trainLoop } = await import("../../../training/index.js");
    const w = tf.variable(tf.scalar(0));
    const x = tf.tensor2d([[1], [2]]);
    const trialRun = quietRun({ studyName: "mlp-width", trialNumber: 4 });
    await trainLoop({ params: [w], lossFn: (xs, ys) => tf.square(tf.sub(tf.mul(xs, w), ys)), optimizer: tf.train.sgd(0.01), data: { x, y: x }, steps: 2, run: trialRun });
    await trialRun.end();
    expect(events.length).toBe(shown);
    tf.dispose([w, x]);
  });
});

describe("trainLoop progress bar inside a cell", () => {
  const globals = globalThis as { display?: unknown };
  afterEach(() => void delete globals.display);

  it("shows step k/N with epochs and the loss through the notebook's display, ending at N/N", async () => {
    const { display, events } = fakeDisplay();
    globals.display = display;
    const { trainLoop } = await import("../../../training/index.js");
    const w = tf.variable(tf.scalar(0));
    const x = tf.tensor2d([[1], [2], [3], [4], [5], [6]]);
    const y = tf.tensor2d([[2], [4], [6], [8], [10], [12]]);
    const result = await trainLoop({ params: [w], lossFn: (xs, ys) => tf.square(tf.sub(tf.mul(xs, w), ys)), optimizer: tf.train.sgd(0.01), data: { x, y }, batchSize: 2, epochs: 5, readEvery: 3, run: null });
    expect(result.steps).toBe(15);
    const bars = progressEvents(events);
    expect(new Set(bars.map((event) => event.displayId)).size).toBe(1);
    expect(String(bars[0]!.data["text/plain"])).toContain("step 0/15");
    expect(lastText(bars)).toMatch(/^step 15\/15 epoch 5\/5 loss \S+ \[#+\] 15\/15 \(100%\)$/);

    // Outside a notebook (no display global), or with progress: false, nothing is drawn.
    delete globals.display;
    const before = events.length;
    await trainLoop({ params: [w], lossFn: (xs, ys) => tf.square(tf.sub(tf.mul(xs, w), ys)), optimizer: tf.train.sgd(0.01), data: { x, y }, batchSize: 2, steps: 3, run: null });
    globals.display = display;
    await trainLoop({ params: [w], lossFn: (xs, ys) => tf.square(tf.sub(tf.mul(xs, w), ys)), optimizer: tf.train.sgd(0.01), data: { x, y }, batchSize: 2, steps: 3, run: null, progress: false });
    expect(events.length).toBe(before);
    tf.dispose([w, x, y]);
  });
});
