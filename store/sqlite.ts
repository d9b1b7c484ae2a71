// The SQLite Store (better-sqlite3, WAL): the default, one file at <project>/.labnote/labnote.db. Every append is
// one transaction; writers in other processes wait on busy_timeout instead of failing.
import Database from "better-sqlite3";
import type { JSONObject, JSONValue } from "../kernel/types.js";
import {
  patchAssignments,
  prefixUpperBound,
  RUN_COLUMNS,
  RUN_FIELDS,
  RUN_SELECT_LIST,
  runFromValues,
  runRowValues,
  TRIAL_PATCH_COLUMNS,
  studyFromRow,
  trialFromRow,
} from "./columns.js";
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
  staleTrialError,
  studyNotFound,
  trialNotFound,
} from "./records.js";
import { migrateSqlite } from "./sqlite-schema.js";
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

export interface SqliteStoreOptions {
  /** How long a writer waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number;
}

export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<SqliteStore> {
  return new SqliteStore(path, options);
}

type Row = Record<string, unknown>;

// 100 rows × 6 values stays far below SQLite's 32,766 bound parameters per statement.
const METRIC_ROWS_PER_INSERT = 100;

// SQLite stores a NaN REAL as NULL; the text 'NaN' in a REAL column survives and reads back as a string.
function encodeReal(value: number): number | string {
  return Number.isNaN(value) ? "NaN" : value;
}
function decodeReal(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

export class SqliteStore implements Store {
  readonly kind = "sqlite" as const;
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path;
    this.db = new Database(path, { timeout: options.busyTimeoutMs ?? 15_000 });
    this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 15_000}`);
    this.db.pragma("journal_mode = WAL");
    // NORMAL in WAL mode: a committed transaction survives a process crash (only an OS crash may lose the last one).
    this.db.pragma("synchronous = NORMAL");
    migrateSqlite(this.db);
  }

  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  private requireRuns(runIds: Iterable<string>): void {
    const exists = this.statement("SELECT 1 FROM runs WHERE id = ?").pluck();
    for (const id of new Set(runIds)) if (exists.get(id) === undefined) throw runNotFound(id);
  }

  async createRun(input: NewRun): Promise<RunRecord> {
    const run = buildRunRecord(input);
    checkRunStatus(run.status);
    const columns = RUN_FIELDS.map((field) => RUN_COLUMNS[field][0]);
    try {
      this.statement(`INSERT INTO runs (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`).run(runRowValues(run));
    } catch (error) {
      if ((error as { code?: string }).code === "SQLITE_CONSTRAINT_PRIMARYKEY") {
        throw new Error(`A run with id "${run.id}" already exists: leave id out to get a new one.`);
      }
      throw error;
    }
    return run;
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    if (patch.status !== undefined) checkRunStatus(patch.status);
    const { columns, values } = patchAssignments(patch, RUN_COLUMNS);
    if (columns.length === 0) {
      this.requireRuns([id]);
      return;
    }
    const result = this.db.prepare(`UPDATE runs SET ${columns.map((column) => `${column} = ?`).join(", ")} WHERE id = ?`).run(...values, id);
    if (result.changes === 0) throw runNotFound(id);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    const row = this.statement(`SELECT ${RUN_SELECT_LIST} FROM runs WHERE id = ?`).raw().get(id) as unknown[] | undefined;
    return row ? runFromValues(row) : undefined;
  }

  async findRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.ids !== undefined) {
      if (query.ids.length === 0) return [];
      where.push(`id IN (SELECT value FROM json_each(?))`);
      values.push(JSON.stringify(query.ids));
    }
    if (query.name !== undefined) {
      where.push("name = ?");
      values.push(query.name);
    }
    if (query.idPrefix !== undefined) {
      where.push("id >= ? AND id < ? AND substr(id, 1, ?) = ?");
      values.push(query.idPrefix, prefixUpperBound(query.idPrefix), query.idPrefix.length, query.idPrefix);
    }
    if (query.status !== undefined) {
      if (query.status.length === 0) return [];
      where.push(`status IN (${query.status.map(() => "?").join(", ")})`);
      values.push(...query.status);
    }
    if (query.studyName !== undefined) {
      where.push("study_name = ?");
      values.push(query.studyName);
    }
    const direction = (query.order ?? "newest") === "newest" ? "DESC" : "ASC";
    let sql = `SELECT ${RUN_SELECT_LIST} FROM runs ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY started_at ${direction}, id ${direction}`;
    if (query.limit !== undefined) {
      sql += " LIMIT ?";
      values.push(Math.max(0, Math.floor(query.limit)));
    }
    return (this.statement(sql).raw().all(...values) as unknown[][]).map(runFromValues);
  }

  async deleteRun(id: string): Promise<void> {
    this.db.transaction(() => {
      this.statement("DELETE FROM metrics WHERE run_id = ?").run(id);
      this.statement("DELETE FROM metric_series WHERE run_id = ?").run(id);
      this.statement("DELETE FROM metric_blocks WHERE run_id = ?").run(id);
      this.statement("DELETE FROM samples WHERE run_id = ?").run(id);
      this.statement("DELETE FROM artifacts WHERE run_id = ?").run(id);
      this.statement("DELETE FROM runs WHERE id = ?").run(id);
    }).immediate();
  }

  async heartbeat(runIds: string[], at: number): Promise<void> {
    const update = this.statement("UPDATE runs SET heartbeat_at = ? WHERE id = ?");
    this.db.transaction(() => {
      for (const id of runIds) update.run(at, id);
    }).immediate();
  }

  async markStaleRuns(staleBefore: number): Promise<string[]> {
    const rows = this.statement(
      "UPDATE runs SET status = 'crashed', ended_at = heartbeat_at WHERE status = 'running' AND heartbeat_at < ? RETURNING id",
    ).pluck().all(staleBefore) as string[];
    return rows.sort();
  }

  async appendMetrics(points: MetricPoint[]): Promise<void> {
    if (points.length === 0) return;
    const many = this.statement(`INSERT INTO metrics (run_id, key, split, step, value, wall_time) VALUES ${"(?, ?, ?, ?, ?, ?), ".repeat(METRIC_ROWS_PER_INSERT - 1)}(?, ?, ?, ?, ?, ?)`);
    const one = this.statement("INSERT INTO metrics (run_id, key, split, step, value, wall_time) VALUES (?, ?, ?, ?, ?, ?)");
    const values: unknown[] = new Array(METRIC_ROWS_PER_INSERT * 6);
    this.db.transaction(() => {
      this.requireRuns(points.map((point) => point.runId));
      let index = 0;
      // Many rows per statement: one call into SQLite per 100 points instead of per point.
      for (; index + METRIC_ROWS_PER_INSERT <= points.length; index += METRIC_ROWS_PER_INSERT) {
        for (let row = 0; row < METRIC_ROWS_PER_INSERT; row++) {
          const point = points[index + row]!;
          const base = row * 6;
          values[base] = point.runId;
          values[base + 1] = point.key;
          values[base + 2] = point.split ?? "";
          values[base + 3] = point.step;
          values[base + 4] = encodeReal(point.value);
          values[base + 5] = point.wallTime;
        }
        many.run(values);
      }
      for (; index < points.length; index++) {
        const point = points[index]!;
        one.run(point.runId, point.key, point.split ?? "", point.step, encodeReal(point.value), point.wallTime);
      }
      this.updateSeriesSummaries(points, Number(this.statement("SELECT last_insert_rowid()").pluck().get()));
    }).immediate();
  }

  /** Series stats and summary blocks follow the points in the same transaction (store/metric-blocks.ts). */
  private updateSeriesSummaries(points: MetricPoint[], lastSeq: number): void {
    const upsertSeries = this.statement(
      `INSERT INTO metric_series (run_id, key, split, count, min, max, last, first_step, last_step, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, key, split) DO UPDATE SET
         count = count + excluded.count,
         min = CASE WHEN min IS NULL OR (excluded.min IS NOT NULL AND excluded.min < min) THEN excluded.min ELSE min END,
         max = CASE WHEN max IS NULL OR (excluded.max IS NOT NULL AND excluded.max > max) THEN excluded.max ELSE max END,
         last = excluded.last, last_step = excluded.last_step, seq = excluded.seq
       RETURNING count`,
    ).pluck();
    const upsertBlock = this.statement(
      `INSERT INTO metric_blocks (run_id, key, split, block, x0, x1, min, max, last, t, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, key, split, block) DO UPDATE SET
         x0 = CASE WHEN excluded.x0 < x0 THEN excluded.x0 ELSE x0 END,
         x1 = CASE WHEN excluded.x1 > x1 THEN excluded.x1 ELSE x1 END,
         min = CASE WHEN min IS NULL OR (excluded.min IS NOT NULL AND excluded.min < min) THEN excluded.min ELSE min END,
         max = CASE WHEN max IS NULL OR (excluded.max IS NOT NULL AND excluded.max > max) THEN excluded.max ELSE max END,
         last = excluded.last, t = excluded.t, count = count + excluded.count`,
    );
    for (const group of groupBySeries(points)) {
      const { runId, key } = group[0]!;
      const split = group[0]!.split ?? "";
      const batch = summarizeSeriesBatch(group);
      const count = upsertSeries.get(runId, key, split, batch.count, batch.min, batch.max, encodeReal(batch.last), batch.firstStep, batch.lastStep, lastSeq) as number;
      for (const block of summarizeBlocks(group, count - group.length)) {
        upsertBlock.run(runId, key, split, block.index, block.x0, block.x1, block.min, block.max, encodeReal(block.last), block.t, block.count);
      }
    }
  }

  async runChanges(afterRevision: number, limit?: number, options: RunChangesOptions = {}): Promise<RunChanges> {
    const columns = options.code === false ? RUN_SELECT_LIST.replace(/\bcode\b/, "NULL AS code") : RUN_SELECT_LIST;
    const read = this.db.transaction(() => {
      const rows = this.statement(`SELECT ${columns}, revision FROM runs WHERE revision > ? ORDER BY revision LIMIT ?`).raw().all(
        afterRevision,
        limit === undefined || !Number.isFinite(limit) ? -1 : Math.max(0, Math.floor(limit)),
      ) as unknown[][];
      const total = this.statement("SELECT count(*) FROM runs").pluck().get() as number;
      return { rows, total };
    });
    const { rows, total } = read();
    const revision = rows.length > 0 ? Number(rows[rows.length - 1]![RUN_FIELDS.length]) : afterRevision;
    return { runs: rows.map(runFromValues), revision, total };
  }

  async listRunIds(): Promise<string[]> {
    return this.statement("SELECT id FROM runs").pluck().all() as string[];
  }

  async listSeries(filter: { runIds?: string[]; afterSeq?: number } = {}): Promise<SeriesStats[]> {
    const where: string[] = ["seq > ?"];
    const values: unknown[] = [filter.afterSeq ?? 0];
    if (filter.runIds !== undefined) {
      if (filter.runIds.length === 0) return [];
      where.push("run_id IN (SELECT value FROM json_each(?))");
      values.push(JSON.stringify(filter.runIds));
    }
    const rows = this.statement(
      `SELECT run_id, key, split, count, min, max, last, first_step, last_step, seq FROM metric_series WHERE ${where.join(" AND ")} ORDER BY run_id, split, key`,
    ).raw().all(...values) as [string, string, string, number, number | null, number | null, unknown, number, number, number][];
    return rows.map(([runId, key, split, count, min, max, last, firstStep, lastStep, seq]) => ({ runId, key, split, count, min, max, last: decodeReal(last), firstStep, lastStep, seq }));
  }

  async getMetricBlocks(runId: string, key: string, split: string): Promise<MetricBlock[]> {
    const rows = this.statement("SELECT block, x0, x1, min, max, last, t, count FROM metric_blocks WHERE run_id = ? AND key = ? AND split = ? ORDER BY block").raw().all(
      runId,
      key,
      split,
    ) as [number, number, number, number | null, number | null, unknown, number, number][];
    return rows.map(([index, x0, x1, min, max, last, t, count]) => ({ index, x0, x1, min, max, last: decodeReal(last), t, count }));
  }

  async getMetricsAfter(runIds: string[], afterSeq: number, limit: number): Promise<SequencedMetricPoint[]> {
    if (runIds.length === 0) return [];
    const rows = this.statement(
      "SELECT seq, run_id, key, split, step, value, wall_time FROM metrics WHERE run_id IN (SELECT value FROM json_each(?)) AND seq > ? ORDER BY seq LIMIT ?",
    ).raw().all(JSON.stringify(runIds), afterSeq, Math.max(0, Math.floor(limit))) as [number, string, string, string, number, unknown, number][];
    return rows.map(([seq, runId, key, split, step, value, wallTime]) => ({ seq, runId, key, split, step, value: decodeReal(value), wallTime }));
  }

  async lastMetricSeq(): Promise<number> {
    return (this.statement("SELECT max(seq) FROM metrics").pluck().get() as number | null) ?? 0;
  }

  async getMetrics(runId: string, filter: { key?: string; split?: string } = {}): Promise<MetricPoint[]> {
    let sql = "SELECT key, split, step, value, wall_time FROM metrics WHERE run_id = ?";
    const values: unknown[] = [runId];
    if (filter.key !== undefined) {
      sql += " AND key = ?";
      values.push(filter.key);
    }
    if (filter.split !== undefined) {
      sql += " AND split = ?";
      values.push(filter.split);
    }
    const rows = this.statement(`${sql} ORDER BY seq`).raw().all(...values) as [string, string, number, unknown, number][];
    return rows.map(([key, split, step, value, wallTime]) => ({ runId, key, split, step, value: decodeReal(value), wallTime }));
  }

  async appendSamples(rows: SampleRow[]): Promise<void> {
    if (rows.length === 0) return;
    const insert = this.statement("INSERT OR REPLACE INTO samples (run_id, idx, input, pred, label, extra) VALUES (?, ?, ?, ?, ?, ?)");
    this.db.transaction(() => {
      this.requireRuns(rows.map((row) => row.runId));
      for (const row of rows) {
        insert.run(row.runId, row.index, encodeJson(row.input), encodeJson(row.pred), encodeJson(row.label), row.extra === undefined ? null : encodeJson(row.extra));
      }
    }).immediate();
  }

  async getSamples(runId: string, offset = 0, limit?: number): Promise<SampleRow[]> {
    const rows = this.statement("SELECT idx, input, pred, label, extra FROM samples WHERE run_id = ? ORDER BY idx LIMIT ? OFFSET ?").all(
      runId,
      limit === undefined ? -1 : Math.max(0, limit),
      Math.max(0, offset),
    ) as Row[];
    return rows.map((row) => {
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
    return this.statement("SELECT count(*) FROM samples WHERE run_id = ?").pluck().get(runId) as number;
  }

  async addArtifact(artifact: ArtifactRecord): Promise<void> {
    this.db.transaction(() => {
      this.requireRuns([artifact.runId]);
      this.statement("DELETE FROM artifacts WHERE run_id = ? AND name = ?").run(artifact.runId, artifact.name);
      this.statement("INSERT INTO artifacts (run_id, name, location, sha256, size, created_at) VALUES (?, ?, ?, ?, ?, ?)").run(
        artifact.runId,
        artifact.name,
        artifact.location,
        artifact.sha256,
        artifact.size,
        artifact.createdAt,
      );
    }).immediate();
  }

  async listArtifacts(runId: string): Promise<ArtifactRecord[]> {
    const rows = this.statement("SELECT * FROM artifacts WHERE run_id = ? ORDER BY created_at, seq").all(runId) as Row[];
    return rows.map((row) => ({
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
    // INSERT OR IGNORE + SELECT: two kernels creating the same study at once both get the one row.
    this.statement("INSERT OR IGNORE INTO studies (id, name, direction, config, created_at) VALUES (?, ?, ?, ?, ?)").run(
      newId(now),
      name,
      direction,
      encodeJson(config),
      now,
    );
    return (await this.getStudy(name))!;
  }

  async getStudy(name: string): Promise<StudyRecord | undefined> {
    const row = this.statement("SELECT * FROM studies WHERE name = ?").get(name) as Row | undefined;
    return row ? studyFromRow(row) : undefined;
  }

  async updateStudyConfig(studyId: string, config: JSONObject): Promise<void> {
    const result = this.statement("UPDATE studies SET config = ? WHERE id = ?").run(encodeJson(config), studyId);
    if (result.changes === 0) throw studyNotFound(studyId);
  }

  async listStudies(): Promise<StudyRecord[]> {
    return (this.statement("SELECT * FROM studies ORDER BY created_at, id").all() as Row[]).map(studyFromRow);
  }

  async createTrial(
    studyId: string,
    init: NewTrial = {},
  ): Promise<TrialRecord> {
    const now = Date.now();
    const id = newId(now);
    // The counter row is bumped inside an IMMEDIATE transaction: the write lock makes the number unique across processes.
    const number = this.db.transaction(() => {
      const allocated = this.statement(
        "UPDATE studies SET next_trial_number = next_trial_number + 1 WHERE id = ? RETURNING next_trial_number - 1",
      ).pluck().get(studyId) as number | undefined;
      if (allocated === undefined) throw studyNotFound(studyId);
      this.statement(
        `INSERT INTO trials (id, study_id, number, state, params, distributions, kernel_id, started_at, heartbeat_at)
         VALUES (?, ?, ?, 'running', ?, ?, ?, ?, ?)`,
      ).run(id, studyId, allocated, encodeJson(init.params ?? {}), encodeJson(init.distributions ?? {}), init.kernelId ?? null, now, now);
      return allocated;
    }).immediate();
    return newTrialRecord(id, studyId, number, init, now);
  }

  async updateTrial(trialId: string, patch: TrialPatch): Promise<void> {
    if (patch.state !== undefined) checkTrialState(patch.state);
    const { columns, values } = patchAssignments(patch, TRIAL_PATCH_COLUMNS, encodeReal);
    const sql = columns.length
      ? `UPDATE trials SET ${columns.map((column) => `${column} = ?`).join(", ")} WHERE id = ?`
      : "UPDATE trials SET id = id WHERE id = ?";
    if (this.db.prepare(sql).run(...values, trialId).changes === 0) throw trialNotFound(trialId);
  }

  async reportIntermediate(trialId: string, step: number, value: number): Promise<void> {
    this.db.transaction(() => {
      if (this.statement("SELECT 1 FROM trials WHERE id = ?").get(trialId) === undefined) throw trialNotFound(trialId);
      this.statement("INSERT OR REPLACE INTO trial_intermediate (trial_id, step, value) VALUES (?, ?, ?)").run(trialId, step, encodeReal(value));
    }).immediate();
  }

  async listTrials(studyId: string): Promise<TrialRecord[]> {
    const read = this.db.transaction(() => {
      const rows = this.statement("SELECT * FROM trials WHERE study_id = ? ORDER BY number").all(studyId) as Row[];
      const steps = this.statement(
        `SELECT i.trial_id, i.step, i.value FROM trial_intermediate i JOIN trials t ON t.id = i.trial_id
         WHERE t.study_id = ? ORDER BY i.trial_id, i.step`,
      ).raw().all(studyId) as [string, number, unknown][];
      return { rows, steps };
    });
    const { rows, steps } = read();
    const byTrial = new Map<string, { step: number; value: number }[]>();
    for (const [trialId, step, value] of steps) {
      let list = byTrial.get(trialId);
      if (!list) byTrial.set(trialId, (list = []));
      list.push({ step, value: decodeReal(value) });
    }
    return rows.map((row) => withRealValue(trialFromRow(row, byTrial.get(row.id as string) ?? []), row.value));
  }

  async failStaleTrials(studyId: string, staleBefore: number): Promise<string[]> {
    const now = Date.now();
    const stale = this.db.transaction(() => {
      const rows = this.statement("SELECT id, heartbeat_at FROM trials WHERE study_id = ? AND state = 'running' AND heartbeat_at < ?").raw().all(
        studyId,
        staleBefore,
      ) as [string, number][];
      const fail = this.statement("UPDATE trials SET state = 'failed', error = ?, ended_at = ? WHERE id = ?");
      for (const [id, heartbeatAt] of rows) fail.run(staleTrialError(heartbeatAt), now, id);
      return rows.map(([id]) => id);
    }).immediate();
    return stale.sort();
  }

  async heartbeatTrials(trialIds: string[], at: number): Promise<void> {
    const update = this.statement("UPDATE trials SET heartbeat_at = ? WHERE id = ?");
    this.db.transaction(() => {
      for (const id of trialIds) update.run(at, id);
    }).immediate();
  }

  /** Synchronous close for process 'exit' handlers. */
  closeSync(): void {
    if (this.db.open) this.db.close();
  }

  async close(): Promise<void> {
    this.closeSync();
  }
}


function withRealValue(trial: TrialRecord, value: unknown): TrialRecord {
  trial.value = value === null || value === undefined ? null : decodeReal(value);
  return trial;
}
