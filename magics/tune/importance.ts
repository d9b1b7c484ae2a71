// Parameter importances: mean decrease in impurity (variance) from a small random forest fitted to the complete
// trials — the estimator Optuna's fANOVA evaluator also starts from. Inputs are the unit-cube encoding
// (log-scaled where log); a choice is its option index. Importances sum to 1.
import { createRandom, mixSeed, type Random } from "./rng.js";
import { choiceIndex, toUnit, type Distribution, type ParamValue } from "./space.js";

export const IMPORTANCE_ESTIMATOR = "mean decrease in impurity of a 64-tree random forest on the complete trials";

export interface ImportanceInput {
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  value: number;
}

interface Split {
  feature: number;
  threshold: number;
}

export function parameterImportances(trials: readonly ImportanceInput[], options: { trees?: number; maxDepth?: number; seed?: number } = {}): Record<string, number> {
  const names = [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
  const usable = trials.filter((t) => names.every((name) => name in t.params) && Number.isFinite(t.value));
  if (names.length === 0 || usable.length < 4) return {};
  const rows = usable.map((t) => names.map((name) => encodeValue(t.distributions[name]!, t.params[name]!)));
  const values = usable.map((t) => t.value);
  const gains = new Float64Array(names.length);
  const random = createRandom(mixSeed(options.seed ?? 0, "importance"));
  const trees = options.trees ?? 64;
  for (let tree = 0; tree < trees; tree++) {
    const sample = Array.from({ length: rows.length }, () => random.int(rows.length));
    grow(sample, rows, values, gains, 0, options.maxDepth ?? 6, random);
  }
  const total = gains.reduce((sum, g) => sum + g, 0);
  return Object.fromEntries(names.map((name, i) => [name, total > 0 ? gains[i]! / total : 1 / names.length]));
}

function encodeValue(distribution: Distribution, value: ParamValue): number {
  return distribution.type === "choice" ? choiceIndex(distribution, value) : toUnit(distribution, value as number);
}

function sumOfSquares(indices: number[], values: number[]): number {
  let mean = 0;
  for (const i of indices) mean += values[i]!;
  mean /= indices.length;
  let total = 0;
  for (const i of indices) total += (values[i]! - mean) ** 2;
  return total;
}

function grow(indices: number[], rows: number[][], values: number[], gains: Float64Array, depth: number, maxDepth: number, random: Random): void {
  if (depth >= maxDepth || indices.length < 4) return;
  const parentImpurity = sumOfSquares(indices, values);
  if (parentImpurity <= 1e-12) return;
  const features = rows[0]!.length;
  // Random subset of features per split (max(1, ⌈features/3⌉)), as in regression forests.
  const tryCount = Math.max(1, Math.ceil(features / 3));
  let best: { split: Split; gain: number; left: number[]; right: number[] } | undefined;
  for (let t = 0; t < tryCount; t++) {
    const feature = random.int(features);
    const sorted = [...new Set(indices.map((i) => rows[i]![feature]!))].sort((a, b) => a - b);
    if (sorted.length < 2) continue;
    for (let attempt = 0; attempt < 8; attempt++) {
      const k = 1 + random.int(sorted.length - 1);
      const threshold = (sorted[k - 1]! + sorted[k]!) / 2;
      const left = indices.filter((i) => rows[i]![feature]! <= threshold);
      const right = indices.filter((i) => rows[i]![feature]! > threshold);
      const gain = parentImpurity - sumOfSquares(left, values) - sumOfSquares(right, values);
      if (!best || gain > best.gain) best = { split: { feature, threshold }, gain, left, right };
    }
  }
  if (!best || best.gain <= 0) return;
  gains[best.split.feature]! += best.gain;
  grow(best.left, rows, values, gains, depth + 1, maxDepth, random);
  grow(best.right, rows, values, gains, depth + 1, maxDepth, random);
}
