// npm run bench:tune [-- --seeds 10 --first-seed 0 --trials 100 --functions a,b --samplers gp,tpe --no-optuna --no-timing --quick --optuna-results a.jsonl,b.jsonl]
// Median best value per sampler over seeds — ours and Optuna 3.1's (Debian python3-optuna, spawned via
// bench/tune_optuna.py in the same run) — then sampler time per trial at 100 and 1,000 trials.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createSampler } from "../magics/tune/registry.js";
import type { Sampler } from "../magics/tune/samplers/types.js";
import { Study } from "../magics/tune/study.js";
import { normalCdf } from "../magics/math/normal.js";
import { BENCH_FUNCTIONS, type BenchFunction } from "./tune-functions.js";

const PYTHON = "/usr/bin/python3";
const args = process.argv.slice(2);
const flag = (name: string): boolean => args.includes(`--${name}`);
const option = (name: string, fallback: string): string => {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] ? args[index + 1]! : fallback;
};
const quick = flag("quick");
const skipTiming = flag("no-timing");
const seeds = Number(option("seeds", quick ? "3" : "10"));
/** Seeds firstSeed … firstSeed + seeds − 1 (Optuna rows read from files are kept to the same seeds). */
const firstSeed = Number(option("first-seed", "0"));
const trials = Number(option("trials", "100"));
const functionNames = option("functions", BENCH_FUNCTIONS.map((f) => f.name).join(",")).split(",");
const ourSamplers = option("samplers", "gp,tpe,tpe-multivariate,random").split(",");
const optunaSamplers = ["tpe", "mtpe", "random"];
const functions = functionNames.map((name) => {
  const found = BENCH_FUNCTIONS.find((f) => f.name === name);
  if (!found) throw new Error(`Unknown function ${name}; known: ${BENCH_FUNCTIONS.map((f) => f.name).join(", ")}`);
  return found;
});

async function runOurs(fn: BenchFunction, samplerName: string, seed: number, count: number): Promise<{ best: number; cpuMs: number; samplerWallMs: number }> {
  const study = await Study.open({ name: `${fn.name}-${samplerName}-${seed}`, sampler: createSampler(samplerName), seed });
  const start = process.cpuUsage();
  const summary = await study.optimize((trial) => fn.objective(trial, seed), { trials: count });
  const used = process.cpuUsage(start);
  const best = summary.best!;
  return { best: fn.trueValue ? fn.trueValue(best.params) : best.value, cpuMs: (used.user + used.system) / 1000, samplerWallMs: study.samplerMs };
}

/**
 * Sampler cost per trial: CPU time of a whole study minus that of the same study with the random sampler (which
 * costs ~10 µs a trial), so the study machinery cancels out; the least of 3 repetitions, warm. CPU time rather than
 * wall time because this machine's other processes would otherwise be counted.
 */
async function samplerCost(fn: BenchFunction, samplerName: string, count: number): Promise<{ cpuMsPerTrial: number; wallMsPerTrial: number }> {
  let cpu = Infinity;
  let wall = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const result = await runOurs(fn, samplerName, rep, count);
    cpu = Math.min(cpu, result.cpuMs);
    wall = Math.min(wall, result.samplerWallMs);
  }
  return { cpuMsPerTrial: cpu / count, wallMsPerTrial: wall / count };
}

interface OptunaRow {
  function: string;
  sampler: string;
  seed: number;
  best: number;
  msPerTrial: number;
}

/** Optuna's TPE, multivariate TPE and random on the must-reach functions; TPE and multivariate TPE on the others. */
async function runAllOptuna(): Promise<OptunaRow[]> {
  const mustReach = ["branin", "hartmann6", "rosenbrock4"];
  const first = functionNames.filter((name) => mustReach.includes(name));
  const rest = functionNames.filter((name) => !mustReach.includes(name));
  const rows: OptunaRow[] = [];
  if (first.length) rows.push(...(await runOptuna(first, optunaSamplers)));
  if (rest.length) rows.push(...(await runOptuna(rest, ["tpe", "mtpe"])));
  return rows;
}

function runOptuna(names: string[], samplers: string[]): Promise<OptunaRow[]> {
  const script = join(dirname(fileURLToPath(import.meta.url)), "tune_optuna.py");
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [script, String(trials), String(seeds), names.join(","), samplers.join(","), String(firstSeed)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err += chunk));
    child.on("error", (error) => {
      console.log(`Optuna side not run (${error.message}); install python3-optuna for the comparison.`);
      resolve([]);
    });
    child.on("close", (code) => {
      if (code !== 0) console.log(`Optuna side exited ${code}: ${err.trim().split("\n").slice(-3).join(" | ")}`);
      resolve(out.trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as OptunaRow));
    });
  });
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const format = (value: number | undefined): string => (value === undefined ? "—" : Math.abs(value) >= 100 ? value.toFixed(1) : value.toPrecision(4));

async function main(): Promise<void> {
  console.log(`bench:tune — ${trials} trials × ${seeds} seeds, median best value (lower is better); load average ${(await import("node:os")).loadavg()[0]!.toFixed(1)}`);
  const optunaFiles = option("optuna-results", "");
  const optunaPromise = flag("no-optuna")
    ? Promise.resolve([] as OptunaRow[])
    : optunaFiles
      ? Promise.resolve(optunaFiles.split(",").flatMap((file) => readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as OptunaRow)))
      : runAllOptuna();
  if (optunaFiles) console.log(`Optuna rows read from ${optunaFiles} (earlier runs of bench/tune_optuna.py ${trials} ${seeds} …), not re-run.`);
  const ours = new Map<string, number[]>();
  for (const fn of functions) {
    for (const samplerName of ourSamplers) {
      const values: number[] = [];
      for (let seed = firstSeed; seed < firstSeed + seeds; seed++) values.push((await runOurs(fn, samplerName, seed, trials)).best);
      ours.set(`${fn.name}/${samplerName}`, values);
    }
    process.stdout.write(`  ours done: ${fn.name}\n`);
  }
  const optunaRows = (await optunaPromise).filter((row) => row.seed >= firstSeed && row.seed < firstSeed + seeds);
  const optuna = new Map<string, OptunaRow[]>();
  for (const row of optunaRows) optuna.set(`${row.function}/${row.sampler}`, [...(optuna.get(`${row.function}/${row.sampler}`) ?? []), row]);

  const header = ["function", "optimum", ...ourSamplers.map((s) => `ours:${s}`), ...optunaSamplers.map((s) => `optuna:${s}`), "best ours vs best optuna"];
  const rows: string[][] = [];
  let allBeat = true;
  for (const fn of functions) {
    const ourMedians = ourSamplers.map((s) => median(ours.get(`${fn.name}/${s}`)!));
    const optunaMedians = optunaSamplers.map((s) => (optuna.get(`${fn.name}/${s}`)?.length ? median(optuna.get(`${fn.name}/${s}`)!.map((r) => r.best)) : undefined));
    const bestOurs = Math.min(...ourMedians);
    const knownOptuna = optunaMedians.filter((v): v is number => v !== undefined);
    const bestOptuna = knownOptuna.length ? Math.min(...knownOptuna) : undefined;
    const verdict = bestOptuna === undefined ? "no optuna" : bestOurs < bestOptuna ? `BEATS (${ourSamplers[ourMedians.indexOf(bestOurs)]}: ${format(bestOurs)} < ${format(bestOptuna)})` : `LOSES (${format(bestOurs)} ≥ ${format(bestOptuna)})`;
    if (bestOptuna !== undefined && !(bestOurs < bestOptuna)) allBeat = false;
    rows.push([fn.name, format(fn.optimum), ...ourMedians.map(format), ...optunaMedians.map(format), verdict]);
  }
  printTable(header, rows);
  if (ourSamplers.includes("tpe") && optunaRows.some((r) => r.sampler === "tpe")) printTpeVerdicts(ours, optuna);
  if (optunaRows.length) console.log(allBeat ? "RESULT: our best sampler beats Optuna's best on every function." : "RESULT: our best sampler does NOT beat Optuna's best on every function.");

  if (skipTiming) return;
  const hartmann = BENCH_FUNCTIONS.find((f) => f.name === "hartmann6")!;
  const timingAt = quick ? [100, 300] : [100, 1000];
  console.log(`\nsampler time per trial on hartmann6 (CPU ms: study minus the same study with the random sampler; least of 3, warm):`);
  for (const samplerName of ourSamplers) await runOurs(hartmann, samplerName, 99, 50); // warm the JIT
  const anchors = new Map<number, { cpuMsPerTrial: number; wallMsPerTrial: number }>();
  for (const count of timingAt) anchors.set(count, await samplerCost(hartmann, "random", count));
  const timingRows: string[][] = [];
  for (const samplerName of ourSamplers) {
    const costs = [];
    for (const count of timingAt) {
      const cost = samplerName === "random" ? anchors.get(count)! : await samplerCost(hartmann, samplerName, count);
      costs.push({ net: samplerName === "random" ? cost.wallMsPerTrial : Math.max(0, cost.cpuMsPerTrial - anchors.get(count)!.cpuMsPerTrial), wall: cost.wallMsPerTrial });
    }
    timingRows.push([samplerName, ...costs.map((c) => c.net.toFixed(3)), (costs[1]!.net / Math.max(costs[0]!.net, 1e-6)).toFixed(2), ...costs.map((c) => c.wall.toFixed(3))]);
  }
  for (const s of optunaSamplers) {
    const rowsFor = optunaRows.filter((r) => r.sampler === s && r.function === "hartmann6");
    if (rowsFor.length) timingRows.push([`optuna:${s} (wall, whole trial)`, median(rowsFor.map((r) => r.msPerTrial)).toFixed(3), "—", "—", "—", "—"]);
  }
  printTable(["sampler", `ms/trial @${timingAt[0]}`, `ms/trial @${timingAt[1]}`, `per-trial growth ×${timingAt[1]! / timingAt[0]!} trials`, `wall ms/trial @${timingAt[0]}`, `wall ms/trial @${timingAt[1]}`], timingRows);
  console.log(`random anchor: study machinery ${anchors.get(timingAt[0])!.cpuMsPerTrial.toFixed(3)} / ${anchors.get(timingAt[1])!.cpuMsPerTrial.toFixed(3)} CPU ms per trial (subtracted above); random row shows its own sampling wall time.`);
}

/** labnote tpe against Optuna tpe per function: medians, and a two-sided Mann–Whitney test for "within noise". */
function printTpeVerdicts(ours: Map<string, number[]>, optuna: Map<string, OptunaRow[]>): void {
  console.log("\nlabnote tpe vs Optuna tpe (median best; Mann–Whitney two-sided p over the seeds; p ≥ 0.05 reads as within noise):");
  const rows: string[][] = [];
  for (const fn of functions) {
    const a = ours.get(`${fn.name}/tpe`) ?? [];
    const b = (optuna.get(`${fn.name}/tpe`) ?? []).map((r) => r.best);
    if (!a.length || !b.length) continue;
    const p = mannWhitneyP(a, b);
    const better = median(a) < median(b);
    const verdict = p < 0.05 ? (better ? "BEATS" : "LOSES") : `within noise (${better ? "ahead" : "behind"})`;
    rows.push([fn.name, format(median(a)), format(median(b)), `${a.filter((v) => v < median(b)).length}/${a.length}`, p.toFixed(2), verdict]);
  }
  printTable(["function", "labnote tpe", "optuna tpe", "labnote seeds below optuna median", "p", "verdict"], rows);
}

/** Two-sided Mann–Whitney U p-value, normal approximation with tie correction (enough for 10–50 seeds a side). */
function mannWhitneyP(a: number[], b: number[]): number {
  const all = [...a.map((v) => ({ v, fromA: true })), ...b.map((v) => ({ v, fromA: false }))].sort((x, y) => x.v - y.v);
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  const n1 = a.length;
  const n2 = b.length;
  const rankSumA = all.reduce((sum, item, i) => sum + (item.fromA ? ranks[i]! : 0), 0);
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const n = n1 + n2;
  const sd = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  if (sd === 0) return 1;
  const z = (Math.abs(u - (n1 * n2) / 2) - 0.5) / sd;
  return Math.min(1, 2 * (1 - normalCdf(Math.max(0, z))));
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of rows) console.log(line(row));
}

await main();
