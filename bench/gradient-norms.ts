// What watching gradients costs trainLoop: the same MLP trained for the same steps with gradient norms off and on
// (global + per layer every N steps, and clipNorm every step), interleaved in one process (off-on, then on-off) so
// load drifts hit both. Time is this process's CPU time (user + system): on a shared, loaded machine wall time
// mostly measures the neighbours. Prints each pair and the median slowdown.
// Usage: tsx bench/gradient-norms.ts [STEPS] [PAIRS] [EVERY]
import { loadTf, trainLoop } from "../training/index.js";

const steps = Number(process.argv[2] ?? 2000);
const pairs = Number(process.argv[3] ?? 3);
const every = Number(process.argv[4] ?? 100);
const tf = await loadTf();
const x = tf.randomNormal([512, 32], 0, 1, "float32", 1);
const y = tf.sum(tf.square(x), 1, true);
const run = { log: () => undefined };

function model() {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 64, inputShape: [32], activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  m.add(tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  m.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  return m;
}

async function timed(extra: { gradientNormEvery: number; clipNorm?: number }): Promise<number> {
  const trained = model();
  const optimizer = tf.train.adam(0.001);
  const started = process.cpuUsage();
  await trainLoop({ model: trained, loss: "meanSquaredError", optimizer, data: { x, y }, batchSize: 32, steps, run, progress: false, ...extra });
  const used = process.cpuUsage(started);
  trained.dispose();
  optimizer.dispose();
  return (used.user + used.system) / 1e6;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`backend ${tf.getBackend()}, MLP 32-64-64-1, batch 32, ${steps} steps, ${pairs} interleaved pairs`);
await timed({ gradientNormEvery: 0 }); // warm-up
for (const [label, on] of [
  [`norms every ${every} steps`, { gradientNormEvery: every }],
  ["clipNorm 1 every step + norms every step", { gradientNormEvery: 1, clipNorm: 1 }],
] as const) {
  const ratios: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const offFirst = pair % 2 === 0;
    const first = await timed(offFirst ? { gradientNormEvery: 0 } : on);
    const second = await timed(offFirst ? on : { gradientNormEvery: 0 });
    const [off, with_] = offFirst ? [first, second] : [second, first];
    ratios.push(with_ / off);
    console.log(`  ${label}: off ${off.toFixed(2)} s, on ${with_.toFixed(2)} s CPU, ratio ${(with_ / off).toFixed(3)}`);
  }
  console.log(`${label}: median slowdown ${((median(ratios) - 1) * 100).toFixed(1)}%`);
}
