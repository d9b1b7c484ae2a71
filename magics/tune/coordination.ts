// Coordination of the processes that share one study in PostgreSQL (kernels and `labnote worker`s on any number of
// machines), on PostgreSQL's own mechanisms rather than a scheduler of ours:
//   - liveness: each process holds a session-level advisory lock on its kernel id for as long as it lives; when the
//     process dies (kill -9, a lost machine) its connection ends and PostgreSQL releases the lock, so another process
//     that can take the lock knows the owner is gone and marks the owner's running trials failed at once;
//   - the budget: counting the study's trials and creating the next one happen under a study-wide advisory lock, so
//     the processes together start exactly `--trials` trials (no overshoot, no duplicate numbers).
import type { Store, TrialRecord } from "../../store/types.js";

export interface StudyCoordinator {
  /** Declares this process (kernelId) the live owner of the trials it creates, until it exits. */
  register(kernelId: string): Promise<void>;
  /**
   * Runs `work` while no other process is inside `exclusive` for the same study; `work` is told how many trials the
   * study has (counted under the lock).
   */
  exclusive<T>(studyId: string, work: (trialCount: number) => Promise<T>): Promise<T>;
  /** Of these owners (kernel ids), the ones registered here whose process has ended. */
  deadOwners(kernelIds: string[]): Promise<string[]>;
  close(): Promise<void>;
}

/** Advisory-lock namespaces (the first int4 key) of labnote's owners and studies. */
const OWNER_LOCKS = 0x6c6e01;
const STUDY_LOCKS = 0x6c6e02;

interface QueryClient {
  query<R extends object = Record<string, unknown>>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
  end(): Promise<void>;
  on(event: "error", listener: (error: Error) => void): unknown;
}

export class PostgresStudyCoordinator implements StudyCoordinator {
  private ownKernelId: string | undefined;
  /** Local lanes (--parallel) queue here: the advisory lock is re-entrant within one connection. */
  private localQueue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly client: QueryClient) {}

  static async connect(url: string): Promise<PostgresStudyCoordinator> {
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: url, application_name: "labnote-study" });
    await client.connect();
    // A broken connection must surface in the next query, not crash the process.
    client.on("error", () => undefined);
    await client.query(`CREATE TABLE IF NOT EXISTS labnote_study_owners (kernel_id TEXT PRIMARY KEY, registered_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    return new PostgresStudyCoordinator(client as unknown as QueryClient);
  }

  async register(kernelId: string): Promise<void> {
    if (this.ownKernelId === kernelId) return;
    const { rows } = await this.client.query<{ locked: boolean }>(`SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked`, [OWNER_LOCKS, kernelId]);
    // Not locked: another live process has this id (or its hash): leave it to the heartbeat timeout.
    if (!rows[0]?.locked) return;
    await this.client.query(`INSERT INTO labnote_study_owners (kernel_id) VALUES ($1) ON CONFLICT (kernel_id) DO NOTHING`, [kernelId]);
    this.ownKernelId = kernelId;
  }

  exclusive<T>(studyId: string, work: (trialCount: number) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      await this.client.query(`SELECT pg_advisory_lock($1, hashtext($2))`, [STUDY_LOCKS, studyId]);
      // A statement of its own, so its snapshot is taken after the lock (labnote_trials: store/postgres-schema.ts).
      const { rows } = await this.client.query<{ trials: number }>(`SELECT count(*)::int AS trials FROM labnote_trials WHERE study_id = $1`, [studyId]);
      try {
        return await work(rows[0]!.trials);
      } finally {
        await this.client.query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [STUDY_LOCKS, studyId]);
      }
    };
    const result = this.localQueue.then(run, run);
    this.localQueue = result.catch(() => undefined);
    return result;
  }

  async deadOwners(kernelIds: string[]): Promise<string[]> {
    const candidates = [...new Set(kernelIds)].filter((id) => id !== this.ownKernelId);
    if (candidates.length === 0) return [];
    const { rows } = await this.client.query<{ kernel_id: string }>(`SELECT kernel_id FROM labnote_study_owners WHERE kernel_id = ANY($1)`, [candidates]);
    const dead: string[] = [];
    for (const { kernel_id: kernelId } of rows) {
      const probe = await this.client.query<{ free: boolean }>(`SELECT pg_try_advisory_lock($1, hashtext($2)) AS free`, [OWNER_LOCKS, kernelId]);
      if (!probe.rows[0]?.free) continue;
      // Nobody holds it: its owner's session is gone. Let go at once (we only looked).
      await this.client.query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [OWNER_LOCKS, kernelId]);
      dead.push(kernelId);
    }
    return dead;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** The failure recorded on a trial whose process died while it ran. */
export function abandonedTrialError(kernelId: string): string {
  return `its process (${kernelId}) died while the trial ran: PostgreSQL ended that process's session, so the trial was marked failed`;
}

/** Marks failed every running trial (not run here) whose owner has died; returns their numbers. */
export async function failTrialsOfDeadOwners(store: Store, coordinator: StudyCoordinator, trials: Iterable<TrialRecord>, runningHere: (number: number) => boolean): Promise<number[]> {
  const orphans = [...trials].filter((trial) => trial.state === "running" && trial.kernelId !== null && !runningHere(trial.number));
  if (orphans.length === 0) return [];
  const dead = new Set(await coordinator.deadOwners(orphans.map((trial) => trial.kernelId!)));
  const failed: number[] = [];
  for (const trial of orphans) {
    if (!dead.has(trial.kernelId!)) continue;
    await store.updateTrial(trial.id, { state: "failed", error: abandonedTrialError(trial.kernelId!), endedAt: Date.now() });
    failed.push(trial.number);
  }
  return failed;
}

/** A coordinator for a store location: PostgreSQL gets one; SQLite and memory stores have none. */
export async function coordinatorFor(location: { kind: string; url?: string }): Promise<StudyCoordinator | undefined> {
  if (location.kind !== "postgres" || !location.url) return undefined;
  return PostgresStudyCoordinator.connect(location.url);
}
