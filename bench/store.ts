// npm run bench:store — the store numbers %track needs: findRuns over 10,000 runs and a 100k-point appendMetrics,
// on memory, SQLite and PostgreSQL (LABNOTE_TEST_PG, else a throwaway cluster via scripts/pg.sh). Each time is the
// median of several tries; the anchor is the same rows read raw (no record building, no JSON decoding) in this run.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createMemoryStore, openStore } from "../store/index.js";
import type { MetricPoint, NewRun, Store } from "../store/types.js";

const RUNS = 10_000;
const POINTS = 100_000;
const TRIES = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Timing {
  wall: number;
  /** This process's CPU time (user + system): steadier than wall time on a shared machine; excludes the PG server. */
  cpu: number;
}

async function timeIt(tries: number, work: () => Promise<unknown> | unknown): Promise<Timing> {
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let attempt = 0; attempt < tries; attempt++) {
    const cpuStart = process.cpuUsage();
    const start = performance.now();
    await work();
    walls.push(performance.now() - start);
    const cpu = process.cpuUsage(cpuStart);
    cpus.push((cpu.user + cpu.system) / 1000);
  }
  return { wall: median(walls), cpu: median(cpus) };
}

function show(timing: Timing, digits = 1): string {
  return `${timing.wall.toFixed(digits)} ms (cpu ${timing.cpu.toFixed(digits)})`;
}

function realisticRun(index: number): NewRun {
  return {
    name: `lr-${index % 7}-run-${index}`,
    status: index % 10 === 0 ? "failed" : "finished",
    params: { lr: 10 ** -(1 + (index % 4)), batchSize: 32 << (index % 3), layers: [128, 64, 10], optimizer: "adam", dropout: 0.1 * (index % 5) },
    tags: ["mlp", index % 2 ? "baseline" : "wide"],
    summary: { "train.loss": 1 / (index + 1), "val.loss": 1.1 / (index + 1), "val.acc": (index % 100) / 100, epochs: 20, "steps/s": 812.5 },
    env: { node: "v20.20.2", tfjs: "4.22.0", backend: "cpu", os: "linux 6.1 x64", cpu: "AMD EPYC 7B13 (2 cores)", gpu: null, lockfileHash: "9f".repeat(32), gitHead: "a1".repeat(20), gitDirty: false },
    seed: index,
    code: `%%track --name lr-${index}\nconst model = buildModel();\nawait model.fit(xs, ys, { epochs: 20, callbacks: [run.callback()] });`,
    notebook: "/work/notebooks/tracking.ipynb",
    dataHashes: { "data/penguins.json": "ab".repeat(32) },
    kernelId: "kernel-1",
    host: "box",
    pid: 4242,
    startedAt: 1_700_000_000_000 + index * 1000,
    endedAt: 1_700_000_000_000 + index * 1000 + 900,
  };
}

function points(runId: string): MetricPoint[] {
  return Array.from({ length: POINTS }, (_, step) => ({ runId, key: step % 2 ? "loss" : "acc", split: "train", step, value: Math.random(), wallTime: Date.now() }));
}

async function fill(store: Store): Promise<void> {
  for (let index = 0; index < RUNS; index++) await store.createRun(realisticRun(index));
}

async function measure(label: string, store: Store, rawRead?: () => unknown, extra?: (store: Store) => Promise<void>): Promise<void> {
  const fillStart = performance.now();
  await fill(store);
  const fillMs = performance.now() - fillStart;
  const runs = await store.findRuns();
  if (runs.length !== RUNS) throw new Error(`${label}: findRuns returned ${runs.length} runs, expected ${RUNS}`);
  const findLimited = await timeIt(TRIES, () => store.findRuns({ limit: 20 }));
  const findByPrefix = await timeIt(TRIES, () => store.findRuns({ idPrefix: runs[500]!.id.slice(0, 14) }));
  // findRuns and its anchor alternate, so both see the same machine load.
  const findTimes: Timing[] = [];
  const rawTimes: Timing[] = [];
  for (let attempt = 0; attempt < TRIES; attempt++) {
    findTimes.push(await timeIt(1, () => store.findRuns()));
    if (rawRead) rawTimes.push(await timeIt(1, rawRead));
  }
  const findAll = { wall: median(findTimes.map((t) => t.wall)), cpu: median(findTimes.map((t) => t.cpu)) };
  const raw = rawRead ? { wall: median(rawTimes.map((t) => t.wall)), cpu: median(rawTimes.map((t) => t.cpu)) } : undefined;
  const run = await store.createRun({ name: "bench-points" });
  const appendTimes: Timing[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const batch = points(run.id);
    appendTimes.push(await timeIt(1, () => store.appendMetrics(batch)));
  }
  const append = { wall: median(appendTimes.map((t) => t.wall)), cpu: median(appendTimes.map((t) => t.cpu)) };
  const read = await timeIt(3, () => store.getMetrics(run.id));
  console.log(`${label}:`);
  console.log(
    `  findRuns(all ${RUNS}) ${show(findAll)}` +
      (raw !== undefined ? ` | anchor: same rows raw ${show(raw)}, ratio ×${(findAll.wall / raw.wall).toFixed(2)} wall, ×${(findAll.cpu / Math.max(raw.cpu, 0.001)).toFixed(2)} cpu` : ""),
  );
  console.log(`  findRuns(limit 20) ${show(findLimited, 2)} | findRuns(id prefix) ${show(findByPrefix, 2)}`);
  console.log(`  appendMetrics(${POINTS / 1000}k points, one call) ${show(append, 0)} = ${(POINTS / append.wall / 1000).toFixed(2)} M points/s`);
  console.log(`  getMetrics(${(3 * POINTS) / 1000}k points) ${show(read, 0)} | createRun ×${RUNS} ${fillMs.toFixed(0)} ms`);
  await extra?.(store);
  await store.close();
}

/** What `%track runs --where … --sort … --limit 20` does after parsing (the track magic's own code), when present. */
async function trackRunsPath(store: Store): Promise<void> {
  let commands: typeof import("../magics/track/commands.js");
  let query: typeof import("../magics/track/query.js");
  try {
    commands = await import("../magics/track/commands.js");
    query = await import("../magics/track/query.js");
  } catch (error) {
    console.log(`  %track runs path: skipped, magics/track is not importable (${(error as Error).message})`);
    return;
  }
  const predicate = query.compileQuery("params.lr < 0.01 and val.acc > 0.5");
  const plain = await timeIt(TRIES, async () => {
    await store.markStaleRuns(Date.now() - 60_000);
    return commands.runsTable(await store.findRuns({ order: "newest" }), { limit: 20 });
  });
  const filtered = await timeIt(TRIES, async () => {
    await store.markStaleRuns(Date.now() - 60_000);
    return commands.runsTable(await store.findRuns({ order: "newest" }), { predicate, sort: "-val.acc", limit: 20 });
  });
  console.log(`  %track runs over ${RUNS} runs (store + table, no kernel): ${show(plain)} | with --where and --sort ${show(filtered)}`);
}

const root = mkdtempSync(join(tmpdir(), "labnote-bench-store-"));
let clusterDir: string | undefined;
try {
  await measure("memory", createMemoryStore());

  const sqlitePath = join(root, "bench.db");
  const sqlite = await openStore(root, { location: `sqlite:${sqlitePath}` });
  const rawDb = new Database(sqlitePath, { readonly: true });
  const rawSelect = rawDb.prepare("SELECT * FROM runs ORDER BY started_at DESC, id DESC");
  await measure("sqlite", sqlite, () => rawSelect.all(), trackRunsPath);
  rawDb.close();

  let pgUrl = process.env.LABNOTE_TEST_PG;
  if (!pgUrl) {
    const output = execFileSync("bash", [join(import.meta.dirname, "..", "scripts", "pg.sh"), "start"], { encoding: "utf8" });
    pgUrl = /^LABNOTE_TEST_PG=(\S+)$/m.exec(output)![1]!;
    clusterDir = /^LABNOTE_TEST_PG_DIR=(\S+)$/m.exec(output)![1]!;
  }
  const schema = `bench_${Date.now()}`;
  const pg = (await import("pg")).default;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = new URL(pgUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  await admin.query(`SET search_path = ${schema}`);
  await measure("postgres", await openStore(root, { location: url.toString() }), () => admin.query("SELECT * FROM labnote_runs ORDER BY started_at DESC, id DESC"));
  await admin.query(`DROP SCHEMA ${schema} CASCADE`);
  await admin.end();
} finally {
  rmSync(root, { recursive: true, force: true });
  if (clusterDir) execFileSync("bash", [join(import.meta.dirname, "..", "scripts", "pg.sh"), "stop", clusterDir]);
}
