// The evaluation library, importable as `import { evaluate, overfitOneBatch } from "labnote"`. Needs no kernel.
import { attachReportToRun, sessionDataHashesIfAvailable } from "./attach.js";
import { checklist, runBehaviouralTest, runBehaviouralTests } from "./behavioural.js";
import { binaryAccuracyBrierEce, calibration, confidenceCurve, topLabel, type Binning } from "./calibration.js";
import { confidenceCurveSpec, confusionMatrixSpec, reliabilityDiagramSpec, sliceBarsSpec } from "./charts.js";
import type { Label, LabelArray, ProbabilityInput } from "./inputs.js";
import { reportHtml, reportText } from "./render.js";
import { report, type EvalReport, type ReportOptions } from "./report.js";
import { sliceMetrics } from "./slices.js";
import { classificationMetrics, languageModelMetrics, prepareClassification, regressionMetricsChecked } from "./tasks.js";

export { overfitOneBatch } from "./overfit.js";
export type { OverfitOptions, OverfitResult } from "./overfit.js";
export type { EvalReport, ReportOptions } from "./report.js";
export type { BaselineResult, BaselineSpec } from "./baselines.js";
export type { BehaviouralResult, BehaviouralTest, ModelFunction } from "./behavioural.js";
export type { CalibrationSummary, CoveragePoint, ReliabilityBin } from "./calibration.js";
export type { SliceResult, SliceSpec, SliceOptions } from "./slices.js";
export type { Label } from "./inputs.js";
export { EvalInputError } from "./inputs.js";

export const evaluate = {
  /**
   * The full report. Its metrics go into the current %track run's summary when there is one (the run ties them to
   * its version), and `provenance` names that run and the data files (sha256) this session read.
   */
  async report(options: ReportOptions): Promise<EvalReport> {
    const result = await report(options);
    const runId = await attachReportToRun(result);
    const dataHashes = await sessionDataHashesIfAvailable();
    if (runId !== undefined || dataHashes !== undefined) result.provenance = { ...(runId !== undefined ? { runId } : {}), ...(dataHashes ? { dataHashes } : {}) };
    return result;
  },
  classification: classificationMetrics,
  regression: regressionMetricsChecked,
  languageModel: languageModelMetrics,
  /** ECE/MCE and the reliability bins (top-label confidence; 10 uniform bins by default). */
  calibration(options: { labels: LabelArray; probs: ProbabilityInput; classes?: Label[]; bins?: number; binning?: Binning }) {
    const prepared = prepareClassification(options);
    return calibration(topLabel(prepared.labels, prepared.probs!), options);
  },
  /** Accuracy and coverage at each confidence threshold. */
  confidenceCurve(options: { labels: LabelArray; probs: ProbabilityInput; classes?: Label[]; thresholds?: number[] }) {
    const prepared = prepareClassification(options);
    return confidenceCurve(topLabel(prepared.labels, prepared.probs!), options.thresholds);
  },
  /** Accuracy, Brier and ECE of binary predictions over typed arrays in one pass (millions of predictions). */
  binaryAccuracyBrierEce,
  slices: sliceMetrics,
  runTest: runBehaviouralTest,
  runTests: runBehaviouralTests,
  ...checklist,
  charts: { reliabilityDiagram: reliabilityDiagramSpec, confidenceCurve: confidenceCurveSpec, sliceBars: sliceBarsSpec, confusionMatrix: confusionMatrixSpec },
  /** Charts for a report, as Vega-Lite specs (reliability diagram, confidence curve, per-slice bars, confusion matrix). */
  reportCharts(result: EvalReport): object[] {
    const specs: object[] = [];
    if (result.calibration) specs.push(reliabilityDiagramSpec(result.calibration.uniform), confidenceCurveSpec(result.calibration.confidenceCurve));
    if (result.slices.length > 0) specs.push(sliceBarsSpec(result.slices));
    if (result.confusionMatrix && result.classes) specs.push(confusionMatrixSpec(result.confusionMatrix, result.classes));
    return specs;
  },
  text: reportText,
  html: reportHtml,
};
