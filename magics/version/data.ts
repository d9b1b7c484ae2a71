// Data manifests: which files (path, size, sha256) a cell or a version used. Walks declared files and directories,
// answers unchanged files from the state cache, hashes the rest over the worker pool and stores their bytes in the
// content-addressed cache (.labnote/cache/<aa>/<rest>) in the same pass.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, realpathSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join, resolve, sep } from "node:path";
import { HashError, sharedHashPool, type CacheMode, type HashPool } from "./hash-pool.js";
import { OutsideProjectError, cacheDir, isWithin, resolveInsideProject, toProjectPath } from "./paths.js";
import { StateCache } from "./state-cache.js";

export interface ManifestEntry {
  path: string;
  size: number;
  sha256: string;
}

/** What was declared or read: a file, or a directory summarised by the hash of its own manifest (as DVC's .dir). */
export interface DataItem {
  path: string;
  kind: "file" | "dir";
  size: number;
  sha256: string;
  files: number;
}

export interface DataProblem {
  path: string;
  message: string;
}

export interface DataManifest {
  items: DataItem[];
  files: ManifestEntry[];
  problems: DataProblem[];
  /** Files hashed now (not answered by the state cache), with their bytes. */
  hashedFiles: number;
  hashedBytes: number;
}

export interface HashDataOptions {
  pool?: HashPool;
  stateCache?: StateCache;
  cacheMode?: CacheMode;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

interface Candidate {
  absolute: string;
  projectPath: string;
  /** Filled by a batch stat (workers) for files found by the walk; symlinked files are stat'ed where found. */
  stat: FileStat | undefined;
}

interface FileStat {
  size: number;
  mtimeMs: number;
  ino: number;
}

/**
 * link-then-copy by default: a hard link makes the snapshot as fast as hashing alone, and a background copy then
 * gives the cache its own bytes (a bare hard link shares the user's inode, so rewriting the file in place would
 * alter the cached version). LABNOTE_CACHE=copy copies while hashing; =link keeps the links (restores verify).
 */
export function defaultCacheMode(): CacheMode {
  const mode = process.env.LABNOTE_CACHE;
  return mode === "link" || mode === "none" || mode === "copy" ? mode : "link-then-copy";
}

const pendingCacheCopies = new Set<Promise<unknown>>();
const lostCacheObjects: string[] = [];

/** Resolves when every background cache copy started so far is done; returns cache objects lost meanwhile. */
export async function waitForCacheCopies(): Promise<string[]> {
  while (pendingCacheCopies.size > 0) await Promise.all([...pendingCacheCopies]);
  return lostCacheObjects.splice(0);
}

/** The hash of a directory: sha256 over its sorted manifest, so equal trees have equal hashes. */
export function directoryHash(entries: ManifestEntry[]): string {
  const canonical = entries.map((entry) => `${entry.sha256} ${entry.size} ${entry.path}\n`).join("");
  return createHash("sha256").update(canonical).digest("hex");
}

/** The message a user sees for a file that could not be hashed. */
export function problemFor(path: string, error: unknown): DataProblem {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof OutsideProjectError) return { path, message: error.message };
  if (code === "EACCES" || code === "EPERM") return { path, message: `${path} cannot be read (permission denied): fix its permissions (chmod u+r) or stop declaring it.` };
  if (code === "ENOENT") return { path, message: `${path} does not exist: check the path (it is relative to the project directory).` };
  if (code === "ENOTFILE") return { path, message: `${path} is not a regular file (a pipe, socket or device): only files and directories can be versioned; skip it.` };
  if (code === "EBUSY") return { path, message: `${path} kept changing while it was hashed: wait until whatever writes it has finished, then snapshot again.` };
  return { path, message: `${path} could not be hashed (${error instanceof Error ? error.message : String(error)}).` };
}

interface WalkState {
  projectDir: string;
  realProject: string;
  out: Candidate[];
  problems: DataProblem[];
  /** Real paths of directories entered through symlinks (a link to an ancestor must not loop forever). */
  linkedDirs: Set<string>;
}

// Project paths are built by concatenation, not path.relative: a 100,000-file walk must stay well under a second.
function walk(state: WalkState, absolute: string, projectPath: string): void {
  let entries;
  try {
    entries = readdirSync(absolute, { withFileTypes: true });
  } catch (error) {
    state.problems.push(problemFor(projectPath, error));
    return;
  }
  const prefix = projectPath === "" ? "" : `${projectPath}/`;
  for (const entry of entries) {
    const name = entry.name;
    if (name === ".git" || (prefix === "" && name === ".labnote")) continue;
    const child = `${absolute}${sep}${name}`;
    const childPath = prefix + name;
    if (entry.isFile()) {
      state.out.push({ absolute: child, projectPath: childPath, stat: undefined });
    } else if (entry.isDirectory()) walk(state, child, childPath);
    else if (entry.isSymbolicLink()) addFollowingSymlink(state, child, childPath);
    else state.problems.push(problemFor(childPath, Object.assign(new Error("not a regular file"), { code: "ENOTFILE" })));
  }
}

/**
 * The same walk through findutils' `find` (Linux): one C process lists and stats the whole tree, far cheaper than a
 * Stats object (with four Dates) per file in Node 20. Returns false when find is unavailable; the JS walk then runs.
 */
function walkWithFind(state: WalkState, absolute: string, projectPath: string): boolean {
  if (process.platform !== "linux") return false;
  const prune = ["(", "-name", ".git", "-o", "-path", join(state.projectDir, ".labnote"), ")", "-prune", "-o"];
  const listing = spawnSync("find", [absolute, "-mindepth", "1", ...prune, "-printf", "%y %s %T@ %i %P\\0"], { maxBuffer: 1 << 30 });
  if (listing.error || listing.status === null || !listing.stdout) return false;
  const prefix = projectPath === "" ? "" : `${projectPath}/`;
  for (const record of listing.stdout.toString("utf8").split("\0")) {
    if (record === "") continue;
    // "%y %s %T@ %i %P": four space-free fields, then the path (which may contain spaces).
    const sizeAt = 2;
    const timeAt = record.indexOf(" ", sizeAt) + 1;
    const inoAt = record.indexOf(" ", timeAt) + 1;
    const pathAt = record.indexOf(" ", inoAt) + 1;
    const type = record[0];
    const relativePath = record.slice(pathAt);
    const childPath = prefix + relativePath;
    const child = `${absolute}${sep}${relativePath}`;
    if (type === "f") {
      const dot = record.indexOf(".", timeAt);
      const hasFraction = dot !== -1 && dot < inoAt;
      const seconds = Number(record.slice(timeAt, hasFraction ? dot : inoAt - 1));
      const nanoseconds = hasFraction ? Number(record.slice(dot + 1, Math.min(dot + 10, inoAt - 1)).padEnd(9, "0")) : 0;
      // Node's mtimeMs is sec * 1e3 + nsec / 1e6: computed the same way so state-cache keys match exactly.
      const mtimeMs = seconds * 1000 + nanoseconds / 1e6;
      state.out.push({ absolute: child, projectPath: childPath, stat: { size: Number(record.slice(sizeAt, timeAt - 1)), mtimeMs, ino: Number(record.slice(inoAt, pathAt - 1)) } });
    } else if (type === "l") addFollowingSymlink(state, child, childPath);
    else if (type !== "d") state.problems.push(problemFor(childPath, Object.assign(new Error("not a regular file"), { code: "ENOTFILE" })));
  }
  // find goes on past unreadable directories and names them on stderr.
  for (const line of listing.stderr.toString("utf8").split("\n")) {
    const unreadable = /^find: [‘'](.+)[’']: (Permission denied|No such file or directory)/.exec(line);
    if (unreadable) state.problems.push(problemFor(toProjectPath(state.projectDir, unreadable[1]!), Object.assign(new Error(unreadable[2]), { code: unreadable[2] === "Permission denied" ? "EACCES" : "ENOENT" })));
  }
  return true;
}

function addFollowingSymlink(state: WalkState, absolute: string, projectPath: string): void {
  let target: string;
  try {
    target = realpathSync(absolute);
  } catch {
    state.problems.push({ path: projectPath, message: `${projectPath} is a broken symlink: point it at an existing file or remove it.` });
    return;
  }
  if (!isWithin(state.realProject, target)) {
    state.problems.push({ path: projectPath, message: `${projectPath} is a symlink to ${target}, outside the project: copy the data into the project so its version can be restored.` });
    return;
  }
  const stat = statSync(target);
  if (stat.isDirectory()) {
    if (state.linkedDirs.has(target)) return;
    state.linkedDirs.add(target);
    walk(state, absolute, projectPath);
  } else if (stat.isFile()) state.out.push({ absolute, projectPath, stat });
  else state.problems.push(problemFor(projectPath, Object.assign(new Error("not a regular file"), { code: "ENOTFILE" })));
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

// Below this many files a batch stat in the main thread is cheaper than a round trip to the workers.
const WORKER_STAT_THRESHOLD = Number(process.env.LABNOTE_WORKER_STAT_THRESHOLD ?? 20_000);

/** lstat of every walked file; big trees go to the worker pool (Node 20 builds Dates per Stats: GC-heavy). */
async function statCandidates(pool: HashPool, candidates: Candidate[], problems: DataProblem[]): Promise<void> {
  const pending = candidates.filter((candidate) => candidate.stat === undefined);
  const fail = (candidate: Candidate, code: string | undefined): void => void problems.push(problemFor(candidate.projectPath, Object.assign(new Error(code ?? "stat failed"), { code })));
  if (pending.length < WORKER_STAT_THRESHOLD) {
    for (const candidate of pending) {
      try {
        const stat = lstatSync(candidate.absolute);
        candidate.stat = { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
      } catch (error) {
        fail(candidate, (error as NodeJS.ErrnoException).code);
      }
    }
    return;
  }
  const chunk = Math.ceil(pending.length / (pool.size * 4));
  const batches: Candidate[][] = [];
  for (let start = 0; start < pending.length; start += chunk) batches.push(pending.slice(start, start + chunk));
  await Promise.all(
    batches.map(async (batch) => {
      const result = await pool.statMany(batch.map((candidate) => candidate.absolute));
      batch.forEach((candidate, index) => {
        if (result.errors[index]) fail(candidate, result.errors[index] ?? undefined);
        else candidate.stat = { size: result.stats[index * 3]!, mtimeMs: result.stats[index * 3 + 1]!, ino: result.stats[index * 3 + 2]! };
      });
    }),
  );
}

/** Hashes the given files and directories (paths relative to the project or absolute inside it). */
export async function hashData(projectDir: string, paths: string[], options: HashDataOptions = {}): Promise<DataManifest> {
  projectDir = resolve(projectDir);
  const realProject = realpathSync(projectDir);
  const pool = options.pool ?? sharedHashPool();
  const stateCache = options.stateCache ?? StateCache.forProject(projectDir).load();
  const cacheMode = options.cacheMode ?? defaultCacheMode();
  const problems: DataProblem[] = [];
  const groups: { item: Omit<DataItem, "size" | "sha256" | "files">; candidates: Candidate[] }[] = [];

  for (const path of paths) {
    const display = toProjectPath(projectDir, resolve(projectDir, path));
    try {
      const absolute = resolveInsideProject(projectDir, path);
      const stat = statSync(absolute);
      const state: WalkState = { projectDir, realProject, out: [], problems, linkedDirs: new Set() };
      if (stat.isDirectory()) {
        if (lstatSync(absolute).isSymbolicLink() || !walkWithFind(state, absolute, display)) walk(state, absolute, display);
      }
      else if (lstatSync(absolute).isSymbolicLink()) addFollowingSymlink(state, absolute, display);
      else if (stat.isFile()) state.out.push({ absolute, projectPath: display, stat: { size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino } });
      else throw Object.assign(new Error("not a regular file"), { code: "ENOTFILE" });
      groups.push({ item: { path: display, kind: stat.isDirectory() ? "dir" : "file" }, candidates: state.out });
    } catch (error) {
      problems.push(problemFor(display, error));
    }
  }

  await statCandidates(pool, groups.flatMap((group) => group.candidates), problems);
  for (const group of groups) group.candidates = group.candidates.filter((candidate) => candidate.stat !== undefined);

  // One entry per candidate, answered by the state cache where the file is provably unchanged.
  const entries = new Map<Candidate, ManifestEntry>();
  const toHash: Candidate[] = [];
  for (const group of groups) {
    for (const candidate of group.candidates) {
      const cached = stateCache.lookup(candidate.projectPath, candidate.stat!);
      if (cached) entries.set(candidate, { path: candidate.projectPath, size: candidate.stat!.size, sha256: cached });
      else toHash.push(candidate);
    }
  }

  // Largest first keeps every worker busy until the end instead of one finishing a big file alone.
  const jobs = toHash.sort((a, b) => b.stat!.size - a.stat!.size);
  const totalBytes = jobs.reduce((sum, job) => sum + job.stat!.size, 0);
  let doneBytes = 0;
  const results = await pool.hashAll(
    jobs.map((job) => ({ path: job.absolute, cacheDir: cacheMode === "none" ? undefined : cacheDir(projectDir), cacheMode })),
    (result) => {
      doneBytes += result instanceof HashError ? 0 : result.size;
      options.onProgress?.(doneBytes, totalBytes);
    },
  );
  let hashedBytes = 0;
  let hashedFiles = 0;
  results.forEach((result, index) => {
    const job = jobs[index]!;
    if (result instanceof HashError) {
      problems.push(problemFor(job.projectPath, Object.assign(new Error(result.message), { code: result.code })));
      return;
    }
    hashedBytes += result.size;
    hashedFiles++;
    entries.set(job, { path: job.projectPath, size: result.size, sha256: result.sha256 });
    if (cacheMode !== "none") stateCache.record(job.projectPath, { size: result.size, mtimeMs: result.mtimeMs, ino: result.ino, sha256: result.sha256 });
  });
  stateCache.save();
  if (cacheMode === "link-then-copy") {
    const linked = results.flatMap((result) => (result instanceof HashError || !result.linkedObject ? [] : [{ object: result.linkedObject, ino: result.ino, size: result.size, mtimeMs: result.mtimeMs }]));
    if (linked.length > 0) {
      const copying: Promise<unknown> = pool.detachLinkedObjects(linked).then(({ lost }) => void lostCacheObjects.push(...lost)).finally(() => pendingCacheCopies.delete(copying));
      pendingCacheCopies.add(copying);
    }
  }

  const items: DataItem[] = [];
  const groupEntries = groups.map((group) => group.candidates.map((candidate) => entries.get(candidate)).filter((entry): entry is ManifestEntry => entry !== undefined).sort(byPath));
  groups.forEach((group, index) => {
    const list = groupEntries[index]!;
    if (group.item.kind === "file") {
      const entry = list[0];
      if (entry) items.push({ ...group.item, size: entry.size, sha256: entry.sha256, files: 1 });
    } else {
      items.push({ ...group.item, size: list.reduce((sum, entry) => sum + entry.size, 0), sha256: directoryHash(list), files: list.length });
    }
  });
  // Overlapping declarations (a file inside a declared directory) appear once.
  const sortedFiles = groupEntries.length === 1 ? groupEntries[0]! : [...new Map(groupEntries.flat().map((entry) => [entry.path, entry])).values()].sort(byPath);
  return { items, files: sortedFiles, problems, hashedFiles, hashedBytes };
}
