// Data manifests: which files (path, size, sha256) a cell or a version used. Walks declared files and directories,
// answers unchanged files from the state cache, hashes the rest over the worker pool and stores their bytes in the
// content-addressed cache (.labnote/cache/<aa>/<rest>) in the same pass.
import { createHash } from "node:crypto";
import { lstatSync, readdirSync, realpathSync, statSync, type Stats } from "node:fs";
import { join, resolve } from "node:path";
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
  stat: Stats;
}

/**
 * Copy by default (as DVC): a hard-linked cache entry shares the user's inode, so rewriting the file in place
 * (writeFileSync) would silently change the cached bytes. LABNOTE_CACHE=link trades that safety for speed and disk;
 * restores verify the hash either way.
 */
export function defaultCacheMode(): CacheMode {
  const mode = process.env.LABNOTE_CACHE;
  return mode === "link" || mode === "none" ? mode : "copy";
}

/** The hash of a directory: sha256 over its sorted manifest, so equal trees have equal hashes. */
export function directoryHash(entries: ManifestEntry[]): string {
  const canonical = entries.map((entry) => `${entry.sha256} ${entry.size} ${entry.path}\n`).join("");
  return createHash("sha256").update(canonical).digest("hex");
}

function problemFor(path: string, error: unknown): DataProblem {
  const code = (error as NodeJS.ErrnoException).code;
  if (error instanceof OutsideProjectError) return { path, message: error.message };
  if (code === "EACCES" || code === "EPERM") return { path, message: `${path} cannot be read (permission denied): fix its permissions (chmod u+r) or stop declaring it.` };
  if (code === "ENOENT") return { path, message: `${path} does not exist: check the path (it is relative to the project directory).` };
  if (code === "ENOTFILE") return { path, message: `${path} is not a regular file (a pipe, socket or device): only files and directories can be versioned; skip it.` };
  if (code === "EBUSY") return { path, message: `${path} kept changing while it was hashed: wait until whatever writes it has finished, then snapshot again.` };
  return { path, message: `${path} could not be hashed (${error instanceof Error ? error.message : String(error)}).` };
}

function walk(projectDir: string, realProject: string, absolute: string, out: Candidate[], problems: DataProblem[]): void {
  let entries;
  try {
    entries = readdirSync(absolute, { withFileTypes: true });
  } catch (error) {
    problems.push(problemFor(toProjectPath(projectDir, absolute), error));
    return;
  }
  for (const entry of entries) {
    const child = join(absolute, entry.name);
    const projectPath = toProjectPath(projectDir, child);
    if (projectPath === ".labnote" || projectPath === ".git" || projectPath.endsWith("/.git")) continue;
    if (entry.isDirectory()) walk(projectDir, realProject, child, out, problems);
    else if (entry.isFile()) {
      try {
        out.push({ absolute: child, projectPath, stat: lstatSync(child) });
      } catch (error) {
        problems.push(problemFor(projectPath, error));
      }
    } else if (entry.isSymbolicLink()) addFollowingSymlink(projectDir, realProject, child, out, problems);
    else problems.push(problemFor(projectPath, Object.assign(new Error("not a regular file"), { code: "ENOTFILE" })));
  }
}

function addFollowingSymlink(projectDir: string, realProject: string, absolute: string, out: Candidate[], problems: DataProblem[]): void {
  const projectPath = toProjectPath(projectDir, absolute);
  let target: string;
  try {
    target = realpathSync(absolute);
  } catch (error) {
    problems.push({ path: projectPath, message: `${projectPath} is a broken symlink: point it at an existing file or remove it.` });
    return;
  }
  if (!isWithin(realProject, target)) {
    problems.push({ path: projectPath, message: `${projectPath} is a symlink to ${target}, outside the project: copy the data into the project so its version can be restored.` });
    return;
  }
  const stat = statSync(target);
  if (stat.isDirectory()) walk(projectDir, realProject, absolute, out, problems);
  else if (stat.isFile()) out.push({ absolute, projectPath, stat });
  else problems.push(problemFor(projectPath, Object.assign(new Error("not a regular file"), { code: "ENOTFILE" })));
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
      const candidates: Candidate[] = [];
      if (stat.isDirectory()) walk(projectDir, realProject, absolute, candidates, problems);
      else if (lstatSync(absolute).isSymbolicLink()) addFollowingSymlink(projectDir, realProject, absolute, candidates, problems);
      else if (stat.isFile()) candidates.push({ absolute, projectPath: display, stat });
      else throw Object.assign(new Error("not a regular file"), { code: "ENOTFILE" });
      groups.push({ item: { path: display, kind: stat.isDirectory() ? "dir" : "file" }, candidates });
    } catch (error) {
      problems.push(problemFor(display, error));
    }
  }

  const known = new Map<string, ManifestEntry>();
  const toHash = new Map<string, Candidate>();
  for (const candidate of groups.flatMap((group) => group.candidates)) {
    const cached = stateCache.lookup(candidate.projectPath, candidate.stat);
    if (cached) known.set(candidate.projectPath, { path: candidate.projectPath, size: candidate.stat.size, sha256: cached });
    else toHash.set(candidate.projectPath, candidate);
  }

  // Largest first keeps every worker busy until the end instead of one finishing a big file alone.
  const jobs = [...toHash.values()].sort((a, b) => b.stat.size - a.stat.size);
  const totalBytes = jobs.reduce((sum, job) => sum + job.stat.size, 0);
  let doneBytes = 0;
  const results = await pool.hashAll(
    jobs.map((job) => ({ path: job.absolute, cacheDir: cacheMode === "none" ? undefined : cacheDir(projectDir), cacheMode })),
    (result, done) => {
      doneBytes += result instanceof HashError ? 0 : result.size;
      options.onProgress?.(doneBytes, totalBytes);
      void done;
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
    known.set(job.projectPath, { path: job.projectPath, size: result.size, sha256: result.sha256 });
    if (cacheMode !== "none") stateCache.record(job.projectPath, { size: result.size, mtimeMs: result.mtimeMs, ino: result.ino, sha256: result.sha256 });
  });
  stateCache.save();

  const items: DataItem[] = [];
  const files = new Map<string, ManifestEntry>();
  for (const group of groups) {
    const entries = group.candidates.map((candidate) => known.get(candidate.projectPath)).filter((entry): entry is ManifestEntry => entry !== undefined);
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (const entry of entries) files.set(entry.path, entry);
    if (group.item.kind === "file") {
      const entry = entries[0];
      if (entry) items.push({ ...group.item, size: entry.size, sha256: entry.sha256, files: 1 });
    } else {
      items.push({ ...group.item, size: entries.reduce((sum, entry) => sum + entry.size, 0), sha256: directoryHash(entries), files: entries.length });
    }
  }
  const sortedFiles = [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { items, files: sortedFiles, problems, hashedFiles, hashedBytes };
}
