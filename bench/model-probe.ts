// What trainLoop's model probe costs (dead units per ReLU layer + weight norms per layer, every N steps, plus the
// trivial-baseline loss once): the same MLP trained for the same steps with the probe off and on, interleaved in one
// process (off-on, then on-off) so load drifts hit both. Time is this process's CPU time (user + system), as in
// bench/gradient-norms.ts. Prints each pair and the median slowdown.
// Usage: tsx bench/model-probe.ts [STEPS] [PAIRS] [EVERY]
import { loadTf, trainLoop } from "../training/index.js";

const steps = Number(process.argv[2] ?? 2000);
const pairs = Number(process.argv[3] ?? 4);
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

async function timed(probeEvery: number): Promise<number> {
  const trained = model();
  const optimizer = tf.train.adam(0.001);
  const started = process.cpuUsage();
  await trainLoop({ model: trained, loss: "meanSquaredError", optimizer, data: { x, y }, batchSize: 32, steps, run, progress: false, gradientNormEvery: 0, probeEvery });
  const used = process.cpuUsage(started);
  trained.dispose();
  optimizer.dispose();
  return (used.user + used.system) / 1e6;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`backend ${tf.getBackend()}, MLP 32-64-64-1, batch 32, ${steps} steps, probe every ${every} steps, ${pairs} interleaved pairs`);
await timed(0); // warm-up
const ratios: number[] = [];
let totalOff = 0;
let totalOn = 0;
for (let pair = 0; pair < pairs; pair++) {
  const offFirst = pair % 2 === 0;
  const first = await timed(offFirst ? 0 : every);
  const second = await timed(offFirst ? every : 0);
  const [off, on] = offFirst ? [first, second] : [second, first];
  ratios.push(on / off);
  totalOff += off;
  totalOn += on;
  console.log(`  off ${off.toFixed(2)} s, on ${on.toFixed(2)} s CPU, ratio ${(on / off).toFixed(3)}`);
}
console.log(`probe every ${every} steps: median slowdown ${((median(ratios) - 1) * 100).toFixed(1)}%, total CPU on/off ${((totalOn / totalOff - 1) * 100).toFixed(1)}%`);
