// What watching gradients costs trainLoop: the same MLP trained for the same steps with gradient norms off and on
// (global + per layer every N steps, and clipNorm every step), interleaved in one process (off-on, then on-off) so
// load drifts hit both. Time is this process's CPU time (user + system): on a shared, loaded machine wall time
// mostly measures the neighbours. Prints each pair and the median slowdown.
// Usage: tsx bench/gradient-norms.ts [STEPS] [PAIRS] [EVERY]
import { loadTf } from "../training/index.js";
import { interleavedPairs, median, squareSumData, timedTraining } from "./helpers.js";

const steps = Number(process.argv[2] ?? 2000);
const pairs = Number(process.argv[3] ?? 3);
const every = Number(process.argv[4] ?? 100);
const tf = await loadTf();
const data = squareSumData(tf);
const run = { log: () => undefined };

const timed = (extra: { gradientNormEvery: number; clipNorm?: number }): Promise<number> => timedTraining(tf, data, { steps, run, ...extra });

console.log(`backend ${tf.getBackend()}, MLP 32-64-64-1, batch 32, ${steps} steps, ${pairs} interleaved pairs`);
await timed({ gradientNormEvery: 0 }); // warm-up
for (const [label, on] of [
  [`norms every ${every} steps`, { gradientNormEvery: every }],
  ["clipNorm 1 every step + norms every step", { gradientNormEvery: 1, clipNorm: 1 }],
] as const) {
  const measured = await interleavedPairs(pairs, () => timed({ gradientNormEvery: 0 }), () => timed(on), ({ off, on: with_ }) =>
    console.log(`  ${label}: off ${off.toFixed(2)} s, on ${with_.toFixed(2)} s CPU, ratio ${(with_ / off).toFixed(3)}`),
  );
  const ratios = measured.map(({ off, on: with_ }) => with_ / off);
  console.log(`${label}: median slowdown ${((median(ratios) - 1) * 100).toFixed(1)}%`);
}
