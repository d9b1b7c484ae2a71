// What watching costs a real training loop (issue 15's Must reach): the same trainLoop, 10,000 steps, with no run
// (nothing watched) and with a tracked run that has everything on — per-layer and global gradient norms and the model
// probe (dead units, weight norms) every 100 steps, the trivial-baseline loss, the learning rate every step, system
// metrics every second and every anomaly detector. Interleaved in one process (off-on, then on-off) so load drifts hit
// both; time is this process's CPU time (user + system), which other jobs on a shared machine disturb far less than
// wall time. Usage: tsx bench/watch-overhead.ts [STEPS] [PAIRS]
import { mkdtempSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { track } from "../magics/track/index.js";
import type { Display, DisplayHandle } from "../magics/types.js";
import { loadTf, trainLoop } from "../training/index.js";

const steps = Number(process.argv[2] ?? 10_000);
const pairs = Number(process.argv[3] ?? 4);
const tf = await loadTf();
const x = tf.randomNormal([512, 32], 0, 1, "float32", 1);
const y = tf.sum(tf.square(x), 1, true);
const projectDir = mkdtempSync(join(tmpdir(), "labnote-bench-watch-"));

/** A display that serialises what a kernel would send (live charts included) and drops it. */
function serializingDisplay(): Display {
  const send = (data: unknown): void => void JSON.stringify(data);
  const handle = (): DisplayHandle => ({ displayId: "bench", bundle: send, html: send, markdown: send, text: send, json: send, svg: send, vegaLite: async (spec) => send(spec) });
  return Object.assign((value: unknown) => send(String(value)), { bundle: send, html: send, markdown: send, svg: send, png: send, jpeg: send, json: send, text: send, raw: (_mime: string, data: unknown) => send(data), vegaLite: async (spec: object) => send(spec), handle });
}

function model() {
  const m = tf.sequential();
  m.add(tf.layers.dense({ units: 64, inputShape: [32], activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }));
  m.add(tf.layers.dense({ units: 64, activation: "relu", kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }));
  m.add(tf.layers.dense({ units: 1, kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }));
  return m;
}

async function timed(watched: boolean): Promise<number> {
  const trained = model();
  const optimizer = tf.train.adam(0.001);
  const started = process.cpuUsage();
  const run = watched ? track.start({ name: "bench-watch", projectDir, display: serializingDisplay() }) : undefined;
  await trainLoop({ model: trained, loss: "meanSquaredError", optimizer, data: { x, y }, batchSize: 32, steps, progress: false, ...(run ? { run } : { gradientNormEvery: 0, probeEvery: 0 }) });
  await run?.end();
  const used = process.cpuUsage(started);
  trained.dispose();
  optimizer.dispose();
  return (used.user + used.system) / 1e6;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log(`machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
console.log(`backend ${tf.getBackend()}, MLP 32-64-64-1, batch 32, Adam, ${steps} steps, ${pairs} interleaved pairs: no run vs a tracked run with everything on`);
await timed(false); // warm-up both ways
await timed(true);
const ratios: number[] = [];
for (let pair = 0; pair < pairs; pair++) {
  const order = pair % 2 === 0 ? [false, true] : [true, false];
  const seconds: Record<string, number> = {};
  for (const watched of order) seconds[String(watched)] = await timed(watched);
  const ratio = seconds["true"]! / seconds["false"]!;
  ratios.push(ratio);
  console.log(`pair ${pair + 1}: off ${seconds["false"]!.toFixed(2)} s, on ${seconds["true"]!.toFixed(2)} s CPU → ${ratio.toFixed(3)}× (load ${loadavg()[0]!.toFixed(2)})`);
}
console.log(`watched / unwatched CPU time: median ${median(ratios).toFixed(3)}× (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}); target ≤ 1.03×`);
