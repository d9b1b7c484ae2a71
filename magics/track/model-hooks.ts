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
  /** Epochs for the progress bar when fit's own count is unknown (model.fit passes it; a hand-driven callback may not). */
  epochs?: number;
  /** Show an epoch progress bar in the cell (default true when the run has a display). */
  progress?: boolean;
  /** The model, for its optimizer's learning rate and weight norms (run.watch(model) also provides it). */
  model?: WatchableModel;
}

type Logs = Record<string, number | { dataSync?: () => ArrayLike<number> }> | undefined;

/** What a progress bar needs (widgets/progress.ts's ProgressBar); created per fit once the epoch count is known. */
export interface EpochProgress {
  update(value: number, description?: string): void;
  done(description?: string): void;
}
export type StartProgress = (totalEpochs: number) => EpochProgress | undefined;

/** tfjs calls the hooks as methods of its CustomCallback wrapper, whose `params` carry fit's epoch count. */
interface FitCallbackThis {
  params?: { epochs?: unknown; initialEpoch?: unknown };
}

/** tf.CustomCallbackArgs-compatible: model.fit(x, y, { callbacks: [run.callback()] }). */
export interface FitCallback {
  onTrainBegin(this: FitCallbackThis | void, logs?: Logs): Promise<void>;
  onEpochBegin(epoch: number, logs?: Logs): Promise<void>;
  onBatchEnd(batch: number, logs?: Logs): Promise<void>;
  onEpochEnd(epoch: number, logs?: Logs): Promise<void>;
  onTrainEnd(logs?: Logs): Promise<void>;
}

interface CallbackRun {
  log(metrics: Record<string, number>, options?: { step?: number; split?: string; samples?: number }): void;
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

/** "epoch 3/10 loss 0.4123 val_loss 0.5012": the progress line after an epoch. */
export function epochDescription(epoch: number, totalEpochs: number, metrics: Record<string, number>): string {
  const shown = Object.entries(metrics)
    .filter(([key]) => /loss|acc/i.test(key))
    .slice(0, 4)
    .map(([key, value]) => `${key} ${formatMetric(value)}`);
  return [`epoch ${epoch}/${totalEpochs}`, ...shown].join(" ");
}

function formatMetric(value: number): string {
  return Number.isFinite(value) && Math.abs(value) >= 1e-3 && Math.abs(value) < 1e4 ? value.toFixed(4) : String(value);
}

function epochsFrom(context: FitCallbackThis | void, options: CallbackOptions): number | undefined {
  const fitEpochs = context?.params?.epochs;
  const epochs = typeof fitEpochs === "number" ? fitEpochs : options.epochs;
  return typeof epochs === "number" && Number.isFinite(epochs) && epochs > 0 ? Math.floor(epochs) : undefined;
}

function prefixed(prefix: string, metrics: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(metrics)) out[prefix + key] = value;
  return out;
}

export function makeCallback(run: CallbackRun, options: CallbackOptions, startProgress?: StartProgress): FitCallback {
  const logBatches = options.batches ?? true;
  let step = Math.max(run.lastStep + 1, 0);
  let batchesSeen = 0;
  // Rows of the batches since the last train log (tfjs passes each batch's size): the run's samples/s.
  let uncountedSamples = 0;
  const trainLogOptions = (at: number): { step: number; split: string; samples?: number } => {
    const counted = uncountedSamples;
    uncountedSamples = 0;
    return counted > 0 ? { step: at, split: "train", samples: counted } : { step: at, split: "train" };
  };
  let progress: EpochProgress | undefined;
  let totalEpochs = 0;
  let lastDescription = "";
  const model = (): WatchableModel | undefined => options.model ?? run.watchedModel;
  return {
    async onTrainBegin(this: FitCallbackThis | void) {
      const rate = learningRateOf(model());
      if (rate !== undefined) run.param("learning_rate", rate);
      const epochs = epochsFrom(this, options);
      if (epochs !== undefined && options.progress !== false && startProgress) {
        totalEpochs = epochs;
        lastDescription = `epoch 0/${epochs}`;
        progress = startProgress(epochs);
      }
    },
    async onEpochBegin() {},
    async onBatchEnd(_batch, logs) {
      batchesSeen++;
      const size = logs?.size;
      if (typeof size === "number" && size > 0) uncountedSamples += size;
      if (logBatches) run.log(scalarLogs(logs), trainLogOptions(step));
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
      if (!logBatches || batchesSeen === 0) run.log(train, trainLogOptions(at));
      if (Object.keys(val).length > 0) run.log(val, { step: at, split: "val" });
      const rate = learningRateOf(model());
      if (rate !== undefined) run.log({ learning_rate: rate }, { step: at });
      if (run.watchedModel) run.log(weightNorms(run.watchedModel), { step: at, split: "weights" });
      if (progress) {
        const done = Math.min(epoch + 1, totalEpochs);
        lastDescription = epochDescription(done, totalEpochs, { ...train, ...prefixed("val_", val) });
        progress.update(done, lastDescription);
      }
    },
    async onTrainEnd() {
      // done() always sends the last line, even when the throttle held back the final epoch's update.
      progress?.done(lastDescription);
      progress = undefined;
    },
  };
}
