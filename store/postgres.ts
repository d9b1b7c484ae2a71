// The PostgreSQL Store (pg Pool): LABNOTE_STORE=postgres://… lets many kernels on many machines share runs and
// studies. Appends are one multi-row INSERT … SELECT FROM unnest(…) per batch, inside one transaction.
import pg from "pg";
import type { JSONObject, JSONValue } from "../kernel/types.js";
import { patchAssignments, RUN_COLUMNS, RUN_FIELDS, RUN_SELECT_LIST, runFromValues, runRowValues, studyFromRow, TRIAL_PATCH_COLUMNS, trialFromRow } from "./columns.js";
import { newId } from "./ids.js";
import {
  buildRunRecord,
  checkDirection,
  checkRunStatus,
  checkTrialState,
  decodeJson,
  encodeJson,
  type NewTrial,
  newTrialRecord,
  runNotFound,
  studyNotFound,
  trialNotFound,
} from "./records.js";
import { migratePostgres } from "./postgres-schema.js";
import { groupBySeries, summarizeBlocks, summarizeSeriesBatch } from "./metric-blocks.js";
import type {
  ArtifactRecord,
  MetricBlock,
  MetricPoint,
  NewRun,
  RunPatch,
  RunQuery,
  RunChanges,
  RunChangesOptions,
  RunRecord,
  SampleRow,
  SequencedMetricPoint,
  SeriesStats,
  Store,
  StudyDirection,
  StudyRecord,
  TrialPatch,
  TrialRecord,
} from "./types.js";

type Row = Record<string, unknown>;
type Queryable = Pick<pg.PoolClient, "query">;

// Rows per INSERT statement: keeps each parameter array a few MB even for million-point batches.
const APPEND_CHUNK = 50_000;

export interface PostgresStoreOptions {
  /** Connections in the pool. */
  maxConnections?: number;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}

export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  // allowExitOnIdle: idle connections must not keep a finished script alive (the kernel lives on anyway).
  const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 4, allowExitOnIdle: true });
  // An idle connection dropped by the server must not crash the kernel; the next query reconnects.
  pool.on("error", () => undefined);
  try {
    await migratePostgres(pool);
  } catch (error) {
    await pool.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `Could not open the PostgreSQL store at ${redactUrl(url)}: ${reason}. Check that the server is running and LABNOTE_STORE ` +
        `is right (postgres://user:password@host:port/database), or unset LABNOTE_STORE to use SQLite in .labnote/.`,
    );
  }
  return new PostgresStore(pool);
}

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;

  constructor(private readonly pool: pg.Pool) {}

  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work(client);
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async requireRuns(client: Queryable, runIds: Iterable<string>): Promise<void> {
    const wanted = [...new Set(runIds)];
    const found = await client.query<{ id: string }>("SELECT id FROM labnote_runs WHERE id = ANY($1::text[])", [wanted]);
    if (found.rows.length === wanted.length) return;
    const present = new Set(found.rows.map((row) => row.id));
    throw runNotFound(wanted.find((id) => !present.has(id))!);
  }

  async createRun(input: NewRun): Promise<RunRecord> {
    const run = buildRunRecord(input);
    checkRunStatus(run.status);
    const columns = RUN_FIELDS.map((field) => RUN_COLUMNS[field][0]);
    try {
      await this.pool.query(
        `INSERT INTO labnote_runs (${columns.join(", ")}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(", ")})`,
        runRowValues(run),
      );
    } catch (error) {
      if ((error as { code?: string }).code === "23505") throw new Error(`A run with id "${run.id}" already exists: leave id out to get a new one.`);
      throw error;
    }
    return run;
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    if (patch.status !== undefined) checkRunStatus(patch.status);
    const { columns, values } = patchAssignments(patch, RUN_COLUMNS);
    const assignments = columns.length ? columns.map((column, index) => `${column} = $${index + 2}`).join(", ") : "id = id";
    const result = await this.pool.query(`UPDATE labnote_runs SET ${assignments} WHERE id = $1`, [id, ...values]);
    if (result.rowCount === 0) throw runNotFound(id);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const result = await this.pool.query({ text: `SELECT ${RUN_SELECT_LIST} FROM labnote_runs WHERE id = $1`, values: [id], rowMode: "array" });
    return result.rows[0] ? runFromValues(result.rows[0] as unknown[]) : undefined;
  }

  async findRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    const parameter = (value: unknown) => {
      values.push(value);
      return `$${values.length}`;
    };
    if (query.ids !== undefined) where.push(`id = ANY(${parameter(query.ids)}::text[])`);
    if (query.name !== undefined) where.push(`name = ${parameter(query.name)}`);
    // starts_with cannot use the index; LIKE with escaped wildcards can (text_pattern_ops).
    if (query.idPrefix !== undefined) where.push(`id LIKE ${parameter(query.idPrefix.replace(/[\\%_]/g, "\\$&") + "%")}`);
    if (query.status !== undefined) where.push(`status = ANY(${parameter(query.status)}::text[])`);
    if (query.studyName !== undefined) where.push(`study_name = ${parameter(query.studyName)}`);
    const direction = (query.order ?? "newest") === "newest" ? "DESC" : "ASC";
    let sql = `SELECT ${RUN_SELECT_LIST} FROM labnote_runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at ${direction}, id ${direction}`;
    if (query.limit !== undefined) sql += ` LIMIT ${parameter(Math.max(0, Math.floor(query.limit)))}`;
    const result = await this.pool.query({ text: sql, values, rowMode: "array" });
    return (result.rows as unknown[][]).map(runFromValues);
  }

  async deleteRun(id: string): Promise<void> {
    await this.transaction(async (client) => {
      for (const table of ["labnote_metrics", "labnote_metric_series", "labnote_metric_blocks", "labnote_samples", "labnote_artifacts"]) {
        await client.query(`DELETE FROM ${table} WHERE run_id = $1`, [id]);
      }
      await client.query("DELETE FROM labnote_runs WHERE id = $1", [id]);
    });
  }

  async heartbeat(runIds: string[], at: number): Promise<void> {
    if (runIds.length === 0) return;
    await this.pool.query("UPDATE labnote_runs SET heartbeat_at = $1 WHERE id = ANY($2::text[])", [at, runIds]);
  }

  async markStaleRuns(staleBefore: number): Promise<string[]> {
    const result = await this.pool.query<{ id: string }>(
      "UPDATE labnote_runs SET status = 'crashed', ended_at = heartbeat_at WHERE status = 'running' AND heartbeat_at < $1 RETURNING id",
      [staleBefore],
    );
    return result.rows.map((row) => row.id).sort();
  }

  async appendMetrics(points: MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    await this.transaction(async (client) => {
      await this.requireRuns(client, points.map((point) => point.runId));
      for (let start = 0; start < points.length; start += APPEND_CHUNK) {
        const chunk = points.slice(start, start + APPEND_CHUNK);
        // WITH ORDINALITY + ORDER BY keeps seq in append order.
        await client.query(
          `INSERT INTO labnote_metrics (run_id, key, split, step, value, wall_time)
           SELECT run_id, key, split, step, value, wall_time
           FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[])
             WITH ORDINALITY AS batch(run_id, key, split, step, value, wall_time, position)
           ORDER BY position`,
          [
            chunk.map((point) => point.runId),
            chunk.map((point) => point.key),
            chunk.map((point) => point.split ?? ""),
            chunk.map((point) => point.step),
            chunk.map((point) => point.value),
            chunk.map((point) => point.wallTime),
          ],
        );
      }
      const lastSeq = await client.query<{ seq: string }>("SELECT currval(pg_get_serial_sequence('labnote_metrics', 'seq')) AS seq");
      await this.updateSeriesSummaries(client, points, Number(lastSeq.rows[0]!.seq));
    });
  }

  /** Series stats and summary blocks follow the points in the same transaction (store/metric-blocks.ts). */
  private async updateSeriesSummaries(client: Queryable, points: MetricPoint[], lastSeq: number): Promise<void> {
    for (const group of groupBySeries(points)) {
      const { runId, key } = group[0]!;
      const split = group[0]!.split ?? "";
      const batch = summarizeSeriesBatch(group);
      // The row lock taken by the upsert orders concurrent appenders to one series: each gets its own block positions.
      const counted = await client.query<{ count: string }>(
        `INSERT INTO labnote_metric_series AS s (run_id, key, split, count, min, max, last, first_step, last_step, seq)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (run_id, key, split) DO UPDATE SET
           count = s.count + EXCLUDED.count, min = LEAST(s.min, EXCLUDED.min), max = GREATEST(s.max, EXCLUDED.max),
           last = EXCLUDED.last, last_step = EXCLUDED.last_step, seq = EXCLUDED.seq
         RETURNING count`,
        [runId, key, split, batch.count, batch.min, batch.max, batch.last, batch.firstStep, batch.lastStep, lastSeq],
      );
      const blocks = summarizeBlocks(group, Number(counted.rows[0]!.count) - group.length);
      await client.query(
        `INSERT INTO labnote_metric_blocks AS b (run_id, key, split, block, x0, x1, min, max, last, t, count)
         SELECT $1, $2, $3, block, x0, x1, min, max, last, t, count
         FROM unnest($4::bigint[], $5::float8[], $6::float8[], $7::float8[], $8::float8[], $9::float8[], $10::float8[], $11::int[])
           AS batch(block, x0, x1, min, max, last, t, count)
         ON CONFLICT (run_id, key, split, block) DO UPDATE SET
           x0 = LEAST(b.x0, EXCLUDED.x0), x1 = GREATEST(b.x1, EXCLUDED.x1), min = LEAST(b.min, EXCLUDED.min), max = GREATEST(b.max, EXCLUDED.max),
           last = EXCLUDED.last, t = EXCLUDED.t, count = b.count + EXCLUDED.count`,
        [
          runId,
          key,
          split,
          blocks.map((block) => block.index),
          blocks.map((block) => block.x0),
          blocks.map((block) => block.x1),
          blocks.map((block) => block.min),
          blocks.map((block) => block.max),
          blocks.map((block) => block.last),
          blocks.map((block) => block.t),
          blocks.map((block) => block.count),
        ],
      );
    }
  }

  async runChanges(afterRevision: number, limit?: number, options: RunChangesOptions = {}): Promise<RunChanges> {
    const values: unknown[] = [afterRevision];
    const columns = options.code === false ? RUN_SELECT_LIST.replace(/\bcode\b/, "NULL AS code") : RUN_SELECT_LIST;
    let sql = `SELECT ${columns}, revision FROM labnote_runs WHERE revision > $1 ORDER BY revision`;
    if (limit !== undefined && Number.isFinite(limit)) {
      values.push(Math.max(0, Math.floor(limit)));
      sql += " LIMIT $2";
    }
    const [changed, counted] = await Promise.all([
      this.pool.query({ text: sql, values, rowMode: "array" }),
      this.pool.query<{ count: string }>("SELECT count(*) FROM labnote_runs"),
    ]);
    const rows = changed.rows as unknown[][];
    const revision = rows.length > 0 ? Number(rows[rows.length - 1]![RUN_FIELDS.length]) : afterRevision;
    return { runs: rows.map(runFromValues), revision, total: Number(counted.rows[0]!.count) };
  }

  async listRunIds(): Promise<string[]> {
    const result = await this.pool.query({ text: "SELECT id FROM labnote_runs", rowMode: "array" });
    return (result.rows as [string][]).map(([id]) => id);
  }

  async listSeries(filter: { runIds?: string[]; afterSeq?: number } = {}): Promise<SeriesStats[]> {
    const values: unknown[] = [filter.afterSeq ?? 0];
    let sql = "SELECT run_id, key, split, count, min, max, last, first_step, last_step, seq FROM labnote_metric_series WHERE seq > $1";
    if (filter.runIds !== undefined) {
      if (filter.runIds.length === 0) return [];
      values.push(filter.runIds);
      sql += " AND run_id = ANY($2::text[])";
    }
    const result = await this.pool.query({ text: `${sql} ORDER BY run_id, split, key`, values, rowMode: "array" });
    return (result.rows as [string, string, string, string, number | null, number | null, number, number, number, string][]).map(
      ([runId, key, split, count, min, max, last, firstStep, lastStep, seq]) => ({ runId, key, split, count: Number(count), min, max, last, firstStep, lastStep, seq: Number(seq) }),
    );
  }

  async getMetricBlocks(runId: string, key: string, split: string): Promise<MetricBlock[]> {
    const result = await this.pool.query({
      text: "SELECT block, x0, x1, min, max, last, t, count FROM labnote_metric_blocks WHERE run_id = $1 AND key = $2 AND split = $3 ORDER BY block",
      values: [runId, key, split],
      rowMode: "array",
    });
    return (result.rows as [string, number, number, number | null, number | null, number, number, number][]).map(([index, x0, x1, min, max, last, t, count]) => ({
      index: Number(index),
      x0,
      x1,
      min,
      max,
      last,
      t,
      count,
    }));
  }

  async getMetricsAfter(runIds: string[], afterSeq: number, limit: number): Promise<SequencedMetricPoint[]> {
    if (runIds.length === 0) return [];
    const result = await this.pool.query({
      text: "SELECT seq, run_id, key, split, step, value, wall_time FROM labnote_metrics WHERE run_id = ANY($1::text[]) AND seq > $2 ORDER BY seq LIMIT $3",
      values: [runIds, afterSeq, Math.max(0, Math.floor(limit))],
      rowMode: "array",
    });
    return (result.rows as [string, string, string, string, number, number, number][]).map(([seq, runId, key, split, step, value, wallTime]) => ({
      seq: Number(seq),
      runId,
      key,
      split,
      step,
      value,
      wallTime,
    }));
  }

  async lastMetricSeq(): Promise<number> {
    const result = await this.pool.query<{ seq: string | null }>("SELECT max(seq) AS seq FROM labnote_metrics");
    return Number(result.rows[0]!.seq ?? 0);
  }

  async getMetrics(runId: string, filter: { key?: string; split?: string } = {}): Promise<MetricPoint[]> {
    const values: unknown[] = [runId];
    let sql = "SELECT key, split, step, value, wall_time FROM labnote_metrics WHERE run_id = $1";
    if (filter.key !== undefined) {
      values.push(filter.key);
      sql += ` AND key = $${values.length}`;
    }
    if (filter.split !== undefined) {
      values.push(filter.split);
      sql += ` AND split = $${values.length}`;
    }
    const result = await this.pool.query({ text: `${sql} ORDER BY seq`, values, rowMode: "array" });
    return (result.rows as [string, string, number, number, number][]).map(([key, split, step, value, wallTime]) => ({
      runId,
      key,
      split,
      step,
      value,
      wallTime,
    }));
  }

  async appendSamples(rows: SampleRow[]): Promise<void> {
    if (rows.length === 0) return;
    // ON CONFLICT cannot touch one row twice in a statement: keep the last row given for each index.
    const unique = [...new Map(rows.map((row) => [`${row.runId}\u0000${row.index}`, row])).values()];
    await this.transaction(async (client) => {
      await this.requireRuns(client, unique.map((row) => row.runId));
      for (let start = 0; start < unique.length; start += APPEND_CHUNK) {
        const chunk = unique.slice(start, start + APPEND_CHUNK);
        await client.query(
          `INSERT INTO labnote_samples (run_id, idx, input, pred, label, extra)
           SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[])
           ON CONFLICT (run_id, idx) DO UPDATE SET input = EXCLUDED.input, pred = EXCLUDED.pred, label = EXCLUDED.label, extra = EXCLUDED.extra`,
          [
            chunk.map((row) => row.runId),
            chunk.map((row) => row.index),
            chunk.map((row) => encodeJson(row.input)),
            chunk.map((row) => encodeJson(row.pred)),
            chunk.map((row) => encodeJson(row.label)),
            chunk.map((row) => (row.extra === undefined ? null : encodeJson(row.extra))),
          ],
        );
      }
    });
  }

  async getSamples(runId: string, offset = 0, limit?: number): Promise<SampleRow[]> {
    const result = await this.pool.query<Row>(
      "SELECT idx, input, pred, label, extra FROM labnote_samples WHERE run_id = $1 ORDER BY idx LIMIT $2 OFFSET $3",
      [runId, limit === undefined ? null : Math.max(0, limit), Math.max(0, offset)],
    );
    return result.rows.map((row) => {
      const sample: SampleRow = {
        runId,
        index: Number(row.idx),
        input: decodeJson<JSONValue>(row.input as string, null),
        pred: decodeJson<JSONValue>(row.pred as string, null),
        label: decodeJson<JSONValue>(row.label as string, null),
      };
      if (row.extra !== null) sample.extra = decodeJson<JSONObject>(row.extra as string, {});
      return sample;
    });
  }

  async countSamples(runId: string): Promise<number> {
    const result = await this.pool.query<{ count: string }>("SELECT count(*) FROM labnote_samples WHERE run_id = $1", [runId]);
    return Number(result.rows[0]!.count);
  }

  async addArtifact(artifact: ArtifactRecord): Promise<void> {
    await this.transaction(async (client) => {
      await this.requireRuns(client, [artifact.runId]);
      await client.query("DELETE FROM labnote_artifacts WHERE run_id = $1 AND name = $2", [artifact.runId, artifact.name]);
      await client.query(
        "INSERT INTO labnote_artifacts (run_id, name, location, sha256, size, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        [artifact.runId, artifact.name, artifact.location, artifact.sha256, artifact.size, artifact.createdAt],
      );
    });
  }

  async listArtifacts(runId: string): Promise<ArtifactRecord[]> {
    const result = await this.pool.query<Row>("SELECT * FROM labnote_artifacts WHERE run_id = $1 ORDER BY created_at, seq", [runId]);
    return result.rows.map((row) => ({
      runId,
      name: row.name as string,
      location: row.location as string,
      sha256: row.sha256 as string,
      size: Number(row.size),
      createdAt: Number(row.created_at),
    }));
  }

  async ensureStudy(name: string, direction: StudyDirection, config: JSONObject): Promise<StudyRecord> {
    checkDirection(direction);
    const now = Date.now();
    // ON CONFLICT DO NOTHING + SELECT: kernels creating the same study at once all get the one row.
    await this.pool.query(
      "INSERT INTO labnote_studies (id, name, direction, config, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
      [newId(now), name, direction, encodeJson(config), now],
    );
    return (await this.getStudy(name))!;
  }

  async getStudy(name: string): Promise<StudyRecord | undefined> {
    const result = await this.pool.query<Row>("SELECT * FROM labnote_studies WHERE name = $1", [name]);
    return result.rows[0] ? studyFromRow(result.rows[0]) : undefined;
  }

  async updateStudyConfig(studyId: string, config: JSONObject): Promise<void> {
    const result = await this.pool.query("UPDATE labnote_studies SET config = $1 WHERE id = $2", [encodeJson(config), studyId]);
    if (result.rowCount === 0) throw studyNotFound(studyId);
  }

  async listStudies(): Promise<StudyRecord[]> {
    const result = await this.pool.query<Row>("SELECT * FROM labnote_studies ORDER BY created_at, id");
    return result.rows.map(studyFromRow);
  }

  async createTrial(
    studyId: string,
    init: NewTrial = {},
  ): Promise<TrialRecord> {
    const now = Date.now();
    const id = newId(now);
    // One statement: the UPDATE row-locks the study's counter, so concurrent kernels get consecutive, unique numbers.
    const result = await this.pool.query<{ number: number }>(
      `WITH allocated AS (
         UPDATE labnote_studies SET next_trial_number = next_trial_number + 1 WHERE id = $2 RETURNING next_trial_number - 1 AS number
       )
       INSERT INTO labnote_trials (id, study_id, number, state, params, distributions, kernel_id, started_at, heartbeat_at)
       SELECT $1, $2, number, 'running', $3, $4, $5, $6, $6 FROM allocated
       RETURNING number`,
      [id, studyId, encodeJson(init.params ?? {}), encodeJson(init.distributions ?? {}), init.kernelId ?? null, now],
    );
    const number = result.rows[0]?.number;
    if (number === undefined) throw studyNotFound(studyId);
    return newTrialRecord(id, studyId, number, init, now);
  }

  async updateTrial(trialId: string, patch: TrialPatch): Promise<void> {
    if (patch.state !== undefined) checkTrialState(patch.state);
    const { columns, values } = patchAssignments(patch, TRIAL_PATCH_COLUMNS);
    const assignments = columns.length ? columns.map((column, index) => `${column} = $${index + 2}`).join(", ") : "id = id";
    const result = await this.pool.query(`UPDATE labnote_trials SET ${assignments} WHERE id = $1`, [trialId, ...values]);
    if (result.rowCount === 0) throw trialNotFound(trialId);
  }

  async reportIntermediate(trialId: string, step: number, value: number): Promise<void> {
    const result = await this.pool.query(
      `INSERT INTO labnote_trial_intermediate (trial_id, step, value)
       SELECT id, $2, $3 FROM labnote_trials WHERE id = $1
       ON CONFLICT (trial_id, step) DO UPDATE SET value = EXCLUDED.value`,
      [trialId, step, value],
    );
    if (result.rowCount === 0) throw trialNotFound(trialId);
  }

  async listTrials(studyId: string): Promise<TrialRecord[]> {
    // REPEATABLE READ: trials and their intermediate values from one snapshot.
    return this.transaction(async (client) => {
      await client.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
      const trials = await client.query<Row>("SELECT * FROM labnote_trials WHERE study_id = $1 ORDER BY number", [studyId]);
      const steps = await client.query<{ trial_id: string; step: number; value: number }>(
        `SELECT i.trial_id, i.step, i.value FROM labnote_trial_intermediate i JOIN labnote_trials t ON t.id = i.trial_id
         WHERE t.study_id = $1 ORDER BY i.trial_id, i.step`,
        [studyId],
      );
      const byTrial = new Map<string, { step: number; value: number }[]>();
      for (const { trial_id: trialId, step, value } of steps.rows) {
        let list = byTrial.get(trialId);
        if (!list) byTrial.set(trialId, (list = []));
        list.push({ step, value });
      }
      return trials.rows.map((row) => trialFromRow(row, byTrial.get(row.id as string) ?? []));
    });
  }

  async failStaleTrials(studyId: string, staleBefore: number): Promise<string[]> {
    const result = await this.pool.query<{ id: string }>(
      `UPDATE labnote_trials
       SET state = 'failed', ended_at = $3,
           error = 'kernel died: no heartbeat since ' || to_char(to_timestamp(heartbeat_at / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
       WHERE study_id = $1 AND state = 'running' AND heartbeat_at < $2
       RETURNING id`,
      [studyId, staleBefore, Date.now()],
    );
    return result.rows.map((row) => row.id).sort();
  }

  async heartbeatTrials(trialIds: string[], at: number): Promise<void> {
    if (trialIds.length === 0) return;
    await this.pool.query("UPDATE labnote_trials SET heartbeat_at = $1 WHERE id = ANY($2::text[])", [at, trialIds]);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
