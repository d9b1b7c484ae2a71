// Median stopping rule with Optuna's semantics: after `startupTrials` completed trials and `warmupSteps` steps,
// stop a trial whose best value so far is worse than the median of completed trials' values at the same step.
import type { Pruner, PrunerTrial } from "./types.js";

export interface MedianPrunerOptions {
  /** No pruning until this many trials have completed. */
  startupTrials?: number;
  /** No pruning of a trial before this step. */
  warmupSteps?: number;
  /** Only check every this many steps (counted from warmupSteps). */
  intervalSteps?: number;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export class MedianPruner implements Pruner {
  readonly name = "median";
  private readonly startupTrials: number;
  private readonly warmupSteps: number;
  private readonly intervalSteps: number;

  constructor(options: MedianPrunerOptions = {}) {
    this.startupTrials = options.startupTrials ?? 5;
    this.warmupSteps = options.warmupSteps ?? 0;
    this.intervalSteps = options.intervalSteps ?? 1;
  }

  shouldPrune(trial: PrunerTrial, others: readonly PrunerTrial[]): boolean {
    const last = trial.intermediate[trial.intermediate.length - 1];
    if (!last) return false;
    const completed = others.filter((other) => other.state === "complete" && other.number !== trial.number);
    if (completed.length < this.startupTrials) return false;
    if (last.step < this.warmupSteps) return false;
    if ((last.step - this.warmupSteps) % this.intervalSteps !== 0) return false;
    if (Number.isNaN(last.value)) return true;
    const atStep = completed
      .map((other) => other.intermediate.find((point) => point.step === last.step)?.value)
      .filter((value): value is number => value !== undefined && !Number.isNaN(value));
    if (atStep.length === 0) return false;
    const bestSoFar = Math.min(...trial.intermediate.map((point) => point.value).filter((value) => !Number.isNaN(value)));
    return bestSoFar > median(atStep);
  }
}
