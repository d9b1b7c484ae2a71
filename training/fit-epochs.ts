// The epoch bookkeeping of model.fit / fitDataset on top of trainLoop: batches come from the caller epoch by epoch;
// losses come back in read-back chunks; each epoch is finished (History, val_loss, callbacks) once all its losses
// are known, and before the next epoch begins whenever something needs it (callbacks read every epoch's end).
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./backends/types.js";
import { trainLoop } from "./train-loop.js";
import type { Batch } from "./train-loop.js";

export type Logs = Record<string, number>;
export const EPOCH_HOOKS = ["onTrainBegin", "onTrainEnd", "onEpochBegin", "onEpochEnd", "onBatchEnd"] as const;
/**
 * Callbacks given as plain objects. onBatchEnd runs when the batch's loss has been read back (at its epoch's end,
 * before onEpochEnd) with { batch, size, loss }; hooks see `this.params` as under tfjs's CustomCallback.
 */
export type EpochCallbacks = Partial<Record<(typeof EPOCH_HOOKS)[number], (...args: never[]) => unknown>>;

interface ModelState {
  stopTraining_: boolean;
  history: tfTypes.History;
}

export interface EpochRun {
  model: tfTypes.LayersModel;
  epochs: number;
  initialEpoch: number;
  /** One epoch's batches (disposed by trainLoop after their step); return early to end the epoch. */
  batches(epoch: number): AsyncGenerator<Batch>;
  /** Steps between loss read-backs; with callbacks or validation the caller makes it one epoch. */
  readEvery: number;
  callbacks: EpochCallbacks[];
  /** The validation loss at an epoch's end, when there is validation data. */
  validate?: () => Promise<number>;
  /** History's params, as tfjs's fit sets them. */
  params: Record<string, string | number | boolean | string[]>;
}

export interface EpochRunResult {
  history: tfTypes.History;
  /** trainLoop's capture outcome: "replay" or "off: <why>". */
  capture: string;
}

/** Runs the epochs through one trainLoop call (one captured step on webgpu for the whole fit). */
export async function runEpochs(tf: Tf, run: EpochRun): Promise<EpochRunResult> {
  const state = run.model as unknown as ModelState;
  const history = new tf.History();
  history.setParams(run.params);
  await history.onTrainBegin();
  state.history = history;
  state.stopTraining_ = false;
  const self = { params: run.params, model: run.model };
  const call = async (hook: (typeof EPOCH_HOOKS)[number], ...rest: unknown[]): Promise<void> => {
    for (const callback of run.callbacks) await (callback[hook] as ((...a: unknown[]) => unknown) | undefined)?.call(self, ...rest);
  };
  const batchHooks = run.callbacks.some((callback) => callback.onBatchEnd);
  await call("onTrainBegin", {});

  const losses: number[] = []; // every step's loss read back so far
  const rows: number[] = []; // every step's batch rows, in order
  const epochSteps: number[] = []; // steps of each epoch whose batches have all been given
  let finishedEpochs = 0;
  let firstStepOfNext = 0;
  let finished = Promise.resolve();
  const finishEpoch = async (epoch: number, from: number, to: number): Promise<void> => {
    // As tfjs's BaseLogger: the epoch's loss is its batch losses weighted by batch rows.
    let weighted = 0;
    let total = 0;
    for (let step = from; step < to; step++) {
      weighted += losses[step]! * rows[step]!;
      total += rows[step]!;
      if (batchHooks) await call("onBatchEnd", step - from, { batch: step - from, size: rows[step]!, loss: losses[step]! });
    }
    const logs: Logs = { loss: weighted / total };
    if (run.validate) logs.val_loss = await run.validate();
    await history.onEpochEnd(epoch, logs);
    await call("onEpochEnd", epoch, logs);
  };
  /** Queues the end of every epoch whose losses are all known. */
  const settle = (): void => {
    while (finishedEpochs < epochSteps.length && losses.length >= firstStepOfNext + epochSteps[finishedEpochs]!) {
      const epoch = run.initialEpoch + finishedEpochs;
      const from = firstStepOfNext;
      const to = from + epochSteps[finishedEpochs]!;
      finishedEpochs++;
      firstStepOfNext = to;
      finished = finished.then(() => finishEpoch(epoch, from, to));
    }
  };

  let started = 0;
  async function* epochBatches(): AsyncGenerator<Batch> {
    const epoch = run.initialEpoch + started++;
    if (epoch >= run.epochs || state.stopTraining_) return;
    await call("onEpochBegin", epoch, {});
    let steps = 0;
    for await (const batch of run.batches(epoch)) {
      rows.push(batch.x.shape[0]!);
      steps++;
      yield batch;
    }
    // Runs when trainLoop asks for the next batch: the last step has run and, with callbacks, its loss is read.
    epochSteps.push(steps);
    settle();
    await finished;
  }

  const result = await trainLoop({
    model: run.model,
    data: { epochBatches },
    epochs: run.epochs - run.initialEpoch,
    readEvery: run.readEvery,
    run: null,
    progress: false,
    onLosses: (chunk) => {
      for (const { loss } of chunk) losses.push(loss);
      settle();
    },
  });
  settle();
  await finished;
  // Stopped inside an epoch (an empty dataset pass, or an interrupt): what ran of it still counts.
  if (losses.length > firstStepOfNext) await finishEpoch(run.initialEpoch + finishedEpochs, firstStepOfNext, losses.length);
  await call("onTrainEnd", {});
  await history.syncData();
  return { history, capture: result.capture };
}
