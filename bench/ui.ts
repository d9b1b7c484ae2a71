// npm run bench:ui — labnote ui's Must-reach numbers, measured against a real `labnote ui` server process:
//   runs table over 100,000 stored runs (first page; a `where` with `or`; sorted by a metric) on SQLite and PostgreSQL,
//   curves of 20 runs × 1,000,000 points at 1,000 buckets (time and payload), a live point's delay over SSE,
//   the server's peak RSS, and (when dist/ui/page is built) Chromium's draw time of the curves view.
// Anchor: the same `where` through %track runs' code path (runsTable over store.findRuns) in this process.
// Sizes: UI_BENCH_RUNS (100000), UI_BENCH_POINTS (1000000 per curve), UI_BENCH_PG=0 skips PostgreSQL.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { runsTable } from "../magics/track/commands.js";
import { compileQuery } from "../magics/track/query.js";
import { RUN_COLUMNS, RUN_FIELDS, runRowValues } from "../store/columns.js";
import { openPostgresStore } from "../store/postgres.js";
import { buildRunRecord } from "../store/records.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { MetricPoint, RunRecord, Store } from "../store/types.js";

const RUNS = Number(process.env.UI_BENCH_RUNS ?? 100_000);
const CURVE_RUNS = 20;
const POINTS = Number(process.env.UI_BENCH_POINTS ?? 1_000_000);
const BUCKETS = 1000;
const REPEATS = 7;
const ROOT = new URL("..", import.meta.url).pathname;

interface Spread {
  median: number;
  min: number;
  max: number;
}
function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)]!, min: sorted[0]!, max: sorted.at(-1)! };
}
const show = (s: Spread, unit = "ms"): string => `${s.median.toFixed(1)} ${unit} (min ${s.min.toFixed(1)}, max ${s.max.toFixed(1)})`;

// ---------- data ----------

function syntheticRun(index: number): RunRecord {
  const acts = ["relu", "tanh", "gelu", "silu"];
  return buildRunRecord({
    name: `run-${index}`,
    status: index % 50 === 0 ? "failed" : "finished",
    params: { lr: 10 ** -(1 + (index % 4000) / 1000), width: 16 << index % 5, act: acts[index % 4]!, dropout: (index % 10) / 20, optimizer: index % 3 ? "adam" : "sgd" },
    tags: index % 7 === 0 ? ["baseline", `t${index % 10}`] : [`t${index % 10}`],
    summary: { "train.loss": 1 / (1 + (index % 997)), "val.loss": 1.1 / (1 + (index % 991)), "val.acc": (index % 1000) / 1000, wall_time_s: 10 + (index % 300), steps: 1000 },
    env: { node: "v20.20.2", os: "linux 6.1 x64", cpu: "bench cpu × 2", backend: { name: "cpu", reason: "bench" }, tfjs: "4.22.0", lockfile: "ab".repeat(32), git: { head: "cd".repeat(20), dirty: false } },
    code: `%%track --name run-${index}\nfor (let step = 0; step < 1000; step++) run.log({ loss: trainStep() }, { step });`,
    startedAt: 1_700_000_000_000 + index * 1000,
    endedAt: 1_700_000_000_000 + index * 1000 + 900,
  });
}

const COLUMN_LIST = RUN_FIELDS.map((field) => RUN_COLUMNS[field][0]);

function fillSqliteRuns(file: string): void {
  const db = new Database(file);
  const insert = db.prepare(`INSERT INTO runs (${COLUMN_LIST.join(", ")}) VALUES (${COLUMN_LIST.map(() => "?").join(", ")})`);
  db.transaction(() => {
    for (let index = 0; index < RUNS; index++) insert.run(runRowValues(syntheticRun(index)));
  })();
  db.close();
}

async function fillPostgresRuns(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const perStatement = 1000;
  for (let start = 0; start < RUNS; start += perStatement) {
    const values: unknown[] = [];
    const rows: string[] = [];
    for (let index = start; index < Math.min(RUNS, start + perStatement); index++) {
      const row = runRowValues(syntheticRun(index));
      rows.push(`(${row.map((_, column) => `$${values.length + column + 1}`).join(", ")})`);
      values.push(...row);
    }
    await client.query(`INSERT INTO labnote_runs (${COLUMN_LIST.join(", ")}) VALUES ${rows.join(", ")}`, values);
  }
  await client.end();
}

/** 20 finished runs of POINTS loss points each (one spike of 1000 in the first), appended in 250k-point batches. */
async function fillCurves(store: Store): Promise<string[]> {
  const ids: string[] = [];
  for (let curve = 0; curve < CURVE_RUNS; curve++) {
    const run = await store.createRun({ name: `curve-${curve}`, status: "finished", params: { curve }, startedAt: 1_800_000_000_000 + curve, endedAt: 1_800_000_000_000 + curve + 1 });
    ids.push(run.id);
    for (let start = 0; start < POINTS; start += 250_000) {
      const batch: MetricPoint[] = [];
      for (let step = start; step < Math.min(POINTS, start + 250_000); step++) {
        const value = curve === 0 && step === Math.floor(POINTS * 0.777) ? 1000 : 2 / Math.sqrt(1 + step / 1000) + 0.05 * Math.sin(step * 0.37 + curve);
        batch.push({ runId: run.id, key: "loss", split: "train", step, value, wallTime: 1_800_000_000_000 + step * 10 });
      }
      await store.appendMetrics(batch);
    }
  }
  return ids;
}

// ---------- the server process ----------

interface ServerProcess {
  child: ChildProcess;
  base: string;
  startMs: number;
}

async function startServer(store: string): Promise<ServerProcess> {
  const started = performance.now();
  const child = spawn(process.execPath, [join(ROOT, "bin", "labnote.js"), "ui", "--store", store, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const base = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /labnote ui: (\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`labnote ui exited (${code}): ${out}`)));
  });
  return { child, base, startMs: performance.now() - started };
}

function rssMB(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { now: kb("VmRSS") / 1024, peak: kb("VmHWM") / 1024 };
}

/** `bytes`: the JSON's size; `wireBytes`: what crossed the connection (gzip when the server compressed it). */
async function timedGet(url: string): Promise<{ ms: number; bytes: number; wireBytes: number; body: unknown }> {
  const start = performance.now();
  const response = await fetch(url, { headers: { "accept-encoding": "gzip" } });
  const text = await response.text();
  const ms = performance.now() - start;
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status} ${text.slice(0, 300)}`);
  const bytes = Buffer.byteLength(text);
  return { ms, bytes, wireBytes: Number(response.headers.get("content-length") ?? bytes), body: JSON.parse(text) };
}

interface RunsNumbers {
  firstPage: Spread;
  firstPageWall: Spread;
  whereOr: Spread;
  whereOrWall: Spread;
  sortedWhere: Spread;
  matched: number;
}

const whereOr = (repeat: number) => `params.lr < ${(0.00011 + repeat * 0.00001).toFixed(5)} or name ~ /^run-${repeat}\\d*7$/ or tags contains "t${repeat}"`;

async function measureRuns(base: string): Promise<RunsNumbers> {
  const first: number[] = [];
  const firstWall: number[] = [];
  const where: number[] = [];
  const whereWall: number[] = [];
  const sorted: number[] = [];
  let matched = 0;
  await timedGet(`${base}api/runs?limit=100`); // warm-up: JIT, not the index (loaded before the URL was printed)
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    // Each request differs from the last (offset, query text), so no response comes from the server's list cache.
    const page = await timedGet(`${base}api/runs?limit=100&offset=${repeat}`);
    first.push((page.body as { elapsedMs: number }).elapsedMs);
    firstWall.push(page.ms);
    const filtered = await timedGet(`${base}api/runs?limit=100&where=${encodeURIComponent(whereOr(repeat))}`);
    where.push((filtered.body as { elapsedMs: number }).elapsedMs);
    whereWall.push(filtered.ms);
    matched = (filtered.body as { total: number }).total;
    const bySort = await timedGet(`${base}api/runs?limit=100&sort=-val.acc&where=${encodeURIComponent(`val.loss < ${0.5 + repeat / 100} or params.act in ("gelu", "silu")`)}`);
    sorted.push((bySort.body as { elapsedMs: number }).elapsedMs);
  }
  return { firstPage: spread(first), firstPageWall: spread(firstWall), whereOr: spread(where), whereOrWall: spread(whereWall), sortedWhere: spread(sorted), matched };
}

async function measureAnchor(store: Store): Promise<Spread> {
  const times: number[] = [];
  for (let repeat = 0; repeat < 3; repeat++) {
    const start = performance.now();
    runsTable(await store.findRuns({ order: "newest" }), { predicate: compileQuery(whereOr(repeat)), limit: 100 });
    times.push(performance.now() - start);
  }
  return spread(times);
}

/** The server process's CPU time (user + system) so far, ms: unlike wall time, barely moved by other load on the machine. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

interface CurveNumbers {
  cold: Spread;
  coldCpu: Spread;
  warm: Spread;
  bytes: number;
  wireBytes: number;
  spikeSeen: boolean;
  buckets: number;
}

/** Cold: buckets=1000, 999, 998, … so no request is served from the server's curve cache; warm: the same request again. */
async function measureCurves(base: string, ids: string[], pid: number): Promise<CurveNumbers> {
  const cold: number[] = [];
  const coldCpu: number[] = [];
  const warm: number[] = [];
  let bytes = 0;
  let wireBytes = 0;
  let spikeSeen = false;
  let buckets = 0;
  for (let repeat = 0; repeat < 5; repeat++) {
    const cpuBefore = cpuMs(pid);
    const start = performance.now();
    await Promise.all(ids.map((id) => timedGet(`${base}api/runs/${id}/metrics/loss?buckets=${BUCKETS - 1 - repeat}`)));
    cold.push(performance.now() - start);
    coldCpu.push(cpuMs(pid) - cpuBefore);
  }
  for (let repeat = 0; repeat < 5; repeat++) {
    const start = performance.now();
    const responses = await Promise.all(ids.map((id) => timedGet(`${base}api/runs/${id}/metrics/loss?buckets=${BUCKETS}`)));
    warm.push(performance.now() - start);
    bytes = responses.reduce((sum, response) => sum + response.bytes, 0);
    wireBytes = responses.reduce((sum, response) => sum + response.wireBytes, 0);
    const first = responses[0]!.body as { series: { buckets: { max: number }[] }[] };
    spikeSeen = first.series[0]!.buckets.some((bucket) => bucket.max === 1000);
    buckets = first.series[0]!.buckets.length;
  }
  warm.shift(); // the first of these filled the cache
  return { cold: spread(cold), coldCpu: spread(coldCpu), warm: spread(warm), bytes, wireBytes, spikeSeen, buckets };
}

async function measureLive(base: string, store: Store): Promise<Spread> {
  const run = await store.createRun({ name: "live-bench" });
  const controller = new AbortController();
  const response = await fetch(`${base}api/live?runs=${run.id}`, { signal: controller.signal });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const delays: number[] = [];
  while (!text.includes(": labnote live")) text += decoder.decode((await reader.read()).value);
  for (let step = 0; step < 10; step++) {
    const sent = performance.now();
    await store.appendMetrics([{ runId: run.id, key: "loss", split: "train", step, value: 1 / (step + 1), wallTime: Date.now() }]);
    while (!text.includes(`"step":${step},`)) text += decoder.decode((await reader.read()).value);
    delays.push(performance.now() - sent);
  }
  controller.abort();
  return spread(delays);
}

async function measureBrowser(base: string, ids: string[]): Promise<{ draw: Spread; ready: Spread } | string> {
  if (!existsSync(join(ROOT, "dist", "ui", "page", "index.html"))) return "skipped: dist/ui/page is not built (npm run build)";
  if (!existsSync("/usr/bin/chromium")) return "skipped: /usr/bin/chromium is not installed";
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  const draws: number[] = [];
  const readies: number[] = [];
  try {
    for (let repeat = 0; repeat < 3; repeat++) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      const start = performance.now();
      await page.goto(`${base}curves?runs=${ids.join(",")}&metrics=loss`);
      await page.waitForFunction(() => document.documentElement.dataset.ready === "1" && typeof (window as { __labnoteDrawMs?: number }).__labnoteDrawMs === "number", undefined, { timeout: 120_000 });
      readies.push(performance.now() - start);
      draws.push(await page.evaluate(() => (window as { __labnoteDrawMs?: number }).__labnoteDrawMs ?? Number.NaN));
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return { draw: spread(draws), ready: spread(readies) };
}

// ---------- PostgreSQL ----------

async function postgresUrl(): Promise<{ url: string; stop: () => void }> {
  let server = process.env.LABNOTE_TEST_PG ?? "";
  let stop = () => undefined as void;
  if (!server) {
    const output = execFileSync("bash", [join(ROOT, "scripts", "pg.sh"), "start"], { encoding: "utf8" });
    server = /^LABNOTE_TEST_PG=(\S+)$/m.exec(output)![1]!;
    const dir = /^LABNOTE_TEST_PG_DIR=(\S+)$/m.exec(output)![1]!;
    stop = () => void execFileSync("bash", [join(ROOT, "scripts", "pg.sh"), "stop", dir]);
  }
  const schema = `labnote_bench_ui_${Date.now()}`;
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = new URL(server);
  url.searchParams.set("options", `-c search_path=${schema}`);
  const previous = stop;
  return {
    url: url.toString(),
    stop: () => {
      const drop = new pg.Client({ connectionString: server });
      void drop
        .connect()
        .then(() => drop.query(`DROP SCHEMA ${schema} CASCADE`))
        .finally(() => void drop.end().finally(previous));
    },
  };
}

// ---------- main ----------

async function main(): Promise<void> {
  console.log(`bench:ui — ${cpus()[0]?.model ?? "unknown CPU"} × ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}, Node ${process.version}`);
  console.log(`sizes: ${RUNS.toLocaleString("en")} runs; curves ${CURVE_RUNS} × ${POINTS.toLocaleString("en")} points at ${BUCKETS} buckets; ${REPEATS} repeats (median, min, max)`);
  // UI_BENCH_DB=PATH keeps the SQLite file (and reuses it when it exists) so a re-run skips the inserts.
  const kept = process.env.UI_BENCH_DB;
  const directory = kept ? undefined : mkdtempSync(join(tmpdir(), "labnote-bench-ui-"));
  const file = kept ?? join(directory!, "labnote.db");
  const reuse = kept !== undefined && existsSync(kept);
  const servers: ChildProcess[] = [];
  try {
    const sqlite = await openSqliteStore(file);
    let curveIds: string[];
    if (reuse) {
      curveIds = (await sqlite.findRuns({ order: "oldest" })).filter((run) => run.name.startsWith("curve-")).map((run) => run.id);
      console.log(`\nSQLite: reusing ${file} (${(await sqlite.listRunIds()).length} runs)`);
    } else {
      let start = performance.now();
      fillSqliteRuns(file);
      console.log(`\nSQLite: ${RUNS.toLocaleString("en")} runs inserted in ${((performance.now() - start) / 1000).toFixed(1)} s`);
      start = performance.now();
      curveIds = await fillCurves(sqlite);
      console.log(`SQLite: ${(CURVE_RUNS * POINTS).toLocaleString("en")} points inserted in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
    let start = performance.now();

    const server = await startServer(`sqlite:${file}`);
    servers.push(server.child);
    console.log(`server start (index of ${RUNS + CURVE_RUNS} runs loaded): ${server.startMs.toFixed(0)} ms`);
    const stage = (name: string) => {
      const memory = rssMB(server.child.pid!);
      return `${name} ${memory.now.toFixed(0)} MB (peak so far ${memory.peak.toFixed(0)})`;
    };
    const stages = [stage("after start")];
    const runs = await measureRuns(server.base);
    stages.push(stage("after runs queries"));
    console.log(`runs, first page of 100:        server ${show(runs.firstPage)}; wall ${show(runs.firstPageWall)}   [Must ≤ 100 ms]`);
    console.log(`runs, where with or (${runs.matched} match): server ${show(runs.whereOr)}; wall ${show(runs.whereOrWall)}   [Must ≤ 300 ms]`);
    console.log(`runs, where + sort by -val.acc:   server ${show(runs.sortedWhere)}`);
    const anchor = await measureAnchor(sqlite);
    console.log(`anchor: the same where through %track runs (runsTable over findRuns): ${show(anchor)} → server/anchor ${(runs.whereOr.median / anchor.median).toFixed(3)}×`);
    const curves = await measureCurves(server.base, curveIds, server.child.pid!);
    console.log(`curves, ${CURVE_RUNS} runs × ${POINTS.toLocaleString("en")} points at ~${BUCKETS} buckets (20 requests at once, as the page sends them):`);
    console.log(`  cold (computed from the store's blocks): wall ${show(curves.cold)}; server CPU ${show(curves.coldCpu)}   [Must ≤ 300 ms]`);
    console.log(`  warm (server's curve cache):             wall ${show(curves.warm)}`);
    console.log(`  payload ${(curves.wireBytes / 1e6).toFixed(3)} MB gzipped (${(curves.bytes / 1e6).toFixed(3)} MB of JSON); ${curves.buckets} buckets per curve; spike kept: ${curves.spikeSeen}   [Must ≤ 1 MB]`);
    stages.push(stage("after curves"));
    const live = await measureLive(server.base, sqlite);
    console.log(`live: appended point → SSE event: ${show(live)}   [Must ≤ 1000 ms]`);
    const browser = await measureBrowser(server.base, curveIds);
    if (typeof browser === "string") console.log(`browser: ${browser}`);
    else console.log(`browser (Chromium) curves view of ${CURVE_RUNS} × ${POINTS.toLocaleString("en")}: draw ${show(browser.draw)}; navigation → ready ${show(browser.ready)}   [Must draw ≤ 1000 ms]`);
    stages.push(stage("after browser"));
    const memory = rssMB(server.child.pid!);
    console.log(`server RSS: ${stages.join("; ")}`);
    console.log(`server RSS: now ${memory.now.toFixed(0)} MB, peak ${memory.peak.toFixed(0)} MB   [Must ≤ 250 MB]`);
    server.child.kill("SIGTERM");
    await sqlite.close();

    if (process.env.UI_BENCH_PG !== "0") {
      const { url, stop } = await postgresUrl();
      try {
        const postgres = await openPostgresStore(url);
        start = performance.now();
        await fillPostgresRuns(url);
        console.log(`\nPostgreSQL: ${RUNS.toLocaleString("en")} runs inserted in ${((performance.now() - start) / 1000).toFixed(1)} s`);
        const pgServer = await startServer(url);
        servers.push(pgServer.child);
        console.log(`server start (index loaded): ${pgServer.startMs.toFixed(0)} ms`);
        const pgRuns = await measureRuns(pgServer.base);
        console.log(`runs, first page of 100:        server ${show(pgRuns.firstPage)}; wall ${show(pgRuns.firstPageWall)} → PostgreSQL/SQLite ${(pgRuns.firstPage.median / runs.firstPage.median).toFixed(2)}×; vs the 100 ms target ${(pgRuns.firstPage.median / 100).toFixed(2)}×   [Must ≤ 1.5×]`);
        console.log(`runs, where with or (${pgRuns.matched} match): server ${show(pgRuns.whereOr)}; wall ${show(pgRuns.whereOrWall)} → PostgreSQL/SQLite ${(pgRuns.whereOr.median / runs.whereOr.median).toFixed(2)}×; vs the 300 ms target ${(pgRuns.whereOr.median / 300).toFixed(2)}×   [Must ≤ 1.5×]`);
        console.log(`runs, where + sort by -val.acc:   server ${show(pgRuns.sortedWhere)}`);
        const pgMemory = rssMB(pgServer.child.pid!);
        console.log(`server RSS: now ${pgMemory.now.toFixed(0)} MB, peak ${pgMemory.peak.toFixed(0)} MB   [Must ≤ 250 MB]`);
        pgServer.child.kill("SIGTERM");
        await postgres.close();
      } finally {
        stop();
      }
    }
  } finally {
    for (const child of servers) if (child.exitCode === null) child.kill("SIGTERM");
    if (directory) rmSync(directory, { recursive: true, force: true });
  }
}

await main();
