// The JSON API of `labnote ui`: every route the page uses, its query parameters and its response, in one module
// (the server implements it, the page calls it, the README documents it). Additive changes only: the page and the
// server are built from this file.
import type { JSONObject, JSONValue } from "../kernel/types.js";
import type { ArtifactRecord, RunStatus, SampleRow, StudyDirection, TrialState } from "../store/types.js";

/**
 * Every error response: 4xx/5xx with this body. A query error carries the 1-based position where parsing failed.
 * 400 bad parameter or query, 401 no token (non-loopback bind), 403 DELETE without --allow-delete, 404 unknown run /
 * study / metric / artifact, 503 the store is unreachable for the moment (locked file, PostgreSQL restarting): retry.
 * JSON bodies of 4 kB or more are gzipped when the request accepts gzip.
 */
export interface ApiError {
  error: string;
  /** Query parse errors only: 1-based character position in `where`. */
  position?: number;
}

/** GET /api/info — what the page needs before anything else. */
export interface InfoResponse {
  store: { kind: "sqlite" | "postgres" | "memory"; location: string };
  allowDelete: boolean;
  version: string;
  /** Project root whose refs/labnote history the Versions view reads (null when the store has no project beside it). */
  project: string | null;
}

/** One row of the runs table: flat, so the page can show, sort and group any column. */
export interface RunRow {
  id: string;
  name: string;
  status: RunStatus;
  tags: string[];
  startedAt: number;
  endedAt: number | null;
  /** Seconds; for running runs, up to the last heartbeat. */
  duration: number | null;
  params: Record<string, JSONValue>;
  /** Per metric "split.key" (or plain key): final, min and max value. */
  metrics: Record<string, { last: number | null; min: number | null; max: number | null }>;
  backend: string | null;
  versionId: string | null;
  studyName: string | null;
  trialNumber: number | null;
}

/**
 * GET /api/runs?where=&sort=&limit=&offset=
 *   where: the `%track runs --where` language plus `or`, `not`, `in (…)`, `between A and B`, `~ /regex/` (names, tags).
 *   sort:  a column path, "-" prefix for descending (e.g. "-val.acc", "params.lr", "startedAt"); default "-startedAt".
 *   limit: default 100, max 1000; offset: default 0.
 * 400 with ApiError.position on a malformed query.
 */
export interface RunsResponse {
  total: number;
  offset: number;
  runs: RunRow[];
  /** All param and metric column names seen in the matching runs (for the column chooser). */
  columns: { params: string[]; metrics: string[] };
  /** Server time spent, ms (shown in the page footer and read by bench:ui). */
  elapsedMs: number;
}

/** GET /api/runs/groups?where=&by=params.X|tags&metric=val.acc — group-by with mean/min/max of one metric. */
export interface GroupsResponse {
  by: string;
  metric: string;
  groups: { value: JSONValue; count: number; mean: number | null; min: number | null; max: number | null }[];
}

/** GET /api/runs/ID — one run: everything recorded about it. */
export interface RunDetailResponse {
  run: RunRow & {
    env: JSONObject;
    summary: Record<string, JSONValue>;
    seed: number | null;
    code: string | null;
    notebook: string | null;
    dataHashes: Record<string, string>;
    kernelId: string | null;
    host: string | null;
  };
  /** Metric keys with their splits and point counts ("system" metrics flagged). */
  series: { key: string; split: string; points: number; system: boolean }[];
  warnings: { step: number | null; kind: string; message: string }[];
  artifacts: (Pick<ArtifactRecord, "name" | "sha256" | "size" | "createdAt"> & { url: string })[];
  sampleCount: number;
  /** The %eval report attached to the run, when there is one. */
  evalReport: JSONObject | null;
}

/**
 * GET /api/runs/ID/artifacts/NAME — the artifact's bytes (RunDetailResponse.artifacts[].url). Only names the store
 * recorded for that run, whose file lies inside <project>/.labnote/artifacts/ID; anything else (../, absolute) is 404.
 */

/** GET /api/runs/ID/samples?offset=&limit=&filter= (filter: substring over input/pred/label). */
export interface SamplesResponse {
  total: number;
  offset: number;
  rows: SampleRow[];
}

/** One server-side bucket: a step range with min, max and last value, so spikes survive downsampling. */
export interface MetricBucket {
  /** First and last step (or x value) in the bucket. */
  x0: number;
  x1: number;
  min: number;
  max: number;
  last: number;
  /** min and max ignore NaN; both are NaN (sent as JSON null) when every value in the bucket was NaN. */
  /** Wall time (ms since epoch) of the last point, for relative/wall-time axes. */
  t: number;
  count: number;
}

/**
 * GET /api/runs/ID/metrics/KEY?buckets=N&split=&after=STEP
 *   KEY is the metric key ("loss"); all splits unless `split` is given. buckets default 1000.
 *   after: only points with step > STEP (live polling / SSE resume).
 */
export interface MetricSeriesResponse {
  runId: string;
  key: string;
  series: { split: string; points: number; lastStep: number | null; buckets: MetricBucket[] }[];
}

/**
 * GET /api/live?runs=ID,ID[&study=NAME] — server-sent events. Each event `data:` is a LiveEvent (JSON). The server
 * polls the store (every 250 ms) and sends only what is new; the page merges points into its buckets. `study` adds
 * "trial" events for that study's trials as they change (runs may then be omitted).
 */
export type LiveEvent =
  | { type: "points"; runId: string; key: string; split: string; points: { step: number; value: number; t: number }[] }
  | { type: "run"; run: RunRow }
  | { type: "trial"; study: string; trial: TrialRow };

/** GET /api/compare?ids=A,B,C&differencesOnly=1 — the same content as `%track compare`. */
export interface CompareResponse {
  runs: RunRow[];
  /** Rows of params / metrics / env with one value per run, `different` flagged. */
  rows: { section: "params" | "metrics" | "env" | "data"; key: string; values: (JSONValue | null)[]; different: boolean }[];
  /** Unified line diffs of each run's code against the first run's. */
  codeDiffs: { runId: string; diff: string }[];
  /** Vega-Lite spec of the overlaid curves, built by widgets/charts (one code path with the notebook). */
  chart: JSONObject | null;
}

export interface StudySummary {
  name: string;
  direction: StudyDirection;
  config: JSONObject;
  createdAt: number;
  trials: number;
  complete: number;
  running: number;
  pruned: number;
  failed: number;
  best: { value: number; params: Record<string, JSONValue>; trial: number } | null;
}

/** GET /api/studies */
export interface StudiesResponse {
  studies: StudySummary[];
}

export interface TrialRow {
  number: number;
  state: TrialState;
  value: number | null;
  params: Record<string, JSONValue>;
  intermediate: { step: number; value: number }[];
  runId: string | null;
  startedAt: number;
  endedAt: number | null;
}

/** GET /api/studies/NAME — trials plus the Vega-Lite specs the notebook's %%tune shows (magics/tune/charts.ts). */
export interface StudyDetailResponse {
  study: StudySummary;
  trials: TrialRow[];
  charts: { history: JSONObject; parallel: JSONObject | null; importance: JSONObject | null; slices: JSONObject | null };
}

export interface VersionRow {
  id: string;
  /** The ref it was read from (refs/labnote/…); diverged lines each have their own. */
  ref: string;
  message: string;
  kind: "commit" | "snapshot";
  time: number;
  notebook: string | null;
  parents: string[];
}

/** GET /api/versions?limit= — the refs/labnote history of the project, read with isomorphic-git. */
export interface VersionsResponse {
  project: string | null;
  versions: VersionRow[];
}

/** GET /api/versions/diff?a=ID&b=ID — same content as `%version diff A B`. */
export interface VersionDiffResponse {
  a: string;
  b: string;
  diff: JSONObject;
}

/** Mean, spread and range of a numeric column on one side of a row diff. */
export interface ColumnNumbers {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

/** One table file's row diff between two versions (magics/version/row-diff.ts RowDiff plus its data path). */
export interface RowDiffFile {
  /** The data path both versions share. */
  path: string;
  before: { path: string; format: string; rows: number; columns: string[] };
  after: { path: string; format: string; rows: number; columns: string[] };
  key: string | null;
  rows: { added: number; removed: number; changed: number; unchanged: number };
  duplicateKeys: { before: number; after: number };
  /** Up to 5 examples of each; a changed row lists only the columns that differ. */
  examples: {
    added: { line: number; row: Record<string, string | null> }[];
    removed: { line: number; row: Record<string, string | null> }[];
    changed: { key: string | null; line: { before: number; after: number }; columns: { column: string; before: string | null; after: string | null }[] }[];
  };
  schema: { added: string[]; removed: string[]; retyped: { column: string; before: string; after: string }[] };
  /** Per shared column: missing values, numbers' summaries, top values' shares, population stability index. */
  drift: {
    column: string;
    type: { before: string; after: string };
    missing: { before: number; after: number };
    /** meanShift: (mean B − mean A) / std A; null when A's values do not vary and the means differ. */
    numeric?: { before: ColumnNumbers; after: ColumnNumbers; meanShift: number | null };
    categories?: { value: string; before: number; after: number }[];
    psi: number | null;
    psiBasis: string | null;
  }[];
  partitions: number;
}

/**
 * GET /api/versions/rows?a=ID&b=ID&key=COL&path=FILE — the row-level diff of every table file (.csv, .tsv, .jsonl,
 * .ndjson, .json) two named versions give different bytes (only `path` when given), as `%version diff A B --rows`:
 * rows added / removed / changed by `key` (by whole content without one), schema changes, per-column drift. Bytes are
 * read from the project's content cache. 400: a malformed table or a `key` that is no column; 404: a `path` neither
 * version has.
 */
export interface VersionRowsResponse {
  a: string;
  b: string;
  key: string | null;
  files: RowDiffFile[];
  /** Changed files that could not be diffed by rows (not a table, bytes not in the local cache), and why. */
  skipped: { path: string; reason: string }[];
}

/** DELETE /api/runs/ID — only when the server was started with --allow-delete (403 otherwise). */
export interface DeleteResponse {
  deleted: string;
}
