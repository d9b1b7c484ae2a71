// The store behind %track and %tune: one interface, three implementations (memory, SQLite, PostgreSQL) that pass
// one shared contract suite (test/unit/store/contract.ts). Times are milliseconds since the epoch.
import type { JSONObject, JSONValue } from "../kernel/types.js";

export type RunStatus = "running" | "finished" | "failed" | "crashed";

export interface RunRecord {
  id: string; // unique, sortable by creation (e.g. time-ordered hex)
  name: string;
  status: RunStatus;
  params: Record<string, JSONValue>;
  tags: string[];
  /** Final / summary metrics, keyed "split.key" (e.g. "val.acc") or a plain key for summaries. */
  summary: Record<string, JSONValue>;
  /** Environment: node, tfjs version and backend, os, cpu, gpu, lockfile hash, git HEAD + dirty, … */
  env: JSONObject;
  seed: number | null;
  /** Source of the cell that produced the run. */
  code: string | null;
  notebook: string | null;
  /** %version data: path → sha256 of the data the run read; and the version it was committed in. */
  dataHashes: Record<string, string>;
  versionId: string | null;
  studyName: string | null;
  trialNumber: number | null;
  kernelId: string | null;
  host: string | null;
  pid: number | null;
  startedAt: number;
  endedAt: number | null;
  heartbeatAt: number;
}

export type NewRun = Pick<RunRecord, "name"> & Partial<Omit<RunRecord, "id" | "name">> & { id?: string };
export type RunPatch = Partial<Omit<RunRecord, "id">>;

export interface MetricPoint {
  runId: string;
  key: string; // "loss"
  split: string; // "train" | "val" | … ("" when none)
  step: number;
  value: number; // NaN / ±Infinity must round-trip
  wallTime: number;
}

/** Per series (run, key, split): kept by the store at append time, so readers never scan the points for these. */
export interface SeriesStats {
  runId: string;
  key: string;
  split: string;
  count: number;
  /** Smallest and largest finite-or-infinite value (NaN ignored); null when every value was NaN. */
  min: number | null;
  max: number | null;
  /** The last appended value and its step. */
  last: number;
  firstStep: number;
  lastStep: number;
  /** Position of the series' latest append in the store's point order (readers ask for series changed after it). */
  seq: number;
}

export interface MetricBlock {
  /** Block number: points [index × METRIC_BLOCK_POINTS (store/metric-blocks.ts), (index + 1) × METRIC_BLOCK_POINTS) of the series, in append order. */
  index: number;
  /** Smallest and largest step in the block. */
  x0: number;
  x1: number;
  min: number | null;
  max: number | null;
  last: number;
  /** Wall time of the last point. */
  t: number;
  count: number;
}

/** A metric point with its position in the store's append order (live readers resume after it). */
export interface SequencedMetricPoint extends MetricPoint {
  seq: number;
}

export interface RunChangesOptions {
  /** false: leave each run's code out (null), for readers that index many runs and show code only on demand. */
  code?: boolean;
}

/** Runs created or changed after a revision (see Store.runChanges). */
export interface RunChanges {
  runs: RunRecord[];
  /** The revision the reader is now at: pass it to the next runChanges call. */
  revision: number;
  /** How many runs the store holds now (a reader whose count differs asks listRunIds for deletions). */
  total: number;
}

export interface SampleRow {
  runId: string;
  index: number;
  input: JSONValue;
  pred: JSONValue;
  label: JSONValue;
  extra?: JSONObject;
}

export interface ArtifactRecord {
  runId: string;
  name: string;
  /** Where the copied bytes live (absolute path inside the project's .labnote/artifacts, or a URL). */
  location: string;
  sha256: string;
  size: number;
  createdAt: number;
}

export interface RunQuery {
  ids?: string[];
  name?: string;
  idPrefix?: string;
  status?: RunStatus[];
  studyName?: string;
  /** Newest first by default. */
  order?: "newest" | "oldest";
  limit?: number;
}

export type StudyDirection = "minimize" | "maximize";

export interface StudyRecord {
  id: string;
  name: string;
  direction: StudyDirection;
  /** Sampler, pruner, metric, seed, search space seen so far, … */
  config: JSONObject;
  createdAt: number;
}

export type TrialState = "running" | "complete" | "pruned" | "failed";

export interface TrialRecord {
  id: string;
  studyId: string;
  /** 0-based, unique within the study, allocated atomically by createTrial (never duplicated across kernels). */
  number: number;
  state: TrialState;
  params: Record<string, JSONValue>;
  /** Distribution of every sampled parameter (type, low, high, log, step, choices), as the sampler recorded it. */
  distributions: JSONObject;
  value: number | null;
  /** Reported intermediate values (trial.report), by step. */
  intermediate: { step: number; value: number }[];
  runId: string | null;
  error: string | null;
  kernelId: string | null;
  startedAt: number;
  endedAt: number | null;
  heartbeatAt: number;
}

export type TrialPatch = Partial<Pick<TrialRecord, "state" | "params" | "distributions" | "value" | "runId" | "error" | "endedAt" | "heartbeatAt">>;

export interface Store {
  readonly kind: "memory" | "sqlite" | "postgres";

  // runs
  createRun(run: NewRun): Promise<RunRecord>;
  updateRun(id: string, patch: RunPatch): Promise<void>;
  getRun(id: string): Promise<RunRecord | undefined>;
  findRuns(query?: RunQuery): Promise<RunRecord[]>;
  /** Deletes the run and its metrics, samples and artifact records. */
  deleteRun(id: string): Promise<void>;
  /** Heartbeat for live runs; a run whose heartbeat is older than `staleBefore` is marked crashed by markStaleRuns. */
  heartbeat(runIds: string[], at: number): Promise<void>;
  markStaleRuns(staleBefore: number): Promise<string[]>;

  // run data (batched; one transaction per call)
  appendMetrics(points: MetricPoint[]): Promise<void>;
  getMetrics(runId: string, filter?: { key?: string; split?: string }): Promise<MetricPoint[]>;
  appendSamples(rows: SampleRow[]): Promise<void>;
  getSamples(runId: string, offset?: number, limit?: number): Promise<SampleRow[]>;
  countSamples(runId: string): Promise<number>;
  addArtifact(artifact: ArtifactRecord): Promise<void>;
  listArtifacts(runId: string): Promise<ArtifactRecord[]>;

  // studies and trials (%tune)
  /** Returns the existing study of that name, or creates it. */
  ensureStudy(name: string, direction: StudyDirection, config: JSONObject): Promise<StudyRecord>;
  getStudy(name: string): Promise<StudyRecord | undefined>;
  updateStudyConfig(studyId: string, config: JSONObject): Promise<void>;
  listStudies(): Promise<StudyRecord[]>;
  /** Allocates the next trial number atomically (safe across processes and machines) and stores the trial as running. */
  createTrial(studyId: string, init?: { params?: Record<string, JSONValue>; distributions?: JSONObject; kernelId?: string }): Promise<TrialRecord>;
  updateTrial(trialId: string, patch: TrialPatch): Promise<void>;
  reportIntermediate(trialId: string, step: number, value: number): Promise<void>;
  listTrials(studyId: string): Promise<TrialRecord[]>;
  /** Marks running trials whose heartbeat is older than staleBefore as failed ("kernel died"); returns their ids. */
  failStaleTrials(studyId: string, staleBefore: number): Promise<string[]>;
  heartbeatTrials(trialIds: string[], at: number): Promise<void>;

  // readers that must stay fast over 100,000 runs and million-point series (labnote ui)
  /** Runs created or changed (any field, heartbeats included) after `afterRevision`, oldest change first, at most `limit`. */
  runChanges(afterRevision: number, limit?: number, options?: RunChangesOptions): Promise<RunChanges>;
  /** The id of every run (a reader's check for deletions). */
  listRunIds(): Promise<string[]>;
  /** Series stats of the given runs (all runs when omitted); `afterSeq`: only series appended to after that position. */
  listSeries(filter?: { runIds?: string[]; afterSeq?: number }): Promise<SeriesStats[]>;
  /** The summary blocks of one series, in order (store/metric-blocks.ts): a curve at any resolution without the points. */
  getMetricBlocks(runId: string, key: string, split: string): Promise<MetricBlock[]>;
  /** Points appended to the given runs after position `afterSeq`, in append order, at most `limit` (live views). */
  getMetricsAfter(runIds: string[], afterSeq: number, limit: number): Promise<SequencedMetricPoint[]>;
  /** The position of the latest appended point (0 when none): where a live reader starts. */
  lastMetricSeq(): Promise<number>;

  close(): Promise<void>;
}
