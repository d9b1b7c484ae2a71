// The per-kernel %version state: declared data, hashes seen this session, and the auto-snapshot queue that runs
// after each cell in the background (the execute path only records paths and enqueues).
import { resolve } from "node:path";
import type { CellHooks, CellRecord } from "../../kernel/types.js";
import { hashData, waitForCacheCopies, type DataManifest } from "./data.js";
import { findOrInitRepository, type Repository } from "./git-store.js";
import { installReadObserver, startObserving, stopObserving } from "./observe-reads.js";
import { isIgnoredProjectPath, isWithin, toProjectPath } from "./paths.js";
import { cellsRef, notebookKey, snapshotCell, versionsRef, type CellSnapshotRecord } from "./snapshot.js";
import { StateCache } from "./state-cache.js";
import { ExecutedNotebook } from "./executed-notebook.js";

// How long the kernel must have been idle (no cell running) before a background snapshot starts.
const IDLE_BEFORE_SNAPSHOT_MS = 50;

export interface SessionOptions {
  projectDir: string;
  kernelId: string;
  notebookPath?: string | undefined;
  /** The kernel's activity clock (KernelServices.lastRequestAt): snapshots wait until it has been quiet a moment. */
  lastRequestAt?: (() => number) | undefined;
}

export interface SnapshotReport {
  executionCount: number;
  commit?: string;
  manifest?: DataManifest;
  error?: string;
}

export class VersionSession {
  readonly projectDir: string;
  readonly kernelId: string;
  readonly notebookPath: string | undefined;
  readonly key: string;
  readonly startedAt = new Date();
  /** Declared with %version data: project path → whether it is test data. */
  readonly declared = new Map<string, { test: boolean }>();
  /** project path → sha256 of every data file read or declared in this session. */
  readonly dataHashes = new Map<string, string>();
  /** Commits of this session's cell snapshots, oldest first. */
  readonly snapshotCommits: string[] = [];
  readonly snapshotReports: SnapshotReport[] = [];
  /** The kernel's record of each cell's code and outputs: what %version commit stores as the notebook. */
  readonly executed = new ExecutedNotebook();
  private readsThisCell = new Set<string>();
  private declaredThisCell = new Set<string>();
  private queue: Promise<void> = Promise.resolve();
  private cellRunning = false;
  private lastCellEndedAt = 0;
  private readonly lastRequestAt: () => number;
  /** While > 0 (someone awaits flush), snapshots run at once instead of waiting for the kernel to be idle. */
  private urgent = 0;
  private repository: Promise<Repository> | undefined;
  private stateCache: StateCache | undefined;

  constructor(options: SessionOptions) {
    this.lastRequestAt = options.lastRequestAt ?? (() => 0);
    this.projectDir = resolve(options.projectDir);
    this.kernelId = options.kernelId;
    this.notebookPath = options.notebookPath;
    this.key = notebookKey(options.notebookPath);
  }

  get cellsRef(): string {
    return cellsRef(this.key);
  }

  get versionsRef(): string {
    return versionsRef(this.key);
  }

  repo(): Promise<Repository> {
    this.repository ??= findOrInitRepository(this.projectDir);
    return this.repository;
  }

  states(): StateCache {
    this.stateCache ??= StateCache.forProject(this.projectDir).load();
    return this.stateCache;
  }

  /** The kernel hooks: record reads during the cell, snapshot after it in the background. */
  hooks(): CellHooks {
    installReadObserver();
    return {
      beforeCell: () => {
        this.cellRunning = true;
        this.readsThisCell = new Set();
        startObserving((path) => this.readsThisCell.add(path));
      },
      afterCell: (cell) => {
        stopObserving();
        this.cellRunning = false;
        this.lastCellEndedAt = Date.now();
        const reads = this.readsThisCell;
        const declared = this.declaredThisCell;
        this.readsThisCell = new Set();
        this.declaredThisCell = new Set();
        this.enqueueSnapshot(cell, reads, declared);
      },
    };
  }

  /** Marks a path declared by %version data so the current cell's snapshot includes it. */
  declare(projectPath: string, test: boolean): void {
    this.declared.set(projectPath, { test });
    this.declaredThisCell.add(projectPath);
  }

  rememberHashes(manifest: DataManifest): void {
    for (const file of manifest.files) this.dataHashes.set(file.path, file.sha256);
  }

  /**
   * path → sha256 of data read or declared this session, no I/O. Files read by the cell still running are hashed
   * after it ends: until then they appear as "pending" (so guards such as %tune's see the read at once).
   */
  hashesSoFar(): Record<string, string> {
    const out = Object.fromEntries(this.dataHashes);
    for (const path of this.dataPathsOf(this.readsThisCell)) out[path] ??= "pending";
    return out;
  }

  /** Data paths this session used: read by cells or declared. */
  usedDataPaths(): string[] {
    return [...new Set([...this.declared.keys(), ...this.dataHashes.keys()])].sort();
  }

  /** Resolves when every snapshot enqueued so far is written. */
  async flush(): Promise<void> {
    this.urgent++;
    try {
      await this.queue;
      await waitForCacheCopies();
    } finally {
      this.urgent--;
    }
  }

  /** Snapshots wait for a quiet moment, so back-to-back cells never share the main thread with git writing. */
  private async waitForIdle(): Promise<void> {
    // Quiet means no cell running and, for IDLE_BEFORE_SNAPSHOT_MS, neither a cell nor any other request (completions
    // while the user types): a snapshot is tens of milliseconds of hashing and zlib on the kernel's thread.
    while (this.urgent === 0 && (this.cellRunning || Date.now() - Math.max(this.lastCellEndedAt, this.lastRequestAt()) < IDLE_BEFORE_SNAPSHOT_MS)) {
      await new Promise<void>((resolveWait) => setTimeout(resolveWait, IDLE_BEFORE_SNAPSHOT_MS));
    }
  }

  private dataPathsOf(reads: Set<string>): string[] {
    const paths = new Set<string>();
    for (const absolute of reads) {
      if (!isWithin(this.projectDir, absolute)) continue;
      const projectPath = toProjectPath(this.projectDir, absolute);
      if (projectPath === "" || isIgnoredProjectPath(projectPath)) continue;
      paths.add(projectPath);
    }
    return [...paths];
  }

  private enqueueSnapshot(cell: CellRecord, reads: Set<string>, declared: Set<string>): void {
    this.queue = this.queue.then(() => this.waitForIdle()).then(async () => {
      const report: SnapshotReport = { executionCount: cell.executionCount };
      try {
        const repo = await this.repo();
        const paths = [...new Set([...this.dataPathsOf(reads), ...declared])].sort();
        const manifest = paths.length > 0 ? await hashData(this.projectDir, paths, { stateCache: this.states() }) : undefined;
        if (manifest) this.rememberHashes(manifest);
        const record: CellSnapshotRecord = {
          kernelId: this.kernelId,
          notebook: this.notebookPath ?? null,
          executionCount: cell.executionCount,
          startedAt: cell.startedAt.toISOString(),
          durationMs: cell.durationMs,
          status: cell.status,
          outputs: cell.outputs,
          ...(cell.error ? { error: cell.error } : {}),
          data: { items: manifest?.items ?? [], files: manifest?.files ?? [], problems: manifest?.problems ?? [] },
        };
        report.commit = await snapshotCell({ gitdir: repo.gitdir, ref: this.cellsRef, cell, record });
        if (manifest) report.manifest = manifest;
        this.snapshotCommits.push(report.commit);
      } catch (error) {
        report.error = error instanceof Error ? error.message : String(error);
      }
      this.snapshotReports.push(report);
    });
  }
}

let activeSession: VersionSession | undefined;

/** The kernel's session (set up by command.ts), or one for the current directory when used as a library. */
export function currentSession(): VersionSession {
  activeSession ??= new VersionSession({ projectDir: process.cwd(), kernelId: `process-${process.pid}` });
  return activeSession;
}

export function setSession(session: VersionSession | undefined): void {
  activeSession = session;
}

export function peekSession(): VersionSession | undefined {
  return activeSession;
}
