// Gradient norms, clipping and the learning rate for trainLoop. A measured step goes through computeGradients →
// (clip) → applyGradients instead of minimize(); its norms stay on the device as one small tensor, read back with
// the losses, so measuring costs no extra device→host round trip.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./backends/types.js";

type Tensor = tfTypes.Tensor;
type Scalar = tfTypes.Scalar;

/** Steps between gradient-norm measurements by default: a measured step costs about one more step, so ~1%. */
export const DEFAULT_GRADIENT_NORM_EVERY = 100;

export interface ClipOptions {
  /** Scale all gradients down so their global L2 norm is at most this (torch.nn.utils.clip_grad_norm_). */
  clipNorm?: number;
  /** Clip every gradient element to [-clipValue, clipValue] (applied before clipNorm when both are set). */
  clipValue?: number;
}

/** Names each trainable variable's group for per-layer norms: its layer in a model, else the variable itself. */
export type GroupOf = (variableName: string) => string;

interface LayerLike {
  name: string;
  trainableWeights: ReadonlyArray<{ name: string }>;
}

function metricName(name: string): string {
  return name.replace(/[^\w-]+/g, "_");
}

export function layerGroups(model: { layers: readonly LayerLike[] }): GroupOf {
  const layerOf = new Map<string, string>();
  for (const layer of model.layers) for (const weight of layer.trainableWeights) layerOf.set(weight.name, metricName(layer.name));
  return (variableName) => layerOf.get(variableName) ?? metricName(variableName);
}

export const variableGroups: GroupOf = (variableName) => metricName(variableName);

export function checkClipOptions(options: ClipOptions): void {
  for (const key of ["clipNorm", "clipValue"] as const) {
    const value = options[key];
    if (value !== undefined && !(typeof value === "number" && value > 0 && Number.isFinite(value))) {
      throw new Error(`trainLoop: ${key} must be a positive number; got ${String(value)}.`);
    }
  }
}

/** The norms of one measured step, on the device until read back: [before clipping, after clipping, ...per group]. */
export interface MeasuredNorms {
  step: number;
  norms: Tensor;
  groups: string[];
}

export interface GradientStepResult {
  loss: Scalar;
  measured?: Omit<MeasuredNorms, "step">;
}

/** One optimizer step through explicit gradients: clipped when asked, norms measured when asked. */
export function gradientStep(tf: Tf, optimizer: tfTypes.Optimizer, lossFn: () => Scalar, varList: tfTypes.Variable[] | undefined, options: ClipOptions & { measure: boolean; groupOf: GroupOf }): GradientStepResult {
  let groups: string[] = [];
  const kept = tf.tidy(() => {
    const { value, grads } = optimizer.computeGradients(lossFn, varList);
    const names = Object.keys(grads);
    const sumOfSquares = (gradients: Tensor[]) => gradients.map((gradient) => tf.sum(tf.square(gradient)));
    const globalNorm = (squares: Tensor[]) => tf.sqrt(tf.addN(squares)) as Scalar;
    const raw = names.map((name) => grads[name]!);
    const rawSquares = sumOfSquares(raw);
    const before = globalNorm(rawSquares);
    let clipped = raw;
    if (options.clipValue !== undefined) clipped = clipped.map((gradient) => tf.clipByValue(gradient, -options.clipValue!, options.clipValue!));
    if (options.clipNorm !== undefined) {
      const norm = options.clipValue !== undefined ? globalNorm(sumOfSquares(clipped)) : before;
      const scale = tf.div(options.clipNorm, tf.maximum(norm, options.clipNorm));
      clipped = clipped.map((gradient) => tf.mul(gradient, scale));
    }
    optimizer.applyGradients(Object.fromEntries(names.map((name, index) => [name, clipped[index]!])));
    if (!options.measure) return [value];
    const clipping = options.clipNorm !== undefined || options.clipValue !== undefined;
    const after = clipping ? globalNorm(sumOfSquares(clipped)) : before;
    // Per group (layer): the norm over its variables' raw gradients.
    const byGroup = new Map<string, Tensor[]>();
    names.forEach((name, index) => {
      const group = options.groupOf(name);
      byGroup.set(group, [...(byGroup.get(group) ?? []), rawSquares[index]!]);
    });
    groups = [...byGroup.keys()];
    return [value, tf.stack([before, after, ...[...byGroup.values()].map(globalNorm)])];
  });
  const [loss, norms] = kept as [Scalar, Tensor | undefined];
  return { loss, ...(norms ? { measured: { norms, groups } } : {}) };
}

/** The optimizer's learning rate when it exposes a number (SGD, Adam, RMSProp, … and labnote's fused Adam). */
export function learningRateOf(optimizer: tfTypes.Optimizer): number | undefined {
  const rate = (optimizer as unknown as { learningRate?: unknown }).learningRate;
  return typeof rate === "number" && Number.isFinite(rate) ? rate : undefined;
}

/** Sets the learning rate for the next step (a schedule): SGD keeps it in a tensor set through setLearningRate. */
export function setLearningRate(optimizer: tfTypes.Optimizer, rate: number): void {
  const target = optimizer as unknown as { setLearningRate?: (rate: number) => void; learningRate?: number };
  if (typeof target.setLearningRate === "function") target.setLearningRate(rate);
  else target.learningRate = rate;
}

/** What trainLoop logs from measured norms, per step: train.grad_norm (and _clipped) for the detectors, per layer under "gradients". */
export function normMetrics(values: ArrayLike<number>, groups: readonly string[], clipping: boolean): { train: Record<string, number>; gradients: Record<string, number> } {
  const train: Record<string, number> = { grad_norm: values[0]! };
  if (clipping) train.grad_norm_clipped = values[1]!;
  const gradients: Record<string, number> = { global: values[0]! };
  groups.forEach((group, index) => (gradients[group] = values[2 + index]!));
  return { train, gradients };
}
