// What watching costs a training loop, measured in lockstep (issue 15's Must reach, same-process A/B). bench:watch
// times whole 10,000-step runs one after the other; on this shared 2-core VM a run's time swings ±10–20% with its
// neighbours over seconds to minutes, so its pair ratios scatter far more than the ≤ 3% to be shown. Here the two
// loops run *at the same time*, one step each in turn: two trainLoops of the same MLP on the same batches, one with no
// run (nothing watched), one with a tracked run that has everything on (global and per-layer gradient norms and the
// model probe, the trivial baseline, the learning rate every step, system metrics, every detector, a live chart). A
// baton passed between the two loops' data iterators lets exactly one step run at a time, so whatever slows the
// machine in a given millisecond slows a step of each loop alike, and 10,000 steps each average it out.
//
// Each loop is charged the wall time from the moment its batch is handed to it to the moment it asks for the next
// one: its step, its read-backs, and everything the run does on the main thread in between (logging, norms, probe,
// detectors, chart, system metrics — a wasm trainLoop never yields to the event loop, so that work runs inside
// these intervals, as in a real run). The watched loop's interval also covers starting its run before the first
// step and `run.end()` after the last. Making the batches (tf.slice) is outside both. What this leaves out, and
// prints separately: garbage collection pauses land in whichever loop allocates when V8 collects (the watched loop's
// extra garbage is shared between both), and the store's writer thread runs beside the main thread (its CPU time is
// compared with a control session's).
//
// A control session first runs two unwatched loops against each other: its ratio shows the method's own bias and
// spread (should be 1.000). Then SESSIONS sessions of unwatched vs watched, alternating which loop steps first.
// Usage: tsx bench/watch-lockstep.ts [STEPS] [SESSIONS] [WITHOUT]
// WITHOUT (for finding where the time goes): a comma list of what the watched run leaves off — norms, probe, system,
// anomalies, chart (the live chart's display), environment.
import { mkdtempSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { PerformanceObserver } from "node:perf_hooks";
import { join } from "node:path";
import { track } from "../magics/track/index.js";
import { loadTf, trainLoop } from "../training/index.js";
import { geometricMeanCi, machineLine, mlp, serializingDisplay, settle, squareSumData, threadCpuSeconds } from "./helpers.js";

const steps = Number(process.argv[2] ?? 10_000);
const sessions = Number(process.argv[3] ?? 6);
const without = new Set((process.argv[4] ?? "").split(",").filter(Boolean));
for (const part of without) if (!["norms", "probe", "system", "anomalies", "chart", "environment"].includes(part)) throw new Error(`unknown WITHOUT part ${part}`);
const tf = await loadTf();
const data = squareSumData(tf);
const rows = data.x.shape[0]!;
const batchSize = 32;
const projectDir = mkdtempSync(join(tmpdir(), "labnote-bench-lockstep-"));

// Main-thread GC pauses with their start times, to say how much of each loop's time went to collecting.
const gcPauses: Array<{ start: number; end: number }> = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, end: entry.startTime + entry.duration });
}).observe({ entryTypes: ["gc"] });

type Batch = { x: ReturnType<typeof tf.slice>; y: ReturnType<typeof tf.slice> };

/** One loop's side of the baton: its data iterator and its clock. */
interface Player {
  name: string;
  /** Wall ms charged to this loop; intervals [handed, asked]. */
  ms: number;
  intervals: Array<[number, number]>;
  handedAt: number | undefined;
  stepsTaken: number;
  waiting: ((batch: Batch) => void) | undefined;
  finished: boolean;
}

/**
 * Two players take turns: a player's `next()` closes its interval and hands the baton to the other, which gets its
 * batch and opens its own interval. When one has finished, the other runs alone. `begin()` opens a player's first
 * interval (before its run starts), `finish()` closes its last (after its run has ended).
 */
function lockstep(names: [string, string]) {
  const players: [Player, Player] = names.map((name) => ({ name, ms: 0, intervals: [], handedAt: undefined, stepsTaken: 0, waiting: undefined, finished: false })) as [Player, Player];
  let holder: 0 | 1 | undefined;
  const batchIndex = [0, 0];
  // Each epoch in a new order, the same for both loops (as trainLoop shuffles): unshuffled, Adam on this data has a
  // real instability near step 4,400 (the loss jumps from 2e-4 to 5), which the exploding-gradient check rightly flags.
  const epochs: Array<Batch | undefined> = [undefined, undefined];
  const batchesPerEpoch = Math.ceil(rows / batchSize);
  const makeBatch = (side: 0 | 1): Batch => {
    const index = batchIndex[side]!++;
    if (index % batchesPerEpoch === 0) {
      if (epochs[side]) tf.dispose([epochs[side]!.x, epochs[side]!.y]);
      const order = tf.tensor1d(shuffled(rows, index / batchesPerEpoch), "int32");
      epochs[side] = { x: tf.gather(data.x, order), y: tf.gather(data.y, order) };
      order.dispose();
    }
    const start = (index % batchesPerEpoch) * batchSize;
    const take = Math.min(batchSize, rows - start);
    return { x: tf.slice(epochs[side]!.x, start, take), y: tf.slice(epochs[side]!.y, start, take) };
  };
  const close = (side: 0 | 1): void => {
    const player = players[side];
    if (player.handedAt === undefined) return;
    const now = performance.now();
    player.ms += now - player.handedAt;
    player.intervals.push([player.handedAt, now]);
    player.handedAt = undefined;
  };
  const open = (side: 0 | 1): void => {
    players[side].handedAt = performance.now();
    holder = side;
  };
  /** Gives the baton to `side` if it is waiting for a batch. */
  const give = (side: 0 | 1): boolean => {
    const player = players[side];
    if (!player.waiting) return false;
    const resolve = player.waiting;
    player.waiting = undefined;
    const batch = makeBatch(side);
    open(side);
    resolve(batch);
    return true;
  };
  const iterable = (side: 0 | 1): AsyncIterable<Batch> => ({
    [Symbol.asyncIterator]: () => ({
      next: () => {
        close(side);
        const other = (1 - side) as 0 | 1;
        const promise = new Promise<Batch>((resolve) => (players[side].waiting = resolve));
        // The other loop's turn if it waits for one; this one goes on alone only once the other has finished (one
        // that is still starting its run hands the baton back at its first step).
        if (!give(other) && players[other].finished) give(side);
        return promise.then((value) => {
          players[side].stepsTaken++;
          return { value, done: false as const };
        });
      },
      return: async () => ({ value: undefined, done: true as const }),
    }),
  });
  return {
    players,
    iterable,
    /** Opens `side`'s first interval (before its run starts) once the other loop, if started, waits for its first batch or has finished. */
    begin: async (side: 0 | 1): Promise<void> => {
      while (holder !== undefined && holder !== side && !players[holder].waiting && !players[holder].finished) await new Promise<void>((resolve) => setImmediate(resolve));
      open(side);
    },
    finish: (side: 0 | 1): void => {
      close(side);
      if (epochs[side]) tf.dispose([epochs[side]!.x, epochs[side]!.y]);
      players[side].finished = true;
      holder = undefined;
      const other = (1 - side) as 0 | 1;
      give(other);
    },
  };
}

/**
 * Where the watched loop's extra time goes, step by step: interval j of a loop is its start (j = 0: the run's start and
 * trainLoop's preamble), then step j − 1 with what follows it before the next batch (the last one ends with the
 * final read-back and `run.end()`). Step k of both loops ran next to each other, so summing watched − unwatched over
 * a class of steps says what that class costs: steps that measure gradient norms (every 100th), read-back steps
 * (every 50th: losses, norms and the model probe logged, detectors, chart, system metrics), and the others.
 */
function attribution(watched: Array<[number, number]>, unwatched: Array<[number, number]>): Record<string, number> {
  const classes: Record<string, number> = { start: 0, "step 0": 0, "norm steps": 0, "read-back steps": 0, "other steps": 0, end: 0 };
  const last = Math.min(watched.length, unwatched.length) - 1;
  for (let j = 0; j <= last; j++) {
    const step = j - 1;
    const cls = j === 0 ? "start" : j === last ? "end" : step === 0 ? "step 0" : step % 100 === 0 ? "norm steps" : (step + 1) % 50 === 0 ? "read-back steps" : "other steps";
    classes[cls]! += watched[j]![1] - watched[j]![0] - (unwatched[j]![1] - unwatched[j]![0]);
  }
  return classes;
}

/** 0 … n − 1 in an order fixed by `seed` (Fisher–Yates over a 32-bit LCG). */
function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, index) => index);
  let state = (seed * 2654435761 + 1) >>> 0;
  for (let index = n - 1; index > 0; index--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const other = state % (index + 1);
    [order[index], order[other]] = [order[other]!, order[index]!];
  }
  return order;
}

/** GC pause ms inside a player's intervals. */
function gcInside(intervals: Array<[number, number]>): number {
  let total = 0;
  let g = 0;
  const pauses = [...gcPauses].sort((a, b) => a.start - b.start);
  for (const [start, end] of intervals) {
    while (g < pauses.length && pauses[g]!.end <= start) g++;
    for (let k = g; k < pauses.length && pauses[k]!.start < end; k++) total += Math.max(0, Math.min(end, pauses[k]!.end) - Math.max(start, pauses[k]!.start));
  }
  return total;
}

const warnings = new Map<string, number>();

/**
 * One session: loops `kinds[0]` and `kinds[1]` in lockstep ("off": no run; "on": a tracked run, everything watched).
 * The loop listed first takes the first step. Returns each loop's ms, steps and GC ms, and the other threads' CPU.
 */
async function session(kinds: ["off" | "on", "off" | "on"]): Promise<{ ms: [number, number]; gc: [number, number]; steps: [number, number]; otherThreadsS: number; intervals: [Array<[number, number]>, Array<[number, number]>] }> {
  const baton = lockstep(kinds.map((kind, side) => `${kind}${side}`) as [string, string]);
  gcPauses.length = 0;
  const models = [mlp(tf), mlp(tf)];
  const optimizers = [tf.train.adam(0.001), tf.train.adam(0.001)];
  const threadsBefore = threadCpuSeconds();
  const play = async (side: 0 | 1): Promise<void> => {
    await baton.begin(side);
    const watched = kinds[side] === "on";
    const run = watched
      ? track.start({
          name: "bench-lockstep",
          projectDir,
          display: without.has("chart") ? false : serializingDisplay(),
          ...(without.has("system") ? { systemIntervalMs: 0 } : {}),
          ...(without.has("anomalies") ? { anomalies: false } : {}),
          ...(without.has("environment") ? { captureEnvironment: false } : {}),
        })
      : undefined;
    await trainLoop({
      model: models[side]!,
      loss: "meanSquaredError",
      optimizer: optimizers[side]!,
      data: baton.iterable(side),
      steps,
      batchSize,
      progress: false,
      ...(watched ? { run, ...(without.has("norms") ? { gradientNormEvery: 0 } : {}), ...(without.has("probe") ? { probeEvery: 0 } : {}) } : { run: null, gradientNormEvery: 0, probeEvery: 0 }),
    });
    if (run) {
      await run.end();
      for (const kind of run.warnings) warnings.set(kind, (warnings.get(kind) ?? 0) + 1);
    }
    baton.finish(side);
  };
  await Promise.all([play(0), play(1)]);
  await settle();
  const threadsAfter = threadCpuSeconds();
  models.forEach((model) => model.dispose());
  optimizers.forEach((optimizer) => optimizer.dispose());
  const [a, b] = baton.players;
  return {
    ms: [a.ms, b.ms],
    gc: [gcInside(a.intervals), gcInside(b.intervals)],
    steps: [a.stepsTaken, b.stepsTaken],
    intervals: [a.intervals, b.intervals],
    otherThreadsS: threadsBefore && threadsAfter ? threadsAfter.others - threadsBefore.others : Number.NaN,
  };
}

const load = (): string => loadavg()[0]!.toFixed(2);
console.log(machineLine());
console.log(`backend ${tf.getBackend()}, MLP 32-64-64-1, batch ${batchSize}, Adam, ${steps} steps per loop, two loops in lockstep (one step each in turn); 1 warm-up + 1 control (unwatched vs unwatched) + ${sessions} sessions (unwatched vs watched, ${without.size === 0 ? "everything on" : `everything but ${[...without].join(", ")}`})`);
await session(["off", "on"]); // warm-up: V8 and the wasm kernels, the store's first open
const control = await session(["off", "off"]);
console.log(
  `control: unwatched ${(control.ms[0] / 1000).toFixed(2)} s vs unwatched ${(control.ms[1] / 1000).toFixed(2)} s → ${(control.ms[1] / control.ms[0]).toFixed(4)}× ` +
    `(steps ${control.steps.join("/")}; GC inside ${control.gc.map((ms) => ms.toFixed(0)).join(" / ")} ms; other threads ${control.otherThreadsS.toFixed(2)} s CPU; load ${load()})`,
);
const ratios: number[] = [];
const ratiosNoGc: number[] = [];
const extraThreads: number[] = [];
const where: Record<string, number> = {};
for (let index = 0; index < sessions; index++) {
  const offFirst = index % 2 === 0;
  const result = await session(offFirst ? ["off", "on"] : ["on", "off"]);
  const off = offFirst ? 0 : 1;
  const on = 1 - off;
  const ratio = result.ms[on]! / result.ms[off]!;
  const ratioNoGc = (result.ms[on]! - result.gc[on]!) / (result.ms[off]! - result.gc[off]!);
  ratios.push(ratio);
  ratiosNoGc.push(ratioNoGc);
  extraThreads.push(result.otherThreadsS - control.otherThreadsS);
  for (const [cls, ms] of Object.entries(attribution(result.intervals[on]!, result.intervals[off]!))) where[cls] = (where[cls] ?? 0) + ms / sessions;
  console.log(
    `session ${index + 1} (${offFirst ? "unwatched" : "watched"} steps first): unwatched ${(result.ms[off]! / 1000).toFixed(2)} s, watched ${(result.ms[on]! / 1000).toFixed(2)} s → ${ratio.toFixed(4)}× ` +
      `(without GC pauses ${ratioNoGc.toFixed(4)}×; GC inside ${result.gc[off]!.toFixed(0)} / ${result.gc[on]!.toFixed(0)} ms; steps ${result.steps[off]}/${result.steps[on]}; ` +
      `other threads ${result.otherThreadsS.toFixed(2)} s CPU, control ${control.otherThreadsS.toFixed(2)}; load ${load()})`,
  );
}
const ci = geometricMeanCi(ratios);
const ciNoGc = geometricMeanCi(ratiosNoGc);
const fmt = (c: { mean: number; low: number; high: number } | undefined, values: number[]): string =>
  c ? `${c.mean.toFixed(4)}× (95% CI ${c.low.toFixed(4)}–${c.high.toFixed(4)}, ${values.length} sessions, t on the logs)` : `${values[0]?.toFixed(4)}×`;
console.log(`watched / unwatched main-thread wall time: ${fmt(ci, ratios)}; target ≤ 1.03×`);
console.log(`the same without the GC pauses inside each loop's steps: ${fmt(ciNoGc, ratiosNoGc)}`);
const unwatchedMs = (control.ms[0] + control.ms[1]) / 2;
console.log(
  `where the watched loop's extra time goes (watched − unwatched, mean ms per session; % of an unwatched loop): ` +
    Object.entries(where)
      .map(([cls, ms]) => `${cls} ${ms.toFixed(0)} ms (${((ms / unwatchedMs) * 100).toFixed(2)}%)`)
      .join(", "),
);
const meanExtra = extraThreads.reduce((sum, value) => sum + value, 0) / Math.max(1, extraThreads.length);
console.log(`other threads (the store's writer, GC helpers): ${meanExtra >= 0 ? "+" : ""}${meanExtra.toFixed(2)} s CPU per session against the control session (${extraThreads.map((value) => value.toFixed(2)).join(", ")})`);
console.log(`warnings on the ${sessions + 1} watched runs: ${warnings.size === 0 ? "none" : [...warnings].map(([kind, count]) => `${kind} ×${count}`).join(", ")}`);
