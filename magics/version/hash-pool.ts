// SHA-256 over every core: a pool of worker threads, each streaming files through one reusable buffer.
// Each worker stats the open file before and after reading, so a file modified during hashing is re-read, and it
// can put the bytes into the content-addressed cache in the same pass (hard link, or a copy written while hashing).
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/**
 * copy: bytes copied into the cache while hashing. link: a hard link (shares the user's inode: editing the file in
 * place later alters the cached copy). link-then-copy: a hard link now, replaced by an independent copy in the
 * background (detachLinkedObjects), so the snapshot is as fast as link and the cache ends up as safe as copy.
 */
export type CacheMode = "link" | "copy" | "link-then-copy" | "none";

export interface HashJob {
  path: string;
  /** Tests only: append one byte to the file right after each of the first N read passes (a concurrent writer). */
  simulateWritesDuringRead?: number;
  /** Content-addressed cache directory to store the bytes in, or undefined to only hash. */
  cacheDir?: string;
  cacheMode?: CacheMode;
}

export interface HashedFile {
  path: string;
  sha256: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** How many times the file changed under us and was read again. */
  rereads: number;
  /** The cache object this job hard-linked (link modes), when it was new. */
  linkedObject?: string;
}

/** A hard-linked cache object to turn into an independent copy, with the state of the inode when it was hashed. */
export interface LinkedObject {
  object: string;
  ino: number;
  size: number;
  mtimeMs: number;
}

export class HashError extends Error {
  override readonly name = "HashError";
  constructor(message: string, readonly path: string, readonly code: string | undefined) {
    super(message);
  }
}

// Plain CommonJS run with `eval: true`, so the pool works the same under tsx, vitest and compiled dist/.
const WORKER_SOURCE = String.raw`
const { parentPort } = require("node:worker_threads");
const fs = require("node:fs");
const path = require("node:path");
const crypto = require("node:crypto");
const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
const MAX_REREADS = 3;
// (a file rewritten more often than that is reported as busy rather than hashed forever)

function hashOnce(file, copyTo, simulateWrite) {
  const fd = fs.openSync(file, "r");
  let out;
  try {
    const before = fs.fstatSync(fd);
    if (!before.isFile()) throw Object.assign(new Error("not a regular file"), { code: "ENOTFILE" });
    out = copyTo ? fs.openSync(copyTo, "w", 0o444) : undefined;
    const hash = crypto.createHash("sha256");
    let position = 0;
    for (;;) {
      const read = fs.readSync(fd, buffer, 0, buffer.length, position);
      if (read === 0) break;
      const chunk = read === buffer.length ? buffer : buffer.subarray(0, read);
      hash.update(chunk);
      if (out !== undefined) fs.writeSync(out, chunk);
      position += read;
    }
    if (simulateWrite) fs.appendFileSync(file, "+");
    const after = fs.fstatSync(fd);
    const stable = after.size === before.size && after.mtimeMs === before.mtimeMs && position === after.size;
    return { stable, sha256: hash.digest("hex"), size: position, mtimeMs: after.mtimeMs, ino: after.ino };
  } finally {
    fs.closeSync(fd);
    if (out !== undefined) fs.closeSync(out);
  }
}

function storeInCache(job, result) {
  const target = path.join(job.cacheDir, result.sha256.slice(0, 2), result.sha256.slice(2));
  if (fs.existsSync(target)) return undefined;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = target + ".tmp-" + process.pid + "-" + Math.random().toString(36).slice(2);
  try {
    fs.linkSync(job.path, temporary);
    // The link must be the very inode we hashed, unchanged since (else the cache would hold other bytes).
    const linked = fs.statSync(temporary);
    if (linked.ino !== result.ino || linked.mtimeMs !== result.mtimeMs || linked.size !== result.size) {
      fs.unlinkSync(temporary);
      return false;
    }
  } catch (error) {
    try { fs.unlinkSync(temporary); } catch {}
    fs.copyFileSync(job.path, temporary);
    const check = hashOnce(temporary);
    if (check.sha256 !== result.sha256) { fs.unlinkSync(temporary); return false; }
  }
  fs.renameSync(temporary, target);
  return target;
}

// Replaces a hard-linked cache object by its own copy, if the shared inode is still exactly as hashed.
function detach(job) {
  let stat;
  try { stat = fs.statSync(job.object); } catch { return { state: "gone" }; }
  if (stat.nlink <= 1) return { state: "copied" };
  const temporary = job.object + ".detach-" + process.pid + "-" + Math.random().toString(36).slice(2);
  let after;
  try {
    fs.copyFileSync(job.object, temporary);
    after = fs.statSync(job.object);
  } catch (error) {
    try { fs.unlinkSync(temporary); } catch {}
    if (error && error.code === "ENOENT") return { state: "gone" };
    throw error;
  }
  if (after.ino === job.ino && after.size === job.size && after.mtimeMs === job.mtimeMs && stat.mtimeMs === job.mtimeMs) {
    fs.renameSync(temporary, job.object);
    return { state: "copied" };
  }
  // The user's file changed before we copied it: the cached bytes are no longer the hashed ones.
  fs.unlinkSync(temporary);
  fs.unlinkSync(job.object);
  return { state: "lost" };
}

function hashJob(job) {
  let rereads = 0;
  for (;;) {
    let copyTo;
    let target;
    if (job.cacheDir && job.cacheMode === "copy") {
      fs.mkdirSync(job.cacheDir, { recursive: true });
      copyTo = path.join(job.cacheDir, "incoming-" + process.pid + "-" + Math.random().toString(36).slice(2));
    }
    const result = hashOnce(job.path, copyTo, rereads < (job.simulateWritesDuringRead || 0));
    if (result.stable && job.cacheDir && (job.cacheMode === "link" || job.cacheMode === "link-then-copy")) {
      const stored = storeInCache(job, result);
      if (stored === false) result.stable = false;
      else if (stored) result.linkedObject = stored;
    }
    if (copyTo !== undefined) {
      target = path.join(job.cacheDir, result.sha256.slice(0, 2), result.sha256.slice(2));
      if (result.stable && !fs.existsSync(target)) {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.renameSync(copyTo, target);
      } else fs.unlinkSync(copyTo);
    }
    if (result.stable) return { ...result, path: job.path, rereads };
    rereads++;
    if (rereads > MAX_REREADS) throw Object.assign(new Error("kept changing while it was hashed"), { code: "EBUSY" });
  }
}

// lstat of many paths: [size, mtimeMs, ino] triples in one Float64Array, an error code (or null) per path.
function statMany(paths) {
  const stats = new Float64Array(paths.length * 3);
  const errors = new Array(paths.length).fill(null);
  paths.forEach((file, index) => {
    try {
      const stat = fs.lstatSync(file);
      stats[index * 3] = stat.size;
      stats[index * 3 + 1] = stat.mtimeMs;
      stats[index * 3 + 2] = stat.ino;
    } catch (error) {
      errors[index] = (error && error.code) || "EIO";
    }
  });
  return { stats, errors };
}

parentPort.on("message", (message) => {
  try {
    const job = message.job;
    parentPort.postMessage({ id: message.id, result: job.statPaths ? statMany(job.statPaths) : job.object ? detach(job) : hashJob(job) });
  } catch (error) {
    parentPort.postMessage({ id: message.id, error: { message: String(error && error.message || error), code: error && error.code } });
  }
});
`;

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
  path: string;
}

interface PoolWorker {
  worker: Worker;
  busy: number;
}

type WorkerReply = { id: number; result?: unknown; error?: { message: string; code?: string } };

/** A lazily started pool; idle workers are unref'd so they never keep the kernel or a test alive. */
export class HashPool {
  private workers: PoolWorker[] = [];
  private pending = new Map<number, Pending & { worker: PoolWorker }>();
  private nextId = 1;

  constructor(readonly size = Math.max(1, availableParallelism())) {}

  hash(job: HashJob): Promise<HashedFile> {
    return this.request<HashedFile>(job, job.path);
  }

  /** Turns hard-linked cache objects into independent copies; returns how many could not be (the file had changed). */
  async detachLinkedObjects(objects: LinkedObject[]): Promise<{ copied: number; lost: string[] }> {
    const lost: string[] = [];
    let copied = 0;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < objects.length) {
        const object = objects[next++]!;
        const outcome = await this.request<{ state: string }>(object, object.object).catch(() => ({ state: "lost" }));
        if (outcome.state === "lost") lost.push(object.object);
        else copied++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(objects.length, this.size * 2) }, lane));
    return { copied, lost };
  }

  /** lstat of many files in a worker: [size, mtimeMs, ino] per path, or an error code. */
  statMany(paths: string[]): Promise<{ stats: Float64Array; errors: (string | null)[] }> {
    return this.request({ statPaths: paths }, paths[0] ?? "");
  }

  private request<T>(job: HashJob | LinkedObject | { statPaths: string[] }, path: string): Promise<T> {
    const target = this.pickWorker();
    const id = this.nextId++;
    target.busy++;
    if (target.busy === 1) target.worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, path, worker: target });
      target.worker.postMessage({ id, job });
    });
  }

  /** Hashes many files, at most `size * 2` in flight so every worker always has its next file queued. */
  async hashAll(jobs: HashJob[], onEach?: (file: HashedFile | HashError, done: number) => void): Promise<Array<HashedFile | HashError>> {
    const results = new Array<HashedFile | HashError>(jobs.length);
    let next = 0;
    let done = 0;
    const lane = async (): Promise<void> => {
      while (next < jobs.length) {
        const index = next++;
        const job = jobs[index]!;
        try {
          results[index] = await this.hash(job);
        } catch (error) {
          results[index] = error instanceof HashError ? error : new HashError(String(error), job.path, undefined);
        }
        done++;
        onEach?.(results[index]!, done);
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs.length, this.size * 2) }, lane));
    return results;
  }

  async close(): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(workers.map((entry) => entry.worker.terminate()));
  }

  private pickWorker(): PoolWorker {
    const idle = this.workers.find((entry) => entry.busy === 0);
    if (idle) return idle;
    if (this.workers.length < this.size) return this.startWorker();
    return this.workers.reduce((least, entry) => (entry.busy < least.busy ? entry : least));
  }

  private startWorker(): PoolWorker {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const entry: PoolWorker = { worker, busy: 0 };
    worker.unref();
    worker.on("message", (reply: WorkerReply) => {
      const pending = this.pending.get(reply.id);
      if (!pending) return;
      this.pending.delete(reply.id);
      entry.busy--;
      if (entry.busy === 0) worker.unref();
      if (reply.result) pending.resolve(reply.result);
      else pending.reject(new HashError(reply.error?.message ?? "unknown error", pending.path, reply.error?.code));
    });
    worker.on("error", (error) => {
      for (const [id, pending] of this.pending) {
        if (pending.worker !== entry) continue;
        this.pending.delete(id);
        pending.reject(new HashError(error.message, pending.path, undefined));
      }
      this.workers = this.workers.filter((candidate) => candidate !== entry);
    });
    this.workers.push(entry);
    return entry;
  }
}

let sharedPool: HashPool | undefined;

/** The per-process pool (one worker per core). */
export function sharedHashPool(): HashPool {
  sharedPool ??= new HashPool();
  return sharedPool;
}
