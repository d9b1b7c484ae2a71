// `labnote worker` processes and a notebook kernel (nbclient) on one PostgreSQL study: a worker killed with kill -9
// mid-trial leaves exactly that trial failed, the others finish the budget, no trial number repeats, and the
// notebook's %%tune result shows every process's trials. Also the worker's refusals (no such study, SQLite).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { freshSchemaUrl, usePostgres } from "../unit/store/pg-cluster.js";
import { allOutputs, ARTIFACTS, executeNotebook, kernelEnv, REPO_ROOT, writeNotebook } from "../helpers/jupyter.js";

const LAUNCHER = join(REPO_ROOT, "bin", "labnote.js");
const TRIALS = 24;
const serverUrl = usePostgres();

function startWorker(projectDir: string, store: string): { child: ChildProcess; exited: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [LAUNCHER, "worker", "tune.ipynb", "--study", "sleepy", "--store", store], { cwd: projectDir, env: kernelEnv(), stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once("exit", (code) => resolveExit(code)));
  return { child, exited, output: () => output };
}

interface StoredTrial {
  number: number;
  state: string;
  kernel_id: string;
  error: string | null;
}

describe("labnote worker", () => {
  it("shares a PostgreSQL study with the notebook; kill -9 fails exactly the victim's trial and the rest finish", async () => {
    const store = await freshSchemaUrl(serverUrl());
    const projectDir = join(ARTIFACTS, `tune-workers-${Date.now()}`);
    mkdirSync(projectDir, { recursive: true });
    writeNotebook(join(projectDir, "tune.ipynb"), [
      "const sleep = (ms: number) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));",
      `%%tune --trials ${TRIALS} --sampler random --study sleepy --seed 5\nconst x = trial.float("x", -1, 1);\nawait sleep(1000);\nreturn x * x;`,
    ]);
    const client = new pg.Client({ connectionString: store });
    // The notebook first; the workers join once its kernel is inside its first trial (started together, a kernel
    // slow to start under load found the budget already taken by the workers).
    const notebook = executeNotebook(join(projectDir, "tune.ipynb"), { cwd: projectDir, timeoutSec: 240, env: { LABNOTE_STORE: store } });
    notebook.catch(() => undefined);
    let victim: ReturnType<typeof startWorker> | undefined;
    let survivor: ReturnType<typeof startWorker> | undefined;
    let killedTrial: number | undefined;
    try {
      await client.connect();
      const notebookDeadline = Date.now() + 120_000;
      for (;;) {
        const table = await client.query(`SELECT to_regclass('labnote_trials') IS NOT NULL AS present`);
        if (table.rows[0].present && (await client.query(`SELECT 1 FROM labnote_trials LIMIT 1`)).rows.length > 0) break;
        if (Date.now() > notebookDeadline) throw new Error("the notebook's kernel started no trial within 120 s");
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
      }
      victim = startWorker(projectDir, store);
      survivor = startWorker(projectDir, store);
      // Wait until the victim is inside a trial, then kill -9 it.
      const marker = `-${victim.child.pid}-`;
      const deadline = Date.now() + 180_000;
      while (killedTrial === undefined && Date.now() < deadline) {
        await new Promise((resolveWait) => setTimeout(resolveWait, 100));
        const table = await client.query(`SELECT to_regclass('labnote_trials') IS NOT NULL AS present`);
        if (!table.rows[0].present) continue;
        const running = await client.query<StoredTrial>(`SELECT number, state, kernel_id, error FROM labnote_trials WHERE state = 'running' AND kernel_id LIKE $1`, [`%${marker}%`]);
        if (running.rows.length > 0) {
          victim.child.kill("SIGKILL");
          killedTrial = running.rows[0]!.number;
        }
      }
      expect(killedTrial, `the victim never started a trial:\n${victim.output()}`).toBeDefined();
      expect(await victim.exited).toBeNull(); // killed by a signal
      expect(await survivor.exited, survivor.output()).toBe(0);
      const executed = await notebook;

      const { rows } = await client.query<StoredTrial>(`SELECT number, state, kernel_id, error FROM labnote_trials ORDER BY number`);
      expect(rows.map((row) => row.number)).toEqual(Array.from({ length: TRIALS }, (_, index) => index)); // no duplicates, none missing
      const failed = rows.filter((row) => row.state === "failed");
      expect(failed.map((row) => row.number)).toEqual([killedTrial]);
      expect(failed[0]!.kernel_id).toContain(`-${victim.child.pid}-`);
      expect(failed[0]!.error).toMatch(/died while the trial ran/);
      expect(rows.filter((row) => row.state === "complete")).toHaveLength(TRIALS - 1);
      expect(new Set(rows.map((row) => row.kernel_id)).size).toBe(3); // victim, survivor, notebook kernel all ran trials

      // The notebook's %%tune result is the whole study: every process's trials, the killed one failed.
      const outputs = allOutputs(executed);
      expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);
      const study = outputs.map((output) => (output.data as Record<string, unknown> | undefined)?.["application/json"] as { name?: string; trials?: { number: number; state: string }[] } | undefined).find((value) => value?.name === "sleepy")!;
      expect(study.trials!.map((trial) => trial.number)).toEqual(rows.map((row) => row.number));
      expect(study.trials!.find((trial) => trial.number === killedTrial)!.state).toBe("failed");
      expect(survivor.output()).toContain(`${TRIALS} trials (${TRIALS - 1} complete, 1 failed)`);
    } finally {
      victim?.child.kill("SIGKILL");
      survivor?.child.kill("SIGKILL");
      await client.end().catch(() => undefined);
    }
  }, 300_000);

  it("refuses a notebook without that study's %%tune cell, and SQLite without --local", async () => {
    const projectDir = join(ARTIFACTS, `tune-workers-refusals-${Date.now()}`);
    mkdirSync(projectDir, { recursive: true });
    writeNotebook(join(projectDir, "tune.ipynb"), ["const a = 1;", "%%tune --trials 2 --study other\nreturn trial.float(\"x\", 0, 1);"]);
    const run = (args: string[]) => promisify(execFile)(process.execPath, [LAUNCHER, "worker", ...args], { cwd: projectDir, env: kernelEnv() }).then(() => ({ code: 0, stderr: "" }), (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }));
    const noStudy = await run(["tune.ipynb", "--study", "sleepy", "--store", "postgres://nobody@127.0.0.1:1/none"]);
    expect(noStudy.code).toBe(2);
    expect(noStudy.stderr).toContain(`has no %%tune cell for study "sleepy" (its %%tune cells are for "other"). Give the cell --study sleepy`);
    const sqlite = await run(["tune.ipynb", "--study", "other"]);
    expect(sqlite.code).toBe(2);
    expect(sqlite.stderr).toMatch(/the store is SQLite .* workers on several machines need PostgreSQL — pass --store postgres:\/\/.*add --local/);
  }, 120_000);
});
