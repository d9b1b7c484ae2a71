// How records map onto SQL rows; shared by the SQLite and PostgreSQL stores so both encode alike.
import type { JSONObject, JSONValue } from "../kernel/types.js";
import { decodeJson, encodeJson } from "./records.js";
import type { RunRecord, RunStatus, StudyDirection, StudyRecord, TrialRecord, TrialState } from "./types.js";

type Codec = "json" | "plain";

/** RunRecord field → [column, codec]. JSON columns hold encodeJson text (NaN/±Infinity tagged). */
export const RUN_COLUMNS = {
  id: ["id", "plain"],
  name: ["name", "plain"],
  status: ["status", "plain"],
  params: ["params", "json"],
  tags: ["tags", "json"],
  summary: ["summary", "json"],
  env: ["env", "json"],
  seed: ["seed", "plain"],
  code: ["code", "plain"],
  notebook: ["notebook", "plain"],
  dataHashes: ["data_hashes", "json"],
  versionId: ["version_id", "plain"],
  studyName: ["study_name", "plain"],
  trialNumber: ["trial_number", "plain"],
  kernelId: ["kernel_id", "plain"],
  host: ["host", "plain"],
  pid: ["pid", "plain"],
  startedAt: ["started_at", "plain"],
  endedAt: ["ended_at", "plain"],
  heartbeatAt: ["heartbeat_at", "plain"],
} as const satisfies Record<keyof RunRecord, readonly [string, Codec]>;

export const RUN_FIELDS = Object.keys(RUN_COLUMNS) as (keyof RunRecord)[];

export const TRIAL_PATCH_COLUMNS = {
  state: ["state", "plain"],
  params: ["params", "json"],
  distributions: ["distributions", "json"],
  value: ["value", "plain"],
  runId: ["run_id", "plain"],
  error: ["error", "plain"],
  endedAt: ["ended_at", "plain"],
  heartbeatAt: ["heartbeat_at", "plain"],
} as const;

export function encodeColumn(codec: Codec, value: unknown): unknown {
  if (value === undefined) return null;
  return codec === "json" ? encodeJson(value) : value;
}

/** Column values (in RUN_FIELDS order) for an INSERT. */
export function runRowValues(run: RunRecord): unknown[] {
  return RUN_FIELDS.map((field) => encodeColumn(RUN_COLUMNS[field][1], run[field]));
}

/** Columns and values for an UPDATE from a patch; undefined fields are left alone, id never changes. */
export function patchAssignments<T extends object>(
  patch: T,
  columns: Record<string, readonly [string, Codec]>,
  encodeNumber: (value: number) => unknown = (value) => value,
): { columns: string[]; values: unknown[] } {
  const names: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined || field === "id") continue;
    const column = columns[field];
    if (!column) throw new TypeError(`"${field}" is not a field that can be updated: use one of ${Object.keys(columns).join(", ")}.`);
    names.push(column[0]);
    values.push(typeof value === "number" && column[1] === "plain" ? encodeNumber(value) : encodeColumn(column[1], value));
  }
  return { columns: names, values };
}

type Row = Record<string, unknown>;

function numberOrNull(value: unknown): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === "number" ? value : Number(value);
}

/** The run columns in RUN_FIELDS order, for `SELECT ${RUN_SELECT_LIST}` read back as arrays (no per-row objects). */
export const RUN_SELECT_LIST = RUN_FIELDS.map((field) => RUN_COLUMNS[field][0]).join(", ");

/** A run from a row read in RUN_SELECT_LIST order: reading arrays instead of objects halves findRuns over many runs. */
export function runFromValues(values: unknown[]): RunRecord {
  return {
    id: values[0] as string,
    name: values[1] as string,
    status: values[2] as RunStatus,
    params: decodeJson<Record<string, JSONValue>>(values[3] as string, {}),
    tags: decodeJson<string[]>(values[4] as string, []),
    summary: decodeJson<Record<string, JSONValue>>(values[5] as string, {}),
    env: decodeJson<JSONObject>(values[6] as string, {}),
    seed: numberOrNull(values[7]),
    code: (values[8] as string | null) ?? null,
    notebook: (values[9] as string | null) ?? null,
    dataHashes: decodeJson<Record<string, string>>(values[10] as string, {}),
    versionId: (values[11] as string | null) ?? null,
    studyName: (values[12] as string | null) ?? null,
    trialNumber: numberOrNull(values[13]),
    kernelId: (values[14] as string | null) ?? null,
    host: (values[15] as string | null) ?? null,
    pid: numberOrNull(values[16]),
    startedAt: Number(values[17]),
    endedAt: numberOrNull(values[18]),
    heartbeatAt: Number(values[19]),
  };
}

export function trialFromRow(row: Row, intermediate: { step: number; value: number }[]): TrialRecord {
  return {
    id: row.id as string,
    studyId: row.study_id as string,
    number: Number(row.number),
    state: row.state as TrialState,
    params: decodeJson<Record<string, JSONValue>>(row.params as string, {}),
    distributions: decodeJson<JSONObject>(row.distributions as string, {}),
    value: numberOrNull(row.value),
    intermediate,
    runId: (row.run_id as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    kernelId: (row.kernel_id as string | null) ?? null,
    startedAt: Number(row.started_at),
    endedAt: numberOrNull(row.ended_at),
    heartbeatAt: Number(row.heartbeat_at),
  };
}

export function studyFromRow(row: Row): StudyRecord {
  return {
    id: row.id as string,
    name: row.name as string,
    direction: row.direction as StudyDirection,
    config: decodeJson<JSONObject>(row.config as string, {}),
    createdAt: Number(row.created_at),
  };
}

/** Upper bound for an id-prefix range scan (`id >= prefix AND id < bound`), so the primary-key index is used. */
export function prefixUpperBound(prefix: string): string {
  return prefix + "\uffff";
}
