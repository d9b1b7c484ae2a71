// TensorFlow.js integration without importing tfjs: structural types for what we read (layers, weights,
// optimizer learning rate, tensors), a model.fit callback, weight norms and gradient norms.

/** Anything with dataSync(): a tf.Tensor. */
export interface NormTensor {
  dataSync(): ArrayLike<number>;
}

export interface WatchableModel {
  layers: ReadonlyArray<{ name: string; getWeights(): NormTensor[] }>;
  optimizer?: unknown;
}

export interface CallbackOptions {
  /** Log per-batch train metrics (default true); epoch-level val_* are always logged. */
  batches?: boolean;
  /** The model, for its optimizer's learning rate and weight norms (run.watch(model) also provides it). */
  model?: WatchableModel;
}

type Logs = Record<string, number | { dataSync?: () => ArrayLike<number> }> | undefined;

/** tf.CustomCallbackArgs-compatible: model.fit(x, y, { callbacks: [run.callback()] }). */
export interface FitCallback {
  onTrainBegin(logs?: Logs): Promise<void>;
  onEpochBegin(epoch: number, logs?: Logs): Promise<void>;
  onBatchEnd(batch: number, logs?: Logs): Promise<void>;
  onEpochEnd(epoch: number, logs?: Logs): Promise<void>;
  onTrainEnd(logs?: Logs): Promise<void>;
}

interface CallbackRun {
  log(metrics: Record<string, number>, options?: { step?: number; split?: string }): void;
  param(key: string, value: number): void;
  readonly lastStep: number;
  watchedModel: WatchableModel | undefined;
}

export function sumOfSquares(tensor: NormTensor): number {
  const data = tensor.dataSync();
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum += data[i] * data[i];
  return sum;
}

export function globalNorm(tensors: readonly NormTensor[]): number {
  let sum = 0;
  for (const tensor of tensors) sum += sumOfSquares(tensor);
  return Math.sqrt(sum);
}

/** Per-layer and global L2 weight norms. */
export function weightNorms(model: WatchableModel): Record<string, number> {
  const norms: Record<string, number> = {};
  let total = 0;
  for (const layer of model.layers) {
    const weights = layer.getWeights();
    if (weights.length === 0) continue;
    let layerSum = 0;
    for (const weight of weights) layerSum += sumOfSquares(weight);
    total += layerSum;
    norms[layer.name.replace(/\./g, "_")] = Math.sqrt(layerSum);
  }
  norms.global = Math.sqrt(total);
  return norms;
}

/** The optimizer's learning rate, when it exposes one (SGD, Adam, RMSProp, … all have `learningRate`). */
export function learningRateOf(model: WatchableModel | undefined): number | undefined {
  const optimizer = model?.optimizer as { learningRate?: unknown } | undefined;
  const rate = optimizer?.learningRate;
  return typeof rate === "number" && Number.isFinite(rate) ? rate : undefined;
}

function scalarLogs(logs: Logs): Record<string, number> {
  const out: Record<string, number> = {};
  if (!logs) return out;
  for (const [key, value] of Object.entries(logs)) {
    if (key === "batch" || key === "size") continue;
    if (typeof value === "number") out[key] = value;
    else if (value && typeof value.dataSync === "function") out[key] = value.dataSync()[0];
  }
  return out;
}

export function makeCallback(run: CallbackRun, options: CallbackOptions): FitCallback {
  const logBatches = options.batches ?? true;
  let step = Math.max(run.lastStep + 1, 0);
  let batchesSeen = 0;
  const model = (): WatchableModel | undefined => options.model ?? run.watchedModel;
  return {
    async onTrainBegin() {
      const rate = learningRateOf(model());
      if (rate !== undefined) run.param("learning_rate", rate);
    },
    async onEpochBegin() {},
    async onBatchEnd(_batch, logs) {
      batchesSeen++;
      if (logBatches) run.log(scalarLogs(logs), { step, split: "train" });
      step++;
    },
    async onEpochEnd(epoch, logs) {
      const train: Record<string, number> = {};
      const val: Record<string, number> = {};
      for (const [key, value] of Object.entries(scalarLogs(logs))) {
        if (key.startsWith("val_")) val[key.slice(4)] = value;
        else train[key] = value;
      }
      const at = Math.max(step - 1, 0);
      // Without batch logging the epoch means are the train curve; with it they would duplicate it.
      if (!logBatches || batchesSeen === 0) run.log(train, { step: at, split: "train" });
      if (Object.keys(val).length > 0) run.log(val, { step: at, split: "val" });
      const rate = learningRateOf(model());
      if (rate !== undefined) run.log({ learning_rate: rate }, { step: at });
      if (run.watchedModel) run.log(weightNorms(run.watchedModel), { step: at, split: "weights" });
    },
    async onTrainEnd() {},
  };
}
