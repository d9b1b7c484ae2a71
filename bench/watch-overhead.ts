// What watching costs a real training loop (issue 15's Must reach): the same trainLoop, 10,000 steps, with no run
// (nothing watched) and with a tracked run that has everything on — per-layer and global gradient norms and the model
// probe (dead units, weight norms) every 100 steps, the trivial-baseline loss, the learning rate every step, system
// metrics every second and every anomaly detector. Interleaved in one process (off-on, then on-off) so load drifts hit
// both; time is this process's CPU time (user + system), which other jobs on a shared machine disturb far less than
// wall time. Usage: tsx bench/watch-overhead.ts [STEPS] [PAIRS]
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { track } from "../magics/track/index.js";
import { loadTf } from "../training/index.js";
import { interleavedPairs, machineLine, median, serializingDisplay, squareSumData, timedTraining } from "./helpers.js";

const steps = Number(process.argv[2] ?? 10_000);
const pairs = Number(process.argv[3] ?? 4);
const tf = await loadTf();
const data = squareSumData(tf);
const projectDir = mkdtempSync(join(tmpdir(), "labnote-bench-watch-"));

/** CPU seconds of one trainLoop: with no run (nothing watched), or with a tracked run that has everything on. */
const timed = (watched: boolean): Promise<number> =>
  timedTraining(tf, data, { steps }, async (train) => {
    if (!watched) return train({ gradientNormEvery: 0, probeEvery: 0 });
    const run = track.start({ name: "bench-watch", projectDir, display: serializingDisplay() });
    await train({ run });
    await run.end();
  });

console.log(machineLine());
console.log(`backend ${tf.getBackend()}, MLP 32-64-64-1, batch 32, Adam, ${steps} steps, ${pairs} interleaved pairs: no run vs a tracked run with everything on`);
await timed(false); // warm-up both ways
await timed(true);
const measured = await interleavedPairs(pairs, () => timed(false), () => timed(true), ({ index, off, on }) =>
  console.log(`pair ${index + 1}: off ${off.toFixed(2)} s, on ${on.toFixed(2)} s CPU → ${(on / off).toFixed(3)}× (load ${loadavg()[0]!.toFixed(2)})`),
);
const ratios = measured.map(({ off, on }) => on / off);
console.log(`watched / unwatched CPU time: median ${median(ratios).toFixed(3)}× (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}); target ≤ 1.03×`);
