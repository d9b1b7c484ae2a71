// The one small interface every sampler implements (after Optuna's BaseSampler): a joint ("relative") proposal
// over the parameters every finished trial shared, and an independent draw for anything else (new or
// conditional parameters). Samplers always minimise; the study flips the sign for --mode max.
import { sameDistribution, type Distribution, type ParamValue } from "../space.js";

export type FinishedState = "complete" | "pruned" | "failed" | "running";

/** A trial as samplers see it: read-only, value already oriented for minimisation. */
export interface TrialHistory {
  number: number;
  state: FinishedState;
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  /** Objective oriented so that lower is better; null unless complete. */
  value: number | null;
  /** Last reported intermediate value (oriented), used for pruned trials. */
  lastIntermediate: { step: number; value: number } | null;
}

export interface SamplingContext {
  /** Study seed (already resolved: a random one when the user gave none). */
  seed: number;
  trialNumber: number;
  /** Trials known now, including running ones (state "running"). */
  history: readonly TrialHistory[];
}

export interface Sampler {
  readonly name: string;
  /** Joint proposal for the parameters of `space` (may return {} e.g. during start-up). */
  sampleRelative(context: SamplingContext, space: Record<string, Distribution>): Record<string, ParamValue>;
  /** One parameter on its own, when it was not in the relative proposal. */
  sampleIndependent(context: SamplingContext, name: string, distribution: Distribution): ParamValue;
}

/** Optuna's IntersectionSearchSpace: parameters with one fixed distribution in every completed trial. */
export function intersectionSearchSpace(history: readonly TrialHistory[]): Record<string, Distribution> {
  let space: Record<string, Distribution> | undefined;
  for (const trial of history) {
    if (trial.state !== "complete") continue;
    if (space === undefined) {
      space = { ...trial.distributions };
      continue;
    }
    for (const [name, distribution] of Object.entries(space)) {
      const other = trial.distributions[name];
      if (!sameDistribution(other, distribution)) delete space[name];
    }
  }
  return space ?? {};
}

export function completedTrials(history: readonly TrialHistory[]): TrialHistory[] {
  return history.filter((trial) => trial.state === "complete" && trial.value !== null && Number.isFinite(trial.value));
}
