// The Parzen estimator behind TPE (after Optuna 3.1's _ParzenEstimator): a weighted mixture with one kernel per
// observed trial plus a prior kernel, over the unit cube. Numeric axes use truncated normals on [0, 1] (int and
// stepped axes: the kernel's mass over the value's cell); choice axes use per-kernel category probabilities.
import { normalCdf } from "../../math/normal.js";
import type { Random } from "../rng.js";
import { fromUnit, toUnit, type Distribution } from "../space.js";

export interface ParzenParameters {
  /** Weight of the prior kernel (mean 0.5, sd 1 in unit space; uniform over choices); 0 leaves it out. */
  priorWeight: number;
  /** Kernel sd floor of 1/min(100, kernels + 1) (hyperopt's "magic clip"); otherwise 1e-12. */
  magicClip: boolean;
  /** The outermost observations take the gap to the bound as a candidate sd, not only the gap to their neighbour. */
  considerEndpoints: boolean;
  /**
   * "neighbour": each kernel's sd per axis from its gaps to the neighbouring observations (Optuna's univariate
   * rule); "scott": one sd for every kernel, 0.2·n^(−1/(d+4)) (Optuna's multivariate rule).
   */
  bandwidth: "neighbour" | "scott";
  /**
   * Each continuous kernel's density is multiplied by σ^widthPower on every axis. Optuna 3.1's truncated-normal
   * log-pdf leaves out the 1/σ term, which is widthPower 1: isolated points, points near the edges and the prior
   * count for more than a tight cluster, and its TPE finds better values for it on every bench:tune function.
   * 0 gives a true density. labnote's joint TPE uses 1/d over d axes, which is the same in one dimension and
   * keeps d-dimensional kernels' weights from spreading by orders of magnitude.
   */
  widthPower: number;
}

export const DEFAULT_PARZEN_PARAMETERS: ParzenParameters = {
  priorWeight: 1,
  magicClip: true,
  considerEndpoints: false,
  bandwidth: "neighbour",
  widthPower: 1,
};

/** One axis of a mixture, flat over kernels. */
export type ParzenAxis =
  | {
      kind: "numeric";
      means: Float64Array;
      sds: Float64Array;
      /** log of each kernel's mass inside [0, 1]. */
      logMassInside: Float64Array;
      /** Half the width of a value's cell in unit space (int / stepped floats); 0 for continuous floats. */
      halfCell: number;
      distribution: Distribution;
    }
  | { kind: "choice"; categories: number; logProbabilities: Float64Array /* kernel-major */ };

export interface ParzenEstimator {
  logWeights: Float64Array;
  axes: ParzenAxis[];
  widthPower: number;
}

/** Optuna's default_weights: 1 for the 25 most recent, a linear ramp from 1/n up to 1 for older ones. */
export function trialWeights(n: number): number[] {
  if (n < 25) return Array<number>(n).fill(1);
  const ramp = n - 25;
  const weights: number[] = [];
  for (let i = 0; i < ramp; i++) weights.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  return weights.concat(Array<number>(25).fill(1));
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const EPS = 1e-12;

/**
 * @param observations per observation (oldest first), per axis: a unit-space number or a choice index.
 */
export function buildParzenEstimator(observations: number[][], distributions: Distribution[], parameters: ParzenParameters): ParzenEstimator {
  const n = observations.length;
  const priorWeight = n === 0 ? Math.max(parameters.priorWeight, 1) : parameters.priorWeight;
  const withPrior = priorWeight > 0;
  const weights = [...trialWeights(n), ...(withPrior ? [priorWeight] : [])];
  const total = weights.reduce((sum, w) => sum + w, 0);
  const logWeights = Float64Array.from(weights, (w) => Math.log(w / total));
  const kernels = weights.length;
  const axes = distributions.map((distribution, axis): ParzenAxis => {
    const column = observations.map((point) => point[axis]!);
    if (distribution.type === "choice") return choiceAxis(column, distribution.choices.length, kernels, priorWeight);
    const means = Float64Array.from(withPrior ? [...column, 0.5] : column);
    const sds = parameters.bandwidth === "scott"
      ? new Float64Array(kernels).fill(0.2 * Math.max(n, 1) ** (-1 / (distributions.length + 4)))
      : Float64Array.from(neighbourBandwidths(Array.from(means), parameters.considerEndpoints));
    const minimum = parameters.magicClip ? 1 / Math.min(100, kernels + 1) : EPS;
    for (let k = 0; k < kernels; k++) sds[k] = Math.min(1, Math.max(minimum, sds[k]!));
    if (withPrior) sds[kernels - 1] = 1;
    const logMassInside = Float64Array.from(means, (mean, k) => logGaussMass(-mean / sds[k]!, (1 - mean) / sds[k]!));
    return { kind: "numeric", means, sds, logMassInside, halfCell: halfCellWidth(distribution), distribution };
  });
  return { logWeights, axes, widthPower: parameters.widthPower };
}

/** Optuna's categorical kernel: priorWeight/(n+1) on every category, +1 on the observed one, normalised; the prior kernel is uniform. */
function choiceAxis(observed: number[], categories: number, kernels: number, priorWeight: number): ParzenAxis {
  const n = observed.length;
  const base = priorWeight / (kernels === n ? Math.max(n, 1) : n + 1);
  const logProbabilities = new Float64Array(kernels * categories);
  for (let k = 0; k < kernels; k++) {
    const hit = k < n ? observed[k]! : -1;
    const rowTotal = base * categories + (hit >= 0 ? 1 : 0);
    for (let c = 0; c < categories; c++) logProbabilities[k * categories + c] = Math.log((base + (c === hit ? 1 : 0)) / rowTotal);
  }
  return { kind: "choice", categories, logProbabilities };
}

/**
 * Optuna's univariate bandwidth: each kernel's sd is the larger gap to its neighbours among the sorted means with
 * the bounds 0 and 1 as outer neighbours; without considerEndpoints the outermost two take their inner gap only.
 */
export function neighbourBandwidths(means: number[], considerEndpoints: boolean): number[] {
  const order = means.map((_, i) => i).sort((a, b) => means[a]! - means[b]!);
  const sorted = [0, ...order.map((i) => means[i]!), 1];
  const sds = new Array<number>(means.length);
  order.forEach((index, rank) => {
    const at = rank + 1;
    sds[index] = Math.max(sorted[at]! - sorted[at - 1]!, sorted[at + 1]! - sorted[at]!);
  });
  if (!considerEndpoints && means.length >= 2) {
    sds[order[0]!] = sorted[2]! - sorted[1]!;
    sds[order[order.length - 1]!] = sorted[sorted.length - 2]! - sorted[sorted.length - 3]!;
  }
  return sds;
}

/** Half a value's cell in unit space: ints and stepped floats are scored by the kernel's mass over their cell. */
function halfCellWidth(distribution: Distribution): number {
  if (distribution.type === "choice" || distribution.log) return 0;
  if (distribution.type === "float" && distribution.step === null) return 0;
  const step = distribution.step!;
  return step / 2 / (distribution.high - distribution.low + step);
}

/** log(Φ(b) − Φ(a)) for a < b, computed on the side of 0 where the difference does not cancel. */
export function logGaussMass(a: number, b: number): number {
  const mass = a >= 0 ? normalCdf(-a) - normalCdf(-b) : b <= 0 ? normalCdf(b) - normalCdf(a) : 1 - normalCdf(a) - normalCdf(-b);
  return Math.log(Math.max(mass, 1e-300));
}

/** log density of the mixture at one point (numeric axes in unit space, choices as indices). */
export function logDensity(estimator: ParzenEstimator, point: number[], terms = new Float64Array(estimator.logWeights.length)): number {
  terms.set(estimator.logWeights);
  const count = terms.length;
  estimator.axes.forEach((axis, index) => {
    const x = point[index]!;
    if (axis.kind === "choice") {
      for (let k = 0; k < count; k++) terms[k]! += axis.logProbabilities[k * axis.categories + x]!;
      return;
    }
    const { means, sds, logMassInside, halfCell } = axis;
    if (halfCell > 0) {
      const low = Math.max(0, x - halfCell);
      const high = Math.min(1, x + halfCell);
      for (let k = 0; k < count; k++) terms[k]! += logGaussMass((low - means[k]!) / sds[k]!, (high - means[k]!) / sds[k]!) - logMassInside[k]!;
      return;
    }
    const logSdFactor = 1 - estimator.widthPower;
    for (let k = 0; k < count; k++) {
      const z = (x - means[k]!) / sds[k]!;
      terms[k]! += -0.5 * z * z - LOG_SQRT_2PI - logMassInside[k]! - logSdFactor * Math.log(sds[k]!);
    }
  });
  let max = -Infinity;
  for (let k = 0; k < count; k++) if (terms[k]! > max) max = terms[k]!;
  if (max === -Infinity) return max;
  let sum = 0;
  for (let k = 0; k < count; k++) sum += Math.exp(terms[k]! - max);
  return max + Math.log(sum);
}

/** One draw: a kernel by weight, then each axis from that kernel (numeric values land where the parameter will). */
export function drawFrom(estimator: ParzenEstimator, random: Random): number[] {
  let u = random.next();
  let kernel = estimator.logWeights.length - 1;
  for (let k = 0; k < estimator.logWeights.length; k++) {
    u -= Math.exp(estimator.logWeights[k]!);
    if (u <= 0) {
      kernel = k;
      break;
    }
  }
  return estimator.axes.map((axis) => {
    if (axis.kind === "choice") {
      let v = random.next();
      for (let c = 0; c < axis.categories; c++) {
        v -= Math.exp(axis.logProbabilities[kernel * axis.categories + c]!);
        if (v <= 0) return c;
      }
      return axis.categories - 1;
    }
    return snapUnit(axis.distribution, truncatedNormal(axis.means[kernel]!, axis.sds[kernel]!, random));
  });
}

/** A normal draw restricted to [0, 1] by rejection: means lie in [0, 1] and sds are at most 1, so ≥ 34% is accepted. */
function truncatedNormal(mean: number, sd: number, random: Random): number {
  for (;;) {
    const x = mean + sd * random.normal();
    if (x >= 0 && x <= 1) return x;
  }
}

/** Candidates for discrete parameters are scored where they will actually land. */
function snapUnit(distribution: Distribution, unit: number): number {
  if (distribution.type === "choice" || (distribution.type === "float" && distribution.step === null)) return unit;
  return toUnit(distribution, fromUnit(distribution, unit));
}
