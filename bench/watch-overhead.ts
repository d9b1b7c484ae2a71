// What watching costs a real training loop (issue 15's Must reach): the same trainLoop, 10,000 steps, with no run
// (nothing watched) and with a tracked run that has everything on — per-layer and global gradient norms and the model
// probe (dead units, weight norms) every 100 steps, the trivial-baseline loss, the learning rate every step, system
// metrics every second and every anomaly detector. Time is this process's CPU time (user + system), which other jobs
// on a shared machine disturb less than wall time — but not nothing: on this 2-core machine under load a run's CPU
// time per step swings by ±20% with its neighbours (cache and core contention), over seconds to minutes. So:
// - WARMUP pairs first (default 1, both sides), not counted: V8 and the wasm kernels warm up over the first runs;
// - each timed run ends, inside its clock, with 200 ms for what it left running (the tracked run's background
//   writes) and a full GC, so it pays for its own garbage and no run pays for the one before it (before, the runs
//   after a watched run collected its series and chart garbage: the unwatched side paid for some of the watching);
// - PAIRS pairs (default 8) in ABBA order (off-on, on-off, …); each block of two pairs gives Σon / Σoff, which cancels
//   a load that drifts linearly over the block; reported beside the plain pair ratios, the ratio of the fastest runs
//   (contention only ever adds time) and the ratio of the totals;
// - beside each run's CPU time, its main thread's and its other threads' (from /proc/self/task) and its main-thread
//   GC pauses (V8's gc performance entries): where a difference goes;
// - the watched runs' warnings are listed at the end (a healthy run must have none).
// Usage: tsx bench/watch-overhead.ts [STEPS] [PAIRS] [WARMUP]
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import { join } from "node:path";
import { track } from "../magics/track/index.js";
import { loadTf } from "../training/index.js";
import { blockRatios, geometricMeanCi, interleavedPairs, machineLine, median, serializingDisplay, settle, squareSumData, threadCpuSeconds, timedTraining } from "./helpers.js";

const steps = Number(process.argv[2] ?? 10_000);
const pairs = Number(process.argv[3] ?? 8);
const warmupPairs = Number(process.argv[4] ?? 1);
const tf = await loadTf();
const data = squareSumData(tf);
const projectDir = mkdtempSync(join(tmpdir(), "labnote-bench-watch-"));

const warnings = new Map<string, number>();
// Main-thread GC pauses (V8's gc entries), summed per run: where a side's extra CPU time goes, if into collecting.
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ["gc"] });
const lastGcMs = { off: 0, on: 0 };
const gcTotals = { off: 0, on: 0 };
// Main thread vs the other threads (GC helpers, compilers, the store's writer), per run, from /proc.
const lastThreads = { off: { main: 0, others: 0 }, on: { main: 0, others: 0 } };
const threadTotals = { off: { main: 0, others: 0 }, on: { main: 0, others: 0 } };

/** CPU seconds of one trainLoop: with no run (nothing watched), or with a tracked run that has everything on. */
const timed = (watched: boolean): Promise<number> =>
  timedTraining(
    tf,
    data,
    { steps },
    async (train) => {
      const gcBefore = gcMs;
      const threadsBefore = threadCpuSeconds();
      if (watched) {
        const run = track.start({ name: "bench-watch", projectDir, display: serializingDisplay() });
        await train({ run });
        await run.end();
        for (const kind of run.warnings) warnings.set(kind, (warnings.get(kind) ?? 0) + 1);
      } else await train({ gradientNormEvery: 0, probeEvery: 0 });
      await settle(); // inside the clock: this run's background work and garbage are its own
      await new Promise((resolve) => setTimeout(resolve, 20)); // the GC entries of the settle are delivered
      lastGcMs[watched ? "on" : "off"] = gcMs - gcBefore;
      const threadsAfter = threadCpuSeconds();
      if (threadsBefore && threadsAfter) lastThreads[watched ? "on" : "off"] = { main: threadsAfter.main - threadsBefore.main, others: threadsAfter.others - threadsBefore.others };
    },
    () => settle(),
  );

const range = (values: number[]): string => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
const load = (): string => loadavg()[0]!.toFixed(2);
console.log(machineLine());
console.log(`backend ${tf.getBackend()}, MLP 32-64-64-1, batch 32, Adam, ${steps} steps, ${warmupPairs} warm-up + ${pairs} measured pairs in ABBA order: no run vs a tracked run with everything on`);
await interleavedPairs(warmupPairs, () => timed(false), () => timed(true), ({ index, off, on }) =>
  console.log(`warm-up pair ${index + 1} (not counted): off ${off.toFixed(2)} s, on ${on.toFixed(2)} s CPU → ${(on / off).toFixed(3)}× (load ${load()})`),
);
const measured = await interleavedPairs(pairs, () => timed(false), () => timed(true), ({ index, off, on, offFirst }) => {
  gcTotals.off += lastGcMs.off;
  gcTotals.on += lastGcMs.on;
  for (const side of ["off", "on"] as const) {
    threadTotals[side].main += lastThreads[side].main;
    threadTotals[side].others += lastThreads[side].others;
  }
  console.log(
    `pair ${index + 1} (${offFirst ? "off first" : "on first"}): off ${off.toFixed(2)} s, on ${on.toFixed(2)} s CPU → ${(on / off).toFixed(3)}× ` +
      `(main thread ${lastThreads.off.main.toFixed(2)} / ${lastThreads.on.main.toFixed(2)} s, other threads ${lastThreads.off.others.toFixed(2)} / ${lastThreads.on.others.toFixed(2)} s; ` +
      `GC pauses ${lastGcMs.off.toFixed(0)} / ${lastGcMs.on.toFixed(0)} ms; load ${load()})`,
  );
});
const ratios = measured.map(({ off, on }) => on / off);
const blocks = blockRatios(measured);
const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
console.log(`watched / unwatched CPU time: median ${median(ratios).toFixed(3)}× (${range(ratios)}); target ≤ 1.03×`);
if (blocks.length > 0) console.log(`ABBA blocks (Σon / Σoff of pairs 1+2, 3+4, …): ${blocks.map((ratio) => ratio.toFixed(3)).join(" ")}; median ${median(blocks).toFixed(3)}× (${range(blocks)})`);
const ci = geometricMeanCi(ratios);
if (ci) console.log(`geometric mean of the pair ratios: ${ci.mean.toFixed(3)}× (95% CI ${ci.low.toFixed(3)}–${ci.high.toFixed(3)}, t on the logs)`);
console.log(
  `fastest on / fastest off: ${(Math.min(...measured.map(({ on }) => on)) / Math.min(...measured.map(({ off }) => off))).toFixed(3)}×; ` +
    `total on / total off: ${(sum(measured.map(({ on }) => on)) / sum(measured.map(({ off }) => off))).toFixed(3)}×; load ${load()}`,
);
console.log(`main-thread GC pauses: off ${(gcTotals.off / 1000).toFixed(2)} s, on ${(gcTotals.on / 1000).toFixed(2)} s in all (${((gcTotals.off / 1000 / sum(measured.map(({ off }) => off))) * 100).toFixed(1)}% and ${((gcTotals.on / 1000 / sum(measured.map(({ on }) => on))) * 100).toFixed(1)}% of each side's CPU time)`);
if (threadTotals.off.main > 0) {
  console.log(
    `main thread: on / off ${(threadTotals.on.main / threadTotals.off.main).toFixed(3)}× (${threadTotals.off.main.toFixed(1)} / ${threadTotals.on.main.toFixed(1)} s); ` +
      `other threads: off ${threadTotals.off.others.toFixed(1)} s, on ${threadTotals.on.others.toFixed(1)} s in all`,
  );
}
console.log(`warnings on the ${warmupPairs + pairs} watched runs: ${warnings.size === 0 ? "none" : [...warnings].map(([kind, count]) => `${kind} ×${count}`).join(", ")}`);
