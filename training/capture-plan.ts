// Decides how trainLoop runs its steps: through step capture and replay (training/webgpu/capture.ts) with the
// fused Adam on webgpu, or through plain tfjs minimize() — and, when not captured, says why in one line.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./backends/types.js";
import { createFusedAdam } from "./webgpu/fused-adam.js";

/** Adam given by name and settings (tf.train.adam's defaults where left out). */
export interface AdamConfig {
  name: "adam";
  learningRate?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** An optimizer object, or Adam by name or config (fused and capturable on webgpu). */
export type OptimizerSetting = tfTypes.Optimizer | "adam" | AdamConfig;

/** trainLoop's `capture` option: true (default) replays captured steps on webgpu when possible; false never. */
export type CaptureSetting = boolean;

export interface CapturePlan {
  optimizer: tfTypes.Optimizer;
  /** True when steps go through compileTrainStep; otherwise `why` says what stopped it. */
  capture: boolean;
  why: string;
  /** The optimizer was made here (from a name/config): dispose it when the loop ends. */
  ownsOptimizer: boolean;
}

const DEFAULT_ADAM_RATE = 0.001;

/** Layers that draw random numbers every step: a replayed step would reuse the recorded draw. */
const RANDOM_LAYERS = new Set(["Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout", "AlphaDropout"]);

interface LayerLike {
  name: string;
  getClassName(): string;
  layers?: LayerLike[];
}

function randomLayer(layers: LayerLike[]): LayerLike | undefined {
  for (const layer of layers) {
    if (RANDOM_LAYERS.has(layer.getClassName())) return layer;
    const inner = layer.layers ? randomLayer(layer.layers) : undefined;
    if (inner) return inner;
  }
  return undefined;
}

/** Fused twins of the user's tf.train.adam optimizers, so Adam's moments carry over between trainLoop calls. */
const fusedTwins = new WeakMap<tfTypes.Optimizer, tfTypes.Optimizer>();

function adamSettings(config: AdamConfig | tfTypes.serialization.ConfigDict): { learningRate: number; beta1?: number; beta2?: number; epsilon?: number } {
  const number = (value: unknown): number | undefined => (typeof value === "number" ? value : undefined);
  return { learningRate: number(config.learningRate) ?? DEFAULT_ADAM_RATE, beta1: number(config.beta1), beta2: number(config.beta2), epsilon: number(config.epsilon) };
}

function plainAdam(tf: Tf, config: AdamConfig | undefined): tfTypes.Optimizer {
  const settings = adamSettings(config ?? { name: "adam" });
  return tf.train.adam(settings.learningRate, settings.beta1, settings.beta2, settings.epsilon);
}

/**
 * Chooses the optimizer and whether to capture. `setting` is the caller's optimizer (a model's compiled one when
 * none was given); `model` is checked for layers that cannot be replayed.
 */
export function planCapture(tf: Tf, setting: OptimizerSetting | undefined, capture: CaptureSetting | undefined, model?: { layers: LayerLike[] }): CapturePlan {
  if (setting === undefined) {
    throw new Error("trainLoop: no optimizer. Pass `optimizer` (e.g. \"adam\" or tf.train.adam(0.001)), or compile the model with one.");
  }
  const byName = typeof setting === "string" || !(setting instanceof tf.Optimizer);
  if (byName && (typeof setting === "string" ? setting : setting.name) !== "adam") {
    throw new Error(`trainLoop: unknown optimizer ${JSON.stringify(setting)}. Pass "adam", { name: "adam", learningRate }, or an optimizer object such as tf.train.sgd(0.1).`);
  }
  const config = byName ? (typeof setting === "string" ? undefined : (setting as AdamConfig)) : undefined;
  const plain = (why: string): CapturePlan =>
    byName ? { optimizer: plainAdam(tf, config), capture: false, why, ownsOptimizer: true } : { optimizer: setting as tfTypes.Optimizer, capture: false, why, ownsOptimizer: false };

  if (capture === false) return plain("off: capture: false");
  // On by default again: the zero losses of replayed steps when one batch was a whole epoch (docs/bench/
  // gpu-h100-diag4.log) went with training on the data itself instead of a full-range slice; capture on and off agree
  // to 5e-6 on the H100 for 1, 2 and 3 batches per epoch and a partial last batch (docs/bench/gpu-h100-diag5.log).
  if (tf.getBackend() !== "webgpu") return plain(`off: step capture needs the webgpu backend (this is ${tf.getBackend()})`);
  if (process.env.LABNOTE_WEBGPU_SPEEDUPS === "0") return plain("off: labnote's webgpu speed-ups are off (LABNOTE_WEBGPU_SPEEDUPS=0)");
  const random = model ? randomLayer(model.layers) : undefined;
  if (random) return plain(`off: layer ${random.name} (${random.getClassName()}) draws random numbers each step, and a replayed step would repeat the recorded draw`);
  if (byName) return { optimizer: createFusedAdam(tf, adamSettings(config ?? { name: "adam" })), capture: true, why: "replay", ownsOptimizer: true };

  const optimizer = setting as tfTypes.Optimizer;
  const className = optimizer.getClassName();
  if (className === "LabnoteFusedAdam") return { optimizer, capture: true, why: "replay", ownsOptimizer: false };
  if (className === "Adam") {
    let twin = fusedTwins.get(optimizer);
    if (!twin) {
      twin = createFusedAdam(tf, adamSettings(optimizer.getConfig()));
      fusedTwins.set(optimizer, twin);
    }
    return { optimizer: twin, capture: true, why: "replay", ownsOptimizer: false };
  }
  return plain(`off: the ${className} optimizer replaces its variables every step; step capture needs Adam (tf.train.adam, adam(tf, …) or "adam")`);
}
