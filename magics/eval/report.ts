// evaluate.report: task metrics beside baselines, calibration, slices and behavioural tests, as plain data.
import { currentSeed } from "../seed/state.js";
import { classificationBaselines, regressionBaselines, type BaselineResult, type BaselineSpec } from "./baselines.js";
import { runBehaviouralTests, type BehaviouralResult, type BehaviouralTest, type ModelFunction } from "./behavioural.js";
import { calibration, confidenceCurve, topLabel, type CalibrationSummary, type CoveragePoint } from "./calibration.js";
import { encode, EvalInputError, type Label, type LabelArray, type ProbabilityInput } from "./inputs.js";
import { classificationDetail, regressionMetrics } from "./metrics/index.js";
import { sliceMetrics, type SliceOptions, type SliceResult, type SliceSpec } from "./slices.js";
import { checkRegression, inferTask, languageModelMetrics, prepareClassification, type Task } from "./tasks.js";

export interface ReportOptions {
  /** True labels (classification) or targets (regression). Not needed for language models. */
  labels?: LabelArray;
  /** Predicted labels / values; for `task: "lm"`, token log-likelihoods (natural log). */
  preds?: LabelArray | ArrayLike<ArrayLike<number>>;
  /** Class probabilities: binary → P(positive class) per example; multiclass → one row per example. */
  probs?: ProbabilityInput;
  task?: Task;
  /** Class order (the columns of probs); default: sorted unique labels and predictions. */
  classes?: Label[];
  /** The examples themselves, passed to heuristic baselines. */
  inputs?: ArrayLike<unknown>;
  /** Extra baselines by name (predictions, a heuristic function, a human score); `false` turns baselines off. */
  baselines?: Record<string, BaselineSpec> | false;
  /** Labels the zero-rule and stratified baselines learn from (default: the evaluated labels). */
  trainLabels?: LabelArray;
  slices?: SliceSpec;
  sliceOptions?: SliceOptions;
  tests?: BehaviouralTest[];
  /** The model function behavioural tests call (batched, sync or async). */
  model?: ModelFunction<unknown, unknown>;
  batchSize?: number;
  /** Calibration bins (default 10). */
  bins?: number;
  /** Seed for random baselines and bootstrap (default: the %seed in force, else 0). */
  seed?: number;
  /** Language models: vocabulary size, for the uniform baseline (perplexity = vocabulary size). */
  vocabSize?: number;
}

export interface EvalReport {
  task: Task;
  count: number;
  classes?: Label[];
  /** Metric name → value (accuracy, precision, recall, f1, rocAuc, prAuc, logLoss, brier, ece, mce, mae, rmse, r2, perplexity …). */
  metrics: Record<string, number>;
  perClass?: Array<{ label: Label; precision: number; recall: number; f1: number; support: number }>;
  confusionMatrix?: number[][];
  baselines: BaselineResult[];
  calibration?: { uniform: CalibrationSummary; quantile: CalibrationSummary; confidenceCurve: CoveragePoint[] };
  slices: SliceResult[];
  tests: BehaviouralResult[];
  warnings: string[];
  /** Set by evaluate.report: the %track run the metrics were attached to, and the session's data hashes (%version). */
  provenance?: { runId?: string; dataHashes?: Record<string, string> };
}

function format(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}

function baselineWarnings(baselines: BaselineResult[], primary: string, modelValue: number, extra: string): string[] {
  const zeroRule = baselines.find((baseline) => baseline.kind === "zero-rule");
  if (!zeroRule || zeroRule.modelBetter !== false) return [];
  return [`The model does not beat the zero-rule baseline: ${primary} ${format(modelValue)} vs ${format(zeroRule.metrics[primary]!)} for ${zeroRule.description}.${extra}`];
}

/** Classes count as imbalanced when the largest present class has at least this many times the smallest's examples. */
const IMBALANCE_RATIO = 2;

/** The advice added to a zero-rule warning when classes are imbalanced; empty when they are not. */
function imbalanceAdvice(supports: number[], total: number): string {
  const present = supports.filter((support) => support > 0);
  const largest = Math.max(...present);
  const smallest = Math.min(...present);
  if (present.length < 2 || largest < IMBALANCE_RATIO * smallest) return "";
  const share = (count: number) => `${((count / total) * 100).toFixed(1)}%`;
  return ` Classes are imbalanced (the largest class is ${share(largest)} of labels, the smallest ${share(smallest)}): look at per-class recall, macro F1 and PR-AUC, and consider reweighting or resampling.`;
}

function sliceWarnings(slices: SliceResult[]): string[] {
  return slices
    .filter((slice) => slice.flagged)
    .map((slice) => `Slice ${slice.name} (n=${slice.count}) is significantly worse: ${slice.metric} ${format(slice.value)} vs ${format(slice.rest.value)} on the rest (p=${slice.pValue.toExponential(2)}, ${slice.test}-test, Bonferroni over ${slices.length} slices).`);
}

async function testsPart(options: ReportOptions): Promise<BehaviouralResult[]> {
  if (!options.tests || options.tests.length === 0) return [];
  if (!options.model) throw new EvalInputError("model", "behavioural tests need the model function: pass `model: (inputs) => outputs`.");
  return runBehaviouralTests(options.tests, options.model, { batchSize: options.batchSize });
}

export async function report(options: ReportOptions): Promise<EvalReport> {
  if (options === null || typeof options !== "object") throw new EvalInputError("options", "pass { labels, preds, probs?, task?, slices?, baselines? }.");
  const task = options.task ?? (options.labels === undefined ? "lm" : inferTask(options.labels, options.preds));
  const seed = options.seed ?? currentSeed() ?? 0;
  const userBaselines = options.baselines === false ? undefined : options.baselines ?? {};
  const sliceOptions = { seed, ...options.sliceOptions };
  const tests = await testsPart(options);
  const testWarnings = tests.filter((test) => !test.pass).map((test) => `Behavioural test "${test.name}" (${test.kind}) failed: ${test.passed}/${test.total} passed, needs ${test.threshold}.`);

  if (task === "lm") {
    if (options.preds === undefined) throw new EvalInputError("preds", "for a language model pass the token log-likelihoods as preds.");
    const metrics = languageModelMetrics(options.preds as ArrayLike<number>);
    const baselines: BaselineResult[] = options.vocabSize
      ? [{ name: "uniform", kind: "random", description: `uniform over ${options.vocabSize} tokens`, metrics: { perplexity: options.vocabSize }, delta: { perplexity: metrics.perplexity! - options.vocabSize }, modelBetter: metrics.perplexity! < options.vocabSize }]
      : [];
    const warnings = baselines[0]?.modelBetter === false ? [`Perplexity ${format(metrics.perplexity!)} is no better than uniform guessing over ${options.vocabSize} tokens.`] : [];
    return { task, count: metrics.tokens!, metrics, baselines, slices: [], tests, warnings: [...warnings, ...testWarnings] };
  }

  if (task === "regression") {
    checkRegression(options.labels, options.preds);
    const targets = options.labels as ArrayLike<number>;
    const predictions = options.preds as ArrayLike<number>;
    const metrics = regressionMetrics(targets, predictions);
    const trainTargets = options.trainLabels as ArrayLike<number> | undefined;
    const baselines = userBaselines ? regressionBaselines(targets, userBaselines, { seed, inputs: options.inputs, primaryMetric: "mae", modelMetrics: metrics }, trainTargets) : [];
    const absoluteErrors = Float64Array.from({ length: targets.length }, (_, i) => Math.abs(targets[i]! - predictions[i]!));
    const slices = options.slices ? sliceMetrics(options.slices, { name: "mae", scores: absoluteErrors, higherIsBetter: false, isProportion: false }, sliceOptions) : [];
    const integerLabels = Array.from(targets).every((value) => Number.isInteger(value));
    const inferred = options.task === undefined && integerLabels
      ? ["Treated as regression because preds are not whole numbers while labels are; for class probabilities pass probs (--probs), or set task: \"classification\"."]
      : [];
    const warnings = [...inferred, ...baselineWarnings(baselines, "mae", metrics.mae!, " Predicting the mean does as well: check features and target leakage."), ...sliceWarnings(slices), ...testWarnings];
    return { task, count: targets.length, metrics, baselines, slices, tests, warnings };
  }

  const prepared = prepareClassification({ labels: options.labels as LabelArray, preds: options.preds as LabelArray | undefined, probs: options.probs, classes: options.classes });
  const { labels, preds, classes, probs } = prepared;
  const detail = classificationDetail(labels, preds, classes, probs, options.bins);
  const trainLabels = options.trainLabels ? encode("trainLabels", options.trainLabels, classes) : undefined;
  const baselines = userBaselines ? classificationBaselines(labels, classes, userBaselines, { seed, inputs: options.inputs, primaryMetric: "accuracy", modelMetrics: detail.metrics }, trainLabels) : [];
  const correct = Float64Array.from({ length: labels.length }, (_, i) => (labels[i] === preds[i] ? 1 : 0));
  const slices = options.slices ? sliceMetrics(options.slices, { name: "accuracy", scores: correct, higherIsBetter: true, isProportion: true }, sliceOptions) : [];
  let calibrationPart: EvalReport["calibration"];
  if (probs) {
    const top = topLabel(labels, probs);
    calibrationPart = {
      uniform: calibration(top, { bins: options.bins, binning: "uniform" }),
      quantile: calibration(top, { bins: options.bins, binning: "quantile" }),
      confidenceCurve: confidenceCurve(top),
    };
  }
  const imbalance = imbalanceAdvice(detail.perClass.map((row) => row.support), labels.length);
  const undefinedRanking = probs && Number.isNaN(detail.metrics.rocAuc) ? ["ROC-AUC and PR-AUC are undefined (NaN): a class has no positive or no negative example in labels; evaluate on data with every class present."] : [];
  const warnings = [...detail.warnings, ...undefinedRanking, ...baselineWarnings(baselines, "accuracy", detail.metrics.accuracy!, imbalance), ...sliceWarnings(slices), ...testWarnings];
  return {
    task,
    count: labels.length,
    classes,
    metrics: detail.metrics,
    perClass: detail.perClass,
    confusionMatrix: detail.confusionMatrix,
    baselines,
    ...(calibrationPart ? { calibration: calibrationPart } : {}),
    slices,
    tests,
    warnings,
  };
}
