// ROC-AUC and average precision, following sklearn 1.2's _binary_clf_curve: scores sorted descending, ties
// collapsed into one threshold (so tied scores count half), trapezoids for ROC, the step sum for AP.
import type { ProbabilityMatrix } from "../inputs.js";

interface Curve {
  falsePositives: Float64Array;
  truePositives: Float64Array;
}

/**
 * Cumulative FP/TP counts at each distinct score, highest score first. Positive and negative scores are sorted
 * apart (native typed-array sorts, no comparator) and merged, which gives the same curve as one sort.
 */
function binaryCurve(isPositive: Uint8Array, scores: Float64Array): Curve {
  let positiveCount = 0;
  for (let i = 0; i < isPositive.length; i++) positiveCount += isPositive[i]!;
  const positives = new Float64Array(positiveCount);
  const negatives = new Float64Array(scores.length - positiveCount);
  for (let i = 0, p = 0, q = 0; i < scores.length; i++) {
    if (isPositive[i]) positives[p++] = scores[i]!;
    else negatives[q++] = scores[i]!;
  }
  positives.sort();
  negatives.sort();
  const falsePositives: number[] = [];
  const truePositives: number[] = [];
  let p = positives.length - 1;
  let q = negatives.length - 1;
  while (p >= 0 || q >= 0) {
    const threshold = Math.max(p >= 0 ? positives[p]! : Number.NEGATIVE_INFINITY, q >= 0 ? negatives[q]! : Number.NEGATIVE_INFINITY);
    if (Number.isNaN(threshold)) throw new RangeError("scores contain NaN; pass finite scores or probabilities.");
    while (p >= 0 && positives[p] === threshold) p--;
    while (q >= 0 && negatives[q] === threshold) q--;
    truePositives.push(positives.length - 1 - p);
    falsePositives.push(negatives.length - 1 - q);
  }
  return { falsePositives: Float64Array.from(falsePositives), truePositives: Float64Array.from(truePositives) };
}

function rocAucFromCurve({ falsePositives, truePositives }: Curve): number {
  const last = falsePositives.length - 1;
  const negatives = falsePositives[last]!;
  const positives = truePositives[last]!;
  if (negatives === 0 || positives === 0) return Number.NaN;
  let area = 0;
  let previousFpr = 0;
  let previousTpr = 0;
  for (let i = 0; i <= last; i++) {
    const fpr = falsePositives[i]! / negatives;
    const tpr = truePositives[i]! / positives;
    area += ((fpr - previousFpr) * (tpr + previousTpr)) / 2;
    previousFpr = fpr;
    previousTpr = tpr;
  }
  return area;
}

function averagePrecisionFromCurve({ falsePositives, truePositives }: Curve): number {
  const positives = truePositives[truePositives.length - 1]!;
  if (positives === 0) return Number.NaN;
  let area = 0;
  let previousRecall = 0;
  for (let i = 0; i < truePositives.length; i++) {
    const recall = truePositives[i]! / positives;
    const precision = truePositives[i]! / (truePositives[i]! + falsePositives[i]!);
    area += (recall - previousRecall) * precision;
    previousRecall = recall;
  }
  return area;
}

/** Area under the ROC curve; NaN when only one class is present (undefined). */
export function binaryRocAuc(isPositive: Uint8Array, scores: Float64Array): number {
  return rocAucFromCurve(binaryCurve(isPositive, scores));
}

/** Average precision (area under the precision-recall step curve); NaN without positives. */
export function binaryAveragePrecision(isPositive: Uint8Array, scores: Float64Array): number {
  return averagePrecisionFromCurve(binaryCurve(isPositive, scores));
}

function column(probs: ProbabilityMatrix, index: number): Float64Array {
  const result = new Float64Array(probs.rows);
  for (let i = 0; i < probs.rows; i++) result[i] = probs.values[i * probs.columns + index]!;
  return result;
}

function indicator(labels: Int32Array, index: number): Uint8Array {
  const result = new Uint8Array(labels.length);
  for (let i = 0; i < labels.length; i++) result[i] = labels[i] === index ? 1 : 0;
  return result;
}

export interface RankingScores {
  /** Binary: ROC-AUC of the positive class. Multiclass: one-vs-rest, macro average. */
  rocAuc: number;
  /** Multiclass only: one-vs-rest, weighted by class prevalence (sklearn multi_class="ovr", average="weighted"). */
  rocAucWeighted?: number;
  /** Binary: average precision of the positive class. Multiclass: one-vs-rest, macro average. */
  prAuc: number;
  perClassRocAuc?: number[];
}

export function rankingScores(labels: Int32Array, probs: ProbabilityMatrix): RankingScores {
  if (probs.columns === 2) {
    const curve = binaryCurve(indicator(labels, 1), column(probs, 1));
    return { rocAuc: rocAucFromCurve(curve), prAuc: averagePrecisionFromCurve(curve) };
  }
  const perClassRocAuc: number[] = [];
  const perClassAp: number[] = [];
  const prevalence: number[] = [];
  for (let c = 0; c < probs.columns; c++) {
    const positive = indicator(labels, c);
    const curve = binaryCurve(positive, column(probs, c));
    perClassRocAuc.push(rocAucFromCurve(curve));
    perClassAp.push(averagePrecisionFromCurve(curve));
    prevalence.push(curve.truePositives[curve.truePositives.length - 1]!);
  }
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const total = prevalence.reduce((sum, value) => sum + value, 0);
  return {
    rocAuc: mean(perClassRocAuc),
    rocAucWeighted: perClassRocAuc.reduce((sum, value, c) => sum + value * prevalence[c]!, 0) / total,
    prAuc: mean(perClassAp),
    perClassRocAuc,
  };
}
