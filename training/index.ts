// Public face of labnote's training support: the tfjs backend ladder and trainLoop.
export { loadTf, backendInfo, defaultWebGpuSpeedups, switchBackend, isBackendName, matmulCheck, markBackendFailed, LADDER } from "./ladder.js";
export type { BackendInfo, SkippedBackend } from "./ladder.js";
export type { BackendName, Tf } from "./backends/types.js";
export { BACKEND_NAMES } from "./backends/types.js";
export { trainLoop } from "./train-loop.js";
export { installFitFastPath, lastFitRoute } from "./fit-fast-path.js";
export { dataset, Dataset, DatasetParseError, writeShard } from "./data/index.js";
export type { DatasetOptions, DatasetBatch, EpochSummary, ColumnType, ShardContents, FileFormat } from "./data/index.js";
export type { TrainLoopOptions, TrainLoopResult, ModelTrainOptions, ParamsTrainOptions, Batch, EpochSource, LossLogger, LossName, LossFunction } from "./train-loop.js";
export type { CaptureSetting } from "./capture-plan.js";
export { adam, setWebGpuSpeedups, ALL_SPEEDUPS, NO_SPEEDUPS, compileTrainStep, setExplicitTransposes, checkTiledMatmul } from "./webgpu/index.js";
export type { WebGpuSpeedups, CompiledTrainStep, TrainStepOptions, ExplicitTransposes } from "./webgpu/index.js";
