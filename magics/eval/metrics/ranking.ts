// ROC-AUC and average precision, following sklearn 1.2's _binary_clf_curve: scores sorted descending, ties
// collapsed into one threshold (so tied scores count half), trapezoids for ROC, the step sum for AP.
import type { ProbabilityMatrix } from "../inputs.js";

interface Curve {
  falsePositives: Float64Array;
  truePositives: Float64Array;
}

/** Cumulative FP/TP counts at each distinct score, highest score first. */
function binaryCurve(isPositive: Uint8Array, scores: Float64Array): Curve {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  const falsePositives: number[] = [];
  const truePositives: number[] = [];
  let tp = 0;
  for (let rank = 0; rank < order.length; rank++) {
    const index = order[rank]!;
    tp += isPositive[index]!;
    const next = order[rank + 1];
    if (next === undefined || scores[next] !== scores[index]) {
      truePositives.push(tp);
      falsePositives.push(rank + 1 - tp);
    }
  }
  return { falsePositives: Float64Array.from(falsePositives), truePositives: Float64Array.from(truePositives) };
}

/** Area under the ROC curve; NaN when only one class is present (undefined). */
export function binaryRocAuc(isPositive: Uint8Array, scores: Float64Array): number {
  const { falsePositives, truePositives } = binaryCurve(isPositive, scores);
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

/** Average precision (area under the precision-recall step curve); NaN without positives. */
export function binaryAveragePrecision(isPositive: Uint8Array, scores: Float64Array): number {
  const { falsePositives, truePositives } = binaryCurve(isPositive, scores);
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
    const positive = indicator(labels, 1);
    const scores = column(probs, 1);
    return { rocAuc: binaryRocAuc(positive, scores), prAuc: binaryAveragePrecision(positive, scores) };
  }
  const perClassRocAuc: number[] = [];
  const perClassAp: number[] = [];
  const prevalence: number[] = [];
  for (let c = 0; c < probs.columns; c++) {
    const positive = indicator(labels, c);
    const scores = column(probs, c);
    perClassRocAuc.push(binaryRocAuc(positive, scores));
    perClassAp.push(binaryAveragePrecision(positive, scores));
    prevalence.push(positive.reduce((sum, value) => sum + value, 0));
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
