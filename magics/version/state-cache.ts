// The state cache: (path, size, mtime, inode) → sha256, persisted in .labnote so unchanged files are never hashed
// twice, across kernels and restarts. A compact JSON file rewritten atomically; concurrent kernels may each write
// it (last writer wins), which only costs a re-hash, never a wrong hash, since every field must match.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { labnoteDir } from "./paths.js";

export interface FileState {
  size: number;
  mtimeMs: number;
  ino: number;
  sha256: string;
}

const FORMAT_VERSION = 2;

export class StateCache {
  // Parallel columns keyed by path index: 100,000 entries load without 100,000 objects to collect.
  private index = new Map<string, number>();
  private sizes: number[] = [];
  private mtimes: number[] = [];
  private inodes: number[] = [];
  private hashes: string[] = [];
  private dirty = false;

  constructor(private readonly file: string) {}

  static forProject(projectDir: string): StateCache {
    return new StateCache(join(labnoteDir(projectDir), "state-cache.json"));
  }

  load(): this {
    try {
      const parsed = JSON.parse(readFileSync(this.file, "utf8")) as { version: number; paths: string[]; sizes: number[]; mtimes: number[]; inodes: number[]; hashes: string[] };
      if (parsed.version !== FORMAT_VERSION) return this;
      const index = new Map<string, number>();
      parsed.paths.forEach((path, position) => index.set(path, position));
      this.index = index;
      this.sizes = parsed.sizes;
      this.mtimes = parsed.mtimes;
      this.inodes = parsed.inodes;
      this.hashes = parsed.hashes;
    } catch {
      // No cache yet, or a damaged one: start empty (it is only a cache).
    }
    return this;
  }

  /** The cached hash when the file is provably unchanged. */
  lookup(path: string, stat: { size: number; mtimeMs: number; ino: number }): string | undefined {
    const position = this.index.get(path);
    if (position === undefined) return undefined;
    return this.sizes[position] === stat.size && this.mtimes[position] === stat.mtimeMs && this.inodes[position] === stat.ino ? this.hashes[position] : undefined;
  }

  record(path: string, state: FileState): void {
    let position = this.index.get(path);
    if (position !== undefined && this.hashes[position] === state.sha256 && this.sizes[position] === state.size && this.mtimes[position] === state.mtimeMs && this.inodes[position] === state.ino) return;
    if (position === undefined) {
      position = this.hashes.length;
      this.index.set(path, position);
    }
    this.sizes[position] = state.size;
    this.mtimes[position] = state.mtimeMs;
    this.inodes[position] = state.ino;
    this.hashes[position] = state.sha256;
    this.dirty = true;
  }

  /** Drops every entry whose hash is in `hashes` (bytes that were forgotten). */
  forget(hashes: Set<string>): void {
    const keep = [...this.index].filter(([, position]) => !hashes.has(this.hashes[position]!));
    if (keep.length === this.index.size) return;
    const next = new StateCache(this.file);
    for (const [path, position] of keep) next.record(path, { size: this.sizes[position]!, mtimeMs: this.mtimes[position]!, ino: this.inodes[position]!, sha256: this.hashes[position]! });
    Object.assign(this, { index: next.index, sizes: next.sizes, mtimes: next.mtimes, inodes: next.inodes, hashes: next.hashes, dirty: true });
  }

  get size(): number {
    return this.index.size;
  }

  save(): void {
    if (!this.dirty) return;
    const paths = [...this.index.keys()];
    mkdirSync(join(this.file, ".."), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ version: FORMAT_VERSION, paths, sizes: this.sizes, mtimes: this.mtimes, inodes: this.inodes, hashes: this.hashes }));
    renameSync(temporary, this.file);
    this.dirty = false;
  }
}
