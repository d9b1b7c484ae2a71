// One entry point per task: everything the report shows for a set of predictions, as a flat record of numbers
// (metric name → value) plus the structured parts (per-class scores, confusion matrix).
import type { Label, ProbabilityMatrix } from "../inputs.js";
import { accuracy, brierScore, confusionMatrix, logLoss, precisionRecallF1, type PerClassScores } from "./classification.js";
import { rankingScores } from "./ranking.js";
import { regressionScores } from "./regression.js";
import { calibration, topLabel } from "../calibration.js";

export { accuracy, argmaxRows, brierScore, confusionMatrix, logLoss, precisionRecallF1 } from "./classification.js";
export { binaryAveragePrecision, binaryRocAuc, rankingScores } from "./ranking.js";
export { languageModelScores, regressionScores } from "./regression.js";

/** Metrics where a larger value is better; every other metric is better when smaller. */
export const HIGHER_IS_BETTER = new Set([
  "accuracy", "precision", "recall", "f1", "precisionMacro", "recallMacro", "f1Macro", "precisionMicro", "recallMicro",
  "f1Micro", "precisionWeighted", "recallWeighted", "f1Weighted", "rocAuc", "rocAucWeighted", "prAuc", "r2",
]);

export interface ClassificationDetail {
  metrics: Record<string, number>;
  perClass: Array<{ label: Label; precision: number; recall: number; f1: number; support: number }>;
  confusionMatrix: number[][];
  /** sklearn-style UndefinedMetricWarning texts (precision/recall 0/0 set to 0). */
  warnings: string[];
}

/**
 * accuracy; precision/recall/f1 (binary: of the positive class = classes[1], as sklearn's average="binary";
 * multiclass: macro) and their Macro/Micro/Weighted variants; with probabilities also rocAuc (multiclass:
 * one-vs-rest macro, rocAucWeighted), prAuc (average precision), logLoss, brier, ece/mce (uniform 10 bins) and
 * eceQuantile/mceQuantile.
 */
export function classificationDetail(labels: Int32Array, preds: Int32Array, classes: Label[], probs?: ProbabilityMatrix, bins = 10): ClassificationDetail {
  const matrix = confusionMatrix(labels, preds, classes.length);
  const scores = precisionRecallF1(matrix);
  const binary = classes.length === 2;
  const metrics: Record<string, number> = {
    accuracy: accuracy(labels, preds),
    precision: binary ? scores.perClass.precision[1]! : scores.macro.precision,
    recall: binary ? scores.perClass.recall[1]! : scores.macro.recall,
    f1: binary ? scores.perClass.f1[1]! : scores.macro.f1,
    precisionMacro: scores.macro.precision,
    recallMacro: scores.macro.recall,
    f1Macro: scores.macro.f1,
    precisionMicro: scores.micro.precision,
    recallMicro: scores.micro.recall,
    f1Micro: scores.micro.f1,
    precisionWeighted: scores.weighted.precision,
    recallWeighted: scores.weighted.recall,
    f1Weighted: scores.weighted.f1,
  };
  if (probs) {
    const ranking = rankingScores(labels, probs);
    metrics.rocAuc = ranking.rocAuc;
    if (ranking.rocAucWeighted !== undefined) metrics.rocAucWeighted = ranking.rocAucWeighted;
    metrics.prAuc = ranking.prAuc;
    metrics.logLoss = logLoss(labels, probs);
    metrics.brier = brierScore(labels, probs);
    const top = topLabel(labels, probs);
    const uniform = calibration(top, { bins, binning: "uniform" });
    const quantile = calibration(top, { bins, binning: "quantile" });
    metrics.ece = uniform.ece;
    metrics.mce = uniform.mce;
    metrics.eceQuantile = quantile.ece;
    metrics.mceQuantile = quantile.mce;
  }
  return { metrics, perClass: perClassRows(scores.perClass, classes), confusionMatrix: matrix, warnings: zeroDivisionWarnings(scores.illDefined, classes) };
}

function perClassRows(scores: PerClassScores, classes: Label[]): ClassificationDetail["perClass"] {
  return classes.map((label, c) => ({
    label,
    precision: scores.precision[c]!,
    recall: scores.recall[c]!,
    f1: scores.f1[c]!,
    support: scores.support[c]!,
  }));
}

function zeroDivisionWarnings(illDefined: { precision: number[]; recall: number[] }, classes: Label[]): string[] {
  const names = (indices: number[]) => indices.map((c) => JSON.stringify(classes[c])).join(", ");
  const warnings: string[] = [];
  if (illDefined.precision.length > 0) {
    warnings.push(`Precision is ill-defined and set to 0.0 for class ${names(illDefined.precision)}: no predicted samples (scikit-learn's zero_division default).`);
  }
  if (illDefined.recall.length > 0) {
    warnings.push(`Recall is ill-defined and set to 0.0 for class ${names(illDefined.recall)}: no true samples (scikit-learn's zero_division default).`);
  }
  return warnings;
}

export function regressionMetrics(targets: ArrayLike<number>, predictions: ArrayLike<number>): Record<string, number> {
  const { mae, mse, rmse, r2 } = regressionScores(targets, predictions);
  return { mae, mse, rmse, r2 };
}
