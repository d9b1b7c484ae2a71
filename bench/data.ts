// bench:data — labnote's dataset() against tf.data.csv (TensorFlow.js's own reader) on the same CSV files, in the
// same process: throughput ratio, the cost of hashing while reading, and the peak RSS of one streaming epoch (each
// in a fresh child process) for every file size. Data files are generated under --dir (default /tmp); nothing is
// committed.
//   npm run bench:data -- [--sizes 200M,2G] [--repeats 3] [--dir /tmp/labnote-bench-data] [--anchor-rows N]
//                          [--hash-rows N]
// tf.data.csv is slow (tens of thousands of rows a second on this machine), so the throughput ratio is taken on the
// file's first --anchor-rows rows (default 300,000), both readers on the same rows; the hashing cost on whole passes
// (files over 256 MB: the first --hash-rows rows, default 2,000,000); the peak RSS on a whole epoch.
import { execFileSync, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from "node:fs";
import { availableParallelism, cpus, loadavg, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { dataset, loadTf, switchBackend } from "../training/index.js";
import type { Tf } from "../training/index.js";

const FEATURES = 10;
const BATCH = 256;

interface Args {
  sizes: number[];
  repeats: number;
  dir: string;
  anchorRows: number;
  hashRows: number;
  child: string | undefined;
}

function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)([KMG]?)B?$/i.exec(text.trim());
  if (!match) throw new Error(`bench:data: cannot read the size "${text}" (use e.g. 200M or 2G).`);
  const unit = { "": 1, K: 1e3, M: 1e6, G: 1e9 }[match[2]!.toUpperCase() as "" | "K" | "M" | "G"];
  return Math.round(Number(match[1]) * unit);
}

function parseArgs(argv: string[]): Args {
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(name);
    return index === -1 ? undefined : argv[index + 1];
  };
  return {
    sizes: (value("--sizes") ?? "200M").split(",").map(parseSize),
    repeats: Number(value("--repeats") ?? 3),
    dir: value("--dir") ?? "/tmp/labnote-bench-data",
    anchorRows: Number(value("--anchor-rows") ?? 300_000),
    hashRows: Number(value("--hash-rows") ?? 2_000_000),
    child: value("--child"),
  };
}

/** A CSV of `bytes` bytes (to the row): FEATURES float columns and a 0/1 label, deterministic. */
function ensureCsv(dir: string, bytes: number): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `bench-${bytes}.csv`);
  if (existsSync(path) && statSync(path).size >= bytes) return path;
  const fd = openSync(path, "w");
  let state = 12345;
  const next = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  let written = writeSync(fd, `${[...Array(FEATURES).keys()].map((index) => `f${index}`).join(",")},y\n`);
  while (written < bytes) {
    const lines: string[] = [];
    for (let row = 0; row < 10_000; row++) {
      const values: string[] = [];
      let sum = 0;
      for (let column = 0; column < FEATURES; column++) {
        const value = next() * 2 - 1;
        sum += value;
        values.push(value.toFixed(6));
      }
      values.push(sum > 0 ? "1" : "0");
      lines.push(values.join(","));
    }
    written += writeSync(fd, `${lines.join("\n")}\n`);
  }
  closeSync(fd);
  return path;
}

interface Pass {
  rows: number;
  seconds: number;
  /** CPU seconds of the whole process (every thread), less sensitive than wall time to other work on the machine. */
  cpuSeconds: number;
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** tf.data.csv → {xs, ys} → batch(BATCH): the reader tfjs ships, used as its docs show. */
async function tfDataPass(tf: Tf, path: string, rowLimit: number | undefined): Promise<Pass> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let source = tf.data.csv(`file://${path}`, { columnConfigs: { y: { isLabel: true } } });
  if (rowLimit !== undefined) source = source.take(rowLimit);
  const batches = source
    .map((row) => {
      const { xs, ys } = row as unknown as { xs: Record<string, number>; ys: Record<string, number> };
      return { xs: Object.values(xs), ys: Object.values(ys) };
    })
    .batch(BATCH);
  let rows = 0;
  await batches.forEachAsync((batch) => {
    const { xs, ys } = batch as unknown as { xs: import("@tensorflow/tfjs").Tensor; ys: import("@tensorflow/tfjs").Tensor };
    rows += xs.shape[0]!;
    tf.dispose([xs, ys]);
  });
  return { rows, seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSecondsSince(cpu) };
}

async function labnotePass(path: string, rowLimit: number | undefined, hash: boolean): Promise<Pass> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  const ds = dataset(path, { label: "y", batchSize: BATCH, shuffle: false, hash });
  let rows = 0;
  for await (const { x, y } of ds) {
    rows += x.shape[0];
    x.dispose();
    y.dispose();
    if (rowLimit !== undefined && rows >= rowLimit) break;
  }
  return { rows, seconds: (performance.now() - started) / 1000, cpuSeconds: cpuSecondsSince(cpu) };
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const spread = (values: number[]): string => `${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)}`;

/** Child mode: one streaming epoch with the default shuffle buffer, then peak RSS. */
async function childEpoch(path: string): Promise<void> {
  await switchBackend("cpu");
  const started = performance.now();
  const ds = dataset(path, { label: "y", batchSize: BATCH, seed: 1 });
  let rows = 0;
  for await (const { x, y } of ds) {
    rows += x.shape[0];
    x.dispose();
    y.dispose();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(JSON.stringify({ rows, seconds, maxRssMB: process.resourceUsage().maxRSS / 1024, sha256: ds.lastEpoch?.files[0]?.sha256 }));
}

function machineLine(): string {
  const [one, five] = loadavg();
  return `machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${one!.toFixed(2)}/${five!.toFixed(2)} (1/5 min), Node ${process.version}`;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.child) return childEpoch(args.child);
  const tf = await loadTf();
  await switchBackend("cpu");
  console.log(machineLine());
  console.log(`columns: ${FEATURES} float features + label; batch ${BATCH}; tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}`);
  for (const bytes of args.sizes) {
    const path = ensureCsv(args.dir, bytes);
    const size = statSync(path).size;
    const megabytes = size / 1e6;
    // (tf.data.csv reads the whole file into one Buffer first, with readFileSync, then parses the rows it is asked for.)
    const anchorRows = args.anchorRows;
    const hashRows = size > 256e6 ? args.hashRows : undefined;
    console.log(`\nfile ${path}: ${megabytes.toFixed(0)} MB; throughput compared on its first ${anchorRows} rows; hashing cost on ${hashRows ? `its first ${hashRows} rows` : "whole passes"}`);
    const ratios: number[] = [];
    const hashCosts: number[] = [];
    const hashCpuCosts: number[] = [];
    // Warm-up (JIT, worker start-up, page cache) on a prefix, not counted.
    await tfDataPass(tf, path, 20_000);
    await labnotePass(path, 200_000, true);
    await labnotePass(path, 200_000, false);
    for (let repeat = 0; repeat < args.repeats; repeat++) {
      const anchor = await tfDataPass(tf, path, anchorRows);
      const ours = await labnotePass(path, anchorRows, true);
      // Alternate which of the two goes first, so drift in the machine's load does not favour one.
      const first = await labnotePass(path, hashRows, repeat % 2 === 0);
      const second = await labnotePass(path, hashRows, repeat % 2 !== 0);
      const [hashed, unhashed] = repeat % 2 === 0 ? [first, second] : [second, first];
      const rate = (pass: Pass): number => pass.rows / pass.seconds;
      ratios.push(rate(ours) / rate(anchor));
      hashCosts.push(hashed.seconds / (unhashed.seconds * (hashed.rows / unhashed.rows)));
      hashCpuCosts.push(hashed.cpuSeconds / (unhashed.cpuSeconds * (hashed.rows / unhashed.rows)));
      console.log(
        `  repeat ${repeat + 1}: first ${anchorRows} rows: tf.data.csv ${(rate(anchor) / 1e3).toFixed(1)}k rows/s, dataset ${(rate(ours) / 1e3).toFixed(1)}k rows/s (hashed); ` +
          `${hashed.rows} rows: hashed ${hashed.seconds.toFixed(2)} s (${hashed.cpuSeconds.toFixed(2)} CPU s), unhashed ${unhashed.seconds.toFixed(2)} s (${unhashed.cpuSeconds.toFixed(2)} CPU s); load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
    console.log(`  throughput dataset / tf.data.csv: ${median(ratios).toFixed(2)}× median (${spread(ratios)} over ${args.repeats})`);
    console.log(`  hashing cost: time hashed / unhashed = ${median(hashCosts).toFixed(3)} median (${spread(hashCosts)}); CPU time hashed / unhashed = ${median(hashCpuCosts).toFixed(3)} median (${spread(hashCpuCosts)})`);
    const script = fileURLToPath(import.meta.url);
    const child = spawnSync(process.execPath, ["--import", "tsx", script, "--child", path], { encoding: "utf8", maxBuffer: 1 << 24 });
    if (child.status !== 0) throw new Error(`bench:data: the RSS child failed: ${child.stderr}`);
    const result = JSON.parse(child.stdout.trim().split("\n").pop()!) as { rows: number; seconds: number; maxRssMB: number; sha256: string };
    console.log(`  streaming epoch (fresh process, shuffle 10,000, hashed): ${result.rows} rows in ${result.seconds.toFixed(1)} s (${(megabytes / result.seconds).toFixed(0)} MB/s), peak RSS ${result.maxRssMB.toFixed(0)} MB`);
    const expected = execFileSync("sha256sum", [path], { encoding: "utf8" }).split(" ")[0];
    console.log(`  hash recorded while streaming ${result.sha256 === expected ? "equals" : "DIFFERS FROM"} sha256sum's`);
  }
}

await main();
