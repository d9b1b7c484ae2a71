// Run-query semantics shared by the stores that filter in JavaScript (memory) and the SQL builders.
import type { RunQuery, RunRecord, SampleRow } from "./types.js";

export function matchesRunQuery(run: RunRecord, query: RunQuery): boolean {
  if (query.ids !== undefined && !query.ids.includes(run.id)) return false;
  if (query.name !== undefined && run.name !== query.name) return false;
  if (query.idPrefix !== undefined && !run.id.startsWith(query.idPrefix)) return false;
  if (query.status !== undefined && !query.status.includes(run.status)) return false;
  if (query.studyName !== undefined && run.studyName !== query.studyName) return false;
  return true;
}

/** Newest first: by start time, then id (ids are time-ordered, so runs started in one millisecond still order). */
export function compareRuns(a: RunRecord, b: RunRecord, order: "newest" | "oldest"): number {
  const ascending = a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return order === "newest" ? -ascending : ascending;
}

export function sortSamples(rows: SampleRow[]): SampleRow[] {
  return rows.sort((a, b) => a.index - b.index);
}
