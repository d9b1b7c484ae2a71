// A Gaussian-process regression model: Matérn-5/2 kernel with one lengthscale per input (ARD), signal variance
// and noise, hyperparameters by maximum marginal likelihood (with weak log-normal priors) found by a cheap
// coordinate pattern search. Inputs live in the unit cube; outputs are standardised by the caller.
import { choleskyInPlace, solveLower, solveUpperTransposed } from "./linalg.js";

export interface KernelHyperparameters {
  logLengthscales: Float64Array;
  logSignalVariance: number;
  logNoiseVariance: number;
}

const SQRT5 = Math.sqrt(5);
const MIN_LOG_NOISE = Math.log(1e-6);

export function defaultHyperparameters(dimension: number): KernelHyperparameters {
  return { logLengthscales: new Float64Array(dimension).fill(Math.log(0.5)), logSignalVariance: 0, logNoiseVariance: Math.log(1e-3) };
}

function matern52(squaredScaledDistance: number, signalVariance: number): number {
  const r = Math.sqrt(squaredScaledDistance);
  return signalVariance * (1 + SQRT5 * r + (5 / 3) * squaredScaledDistance) * Math.exp(-SQRT5 * r);
}

export class GaussianProcess {
  private readonly lower: Float64Array;
  private readonly alpha: Float64Array;
  private readonly inverseLengthscales: Float64Array;
  private readonly scaledInputs: Float64Array;
  private readonly scaledPoint: Float64Array;
  private readonly inverseDiagonal: Float64Array;
  private readonly signalVariance: number;
  private readonly scratch: Float64Array;
  private readonly kernelColumn: Float64Array;
  readonly logMarginalLikelihood: number;

  private constructor(
    inputs: Float64Array,
    readonly count: number,
    readonly dimension: number,
    hyperparameters: KernelHyperparameters,
    lower: Float64Array,
    alpha: Float64Array,
    logMarginalLikelihood: number,
  ) {
    this.lower = lower;
    this.alpha = alpha;
    this.inverseLengthscales = hyperparameters.logLengthscales.map((l) => Math.exp(-l));
    this.scaledInputs = new Float64Array(count * dimension);
    for (let i = 0; i < count; i++) for (let d = 0; d < dimension; d++) this.scaledInputs[i * dimension + d] = inputs[i * dimension + d]! * this.inverseLengthscales[d]!;
    this.scaledPoint = new Float64Array(dimension);
    this.inverseDiagonal = new Float64Array(count);
    for (let i = 0; i < count; i++) this.inverseDiagonal[i] = 1 / lower[i * count + i]!;
    this.signalVariance = Math.exp(hyperparameters.logSignalVariance);
    this.scratch = new Float64Array(count);
    this.kernelColumn = new Float64Array(count);
    this.logMarginalLikelihood = logMarginalLikelihood;
  }

  /** Fits the model (one Cholesky); undefined when the kernel matrix is numerically singular even with jitter. */
  static fit(
    inputs: Float64Array,
    outputs: Float64Array,
    count: number,
    dimension: number,
    hyperparameters: KernelHyperparameters,
    squaredDifferences = pairwiseSquaredDifferences(inputs, count, dimension),
  ): GaussianProcess | undefined {
    const inverseSquared = hyperparameters.logLengthscales.map((l) => Math.exp(-2 * l));
    const signal = Math.exp(hyperparameters.logSignalVariance);
    const noise = Math.exp(Math.max(hyperparameters.logNoiseVariance, MIN_LOG_NOISE));
    for (let jitter = 0; jitter < 4; jitter++) {
      const matrix = new Float64Array(count * count);
      let pair = 0;
      for (let i = 0; i < count; i++) {
        for (let j = 0; j < i; j++) {
          let squared = 0;
          for (let d = 0; d < dimension; d++) squared += squaredDifferences[pair++]! * inverseSquared[d]!;
          const value = matern52(squared, signal);
          matrix[i * count + j] = value;
          matrix[j * count + i] = value;
        }
        matrix[i * count + i] = signal + noise * Math.pow(10, jitter * 2);
      }
      if (!choleskyInPlace(matrix, count)) continue;
      const temp = solveLower(matrix, count, outputs, new Float64Array(count));
      const alpha = solveUpperTransposed(matrix, count, temp, new Float64Array(count));
      let logDeterminantHalf = 0;
      let quadratic = 0;
      for (let i = 0; i < count; i++) {
        logDeterminantHalf += Math.log(matrix[i * count + i]!);
        quadratic += temp[i]! * temp[i]!;
      }
      const logLikelihood = -0.5 * quadratic - logDeterminantHalf - 0.5 * count * Math.log(2 * Math.PI);
      return new GaussianProcess(inputs, count, dimension, hyperparameters, matrix, alpha, logLikelihood);
    }
    return undefined;
  }

  /** Posterior mean and standard deviation at one point. */
  predict(point: Float64Array): { mean: number; sd: number } {
    const mean = this.predictMean(point);
    return { mean, sd: this.lastSd };
  }

  /** Standard deviation of the last predictMean call (avoids an allocation per candidate in the hot loop). */
  lastSd = 0;

  /** Posterior mean at `point`; its standard deviation is left in `lastSd`. Hot path of the acquisition search. */
  predictMean(point: Float64Array): number {
    const { count, dimension, scaledInputs, kernelColumn, lower, inverseDiagonal, scratch, scaledPoint } = this;
    const signal = this.signalVariance;
    for (let d = 0; d < dimension; d++) scaledPoint[d] = point[d]! * this.inverseLengthscales[d]!;
    let mean = 0;
    let explained = 0;
    for (let i = 0; i < count; i++) {
      let squared = 0;
      const row = i * dimension;
      for (let d = 0; d < dimension; d++) {
        const diff = scaledInputs[row + d]! - scaledPoint[d]!;
        squared += diff * diff;
      }
      const r = Math.sqrt(squared);
      const k = signal * (1 + SQRT5 * r + (5 / 3) * squared) * Math.exp(-SQRT5 * r);
      kernelColumn[i] = k;
      mean += k * this.alpha[i]!;
      // Forward substitution L v = k, fused: v_i needs only k_i and earlier v.
      const lowerRow = i * count;
      let sum = k;
      for (let j = 0; j < i; j++) sum -= lower[lowerRow + j]! * scratch[j]!;
      const v = sum * inverseDiagonal[i]!;
      scratch[i] = v;
      explained += v * v;
    }
    this.lastSd = Math.sqrt(Math.max(signal - explained, 1e-12));
    return mean;
  }
}

/** (xᵢ_d − xⱼ_d)² for every pair j < i, dimension-major within a pair: computed once per hyperparameter search. */
export function pairwiseSquaredDifferences(inputs: Float64Array, count: number, dimension: number): Float64Array {
  const out = new Float64Array((count * (count - 1) / 2) * dimension);
  let pair = 0;
  for (let i = 0; i < count; i++) {
    for (let j = 0; j < i; j++) {
      for (let d = 0; d < dimension; d++) {
        const diff = inputs[i * dimension + d]! - inputs[j * dimension + d]!;
        out[pair++] = diff * diff;
      }
    }
  }
  return out;
}

/** Weak log-normal priors keep lengthscales, signal and noise in sensible ranges when data are few. */
function logPrior(hyperparameters: KernelHyperparameters): number {
  let total = 0;
  for (const l of hyperparameters.logLengthscales) total -= ((l - Math.log(0.5)) ** 2) / (2 * 1.5 ** 2);
  total -= hyperparameters.logSignalVariance ** 2 / (2 * 1.0 ** 2);
  total -= ((hyperparameters.logNoiseVariance - Math.log(1e-3)) ** 2) / (2 * 3 ** 2);
  return total;
}

function copyHyperparameters(h: KernelHyperparameters): KernelHyperparameters {
  return { logLengthscales: Float64Array.from(h.logLengthscales), logSignalVariance: h.logSignalVariance, logNoiseVariance: h.logNoiseVariance };
}

const BOUNDS = { lengthscale: [Math.log(0.01), Math.log(20)], signal: [Math.log(0.05), Math.log(20)], noise: [MIN_LOG_NOISE, Math.log(2)] } as const;

/**
 * Maximum a-posteriori hyperparameters by coordinate pattern search: try ±step on each coordinate, keep
 * improvements, halve the step when a sweep finds none. About `maxEvaluations` Cholesky factorisations.
 */
export function fitHyperparameters(inputs: Float64Array, outputs: Float64Array, count: number, dimension: number, start: KernelHyperparameters, maxEvaluations: number): KernelHyperparameters {
  const differences = pairwiseSquaredDifferences(inputs, count, dimension);
  const score = (h: KernelHyperparameters): number => {
    const model = GaussianProcess.fit(inputs, outputs, count, dimension, h, differences);
    return model ? model.logMarginalLikelihood + logPrior(h) : -Infinity;
  };
  let best = copyHyperparameters(start);
  let bestScore = score(best);
  let evaluations = 1;
  let step = 1;
  const coordinates = dimension + 2;
  const get = (h: KernelHyperparameters, c: number): number => (c < dimension ? h.logLengthscales[c]! : c === dimension ? h.logSignalVariance : h.logNoiseVariance);
  const set = (h: KernelHyperparameters, c: number, value: number): void => {
    const [low, high] = c < dimension ? BOUNDS.lengthscale : c === dimension ? BOUNDS.signal : BOUNDS.noise;
    const clipped = Math.min(high, Math.max(low, value));
    if (c < dimension) h.logLengthscales[c] = clipped;
    else if (c === dimension) h.logSignalVariance = clipped;
    else h.logNoiseVariance = clipped;
  };
  while (evaluations < maxEvaluations && step > 0.05) {
    let improved = false;
    for (let c = 0; c < coordinates && evaluations < maxEvaluations; c++) {
      for (const direction of [1, -1]) {
        const candidate = copyHyperparameters(best);
        const stepHere = c === dimension + 1 ? step * 2 : step;
        set(candidate, c, get(best, c) + direction * stepHere);
        if (get(candidate, c) === get(best, c)) continue;
        const candidateScore = score(candidate);
        evaluations++;
        if (candidateScore > bestScore) {
          best = candidate;
          bestScore = candidateScore;
          improved = true;
          break;
        }
      }
    }
    if (!improved) step /= 2;
  }
  return best;
}
