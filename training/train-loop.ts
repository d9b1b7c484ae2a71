// trainLoop: a fit-like loop that keeps the device busy. Losses stay on the device and are read back every
// `readEvery` steps with one read of a stacked tensor; every step runs inside tf.tidy so nothing leaks.
import type * as tfTypes from "@tensorflow/tfjs";
import { backendInfo, loadTf, markBackendFailed } from "./ladder.js";
import type { Tf } from "./backends/types.js";
import { errorText } from "./backends/types.js";
import type { Display } from "../magics/types.js";
import type { ProgressBar } from "../widgets/progress.js";
import { planCapture } from "./capture-plan.js";
import type { CapturePlan, CaptureSetting, OptimizerSetting } from "./capture-plan.js";
import { compileTrainStep, copyScalarInto } from "./webgpu/capture.js";
import type { CompiledTrainStep } from "./webgpu/capture.js";
import { epochRandom, permutation } from "./data/shuffle.js";
import { checkClipOptions, DEFAULT_GRADIENT_NORM_EVERY, gradientStep, layerGroups, learningRateOf, normMetrics, setLearningRate, variableGroups } from "./gradient-watch.js";
import type { GroupOf, MeasuredNorms } from "./gradient-watch.js";
import { baselineLoss, createUnitProbe, type UnitProbe } from "./unit-probe.js";
import { isOutOfMemory, outOfMemoryError } from "./out-of-memory.js";

type Tensor = tfTypes.Tensor;
type Scalar = tfTypes.Scalar;

/** What trainLoop needs from a %track run (magics/track's Run has it). */
export interface LossLogger {
  log(metrics: Record<string, number>, options?: { step?: number; split?: string; samples?: number; tokens?: number }): void;
  /** The steps the loop plans to run, when known (the underfitting check judges the loss's pace against them). */
  planSteps?(total: number): void;
}

export interface Batch {
  x: Tensor;
  y: Tensor;
}

/** Data that is read once per epoch: labnote's `dataset(...)` (a new, reshuffled pass each call). */
export interface EpochSource {
  epochBatches(): AsyncIterator<Batch>;
}

function isEpochSource(data: unknown): data is EpochSource {
  return typeof (data as EpochSource).epochBatches === "function";
}

/** `epochs` passes over a dataset, or endless passes when a step count bounds the loop (stops at an empty pass). */
async function* epochsOf(source: EpochSource, epochs: number | undefined): AsyncGenerator<Batch> {
  for (let epoch = 0; epochs === undefined || epoch < epochs; epoch++) {
    const iterator = source.epochBatches();
    let batches = 0;
    try {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        batches++;
        yield next.value;
      }
    } finally {
      await iterator.return?.(undefined);
    }
    if (batches === 0) return;
  }
}

export type LossName = "meanSquaredError" | "categoricalCrossentropy" | "sparseCategoricalCrossentropy" | "binaryCrossentropy" | "softmaxCrossEntropy";
export type LossFunction = (yTrue: Tensor, yPred: Tensor) => Tensor;

interface CommonOptions {
  /** An optimizer, or "adam" / { name: "adam", learningRate, … }. On webgpu Adam runs fused and its steps are captured. */
  optimizer?: OptimizerSetting;
  /**
   * Step capture on webgpu (default true): steps 1–2 run through tfjs (the 2nd is recorded), later steps replay the
   * recorded GPU commands. Used when the optimizer is Adam and no step reads a tensor back; `result.capture` says
   * "replay" or "off: <why>". false: every step through plain tfjs with the given optimizer.
   */
  capture?: CaptureSetting;
  /**
   * Whole-data tensors (sliced into batches on the device), a `dataset(...)` (one pass per epoch, reshuffled), or
   * batches; yielded batches are disposed after use.
   */
  data: Batch | Iterable<Batch> | AsyncIterable<Batch> | EpochSource;
  /** Passes over `data` when it is a pair of tensors or a dataset (default 1). Ignored when `steps` is given. */
  epochs?: number;
  /** Reshuffle whole-data tensors' rows every epoch (default true, as model.fit); a dataset shuffles itself. */
  shuffle?: boolean;
  /** Seed of that shuffle (default 0: the same epoch orders every run; pass another seed for other orders). */
  seed?: number;
  /** Total optimizer steps; a pair of tensors is cycled through as often as needed. */
  steps?: number;
  /** Rows per step when `data` is a pair of tensors (default 32). */
  batchSize?: number;
  /** Read the loss back every N steps (default 50): one device→host transfer per N steps. */
  readEvery?: number;
  /** Where losses go: an explicit run, `null` for none; default track.current() when %track is loaded. */
  run?: LossLogger | null;
  /** Called after each read-back with the losses of the steps since the last one. */
  onLosses?: (losses: { step: number; loss: number }[]) => void;
  /** Stops at the next read-back when aborted (a cell interrupt). */
  signal?: AbortSignal;
  /** A step progress bar in the cell, updated at each read-back (default: shown inside a notebook when the step count is known). */
  progress?: boolean;
  /**
   * Log the global gradient norm (train.grad_norm) and one per layer (split "gradients") every N steps to the run
   * (default 100, or off in a captured webgpu loop; 0 turns it off). Measured on the device, read back with the losses.
   */
  gradientNormEvery?: number;
  /** Clip gradients to this global L2 norm every step; the norm before and after is logged (grad_norm, grad_norm_clipped). */
  clipNorm?: number;
  /** Clip every gradient element to [-clipValue, clipValue] every step (before clipNorm when both are set). */
  clipValue?: number;
  /** A learning-rate schedule, step → rate, set on the optimizer before each step; the rate is logged every step. */
  learningRate?: (step: number) => number;
  /**
   * Tokens in one sample (a sequence model's length): each step's tokens are its batch rows times this, and the run
   * records tokens_per_sec beside samples_per_sec (which trainLoop always counts from the batch rows).
   */
  tokensPerSample?: number;
}

/** Steps between two model probes (dead units, weight norms) by default. */
const DEFAULT_PROBE_EVERY = 100;
/** The default probe's time budget: its cost at most this share of the loop's time since the last probe. */
export const PROBE_TIME_BUDGET = 0.005;
/** …but never more than this many times the default steps apart. */
export const PROBE_MAX_STRETCH = 5;

/**
 * Whether the model probe is due at a read-back. An explicit `probeEvery` is kept to the step. The default one
 * (every 100 steps) is also held to a time budget: it waits until its last cost is at most PROBE_TIME_BUDGET of the
 * time since that probe (a fast loop whose 100 steps take little longer than a probe probes less often), and never
 * longer than PROBE_MAX_STRETCH × 100 steps. The first probe is never held back.
 */
export function probeDue(at: { stepsSince: number; every: number; budgeted: boolean; msSince: number; lastCostMs: number }): boolean {
  if (at.stepsSince < at.every) return false;
  if (!at.budgeted || !Number.isFinite(at.stepsSince)) return true;
  return at.lastCostMs <= PROBE_TIME_BUDGET * at.msSince || at.stepsSince >= PROBE_MAX_STRETCH * at.every;
}

export interface ModelTrainOptions extends CommonOptions {
  model: tfTypes.LayersModel;
  /** Default: the model's compiled optimizer. */
  optimizer?: OptimizerSetting;
  /** A loss name, or (yTrue, yPred) → loss; default: the model's compiled loss when it is one of the names. */
  loss?: LossName | LossFunction;
  /**
   * Every N steps (default 100, off in a captured webgpu loop; 0: off) probe the model on up to 128 rows of the first
   * batch: the share of each ReLU-family layer's units that output zero on every row (split "dead_units") and each
   * layer's weight norm (split "weights"), read in one transfer at a read-back. Needs a run. The default is also held
   * to ≤ 0.5% of the loop's time (at most every 500 steps then); a number given here is kept to the step.
   */
  probeEvery?: number;
  /** Held-out data: its loss is logged as val.loss at read-backs at least `every` steps apart (default readEvery). */
  validation?: { x: Tensor; y: Tensor; every?: number };
}

export interface ParamsTrainOptions extends CommonOptions {
  optimizer: OptimizerSetting;
  /** The variables to train (default: every trainable variable the loss touches). */
  params?: tfTypes.Variable[];
  /** Computes the loss of one batch from the variables it closes over. */
  lossFn: (x: Tensor, y: Tensor) => Tensor;
}

export type TrainLoopOptions = ModelTrainOptions | ParamsTrainOptions;

export interface TrainLoopResult {
  steps: number;
  /** Every step's loss, in order. */
  losses: number[];
  finalLoss: number;
  seconds: number;
  stepsPerSecond: number;
  backend: string;
  stopped: "done" | "interrupted";
  /** "replay" when captured steps were replayed on the GPU, else "off: <why>". */
  capture: string;
  /** Steps that replayed the captured GPU commands (all but the first two captured ones when capture is on). */
  replayedSteps: number;
  /** Steps whose batch shape differed from the captured one (e.g. an epoch's last, partial batch): run through plain tfjs with the same optimizer. */
  uncapturedSteps: number;
}

function lossByName(tf: Tf, name: string): LossFunction {
  switch (name) {
    case "meanSquaredError":
      return (yTrue, yPred) => tf.losses.meanSquaredError(yTrue, yPred);
    case "categoricalCrossentropy":
      return (yTrue, yPred) => tf.mean(tf.metrics.categoricalCrossentropy(yTrue, yPred));
    case "sparseCategoricalCrossentropy":
      return (yTrue, yPred) => {
        const labels = tf.cast(tf.reshape(yTrue, [-1]), "int32") as tfTypes.Tensor1D;
        return tf.mean(tf.metrics.categoricalCrossentropy(tf.oneHot(labels, yPred.shape[yPred.rank - 1]!), yPred));
      };
    case "binaryCrossentropy":
      return (yTrue, yPred) => tf.mean(tf.metrics.binaryCrossentropy(yTrue, yPred));
    case "softmaxCrossEntropy":
      return (yTrue, yPred) => tf.losses.softmaxCrossEntropy(yTrue, yPred);
    default:
      throw new Error(`trainLoop: unknown loss "${name}". Pass one of meanSquaredError, categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy, softmaxCrossEntropy, or a function (yTrue, yPred) => loss.`);
  }
}

function modelLoss(tf: Tf, options: ModelTrainOptions): LossFunction {
  if (typeof options.loss === "function") return options.loss;
  const name = options.loss ?? (typeof options.model.loss === "string" ? options.model.loss : undefined);
  if (!name) throw new Error("trainLoop: the model has no loss. Pass `loss` (e.g. \"categoricalCrossentropy\") or compile the model with a loss name.");
  return lossByName(tf, name);
}

/** The dtypes and shapes of a batch (`rows` of `data` when given), to tell batches the captured step accepts. */
function batchShapes(data: Batch, rows?: number): string {
  const shape = (tensor: Tensor) => (rows === undefined ? tensor.shape : [rows, ...tensor.shape.slice(1)]);
  return `${data.x.dtype}[${shape(data.x)}] ${data.y.dtype}[${shape(data.y)}]`;
}

function isBatch(data: CommonOptions["data"]): data is Batch {
  return typeof (data as Batch).x === "object" && typeof (data as Batch).y === "object" && !(Symbol.iterator in data) && !(Symbol.asyncIterator in data);
}

/** Rows [start, start + take) of whole-data tensors: sliced on the device when used, or copied straight into a replayed step. */
interface RowRange {
  source: Batch;
  start: number;
  take: number;
}

/**
 * Cuts a pair of tensors into row ranges, cycling through epochs; no host copies. With `shuffleSeed`, each epoch
 * first gathers the rows into a seeded permutation on the device (one op per epoch), and slices that.
 */
function* tensorBatches(tf: Tf, data: Batch, batchSize: number, totalSteps: number, shuffleSeed: number | undefined): Generator<RowRange> {
  const rows = data.x.shape[0]!;
  if (data.y.shape[0] !== rows) throw new Error(`trainLoop: x has ${rows} rows but y has ${data.y.shape[0]}; they must match.`);
  const size = Math.min(batchSize, rows);
  // One batch per epoch sees every row either way: no reshuffle (and no copy).
  const reshuffle = shuffleSeed !== undefined && size < rows;
  let source = data;
  let start = rows;
  let epoch = 0;
  try {
    for (let step = 0; step < totalSteps; step++) {
      if (start >= rows) {
        start = 0;
        if (reshuffle) {
          if (source !== data) tf.dispose([source.x, source.y]);
          const order = tf.tensor1d(permutation(rows, epochRandom(shuffleSeed, epoch)), "int32");
          source = { x: tf.gather(data.x, order), y: tf.gather(data.y, order) };
          order.dispose();
        }
        epoch++;
      }
      // The last batch of an epoch is the remainder, so every row is trained on (as model.fit does).
      const take = Math.min(size, rows - start);
      yield { source, start, take };
      start += take;
    }
  } finally {
    if (source !== data) tf.dispose([source.x, source.y]);
  }
}

async function* limitSteps<T>(source: Iterable<T> | AsyncIterable<T>, steps: number | undefined): AsyncGenerator<T> {
  // Pull manually so no batch is made past `steps` (it would never be disposed).
  const iterator = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  try {
    for (let count = 0; steps === undefined || count < steps; count++) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}

async function currentTrackRun(): Promise<LossLogger | undefined> {
  try {
    // Loaded on first use only; the GPU bundle marks it external (then this import fails and nothing is logged).
    const module = await import("../magics/track/index.js");
    return module.track.current();
  } catch {
    return undefined; // %track is optional: without it losses are only returned.
  }
}

/** A progress bar through the notebook's `display` global; undefined outside a cell or when the total is unknown. */
async function cellProgress(totalSteps: number | undefined): Promise<ProgressBar | undefined> {
  const display = (globalThis as { display?: unknown }).display;
  if (totalSteps === undefined || typeof display !== "function" || typeof (display as { handle?: unknown }).handle !== "function") return undefined;
  try {
    const { createProgress } = await import("../widgets/progress.js");
    return createProgress(display as Display, { total: totalSteps, description: `step 0/${totalSteps}` });
  } catch {
    return undefined; // a missing bar must never stop training
  }
}

/**
 * At a read-back, the loop lets the event loop run (one setImmediate) once this long has passed since it last did.
 * A wasm or cpu loop's awaits otherwise all resolve as microtasks, so nothing else in the process would run until
 * the loop ends: the run's store registration and its writes to the writer thread, the system-metrics timer, the
 * dashboard's live view. ~5 yields a second cost nothing measurable; webgpu read-backs wait on the GPU anyway.
 */
export const YIELD_EVERY_MS = 200;

/** Losses a captured loop keeps on the device at most before reading them (bounds the ring for a huge readEvery). */
const MAX_LOSS_RING = 4096;

/** Trains with minimize() per step; see TrainLoopOptions. */
export async function trainLoop(options: TrainLoopOptions): Promise<TrainLoopResult> {
  const tf = await loadTf();
  const readEvery = Math.max(1, Math.floor(options.readEvery ?? 50));
  const batchSize = options.batchSize ?? 32;
  const run = options.run === undefined ? await currentTrackRun() : options.run ?? undefined;

  let stepLoss: (x: Tensor, y: Tensor) => Scalar;
  let varList: tfTypes.Variable[] | undefined;
  let plan: CapturePlan;
  // With a model: its loss function and name (for the trivial baseline of the underfitting check).
  let modelLossFunction: LossFunction | undefined;
  let modelLossName: string | undefined;
  if ("model" in options) {
    const lossFunction = modelLoss(tf, options);
    modelLossFunction = lossFunction;
    modelLossName = typeof options.loss === "function" ? undefined : options.loss ?? (typeof options.model.loss === "string" ? options.model.loss : undefined);
    const model = options.model;
    varList = model.trainableWeights.map((weight) => weight.read() as tfTypes.Variable);
    // The layers model's forward pass as a loss function of its trainable weights: captured like any other step.
    stepLoss = (x, y) => tf.mean(lossFunction(y, model.apply(x, { training: true }) as Tensor)) as Scalar;
    plan = planCapture(tf, options.optimizer ?? (model.optimizer as tfTypes.Optimizer | undefined), options.capture, model as unknown as Parameters<typeof planCapture>[3]);
  } else {
    const lossFn = options.lossFn;
    varList = options.params;
    stepLoss = (x, y) => tf.mean(lossFn(x, y)) as Scalar;
    plan = planCapture(tf, options.optimizer, options.capture);
  }
  checkClipOptions(options);
  const clipping = options.clipNorm !== undefined || options.clipValue !== undefined;
  const schedule = options.learningRate;
  if (plan.capture && (clipping || schedule)) {
    // Clipped or scheduled steps change every step: a replayed recording would repeat the first one.
    plan = { ...plan, capture: false, why: `off: ${clipping ? "gradient clipping" : "a learning-rate schedule"} runs every step through tfjs` };
  }
  const groupOf: GroupOf = "model" in options ? layerGroups(options.model) : variableGroups;
  const optimizer = plan.optimizer;
  const compiled: CompiledTrainStep | undefined = plan.capture ? compileTrainStep(tf, { lossFn: stepLoss as (...inputs: Tensor[]) => Scalar, variables: varList, optimizer, inputs: [] }) : undefined;
  // Norms need a run to log to. A captured (webgpu replay) loop measures only when asked: each measured step leaves the replay.
  const normEvery = !run ? 0 : options.gradientNormEvery !== undefined ? Math.max(0, Math.floor(options.gradientNormEvery)) : compiled ? 0 : DEFAULT_GRADIENT_NORM_EVERY;
  const probedModel = "model" in options ? options.model : undefined;
  const askedProbeEvery = "model" in options ? options.probeEvery : undefined;
  const probeEvery = !run || !probedModel ? 0 : askedProbeEvery !== undefined ? Math.max(0, Math.floor(askedProbeEvery)) : compiled ? 0 : DEFAULT_PROBE_EVERY;
  const validation = "model" in options ? options.validation : undefined;
  let probe: UnitProbe | undefined;
  let lastProbeStep = -Infinity;
  const probeBudgeted = askedProbeEvery === undefined;
  let lastProbeAt = 0;
  let lastProbeCostMs = 0;
  let lastValidationStep = -Infinity;
  // The shapes of the first batch: later batches of other shapes (an epoch's remainder) take the plain path.
  let capturedShapes: string | undefined;
  let uncapturedSteps = 0;
  let replayedSteps = 0;
  // Captured loops leave each step's loss in this ring on the device (a copy in the step's own submit).
  const ringCapacity = Math.min(readEvery, MAX_LOSS_RING);
  const lossRing = compiled ? tf.zeros([ringCapacity]) : undefined;

  let batches: AsyncIterable<Batch | RowRange>;
  let totalSteps = options.steps;
  let stepsPerEpoch: number | undefined;
  if (isBatch(options.data)) {
    const rows = options.data.x.shape[0]!;
    stepsPerEpoch = Math.ceil(rows / Math.min(batchSize, rows));
    const total = options.steps ?? (options.epochs ?? 1) * stepsPerEpoch;
    totalSteps = total;
    const shuffleSeed = options.shuffle === false ? undefined : options.seed ?? 0;
    batches = limitSteps(tensorBatches(tf, options.data, batchSize, total, shuffleSeed), undefined);
  } else if (isEpochSource(options.data)) {
    batches = limitSteps(epochsOf(options.data, options.steps === undefined ? options.epochs ?? 1 : undefined), options.steps);
  } else {
    batches = limitSteps(options.data, options.steps);
  }
  // A %tune trial's cell already shows the trials' bar: no step bar per trial.
  const inTrial = (run as { options?: { studyName?: string } } | undefined)?.options?.studyName !== undefined;
  const progress = options.progress === false || inTrial ? undefined : await cellProgress(totalSteps);
  if (totalSteps !== undefined) run?.planSteps?.(totalSteps);
  const progressLine = (): string => {
    const step = losses.length;
    const epochs = stepsPerEpoch !== undefined && totalSteps !== undefined ? ` epoch ${Math.ceil(step / stepsPerEpoch)}/${Math.ceil(totalSteps / stepsPerEpoch)}` : "";
    return `step ${step}/${totalSteps}${epochs} loss ${losses.length > 0 ? losses[losses.length - 1]!.toPrecision(4) : "…"}`;
  };

  const losses: number[] = [];
  let pending: Scalar[] = [];
  // Steps started so far; each step's learning rate and the measured steps' norms wait for the next read-back.
  let stepIndex = 0;
  let pendingRates: (number | undefined)[] = [];
  // Rows of each step since the last read-back: the run's samples/s and tokens/s.
  let pendingRows: number[] = [];
  const tokensPerSample = options.tokensPerSample;
  if (tokensPerSample !== undefined && !(Number.isFinite(tokensPerSample) && tokensPerSample > 0)) throw new Error(`trainLoop: tokensPerSample must be a number > 0 (tokens in one sample, e.g. the sequence length); got ${tokensPerSample}.`);
  let pendingNorms: MeasuredNorms[] = [];
  let ringCount = 0;
  let stopped: TrainLoopResult["stopped"] = "done";
  const started = performance.now();
  let lastYieldAt = started;

  /** Logs the measured steps' norms (`values`: their vectors end to end), after the losses of the same steps. */
  const logNorms = (measured: MeasuredNorms[], values: ArrayLike<number>): void => {
    const width = values.length / measured.length;
    measured.forEach((entry, index) => {
      const own = Array.from({ length: width }, (_, offset) => values[index * width + offset]!);
      const { train, gradients } = normMetrics(own, entry.groups, clipping);
      run?.log(train, { step: entry.step, split: "train" });
      run?.log(gradients, { step: entry.step, split: "gradients" });
    });
  };

  /** At a read-back: the model probe and the validation loss, when due. */
  const watchModel = async (step: number): Promise<void> => {
    const now = performance.now();
    if (probe && probeDue({ stepsSince: step - lastProbeStep, every: probeEvery, budgeted: probeBudgeted, msSince: now - lastProbeAt, lastCostMs: lastProbeCostMs })) {
      const first = lastProbeStep === -Infinity;
      lastProbeStep = step;
      const reading = await probe.read();
      lastProbeAt = performance.now();
      // The first read builds the probe's kernels: not what the next ones cost.
      lastProbeCostMs = first ? 0 : lastProbeAt - now;
      // Units of a model whose weights went NaN are not dead: the unstable-weights warning says what happened.
      const weightsFinite = Number.isFinite(reading.weightNorms.global ?? 0);
      if (weightsFinite && Object.keys(reading.deadUnits).length > 0) run?.log(reading.deadUnits, { step, split: "dead_units" });
      if (Object.keys(reading.weightNorms).length > 0) run?.log(reading.weightNorms, { step, split: "weights" });
    }
    if (validation && probedModel && modelLossFunction && step - lastValidationStep >= (validation.every ?? readEvery)) {
      lastValidationStep = step;
      const lossFunction = modelLossFunction;
      const value = tf.tidy(() => tf.mean(lossFunction(validation.y, probedModel.predict(validation.x) as Tensor)));
      const [loss] = await value.data();
      value.dispose();
      run?.log({ loss: loss! }, { step, split: "val" });
    }
  };

  /** Once, at the first batch: the probe, and the trivial baseline's loss (logged as train.baseline_loss). */
  const startWatching = async (x: Tensor, y: Tensor): Promise<void> => {
    if (!run || !probedModel || !modelLossFunction) return;
    if (probeEvery > 0) probe = createUnitProbe(tf, probedModel, x);
    const labels = isBatch(options.data) ? options.data.y : y;
    const outputShape = probedModel.outputs[0]?.shape ?? [];
    const lastDimension = outputShape[outputShape.length - 1];
    const baseline = await baselineLoss(tf, modelLossName, modelLossFunction, labels, typeof lastDimension === "number" ? lastDimension : undefined);
    if (baseline !== undefined && Number.isFinite(baseline)) run.log({ baseline_loss: baseline }, { step: 0, split: "train" });
  };

  const readBack = async (): Promise<void> => {
    let values: ArrayLike<number>;
    const measured = pendingNorms;
    let normValues: ArrayLike<number> = [];
    if (lossRing) {
      if (ringCount === 0) return;
      values = (await lossRing.data()).subarray(0, ringCount);
      ringCount = 0;
      if (measured.length > 0) {
        const norms = tf.concat(measured.map((entry) => entry.norms));
        normValues = await norms.data();
        tf.dispose([norms, ...measured.map((entry) => entry.norms)]);
      }
    } else {
      if (pending.length === 0) return;
      // Losses and measured norms come back in one transfer.
      const stacked = tf.stack(pending);
      const all = measured.length > 0 ? tf.concat([stacked, ...measured.map((entry) => entry.norms)]) : stacked;
      const data = await all.data();
      values = data.subarray(0, pending.length);
      normValues = data.subarray(pending.length);
      tf.dispose([stacked, all, ...pending, ...measured.map((entry) => entry.norms)]);
      pending = [];
    }
    pendingNorms = [];
    const firstStep = losses.length;
    const chunk = Array.from(values, (loss, index) => ({ step: firstStep + index, loss }));
    const rates = pendingRates;
    pendingRates = [];
    const rows = pendingRows;
    pendingRows = [];
    for (const { step, loss } of chunk) {
      losses.push(loss);
      const samples = rows[step - firstStep];
      run?.log({ loss }, samples === undefined ? { step, split: "train" } : { step, split: "train", samples, tokens: tokensPerSample === undefined ? undefined : samples * tokensPerSample });
      const rate = rates[step - firstStep];
      if (rate !== undefined) run?.log({ learning_rate: rate }, { step });
    }
    if (measured.length > 0) logNorms(measured, normValues);
    if (chunk.length > 0) await watchModel(chunk[chunk.length - 1]!.step);
    options.onLosses?.(chunk);
    progress?.update(losses.length, progressLine());
  };

  try {
    for await (const item of batches) {
      const range = "source" in item ? item : undefined;
      const shapes = range ? batchShapes(range.source, range.take) : batchShapes(item as Batch);
      capturedShapes ??= shapes;
      // Sliced only when a step needs the batch as tensors (a replay copies the rows itself). A batch that is the
      // whole data set (one batch per epoch) is the data itself: no copy of every row each step.
      const whole = range !== undefined && range.start === 0 && range.take === range.source.x.shape[0];
      let sliced: Batch | undefined;
      const batch = (): Batch =>
        (sliced ??= range ? (whole ? range.source : { x: tf.slice(range.source.x, range.start, range.take), y: tf.slice(range.source.y, range.start, range.take) }) : (item as Batch));
      if (stepIndex === 0) await startWatching(range ? range.source.x : (item as Batch).x, range ? range.source.y : (item as Batch).y);
      const step = stepIndex++;
      if (schedule) setLearningRate(optimizer, schedule(step));
      pendingRates.push(schedule ? schedule(step) : learningRateOf(optimizer));
      pendingRows.push(range ? range.take : ((item as Batch).x.shape[0] ?? 0));
      // A measured step (and every clipped one) takes explicit gradients through tfjs, even in a captured loop.
      const measure = normEvery > 0 && step % normEvery === 0;
      if (compiled && lossRing && shapes === capturedShapes && !measure) {
        const replaying = compiled.mode === "replay";
        const slot = { into: lossRing, index: ringCount++ };
        if (!(range && compiled.stepRows([range.source.x, range.source.y], range.start, slot))) compiled.step([batch().x, batch().y], slot);
        if (replaying && compiled.mode === "replay") replayedSteps++;
      } else {
        let loss: Scalar;
        if (measure || clipping) {
          const result = gradientStep(tf, optimizer, () => stepLoss(batch().x, batch().y), varList, { clipNorm: options.clipNorm, clipValue: options.clipValue, measure, groupOf });
          loss = result.loss;
          if (result.measured) pendingNorms.push({ step, ...result.measured });
        } else loss = tf.tidy(() => optimizer.minimize(() => stepLoss(batch().x, batch().y), true, varList)!);
        if (lossRing) {
          uncapturedSteps++;
          copyScalarInto(tf, loss, { into: lossRing, index: ringCount++ });
          loss.dispose();
        } else pending.push(loss);
      }
      if ((sliced && !whole) || !range) tf.dispose([batch().x, batch().y]);
      if (pending.length + ringCount >= readEvery || ringCount >= ringCapacity) {
        await readBack();
        const now = performance.now();
        if (now - lastYieldAt >= YIELD_EVERY_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          lastYieldAt = performance.now();
        }
        if (options.signal?.aborted) {
          stopped = "interrupted";
          break;
        }
      }
    }
    await readBack();
  } catch (error) {
    if (isOutOfMemory(error)) {
      // Keep what the good steps logged: their losses are still on the device.
      await readBack().catch(() => undefined);
      probe?.dispose();
      tf.dispose([...pending, ...pendingNorms.map((entry) => entry.norms)]);
      compiled?.dispose();
      lossRing?.dispose();
      throw outOfMemoryError(error, { failedStep: Math.max(stepIndex - 1, 0), lastGoodStep: losses.length - 1, batchSize, run });
    }
    probe?.dispose();
    tf.dispose([...pending, ...pendingNorms.map((entry) => entry.norms)]);
    compiled?.dispose();
    lossRing?.dispose();
    const backend = tf.getBackend();
    const reason = errorText(error);
    markBackendFailed(`training step failed: ${reason}`);
    const others = ["webgpu", "wasm", "cpu"].filter((name) => name !== backend).join(", ");
    throw new Error(
      `trainLoop: a training step failed on the ${backend} backend (${reason}). Your variables and other cells are kept: ` +
        `switch with %backend NAME (${others}) and run the cell again.`,
      { cause: error },
    );
  }
  probe?.dispose();
  const capture = captureOutcome(plan, compiled, replayedSteps);
  compiled?.dispose();
  lossRing?.dispose();
  if (plan.ownsOptimizer) optimizer.dispose();
  if (stopped === "done") progress?.done(progressLine());
  else progress?.update(losses.length, `${progressLine()} (interrupted)`);
  const seconds = (performance.now() - started) / 1000;
  return {
    steps: losses.length,
    losses,
    finalLoss: losses.length > 0 ? losses[losses.length - 1]! : Number.NaN,
    seconds,
    stepsPerSecond: seconds > 0 ? losses.length / seconds : 0,
    backend: backendInfo()?.name ?? tf.getBackend(),
    stopped,
    capture,
    replayedSteps,
    uncapturedSteps,
  };
}

/** "replay", or "off: <why>" (from the plan, or from the compiled step when recording found a blocker). */
function captureOutcome(plan: CapturePlan, compiled: CompiledTrainStep | undefined, replayedSteps: number): string {
  if (!compiled) return plan.why;
  if (compiled.mode === "replay" && replayedSteps > 0) return "replay";
  if (compiled.mode === "eager") return `off: ${compiled.reason}`;
  return "off: too few steps to replay (step 1 warms up, step 2 is recorded, replay starts at step 3)";
}
