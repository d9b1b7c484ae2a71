// The in-memory Store: for tests and for `LABNOTE_STORE=memory:`. Same semantics as the SQLite and PostgreSQL
// stores (the shared contract suite checks all three); returns copies so callers never mutate stored state.
import type { JSONObject, JSONValue } from "../kernel/types.js";
import { newId } from "./ids.js";
import {
  buildRunRecord,
  checkDirection,
  checkRunStatus,
  checkTrialState,
  copy,
  newTrialRecord,
  type NewTrial,
  runNotFound,
  staleTrialError,
  studyNotFound,
  trialNotFound,
} from "./records.js";
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
import { compareRuns, matchesRunQuery, sortSamples } from "./query.js";
import { groupBySeries, mergeBlocks, mergeSeriesStats, summarizeBlocks, summarizeSeriesBatch } from "./metric-blocks.js";

export function createMemoryStore(): Store {
  return new MemoryStore();
}

class MemoryStore implements Store {
  readonly kind = "memory" as const;
  private runs = new Map<string, RunRecord>();
  private metrics = new Map<string, SequencedMetricPoint[]>();
  private lastSeq = 0;
  /** Run id → revision of its last change (runChanges). */
  private revisions = new Map<string, number>();
  private lastRevision = 0;
  private series = new Map<string, SeriesStats>();
  private blocks = new Map<string, MetricBlock[]>();
  private samples = new Map<string, Map<number, SampleRow>>();
  private artifacts = new Map<string, Map<string, ArtifactRecord>>();
  private studies = new Map<string, StudyRecord>();
  private trials = new Map<string, TrialRecord>();
  private trialCounters = new Map<string, number>();
  private closed = false;

  private open(): void {
    if (this.closed) throw new Error("This store is closed: open a new one with openStore(projectDir).");
  }

  private touch(id: string): void {
    this.revisions.set(id, ++this.lastRevision);
  }

  private run(id: string): RunRecord {
    const run = this.runs.get(id);
    if (!run) throw runNotFound(id);
    return run;
  }

  private trial(id: string): TrialRecord {
    const trial = this.trials.get(id);
    if (!trial) throw trialNotFound(id);
    return trial;
  }

  async createRun(input: NewRun): Promise<RunRecord> {
    this.open();
    const run = buildRunRecord(input);
    checkRunStatus(run.status);
    if (this.runs.has(run.id)) throw new Error(`A run with id "${run.id}" already exists: leave id out to get a new one.`);
    this.runs.set(run.id, copy(run));
    this.touch(run.id);
    return copy(run);
  }

  async updateRun(id: string, patch: RunPatch): Promise<void> {
    this.open();
    const run = this.run(id);
    if (patch.status !== undefined) checkRunStatus(patch.status);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    Object.assign(run, copy(defined), { id });
    this.touch(id);
  }

  async getRun(id: string): Promise<RunRecord | undefined> {
    this.open();
    const run = this.runs.get(id);
    return run ? copy(run) : undefined;
  }

  async findRuns(query: RunQuery = {}): Promise<RunRecord[]> {
    this.open();
    const found = [...this.runs.values()].filter((run) => matchesRunQuery(run, query));
    found.sort((a, b) => compareRuns(a, b, query.order ?? "newest"));
    return copy(query.limit !== undefined ? found.slice(0, Math.max(0, query.limit)) : found);
  }

  async deleteRun(id: string): Promise<void> {
    this.open();
    this.runs.delete(id);
    this.revisions.delete(id);
    this.metrics.delete(id);
    for (const key of [...this.series.keys()]) if (key.startsWith(`${id}\u0000`)) this.series.delete(key);
    for (const key of [...this.blocks.keys()]) if (key.startsWith(`${id}\u0000`)) this.blocks.delete(key);
    this.samples.delete(id);
    this.artifacts.delete(id);
  }

  async heartbeat(runIds: string[], at: number): Promise<void> {
    this.open();
    for (const id of runIds) {
      const run = this.runs.get(id);
      if (run) {
        run.heartbeatAt = at;
        this.touch(id);
      }
    }
  }

  async markStaleRuns(staleBefore: number): Promise<string[]> {
    this.open();
    const stale: string[] = [];
    for (const run of this.runs.values()) {
      if (run.status === "running" && run.heartbeatAt < staleBefore) {
        run.status = "crashed";
        run.endedAt = run.heartbeatAt;
        this.touch(run.id);
        stale.push(run.id);
      }
    }
    return stale;
  }

  async appendMetrics(points: MetricPoint[]): Promise<void> {
    this.open();
    for (const point of points) this.run(point.runId);
    for (const point of points) {
      let list = this.metrics.get(point.runId);
      if (!list) this.metrics.set(point.runId, (list = []));
      list.push({ runId: point.runId, key: point.key, split: point.split ?? "", step: point.step, value: point.value, wallTime: point.wallTime, seq: ++this.lastSeq });
    }
    for (const group of groupBySeries(points)) {
      const { runId, key } = group[0]!;
      const split = group[0]!.split ?? "";
      const id = seriesId(runId, key, split);
      const earlier = this.series.get(id);
      this.series.set(id, mergeSeriesStats(earlier, summarizeSeriesBatch(group), { runId, key, split, seq: this.lastSeq }));
      let blocks = this.blocks.get(id);
      if (!blocks) this.blocks.set(id, (blocks = []));
      for (const block of summarizeBlocks(group, earlier?.count ?? 0)) {
        const last = blocks[blocks.length - 1];
        if (last !== undefined && last.index === block.index) blocks[blocks.length - 1] = mergeBlocks(last, block);
        else blocks.push(block);
      }
    }
  }

  async runChanges(afterRevision: number, limit = Number.POSITIVE_INFINITY, options: RunChangesOptions = {}): Promise<RunChanges> {
    this.open();
    const changed = [...this.revisions].filter(([, revision]) => revision > afterRevision).sort((a, b) => a[1] - b[1]).slice(0, limit);
    return {
      runs: changed.map(([id]) => {
        const run = copy(this.runs.get(id)!);
        if (options.code === false) run.code = null;
        return run;
      }),
      revision: changed.length > 0 ? changed[changed.length - 1]![1] : afterRevision,
      total: this.runs.size,
    };
  }

  async listRunIds(): Promise<string[]> {
    this.open();
    return [...this.runs.keys()];
  }

  async listSeries(filter: { runIds?: string[]; afterSeq?: number } = {}): Promise<SeriesStats[]> {
    this.open();
    const runIds = filter.runIds === undefined ? undefined : new Set(filter.runIds);
    return [...this.series.values()]
      .filter((stats) => (runIds === undefined || runIds.has(stats.runId)) && stats.seq > (filter.afterSeq ?? 0))
      .map((stats) => ({ ...stats }));
  }

  async getMetricBlocks(runId: string, key: string, split: string): Promise<MetricBlock[]> {
    this.open();
    return (this.blocks.get(seriesId(runId, key, split)) ?? []).map((block) => ({ ...block }));
  }

  async getMetricsAfter(runIds: string[], afterSeq: number, limit: number): Promise<SequencedMetricPoint[]> {
    this.open();
    const points = runIds.flatMap((id) => (this.metrics.get(id) ?? []).filter((point) => point.seq > afterSeq));
    return points.sort((a, b) => a.seq - b.seq).slice(0, Math.max(0, limit)).map((point) => ({ ...point }));
  }

  async lastMetricSeq(): Promise<number> {
    this.open();
    return this.lastSeq;
  }

  async getMetrics(runId: string, filter: { key?: string; split?: string } = {}): Promise<MetricPoint[]> {
    this.open();
    const list = this.metrics.get(runId) ?? [];
    return list
      .filter((point) => (filter.key === undefined || point.key === filter.key) && (filter.split === undefined || point.split === filter.split))
      .map(({ runId: id, key, split, step, value, wallTime }) => ({ runId: id, key, split, step, value, wallTime }));
  }

  async appendSamples(rows: SampleRow[]): Promise<void> {
    this.open();
    for (const row of rows) this.run(row.runId);
    for (const row of rows) {
      let byIndex = this.samples.get(row.runId);
      if (!byIndex) this.samples.set(row.runId, (byIndex = new Map()));
      byIndex.set(row.index, copy(row));
    }
  }

  async getSamples(runId: string, offset = 0, limit?: number): Promise<SampleRow[]> {
    this.open();
    const rows = sortSamples([...(this.samples.get(runId)?.values() ?? [])]);
    return copy(rows.slice(offset, limit === undefined ? undefined : offset + limit));
  }

  async countSamples(runId: string): Promise<number> {
    this.open();
    return this.samples.get(runId)?.size ?? 0;
  }

  async addArtifact(artifact: ArtifactRecord): Promise<void> {
    this.open();
    this.run(artifact.runId);
    let byName = this.artifacts.get(artifact.runId);
    if (!byName) this.artifacts.set(artifact.runId, (byName = new Map()));
    byName.delete(artifact.name); // a re-added name moves to the end, as in the SQL stores
    byName.set(artifact.name, copy(artifact));
  }

  async listArtifacts(runId: string): Promise<ArtifactRecord[]> {
    this.open();
    const list = [...(this.artifacts.get(runId)?.values() ?? [])];
    return copy(list.sort((a, b) => a.createdAt - b.createdAt));
  }

  async ensureStudy(name: string, direction: StudyDirection, config: JSONObject): Promise<StudyRecord> {
    this.open();
    checkDirection(direction);
    const existing = [...this.studies.values()].find((study) => study.name === name);
    if (existing) return copy(existing);
    const now = Date.now();
    const study: StudyRecord = { id: newId(now), name, direction, config: copy(config), createdAt: now };
    this.studies.set(study.id, study);
    this.trialCounters.set(study.id, 0);
    return copy(study);
  }

  async getStudy(name: string): Promise<StudyRecord | undefined> {
    this.open();
    const study = [...this.studies.values()].find((candidate) => candidate.name === name);
    return study ? copy(study) : undefined;
  }

  async updateStudyConfig(studyId: string, config: JSONObject): Promise<void> {
    this.open();
    const study = this.studies.get(studyId);
    if (!study) throw studyNotFound(studyId);
    study.config = copy(config);
  }

  async listStudies(): Promise<StudyRecord[]> {
    this.open();
    return copy([...this.studies.values()].sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id)));
  }

  async createTrial(
    studyId: string,
    init: NewTrial = {},
  ): Promise<TrialRecord> {
    this.open();
    if (!this.studies.has(studyId)) throw studyNotFound(studyId);
    const number = this.trialCounters.get(studyId) ?? 0;
    this.trialCounters.set(studyId, number + 1);
    const now = Date.now();
    const trial = newTrialRecord(newId(now), studyId, number, copy(init), now);
    this.trials.set(trial.id, trial);
    return copy(trial);
  }

  async updateTrial(trialId: string, patch: TrialPatch): Promise<void> {
    this.open();
    const trial = this.trial(trialId);
    if (patch.state !== undefined) checkTrialState(patch.state);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
    Object.assign(trial, copy(defined));
  }

  async reportIntermediate(trialId: string, step: number, value: number): Promise<void> {
    this.open();
    const trial = this.trial(trialId);
    // Reporting a step twice keeps the latest value, as Optuna does.
    trial.intermediate = trial.intermediate.filter((entry) => entry.step !== step);
    trial.intermediate.push({ step, value });
    trial.intermediate.sort((a, b) => a.step - b.step);
  }

  async listTrials(studyId: string): Promise<TrialRecord[]> {
    this.open();
    return copy([...this.trials.values()].filter((trial) => trial.studyId === studyId).sort((a, b) => a.number - b.number));
  }

  async failStaleTrials(studyId: string, staleBefore: number): Promise<string[]> {
    this.open();
    const stale: string[] = [];
    const now = Date.now();
    for (const trial of this.trials.values()) {
      if (trial.studyId === studyId && trial.state === "running" && trial.heartbeatAt < staleBefore) {
        trial.state = "failed";
        trial.error = staleTrialError(trial.heartbeatAt);
        trial.endedAt = now;
        stale.push(trial.id);
      }
    }
    return stale;
  }

  async heartbeatTrials(trialIds: string[], at: number): Promise<void> {
    this.open();
    for (const id of trialIds) {
      const trial = this.trials.get(id);
      if (trial) trial.heartbeatAt = at;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

function seriesId(runId: string, key: string, split: string): string {
  return `${runId}\u0000${key}\u0000${split}`;
}
