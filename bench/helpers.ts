// Pieces the training and tracking benches share: the machine line, the median they report, a display that serialises
// what a kernel would send, and the seeded MLP 32-64-64-1 on y = Σx² that bench:watch, bench:model-probe and
// bench:gradients time with process CPU time. Nothing here loads tfjs by itself: the benches pass their `tf`.
import { cpus, loadavg } from "node:os";
import type { Display, DisplayHandle } from "../magics/types.js";
import type { Tf } from "../training/backends/types.js";
import type { ModelTrainOptions } from "../training/index.js";

/** "machine: CPU model, N cores, load 1 5 15". */
export function machineLine(): string {
  return `machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`;
}

/** The upper median (the middle value of an odd count, the higher of the two middle ones of an even count). */
export const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

/** A display that serialises every bundle and spec as the kernel does before sending it, and drops it (no SVG rendering). */
export function serializingDisplay(): Display {
  const send = (data: unknown): void => void JSON.stringify(data);
  const handle = (): DisplayHandle => ({ displayId: "bench", bundle: send, html: send, markdown: send, text: send, json: send, svg: send, vegaLite: async (spec) => send(spec) });
  return Object.assign((value: unknown) => send(String(value)), { bundle: send, html: send, markdown: send, svg: send, png: send, jpeg: send, json: send, text: send, raw: (_mime: string, data: unknown) => send(data), vegaLite: async (spec: object) => send(spec), handle });
}

/** 512 rows of 32 standard-normal features (seed 1) and y = Σx². */
export function squareSumData(tf: Tf): { x: ReturnType<Tf["randomNormal"]>; y: ReturnType<Tf["sum"]> } {
  const x = tf.randomNormal([512, 32], 0, 1, "float32", 1);
  return { x, y: tf.sum(tf.square(x), 1, true) };
}

/** The MLP 32-64-64-1 (ReLU), glorot-uniform kernels seeded 1, 2, 3. */
export function mlp(tf: Tf): ReturnType<Tf["sequential"]> {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 64, inputShape: [32], activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  m.add(tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  m.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  return m;
}

/** Extra trainLoop options for one timed run (steps, run, what is watched). */
export type TrainExtras = Partial<Omit<ModelTrainOptions, "model" | "optimizer" | "data">>;

/**
 * CPU seconds (user + system) of this process for one trainLoop of a fresh `mlp` with Adam 1e-3, MSE, batch 32, no
 * progress bar and `options`. The model and optimizer are built before the clock starts and disposed after it stops.
 * `around` runs inside the clock and calls `train` itself, with options of its own (bench:watch starts and ends its
 * tracked run there, so that both count).
 */
export async function timedTraining(
  tf: Tf,
  data: { x: ReturnType<Tf["randomNormal"]>; y: ReturnType<Tf["sum"]> },
  options: TrainExtras,
  around: (train: (more?: TrainExtras) => Promise<void>) => Promise<void> = (train) => train(),
): Promise<number> {
  const { trainLoop } = await import("../training/index.js");
  const model = mlp(tf);
  const optimizer = tf.train.adam(0.001);
  const started = process.cpuUsage();
  await around(async (more = {}) => {
    await trainLoop({ model, loss: "meanSquaredError", optimizer, data, batchSize: 32, progress: false, ...options, ...more });
  });
  const used = process.cpuUsage(started);
  model.dispose();
  optimizer.dispose();
  return (used.user + used.system) / 1e6;
}

/**
 * `pairs` interleaved pairs of measurements, `off` first in even pairs and `on` first in odd ones, so a drift in the
 * machine's load hits both sides alike. `each` sees every pair as it is measured (to print it).
 */
export async function interleavedPairs(
  pairs: number,
  off: () => Promise<number>,
  on: () => Promise<number>,
  each: (pair: { index: number; off: number; on: number; offFirst: boolean }) => void = () => undefined,
): Promise<Array<{ off: number; on: number; offFirst: boolean }>> {
  const measured: Array<{ off: number; on: number; offFirst: boolean }> = [];
  for (let index = 0; index < pairs; index++) {
    const offFirst = index % 2 === 0;
    const first = await (offFirst ? off : on)();
    const second = await (offFirst ? on : off)();
    const pair = offFirst ? { off: first, on: second, offFirst } : { off: second, on: first, offFirst };
    measured.push(pair);
    each({ index, ...pair });
  }
  return measured;
}
