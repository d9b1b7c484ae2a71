// Gaussian-process Bayesian optimisation with (log) expected improvement. Start-up trials come from a Latin
// hypercube; then a GP (Matérn-5/2, ARD) on the unit-cube encoding (log parameters log-scaled, choices one-hot)
// proposes the point maximising log-EI, found by scoring random candidates, perturbed incumbents and incumbents with
// one or two coordinates redrawn, then refining the best few by local search. Cost stays bounded: hyperparameters are refitted on a geometric schedule (warm-started),
// and at most `maxPoints` trials (the best half and the most recent) enter the model, so per-trial time stops
// growing once a study is large.
import { createRandom, mixSeed, type Random } from "../rng.js";
import type { Distribution, ParamValue } from "../space.js";
import { SpaceEncoding } from "./encoding.js";
import { defaultHyperparameters, fitHyperparameters, GaussianProcess, type KernelHyperparameters } from "./gaussian-process.js";
import { logExpectedImprovement } from "./linalg.js";
import { sampleUniform } from "./random.js";
import { completedTrials, type Sampler, type SamplingContext, type TrialHistory } from "./types.js";

export interface GPSamplerOptions {
  /** Trials drawn from a Latin hypercube before the model is used. */
  startupTrials?: number;
  /** Most trials the model is fitted on (bounds the cost per trial). */
  maxPoints?: number;
  /** "auto": log-compress heavily right-skewed objective values before fitting. */
  outputWarping?: "auto" | "none";
}

const REFIT_EVERY_TRIAL_UNTIL = 16;
const REFIT_GROWTH = 1.3;

/** The size of the data set whose fit is used at n points: every n up to 16, then a geometric schedule. */
export function refitPoint(n: number): number {
  if (n <= REFIT_EVERY_TRIAL_UNTIL) return n;
  let threshold = REFIT_EVERY_TRIAL_UNTIL;
  while (Math.ceil(threshold * REFIT_GROWTH) <= n) threshold = Math.ceil(threshold * REFIT_GROWTH);
  return threshold;
}

export class GPSampler implements Sampler {
  readonly name = "gp";
  private readonly startupTrials: number;
  private readonly maxPoints: number;
  private readonly outputWarping: "auto" | "none";
  private readonly fits = new Map<string, KernelHyperparameters>();

  constructor(options: GPSamplerOptions = {}) {
    this.startupTrials = options.startupTrials ?? 10;
    this.maxPoints = options.maxPoints ?? 120;
    this.outputWarping = options.outputWarping ?? "auto";
  }

  sampleRelative(context: SamplingContext, space: Record<string, Distribution>): Record<string, ParamValue> {
    const names = Object.keys(space);
    if (names.length === 0) return {};
    const encoding = new SpaceEncoding(space);
    const usable = completedTrials(context.history).filter((trial) => names.every((name) => name in trial.params));
    if (usable.length < this.startupTrials) return {};
    const chosen = selectTrials(usable, this.maxPoints);
    const dimension = encoding.dimension;
    const count = chosen.length;
    const inputs = new Float64Array(count * dimension);
    chosen.forEach((trial, i) => encoding.encode(trial.params, inputs.subarray(i * dimension, (i + 1) * dimension)));
    const outputs = standardise(warpOutputs(chosen.map((trial) => trial.value!), this.outputWarping));

    const hyperparameters = this.hyperparametersFor(encoding, inputs, outputs, count, dimension);
    const pending = context.history.filter((trial) => trial.state === "running" && names.every((name) => name in trial.params));
    const model = withPendingTrials(encoding, inputs, outputs, count, dimension, hyperparameters, pending);
    if (!model) return {};
    let best = Infinity;
    for (const value of outputs) best = Math.min(best, value);
    const random = createRandom(mixSeed(context.seed, context.trialNumber, "gp"));
    const point = maximiseAcquisition(model, encoding, best, inputs, outputs, count, random);
    return encoding.decode(point);
  }

  sampleIndependent(context: SamplingContext, name: string, distribution: Distribution): ParamValue {
    const random = createRandom(mixSeed(context.seed, context.trialNumber, "gp-independent", name));
    if (context.trialNumber >= this.startupTrials) return sampleUniform(distribution, random.next());
    // Latin hypercube: each parameter visits every stratum once across the start-up trials, in its own seeded order.
    const order = createRandom(mixSeed(context.seed, "gp-lhs", name));
    const strata = Array.from({ length: this.startupTrials }, (_, i) => i);
    for (let i = strata.length - 1; i > 0; i--) {
      const j = order.int(i + 1);
      [strata[i], strata[j]] = [strata[j]!, strata[i]!];
    }
    return sampleUniform(distribution, (strata[context.trialNumber]! + random.next()) / this.startupTrials);
  }

  private hyperparametersFor(encoding: SpaceEncoding, inputs: Float64Array, outputs: Float64Array, count: number, dimension: number): KernelHyperparameters {
    const signature = JSON.stringify(encoding.axes.map((axis) => [axis.name, axis.distribution]));
    const fitAt = refitPoint(count);
    const key = `${signature}#${fitAt}`;
    const cached = this.fits.get(key);
    if (cached) return cached;
    let start = defaultHyperparameters(dimension);
    for (let previous = fitAt - 1; previous >= Math.max(1, fitAt - 40); previous--) {
      const earlier = this.fits.get(`${signature}#${previous}`);
      if (earlier) {
        start = earlier;
        break;
      }
    }
    const fitted = fitHyperparameters(inputs, outputs, fitAt, dimension, start, fitAt <= REFIT_EVERY_TRIAL_UNTIL ? 16 : 24);
    this.fits.set(key, fitted);
    return fitted;
  }
}

/** At most `limit` trials: the best half by value, then the most recent, ordered by trial number. */
function selectTrials(trials: TrialHistory[], limit: number): TrialHistory[] {
  const ordered = [...trials].sort((a, b) => a.number - b.number);
  if (ordered.length <= limit) return ordered;
  const keep = new Set<TrialHistory>([...ordered].sort((a, b) => a.value! - b.value! || a.number - b.number).slice(0, Math.floor(limit / 2)));
  for (let i = ordered.length - 1; i >= 0 && keep.size < limit; i--) keep.add(ordered[i]!);
  return ordered.filter((trial) => keep.has(trial));
}

/**
 * When the values have a heavy upper tail (skewness > 1, as in rosenbrock-like or loss-like objectives), compress it
 * so a few huge values do not flatten the model where the minimum is: y → log(1 + (y − min)/s), s = the median
 * distance to the minimum. Order-preserving; symmetric data are left alone.
 */
export function warpOutputs(values: number[], mode: "auto" | "none" = "auto"): number[] {
  if (mode === "none" || values.length < 3) return values;
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
  if (!(sd > 0)) return values;
  const skewness = values.reduce((a, b) => a + ((b - mean) / sd) ** 3, 0) / values.length;
  if (!(skewness > 1)) return values;
  let min = Infinity;
  for (const v of values) min = Math.min(min, v);
  const distances = values.map((v) => v - min).sort((a, b) => a - b);
  const scale = distances[Math.floor(distances.length / 2)]!;
  if (!(scale > 0)) return values;
  return values.map((v) => Math.log1p((v - min) / scale));
}

function standardise(values: number[]): Float64Array {
  const mean = values.reduce((sum, v) => sum + v, 0) / values.length;
  const variance = values.reduce((sum, v) => sum + (v - mean) ** 2, 0) / values.length;
  const sd = Math.sqrt(variance) || 1;
  return Float64Array.from(values, (v) => (v - mean) / sd);
}

/** Running trials enter the posterior at the data's mean value ("constant liar"), so parallel workers spread out. */
function withPendingTrials(
  encoding: SpaceEncoding,
  inputs: Float64Array,
  outputs: Float64Array,
  count: number,
  dimension: number,
  hyperparameters: KernelHyperparameters,
  pending: TrialHistory[],
): GaussianProcess | undefined {
  if (pending.length === 0) return GaussianProcess.fit(inputs, outputs, count, dimension, hyperparameters);
  const total = count + pending.length;
  const allInputs = new Float64Array(total * dimension);
  allInputs.set(inputs);
  const allOutputs = new Float64Array(total);
  allOutputs.set(outputs);
  pending.forEach((trial, i) => encoding.encode(trial.params, allInputs.subarray((count + i) * dimension, (count + i + 1) * dimension)));
  return GaussianProcess.fit(allInputs, allOutputs, total, dimension, hyperparameters) ?? GaussianProcess.fit(inputs, outputs, count, dimension, hyperparameters);
}

const RANDOM_CANDIDATES = 48;
const INCUMBENTS = 4;
const PERTURBATIONS_PER_INCUMBENT = 6;
const RESAMPLED_INCUMBENTS = 32;
const LOCAL_SEARCH_STARTS = 3;
const LOCAL_SEARCH_STEPS = 12;

function maximiseAcquisition(
  model: GaussianProcess,
  encoding: SpaceEncoding,
  best: number,
  inputs: Float64Array,
  outputs: Float64Array,
  count: number,
  random: Random,
): Float64Array {
  const dimension = encoding.dimension;
  const score = (point: Float64Array): number => {
    const mean = model.predictMean(encoding.canonical(point));
    return logExpectedImprovement(mean, model.lastSd, best);
  };
  const scored: { point: Float64Array; value: number }[] = [];
  for (let c = 0; c < RANDOM_CANDIDATES; c++) {
    const point = randomPoint(encoding, random);
    scored.push({ point, value: score(point) });
  }
  const incumbents = Array.from({ length: count }, (_, i) => i).sort((a, b) => outputs[a]! - outputs[b]!).slice(0, INCUMBENTS);
  for (const index of incumbents) {
    for (let p = 0; p < PERTURBATIONS_PER_INCUMBENT; p++) {
      const point = Float64Array.from(inputs.subarray(index * dimension, (index + 1) * dimension));
      perturb(encoding, point, p % 2 === 0 ? 0.1 : 0.02, random);
      scored.push({ point, value: score(point) });
    }
  }
  // Incumbents with one or two coordinates redrawn uniformly: reaches other basins along a few axes (separable structure).
  for (let r = 0; r < RESAMPLED_INCUMBENTS; r++) {
    const index = incumbents[r % incumbents.length]!;
    const point = Float64Array.from(inputs.subarray(index * dimension, (index + 1) * dimension));
    const fresh = randomPoint(encoding, random);
    const axes = encoding.axes;
    const redraw = 1 + random.int(Math.min(2, axes.length));
    for (let k = 0; k < redraw; k++) {
      const axis = axes[random.int(axes.length)]!;
      for (let i = 0; i < axis.width; i++) point[axis.offset + i] = fresh[axis.offset + i]!;
    }
    scored.push({ point, value: score(point) });
  }
  scored.sort((a, b) => b.value - a.value);
  let winner = scored[0]!;
  for (const start of scored.slice(0, LOCAL_SEARCH_STARTS)) {
    let current = start;
    let step = 0.05;
    for (let s = 0; s < LOCAL_SEARCH_STEPS; s++) {
      const point = Float64Array.from(current.point);
      perturb(encoding, point, step, random);
      const value = score(point);
      if (value > current.value) {
        current = { point, value };
        step = Math.min(0.2, step * 1.5);
      } else {
        step *= 0.7;
      }
    }
    if (current.value > winner.value) winner = current;
  }
  return encoding.canonical(winner.point);
}

function randomPoint(encoding: SpaceEncoding, random: Random): Float64Array {
  const point = new Float64Array(encoding.dimension);
  for (const axis of encoding.axes) {
    if (axis.distribution.type === "choice") point[axis.offset + random.int(axis.width)] = 1;
    else point[axis.offset] = random.next();
  }
  return point;
}

/** Gaussian moves on numeric axes (a random subset when many), occasional category switches. */
function perturb(encoding: SpaceEncoding, point: Float64Array, scale: number, random: Random): void {
  const axes = encoding.axes;
  const probability = Math.min(1, 2 / axes.length);
  let moved = false;
  for (let attempt = 0; attempt < 2 && !moved; attempt++) {
    for (const axis of axes) {
      if (random.next() > probability) continue;
      moved = true;
      if (axis.distribution.type === "choice") {
        for (let i = 0; i < axis.width; i++) point[axis.offset + i] = 0;
        point[axis.offset + random.int(axis.width)] = 1;
      } else {
        point[axis.offset] = Math.min(1, Math.max(0, point[axis.offset]! + scale * random.normal()));
      }
    }
  }
}
