// bench:workers — N `labnote worker` processes plus one notebook kernel (a real labnote kernel over ZeroMQ) on one
// PostgreSQL study of T trials of a sleep-bound objective. All processes start their trials together (a file barrier
// in each process's first trial, so kernel start-up and the cell's compilation are not counted); the wall time from the barrier to the study's last trial is compared with the
// ideal T × sleep / (N + 1). Checks: every trial number once, all complete. With --kill, one worker is killed with
// kill -9 mid-trial: exactly its trial must end failed and the others must finish the budget.
//   LABNOTE_TEST_PG=postgres://… npm run bench:workers -- [--workers 4] [--trials 200] [--sleep-ms 200] [--kill]
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pg from "pg";
import { HeadlessKernel } from "../magics/version/repro/headless-kernel.js";

const REPO_ROOT = resolve(import.meta.dirname, "..");
const LAUNCHER = join(REPO_ROOT, "bin", "labnote.js");

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(name);
  return index === -1 ? fallback : process.argv[index + 1]!;
}

const WORKERS = Number(option("--workers", "4"));
const TRIALS = Number(option("--trials", "200"));
const SLEEP_MS = Number(option("--sleep-ms", "200"));
const KILL = process.argv.includes("--kill");

async function freshSchema(serverUrl: string): Promise<string> {
  const schema = `labnote_bench_${randomBytes(5).toString("hex")}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = new URL(serverUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}

// The barrier is passed inside each process's first trial, after its %%tune cell has compiled and opened the study.
const BARRIER_CELL = `import { existsSync, writeFileSync } from "node:fs";
const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
let passedBarrier = false;
async function barrier(): Promise<void> {
  if (passedBarrier) return;
  const directory = process.env.LABNOTE_BENCH_BARRIER!;
  writeFileSync(\`\${directory}/ready-\${process.pid}\`, "");
  while (!existsSync(\`\${directory}/go\`)) await sleep(10);
  passedBarrier = true;
}`;

function notebookJson(): string {
  const cells = [BARRIER_CELL, `%%tune --trials ${TRIALS} --sampler random --study bench --seed 1\nawait barrier();\nconst x = trial.float("x", 0, 1);\nawait sleep(${SLEEP_MS});\nreturn x;`];
  return JSON.stringify({ cells: cells.map((source) => ({ cell_type: "code", source, metadata: {}, outputs: [], execution_count: null })), metadata: {}, nbformat: 4, nbformat_minor: 5 });
}

interface TrialRow {
  number: number;
  state: string;
  kernel_id: string;
  started_at: number;
  ended_at: number | null;
}

async function main(): Promise<void> {
  const server = option("--store", process.env.LABNOTE_TEST_PG ?? "");
  if (!/^postgres(ql)?:\/\//.test(server)) throw new Error("bench:workers needs PostgreSQL: set LABNOTE_TEST_PG=postgres://… or pass --store postgres://…");
  const store = await freshSchema(server);
  const projectDir = mkdtempSync(join(tmpdir(), "labnote-bench-workers-"));
  const barrier = mkdtempSync(join(tmpdir(), "labnote-bench-barrier-"));
  writeFileSync(join(projectDir, "bench.ipynb"), notebookJson());
  const env = { ...process.env, LABNOTE_STORE: store, LABNOTE_BENCH_BARRIER: barrier, LABNOTE_AUTOSNAPSHOT: "off", LABNOTE_WIDGETS: "off" };
  console.log(`machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, load ${loadavg().map((value) => value.toFixed(2)).join("/")}; Node ${process.version}`);
  console.log(`${WORKERS} workers + 1 notebook kernel, ${TRIALS} trials of a ${SLEEP_MS} ms sleep; ideal wall ${((TRIALS * SLEEP_MS) / 1000 / (WORKERS + 1)).toFixed(2)} s`);

  const workers: ChildProcess[] = Array.from({ length: WORKERS }, () => spawn(process.execPath, [LAUNCHER, "worker", "bench.ipynb", "--study", "bench", "--store", store], { cwd: projectDir, env, stdio: ["ignore", "ignore", "pipe"] }));
  const exits = workers.map((child) => new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code))));
  const kernel = await HeadlessKernel.start({ cwd: projectDir, runtimeDir: mkdtempSync(join(tmpdir(), "labnote-bench-kernel-")), launcher: LAUNCHER, env });
  const cells = (JSON.parse(notebookJson()) as { cells: { source: string }[] }).cells.map((cell) => cell.source);
  const kernelDone = (async () => {
    for (const code of cells) {
      const result = await kernel.execute(code, { timeoutMs: 600_000 });
      if (result.status !== "ok") throw new Error(`the notebook kernel's cell failed: ${JSON.stringify(result.error)}`);
    }
  })();
  const started = Date.now();
  while (readdirSync(barrier).filter((name) => name.startsWith("ready-")).length < WORKERS + 1) {
    if (Date.now() - started > 300_000) throw new Error("the processes did not all reach the barrier within 5 minutes");
    await new Promise((resolveWait) => setTimeout(resolveWait, 20));
  }
  console.log(`all ${WORKERS + 1} processes ready after ${((Date.now() - started) / 1000).toFixed(1)} s (start-up, not counted)`);
  const client = new pg.Client({ connectionString: store });
  await client.connect();
  const go = Date.now();
  writeFileSync(join(barrier, "go"), "");
  let killed: { pid: number; trial: number } | undefined;
  if (KILL) {
    // Kill the first worker once it is mid-trial, after about a third of the study.
    const victim = workers[0]!;
    while (!killed) {
      await new Promise((resolveWait) => setTimeout(resolveWait, 50));
      const { rows } = await client.query<TrialRow>(`SELECT number FROM labnote_trials WHERE state = 'running' AND kernel_id LIKE $1 AND number >= $2`, [`%-${victim.pid}-%`, Math.floor(TRIALS / 3)]);
      if (rows.length > 0) {
        victim.kill("SIGKILL");
        killed = { pid: victim.pid!, trial: rows[0]!.number };
        console.log(`kill -9 worker ${victim.pid} during trial ${killed.trial}`);
      }
    }
  }
  await kernelDone;
  const allDone = Date.now();
  const codes = await Promise.all(exits);
  await kernel.shutdown();
  const { rows } = await client.query<TrialRow>(`SELECT number, state, kernel_id, started_at, ended_at FROM labnote_trials ORDER BY number`);
  await client.end();
  const numbers = rows.map((row) => row.number);
  const unique = new Set(numbers).size;
  const lastEnd = Math.max(...rows.map((row) => Number(row.ended_at ?? 0)));
  const wall = (lastEnd - go) / 1000;
  const ideal = (TRIALS * SLEEP_MS) / 1000 / (WORKERS + 1);
  const states = rows.reduce<Record<string, number>>((count, row) => ({ ...count, [row.state]: (count[row.state] ?? 0) + 1 }), {});
  const perProcess = Object.values(rows.reduce<Record<string, number>>((count, row) => ({ ...count, [row.kernel_id]: (count[row.kernel_id] ?? 0) + 1 }), {}));
  console.log(`trials: ${rows.length} (${JSON.stringify(states)}), numbers unique: ${unique === numbers.length}, duplicates: ${numbers.length - unique}, contiguous 0…${TRIALS - 1}: ${numbers.every((number, index) => number === index) && numbers.length === TRIALS}`);
  console.log(`trials per process: ${perProcess.sort((a, b) => b - a).join(", ")}`);
  console.log(`wall from the barrier to the last trial's end: ${wall.toFixed(2)} s = ${(wall / ideal).toFixed(3)} × ideal (${ideal.toFixed(2)} s); notebook cell returned after ${((allDone - go) / 1000).toFixed(2)} s`);
  console.log(`worker exit codes: ${codes.map((code) => code ?? "killed").join(", ")}; load now ${loadavg()[0]!.toFixed(2)}`);
  if (killed) {
    const failed = rows.filter((row) => row.state === "failed");
    const exact = failed.length === 1 && failed[0]!.number === killed.trial && failed[0]!.kernel_id.includes(`-${killed.pid}-`);
    console.log(`kill -9: failed trials ${JSON.stringify(failed.map((row) => row.number))}; exactly the victim's trial ${killed.trial}: ${exact}; the others complete: ${(states["complete"] ?? 0) === TRIALS - 1}`);
  }
  if (existsSync(projectDir)) console.log(`(project ${projectDir})`);
}

await main();
