// What trainLoop's model probe costs (dead units per ReLU layer + weight norms per layer, every N steps, plus the
// trivial-baseline loss once): the same MLP trained for the same steps with the probe off and on, interleaved in one
// process (off-on, then on-off) so load drifts hit both. Time is this process's CPU time (user + system), as in
// bench/gradient-norms.ts. Prints each pair and the median slowdown.
// Usage: tsx bench/model-probe.ts [STEPS] [PAIRS] [EVERY]
import { loadTf } from "../training/index.js";
import { interleavedPairs, median, squareSumData, timedTraining } from "./helpers.js";

const steps = Number(process.argv[2] ?? 2000);
const pairs = Number(process.argv[3] ?? 4);
const every = Number(process.argv[4] ?? 100);
const tf = await loadTf();
const data = squareSumData(tf);
const run = { log: () => undefined };

const timed = (probeEvery: number): Promise<number> => timedTraining(tf, data, { steps, run, gradientNormEvery: 0, probeEvery });

console.log(`backend ${tf.getBackend()}, MLP 32-64-64-1, batch 32, ${steps} steps, probe every ${every} steps, ${pairs} interleaved pairs`);
await timed(0); // warm-up
const measured = await interleavedPairs(pairs, () => timed(0), () => timed(every), ({ off, on }) => console.log(`  off ${off.toFixed(2)} s, on ${on.toFixed(2)} s CPU, ratio ${(on / off).toFixed(3)}`));
const ratios = measured.map(({ off, on }) => on / off);
const totalOff = measured.reduce((sum, { off }) => sum + off, 0);
const totalOn = measured.reduce((sum, { on }) => sum + on, 0);
console.log(`probe every ${every} steps: median slowdown ${((median(ratios) - 1) * 100).toFixed(1)}%, total CPU on/off ${((totalOn / totalOff - 1) * 100).toFixed(1)}%`);
