// trainLoop's model probe: every N steps one forward pass of a small probe batch measures, per ReLU-family layer,
// the share of units that output zero on every row (dead units), plus each layer's weight norm — on the device, in
// one read. And the trivial baseline the underfitting check compares the train loss with.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./backends/types.js";

type Tensor = tfTypes.Tensor;

/** Rows of the probe batch (taken from the first batch). */
export const PROBE_ROWS = 128;

const RELU_FAMILY = new Set(["relu", "relu6"]);

interface ProbedLayer {
  name: string;
  getClassName(): string;
  getConfig(): Record<string, unknown>;
  getWeights(): Tensor[];
  output: unknown;
}

/** Layers whose output is clamped at zero: Dense/Conv with activation relu/relu6, and ReLU layers. */
export function reluFamilyLayers(model: tfTypes.LayersModel): ProbedLayer[] {
  return (model.layers as unknown as ProbedLayer[]).filter((layer) => {
    if (layer.getClassName() === "ReLU") return true;
    const activation = layer.getConfig().activation;
    return typeof activation === "string" && RELU_FAMILY.has(activation);
  });
}

export interface ProbeReading {
  /** Layer name → share of its units (last axis) that are zero for every probe row. */
  deadUnits: Record<string, number>;
  /** Layer name → L2 norm of its weights, and "global". */
  weightNorms: Record<string, number>;
}

export interface UnitProbe {
  read(): Promise<ProbeReading>;
  dispose(): void;
}

/** A probe of `model` on the first rows of `x` (kept until dispose); undefined for a model it cannot probe. */
export function createUnitProbe(tf: Tf, model: tfTypes.LayersModel, x: Tensor): UnitProbe | undefined {
  const relu = reluFamilyLayers(model);
  let activations: tfTypes.LayersModel | undefined;
  try {
    if (relu.length > 0) activations = tf.model({ inputs: model.inputs, outputs: relu.map((layer) => layer.output as tfTypes.SymbolicTensor) });
  } catch {
    activations = undefined; // a layer used twice, or a model without symbolic inputs: weights only
  }
  const weighted = (model.layers as unknown as ProbedLayer[]).filter((layer) => layer.getWeights().length > 0);
  const rows = Math.min(PROBE_ROWS, x.shape[0]!);
  const probeX = tf.keep(tf.tidy(() => tf.slice(x, 0, rows)));
  return {
    async read() {
      const values = tf.tidy(() => {
        const parts: Tensor[] = [];
        if (activations) {
          const outputs = activations.predict(probeX);
          for (const output of Array.isArray(outputs) ? outputs : [outputs]) {
            const units = output.shape[output.rank - 1]!;
            const perUnitMax = tf.max(tf.reshape(output, [-1, units]), 0);
            parts.push(tf.reshape(tf.mean(tf.cast(tf.lessEqual(perUnitMax, 0), "float32")), [1]));
          }
        }
        for (const layer of weighted) parts.push(tf.reshape(tf.addN(layer.getWeights().map((weight) => tf.sum(tf.square(weight)))), [1]));
        return parts.length > 0 ? tf.concat(parts) : tf.zeros([0]);
      });
      const data = await values.data();
      values.dispose();
      const deadUnits: Record<string, number> = {};
      const weightNorms: Record<string, number> = {};
      const deadCount = activations ? relu.length : 0;
      for (let i = 0; i < deadCount; i++) deadUnits[seriesKey(relu[i]!.name)] = data[i]!;
      let total = 0;
      weighted.forEach((layer, index) => {
        const squares = data[deadCount + index]!;
        total += squares;
        weightNorms[seriesKey(layer.name)] = Math.sqrt(squares);
      });
      if (weighted.length > 0) weightNorms.global = Math.sqrt(total);
      return { deadUnits, weightNorms };
    },
    dispose() {
      probeX.dispose();
    },
  };
}

/** Metric keys are identifiers with dots as separators: "dense_Dense1" stays, "block.1" becomes "block_1". */
function seriesKey(name: string): string {
  return name.replace(/\./g, "_");
}

/**
 * The loss of always predicting the labels' mean (regression) or class prior (classification) on `y`: the number a
 * model that learned nothing reaches. Undefined for a loss this cannot mimic (a custom function).
 */
export function baselineLoss(tf: Tf, lossName: string | undefined, lossFunction: (yTrue: Tensor, yPred: Tensor) => Tensor, y: Tensor, classes: number | undefined): Promise<number> | undefined {
  if (lossName === undefined) return undefined;
  if (lossName === "sparseCategoricalCrossentropy" && classes === undefined) return undefined;
  const value = tf.tidy(() => {
    let prediction: Tensor;
    if (lossName === "sparseCategoricalCrossentropy") {
      const prior = tf.mean(tf.oneHot(tf.cast(tf.reshape(y, [-1]), "int32") as tfTypes.Tensor1D, classes!), 0);
      prediction = tf.mul(tf.onesLike(tf.reshape(y, [-1, 1])), tf.reshape(prior, [1, classes!]));
    } else {
      const mean = tf.mean(y, 0, true);
      // softmaxCrossEntropy takes logits: the prior's log is the constant logit vector that predicts it.
      const constant = lossName === "softmaxCrossEntropy" ? tf.log(tf.add(mean, 1e-7)) : mean;
      prediction = tf.mul(tf.onesLike(y), constant);
    }
    return tf.mean(lossFunction(y, prediction));
  });
  return value.data().then((data) => {
    value.dispose();
    return data[0]!;
  });
}
