// Turns raw user input (any label type, 1-D or 2-D probabilities) into checked, encoded arrays and the task's
// metrics. The report, the baselines and the slices all start here, so validation happens once and alike.
import {
  checkLabels, checkNumbers, checkSameLength, encode, EvalInputError, probabilityColumns, resolveClasses, toProbabilityMatrix,
  type Label, type LabelArray, type ProbabilityInput, type ProbabilityMatrix,
} from "./inputs.js";
import { argmaxRows, classificationDetail, type ClassificationDetail, regressionMetrics } from "./metrics/index.js";
import { languageModelScores } from "./metrics/regression.js";

export type Task = "classification" | "regression" | "lm";

export interface ClassificationInput {
  labels: LabelArray;
  preds?: LabelArray;
  probs?: ProbabilityInput;
  classes?: readonly Label[];
  bins?: number;
}

export interface PreparedClassification {
  classes: Label[];
  labels: Int32Array;
  preds: Int32Array;
  probs?: ProbabilityMatrix;
}

export function prepareClassification(input: ClassificationInput): PreparedClassification {
  checkLabels("labels", input.labels);
  if (input.preds === undefined && input.probs === undefined) {
    throw new EvalInputError("preds", "is missing; pass predicted labels (preds) or class probabilities (probs).");
  }
  if (input.preds !== undefined) {
    checkLabels("preds", input.preds);
    checkSameLength({ labels: input.labels.length, preds: input.preds.length });
  }
  const columns = input.probs !== undefined && input.probs !== null && typeof input.probs.length === "number" ? probabilityColumns(input.probs) : undefined;
  const classes = resolveClasses(input.labels, input.preds, columns, input.classes);
  const labels = encode("labels", input.labels, classes);
  const probs = input.probs !== undefined ? toProbabilityMatrix(input.probs, input.labels.length) : undefined;
  if (probs && probs.columns !== classes.length) {
    throw new EvalInputError("probs", `has ${probs.columns} columns for ${classes.length} classes; give one column per class (binary: P(positive) only).`);
  }
  const preds = input.preds !== undefined ? encode("preds", input.preds, classes) : argmaxRows(probs!);
  return { classes, labels, preds, probs };
}

/** Classification metrics from raw labels/preds/probs, checked first (see classificationDetail for the names). */
export function classificationMetrics(input: ClassificationInput): ClassificationDetail & { classes: Label[] } {
  const prepared = prepareClassification(input);
  return { ...classificationDetail(prepared.labels, prepared.preds, prepared.classes, prepared.probs, input.bins), classes: prepared.classes };
}

export function checkRegression(targets: unknown, predictions: unknown, names = { targets: "labels", predictions: "preds" }): asserts predictions is ArrayLike<number> {
  checkNumbers(names.targets, targets);
  checkNumbers(names.predictions, predictions);
  checkSameLength({ [names.targets]: (targets as ArrayLike<number>).length, [names.predictions]: (predictions as ArrayLike<number>).length });
}

/** MAE, MSE, RMSE and R² (sklearn's definitions). */
export function regressionMetricsChecked(targets: ArrayLike<number>, predictions: ArrayLike<number>): Record<string, number> {
  checkRegression(targets, predictions);
  return regressionMetrics(targets, predictions);
}

/** Perplexity, cross-entropy (nats/token) and bits per token from natural-log token likelihoods. */
export function languageModelMetrics(logLikelihoods: ArrayLike<number> | ArrayLike<ArrayLike<number>>): Record<string, number> {
  if (logLikelihoods === null || logLikelihoods === undefined || typeof logLikelihoods.length !== "number" || logLikelihoods.length === 0) {
    throw new EvalInputError("preds", "expected token log-likelihoods (natural log, one per token, or one array per sequence).");
  }
  const flat: number[] = [];
  for (let i = 0; i < logLikelihoods.length; i++) {
    const entry = logLikelihoods[i];
    if (typeof entry === "number") flat.push(entry);
    else if (entry && typeof entry.length === "number") for (let j = 0; j < entry.length; j++) flat.push(entry[j]!);
    else throw new EvalInputError("preds", `element ${i} is not a log-likelihood or an array of them.`);
  }
  flat.forEach((value, index) => {
    if (typeof value !== "number" || !Number.isFinite(value) || value > 0) {
      throw new EvalInputError("preds", `token ${index} has log-likelihood ${String(value)}; expected a finite natural-log probability ≤ 0.`);
    }
  });
  const scores = languageModelScores(flat);
  return { perplexity: scores.perplexity, crossEntropy: scores.crossEntropy, bitsPerToken: scores.bitsPerToken, tokens: scores.tokens };
}

/** Infers the task when the caller does not name it: non-integer numeric labels → regression. */
export function inferTask(labels: unknown, preds: unknown): Task {
  const isFloats = (values: unknown) =>
    values !== null && typeof values === "object" && typeof (values as ArrayLike<unknown>).length === "number" &&
    Array.from(values as ArrayLike<unknown>).some((value) => typeof value === "number" && !Number.isInteger(value));
  if (labels === undefined) return "lm";
  return isFloats(labels) || isFloats(preds) ? "regression" : "classification";
}
