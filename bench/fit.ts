// npm run bench:fit — the user's unchanged layers code, `model.fit(x, y, { epochs, batchSize })`, on the 784-256-10
// MLP (batch 256, Adam, categorical cross-entropy): WASM with labnote's kernels against pure-JS `cpu`, against
// trainLoop on the same model, and against WASM with tfjs's own gather (the "before"). Variants run interleaved,
// round by round, so load from other processes hits them alike; each prints steps/s wall-clock and per CPU-second
// (this process's user + system time: both backends run single-threaded here) as median [min–max] over rounds.
// Flags: --rounds=N (default 3)  --epochs=N (wasm epochs per measurement, default 8)  --rows=N (default 2048)
import { cpus, loadavg } from "node:os";
import { loadTf, switchBackend, trainLoop } from "../training/index.js";
import type { Tf } from "../training/index.js";
import { patchWasmRowGather, unpatchWasmRowGather } from "../training/backends/wasm-gather.js";
import type * as tfTypes from "@tensorflow/tfjs";

const INPUTS = 784;
const HIDDEN = 256;
const CLASSES = 10;
const BATCH = 256;

function argument(name: string, fallback: number): number {
  const found = process.argv.find((arg) => arg.startsWith(`--${name}=`));
  return found ? Number(found.slice(name.length + 3)) : fallback;
}

interface Variant {
  name: string;
  backend: "wasm" | "cpu";
  how: "fit" | "trainLoop";
  /** tfjs's own wasm gather instead of labnote's slice copy. */
  tfjsGather?: boolean;
}
const VARIANTS: Variant[] = [
  { name: "model.fit, wasm (labnote)", backend: "wasm", how: "fit" },
  { name: "trainLoop, wasm (labnote)", backend: "wasm", how: "trainLoop" },
  { name: "model.fit, wasm, tfjs's gather", backend: "wasm", how: "fit", tfjsGather: true },
  { name: "model.fit, cpu (pure JS)", backend: "cpu", how: "fit" },
];

function buildModel(tf: Tf): tfTypes.LayersModel {
  const dense = (units: number, activation: "relu" | "softmax", seed: number, inputShape?: number[]) =>
    tf.layers.dense({ units, activation, inputShape, kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const model = tf.sequential({ layers: [dense(HIDDEN, "relu", 11, [INPUTS]), dense(CLASSES, "softmax", 12)] });
  model.compile({ optimizer: "adam", loss: "categoricalCrossentropy" });
  return model;
}

interface Sample {
  stepsPerSecond: number;
  stepsPerCpuSecond: number;
  firstLoss: number;
}

async function measure(tf: Tf, variant: Variant, data: { x: tfTypes.Tensor; y: tfTypes.Tensor }, epochs: number): Promise<Sample> {
  if (tf.getBackend() !== variant.backend) await switchBackend(variant.backend);
  if (variant.backend === "wasm") {
    if (variant.tfjsGather) unpatchWasmRowGather(tf);
    else patchWasmRowGather(tf);
  }
  const model = buildModel(tf);
  const rows = data.x.shape[0]!;
  const steps = epochs * Math.ceil(rows / BATCH);
  try {
    // Untimed first: weights, optimizer slots and kernels set up, as in every epoch after a fit's first. WASM warms
    // up with one whole epoch of the same call; pure JS (~0.5 s a step) with one batch.
    const warmRows = variant.backend === "cpu" ? BATCH : rows;
    const warm = { x: tf.slice(data.x, 0, warmRows), y: tf.slice(data.y, 0, warmRows) };
    if (variant.how === "fit") await model.fit(warm.x, warm.y, { epochs: 1, batchSize: BATCH, verbose: 0 });
    else await trainLoop({ model, data: warm, epochs: 1, batchSize: BATCH, run: null, progress: false });
    tf.dispose([warm.x, warm.y]);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    let firstLoss: number;
    if (variant.how === "fit") {
      const history = await model.fit(data.x, data.y, { epochs, batchSize: BATCH, verbose: 0 });
      firstLoss = Number(history.history.loss![0]);
    } else {
      const result = await trainLoop({ model, data, epochs, batchSize: BATCH, run: null, progress: false });
      firstLoss = result.losses[0]!;
    }
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return { stepsPerSecond: steps / seconds, stepsPerCpuSecond: steps / ((cpu.user + cpu.system) / 1e6), firstLoss };
  } finally {
    model.dispose();
    patchWasmRowGather(tf);
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const spread = (values: number[], digits: number): string => `${median(values).toFixed(digits)} [${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}]`;
const load = (): string => loadavg().map((value) => value.toFixed(1)).join(" ");

async function main(): Promise<void> {
  const rounds = argument("rounds", 3);
  const epochs = argument("epochs", 8);
  const rows = argument("rows", 2048);
  const tf = await loadTf();
  console.log(`machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, Node ${process.version}, tfjs ${tf.version.tfjs}; load before ${load()}`);
  console.log(`MLP ${INPUTS}-${HIDDEN}-${CLASSES}, batch ${BATCH}, ${rows} rows, Adam, categoricalCrossentropy; ${rounds} interleaved rounds; wasm ${epochs} epochs (${epochs * Math.ceil(rows / BATCH)} steps) per measurement, cpu 1 epoch`);
  const x = tf.tensor2d(Float32Array.from({ length: rows * INPUTS }, (_, i) => Math.sin(i * 0.731) * 0.5 + 0.5), [rows, INPUTS]);
  const labels = tf.tensor1d(Array.from({ length: rows }, (_, i) => (i * 7) % CLASSES), "int32");
  const y = tf.oneHot(labels, CLASSES).toFloat();
  labels.dispose();
  // V8 compiles tfjs's JavaScript over the first epochs in a process (measured here: 35 ms CPU a step in the first
  // epoch, 17 ms from the fourth): one untimed pass of every wasm variant before the rounds.
  for (const variant of VARIANTS.filter((candidate) => candidate.backend === "wasm")) await measure(tf, variant, { x, y }, 2);
  const samples = new Map<string, Sample[]>(VARIANTS.map((variant) => [variant.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const variant of VARIANTS) {
      const sample = await measure(tf, variant, { x, y }, variant.backend === "cpu" ? 1 : epochs);
      samples.get(variant.name)!.push(sample);
      console.log(`round ${round + 1} ${variant.name.padEnd(32)} ${sample.stepsPerSecond.toFixed(2).padStart(7)} steps/s ${sample.stepsPerCpuSecond.toFixed(2).padStart(7)} steps/CPU-s  first-epoch loss ${sample.firstLoss.toFixed(4)}  (load ${load()})`);
    }
  }
  console.log(`\nsummary: median [min–max] of ${rounds} rounds; load after ${load()}`);
  for (const variant of VARIANTS) {
    const list = samples.get(variant.name)!;
    console.log(`${variant.name.padEnd(32)} ${spread(list.map((s) => s.stepsPerSecond), 2).padStart(22)} steps/s   ${spread(list.map((s) => s.stepsPerCpuSecond), 2).padStart(22)} steps/CPU-s`);
  }
  // Ratios per round (the variants of one round ran back to back), then their median and range.
  const ratio = (top: string, bottom: string, key: keyof Sample, digits: number): string =>
    spread(samples.get(top)!.map((s, i) => s[key] / samples.get(bottom)![i]![key]), digits);
  const [fit, loop, before, cpu] = VARIANTS.map((variant) => variant.name) as [string, string, string, string];
  console.log(`\nmodel.fit wasm / model.fit cpu:      ${ratio(fit, cpu, "stepsPerSecond", 1)}x wall-clock, ${ratio(fit, cpu, "stepsPerCpuSecond", 1)}x per CPU-second (target >= 20x)`);
  console.log(`trainLoop wasm / model.fit wasm:     ${ratio(loop, fit, "stepsPerSecond", 2)}x wall-clock, ${ratio(loop, fit, "stepsPerCpuSecond", 2)}x per CPU-second (target <= 1.2x)`);
  console.log(`model.fit wasm: labnote / tfjs gather ${ratio(fit, before, "stepsPerSecond", 2)}x wall-clock, ${ratio(fit, before, "stepsPerCpuSecond", 2)}x per CPU-second`);
  tf.dispose([x, y]);
}

await main();
process.exit(0);
