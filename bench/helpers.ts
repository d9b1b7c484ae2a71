// Pieces the training and tracking benches share: the machine line, the median they report, a display that serialises
// what a kernel would send, and the seeded MLP 32-64-64-1 on y = Σx² that bench:watch, bench:model-probe and
// bench:gradients time with process CPU time. Nothing here loads tfjs by itself: the benches pass their `tf`.
import { readdirSync, readFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
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

let gcFunction: (() => void) | undefined;
/** A full garbage collection now (V8's gc, reached without --expose-gc): the next measurement does not pay for the last one's garbage. */
export function collectGarbage(): void {
  if (!gcFunction) {
    setFlagsFromString("--expose-gc");
    gcFunction = runInNewContext("gc") as () => void;
  }
  gcFunction();
}

/** Lets what a measurement left running finish (timers, a run's background writes), then collects its garbage. */
export async function settle(ms = 200): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  collectGarbage();
}

/**
 * CPU seconds (user + system) of this process for one trainLoop of a fresh `mlp` with Adam 1e-3, MSE, batch 32, no
 * progress bar and `options`. The model and optimizer are built before the clock starts and disposed after it stops.
 * `around` runs inside the clock and calls `train` itself, with options of its own (bench:watch starts and ends its
 * tracked run there, so that both count); `before` runs just before the clock starts.
 */
export async function timedTraining(
  tf: Tf,
  data: { x: ReturnType<Tf["randomNormal"]>; y: ReturnType<Tf["sum"]> },
  options: TrainExtras,
  around: (train: (more?: TrainExtras) => Promise<void>) => Promise<void> = (train) => train(),
  before?: () => Promise<void>,
): Promise<number> {
  const { trainLoop } = await import("../training/index.js");
  const model = mlp(tf);
  const optimizer = tf.train.adam(0.001);
  await before?.();
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

/**
 * Ratios of ABBA blocks: pairs 2k (off first) and 2k + 1 (on first) together, Σon / Σoff. A load that drifts linearly
 * over a block slows its two "on" runs as much as its two "off" runs, which a single pair's ratio does not cancel.
 */
export function blockRatios(pairs: ReadonlyArray<{ off: number; on: number }>): number[] {
  const ratios: number[] = [];
  for (let index = 0; index + 1 < pairs.length; index += 2) ratios.push((pairs[index]!.on + pairs[index + 1]!.on) / (pairs[index]!.off + pairs[index + 1]!.off));
  return ratios;
}

const T975 = [12.71, 4.3, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.2, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.1, 2.09, 2.09, 2.08, 2.07, 2.07, 2.06, 2.06, 2.06, 2.05, 2.05, 2.05, 2.04];

/** Geometric mean of ratios with a 95% confidence interval (Student's t on their logarithms); undefined under 2 ratios. */
export function geometricMeanCi(ratios: number[]): { mean: number; low: number; high: number } | undefined {
  if (ratios.length < 2) return undefined;
  const logs = ratios.map(Math.log);
  const mean = logs.reduce((sum, value) => sum + value, 0) / logs.length;
  const sd = Math.sqrt(logs.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (logs.length - 1));
  const t = T975[logs.length - 2] ?? (logs.length <= 61 ? 2.0 : 1.98);
  const half = (t * sd) / Math.sqrt(logs.length);
  return { mean: Math.exp(mean), low: Math.exp(mean - half), high: Math.exp(mean + half) };
}

/**
 * CPU seconds (user + system) used so far by this process's main thread and by its other threads together (V8's GC
 * and compiler threads, workers such as the store's writer, libuv's pool), from /proc/self/task (Linux; undefined
 * elsewhere). Clock-tick resolution (10 ms); a thread that has exited no longer counts.
 */
export function threadCpuSeconds(): { main: number; others: number } | undefined {
  try {
    const ticks = 100; // USER_HZ on Linux
    let main = 0;
    let others = 0;
    for (const tid of readdirSync("/proc/self/task")) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      } catch {
        continue; // exited meanwhile
      }
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const seconds = (Number(fields[11]) + Number(fields[12])) / ticks; // utime, stime (fields 14 and 15)
      if (Number(tid) === process.pid) main += seconds;
      else others += seconds;
    }
    return { main, others };
  } catch {
    return undefined;
  }
}
