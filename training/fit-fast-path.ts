// model.fit through trainLoop's step: the user's unchanged `model.compile({ optimizer: "adam", loss });
// await model.fit(x, y, { epochs, batchSize })` gets labnote's fused Adam and step capture on webgpu (tfjs's own fit
// dispatches every op of every step and runs an unfused Adam: 12.8 steps/s where the captured step ran 1,603 on the
// H100). Fit's semantics are kept for what the fast path accepts — epochs, batchSize, shuffle, initialEpoch,
// validationSplit / validationData (val_loss), plain-object callbacks (onBatchEnd runs once its loss is read back,
// at the epoch's end), model.stopTraining, the returned History. Every other call (metrics, sample or class weights,
// onBatchBegin, callback classes, regularizers, several inputs or outputs, a loss trainLoop does not know) runs
// tfjs's own fit unchanged. model.fitDataset likewise, for datasets of {xs, ys} / [xs, ys] batches without callbacks
// or validation data (epochs, batchesPerEpoch).
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./backends/types.js";
import { EPOCH_HOOKS, runEpochs } from "./fit-epochs.js";
import type { EpochCallbacks } from "./fit-epochs.js";
import type { Batch } from "./train-loop.js";

type Tensor = tfTypes.Tensor;
type ModelFitArgs = tfTypes.ModelFitArgs;
type ModelFitDatasetArgs = tfTypes.ModelFitDatasetArgs<unknown>;
type Fit = (this: tfTypes.LayersModel, x: unknown, y: unknown, args?: ModelFitArgs) => Promise<tfTypes.History>;

const LOSS_NAMES: readonly string[] = ["meanSquaredError", "categoricalCrossentropy", "sparseCategoricalCrossentropy", "binaryCrossentropy"];
const INSTALLED = Symbol.for("labnote.fitFastPath");
let lastFitPath: string | undefined;
/** Steps between loss read-backs when nothing needs an epoch's loss at its end. */
const READ_EVERY = 100;

interface LayersModelInternals {
  inputs: unknown[];
  outputs: unknown[];
  metricsNames: string[];
  optimizer: tfTypes.Optimizer | undefined;
  loss: unknown;
  calculateLosses(): Tensor[];
}

export interface FitFastPathOptions {
  /** Backends on which fit takes trainLoop's step (default: webgpu, where capture and the fused Adam pay). */
  backends?: readonly string[];
}

/** Why the model keeps tfjs's own loop whatever the call, or undefined. */
function modelBlocker(tf: Tf, model: tfTypes.LayersModel, backends: readonly string[]): string | undefined {
  const internals = model as unknown as LayersModelInternals;
  if (process.env.LABNOTE_FAST_FIT === "0") return "LABNOTE_FAST_FIT=0";
  if (!backends.includes(tf.getBackend())) return `backend ${tf.getBackend()}`;
  if (internals.inputs.length !== 1 || internals.outputs.length !== 1) return "several inputs or outputs";
  if (internals.metricsNames.length !== 1) return "metrics besides the loss";
  if (typeof internals.loss !== "string" || !LOSS_NAMES.includes(internals.loss)) return "a loss trainLoop does not know";
  if (internals.optimizer?.getClassName() !== "Adam") return "an optimizer other than Adam";
  const regularized = tf.tidy(() => internals.calculateLosses().length > 0);
  if (regularized) return "regularizer losses";
  return undefined;
}

/** Why a fit call keeps tfjs's own loop, or undefined when the fast path takes it. */
export function fitFastPathBlocker(tf: Tf, model: tfTypes.LayersModel, x: unknown, y: unknown, args: ModelFitArgs, backends: readonly string[]): string | undefined {
  if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) return "x and y are not single tensors";
  if (args.sampleWeight || args.classWeight) return "sample or class weights";
  if (args.stepsPerEpoch != null || args.validationSteps != null) return "stepsPerEpoch / validationSteps";
  if ((args.shuffle as unknown) === "batch") return "shuffle: batch";
  if (args.validationData && !(args.validationData.length === 2 && args.validationData.every((part) => part instanceof tf.Tensor))) return "validationData other than [x, y] tensors";
  const callbacks = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  for (const callback of callbacks) {
    if (Object.getPrototypeOf(callback) !== Object.prototype) return "a callback object of a class (e.g. tf.callbacks.earlyStopping)";
    if (Object.keys(callback).some((key) => !(EPOCH_HOOKS as readonly string[]).includes(key) && key !== "onYield")) return "onBatchBegin (or another hook the fast path does not call)";
  }
  return modelBlocker(tf, model, backends);
}

/** Why a fitDataset call keeps tfjs's own loop (callbacks, validation and class weights do), or undefined. */
export function fitDatasetFastPathBlocker(tf: Tf, model: tfTypes.LayersModel, args: ModelFitDatasetArgs, backends: readonly string[]): string | undefined {
  if (args.callbacks !== undefined && (!Array.isArray(args.callbacks) || args.callbacks.length > 0)) return "callbacks (the fast fitDataset takes none)";
  if (args.validationData !== undefined) return "validationData";
  if (args.classWeight) return "class weights";
  return modelBlocker(tf, model, backends);
}

function rows(tensor: Tensor, start: number, count: number): Tensor {
  return count === tensor.shape[0] && start === 0 ? tensor : tensorSlice(tensor, start, count);
}
function tensorSlice(tensor: Tensor, start: number, count: number): Tensor {
  return tensor.slice([start, ...tensor.shape.slice(1).map(() => 0)], [count, ...tensor.shape.slice(1).map(() => -1)]);
}

/** The fit loop on trainLoop: one captured step for the whole call. */
async function fastFit(tf: Tf, model: tfTypes.LayersModel, x: Tensor, y: Tensor, args: ModelFitArgs): Promise<tfTypes.History> {
  const batchSize = args.batchSize ?? 32;
  const callbacks = (args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks]) as EpochCallbacks[];
  // As tfjs's fit: validationSplit takes the last rows (before any shuffling).
  let train: Batch = { x, y };
  let validation: Batch | undefined;
  const made: Tensor[] = [];
  if (args.validationData) {
    validation = { x: args.validationData[0] as Tensor, y: args.validationData[1] as Tensor };
  } else if (args.validationSplit && args.validationSplit > 0 && args.validationSplit < 1) {
    const total = x.shape[0]!;
    const split = Math.floor(total * (1 - args.validationSplit));
    train = { x: rows(x, 0, split), y: rows(y, 0, split) };
    validation = { x: tensorSlice(x, split, total - split), y: tensorSlice(y, split, total - split) };
    made.push(train.x, train.y, validation.x, validation.y);
  }
  const trainRows = train.x.shape[0]!;
  const stepsPerEpoch = Math.ceil(trainRows / Math.min(batchSize, trainRows));
  const shuffleSeed = args.shuffle === false ? undefined : Math.floor(Math.random() * 2 ** 31);
  async function* batches(epoch: number): AsyncGenerator<Batch> {
    if (stepsPerEpoch === 1) {
      // One batch is the whole set: its row order changes nothing, so no gather (a clone: trainLoop disposes it).
      yield { x: train.x.clone(), y: train.y.clone() };
      return;
    }
    const order = shuffleSeed === undefined ? undefined : tf.tensor1d(shuffledRows(trainRows, shuffleSeed + epoch), "int32");
    try {
      for (let start = 0; start < trainRows; start += batchSize) {
        const take = Math.min(batchSize, trainRows - start);
        if (order) {
          const picked = tf.slice(order, start, take);
          const batch = { x: tf.gather(train.x, picked), y: tf.gather(train.y, picked) };
          picked.dispose();
          yield batch;
        } else yield { x: tensorSlice(train.x, start, take), y: tensorSlice(train.y, start, take) };
      }
    } finally {
      order?.dispose();
    }
  }
  const validate = validation
    ? async (): Promise<number> => {
        const result = model.evaluate(validation.x, validation.y, { batchSize }) as tfTypes.Scalar;
        const value = (await result.data())[0]!;
        result.dispose();
        return value;
      }
    : undefined;
  try {
    const { history, capture } = await runEpochs(tf, {
      model,
      epochs: args.epochs ?? 1,
      initialEpoch: args.initialEpoch ?? 0,
      batches,
      // Callbacks and validation need each epoch's loss at its end; otherwise losses are read every 100 steps (or
      // once an epoch when longer), so an epoch of one batch does not wait for the device every step.
      readEvery: callbacks.length > 0 || validate ? stepsPerEpoch : Math.max(stepsPerEpoch, READ_EVERY),
      callbacks,
      validate,
      params: { epochs: args.epochs ?? 1, initialEpoch: args.initialEpoch ?? 0, samples: trainRows, batchSize, verbose: args.verbose ?? 1, doValidation: validate !== undefined, metrics: validate ? ["loss", "val_loss"] : ["loss"] },
    });
    lastFitPath = `trainLoop, capture ${capture}`;
    return history;
  } finally {
    tf.dispose(made);
  }
}

/** fitDataset on trainLoop: each epoch a new pass over the dataset (or batchesPerEpoch batches of one pass). */
async function fastFitDataset(tf: Tf, model: tfTypes.LayersModel, dataset: DatasetLike, args: ModelFitDatasetArgs): Promise<tfTypes.History> {
  let iterator: DatasetIterator | undefined;
  async function* batches(): AsyncGenerator<Batch> {
    // As tfjs: without batchesPerEpoch every epoch is a fresh pass; with it, one iterator runs on across epochs.
    if (!iterator || args.batchesPerEpoch === undefined) iterator = await dataset.iterator();
    for (let count = 0; args.batchesPerEpoch === undefined || count < args.batchesPerEpoch; count++) {
      const next = await iterator.next();
      if (next.done) return;
      yield datasetBatch(tf, next.value);
    }
  }
  const { history, capture } = await runEpochs(tf, {
    model,
    epochs: args.epochs,
    initialEpoch: args.initialEpoch ?? 0,
    batches,
    readEvery: args.batchesPerEpoch !== undefined ? Math.max(args.batchesPerEpoch, READ_EVERY) : READ_EVERY,
    callbacks: [],
    params: { epochs: args.epochs, initialEpoch: args.initialEpoch ?? 0, verbose: args.verbose ?? 1, doValidation: false, metrics: ["loss"] },
  });
  lastFitPath = `trainLoop, capture ${capture}`;
  return history;
}

interface DatasetIterator {
  next(): Promise<IteratorResult<unknown>>;
}
interface DatasetLike {
  iterator(): Promise<DatasetIterator>;
}

/** A dataset element as a batch: {xs, ys} or [xs, ys] of single tensors, as tfjs's fitDataset takes them. */
function datasetBatch(tf: Tf, value: unknown): Batch {
  const pair = Array.isArray(value) ? { xs: value[0], ys: value[1] } : (value as { xs?: unknown; ys?: unknown });
  if (!(pair.xs instanceof tf.Tensor) || !(pair.ys instanceof tf.Tensor)) {
    throw new Error("model.fitDataset (labnote's fast path): each dataset element must be {xs, ys} or [xs, ys] of single tensors. Set LABNOTE_FAST_FIT=0 to use tfjs's fitDataset for other forms.");
  }
  return { x: pair.xs, y: pair.ys };
}

/** A seeded permutation of 0..count-1 (mulberry32 + Fisher–Yates): a new order each epoch, as fit's shuffle. */
function shuffledRows(count: number, seed: number): number[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

type FitDataset = (this: tfTypes.LayersModel, dataset: unknown, args: ModelFitDatasetArgs) => Promise<tfTypes.History>;
interface Routed {
  [INSTALLED]?: { original: Fit | FitDataset };
}

/**
 * Routes LayersModel.prototype.fit and fitDataset (Sequential's call them) through trainLoop when the call qualifies
 * on one of `backends`; otherwise tfjs's own runs as before. Idempotent; returns the function that puts tfjs's back.
 */
export function installFitFastPath(tf: Tf, options: FitFastPathOptions = {}): () => void {
  const prototype = tf.LayersModel.prototype as unknown as { fit: Fit & Routed; fitDataset: FitDataset & Routed };
  const originalFit = (prototype.fit[INSTALLED]?.original ?? prototype.fit) as Fit;
  const originalFitDataset = (prototype.fitDataset[INSTALLED]?.original ?? prototype.fitDataset) as FitDataset;
  const backends = options.backends ?? ["webgpu"];
  const fit: Fit & Routed = async function (this: tfTypes.LayersModel, x, y, args = {}) {
    const blocker = fitFastPathBlocker(tf, this, x, y, args, backends);
    lastFitPath = blocker === undefined ? "trainLoop" : `tfjs fit: ${blocker}`; // trainLoop adds its capture outcome
    if (blocker !== undefined) return originalFit.call(this, x, y, args);
    return fastFit(tf, this, x as Tensor, y as Tensor, args);
  };
  const fitDataset: FitDataset & Routed = async function (this: tfTypes.LayersModel, dataset, args) {
    const blocker = fitDatasetFastPathBlocker(tf, this, args, backends);
    lastFitPath = blocker === undefined ? "trainLoop" : `tfjs fitDataset: ${blocker}`;
    if (blocker !== undefined) return originalFitDataset.call(this, dataset, args);
    return fastFitDataset(tf, this, dataset as DatasetLike, args);
  };
  fit[INSTALLED] = { original: originalFit };
  fitDataset[INSTALLED] = { original: originalFitDataset };
  prototype.fit = fit;
  prototype.fitDataset = fitDataset;
  return () => {
    if (prototype.fit === fit) prototype.fit = originalFit;
    if (prototype.fitDataset === fitDataset) prototype.fitDataset = originalFitDataset;
  };
}

/** How the latest model.fit ran: "trainLoop, capture replay" (or "capture off: <why>"), or "tfjs fit: <why not>". */
export function lastFitRoute(): string | undefined {
  return lastFitPath;
}
