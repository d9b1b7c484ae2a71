// %version checkout (code into a new notebook, data from the cache), repro (what differs now) and forget (GDPR).
import { existsSync, lstatSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { MagicError } from "../types.js";
import { hashData, waitForCacheCopies, type ManifestEntry } from "./data.js";
import { copyAtomically, localCache, objectPath, readTombstones, remoteDataDir, removeObject, sha256OfFile, tombstoneMessage, writeTombstones, type Tombstone } from "./data-cache.js";
import { codeCells, diffCells, diffData, diffRecords, type CellDiff, type DataDiff } from "./diff.js";
import { currentBackend, currentSeedValue, environmentLock } from "./env.js";
import { firstParentLog, readTextAt } from "./git-store.js";
import { OutsideProjectError, resolveInsideProject } from "./paths.js";
import { knownDataRemotes } from "./remote.js";
import type { VersionSession } from "./session.js";
import { notebookAsExecuted, readVersion, readVersionNotebook, type VersionRecord } from "./versions.js";

export interface CheckoutResult {
  version: string;
  notebook: string;
  data: { restored: string[]; unchanged: string[]; missing: { path: string; message: string }[]; refused: { path: string; message: string }[] };
}

function freshNotebookPath(session: VersionSession, id: string): string {
  const stem = session.notebookPath ? basename(session.notebookPath).replace(/\.ipynb$/, "") : "notebook";
  for (let attempt = 0; ; attempt++) {
    const candidate = join(session.projectDir, `${stem}@${id.slice(0, 8)}${attempt ? `-${attempt}` : ""}.ipynb`);
    if (!existsSync(candidate)) return candidate;
  }
}

function restoreFile(session: VersionSession, entry: ManifestEntry, tombstones: Tombstone[], result: CheckoutResult["data"]): void {
  let target: string;
  try {
    target = resolveInsideProject(session.projectDir, entry.path);
    if (existsSync(target) && lstatSync(target).isSymbolicLink()) throw new OutsideProjectError(`${entry.path} is a symlink in the project: labnote does not write through symlinks; remove it and check out again.`);
  } catch (error) {
    result.refused.push({ path: entry.path, message: error instanceof Error ? error.message : String(error) });
    return;
  }
  if (existsSync(target) && sha256OfFile(target) === entry.sha256) {
    result.unchanged.push(entry.path);
    return;
  }
  const source = objectPath(localCache(session.projectDir), entry.sha256);
  if (!existsSync(source)) {
    const message = tombstoneMessage(tombstones, entry.sha256, entry.path) ?? `${entry.path}: its bytes (sha256 ${entry.sha256.slice(0, 12)}…) are not in the local cache: run %version pull REMOTE to fetch them.`;
    result.missing.push({ path: entry.path, message });
    return;
  }
  // A hard-linked cache object may have been edited in place since: never restore bytes that do not match.
  if (sha256OfFile(source) !== entry.sha256) {
    result.missing.push({ path: entry.path, message: `${entry.path}: the cached copy was modified in place since it was recorded; its original bytes are lost locally — pull them from a remote with %version pull.` });
    return;
  }
  copyAtomically(source, target);
  result.restored.push(entry.path);
}

export async function checkoutVersion(session: VersionSession, id: string, options: { data: boolean }): Promise<CheckoutResult> {
  const { gitdir } = await session.repo();
  await waitForCacheCopies();
  const notebook = await readVersionNotebook(gitdir, id);
  const notebookPath = freshNotebookPath(session, id);
  writeFileSync(notebookPath, `${JSON.stringify(notebook, null, 1)}\n`, { flag: "wx" });
  const data: CheckoutResult["data"] = { restored: [], unchanged: [], missing: [], refused: [] };
  if (options.data) {
    const version = await readVersion(gitdir, id);
    const tombstones = readTombstones(localCache(session.projectDir));
    for (const entry of version.data.files) restoreFile(session, entry, tombstones, data);
  }
  return { version: id, notebook: notebookPath, data };
}

export interface ReproReport {
  version: string;
  code: CellDiff[];
  data: DataDiff & { problems: { path: string; message: string }[] };
  env: { key: string; before: unknown; after: unknown }[];
  seed: { recorded: number | null; now: number | null; message: string | null };
  nondeterminism: string[];
}

export async function reproVersion(session: VersionSession, id: string): Promise<ReproReport> {
  const { gitdir } = await session.repo();
  const version: VersionRecord = await readVersion(gitdir, id);
  const then = codeCells(await readVersionNotebook(gitdir, id));
  const now = codeCells(await notebookAsExecuted(session));
  const current = await hashData(session.projectDir, version.data.files.map((file) => file.path), { stateCache: session.states() });
  const env = await environmentLock(session.projectDir);
  const seedNow = await currentSeedValue();
  const seedThen = version.env.seed ?? null;
  const nondeterminism: string[] = [];
  const backend = await currentBackend();
  if (backend?.name === "webgpu") nondeterminism.push("tfjs backend webgpu: GPU reductions are not bitwise reproducible run to run.");
  if (backend?.name === "wasm") nondeterminism.push("tfjs backend wasm: with threads, reduction order (and so float rounding) can vary.");
  if (backend?.name === "tensorflow") nondeterminism.push("tfjs backend tensorflow: multi-threaded CPU/CUDA kernels can round differently run to run.");
  if (seedThen === null) nondeterminism.push("the version had no %seed: random initialisation and shuffling will differ.");
  const seedMessage = seedThen === seedNow ? null : seedThen === null ? `no seed was recorded; now ${seedNow}` : `recorded seed ${seedThen}, now ${seedNow ?? "none"}: run %seed ${seedThen}`;
  return {
    version: id,
    code: diffCells(then, now, { from: id.slice(0, 10), to: "now" }),
    data: { ...diffData(version.data.files, current.files), problems: current.problems },
    env: diffRecords(version.env as unknown as Record<string, unknown>, env as unknown as Record<string, unknown>).filter((entry) => entry.key !== "seed"),
    seed: { recorded: seedThen, now: seedNow, message: seedMessage },
    nondeterminism,
  };
}

export interface ForgetResult {
  hashes: string[];
  removedFrom: string[];
  tombstones: Tombstone[];
}

/** Every hash recorded for a path in the session, the versions and the current file. */
async function hashesForPath(session: VersionSession, path: string): Promise<string[]> {
  const { gitdir } = await session.repo();
  const hashes = new Set<string>();
  const fromSession = session.dataHashes.get(path);
  if (fromSession) hashes.add(fromSession);
  for (const commit of await firstParentLog(gitdir, session.versionsRef)) {
    const data = JSON.parse((await readTextAt(gitdir, commit.oid, "data.json")) ?? '{"files":[]}') as { files: ManifestEntry[] };
    for (const file of data.files) if (file.path === path || file.path.startsWith(`${path.replace(/\/$/, "")}/`)) hashes.add(file.sha256);
  }
  return [...hashes];
}

export async function forgetData(session: VersionSession, target: string, reason: string, now = new Date()): Promise<ForgetResult> {
  if (!reason.trim()) throw new MagicError("forget needs --reason TEXT: the reason is shown to whoever later needs these bytes.");
  await waitForCacheCopies();
  const isHash = /^[0-9a-f]{64}$/.test(target);
  const path = isHash ? null : target.replace(/^\.\//, "");
  const hashes = isHash ? [target] : await hashesForPath(session, path!);
  if (hashes.length === 0) throw new MagicError(`nothing is recorded for ${target}: give a path used in a version or a full sha256 (see %version log / diff).`);
  const tombstones: Tombstone[] = hashes.map((sha256) => ({ sha256, path, reason, removedAt: now.toISOString() }));
  const caches = [localCache(session.projectDir), ...knownDataRemotes(session.projectDir).map((remote) => remoteDataDir(remote, session.projectDir))];
  const removedFrom: string[] = [];
  for (const root of caches) {
    let removed = false;
    for (const sha256 of hashes) removed = removeObject(root, sha256) || removed;
    if (removed) removedFrom.push(root);
    if (existsSync(root) || root === caches[0]) writeTombstones(root, [...readTombstones(root), ...tombstones]);
  }
  // The state cache must not vouch for bytes that are gone.
  const states = session.states();
  states.forget(new Set(hashes));
  states.save();
  return { hashes, removedFrom, tombstones };
}
