// The server's in-process index of runs: all of them in memory (without their code), loaded once and then refreshed
// incrementally through Store.runChanges, so the runs table filters, sorts and pages 100,000 runs in JavaScript
// without re-reading the store per request (the --where language has no SQL form, and need not have one).
import type { RunRecord, Store } from "../../store/types.js";

/** How many changed runs one store read brings (bounded memory while loading 100,000 runs). */
const LOAD_CHUNK = 5_000;
/**
 * PostgreSQL hands out revisions from a sequence at write time, so a transaction may commit a revision lower than one
 * already seen. Re-reading the last few hundred revisions, or the last 2 s of them, catches such late commits.
 */
const LATE_COMMIT_REVISIONS = 500;
const LATE_COMMIT_MS = 2_000;

export interface RunIndexOptions {
  /** Requests within this many ms of the last refresh use the index as it is. */
  refreshIntervalMs?: number;
}

export class RunIndex {
  private readonly runs = new Map<string, RunRecord>();
  private newestFirst: RunRecord[] = [];
  private sorted = true;
  private revision = 0;
  /** Revisions seen and when (PostgreSQL late-commit window). */
  private readonly seen: { at: number; revision: number }[] = [];
  private refreshing: Promise<void> | undefined;
  private refreshedAt = 0;
  /** Bumped whenever the set of runs or any run changes: caches keyed on it stay valid until then. */
  version = 0;

  constructor(
    private readonly store: Store,
    private readonly options: RunIndexOptions = {},
  ) {}

  /** Brings the index up to date with the store (coalesced: concurrent callers share one refresh). */
  refresh(force = false): Promise<void> {
    if (this.refreshing) return this.refreshing;
    if (!force && Date.now() - this.refreshedAt < (this.options.refreshIntervalMs ?? 250)) return Promise.resolve();
    this.refreshing = this.load().finally(() => {
      this.refreshing = undefined;
      this.refreshedAt = Date.now();
    });
    return this.refreshing;
  }

  private startRevision(): number {
    if (this.store.kind !== "postgres") return this.revision;
    const cutoff = Date.now() - LATE_COMMIT_MS;
    let settled = 0;
    for (const entry of this.seen) if (entry.at <= cutoff) settled = entry.revision;
    return Math.max(0, Math.min(this.revision, Math.max(settled, this.revision - LATE_COMMIT_REVISIONS)));
  }

  private async load(): Promise<void> {
    let since = this.startRevision();
    let changed = 0;
    let total = 0;
    for (;;) {
      const batch = await this.store.runChanges(since, LOAD_CHUNK);
      total = batch.total;
      for (const run of batch.runs) {
        run.code = null; // the detail route reads it; 100,000 cells of code need not sit in memory
        const known = this.runs.get(run.id);
        if (!known || known.startedAt !== run.startedAt) this.sorted = false;
        if (!known) this.newestFirst.push(run);
        else Object.assign(known, run);
        if (!known) this.runs.set(run.id, run);
        changed++;
      }
      since = Math.max(since, batch.revision);
      if (batch.runs.length < LOAD_CHUNK) break;
    }
    if (since > this.revision) {
      this.revision = since;
      this.seen.push({ at: Date.now(), revision: since });
      const cutoff = Date.now() - LATE_COMMIT_MS * 2;
      while (this.seen.length > 1 && this.seen[1]!.at < cutoff) this.seen.shift();
    }
    if (total !== this.runs.size) {
      const present = new Set(await this.store.listRunIds());
      for (const id of [...this.runs.keys()]) if (!present.has(id)) this.runs.delete(id);
      this.newestFirst = this.newestFirst.filter((run) => present.has(run.id));
      changed++;
    }
    if (changed > 0) this.version++;
  }

  /** Every run, newest first (by start time, then id). */
  all(): readonly RunRecord[] {
    if (!this.sorted) {
      this.newestFirst.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      this.sorted = true;
    }
    return this.newestFirst;
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  /** Forget a run at once (after a DELETE through this server). */
  remove(id: string): void {
    if (!this.runs.delete(id)) return;
    this.newestFirst = this.newestFirst.filter((run) => run.id !== id);
    this.version++;
  }

  get size(): number {
    return this.runs.size;
  }
}
