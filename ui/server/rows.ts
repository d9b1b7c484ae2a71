// Store records in the shape the page shows (ui/api.ts): flat run rows, trial rows, study summaries.
import type { JSONValue } from "../../kernel/types.js";
import { backendName } from "../../magics/track/query.js";
import type { RunRecord, SeriesStats, StudyRecord, TrialRecord } from "../../store/types.js";
import type { RunRow, StudySummary, TrialRow } from "../api.js";

/** Splits whose series are readings about the machine or per-layer weights, not results. */
export function isSystemSeries(split: string): boolean {
  return split === "system" || split === "weights";
}

export function metricName(key: string, split: string): string {
  return split ? `${split}.${key}` : key;
}

function finiteOrNull(value: JSONValue | number | null | undefined): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** A run row; `series` (the run's series stats) adds min and max, and the last value of runs still logging. */
export function runRow(run: RunRecord, series: readonly SeriesStats[] = []): RunRow {
  const metrics: RunRow["metrics"] = {};
  for (const [key, value] of Object.entries(run.summary)) {
    if (typeof value === "number") metrics[key] = { last: finiteOrNull(value), min: null, max: null };
  }
  for (const stats of series) {
    if (isSystemSeries(stats.split)) continue;
    const name = metricName(stats.key, stats.split);
    const entry = (metrics[name] ??= { last: finiteOrNull(stats.last), min: null, max: null });
    entry.min = finiteOrNull(stats.min);
    entry.max = finiteOrNull(stats.max);
  }
  const end = run.endedAt ?? (run.status === "running" ? run.heartbeatAt : null);
  return {
    id: run.id,
    name: run.name,
    status: run.status,
    tags: run.tags,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    duration: end === null ? null : Math.max(0, (end - run.startedAt) / 1000),
    params: run.params,
    metrics,
    backend: backendName(run.env.backend),
    versionId: run.versionId,
    studyName: run.studyName,
    trialNumber: run.trialNumber,
  };
}

export function seriesByRun(series: readonly SeriesStats[]): Map<string, SeriesStats[]> {
  const byRun = new Map<string, SeriesStats[]>();
  for (const stats of series) {
    const list = byRun.get(stats.runId);
    if (list) list.push(stats);
    else byRun.set(stats.runId, [stats]);
  }
  return byRun;
}

export function trialRow(trial: TrialRecord): TrialRow {
  return {
    number: trial.number,
    state: trial.state,
    value: finiteOrNull(trial.value),
    params: trial.params,
    intermediate: trial.intermediate.filter((point) => Number.isFinite(point.value)),
    runId: trial.runId,
    startedAt: trial.startedAt,
    endedAt: trial.endedAt,
  };
}

export function studySummary(study: StudyRecord, trials: readonly TrialRecord[]): StudySummary {
  const count = (state: TrialRecord["state"]) => trials.filter((trial) => trial.state === state).length;
  let best: StudySummary["best"] = null;
  for (const trial of trials) {
    if (trial.state !== "complete" || trial.value === null || !Number.isFinite(trial.value)) continue;
    const better = best === null || (study.direction === "minimize" ? trial.value < best.value : trial.value > best.value);
    if (better) best = { value: trial.value, params: trial.params, trial: trial.number };
  }
  return {
    name: study.name,
    direction: study.direction,
    config: study.config,
    createdAt: study.createdAt,
    trials: trials.length,
    complete: count("complete"),
    running: count("running"),
    pruned: count("pruned"),
    failed: count("failed"),
    best,
  };
}
