// run.watch(model, { gradients: true }) for model.fit / fitDataset users: tfjs's fit applies every batch's gradients
// through optimizer.applyGradients, so the watched model's optimizer is wrapped there and, every N batches, the
// global and per-layer L2 norms of the gradients it is about to apply are logged (train.grad_norm, split
// "gradients") — the same series trainLoop logs. The wrapper is removed when the run ends.
import { layerGroups } from "../../training/gradient-watch.js";

/** The tensor methods the measurement uses (tfjs's chained ops). */
interface GradientTensor {
  square(): GradientTensor;
  sum(): GradientTensor;
  dataSync(): ArrayLike<number>;
  dispose(): void;
}

type Gradients = Record<string, GradientTensor> | ReadonlyArray<{ name: string; tensor: GradientTensor }>;

interface HookableOptimizer {
  applyGradients(gradients: Gradients): unknown;
}

export interface GradientWatchedModel {
  optimizer?: unknown;
  layers: ReadonlyArray<{ name: string; trainableWeights: ReadonlyArray<{ name: string }> }>;
}

export interface GradientSink {
  /** The step the gradients being applied belong to. */
  nextStep(): number;
  record(train: Record<string, number>, gradients: Record<string, number>, step: number): void;
}

function entries(gradients: Gradients): Array<[string, GradientTensor]> {
  return Array.isArray(gradients)
    ? (gradients as ReadonlyArray<{ name: string; tensor: GradientTensor }>).map((named) => [named.name, named.tensor])
    : Object.entries(gradients as Record<string, GradientTensor>);
}

function sumOfSquares(tensor: GradientTensor): number {
  const squared = tensor.square();
  const summed = squared.sum();
  try {
    return summed.dataSync()[0]!;
  } finally {
    squared.dispose();
    summed.dispose();
  }
}

/**
 * Wraps the model's optimizer so every `everySteps`-th batch's gradients are measured before they are applied.
 * Returns the function that removes the wrapper. Throws when the model has no optimizer yet (not compiled).
 */
export function hookGradients(model: GradientWatchedModel, sink: GradientSink, everySteps: number): () => void {
  const optimizer = model.optimizer as HookableOptimizer | undefined;
  if (!optimizer || typeof optimizer.applyGradients !== "function") {
    throw new Error("run.watch(model, { gradients: true }) needs a compiled model: call model.compile({ optimizer, loss }) first.");
  }
  const groupOf = layerGroups(model);
  const original = optimizer.applyGradients;
  let batches = 0;
  const wrapped = function applyGradients(this: unknown, gradients: Gradients): unknown {
    if (batches++ % everySteps === 0) {
      const byGroup = new Map<string, number>();
      let total = 0;
      for (const [name, tensor] of entries(gradients)) {
        const squares = sumOfSquares(tensor);
        total += squares;
        const group = groupOf(name);
        byGroup.set(group, (byGroup.get(group) ?? 0) + squares);
      }
      const global = Math.sqrt(total);
      const perLayer: Record<string, number> = { global };
      for (const [group, squares] of byGroup) perLayer[group] = Math.sqrt(squares);
      sink.record({ grad_norm: global }, perLayer, sink.nextStep());
    }
    return original.call(this, gradients);
  };
  optimizer.applyGradients = wrapped;
  return () => {
    if (optimizer.applyGradients === wrapped) optimizer.applyGradients = original;
  };
}
