// %version repro V --run / labnote repro: re-execute a version headless in a fresh kernel inside a scratch project
// and compare everything it recorded. The scratch project is removed afterwards, whatever happens.
import { dirname, join } from "node:path";
import type { JSONObject, JSONValue, NotebookOutput } from "../../../kernel/types.js";
import { PACKAGE_ROOT } from "../../../kernel/engine/package-root.js";
import { BACKEND_NAMES } from "../../../training/backends/types.js";
import { MagicError } from "../../types.js";
import { environmentLock, type EnvironmentLock } from "../env.js";
import { labnoteBuild } from "../labnote-build.js";
import { firstParentLog, gitFs, listRefs, loadGit, readTextAt } from "../git-store.js";
import { cellSource, readVersion, readVersionNotebook, type NotebookDocument, type VersionRecord } from "../versions.js";
import { compareData, compareOutputs, compareRun, normaliser, pairRuns, worse, type DataComparison, type RecordedOutput, type RunComparison, type RunSide, type Verdict } from "./compare.js";
import { curvesFromPoints, type RunCurves } from "./curves.js";
import { HeadlessKernel, type CellExecution } from "./headless-kernel.js";
import { createScratchProject, type ScratchProject } from "./scratch.js";

export interface ReproRunOptions {
  /** Relative tolerance for numbers (absolute below 1). */
  tolerance: number;
  /** tfjs backend for the re-run (default: the one the version recorded). */
  backend?: string | undefined;
  cellTimeoutMs: number;
  /** Data caches searched in order for the version's bytes. */
  dataCaches: string[];
  /** The user's project: where the notebook's packages are found (node_modules is linked, never written). */
  projectDir: string;
  /** Re-run this notebook instead of the version's own (e.g. the code as it is now), compared with the version. */
  notebook?: NotebookDocument | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

export interface CellResult {
  cell: number;
  firstLine: string;
  verdict: Verdict | "skipped";
  rerunStatus: CellExecution["status"] | "skipped";
  maxAbs: number;
  maxRel: number;
  difference?: string;
}

export interface FirstDifference {
  kind: "cell" | "run" | "data" | "environment";
  cell?: number;
  run?: string;
  metric?: string;
  step?: number | null;
  description: string;
}

export interface ReproResult {
  version: string;
  message: string;
  verdict: Verdict;
  tolerance: number;
  /** Re-run of the version's own notebook, or of the code as it is now ("current"). */
  code: "version" | "current";
  cells: CellResult[];
  runs: RunComparison[];
  data: DataComparison[];
  firstDifference: FirstDifference | null;
  nondeterminism: string[];
  environment: { key: string; recorded: JSONValue; rerun: JSONValue }[];
  durationMs: number;
}

/** Cells a re-run must not execute: they act on the user's repository or remotes (commit, push, forget, repro …). */
export function skipReason(code: string): string | null {
  for (const line of code.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    if (!trimmed.startsWith("%")) return null;
    if (/^%%?version\b/.test(trimmed) && !/^%version\s+data\b/.test(trimmed)) return "a %version command (acts on the repository, not the experiment)";
    if (/^%track\s+(ui|delete)\b/.test(trimmed)) return "a %track ui/delete command";
  }
  return null;
}

const ENV_PROBE_MARK = "LABNOTE-REPRO-ENV ";

/** Asks the re-run kernel which tfjs backend its cells used (null when no cell loaded tf; never loads it). */
function envProbe(): string {
  return `import { backendInfo as labnoteReproBackendInfo } from "labnote";\nconsole.log(${JSON.stringify(ENV_PROBE_MARK)} + JSON.stringify({ tfjsBackend: labnoteReproBackendInfo()?.name ?? null, tfjsBackendReason: labnoteReproBackendInfo()?.reason ?? null, node: process.version }));`;
}

/** Runs of the versions before V (oldest first): a re-run produces them too, so their ids pair up. */
async function earlierVersionRuns(gitdir: string, versionId: string): Promise<VersionRecord["runs"]> {
  const git = await loadGit();
  const batches: VersionRecord["runs"][] = [];
  let oid: string | undefined = (await git.readCommit({ fs: gitFs(gitdir), gitdir, oid: versionId })).commit.parent[0];
  while (oid) {
    const text = await readTextAt(gitdir, oid, "runs.json");
    if (text) batches.unshift(JSON.parse(text) as VersionRecord["runs"]);
    oid = (await git.readCommit({ fs: gitFs(gitdir), gitdir, oid })).commit.parent[0];
  }
  return batches.flat();
}

async function readCurves(gitdir: string, versionId: string, runId: string): Promise<RunCurves | null> {
  const text = await readTextAt(gitdir, versionId, `curves/${runId}.json`);
  return text ? (JSON.parse(text) as RunCurves) : null;
}

/** Runs and curves the re-run wrote into the scratch store. */
async function rerunRuns(scratch: ScratchProject): Promise<RunSide[]> {
  const { openStore } = await import("../../../store/index.js");
  const store = await openStore(scratch.dir, { location: `sqlite:${scratch.storePath}` });
  try {
    const runs = await store.findRuns({ order: "oldest" });
    const out: RunSide[] = [];
    for (const run of runs) out.push({ id: run.id, name: run.name, params: run.params, summary: run.summary, curves: curvesFromPoints(await store.getMetrics(run.id)) });
    return out;
  } finally {
    await store.close();
  }
}

/** path → sha256 of every data file the re-run's cells read (from its own auto-snapshots). */
async function rerunDataReads(gitdir: string): Promise<Map<string, string>> {
  const reads = new Map<string, string>();
  for (const ref of (await listRefs(gitdir, "refs/labnote/")).keys()) {
    if (!ref.endsWith("/cells")) continue;
    for (const commit of (await firstParentLog(gitdir, ref)).reverse()) {
      const record = JSON.parse((await readTextAt(gitdir, commit.oid, "cell.json")) ?? "{}") as { data?: { files?: { path: string; sha256: string }[] } };
      for (const file of record.data?.files ?? []) reads.set(file.path, file.sha256);
    }
  }
  return reads;
}

const ENV_KEYS = ["node", "packageLock", "tfjsBackend", "labnote", "os", "arch", "cpu", "cpuCount"] as const;

function environmentDifferences(recorded: EnvironmentLock, rerun: EnvironmentLock | null): ReproResult["environment"] {
  if (!rerun) return [{ key: "environment", recorded: "recorded", rerun: "the re-run could not report its environment" }];
  const out: ReproResult["environment"] = [];
  for (const key of ENV_KEYS) {
    const a = (recorded[key] ?? null) as JSONValue;
    const b = (rerun[key] ?? null) as JSONValue;
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ key, recorded: a, rerun: b });
  }
  return out;
}

function nondeterminismSeen(version: VersionRecord, notebookCells: string[], cells: CellResult[], rerunEnv: EnvironmentLock | null, anyDifference: boolean): string[] {
  const notes: string[] = [];
  const backend = rerunEnv?.tfjsBackend ?? version.env.tfjsBackend;
  const outcome = anyDifference ? "" : " (here every number matched exactly)";
  if (backend === "webgpu") notes.push(`backend webgpu: GPU reductions are not bitwise reproducible run to run${outcome}.`);
  if (backend === "wasm") notes.push(`backend wasm: with threads, reduction order (and so float rounding) can vary${outcome}.`);
  if (backend === "tensorflow") notes.push(`backend tensorflow: multi-threaded CPU/CUDA kernels can round differently run to run${outcome}.`);
  const randomCells = notebookCells.map((code, index) => (/Math\.random|tf\.random|tf\.layers|shuffle/.test(code) ? index + 1 : 0)).filter(Boolean);
  if (version.env.seed === null && randomCells.length > 0) notes.push(`unseeded Math.random: the version ran without %seed and cell(s) ${randomCells.join(", ")} draw random numbers (initialisers, shuffles)${anyDifference ? "" : ", yet the outputs matched"}.`);
  for (const cell of cells) {
    const code = notebookCells[cell.cell - 1] ?? "";
    if (cell.verdict !== "identical" && cell.verdict !== "skipped" && /Date\.now|performance\.now|new Date\(/.test(code)) notes.push(`cell ${cell.cell} reads the clock (Date.now / performance.now / new Date) and its output changed.`);
  }
  if (rerunEnv) {
    const hardware = (["cpu", "cpuCount", "arch", "os"] as const).filter((key) => JSON.stringify(version.env[key]) !== JSON.stringify(rerunEnv[key]));
    if (hardware.length > 0) notes.push(`different hardware: ${hardware.map((key) => `${key} ${JSON.stringify(version.env[key])} then, ${JSON.stringify(rerunEnv[key])} now`).join("; ")}.`);
  }
  return notes;
}

export async function reproduceVersion(gitdir: string, versionId: string, options: ReproRunOptions): Promise<ReproResult> {
  const started = Date.now();
  if (options.backend !== undefined && !(BACKEND_NAMES as readonly string[]).includes(options.backend)) {
    throw new MagicError(`--backend ${options.backend} is not a TensorFlow.js backend labnote knows: use one of ${BACKEND_NAMES.join(", ")}.`);
  }
  const version = await readVersion(gitdir, versionId);
  const recordedNotebook = await readVersionNotebook(gitdir, versionId);
  const notebook = options.notebook ?? recordedNotebook;
  const recordedCells = recordedNotebook.cells.filter((cell) => cell.cell_type === "code");
  const cellsToRun = notebook.cells.filter((cell) => cell.cell_type === "code");
  const progress = options.onProgress ?? (() => undefined);
  const scratch = await createScratchProject({ files: version.data.files, caches: options.dataCaches, projectDir: options.projectDir });
  try {
    const backend = options.backend ?? version.env.tfjsBackend ?? undefined;
    // Its own store and no data cache (the bytes are already the version's): the re-run writes nothing elsewhere.
    const env: NodeJS.ProcessEnv = { ...process.env, LABNOTE_STORE: `sqlite:${scratch.storePath}`, LABNOTE_AUTOSNAPSHOT: "on", LABNOTE_CACHE: "none", LABNOTE_WIDGETS: "off", ...(backend ? { LABNOTE_BACKEND: backend } : {}) };
    delete env.JPY_SESSION_NAME;
    progress("starting a fresh labnote kernel");
    const kernel = await HeadlessKernel.start({ cwd: scratch.dir, runtimeDir: scratch.root, launcher: join(PACKAGE_ROOT, "bin", "labnote.js"), env });
    const executions: (CellExecution | null)[] = [];
    let rerunEnv: EnvironmentLock | null = null;
    try {
      for (const [index, cell] of cellsToRun.entries()) {
        const code = cellSource(cell);
        if (skipReason(code)) {
          executions.push(null);
          continue;
        }
        progress(`cell ${index + 1}/${cellsToRun.length}`);
        executions.push(await kernel.execute(code, { timeoutMs: options.cellTimeoutMs, ...(cell.id ? { cellId: cell.id } : {}) }));
        // A person (or nbclient) leaves the kernel a quiet moment between cells, in which it hashes the data the cell
        // read; back-to-back cells would see those hashes later. A silent %version command waits for them instead.
        await kernel.execute("%version log --limit 1", { timeoutMs: options.cellTimeoutMs, silent: true });
      }
      const probe = await kernel.execute(envProbe(), { timeoutMs: 60_000 });
      const line = probe.outputs.flatMap((output) => (output.output_type === "stream" ? output.text.split("\n") : [])).find((text) => text.startsWith(ENV_PROBE_MARK));
      // The kernel runs this machine's Node and the project's packages: the lock is read here, the backend there.
      // The lock of the packages the re-run actually used (the linked node_modules' project).
      // labnote's code as the re-run kernel loaded it (read again: a build since this process started counts).
      if (line) rerunEnv = { ...(await environmentLock(scratch.modules ? dirname(scratch.modules) : options.projectDir)), ...(JSON.parse(line.slice(ENV_PROBE_MARK.length)) as Partial<EnvironmentLock>), seed: version.env.seed, labnote: labnoteBuild({ fresh: true }) };
    } finally {
      await kernel.shutdown();
    }
    progress("comparing");
    const runIds = new Map<string, string>();
    const rerun = await rerunRuns(scratch);
    const earlier = await earlierVersionRuns(gitdir, versionId);
    const everyRecorded = [...earlier, ...version.runs];
    const pairedAll = pairRuns(everyRecorded, rerun);
    const paired = pairedAll.slice(earlier.length);
    // Each recorded run and its re-run counterpart print as the same name (the k-th run of a name as #k).
    const seenNames = new Map<string, number>();
    everyRecorded.forEach((run, index) => {
      const count = (seenNames.get(run.name) ?? 0) + 1;
      seenNames.set(run.name, count);
      const label = `<run:${run.name}${count > 1 ? `#${count}` : ""}>`;
      runIds.set(run.id, label);
      const other = pairedAll[index];
      if (other) runIds.set(other.id, label);
    });
    for (const run of rerun) if (!runIds.has(run.id)) runIds.set(run.id, `<run:${run.name}>`);
    const normalise = normaliser(runIds);
    const lateHashes: string[] = [];
    const machineWarnings = new Set<string>();
    const cells: CellResult[] = cellsToRun.map((cell, index) => {
      const code = cellSource(cell);
      const firstLine = code.split("\n").find((text) => text.trim() !== "")?.trim().slice(0, 60) ?? "";
      const execution = executions[index];
      const base = { cell: index + 1, firstLine };
      if (!execution) return { ...base, verdict: "skipped", rerunStatus: "skipped", maxAbs: 0, maxRel: 0, difference: `not re-run: ${skipReason(code)}` };
      const recorded = (recordedCells[index]?.outputs ?? []) as RecordedOutput[];
      const outputs = execution.outputs.map(toRecorded);
      if (execution.status === "timeout" || execution.status === "kernel-died") return { ...base, verdict: "differs", rerunStatus: execution.status, maxAbs: 0, maxRel: 0, difference: `cell ${index + 1}: ${execution.error?.evalue ?? execution.status}` };
      const compared = compareOutputs(recorded, outputs, options.tolerance, `cell ${index + 1}`, normalise, (path) => lateHashes.push(path), (where) => machineWarnings.add(where));
      return { ...base, verdict: compared.verdict, rerunStatus: execution.status, maxAbs: compared.maxAbs, maxRel: compared.maxRel, ...(compared.first ? { difference: compared.first } : {}) };
    });
    const runs = await Promise.all(version.runs.map(async (run, index) => compareRun({ id: run.id, name: run.name, params: run.params, summary: run.summary, curves: await readCurves(gitdir, versionId, run.id) }, paired[index], options.tolerance)));
    const data = compareData(version.data.files, await rerunDataReads(scratch.gitdir));
    const environment = environmentDifferences(version.env, rerunEnv);
    let verdict: Verdict = "identical";
    for (const cell of cells) if (cell.verdict !== "skipped") verdict = worse(verdict, cell.verdict);
    for (const run of runs) verdict = worse(verdict, run.verdict);
    for (const entry of data) verdict = worse(verdict, entry.verdict);
    const notebookCode = cellsToRun.map(cellSource);
    return {
      version: versionId,
      message: version.message,
      verdict,
      tolerance: options.tolerance,
      code: options.notebook ? "current" : "version",
      cells,
      runs,
      data,
      firstDifference: firstDifference(cells, runs, data),
      nondeterminism: [
        ...nondeterminismSeen(version, notebookCode, cells, rerunEnv, verdict !== "identical"),
        ...(machineWarnings.size > 0 ? [`machine load: throughput warnings (how busy the machine was, not the experiment) appeared in ${[...machineWarnings].join(", ")} on one side or both; not compared.`] : []),
        ...(lateHashes.length > 0 ? [`data hashes are taken in the background after a cell reads a file, so an output shows them only once hashed: ${lateHashes.length} place(s) had a hash on one side only (${lateHashes.slice(0, 2).join("; ")}) — record-keeping, not counted as a difference.`] : []),
      ],
      environment,
      durationMs: Date.now() - started,
    };
  } finally {
    scratch.remove();
  }
}

function toRecorded(output: NotebookOutput): RecordedOutput {
  return output as unknown as RecordedOutput;
}

function firstDifference(cells: CellResult[], runs: RunComparison[], data: DataComparison[]): FirstDifference | null {
  const cell = cells.find((entry) => entry.verdict === "differs");
  const run = runs.find((entry) => entry.verdict === "differs");
  // A run's curve says more than the cell that printed its final numbers: name the metric and the step.
  if (run) {
    const curve = run.curves.find((entry) => entry.verdict === "differs");
    const metric = run.metrics.find((entry) => entry.verdict === "differs");
    return { kind: "run", run: run.name, ...(curve ? { metric: curve.metric, step: curve.firstStepBeyondTolerance } : metric ? { metric: metric.key } : {}), ...(cell ? { cell: cell.cell } : {}), description: run.first ?? `run ${run.name} differs` };
  }
  if (cell) return { kind: "cell", cell: cell.cell, description: cell.difference ?? `cell ${cell.cell} differs` };
  const file = data.find((entry) => entry.verdict === "differs");
  if (file) return { kind: "data", description: `${file.path}: recorded sha256 ${file.recorded?.slice(0, 12)}…, the re-run read ${file.rerun?.slice(0, 12)}…` };
  return null;
}

/** The repro as a run of kind `repro` in the store, linked to the version. */
export function reproRunRecord(result: ReproResult, kernelId: string): { name: string; params: Record<string, JSONValue>; tags: string[]; summary: Record<string, JSONValue>; versionId: string; kernelId: string; env: JSONObject } {
  const differing = result.cells.filter((cell) => cell.verdict === "differs").length;
  return {
    name: `repro ${result.version.slice(0, 10)}`,
    params: { version: result.version, tolerance: result.tolerance, code: result.code },
    tags: ["repro"],
    summary: { verdict: result.verdict, cells_compared: result.cells.filter((cell) => cell.verdict !== "skipped").length, cells_differing: differing, runs_compared: result.runs.length, runs_differing: result.runs.filter((run) => run.verdict === "differs").length, first_difference: result.firstDifference?.description ?? null },
    versionId: result.version,
    kernelId,
    env: { kind: "repro", environment: result.environment as unknown as JSONValue, nondeterminism: result.nondeterminism },
  };
}
