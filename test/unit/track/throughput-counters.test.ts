// Samples and tokens per second, first class: counted by run.log(…, { samples, tokens }) or by trainLoop from its
// batches, recorded as system metrics, never as metric panels of their own.
import { beforeAll, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { track, type RunOptions } from "../../../magics/track/index.js";
import { loadTf, switchBackend, trainLoop, type Tf } from "../../../training/index.js";

function quietRun(options: RunOptions = {}) {
  const store = createMemoryStore();
  const run = track.start({ store, captureEnvironment: false, systemIntervalMs: 0, warn: () => undefined, ...options });
  return { run, store };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
  await switchBackend("cpu");
});

describe("samples/s and tokens/s", () => {
  it("run.log counts samples and tokens into system metrics, not into metric series", async () => {
    const { run, store } = quietRun();
    for (let step = 0; step < 24; step++) {
      run.log({ loss: 1 / (step + 1) }, { step, split: "train", samples: 32, tokens: 32 * 128 });
      await sleep(50);
    }
    await run.end();
    const system = await store.getMetrics(run.id, { split: "system" });
    const of = (key: string) => system.filter((point) => point.key === key);
    const samples = of("samples_per_sec");
    const tokens = of("tokens_per_sec");
    expect(samples.length).toBeGreaterThanOrEqual(1);
    expect(tokens.map((point) => point.step)).toEqual(samples.map((point) => point.step));
    tokens.forEach((point, index) => expect(point.value / samples[index]!.value).toBeCloseTo(128, 6));
    // 32 samples a step: samples/s over steps/s of the same reading.
    const steps = of("steps_per_sec");
    expect(samples.at(-1)!.value / steps.at(-1)!.value).toBeGreaterThan(20);
    expect(samples.at(-1)!.value / steps.at(-1)!.value).toBeLessThan(40);
    const metrics = await store.getMetrics(run.id, { split: "train" });
    expect(new Set(metrics.map((point) => point.key))).toEqual(new Set(["loss"]));
  });

  it("says what a count must be", () => {
    const { run } = quietRun({ name: "counts" });
    expect(() => run.log({ loss: 1 }, { samples: -3 })).toThrow(/samples counts the samples processed since the previous log call and must be a number ≥ 0, got -3 \(run "counts"\)/);
    expect(() => run.log({ loss: 1 }, { tokens: Number.NaN })).toThrow(/tokens .* got NaN .*batchSize \* sequenceLength/);
    return run.end();
  });

  it("run.callback() counts model.fit's batch sizes, also when only epochs are logged", async () => {
    for (const batches of [true, false]) {
      const { run, store } = quietRun({ name: `fit-${batches}` });
      const callback = run.callback({ batches, progress: false });
      await callback.onTrainBegin?.();
      for (let epoch = 0; epoch < 2; epoch++) {
        for (let batch = 0; batch < 5; batch++) await callback.onBatchEnd?.(batch, { batch, size: 16, loss: 1 });
        await callback.onEpochEnd?.(epoch, { loss: 1 });
      }
      await run.end();
      const system = await store.getMetrics(run.id, { split: "system" });
      const samples = system.filter((point) => point.key === "samples_per_sec");
      expect(samples.length, `batches: ${batches}`).toBe(1); // one reading, when the run ends: 160 samples in all
      const steps = system.find((point) => point.key === "steps_per_sec")!;
      expect(samples[0]!.value / steps.value).toBeGreaterThan(15); // 160 samples over the 10 batch steps (9 steps counted from step 0)
      expect(samples[0]!.value / steps.value).toBeLessThan(18);
      const train = await store.getMetrics(run.id, { split: "train" });
      expect(new Set(train.map((point) => point.key))).toEqual(new Set(["loss"]));
    }
  });

  it("trainLoop counts each step's batch rows, and tokens with tokensPerSample", async () => {
    const { run, store } = quietRun({ name: "loop" });
    const w = tf.variable(tf.scalar(0), true, "counters_w");
    const xs = Array.from({ length: 40 }, (_, index) => index / 40);
    const data = { x: tf.tensor2d(xs, [40, 1]), y: tf.tensor2d(xs.map((value) => 2 * value), [40, 1]) };
    const lossFn = (x: import("@tensorflow/tfjs").Tensor, y: import("@tensorflow/tfjs").Tensor) => tf.square(tf.sub(tf.mul(x, w), y));
    await trainLoop({ params: [w], lossFn, optimizer: tf.train.sgd(0.1), data, batchSize: 8, steps: 30, readEvery: 10, run, tokensPerSample: 16, progress: false });
    await run.end();
    const system = await store.getMetrics(run.id, { split: "system" });
    const last = (key: string) => system.filter((point) => point.key === key).at(-1)?.value;
    expect(last("samples_per_sec")).toBeGreaterThan(0);
    expect(last("tokens_per_sec")! / last("samples_per_sec")!).toBeCloseTo(16, 6);
    // One reading when the run ends: 30 steps of 8 rows over the whole run, steps/s counted from step 0.
    const ratio = last("samples_per_sec")! / last("steps_per_sec")!;
    expect(ratio).toBeGreaterThan(7.5);
    expect(ratio).toBeLessThan(8.5);
    await expect(trainLoop({ params: [w], lossFn, optimizer: tf.train.sgd(0.1), data, steps: 1, run: null, tokensPerSample: 0 })).rejects.toThrow(/tokensPerSample must be a number > 0/);
    tf.dispose([w, data.x, data.y]);
  });
});
