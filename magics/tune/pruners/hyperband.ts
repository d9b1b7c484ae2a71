// Hyperband, as Optuna's HyperbandPruner: several successive-halving brackets that trade how many trials start
// against how early they may be stopped. Bracket s stops trials no earlier than minResource·η^s steps; trials are
// assigned to brackets deterministically by number (weighted by each bracket's budget) and compete only with the
// trials of their own bracket. maxResource "auto" is the last step of the first trial to complete.
import { SuccessiveHalvingPruner } from "./asha.js";
import type { Pruner, PrunerTrial } from "./types.js";

export interface HyperbandOptions {
  /** Steps before the earliest rung (default 1). */
  minResource?: number;
  /** The most steps a trial runs; "auto" (default): the last step of the first trial that completes. */
  maxResource?: number | "auto";
  /** η: each rung keeps the top 1/η (default 3). */
  reductionFactor?: number;
}

/** A stable integer hash of a trial number (brackets must not depend on which process asks). */
function mixTrialNumber(number: number): number {
  let hash = (number + 0x9e3779b9) >>> 0;
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b) >>> 0;
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35) >>> 0;
  return (hash ^ (hash >>> 16)) >>> 0;
}

export class HyperbandPruner implements Pruner {
  readonly name = "hyperband";
  private readonly minResource: number;
  private readonly reductionFactor: number;
  private maxResource: number | undefined;
  private brackets: SuccessiveHalvingPruner[] = [];
  /** Cumulative trial budgets of the brackets, for assigning a trial number to one. */
  private cumulativeBudget: number[] = [];

  constructor(options: HyperbandOptions = {}) {
    this.minResource = options.minResource ?? 1;
    this.reductionFactor = options.reductionFactor ?? 3;
    if (!(Number.isInteger(this.minResource) && this.minResource >= 1) || !(this.reductionFactor >= 2)) {
      throw new Error(`Hyperband needs an integer minResource ≥ 1 and reductionFactor ≥ 2 (got ${this.minResource}, ${this.reductionFactor}); use the defaults 1 and 3.`);
    }
    const maxResource = options.maxResource ?? "auto";
    if (maxResource !== "auto") {
      if (!(Number.isInteger(maxResource) && maxResource >= this.minResource)) {
        throw new Error(`Hyperband's maxResource must be an integer ≥ minResource (${this.minResource}) or "auto", got ${String(maxResource)}.`);
      }
      this.configure(maxResource);
    }
  }

  /** How many brackets: ⌊log_η(max / min)⌋ + 1. */
  get bracketCount(): number {
    return this.brackets.length;
  }

  private configure(maxResource: number): void {
    this.maxResource = maxResource;
    // A small epsilon keeps exact powers (e.g. 27 / 1 with η = 3) from rounding down.
    const count = Math.floor(Math.log(maxResource / this.minResource) / Math.log(this.reductionFactor) + 1e-9) + 1;
    this.brackets = Array.from({ length: count }, (_, index) => new SuccessiveHalvingPruner({ minResource: this.minResource, reductionFactor: this.reductionFactor, minEarlyStoppingRate: index }));
    let total = 0;
    this.cumulativeBudget = this.brackets.map((_, index) => {
      // Optuna's allocation: bracket s (most aggressive first) gets ⌈n·η^(n-1-s) / (n-s)⌉ of every cycle of trials.
      const s = count - 1 - index;
      total += Math.ceil((count * this.reductionFactor ** s) / (s + 1));
      return total;
    });
  }

  /** The bracket (0 = stops earliest) of a trial number; undefined until maxResource is known. */
  bracketOf(trialNumber: number): number | undefined {
    if (this.maxResource === undefined) return undefined;
    const total = this.cumulativeBudget[this.cumulativeBudget.length - 1]!;
    const slot = mixTrialNumber(trialNumber) % total;
    return this.cumulativeBudget.findIndex((limit) => slot < limit);
  }

  shouldPrune(trial: PrunerTrial, others: readonly PrunerTrial[]): boolean {
    const last = trial.intermediate[trial.intermediate.length - 1];
    if (!last) return false;
    if (Number.isNaN(last.value)) return true;
    if (this.maxResource === undefined) {
      const completed = others.find((other) => other.state === "complete" && other.intermediate.length > 0);
      if (!completed) return false; // "auto": nothing is pruned until one trial has run its full length
      this.configure(Math.max(this.minResource, completed.intermediate[completed.intermediate.length - 1]!.step));
    }
    const bracket = this.bracketOf(trial.number)!;
    const peers = others.filter((other) => other.number !== trial.number && this.bracketOf(other.number) === bracket);
    return this.brackets[bracket]!.shouldPrune(trial, peers);
  }
}
