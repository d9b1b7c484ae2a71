// Final metrics and the run's result record (what %%track returns as application/json).
import type { JSONValue } from "../../kernel/types.js";
import type { MetricSeries } from "./series.js";

export interface RunResult {
  id: string;
  name: string;
  params: Record<string, JSONValue>;
  /** Final value per "split.key" ("key" without a split); NaN/Infinity as strings since JSON cannot carry them. */
  metrics: Record<string, JSONValue>;
  status: string;
  warnings: string[];
}

export function jsonNumber(value: number): JSONValue {
  return Number.isFinite(value) ? value : String(value);
}

export function finalMetrics(series: readonly MetricSeries[]): Record<string, JSONValue> {
  const metrics: Record<string, JSONValue> = {};
  for (const one of series) {
    // Per-layer weight norms and system readings are curves, not results; the global weight norm is kept.
    if (one.length === 0 || one.split === "system" || (one.split === "weights" && one.key !== "global")) continue;
    metrics[one.split ? `${one.split}.${one.key}` : one.key] = jsonNumber(one.last);
  }
  return metrics;
}

export function runResult(run: {
  id: string;
  name: string;
  params: Record<string, JSONValue>;
  status: string;
  warnings: string[];
  finalMetrics(): Record<string, JSONValue>;
}): RunResult {
  return { id: run.id, name: run.name, params: { ...run.params }, metrics: run.finalMetrics(), status: run.status, warnings: run.warnings };
}
