// Named versions (%version commit): commits on refs/labnote/<notebook>/versions holding the notebook as executed,
// the data manifest, the environment lock and the runs produced since the last version.
import { existsSync, readFileSync } from "node:fs";
import type { JSONValue } from "../../kernel/types.js";
import { MagicError } from "../types.js";
import { hashData, waitForCacheCopies, type DataItem, type DataManifest, type DataProblem, type ManifestEntry } from "./data.js";
import { environmentLock, type EnvironmentLock } from "./env.js";
import { versionHistory } from "./diverged.js";
import { appendCommit, loadGit, gitFs, readRef, readTextAt, writeFilesTree } from "./git-store.js";
import type { VersionSession } from "./session.js";
import { runCurveFiles } from "./repro/curves.js";

export interface VersionRun {
  id: string;
  name: string;
  params: Record<string, JSONValue>;
  summary: Record<string, JSONValue>;
}

export interface NotebookCell {
  cell_type: string;
  id?: string;
  source: string | string[];
  execution_count?: number | null;
  outputs?: unknown[];
  metadata?: Record<string, unknown>;
}

export interface NotebookDocument {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

export interface VersionRecord {
  id: string;
  message: string;
  createdAt: string;
  kernelId: string;
  notebookPath: string | null;
  data: { items: DataItem[]; files: ManifestEntry[]; problems: DataProblem[] };
  runs: VersionRun[];
  env: EnvironmentLock;
}

export interface CommitVersionOptions {
  message: string;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  /** Runs produced since the last version (default: asks the store). */
  findRuns?: (session: VersionSession) => Promise<VersionRun[]>;
  now?: Date;
}

export function cellSource(cell: NotebookCell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source;
}

/**
 * The notebook as executed: the kernel's own record of each cell's code and outputs (never the file as last saved);
 * where the kernel kept no record (used as a library), the saved file, else this session's snapshots.
 */
export async function notebookAsExecuted(session: VersionSession): Promise<NotebookDocument> {
  if (session.executed.size > 0) return session.executed.document({ kernelId: session.kernelId, notebookPath: session.notebookPath ?? null });
  if (session.notebookPath && existsSync(session.notebookPath)) {
    return JSON.parse(readFileSync(session.notebookPath, "utf8")) as NotebookDocument;
  }
  const { gitdir } = await session.repo();
  const cells: NotebookCell[] = [];
  for (const oid of session.snapshotCommits) {
    const code = (await readTextAt(gitdir, oid, "cell.ts")) ?? "";
    const record = JSON.parse((await readTextAt(gitdir, oid, "cell.json")) ?? "{}") as { executionCount?: number; status?: string; outputs?: unknown };
    cells.push({ cell_type: "code", source: code, execution_count: record.executionCount ?? null, outputs: [], metadata: { labnote: { snapshot: oid, status: record.status ?? null, outputs: (record.outputs ?? null) as JSONValue } } });
  }
  return {
    cells,
    metadata: { kernelspec: { name: "labnote", display_name: "TypeScript (labnote)", language: "typescript" }, labnote: { rebuiltFromSnapshots: true, kernelId: session.kernelId } },
    nbformat: 4,
    nbformat_minor: 5,
  };
}

/** Runs of this kernel not yet in a version, from the shared store (empty when no store module is available). */
export async function runsFromStore(session: VersionSession): Promise<VersionRun[]> {
  let store;
  try {
    const module = await import("../../store/index.js");
    store = await module.getStore(session.projectDir);
  } catch {
    return [];
  }
  const runs = await store.findRuns({ order: "oldest" });
  return runs
    .filter((run) => run.kernelId === session.kernelId && run.versionId === null)
    .map((run) => ({ id: run.id, name: run.name, params: run.params, summary: run.summary }));
}

async function markRunsVersioned(session: VersionSession, runs: VersionRun[], versionId: string): Promise<void> {
  if (runs.length === 0) return;
  try {
    const module = await import("../../store/index.js");
    const store = await module.getStore(session.projectDir);
    for (const run of runs) await store.updateRun(run.id, { versionId });
  } catch {
    // no store: the version still lists the runs
  }
}

export async function commitVersion(session: VersionSession, options: CommitVersionOptions): Promise<VersionRecord> {
  await session.flush();
  const { gitdir } = await session.repo();
  const paths = session.usedDataPaths();
  const manifest: DataManifest | undefined = paths.length > 0 ? await hashData(session.projectDir, paths, { stateCache: session.states(), ...(options.onProgress ? { onProgress: options.onProgress } : {}) }) : undefined;
  if (manifest) session.rememberHashes(manifest);
  const notebook = await notebookAsExecuted(session);
  const runs = await (options.findRuns ?? runsFromStore)(session);
  const env = await environmentLock(session.projectDir);
  const now = options.now ?? new Date();
  const body = {
    message: options.message,
    createdAt: now.toISOString(),
    kernelId: session.kernelId,
    notebookPath: session.notebookPath ?? null,
    data: { items: manifest?.items ?? [], files: manifest?.files ?? [], problems: manifest?.problems ?? [] },
    runs,
    env,
  };
  const tree = await writeFilesTree(gitdir, {
    "notebook.ipynb": `${JSON.stringify(notebook, null, 1)}\n`,
    "version.json": `${JSON.stringify({ message: body.message, createdAt: body.createdAt, kernelId: body.kernelId, notebookPath: body.notebookPath }, null, 2)}\n`,
    "data.json": `${JSON.stringify(body.data, null, 2)}\n`,
    "env.json": `${JSON.stringify(env, null, 2)}\n`,
    "runs.json": `${JSON.stringify(runs, null, 2)}\n`,
    // Whole curves, so %version repro --run can compare step by step wherever the version travels.
    ...(await runCurveFiles(runs.map((run) => run.id), async () => (await import("../../store/index.js")).getStore(session.projectDir))),
  });
  const id = await appendCommit(gitdir, session.versionsRef, tree, options.message, now);
  // A named version is what users restore: its cache bytes must be independent copies before we return.
  const lost = await waitForCacheCopies();
  if (lost.length > 0) body.data.problems.push(...lost.map((object) => ({ path: object, message: `a data file changed before its bytes reached the cache (${object}): commit again once nothing writes the data.` })));
  await markRunsVersioned(session, runs, id);
  return { id, ...body };
}

export async function readVersion(gitdir: string, id: string): Promise<VersionRecord> {
  const read = async <T>(path: string, fallback: T): Promise<T> => {
    const text = await readTextAt(gitdir, id, path);
    return text === undefined ? fallback : (JSON.parse(text) as T);
  };
  const meta = await read("version.json", { message: "", createdAt: "", kernelId: "", notebookPath: null as string | null });
  return {
    id,
    ...meta,
    data: await read("data.json", { items: [], files: [], problems: [] }),
    runs: await read("runs.json", [] as VersionRun[]),
    env: await read("env.json", {} as EnvironmentLock),
  };
}

export async function readVersionNotebook(gitdir: string, id: string): Promise<NotebookDocument> {
  const text = await readTextAt(gitdir, id, "notebook.ipynb");
  if (text === undefined) throw new MagicError(`version ${id.slice(0, 10)} has no notebook.ipynb: it was not written by %version commit.`);
  return JSON.parse(text) as NotebookDocument;
}

export interface VersionSummary {
  id: string;
  message: string;
  createdAt: string;
  files: number;
  bytes: number;
  runs: string[];
  /** "local", or the remote a pulled, diverged line came from (both lines stay listed). */
  line: string;
}

export async function listVersions(session: VersionSession, limit = 50): Promise<VersionSummary[]> {
  const { gitdir } = await session.repo();
  // Every version on every line the ref joins (a pull keeps diverged lines), newest first: the order @~N counts in.
  const history = (await versionHistory(gitdir, session.versionsRef)).slice(0, limit);
  const out: VersionSummary[] = [];
  for (const entry of history) {
    const version = await readVersion(gitdir, entry.oid);
    out.push({
      id: entry.oid,
      message: entry.message,
      createdAt: entry.createdAt,
      files: version.data.files.length,
      bytes: version.data.files.reduce((sum, file) => sum + file.size, 0),
      runs: version.runs.map((run) => run.id),
      line: entry.line,
    });
  }
  return out;
}

/** A version named by full id, unique id prefix (≥ 4 hex digits), `@` (latest) or `@~N` (N back). */
export async function resolveVersion(session: VersionSession, spec: string): Promise<string> {
  const { gitdir } = await session.repo();
  const head = await readRef(gitdir, session.versionsRef);
  if (!head) throw new MagicError(`there are no versions yet in ${session.versionsRef}: make one with %version commit -m "message".`);
  const relative = /^@(?:~(\d+))?$/.exec(spec.trim());
  if (relative) {
    const back = Number(relative[1] ?? 0);
    const commits = await versionHistory(gitdir, session.versionsRef);
    if (commits.length <= back) throw new MagicError(`${spec} goes back further than the ${commits.length} version(s) there are: use a smaller N (see %version log).`);
    return commits[back]!.oid;
  }
  const prefix = spec.trim().toLowerCase();
  if (!/^[0-9a-f]{4,40}$/.test(prefix)) throw new MagicError(`"${spec}" is not a version: name one by its id, a unique id prefix (4+ hex digits), @ or @~N (see %version log).`);
  const matches = (await versionHistory(gitdir, session.versionsRef)).filter((commit) => commit.oid.startsWith(prefix));
  if (matches.length === 1) return matches[0]!.oid;
  if (matches.length > 1) throw new MagicError(`version prefix ${prefix} is ambiguous (${matches.map((m) => m.oid.slice(0, 10)).join(", ")}): give more digits.`);
  if (prefix.length === 40) {
    const git = await loadGit();
    try {
      await git.readCommit({ fs: gitFs(gitdir), gitdir, oid: prefix });
      return prefix;
    } catch {
      // fall through
    }
  }
  throw new MagicError(`no version ${spec} in ${session.versionsRef}: see %version log for the ids there are.`);
}
