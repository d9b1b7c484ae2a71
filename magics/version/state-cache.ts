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

const FORMAT_VERSION = 1;

export class StateCache {
  private entries = new Map<string, FileState>();
  private dirty = false;

  constructor(private readonly file: string) {}

  static forProject(projectDir: string): StateCache {
    return new StateCache(join(labnoteDir(projectDir), "state-cache.json"));
  }

  load(): this {
    try {
      const parsed = JSON.parse(readFileSync(this.file, "utf8")) as { version: number; paths: string[]; rows: [number, number, number, string][] };
      if (parsed.version !== FORMAT_VERSION) return this;
      const entries = new Map<string, FileState>();
      parsed.paths.forEach((path, index) => {
        const [size, mtimeMs, ino, sha256] = parsed.rows[index]!;
        entries.set(path, { size, mtimeMs, ino, sha256 });
      });
      this.entries = entries;
    } catch {
      // No cache yet, or a damaged one: start empty (it is only a cache).
    }
    return this;
  }

  /** The cached hash when the file is provably unchanged. */
  lookup(path: string, stat: { size: number; mtimeMs: number; ino: number }): string | undefined {
    const entry = this.entries.get(path);
    if (!entry) return undefined;
    return entry.size === stat.size && entry.mtimeMs === stat.mtimeMs && entry.ino === stat.ino ? entry.sha256 : undefined;
  }

  record(path: string, state: FileState): void {
    const previous = this.entries.get(path);
    if (previous && previous.sha256 === state.sha256 && previous.size === state.size && previous.mtimeMs === state.mtimeMs && previous.ino === state.ino) return;
    this.entries.set(path, state);
    this.dirty = true;
  }

  get size(): number {
    return this.entries.size;
  }

  save(): void {
    if (!this.dirty) return;
    const paths = [...this.entries.keys()];
    const rows = paths.map((path) => {
      const entry = this.entries.get(path)!;
      return [entry.size, entry.mtimeMs, entry.ino, entry.sha256];
    });
    mkdirSync(join(this.file, ".."), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify({ version: FORMAT_VERSION, paths, rows }));
    renameSync(temporary, this.file);
    this.dirty = false;
  }
}
