// Per-column drift between two scans of a table: types (for schema changes), mean / std for numbers, category
// frequencies, and the population stability index (PSI) — numbers binned at the deciles of the first file's values,
// categories by value; empty bins are floored at PSI_FLOOR so one empty bin does not make the index infinite.
import type { ColumnScan } from "./row-scan.js";

export type ColumnType = "integer" | "number" | "boolean" | "string" | "object" | "mixed" | "empty";

export const PSI_FLOOR = 1e-4;
export const PSI_BINS = 10;

export interface NumericSummary {
  count: number;
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface CategoryShare {
  value: string;
  before: number;
  after: number;
}

export interface ColumnDrift {
  column: string;
  type: { before: ColumnType; after: ColumnType };
  missing: { before: number; after: number };
  numeric?: { before: NumericSummary; after: NumericSummary; meanShift: number };
  /** The most frequent values on either side with their share of non-missing cells (0..1). */
  categories?: CategoryShare[];
  /** Population stability index; by convention < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 large shift. */
  psi: number | null;
  /** How PSI was computed: decile bins of the first file's numbers (from a sample of at most N values), or categories. */
  psiBasis: string | null;
}

export function columnType(scan: ColumnScan): ColumnType {
  const kinds = [scan.numeric.count > 0, scan.text > 0, scan.booleans > 0, scan.objects > 0].filter(Boolean).length;
  if (kinds === 0) return "empty";
  // Text with some number-like values (a CSV column of "10" and "ten") is a text column.
  if (kinds === 2 && scan.numeric.count > 0 && scan.text > 0) return "string";
  if (kinds > 1) return "mixed";
  if (scan.numeric.count > 0) return scan.numeric.integers === scan.numeric.count ? "integer" : "number";
  if (scan.booleans > 0) return "boolean";
  if (scan.objects > 0) return "object";
  return "string";
}

function summary(scan: ColumnScan): NumericSummary {
  const stats = scan.numeric;
  return { count: stats.count, mean: stats.mean, std: stats.count > 1 ? Math.sqrt(stats.m2 / (stats.count - 1)) : 0, min: stats.min, max: stats.max };
}

/** PSI = Σ (after − before) · ln(after / before) over bins of shares, each share floored at PSI_FLOOR. */
export function populationStabilityIndex(before: number[], after: number[]): number {
  const totalBefore = before.reduce((sum, count) => sum + count, 0);
  const totalAfter = after.reduce((sum, count) => sum + count, 0);
  if (totalBefore === 0 || totalAfter === 0) return 0;
  let psi = 0;
  for (let bin = 0; bin < before.length; bin++) {
    const p = Math.max(before[bin]! / totalBefore, PSI_FLOOR);
    const q = Math.max(after[bin]! / totalAfter, PSI_FLOOR);
    psi += (q - p) * Math.log(q / p);
  }
  return psi;
}

/** Bin edges at the deciles of `values` (sorted copy; duplicates merged): bin i holds edges[i-1] <= x < edges[i]. */
export function decileEdges(values: Float64Array): number[] {
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let index = 1; index < PSI_BINS; index++) {
    const edge = sorted[Math.floor((index * sorted.length) / PSI_BINS)]!;
    if (edges.length === 0 ? edge > sorted[0]! : edge > edges[edges.length - 1]!) edges.push(edge);
  }
  return edges;
}

function binCounts(values: Float64Array, edges: number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const value of values) {
    let low = 0;
    let high = edges.length;
    // The first edge greater than the value: its index is the bin.
    while (low < high) {
      const middle = (low + high) >> 1;
      if (edges[middle]! <= value) low = middle + 1;
      else high = middle;
    }
    counts[low]!++;
  }
  return counts;
}

const isNumeric = (type: ColumnType) => type === "integer" || type === "number";

export function columnDrift(before: ColumnScan, after: ColumnScan, topCategories = 10): ColumnDrift {
  const type = { before: columnType(before), after: columnType(after) };
  const drift: ColumnDrift = { column: before.name, type, missing: { before: before.missing, after: after.missing }, psi: null, psiBasis: null };
  if (isNumeric(type.before) && isNumeric(type.after)) {
    const a = summary(before);
    const b = summary(after);
    drift.numeric = { before: a, after: b, meanShift: a.std > 0 ? (b.mean - a.mean) / a.std : b.mean === a.mean ? 0 : Infinity };
    if (before.numeric.sample.length > 0 && after.numeric.sample.length > 0) {
      const edges = decileEdges(before.numeric.sample);
      drift.psi = populationStabilityIndex(binCounts(before.numeric.sample, edges), binCounts(after.numeric.sample, edges));
      const sampled = before.numeric.seen > before.numeric.sample.length || after.numeric.seen > after.numeric.sample.length;
      drift.psiBasis = `${edges.length + 1} bins at the deciles of the first file's values${sampled ? ` (seeded samples of ${before.numeric.sample.length} and ${after.numeric.sample.length} values)` : ""}`;
    }
  }
  if (before.categories && after.categories && (!isNumeric(type.before) || !isNumeric(type.after) || (before.categories.size <= 20 && after.categories.size <= 20))) {
    const values = [...new Set([...before.categories.keys(), ...after.categories.keys()])];
    const countBefore = values.map((value) => before.categories!.get(value) ?? 0);
    const countAfter = values.map((value) => after.categories!.get(value) ?? 0);
    const totalBefore = countBefore.reduce((sum, count) => sum + count, 0) || 1;
    const totalAfter = countAfter.reduce((sum, count) => sum + count, 0) || 1;
    drift.categories = values
      .map((value, index) => ({ value, before: countBefore[index]! / totalBefore, after: countAfter[index]! / totalAfter }))
      .sort((x, y) => Math.max(y.before, y.after) - Math.max(x.before, x.after) || (x.value < y.value ? -1 : 1))
      .slice(0, topCategories);
    // Text, and numbers with at most 20 distinct values (labels 0/1), are compared by value rather than by bins.
    drift.psi = populationStabilityIndex(countBefore, countAfter);
    drift.psiBasis = `${values.length} categories`;
  }
  return drift;
}
