// Tree-structured Parzen Estimator with Optuna 3.x defaults: 10 random start-up trials, γ(n) = min(⌈0.1n⌉, 25),
// older trials down-weighted past 25, a prior component, 24 candidates drawn from l(x) and the one maximising
// l(x)/g(x) kept. Independent mode models each parameter alone (bandwidths from neighbour gaps, magic clip);
// multivariate mode models the shared parameters jointly (Scott-like bandwidth 0.2·n^(−1/(d+4))). g(x) keeps the 250
// most recent trials above γ, so the cost per trial stops growing in long studies.
import { createRandom, mixSeed, type Random } from "../rng.js";
import { choiceIndex, fromUnit, sameDistribution, toUnit, type Distribution, type ParamValue } from "../space.js";
import { normalCdf } from "../../math/normal.js";
import { sampleUniform } from "./random.js";
import type { Sampler, SamplingContext, TrialHistory } from "./types.js";

export interface TPESamplerOptions {
  multivariate?: boolean;
  startupTrials?: number;
  candidates?: number;
  priorWeight?: number;
}

/** One axis of a mixture, flat over components: truncated normals on [0, 1], or per-component category log-probabilities. */
type AxisMixture =
  | { kind: "numeric"; means: Float64Array; sds: Float64Array; logNormalisers: Float64Array }
  | { kind: "choice"; categories: number; logProbabilities: Float64Array /* component-major */ };

interface Mixture {
  logWeights: Float64Array;
  axes: AxisMixture[];
}

interface ObservedPoint {
  /** Per axis: a unit-space number, or a choice index. */
  coordinates: number[];
  number: number;
}

export function gamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

export function trialWeights(n: number): number[] {
  if (n < 25) return Array<number>(n).fill(1);
  const ramp = n - 25;
  const weights: number[] = [];
  for (let i = 0; i < ramp; i++) weights.push(ramp === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (ramp - 1));
  return weights.concat(Array<number>(25).fill(1));
}

const SQRT2PI_LOG = 0.5 * Math.log(2 * Math.PI);

export class TPESampler implements Sampler {
  readonly name: string;
  private readonly multivariate: boolean;
  private readonly startupTrials: number;
  private readonly candidates: number;
  private readonly priorWeight: number;

  constructor(options: TPESamplerOptions = {}) {
    this.multivariate = options.multivariate ?? false;
    this.name = this.multivariate ? "tpe-multivariate" : "tpe";
    this.startupTrials = options.startupTrials ?? 10;
    this.candidates = options.candidates ?? 24;
    this.priorWeight = options.priorWeight ?? 1;
  }

  sampleRelative(context: SamplingContext, space: Record<string, Distribution>): Record<string, ParamValue> {
    const names = Object.keys(space).sort();
    if (!this.multivariate || names.length === 0) return {};
    const random = createRandom(mixSeed(context.seed, context.trialNumber, "tpe-relative"));
    return this.sample(context, names.map((name) => [name, space[name]!]), random) ?? {};
  }

  sampleIndependent(context: SamplingContext, name: string, distribution: Distribution): ParamValue {
    const random = createRandom(mixSeed(context.seed, context.trialNumber, "tpe", name));
    return this.sample(context, [[name, distribution]], random)?.[name] ?? sampleUniform(distribution, random.next());
  }

  private sample(context: SamplingContext, axes: [string, Distribution][], random: Random): Record<string, ParamValue> | undefined {
    const relevant = context.history.filter(
      (trial) => (trial.state === "complete" || trial.state === "pruned") && axes.every(([name, d]) => name in trial.params && sameDistribution(trial.distributions[name], d)),
    );
    const complete = relevant.filter((trial) => trial.state === "complete" && trial.value !== null && Number.isFinite(trial.value));
    if (complete.length < this.startupTrials) return undefined;
    const { below, above } = splitTrials(relevant);
    const encode = (trial: TrialHistory): ObservedPoint => ({
      number: trial.number,
      coordinates: axes.map(([name, d]) => (d.type === "choice" ? choiceIndex(d, trial.params[name]!) : toUnit(d, trial.params[name] as number))),
    });
    const distributions = axes.map(([, d]) => d);
    const l = this.mixture(below.map(encode), distributions);
    const g = this.mixture(above.map(encode), distributions);
    let bestPoint: number[] | undefined;
    let bestScore = -Infinity;
    const lTerms = new Float64Array(l.logWeights.length);
    const gTerms = new Float64Array(g.logWeights.length);
    for (let c = 0; c < this.candidates; c++) {
      const point = drawFrom(l, distributions, random);
      const score = logDensity(l, point, lTerms) - logDensity(g, point, gTerms);
      if (score > bestScore) {
        bestScore = score;
        bestPoint = point;
      }
    }
    if (!bestPoint) return undefined;
    const proposal: Record<string, ParamValue> = {};
    axes.forEach(([name, d], i) => {
      proposal[name] = d.type === "choice" ? d.choices[bestPoint![i]!]! : fromUnit(d, bestPoint![i]!);
    });
    return proposal;
  }

  private mixture(points: ObservedPoint[], distributions: Distribution[]): Mixture {
    const sorted = [...points].sort((a, b) => a.number - b.number);
    const weights = [...trialWeights(sorted.length), this.priorWeight];
    const total = weights.reduce((sum, w) => sum + w, 0);
    const logWeights = Float64Array.from(weights, (w) => Math.log(w / total));
    const components = weights.length;
    const dimension = distributions.length;
    const axes = distributions.map((distribution, axis): AxisMixture => {
      if (distribution.type === "choice") {
        const k = distribution.choices.length;
        const logProbabilities = new Float64Array(components * k).fill(-Math.log(k));
        const observedShare = Math.log(1 + this.priorWeight);
        sorted.forEach((point, i) => {
          // Each observation: prior mass spread over the k options plus 1 on its own option, normalised.
          for (let c = 0; c < k; c++) logProbabilities[i * k + c] = Math.log(this.priorWeight / k) - observedShare;
          logProbabilities[i * k + point.coordinates[axis]!] = Math.log(this.priorWeight / k + 1) - observedShare;
        });
        return { kind: "choice", categories: k, logProbabilities };
      }
      const means = new Float64Array(components);
      sorted.forEach((point, i) => (means[i] = point.coordinates[axis]!));
      means[components - 1] = 0.5;
      const observed = Array.from(means.subarray(0, sorted.length));
      const bandwidths = this.multivariate ? observed.map(() => 0.2 * Math.max(sorted.length, 1) ** (-1 / (dimension + 4))) : neighbourBandwidths(observed);
      const sds = new Float64Array(components);
      bandwidths.forEach((sd, i) => (sds[i] = sd));
      sds[components - 1] = 1;
      const logNormalisers = Float64Array.from(means, (mean, i) => numericLogNormaliser(mean, sds[i]!));
      return { kind: "numeric", means, sds, logNormalisers };
    });
    return { logWeights, axes };
  }
}

/** Best γ(n) complete trials below; the other complete trials and the pruned ones (worse than any complete) above. */
function splitTrials(trials: TrialHistory[]): { below: TrialHistory[]; above: TrialHistory[] } {
  const complete = trials.filter((t) => t.state === "complete" && t.value !== null).sort((a, b) => a.value! - b.value! || a.number - b.number);
  const pruned = trials.filter((t) => t.state === "pruned");
  const count = gamma(complete.length + pruned.length);
  const above = [...complete.slice(count), ...pruned].sort((a, b) => a.number - b.number);
  // Older trials get weights ramping towards 1/n anyway; keeping the most recent ones bounds the cost per trial.
  return { below: complete.slice(0, count), above: above.slice(Math.max(0, above.length - MAX_ABOVE)) };
}

/** Most trials in the "above γ" density g(x). */
const MAX_ABOVE = 250;

/** Optuna's univariate bandwidth: the larger gap to a neighbour (prior at 0.5 included), clipped to [1/min(100, n+2), 1]. */
function neighbourBandwidths(means: number[]): number[] {
  const withPrior = [...means, 0.5];
  const order = withPrior.map((_, i) => i).sort((a, b) => withPrior[a]! - withPrior[b]!);
  const sds = new Array<number>(withPrior.length);
  order.forEach((index, rank) => {
    const value = withPrior[index]!;
    const left = rank > 0 ? value - withPrior[order[rank - 1]!]! : undefined;
    const right = rank < order.length - 1 ? withPrior[order[rank + 1]!]! - value : undefined;
    sds[index] = Math.max(left ?? right ?? 1, right ?? left ?? 1);
  });
  const minimum = 1 / Math.min(100, withPrior.length + 1);
  return sds.slice(0, means.length).map((sd) => Math.min(1, Math.max(minimum, sd)));
}

function numericLogNormaliser(mean: number, sd: number): number {
  const mass = normalCdf((1 - mean) / sd) - normalCdf((0 - mean) / sd);
  return -Math.log(Math.max(mass, 1e-12)) - Math.log(sd) - SQRT2PI_LOG;
}

function logDensity(mixture: Mixture, point: number[], terms: Float64Array): number {
  terms.set(mixture.logWeights);
  mixture.axes.forEach((axis, index) => {
    const x = point[index]!;
    if (axis.kind === "choice") {
      for (let k = 0; k < terms.length; k++) terms[k]! += axis.logProbabilities[k * axis.categories + x]!;
      return;
    }
    const { means, sds, logNormalisers } = axis;
    for (let k = 0; k < terms.length; k++) {
      const z = (x - means[k]!) / sds[k]!;
      terms[k]! += logNormalisers[k]! - 0.5 * z * z;
    }
  });
  let max = -Infinity;
  for (let k = 0; k < terms.length; k++) if (terms[k]! > max) max = terms[k]!;
  if (max === -Infinity) return max;
  let sum = 0;
  for (let k = 0; k < terms.length; k++) sum += Math.exp(terms[k]! - max);
  return max + Math.log(sum);
}

function drawFrom(mixture: Mixture, distributions: Distribution[], random: Random): number[] {
  let u = random.next();
  let component = mixture.logWeights.length - 1;
  for (let k = 0; k < mixture.logWeights.length; k++) {
    u -= Math.exp(mixture.logWeights[k]!);
    if (u <= 0) {
      component = k;
      break;
    }
  }
  return mixture.axes.map((axis, index) => {
    if (axis.kind === "choice") {
      let v = random.next();
      for (let c = 0; c < axis.categories; c++) {
        v -= Math.exp(axis.logProbabilities[component * axis.categories + c]!);
        if (v <= 0) return c;
      }
      return axis.categories - 1;
    }
    // Truncated normal on [0, 1] by rejection (falls back to clipping when the mass inside is tiny).
    const mean = axis.means[component]!;
    const sd = axis.sds[component]!;
    for (let attempt = 0; attempt < 100; attempt++) {
      const x = mean + sd * random.normal();
      if (x >= 0 && x <= 1) return snapUnit(distributions[index]!, x);
    }
    return snapUnit(distributions[index]!, Math.min(1, Math.max(0, mean)));
  });
}

/** Candidates for discrete parameters are scored where they will actually land. */
function snapUnit(distribution: Distribution, unit: number): number {
  if (distribution.type === "choice" || (distribution.type === "float" && distribution.step === null)) return unit;
  return toUnit(distribution, fromUnit(distribution, unit));
}
