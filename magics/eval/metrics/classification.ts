// Classification metrics computed the way scikit-learn 1.2 computes them (same zero-division rule, same log-loss
// clipping), on labels already encoded as class indices so every metric is one pass over typed arrays.
import type { ProbabilityMatrix } from "../inputs.js";

export interface PerClassScores {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

export interface AveragedScores {
  precision: number;
  recall: number;
  f1: number;
}

export interface PrecisionRecallF1 {
  perClass: PerClassScores;
  macro: AveragedScores;
  micro: AveragedScores;
  weighted: AveragedScores;
  /** Classes whose precision or recall was 0/0 and set to 0 (scikit-learn's zero_division="warn" default). */
  illDefined: { precision: number[]; recall: number[] };
}

export function accuracy(labels: Int32Array, preds: Int32Array): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === preds[i]) correct++;
  return correct / labels.length;
}

/** Rows: true class; columns: predicted class (like sklearn.metrics.confusion_matrix). */
export function confusionMatrix(labels: Int32Array, preds: Int32Array, classCount: number): number[][] {
  const counts = new Float64Array(classCount * classCount);
  for (let i = 0; i < labels.length; i++) counts[labels[i]! * classCount + preds[i]!]!++;
  return Array.from({ length: classCount }, (_, row) => Array.from(counts.subarray(row * classCount, (row + 1) * classCount)));
}

/** 0/0 → 0, as sklearn's _prf_divide with zero_division="warn". */
function divide(numerator: number, denominator: number): number {
  return denominator === 0 ? 0 : numerator / denominator;
}

function fScore(precision: number, recall: number): number {
  const denominator = precision + recall;
  return (2 * precision * recall) / (denominator === 0 ? 1 : denominator);
}

export function precisionRecallF1(matrix: number[][], includedClasses?: number[]): PrecisionRecallF1 {
  const classCount = matrix.length;
  const classes = includedClasses ?? Array.from({ length: classCount }, (_, index) => index);
  const truePositives: number[] = [];
  const predicted: number[] = [];
  const actual: number[] = [];
  for (const c of classes) {
    let columnSum = 0;
    let rowSum = 0;
    for (let k = 0; k < classCount; k++) {
      columnSum += matrix[k]![c]!;
      rowSum += matrix[c]![k]!;
    }
    truePositives.push(matrix[c]![c]!);
    predicted.push(columnSum);
    actual.push(rowSum);
  }
  const precision = truePositives.map((tp, i) => divide(tp, predicted[i]!));
  const recall = truePositives.map((tp, i) => divide(tp, actual[i]!));
  const f1 = precision.map((p, i) => fScore(p, recall[i]!));
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  const totalSupport = actual.reduce((sum, value) => sum + value, 0);
  const weightedMean = (values: number[]) =>
    totalSupport === 0 ? 0 : values.reduce((sum, value, i) => sum + value * actual[i]!, 0) / totalSupport;
  const tpSum = truePositives.reduce((sum, value) => sum + value, 0);
  const microPrecision = divide(tpSum, predicted.reduce((sum, value) => sum + value, 0));
  const microRecall = divide(tpSum, totalSupport);
  return {
    perClass: { precision, recall, f1, support: actual },
    macro: { precision: mean(precision), recall: mean(recall), f1: mean(f1) },
    micro: { precision: microPrecision, recall: microRecall, f1: fScore(microPrecision, microRecall) },
    weighted: { precision: weightedMean(precision), recall: weightedMean(recall), f1: weightedMean(f1) },
    illDefined: {
      precision: classes.filter((_, i) => predicted[i] === 0),
      recall: classes.filter((_, i) => actual[i] === 0),
    },
  };
}

/**
 * Mean cross-entropy as sklearn 1.2's log_loss: probabilities clipped to [eps, 1 − eps] with eps the float64
 * machine epsilon, rows renormalised, then −log p(true class).
 */
export function logLoss(labels: Int32Array, probs: ProbabilityMatrix): number {
  const eps = Number.EPSILON;
  const { columns, values } = probs;
  let total = 0;
  for (let i = 0; i < labels.length; i++) {
    let rowSum = 0;
    for (let j = 0; j < columns; j++) rowSum += clip(values[i * columns + j]!, eps);
    total += -Math.log(clip(values[i * columns + labels[i]!]!, eps) / rowSum);
  }
  return total / labels.length;
}

function clip(p: number, eps: number): number {
  return p < eps ? eps : p > 1 - eps ? 1 - eps : p;
}

/**
 * Brier score. Binary: mean (p(positive) − y)², as sklearn's brier_score_loss. Multiclass: mean over examples of
 * the squared distance between the probability row and the one-hot label (Brier's original definition).
 */
export function brierScore(labels: Int32Array, probs: ProbabilityMatrix): number {
  const { columns, values } = probs;
  let total = 0;
  if (columns === 2) {
    for (let i = 0; i < labels.length; i++) {
      const difference = values[2 * i + 1]! - labels[i]!;
      total += difference * difference;
    }
    return total / labels.length;
  }
  for (let i = 0; i < labels.length; i++) {
    for (let j = 0; j < columns; j++) {
      const difference = values[i * columns + j]! - (labels[i] === j ? 1 : 0);
      total += difference * difference;
    }
  }
  return total / labels.length;
}

/** Predicted class per row: argmax with ties to the first column (numpy.argmax). */
export function argmaxRows(probs: ProbabilityMatrix): Int32Array {
  const { rows, columns, values } = probs;
  const result = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let best = 0;
    for (let j = 1; j < columns; j++) if (values[i * columns + j]! > values[i * columns + best]!) best = j;
    result[i] = best;
  }
  return result;
}
