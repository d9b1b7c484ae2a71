// Pieces every Store implementation shares: defaults for new records, JSON columns that keep NaN/±Infinity, and
// the errors a caller sees when a record is missing.
import { newId } from "./ids.js";
import type { JSONObject, JSONValue } from "../kernel/types.js";
import type { NewRun, RunRecord, RunStatus, StudyDirection, TrialRecord, TrialState } from "./types.js";

export const RUN_STATUSES: readonly RunStatus[] = ["running", "finished", "failed", "crashed"];
export const TRIAL_STATES: readonly TrialState[] = ["running", "complete", "pruned", "failed"];
export const STUDY_DIRECTIONS: readonly StudyDirection[] = ["minimize", "maximize"];

/** The full record for a new run: defaults for everything the caller left out. */
export function buildRunRecord(run: NewRun, now: number = Date.now()): RunRecord {
  if (typeof run.name !== "string") throw new TypeError("createRun needs a run name (a string).");
  const startedAt = run.startedAt ?? now;
  return {
    id: run.id ?? newId(),
    name: run.name,
    status: run.status ?? "running",
    params: run.params ?? {},
    tags: run.tags ?? [],
    summary: run.summary ?? {},
    env: run.env ?? {},
    seed: run.seed ?? null,
    code: run.code ?? null,
    notebook: run.notebook ?? null,
    dataHashes: run.dataHashes ?? {},
    versionId: run.versionId ?? null,
    studyName: run.studyName ?? null,
    trialNumber: run.trialNumber ?? null,
    kernelId: run.kernelId ?? null,
    host: run.host ?? null,
    pid: run.pid ?? null,
    startedAt,
    endedAt: run.endedAt ?? null,
    heartbeatAt: run.heartbeatAt ?? startedAt,
  };
}

export interface NewTrial {
  params?: Record<string, JSONValue>;
  distributions?: JSONObject;
  kernelId?: string;
}

/** The record of a trial just allocated `number`: running, no value yet. */
export function newTrialRecord(id: string, studyId: string, number: number, init: NewTrial, now: number): TrialRecord {
  return {
    id,
    studyId,
    number,
    state: "running",
    params: init.params ?? {},
    distributions: init.distributions ?? {},
    value: null,
    intermediate: [],
    runId: null,
    error: null,
    kernelId: init.kernelId ?? null,
    startedAt: now,
    endedAt: null,
    heartbeatAt: now,
  };
}

export function staleTrialError(heartbeatAt: number): string {
  return `kernel died: no heartbeat since ${new Date(heartbeatAt).toISOString()}`;
}

export function checkRunStatus(status: string): RunStatus {
  if (!(RUN_STATUSES as readonly string[]).includes(status)) {
    throw new TypeError(`Unknown run status "${status}": use one of ${RUN_STATUSES.join(", ")}.`);
  }
  return status as RunStatus;
}

export function checkTrialState(state: string): TrialState {
  if (!(TRIAL_STATES as readonly string[]).includes(state)) {
    throw new TypeError(`Unknown trial state "${state}": use one of ${TRIAL_STATES.join(", ")}.`);
  }
  return state as TrialState;
}

export function checkDirection(direction: string): StudyDirection {
  if (!(STUDY_DIRECTIONS as readonly string[]).includes(direction)) {
    throw new TypeError(`Unknown study direction "${direction}": use "minimize" or "maximize".`);
  }
  return direction as StudyDirection;
}

export function runNotFound(id: string): Error {
  return new Error(`No run with id "${id}" in the store: list runs with \`%track runs\` and use one of their ids.`);
}

export function trialNotFound(id: string): Error {
  return new Error(`No trial with id "${id}" in the store: list a study's trials with \`%tune show STUDY\`.`);
}

export function studyNotFound(id: string): Error {
  return new Error(`No study with id "${id}" in the store: create it first with ensureStudy (or \`%tune\`).`);
}

// JSON has no NaN or Infinity; these tags keep them (a summary of "loss": NaN must read back as NaN, not null).
// Text holding tags starts with "~" so decoding finds out with one character, not a scan of every string.
const NON_FINITE_TAG = "$labnote:number";
const TAGGED_PREFIX = "~";

function encodeNonFinite(_key: string, value: unknown): unknown {
  if (typeof value === "number" && !Number.isFinite(value)) return { [NON_FINITE_TAG]: String(value) };
  return value;
}

function decodeNonFinite(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const tagged = (value as Record<string, unknown>)[NON_FINITE_TAG];
    if (typeof tagged === "string" && Object.keys(value).length === 1) return Number(tagged);
  }
  return value;
}

/** JSON text for a column; non-finite numbers are tagged so they survive. */
export function encodeJson(value: unknown): string {
  const plain = JSON.stringify(value);
  // The replacer is slow; only pay for it when the value may hold a non-finite number (which plain JSON shows as null).
  if (!plain.includes("null")) return plain;
  const tagged = JSON.stringify(value, encodeNonFinite);
  return tagged === plain ? plain : TAGGED_PREFIX + tagged;
}

export function decodeJson<T = JSONValue>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === "") return fallback;
  return (text.charCodeAt(0) === 126 /* "~" */ ? JSON.parse(text.slice(1), decodeNonFinite) : JSON.parse(text)) as T;
}

/** Deep copy of plain data (keeps NaN/Infinity), so callers never share a store's objects; cheaper than structuredClone. */
export function copy<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map(copy) as T;
  const result: Record<string, unknown> = {};
  for (const key in value) result[key] = copy((value as Record<string, unknown>)[key]);
  return result as T;
}
