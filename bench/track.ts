// npm run bench:track — tracking overheads and guarantees, each against an anchor measured in the same run:
//   1. run.log calls/s in a tight loop (single scalar) vs the same loop writing into a Float64Array
//   2. a 10,000-step tfjs training loop (tiny MLP, cpu backend) with tracking on vs off (target ≤ 1.02×): medians of
//      interleaved rounds (BENCH_TRACK_ROUNDS, default 7), wall and CPU time
//   3. a 1M-point series → chart spec (target < 50 ms)
//   4. `%track runs --where … --sort …` over 10,000 stored runs (target < 200 ms)
//   5. two processes into one SQLite store, eight into one PostgreSQL store: points lost (target 0)
// Child mode (used by 5): tsx bench/track.ts --child PROJECT_DIR NAME STEPS
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { track } from "../magics/track/index.js";
import { median, serializingDisplay } from "./helpers.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (value: number, digits = 1) => value.toLocaleString("en-US", { maximumFractionDigits: digits });

async function child(projectDir: string, name: string, steps: number): Promise<void> {
  const run = track.start({ name, projectDir, systemIntervalMs: 0, captureEnvironment: false });
  await run.ready;
  for (let step = 0; step < steps; step++) {
    run.log({ loss: 1 / (step + 1), acc: step / steps }, { step, split: "train" });
    if (step % 2000 === 1999) await sleep(1); // a training loop yields now and then (data loading, fit callbacks)
  }
  await run.end();
}

async function logThroughput(projectDir: string): Promise<void> {
  const calls = 3_000_000;
  const anchor = new Float64Array(calls);
  let started = performance.now();
  for (let i = 0; i < calls; i++) anchor[i] = i * 1e-6;
  const anchorRate = calls / ((performance.now() - started) / 1000);
  // "thread": the default for SQLite/PostgreSQL, flushed from inside the loop to a writer thread;
  // "inline": LABNOTE_TRACK_WRITER=inline, flushed on this thread whenever the loop yields.
  for (const writer of ["thread", "inline"] as const) {
    process.env.LABNOTE_TRACK_WRITER = writer;
    const run = track.start({ name: `bench-log-${writer}`, projectDir, systemIntervalMs: 0, captureEnvironment: false, anomalies: false });
    await run.ready;
    const rates: number[] = [];
    for (let repeat = 0; repeat < 3; repeat++) {
      started = performance.now();
      for (let i = 0; i < calls; i++) run.log({ loss: i * 1e-6 });
      rates.push(calls / ((performance.now() - started) / 1000));
      await sleep(5);
    }
    started = performance.now();
    await run.end();
    const endMs = performance.now() - started;
    const rate = median(rates);
    console.log(
      `run.log (${writer} writer): ${fmt(rate, 0)} calls/s (median of 3 × 3M single-scalar calls, target ≥ 1,000,000; ` +
        `a bare Float64Array write loop: ${fmt(anchorRate, 0)}/s, ${fmt(anchorRate / rate, 1)}×); end() waited ${fmt(endMs / 1000, 2)} s until all ${fmt(3 * calls, 0)} points were stored`,
    );
  }
  delete process.env.LABNOTE_TRACK_WRITER;
}

async function tfjsOverhead(projectDir: string): Promise<void> {
  const tf = await import("@tensorflow/tfjs");
  await tf.setBackend("cpu");
  const x = tf.randomNormal([32, 8], 0, 1, "float32", 1);
  const y = tf.randomNormal([32, 1], 0, 1, "float32", 2);
  const steps = 10_000;
  // Returns [wall ms, CPU ms of this process]: CPU time is far less disturbed by other processes on a shared machine.
  const trainOnce = async (tracked: boolean): Promise<[number, number]> => {
    const w1 = tf.variable(tf.randomNormal([8, 16], 0, 0.3, "float32", 3));
    const w2 = tf.variable(tf.randomNormal([16, 1], 0, 0.3, "float32", 4));
    const optimizer = tf.train.sgd(0.01);
    // The clock covers the whole run: start (store record, environment capture), every step, and end() (all stored).
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const run = tracked ? track.start({ name: "bench-tfjs", projectDir, captureEnvironment: true, display: serializingDisplay() }) : undefined;
    for (let step = 0; step < steps; step++) {
      const loss = optimizer.minimize(() => tf.losses.meanSquaredError(y, tf.matMul(tf.relu(tf.matMul(x, w1)), w2)) as import("@tensorflow/tfjs").Scalar, true)!;
      const value = loss.dataSync()[0];
      loss.dispose();
      run?.log({ loss: value }, { step, split: "train" });
      if (step % 100 === 99) await new Promise((resolve) => setImmediate(resolve)); // let timers (flush, sampler) run
    }
    await run?.end();
    const elapsed = performance.now() - started;
    const cpu = process.cpuUsage(cpuStarted);
    w1.dispose();
    w2.dispose();
    optimizer.dispose();
    return [elapsed, (cpu.user + cpu.system) / 1000];
  };
  // Warm-up both ways (the JIT settles over the first runs; the first tracked run starts the store's writer thread).
  for (let warmUp = 0; warmUp < 2; warmUp++) {
    await trainOnce(false);
    await trainOnce(true);
  }
  const rounds = Number(process.env.BENCH_TRACK_ROUNDS ?? 7);
  const off: Array<[number, number]> = [];
  const on: Array<[number, number]> = [];
  const pairRatios: Array<[number, number]> = [];
  // Interleaved rounds, the order alternating so a drift in machine load hits both sides alike.
  for (let round = 0; round < rounds; round++) {
    const [first, second] = round % 2 === 0 ? [false, true] : [true, false];
    const a = await trainOnce(first);
    const b = await trainOnce(second);
    const [tracked, plain] = first ? [a, b] : [b, a];
    on.push(tracked);
    off.push(plain);
    pairRatios.push([tracked[0] / plain[0], tracked[1] / plain[1]]);
  }
  const mid = (values: Array<[number, number]>, index: 0 | 1) => median(values.map((value) => value[index]));
  const perStepUs = ((mid(on, 1) - mid(off, 1)) * 1000) / steps;
  console.log(
    `tfjs ${fmt(steps, 0)} steps (cpu backend), tracking on (store, system metrics, environment, anomaly checks, live charts serialised as a kernel would) vs off, medians of ${rounds} interleaved rounds (target ≤ 1.02×): ` +
      `CPU time ${fmt(mid(on, 1) / 1000, 3)} s / ${fmt(mid(off, 1) / 1000, 3)} s = ${fmt(mid(on, 1) / mid(off, 1), 3)}× (median per-round ratio ${fmt(mid(pairRatios, 1), 3)}×, ${fmt(perStepUs, 2)} µs per step); ` +
      `wall ${fmt(mid(on, 0) / 1000, 3)} s / ${fmt(mid(off, 0) / 1000, 3)} s = ${fmt(mid(on, 0) / mid(off, 0), 3)}× (median per-round ratio ${fmt(mid(pairRatios, 0), 3)}×; ` +
      `fastest ${fmt(Math.min(...on.map((value) => value[0])) / Math.min(...off.map((value) => value[0])), 3)}×; load average ${fmt((await import("node:os")).loadavg()[0], 1)})`,
  );
}

async function specTime(): Promise<void> {
  const { buildRunChartSpec } = await import("../widgets/charts/metric-panels.js");
  const n = 1_000_000;
  const steps = Float64Array.from({ length: n }, (_, i) => i);
  const values = Float64Array.from({ length: n }, (_, i) => Math.exp(-i / 2e5) + 0.05 * Math.sin(i));
  const scanStarted = performance.now();
  let low = Infinity;
  let high = -Infinity;
  for (let i = 0; i < n; i++) {
    if (values[i] < low) low = values[i];
    if (values[i] > high) high = values[i];
  }
  const scanMs = performance.now() - scanStarted;
  const times: number[] = [];
  for (let repeat = 0; repeat < 7; repeat++) {
    const started = performance.now();
    buildRunChartSpec([{ key: "loss", split: "train", steps, values }]);
    times.push(performance.now() - started);
  }
  console.log(`1M-point series → Vega-Lite spec: ${fmt(median(times), 2)} ms (median of 7, target < 50 ms; ${fmt(median(times) / scanMs, 1)}× one min/max pass over the series, ${fmt(scanMs, 2)} ms, range ${fmt(low, 2)}…${fmt(high, 2)})`);
}

async function runsQuery(): Promise<void> {
  const projectDir = mkdtempSync(join(tmpdir(), "labnote-bench-runs-"));
  const { getStore, closeSharedStores } = await import("../store/index.js");
  const store = await getStore(projectDir);
  const total = 10_000;
  let started = performance.now();
  for (let i = 0; i < total; i++) {
    await store.createRun({
      name: `run-${i % 500}`, status: "finished", params: { lr: 10 ** -(1 + (i % 4)), width: 16 << (i % 4) }, tags: i % 2 ? ["mlp"] : ["cnn"],
      summary: { "val.acc": (i % 97) / 97, "train.loss": 1 / (1 + (i % 13)), wall_time_s: 3 }, env: { node: process.version }, startedAt: Date.now() - i * 1000, endedAt: Date.now(),
    });
  }
  const fillS = (performance.now() - started) / 1000;
  const { magics } = await import("../magics/track/command.js");
  const runs = magics[0].subcommands!.runs;
  const ctx = { session: { projectDir } } as unknown as import("../magics/types.js").MagicContext;
  const args = { options: { where: "params.lr < 0.01 and val.acc > 0.9", sort: "-val.acc", limit: 20 }, positionals: {}, rest: "", body: "" };
  const times: number[] = [];
  let shown = 0;
  for (let repeat = 0; repeat < 5; repeat++) {
    started = performance.now();
    const result = (await runs.run(args, ctx)) as { data: { total: number } };
    times.push(performance.now() - started);
    shown = result.data.total;
  }
  started = performance.now();
  await store.findRuns({});
  const loadMs = performance.now() - started;
  console.log(`%track runs --where … --sort -val.acc over ${fmt(total, 0)} SQLite runs: ${fmt(median(times), 1)} ms (median of 5, ${shown} match; target < 200 ms; anchor: store.findRuns() alone ${fmt(loadMs, 1)} ms; filling took ${fmt(fillS, 1)} s)`);
  await closeSharedStores();
}

function spawnChild(projectDir: string, name: string, steps: number, env: NodeJS.ProcessEnv): Promise<number | null> {
  const child = spawn(process.execPath, ["--import", "tsx", new URL(import.meta.url).pathname, "--child", projectDir, name, String(steps)], { stdio: ["ignore", "inherit", "inherit"], env });
  return new Promise((resolve) => child.once("exit", (code) => resolve(code)));
}

async function concurrentWriters(kind: "sqlite" | "postgres", processes: number, steps: number, location: string): Promise<void> {
  const projectDir = mkdtempSync(join(tmpdir(), `labnote-bench-${kind}-`));
  const env = { ...process.env, LABNOTE_STORE: location };
  const tag = `bench-${kind}-${Date.now()}`;
  const started = performance.now();
  const codes = await Promise.all(Array.from({ length: processes }, (_, i) => spawnChild(projectDir, `${tag}-${i}`, steps, env)));
  const seconds = (performance.now() - started) / 1000;
  const { openStore } = await import("../store/index.js");
  const store = await openStore(projectDir, { location });
  let stored = 0;
  for (let i = 0; i < processes; i++) {
    const [run] = await store.findRuns({ name: `${tag}-${i}` });
    if (run) stored += (await store.getMetrics(run.id)).filter((point) => point.split === "train").length;
  }
  await store.close();
  const expected = processes * steps * 2;
  console.log(`${processes} processes → one ${kind} store: ${fmt(stored, 0)} of ${fmt(expected, 0)} points stored, ${expected - stored} lost (exit codes ${codes.join(",")}; ${fmt(seconds, 1)} s, ${fmt(expected / seconds, 0)} points/s)`);
}

async function postgresUrl(): Promise<{ url: string; stop?: () => void } | undefined> {
  if (process.env.LABNOTE_TEST_PG) return { url: process.env.LABNOTE_TEST_PG };
  try {
    const output = execFileSync("bash", ["scripts/pg.sh", "start"], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    const url = /LABNOTE_TEST_PG=['"]?([^'"\n]+)/.exec(output)?.[1];
    const dir = /LABNOTE_TEST_PG_DIR=['"]?([^'"\n]+)/.exec(output)?.[1];
    if (!url) return undefined;
    return { url, stop: () => void execFileSync("bash", ["scripts/pg.sh", "stop", dir ?? ""], { stdio: "ignore" }) };
  } catch (error) {
    console.log(`PostgreSQL unavailable (${error instanceof Error ? error.message.split("\n")[0] : String(error)}): set LABNOTE_TEST_PG=postgres://… to measure it.`);
    return undefined;
  }
}

async function main(): Promise<void> {
  if (process.argv[2] === "--child") {
    await child(process.argv[3], process.argv[4], Number(process.argv[5]));
    return;
  }
  const only = process.argv.slice(2);
  const want = (name: string) => only.length === 0 || only.includes(name);
  const projectDir = mkdtempSync(join(tmpdir(), "labnote-bench-track-"));
  process.env.LABNOTE_STORE = "";
  if (want("log")) await logThroughput(projectDir);
  if (want("spec")) await specTime();
  if (want("tfjs")) await tfjsOverhead(projectDir);
  if (want("runs")) await runsQuery();
  if (want("sqlite")) await concurrentWriters("sqlite", 2, 50_000, "");
  if (want("postgres")) {
    const pg = await postgresUrl();
    if (pg) {
      try {
        await concurrentWriters("postgres", 8, 20_000, pg.url);
      } finally {
        pg.stop?.();
      }
    }
  }
  const { closeSharedStores } = await import("../store/index.js");
  await closeSharedStores();
}

await main();
