// Whole metric curves of a version's runs, stored in the version (curves/<runId>.json) so a reproduction can be
// compared step by step anywhere — also in a fresh clone that has no access to the original store.
import type { JSONValue } from "../../../kernel/types.js";
import type { MetricPoint, Store } from "../../../store/types.js";

/** "split.key" (or "key") → [step, value][]; non-finite values as strings, since JSON cannot carry them. */
export type RunCurves = Record<string, [number, number | string][]>;

/** System readings (CPU, memory, throughput) measure the machine, not the experiment: never compared. */
export function isComparedSplit(split: string): boolean {
  return split !== "system";
}

export function curvesFromPoints(points: MetricPoint[]): RunCurves {
  const curves: RunCurves = {};
  for (const point of points) {
    if (!isComparedSplit(point.split)) continue;
    const name = point.split ? `${point.split}.${point.key}` : point.key;
    (curves[name] ??= []).push([point.step, Number.isFinite(point.value) ? point.value : String(point.value)]);
  }
  for (const series of Object.values(curves)) series.sort((a, b) => a[0] - b[0]);
  return curves;
}

export function curveValue(value: number | string | JSONValue): number {
  return typeof value === "number" ? value : Number(value);
}

/** The files a version stores for its runs' curves (empty when there is no store). */
export async function runCurveFiles(runIds: string[], openStore: () => Promise<Store>): Promise<Record<string, string>> {
  if (runIds.length === 0) return {};
  let store: Store;
  try {
    store = await openStore();
  } catch {
    return {};
  }
  const files: Record<string, string> = {};
  for (const id of runIds) files[`curves/${id}.json`] = `${JSON.stringify(curvesFromPoints(await store.getMetrics(id)))}\n`;
  return files;
}
