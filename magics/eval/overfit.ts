// overfitOneBatch: a model that cannot drive one batch's loss to ~0 has a bug (labels, loss, learning rate,
// architecture) that more data will not fix. Trains on the one batch and says which.
import type { LayersModel, Tensor } from "@tensorflow/tfjs";

export interface OverfitOptions {
  /** Most training steps on the batch (default 200). */
  steps?: number;
  /** The loss that counts as fitted (default 0.01). */
  targetLoss?: number;
  /** Put the weights back afterwards, so the check leaves the model as it was (default true). */
  restoreWeights?: boolean;
  onStep?: (step: number, loss: number) => void;
}

export interface OverfitResult {
  canFit: boolean;
  initialLoss: number;
  finalLoss: number;
  bestLoss: number;
  steps: number;
  targetLoss: number;
  losses: number[];
  verdict: string;
}

function lossValue(result: number | number[]): number {
  return Array.isArray(result) ? result[0]! : result;
}

function short(value: number): string {
  return Math.abs(value) >= 1e-3 || value === 0 || !Number.isFinite(value) ? String(Number(value.toPrecision(2))) : value.toExponential(1);
}

export async function overfitOneBatch(model: LayersModel, x: Tensor | Tensor[], y: Tensor | Tensor[], options: OverfitOptions = {}): Promise<OverfitResult> {
  if (!model || typeof (model as { trainOnBatch?: unknown }).trainOnBatch !== "function") {
    throw new TypeError("overfitOneBatch needs a TensorFlow.js layers model (tf.sequential() or tf.model()).");
  }
  if (!model.optimizer) {
    throw new TypeError("the model is not compiled: call model.compile({ optimizer: tf.train.adam(0.01), loss: … }) before overfitOneBatch.");
  }
  const steps = options.steps ?? 200;
  const targetLoss = options.targetLoss ?? 0.01;
  const savedWeights = options.restoreWeights === false ? undefined : model.getWeights().map((weight) => weight.clone());
  const losses: number[] = [];
  try {
    for (let step = 1; step <= steps; step++) {
      const loss = lossValue(await model.trainOnBatch(x, y));
      losses.push(loss);
      options.onStep?.(step, loss);
      if (!Number.isFinite(loss) || loss <= targetLoss) break;
    }
  } finally {
    if (savedWeights) {
      model.setWeights(savedWeights);
      savedWeights.forEach((weight) => weight.dispose());
    }
  }
  const initialLoss = losses[0]!;
  const finalLoss = losses[losses.length - 1]!;
  const bestLoss = Math.min(...losses.filter(Number.isFinite));
  const canFit = finalLoss <= targetLoss;
  let verdict: string;
  if (canFit) {
    verdict = `can fit: loss ${short(initialLoss)} → ${short(finalLoss)} in ${losses.length} steps`;
  } else if (!Number.isFinite(finalLoss)) {
    verdict = `loss became ${finalLoss} at step ${losses.length}: lower the learning rate, and check the inputs and labels for NaN or Infinity`;
  } else {
    verdict =
      `cannot drive loss below ${short(bestLoss)} (from ${short(initialLoss)}, target ${short(targetLoss)}) in ${losses.length} steps: ` +
      "check the labels match the inputs and the loss fits the output layer (e.g. softmax with categoricalCrossentropy), " +
      "raise the learning rate or the steps, and make the model larger (architecture)";
  }
  return { canFit, initialLoss, finalLoss, bestLoss, steps: losses.length, targetLoss, losses, verdict };
}
