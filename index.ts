// The public library: `import { track, version, tune, evaluate } from "labnote"` in a notebook cell (or any Node
// program). The kernel maps the "labnote" specifier here from every notebook directory.
export { track, Run } from "./magics/track/index.js";
export type { RunOptions, LogOptions, RunResult } from "./magics/track/index.js";
export { version, sessionDataHashes } from "./magics/version/index.js";
export { diffDataRows, TableFormatError } from "./magics/version/index.js";
export type { RowDiff, RowDiffOptions, ForgetReport, DataConflict } from "./magics/version/index.js";
export { tune, Study, Trial, TrialPruned } from "./magics/tune/index.js";
export type { StudyOptions, StudySummary, OptimizeOptions, Objective, Sampler, Pruner } from "./magics/tune/index.js";
export { evaluate, overfitOneBatch } from "./magics/eval/index.js";
export type { EvalReport, ReportOptions } from "./magics/eval/index.js";
export { loadTf, backendInfo, switchBackend, trainLoop, lastFitRoute } from "./training/index.js";
export { dataset, Dataset, DatasetParseError, writeShard } from "./training/index.js";
export type { DatasetOptions, DatasetBatch, EpochSummary, ColumnType } from "./training/index.js";
export { openStore, getStore } from "./store/index.js";
export type { Store, RunRecord, MetricPoint, StudyRecord, TrialRecord } from "./store/types.js";
export type { Display, DisplayHandle, MagicSpec, MagicContext, MagicResult } from "./magics/types.js";
export { notebookDisplay as display, notebookInput as input } from "./kernel/globals.js";
export { createProgress } from "./widgets/progress.js";
export { intProgress, floatProgress, htmlWidget, outputWidget } from "./widgets/ipywidgets/index.js";

/** Clears the running cell's output (the notebook global of the same name); a no-op outside the kernel. */
export function clearOutput(wait = false): void {
  const kernelClearOutput = (globalThis as { clearOutput?: (wait?: boolean) => void }).clearOutput;
  kernelClearOutput?.(wait);
}
