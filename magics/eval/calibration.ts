// Calibration and confidence. Definitions (top-label): confidence = the largest class probability, correct = the
// arg-max class equals the label. Examples go into B bins (default 10) by confidence; ECE = Σ_b (n_b / N)·|acc_b − conf_b|,
// MCE = max_b |acc_b − conf_b| over non-empty bins. Uniform bins split [0, 1] into equal widths (bin b holds
// confidences in (b/B, (b+1)/B], the first also holds 0); quantile bins hold equal counts of the sorted confidences.
import type { ProbabilityMatrix } from "./inputs.js";

export type Binning = "uniform" | "quantile";

export interface ReliabilityBin {
  lower: number;
  upper: number;
  count: number;
  /** Mean top-label confidence in the bin (NaN when empty). */
  confidence: number;
  /** Fraction correct in the bin (NaN when empty). */
  accuracy: number;
  gap: number;
}

export interface CalibrationSummary {
  binning: Binning;
  bins: ReliabilityBin[];
  ece: number;
  mce: number;
}

export interface CoveragePoint {
  threshold: number;
  coverage: number;
  accuracy: number;
  count: number;
}

export interface TopLabel {
  confidence: Float64Array;
  correct: Uint8Array;
}

/** Top-label confidence and correctness per example. */
export function topLabel(labels: Int32Array, probs: ProbabilityMatrix): TopLabel {
  const { rows, columns, values } = probs;
  const confidence = new Float64Array(rows);
  const correct = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 1; j < columns; j++) if (values[i * columns + j]! > values[i * columns + best]!) best = j;
    confidence[i] = values[i * columns + best]!;
    correct[i] = best === labels[i] ? 1 : 0;
  }
  return { confidence, correct };
}

/** Uniform bin index for a confidence in [0, 1]: (b/B, (b+1)/B] → b, and 0 → 0. */
export function uniformBin(confidence: number, binCount: number): number {
  const bin = Math.ceil(confidence * binCount) - 1;
  return bin < 0 ? 0 : bin >= binCount ? binCount - 1 : bin;
}

function summarise(binning: Binning, bounds: Array<[number, number]>, counts: Float64Array, confidenceSums: Float64Array, correctSums: Float64Array, total: number): CalibrationSummary {
  let ece = 0;
  let mce = 0;
  const bins = bounds.map(([lower, upper], b) => {
    const count = counts[b]!;
    const confidence = count === 0 ? Number.NaN : confidenceSums[b]! / count;
    const accuracy = count === 0 ? Number.NaN : correctSums[b]! / count;
    const gap = count === 0 ? Number.NaN : Math.abs(accuracy - confidence);
    if (count > 0) {
      ece += (count / total) * gap;
      if (gap > mce) mce = gap;
    }
    return { lower, upper, count, confidence, accuracy, gap };
  });
  return { binning, bins, ece, mce };
}

export function calibration(top: TopLabel, options: { bins?: number; binning?: Binning } = {}): CalibrationSummary {
  const binCount = options.bins ?? 10;
  const binning = options.binning ?? "uniform";
  const { confidence, correct } = top;
  const n = confidence.length;
  const counts = new Float64Array(binCount);
  const confidenceSums = new Float64Array(binCount);
  const correctSums = new Float64Array(binCount);
  if (binning === "uniform") {
    for (let i = 0; i < n; i++) {
      const b = uniformBin(confidence[i]!, binCount);
      counts[b]!++;
      confidenceSums[b]! += confidence[i]!;
      correctSums[b]! += correct[i]!;
    }
    const bounds = Array.from({ length: binCount }, (_, b): [number, number] => [b / binCount, (b + 1) / binCount]);
    return summarise(binning, bounds, counts, confidenceSums, correctSums, n);
  }
  // Bin of each example as in a stable sort by confidence, from one native sort: an example above or below every
  // boundary value is placed by comparison; one tied with a boundary value takes the next rank among its ties
  // (index order), so ties split across bins exactly as the stable sort would split them.
  const sorted = Float64Array.from(confidence).sort();
  const starts = Array.from({ length: binCount + 1 }, (_, b) => Math.floor((b * n) / binCount));
  const boundaries: number[] = [];
  for (let b = 1; b < binCount; b++) boundaries.push(starts[b]! < n ? sorted[starts[b]!]! : Number.POSITIVE_INFINITY);
  const tieRank = new Map<number, number>();
  for (const value of boundaries) if (!tieRank.has(value)) tieRank.set(value, lowerBound(sorted, value));
  for (let i = 0; i < n; i++) {
    const value = confidence[i]!;
    let b = 0;
    const rank = tieRank.get(value);
    if (rank === undefined) {
      while (b < boundaries.length && boundaries[b]! < value) b++;
    } else {
      tieRank.set(value, rank + 1);
      while (b < binCount - 1 && rank >= starts[b + 1]!) b++;
    }
    counts[b]!++;
    confidenceSums[b]! += value;
    correctSums[b]! += correct[i]!;
  }
  const bounds = Array.from({ length: binCount }, (_, b): [number, number] =>
    starts[b + 1]! > starts[b]! ? [sorted[starts[b]!]!, sorted[starts[b + 1]! - 1]!] : [Number.NaN, Number.NaN],
  );
  return summarise(binning, bounds, counts, confidenceSums, correctSums, n);
}

function lowerBound(sorted: Float64Array, value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (sorted[middle]! < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Accuracy on the examples kept when only predictions with confidence ≥ threshold are answered. */
export function confidenceCurve(top: TopLabel, thresholds: number[] = defaultThresholds()): CoveragePoint[] {
  const { confidence, correct } = top;
  return thresholds.map((threshold) => {
    let count = 0;
    let hits = 0;
    for (let i = 0; i < confidence.length; i++) {
      if (confidence[i]! >= threshold) {
        count++;
        hits += correct[i]!;
      }
    }
    return { threshold, coverage: count / confidence.length, accuracy: count === 0 ? Number.NaN : hits / count, count };
  });
}

function defaultThresholds(): number[] {
  return Array.from({ length: 21 }, (_, i) => Math.round(i * 5) / 100);
}

export interface BinaryFastScores {
  accuracy: number;
  brier: number;
  ece: number;
  mce: number;
}

/**
 * Accuracy (prediction = p > 0.5), Brier and uniform-bin ECE/MCE of binary predictions in one pass over typed
 * arrays — the path for millions of predictions. Same definitions as `calibration` with 2 classes: the prediction is
 * positive when p > 0.5 (a tie goes to the first class, like arg-max).
 */
export function binaryAccuracyBrierEce(labels: Uint8Array | Int32Array, positiveProbs: Float64Array | Float32Array, binCount = 10): BinaryFastScores {
  const n = labels.length;
  const counts = new Float64Array(binCount);
  const confidenceSums = new Float64Array(binCount);
  const correctSums = new Float64Array(binCount);
  let correctTotal = 0;
  let squaredError = 0;
  for (let i = 0; i < n; i++) {
    const p = positiveProbs[i]!;
    const y = labels[i]!;
    const predictsPositive = p > 0.5;
    const confidence = predictsPositive ? p : 1 - p;
    const correct = (predictsPositive ? 1 : 0) === y ? 1 : 0;
    correctTotal += correct;
    squaredError += (p - y) * (p - y);
    let b = Math.ceil(confidence * binCount) - 1;
    if (b < 0) b = 0;
    else if (b >= binCount) b = binCount - 1;
    counts[b]!++;
    confidenceSums[b]! += confidence;
    correctSums[b]! += correct;
  }
  const bounds = Array.from({ length: binCount }, (_, b): [number, number] => [b / binCount, (b + 1) / binCount]);
  const { ece, mce } = summarise("uniform", bounds, counts, confidenceSums, correctSums, n);
  return { accuracy: correctTotal / n, brier: squaredError / n, ece, mce };
}
