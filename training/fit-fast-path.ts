// model.fit through trainLoop's step: the user's unchanged `model.compile({ optimizer: "adam", loss });
// await model.fit(x, y, { epochs, batchSize })` gets labnote's fused Adam and step capture on webgpu (tfjs's own fit
// dispatches every op of every step and runs an unfused Adam: 12.8 steps/s where the captured step ran 1,603 on the
// H100). Fit's semantics are kept for what the fast path accepts — epochs, batchSize, shuffle, initialEpoch,
// validationSplit / validationData (val_loss), epoch-level callbacks, model.stopTraining, the returned History —
// and every other call (metrics, sample or class weights, batch-level or class-based callbacks, regularizers,
// several inputs or outputs, a loss trainLoop does not know) runs tfjs's own fit unchanged.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./backends/types.js";
import { trainLoop } from "./train-loop.js";
import type { Batch } from "./train-loop.js";

type Tensor = tfTypes.Tensor;
type Logs = Record<string, number>;
type ModelFitArgs = tfTypes.ModelFitArgs;
type Fit = (this: tfTypes.LayersModel, x: unknown, y: unknown, args?: ModelFitArgs) => Promise<tfTypes.History>;

const LOSS_NAMES: readonly string[] = ["meanSquaredError", "categoricalCrossentropy", "sparseCategoricalCrossentropy", "binaryCrossentropy"];
const EPOCH_HOOKS = ["onTrainBegin", "onTrainEnd", "onEpochBegin", "onEpochEnd"] as const;
const INSTALLED = Symbol.for("labnote.fitFastPath");
let lastFitPath: string | undefined;
/** Steps between loss read-backs when nothing needs an epoch's loss at its end. */
const READ_EVERY = 100;

/** Epoch-level callbacks as plain objects (the only kind the fast path calls; others keep tfjs's fit). */
type EpochCallbacks = Partial<Record<(typeof EPOCH_HOOKS)[number], (...args: never[]) => unknown>>;

interface LayersModelInternals {
  inputs: unknown[];
  outputs: unknown[];
  metricsNames: string[];
  optimizer: tfTypes.Optimizer | undefined;
  loss: unknown;
  stopTraining_: boolean;
  history: tfTypes.History;
  calculateLosses(): Tensor[];
}

export interface FitFastPathOptions {
  /** Backends on which fit takes trainLoop's step (default: webgpu, where capture and the fused Adam pay). */
  backends?: readonly string[];
}

/** Why a fit call keeps tfjs's own loop, or undefined when the fast path takes it. */
export function fitFastPathBlocker(tf: Tf, model: tfTypes.LayersModel, x: unknown, y: unknown, args: ModelFitArgs, backends: readonly string[]): string | undefined {
  const internals = model as unknown as LayersModelInternals;
  if (process.env.LABNOTE_FAST_FIT === "0") return "LABNOTE_FAST_FIT=0";
  if (!backends.includes(tf.getBackend())) return `backend ${tf.getBackend()}`;
  if (!(x instanceof tf.Tensor) || !(y instanceof tf.Tensor)) return "x and y are not single tensors";
  if (internals.inputs.length !== 1 || internals.outputs.length !== 1) return "several inputs or outputs";
  if (internals.metricsNames.length !== 1) return "metrics besides the loss";
  if (typeof internals.loss !== "string" || !LOSS_NAMES.includes(internals.loss)) return "a loss trainLoop does not know";
  if (internals.optimizer?.getClassName() !== "Adam") return "an optimizer other than Adam";
  if (args.sampleWeight || args.classWeight) return "sample or class weights";
  if (args.stepsPerEpoch != null || args.validationSteps != null) return "stepsPerEpoch / validationSteps";
  if ((args.shuffle as unknown) === "batch") return "shuffle: batch";
  if (args.validationData && !(args.validationData.length === 2 && args.validationData.every((part) => part instanceof tf.Tensor))) return "validationData other than [x, y] tensors";
  const callbacks = args.callbacks === undefined ? [] : Array.isArray(args.callbacks) ? args.callbacks : [args.callbacks];
  for (const callback of callbacks) {
    if (Object.getPrototypeOf(callback) !== Object.prototype) return "a callback object of a class (e.g. tf.callbacks.earlyStopping)";
    if (Object.keys(callback).some((key) => !(EPOCH_HOOKS as readonly string[]).includes(key) && key !== "onYield")) return "batch-level callbacks";
  }
  const regularized = tf.tidy(() => internals.calculateLosses().length > 0);
  if (regularized) return "regularizer losses";
  return undefined;
}

function rows(tensor: Tensor, start: number, count: number): Tensor {
  return count === tensor.shape[0] && start === 0 ? tensor : tensorSlice(tensor, start, count);
}
function tensorSlice(tensor: Tensor, start: number, count: number): Tensor {
  return tensor.slice([start, ...tensor.shape.slice(1).map(() => 0)], [count, ...tensor.shape.slice(1).map(() => -1)]);
}

/** The fit loop on trainLoop: one captured step for the whole call, losses read back once per epoch. */
async function fastFit(tf: Tf, model: tfTypes.LayersModel, x: Tensor, y: Tensor, args: ModelFitArgs): Promise<tfTypes.History> {
  const internals = model as unknown as LayersModelInternals;
  const batchSize = args.batchSize ?? 32;
  const epochs = args.epochs ?? 1;
  const initialEpoch = args.initialEpoch ?? 0;
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
  const batchRows = (index: number) => Math.min(batchSize, trainRows - index * batchSize);

  const history = new tf.History();
  history.setParams({ epochs, initialEpoch, samples: trainRows, batchSize, verbose: args.verbose ?? 1, doValidation: validation !== undefined, metrics: validation ? ["loss", "val_loss"] : ["loss"] });
  await history.onTrainBegin();
  internals.history = history;
  internals.stopTraining_ = false;
  const call = async (hook: (typeof EPOCH_HOOKS)[number], ...rest: unknown[]): Promise<void> => {
    for (const callback of callbacks) await (callback[hook] as ((...a: unknown[]) => unknown) | undefined)?.(...rest);
  };
  await call("onTrainBegin", {});

  const epochLosses: number[][] = [];
  let pendingLosses: number[] = [];
  let epoch = initialEpoch; // the next epoch to finish (losses read, History and callbacks told)
  let startedEpochs = 0;
  const shuffleSeed = args.shuffle === false ? undefined : Math.floor(Math.random() * 2 ** 31);
  /** One epoch's batches; the epoch's end (losses read, validation, callbacks) runs before the next epoch starts. */
  const source = {
    async *epochBatches(): AsyncGenerator<Batch> {
      const current = initialEpoch + startedEpochs++;
      if (current >= epochs || internals.stopTraining_) return;
      await call("onEpochBegin", current, {});
      if (stepsPerEpoch === 1) {
        // One batch is the whole set: its row order changes nothing, so no gather (a clone: trainLoop disposes it).
        yield { x: train.x.clone(), y: train.y.clone() };
        return;
      }
      const order = shuffleSeed === undefined ? undefined : tf.tensor1d(shuffledRows(trainRows, shuffleSeed + current), "int32");
      try {
        for (let index = 0; index < stepsPerEpoch; index++) {
          const take = batchRows(index);
          if (order) {
            const picked = tf.slice(order, index * batchSize, take);
            yield { x: tf.gather(train.x, picked), y: tf.gather(train.y, picked) };
            picked.dispose();
          } else yield { x: tensorSlice(train.x, index * batchSize, take), y: tensorSlice(train.y, index * batchSize, take) };
        }
      } finally {
        order?.dispose();
      }
    },
  };
  const finishEpoch = async (losses: number[]): Promise<void> => {
    // As tfjs's BaseLogger: the epoch's loss is the batch losses weighted by batch rows.
    const loss = losses.reduce((sum, value, index) => sum + value * batchRows(index), 0) / trainRows;
    const logs: Logs = { loss };
    if (validation) {
      const result = model.evaluate(validation.x, validation.y, { batchSize }) as tfTypes.Scalar;
      logs.val_loss = (await result.data())[0]!;
      result.dispose();
    }
    await history.onEpochEnd(epoch, logs);
    await call("onEpochEnd", epoch, logs);
    epoch++;
  };

  try {
    const iterator = source.epochBatches.bind(source);
    let finished = Promise.resolve();
    const result = await trainLoop({
      model,
      data: {
        epochBatches: () => {
          // Each new epoch first settles the previous one (its losses were read back with its last step).
          const inner = iterator();
          return (async function* () {
            await finished;
            yield* inner;
          })();
        },
      },
      epochs: epochs - initialEpoch,
      // Callbacks and validation need each epoch's loss at its end; otherwise losses are read every 100 steps (or
      // once an epoch when longer), so an epoch of one batch does not wait for the device every step.
      readEvery: callbacks.length > 0 || validation ? stepsPerEpoch : Math.max(stepsPerEpoch, READ_EVERY),
      run: null,
      progress: false,
      onLosses: (chunk) => {
        for (const { loss } of chunk) {
          pendingLosses.push(loss);
          if (pendingLosses.length === stepsPerEpoch) {
            epochLosses.push(pendingLosses);
            const done = pendingLosses;
            pendingLosses = [];
            finished = finished.then(() => finishEpoch(done));
          }
        }
      },
    });
    lastFitPath = `trainLoop, capture ${result.capture}`;
    await finished;
    if (pendingLosses.length > 0) await finishEpoch(pendingLosses); // stopped mid-epoch
  } finally {
    tf.dispose(made);
  }
  await call("onTrainEnd", {});
  await history.syncData();
  return history;
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

/**
 * Routes LayersModel.prototype.fit (Sequential's fit calls it) through trainLoop when the call qualifies on one of
 * `backends`; otherwise tfjs's fit runs as before. Idempotent; returns the function that puts tfjs's fit back.
 */
export function installFitFastPath(tf: Tf, options: FitFastPathOptions = {}): () => void {
  const prototype = tf.LayersModel.prototype as unknown as { fit: Fit & { [INSTALLED]?: { original: Fit; options: FitFastPathOptions } } };
  const current = prototype.fit;
  const original = current[INSTALLED]?.original ?? current;
  const backends = options.backends ?? ["webgpu"];
  const fit: Fit & { [INSTALLED]?: { original: Fit; options: FitFastPathOptions } } = async function (this: tfTypes.LayersModel, x, y, args = {}) {
    const blocker = fitFastPathBlocker(tf, this, x, y, args, backends);
    lastFitPath = blocker === undefined ? "trainLoop" : `tfjs fit: ${blocker}`; // trainLoop adds its capture outcome
    if (blocker !== undefined) return original.call(this, x, y, args);
    return fastFit(tf, this, x as Tensor, y as Tensor, args);
  };
  fit[INSTALLED] = { original, options };
  prototype.fit = fit;
  return () => {
    if (prototype.fit === fit) prototype.fit = original;
  };
}

/** How the latest model.fit ran: "trainLoop, capture replay" (or "capture off: <why>"), or "tfjs fit: <why not>". */
export function lastFitRoute(): string | undefined {
  return lastFitPath;
}
