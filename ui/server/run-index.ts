// The server's in-process index of runs: all of them in memory (without their code), loaded once and then refreshed
// incrementally through Store.runChanges, so the runs table filters, sorts and pages 100,000 runs in JavaScript
// without re-reading the store per request (the --where language has no SQL form, and need not have one).
import type { RunRecord, Store } from "../../store/types.js";

/** How many changed runs one store read brings (bounded memory while loading 100,000 runs). */
const LOAD_CHUNK = 2_000;
/**
 * PostgreSQL hands out revisions from a sequence at write time, so a transaction may commit a revision lower than one
 * already seen. Re-reading the last few hundred revisions, or the last 2 s of them, catches such late commits.
 */
const LATE_COMMIT_REVISIONS = 500;
const LATE_COMMIT_MS = 2_000;

const NO_DATA_HASHES: Record<string, string> = Object.freeze({}) as Record<string, string>;
const STATUSES = new Map<string, RunRecord["status"]>((["running", "finished", "failed", "crashed"] as const).map((status) => [status, status]));

export interface RunIndexOptions {
  /** Requests within this many ms of the last refresh use the index as it is. */
  refreshIntervalMs?: number;
}

/** While loading many runs, called every LOAD_CHUNKS_PER_PAUSE chunks (the CLI's server collects garbage there). */
const LOAD_CHUNKS_PER_PAUSE = 5;

export class RunIndex {
  private readonly runs = new Map<string, RunRecord>();
  /** Runs of one machine share one environment: equal env objects are kept once (a third of the index's memory). */
  private readonly environments = new Map<string, RunRecord["env"]>();
  private newestFirst: RunRecord[] = [];
  private sorted = true;
  private revision = 0;
  /** Revisions seen and when (PostgreSQL late-commit window). */
  private readonly seen: { at: number; revision: number }[] = [];
  private refreshing: Promise<void> | undefined;
  private refreshedAt = 0;
  /** Bumped whenever the set of runs or any run changes: caches keyed on it stay valid until then. */
  version = 0;
  /** Called now and then during a long load. */
  onLoadPause: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly options: RunIndexOptions = {},
  ) {}

  /**
   * For a request: waits for a refresh only when the index is older than `maxAgeMs`; otherwise answers from the
   * index as it is and refreshes in the background, so no store round trip sits in the request's path.
   */
  async fresh(maxAgeMs = 2_000): Promise<void> {
    if (Date.now() - this.refreshedAt > maxAgeMs) return this.refresh(true);
    void this.refresh().catch(() => undefined); // a failed background refresh is retried by the next request
  }

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
    for (let chunk = 1; ; chunk++) {
      if (chunk % LOAD_CHUNKS_PER_PAUSE === 0) this.onLoadPause?.();
      const batch = await this.store.runChanges(since, LOAD_CHUNK, { code: false });
      total = batch.total;
      for (const run of batch.runs) {
        // Code is read by the detail route only (100,000 cells of it need not sit here); shared objects where runs agree.
        run.env = this.sharedEnvironment(run.env);
        if (Object.keys(run.dataHashes).length === 0) run.dataHashes = NO_DATA_HASHES;
        run.status = STATUSES.get(run.status) ?? run.status;
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

  private sharedEnvironment(env: RunRecord["env"]): RunRecord["env"] {
    const key = JSON.stringify(env);
    const known = this.environments.get(key);
    if (known) return known;
    if (this.environments.size > 10_000) this.environments.clear();
    this.environments.set(key, env);
    return env;
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
