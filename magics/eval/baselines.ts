// Baselines scored with the same metrics as the model, side by side with deltas (model − baseline): random
// (uniform), zero-rule (majority class / mean), stratified (labels drawn at the label frequencies), and the user's
// own: a heuristic function, a human score, or an existing solution's predictions.
import { createRandom } from "../seed/prng.js";
import { encode, EvalInputError, type Label, type LabelArray, type ProbabilityMatrix } from "./inputs.js";
import { classificationDetail, HIGHER_IS_BETTER, regressionMetrics } from "./metrics/index.js";

/**
 * A user baseline: an array is an existing solution's predictions; a function is a heuristic called per example
 * (with the example from `inputs` when the report has them, and its index); a number is a human score on the
 * primary metric (accuracy or MAE); a record of numbers is human scores per metric.
 */
export type BaselineSpec = LabelArray | ((input: unknown, index: number) => Label) | number | Record<string, number>;

export interface BaselineResult {
  name: string;
  kind: "random" | "zero-rule" | "stratified" | "heuristic" | "human" | "existing";
  description: string;
  metrics: Record<string, number>;
  /** model − baseline for each metric both have. */
  delta: Record<string, number>;
  /** Whether the model is better than this baseline on the primary metric. */
  modelBetter: boolean | undefined;
}

export interface BaselineContext {
  seed: number;
  inputs?: ArrayLike<unknown>;
  primaryMetric: string;
  modelMetrics: Record<string, number>;
}

function withDelta(result: Omit<BaselineResult, "delta" | "modelBetter">, context: BaselineContext): BaselineResult {
  const delta: Record<string, number> = {};
  for (const [key, value] of Object.entries(result.metrics)) {
    const model = context.modelMetrics[key];
    if (model !== undefined) delta[key] = model - value;
  }
  const primaryDelta = delta[context.primaryMetric];
  const modelBetter = primaryDelta === undefined || Number.isNaN(primaryDelta) ? undefined : HIGHER_IS_BETTER.has(context.primaryMetric) ? primaryDelta > 0 : primaryDelta < 0;
  return { ...result, delta, modelBetter };
}

function uniformProbabilities(rows: number, columns: number, fill: (row: Float64Array) => void): ProbabilityMatrix {
  const values = new Float64Array(rows * columns);
  const row = new Float64Array(columns);
  fill(row);
  for (let i = 0; i < rows; i++) values.set(row, i * columns);
  return { rows, columns, values };
}

function userPredictions(name: string, spec: BaselineSpec, count: number, inputs: ArrayLike<unknown> | undefined): LabelArray {
  if (typeof spec === "function") {
    return Array.from({ length: count }, (_, index) => spec(inputs ? inputs[index] : undefined, index));
  }
  const predictions = spec as LabelArray;
  if (predictions.length !== count) {
    throw new EvalInputError(`baselines.${name}`, `has ${predictions.length} predictions but labels has ${count}; mismatched lengths — pass one prediction per example.`);
  }
  return predictions;
}

function humanScores(spec: number | Record<string, number>, primaryMetric: string): Record<string, number> {
  return typeof spec === "number" ? { [primaryMetric]: spec } : { ...spec };
}

function isHumanScore(spec: BaselineSpec): spec is number | Record<string, number> {
  if (typeof spec === "number") return true;
  return typeof spec === "object" && spec !== null && !("length" in spec) && Object.values(spec).every((value) => typeof value === "number");
}

export function classificationBaselines(labels: Int32Array, classes: Label[], user: Record<string, BaselineSpec>, context: BaselineContext, trainLabels?: Int32Array): BaselineResult[] {
  const n = labels.length;
  const k = classes.length;
  const random = createRandom(context.seed);
  const counts = new Float64Array(k);
  for (const label of trainLabels ?? labels) counts[label]!++;
  const total = counts.reduce((a, b) => a + b, 0);
  const majority = counts.indexOf(Math.max(...counts)); // ties → the first class, like DummyClassifier
  const priors = Array.from(counts, (count) => count / total);
  const score = (preds: Int32Array, probs?: ProbabilityMatrix) => {
    const { metrics } = classificationDetail(labels, preds, classes, probs);
    return metrics;
  };
  const results: BaselineResult[] = [];
  const uniformPreds = Int32Array.from({ length: n }, () => Math.floor(random() * k));
  results.push(withDelta({ name: "random", kind: "random", description: `uniform over ${k} classes`, metrics: score(uniformPreds, uniformProbabilities(n, k, (row) => row.fill(1 / k))) }, context));
  results.push(
    withDelta({
      name: "zero-rule",
      kind: "zero-rule",
      description: `always ${JSON.stringify(classes[majority])} (${(priors[majority]! * 100).toFixed(1)}% of ${trainLabels ? "training" : "evaluated"} labels), class priors as probabilities`,
      metrics: score(new Int32Array(n).fill(majority), uniformProbabilities(n, k, (row) => row.set(priors))),
    }, context),
  );
  const cumulative = priors.map((_, c) => priors.slice(0, c + 1).reduce((a, b) => a + b, 0));
  const stratifiedPreds = Int32Array.from({ length: n }, () => {
    const u = random();
    const index = cumulative.findIndex((edge) => u < edge);
    return index === -1 ? k - 1 : index;
  });
  results.push(withDelta({ name: "stratified", kind: "stratified", description: "labels drawn at the class frequencies", metrics: score(stratifiedPreds) }, context));
  for (const [name, spec] of Object.entries(user)) {
    if (isHumanScore(spec)) {
      results.push(withDelta({ name, kind: "human", description: "human score", metrics: humanScores(spec, context.primaryMetric) }, context));
      continue;
    }
    const predictions = encode(`baselines.${name}`, userPredictions(name, spec, n, context.inputs), classes);
    const kind = typeof spec === "function" ? "heuristic" : "existing";
    results.push(withDelta({ name, kind, description: kind === "heuristic" ? "heuristic function" : "existing solution's predictions", metrics: score(predictions) }, context));
  }
  return results;
}

export function regressionBaselines(targets: ArrayLike<number>, user: Record<string, BaselineSpec>, context: BaselineContext, trainTargets?: ArrayLike<number>): BaselineResult[] {
  const n = targets.length;
  const random = createRandom(context.seed);
  const reference = Array.from(trainTargets ?? targets);
  const mean = reference.reduce((a, b) => a + b, 0) / reference.length;
  const low = reference.reduce((a, b) => Math.min(a, b), Number.POSITIVE_INFINITY); // no spread: arrays can be huge
  const high = reference.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  const results: BaselineResult[] = [
    withDelta({ name: "random", kind: "random", description: `uniform in [${low}, ${high}]`, metrics: regressionMetrics(targets, Array.from({ length: n }, () => low + random() * (high - low))) }, context),
    withDelta({ name: "zero-rule", kind: "zero-rule", description: `always the mean ${mean.toPrecision(4)}`, metrics: regressionMetrics(targets, new Float64Array(n).fill(mean)) }, context),
    withDelta({ name: "stratified", kind: "stratified", description: "targets drawn from the target distribution", metrics: regressionMetrics(targets, Array.from({ length: n }, () => reference[Math.floor(random() * reference.length)]!)) }, context),
  ];
  for (const [name, spec] of Object.entries(user)) {
    if (isHumanScore(spec)) {
      results.push(withDelta({ name, kind: "human", description: "human score", metrics: humanScores(spec, context.primaryMetric) }, context));
      continue;
    }
    const predictions = userPredictions(name, spec, n, context.inputs);
    const numbers = Array.from(predictions, (value, index) => {
      if (typeof value !== "number" || !Number.isFinite(value)) throw new EvalInputError(`baselines.${name}`, `element ${index} is ${String(value)}; expected a finite number.`);
      return value;
    });
    const kind = typeof spec === "function" ? "heuristic" : "existing";
    results.push(withDelta({ name, kind, description: kind === "heuristic" ? "heuristic function" : "existing solution's predictions", metrics: regressionMetrics(targets, numbers) }, context));
  }
  return results;
}
