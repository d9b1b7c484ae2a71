// `labnote worker NOTEBOOK --study NAME [--trials N] [--store URL] [--local]`: one more worker on a shared study.
// Executes the notebook headless in this process (labnote's engine, no Jupyter), cell by cell up to and including
// the %%tune cell of that study, so the objective sees the same data and definitions as in the notebook. Trials
// are shared through the store: on PostgreSQL (coordination.ts) any number of workers on any machines join, trial
// numbers never repeat, the processes together start exactly --trials trials, and a worker that dies leaves its
// running trial `failed` (PostgreSQL ends its session; the others notice at once) and the others finish the budget.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import { randomBytes } from "node:crypto";

export const WORKER_USAGE = "labnote worker NOTEBOOK --study NAME [--trials N] [--store URL] [--local]";

export class WorkerUsageError extends Error {}

export interface WorkerArgs {
  notebook: string;
  study: string;
  trials: number | undefined;
  store: string | undefined;
  local: boolean;
}

export function parseWorkerArgs(argv: string[]): WorkerArgs {
  let notebook: string | undefined;
  let study: string | undefined;
  let trials: number | undefined;
  let store: string | undefined;
  let local = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? (arg.split(/=(.*)/s, 2) as [string, string]) : [arg, undefined];
    const value = (): string => {
      const next = inline ?? argv[++index];
      if (next === undefined || (inline === undefined && next.startsWith("--"))) throw new WorkerUsageError(`${flag} needs a value.`);
      return next;
    };
    switch (flag) {
      case "--study":
        study = value();
        break;
      case "--trials": {
        const text = value();
        trials = Number(text);
        if (!Number.isInteger(trials) || trials < 1) throw new WorkerUsageError(`--trials must be a positive integer (the study's budget of finished trials), got "${text}".`);
        break;
      }
      case "--store":
        store = value();
        break;
      case "--local":
        local = true;
        break;
      default:
        if (arg.startsWith("--")) throw new WorkerUsageError(`unknown option "${arg}".`);
        if (notebook !== undefined) throw new WorkerUsageError(`one notebook per worker (got "${notebook}" and "${arg}").`);
        notebook = arg;
    }
  }
  if (notebook === undefined) throw new WorkerUsageError("name the notebook whose %%tune cell to run.");
  if (study === undefined) throw new WorkerUsageError("--study NAME is required: the study this worker joins (the %%tune cell's --study).");
  return { notebook, study, trials, store, local };
}

interface NotebookCell {
  cell_type: string;
  source: string | string[];
}

/** The code cells of a notebook file, with a clear error for anything else. */
export function readCodeCells(path: string): string[] {
  let parsed: { cells?: NotebookCell[] };
  try {
    parsed = JSON.parse(readFileSync(path, "utf8")) as { cells?: NotebookCell[] };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new WorkerUsageError(code === "ENOENT" ? `${path} does not exist.` : `${path} is not a notebook (.ipynb JSON): ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed.cells)) throw new WorkerUsageError(`${path} is not a notebook: it has no "cells" list.`);
  return parsed.cells.filter((cell) => cell.cell_type === "code").map((cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source));
}

const STUDY_OPTION = /--study(?:=|\s+)(?:"([^"]*)"|'([^']*)'|(\S+))/;

/** The --study of a %%tune cell, or undefined for other cells; "" when the cell has no --study. */
export function tuneStudyOf(code: string): string | undefined {
  const first = code.replace(/^\s+/, "").split("\n", 1)[0]!;
  if (!/^%%tune(\s|$)/.test(first)) return undefined;
  const match = STUDY_OPTION.exec(first);
  return match ? (match[1] ?? match[2] ?? match[3]!) : "";
}

/** The index of the %%tune cell of `study`; an error naming the studies the notebook has otherwise. */
export function findTuneCell(cells: string[], study: string, notebook: string): number {
  const studies = cells.map(tuneStudyOf);
  const index = studies.findIndex((name) => name === study);
  if (index !== -1) return index;
  const named = studies.filter((name): name is string => name !== undefined);
  const have = named.length === 0 ? "it has no %%tune cell" : `its %%tune cells are for ${named.map((name) => (name === "" ? "(no --study)" : `"${name}"`)).join(", ")}`;
  throw new WorkerUsageError(`${notebook} has no %%tune cell for study "${study}" (${have}). Give the cell --study ${study} on its %%tune line, or pass the --study it has.`);
}

/** The %%tune line with --trials set to `trials` (replaced or added). */
export function withTrials(code: string, trials: number): string {
  const newline = code.indexOf("\n");
  const first = newline === -1 ? code : code.slice(0, newline);
  const rest = newline === -1 ? "" : code.slice(newline);
  const replaced = /(--trials|-n)(=|\s+)\d+/.test(first) ? first.replace(/(--trials|-n)(=|\s+)\d+/, `--trials ${trials}`) : `${first} --trials ${trials}`;
  return replaced + rest;
}

/** Where the shared study lives; an error when workers could not share it. */
export async function checkWorkerStore(projectDir: string, store: string | undefined, local: boolean): Promise<string> {
  const { resolveStoreLocation } = await import("../../store/index.js");
  const setting = store ?? process.env.LABNOTE_STORE ?? "";
  let location;
  try {
    location = resolveStoreLocation(projectDir, { location: setting });
  } catch (error) {
    throw new WorkerUsageError((error as Error).message.replace(/^LABNOTE_STORE=/, "--store "));
  }
  if (location.kind === "postgres") return location.url;
  if (location.kind === "memory") throw new WorkerUsageError("a memory: store lives and dies with one process, so no other worker or kernel can see its trials. Use --store postgres://user@host:port/db.");
  if (!local) {
    throw new WorkerUsageError(
      `the store is SQLite (${location.path}): a file only processes on this machine can share, so workers on several machines need PostgreSQL — ` +
        `pass --store postgres://user@host:port/db (or set LABNOTE_STORE) on every worker and in the notebook. ` +
        `For workers on this machine only, add --local (SQLite then notices a dead worker by its heartbeat, after 2 minutes).`,
    );
  }
  return `sqlite:${location.path}`;
}

/** Runs the worker; returns the process exit code. */
export async function runWorker(argv: string[], log: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<number> {
  const args = parseWorkerArgs(argv);
  const notebook = resolve(args.notebook);
  const cells = readCodeCells(notebook);
  const tuneIndex = findTuneCell(cells, args.study, notebook);
  const projectDir = dirname(notebook);
  const storeSetting = await checkWorkerStore(projectDir, args.store, args.local);
  // The engine and the magics read these; a worker never snapshots into the user's repository or draws widgets.
  process.env.LABNOTE_STORE = storeSetting;
  process.env.LABNOTE_AUTOSNAPSHOT ??= "off";
  process.env.LABNOTE_WIDGETS = "off";
  process.env.LABNOTE_HEADLESS_WORKER = "1";
  process.chdir(projectDir);
  const kernelId = `worker-${hostname()}-${process.pid}-${randomBytes(3).toString("hex")}`;
  const { createEngine } = await import("../../kernel/engine.js");
  const engine = createEngine({
    projectDir,
    kernelId,
    notebookPath: notebook,
    comms: {
      registerTarget() {},
      unregisterTarget() {},
      open() {
        throw new Error("a headless worker has no frontend for comms");
      },
      list: () => [],
    },
  });
  log(`labnote worker ${kernelId}: study "${args.study}" of ${notebook}${args.trials ? `, budget ${args.trials} trials` : ""}`);
  let exitCode = 0;
  try {
    for (let index = 0; index <= tuneIndex; index++) {
      let code = cells[index]!;
      const study = tuneStudyOf(code);
      if (study !== undefined && index !== tuneIndex) {
        log(`  cell ${index + 1}: skipped (%%tune for another study${study ? `, "${study}"` : ""})`);
        continue;
      }
      if (index === tuneIndex && args.trials !== undefined) code = withTrials(code, args.trials);
      const outcome = await engine.execute({
        code,
        silent: false,
        storeHistory: false,
        allowStdin: false,
        userExpressions: {},
        executionCount: index + 1,
        output: {
          stream: (name, text) => (name === "stderr" ? process.stderr : process.stdout).write(text),
          displayData: () => undefined,
          updateDisplayData: () => undefined,
          clearOutput: () => undefined,
        },
        input: async () => {
          throw new Error("a headless worker cannot answer input(); give the value in the notebook instead");
        },
      });
      if (outcome.status === "error") {
        log(`  cell ${index + 1} failed: ${outcome.ename}: ${outcome.evalue}`);
        exitCode = 1;
        break;
      }
      const text = outcome.result?.["text/plain"];
      if (index === tuneIndex && typeof text === "string") log(`  ${text}`);
    }
  } finally {
    await engine.shutdown().catch(() => undefined);
  }
  return exitCode;
}
