// Tree-structured Parzen Estimator with Optuna 3.1's defaults and details, and by default (joint) one model over the
// parameters every trial shares instead of one per parameter (measured better on every bench:tune function).
// Optuna's details: 10 random start-up trials; γ(n) = min(⌈0.1n⌉, 25) best trials in l(x), the rest (pruned ones
// after every complete one) in g(x); older trials ramped down past 25; a prior kernel; 24 candidates drawn from l(x),
// the one maximising l(x)/g(x) kept. The estimators (bandwidths, magic clip, endpoints, kernels) live in
// parzen-estimator.ts. g(x) keeps the 250 most recent trials above γ, so the cost per trial stops growing.
// constantLiar: trials still running join g(x) as if they were the worst, so parallel workers spread out.
import { createRandom, mixSeed, type Random } from "../rng.js";
import { choiceIndex, fromUnit, sameDistribution, toUnit, type Distribution, type ParamValue } from "../space.js";
import { buildParzenEstimator, DEFAULT_PARZEN_PARAMETERS, drawFrom, logDensity, type ParzenParameters } from "./parzen-estimator.js";
import { sampleUniform } from "./random.js";
import type { Sampler, SamplingContext, TrialHistory } from "./types.js";

export interface TPESamplerOptions extends Partial<Pick<ParzenParameters, "priorWeight" | "magicClip" | "considerEndpoints">> {
  /** Optuna's multivariate TPE: the shared parameters modelled jointly with one Scott-rule sd for every kernel. */
  multivariate?: boolean;
  /**
   * labnote's default: the shared parameters modelled jointly (a candidate takes every coordinate from one good
   * trial's kernel), each kernel keeping per-axis sds from neighbour gaps, weighted by their geometric mean.
   * false: Optuna 3.1's independent TPE, one parameter at a time. Ignored with multivariate.
   */
  joint?: boolean;
  startupTrials?: number;
  candidates?: number;
  /** Running trials count as the worst observations (in g(x)), so parallel trials do not all propose one point. */
  constantLiar?: boolean;
  /** How many of n observations form l(x); Optuna's default min(⌈0.1n⌉, 25). */
  gamma?: (n: number) => number;
}

export function gamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

export class TPESampler implements Sampler {
  readonly name: string;
  /** Whether sampleRelative models the shared parameters together (joint or multivariate). */
  private readonly relative: boolean;
  private readonly multivariate: boolean;
  private readonly startupTrials: number;
  private readonly candidates: number;
  private readonly constantLiar: boolean;
  private readonly gamma: (n: number) => number;
  private readonly parzen: ParzenParameters;

  constructor(options: TPESamplerOptions = {}) {
    this.multivariate = options.multivariate ?? false;
    this.relative = this.multivariate || (options.joint ?? true);
    this.name = this.multivariate ? "tpe-multivariate" : "tpe";
    this.startupTrials = options.startupTrials ?? 10;
    this.candidates = options.candidates ?? 24;
    this.constantLiar = options.constantLiar ?? false;
    this.gamma = options.gamma ?? gamma;
    this.parzen = {
      priorWeight: options.priorWeight ?? DEFAULT_PARZEN_PARAMETERS.priorWeight,
      magicClip: options.magicClip ?? DEFAULT_PARZEN_PARAMETERS.magicClip,
      considerEndpoints: options.considerEndpoints ?? DEFAULT_PARZEN_PARAMETERS.considerEndpoints,
      bandwidth: this.multivariate ? "scott" : "neighbour",
      widthPower: 1,
    };
  }

  sampleRelative(context: SamplingContext, space: Record<string, Distribution>): Record<string, ParamValue> {
    const names = Object.keys(space).sort();
    if (!this.relative || names.length === 0) return {};
    const random = createRandom(mixSeed(context.seed, context.trialNumber, "tpe-relative"));
    return this.sample(context, names.map((name) => [name, space[name]!]), random) ?? {};
  }

  sampleIndependent(context: SamplingContext, name: string, distribution: Distribution): ParamValue {
    const random = createRandom(mixSeed(context.seed, context.trialNumber, "tpe", name));
    return this.sample(context, [[name, distribution]], random)?.[name] ?? sampleUniform(distribution, random.next());
  }

  private sample(context: SamplingContext, axes: [string, Distribution][], random: Random): Record<string, ParamValue> | undefined {
    const split = splitTrials(context.history, this.gamma, this.constantLiar);
    if (split.finished < this.startupTrials) return undefined;
    // As Optuna: split over every finished trial, then keep those that sampled these parameters from these ranges.
    const has = (trial: TrialHistory): boolean => axes.every(([name, d]) => name in trial.params && sameDistribution(trial.distributions[name], d));
    const encode = (trial: TrialHistory): number[] =>
      axes.map(([name, d]) => (d.type === "choice" ? choiceIndex(d, trial.params[name]!) : toUnit(d, trial.params[name] as number)));
    const distributions = axes.map(([, d]) => d);
    // Joint kernels weigh by the geometric mean of their sds (Optuna's σ weighting, per axis, in one dimension).
    const parzen = this.multivariate ? this.parzen : { ...this.parzen, widthPower: 1 / axes.length };
    const below = buildParzenEstimator(split.below.filter(has).map(encode), distributions, parzen);
    const above = buildParzenEstimator(split.above.filter(has).map(encode), distributions, parzen);
    let bestPoint: number[] | undefined;
    let bestScore = -Infinity;
    const belowTerms = new Float64Array(below.logWeights.length);
    const aboveTerms = new Float64Array(above.logWeights.length);
    for (let c = 0; c < this.candidates; c++) {
      const point = drawFrom(below, random);
      const score = logDensity(below, point, belowTerms) - logDensity(above, point, aboveTerms);
      if (bestPoint === undefined || score > bestScore) {
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
}

/**
 * Optuna's ranking: complete trials by value, then pruned ones (more steps first, then their last value; none
 * reported last), then — with the constant liar — running ones. The best γ(n) form l(x), n counting finished
 * trials only. Both halves come back oldest first, as the weights' ramp expects.
 */
export function splitTrials(
  history: readonly TrialHistory[],
  gammaOf: (n: number) => number = gamma,
  constantLiar = false,
): { below: TrialHistory[]; above: TrialHistory[]; finished: number } {
  const complete = history.filter((t) => t.state === "complete" && t.value !== null && Number.isFinite(t.value));
  complete.sort((a, b) => a.value! - b.value! || a.number - b.number);
  const pruned = history.filter((t) => t.state === "pruned");
  pruned.sort((a, b) => {
    const stepA = a.lastIntermediate?.step ?? -Infinity;
    const stepB = b.lastIntermediate?.step ?? -Infinity;
    if (stepA !== stepB) return stepB - stepA;
    const valueA = a.lastIntermediate && Number.isFinite(a.lastIntermediate.value) ? a.lastIntermediate.value : Infinity;
    const valueB = b.lastIntermediate && Number.isFinite(b.lastIntermediate.value) ? b.lastIntermediate.value : Infinity;
    return valueA - valueB || a.number - b.number;
  });
  const running = constantLiar ? history.filter((t) => t.state === "running") : [];
  const ranked = [...complete, ...pruned, ...running];
  const finished = complete.length + pruned.length;
  const count = Math.min(gammaOf(finished), ranked.length);
  const byNumber = (a: TrialHistory, b: TrialHistory): number => a.number - b.number;
  const above = ranked.slice(count).sort(byNumber);
  // Old trials weigh little under the ramp anyway; keeping the most recent ones bounds the cost per trial.
  return { below: ranked.slice(0, count).sort(byNumber), above: above.slice(Math.max(0, above.length - MAX_ABOVE)), finished };
}

/** Most trials in g(x) (only studies past ~275 trials reach it). */
const MAX_ABOVE = 250;
