// Asynchronous successive halving (ASHA), as Optuna's SuccessiveHalvingPruner: rung k sits at step
// minResource · reductionFactor^(minEarlyStoppingRate + k); a trial reaching a rung continues only if its value
// there is in the top 1/reductionFactor of all trials that reached that rung so far.
import type { Pruner, PrunerTrial } from "./types.js";

export interface SuccessiveHalvingOptions {
  /** Steps before the first rung. */
  minResource?: number;
  /** Keep the top 1/reductionFactor at every rung. */
  reductionFactor?: number;
  minEarlyStoppingRate?: number;
}

export class SuccessiveHalvingPruner implements Pruner {
  readonly name = "asha";
  private readonly minResource: number;
  private readonly reductionFactor: number;
  private readonly minEarlyStoppingRate: number;

  constructor(options: SuccessiveHalvingOptions = {}) {
    this.minResource = options.minResource ?? 1;
    this.reductionFactor = options.reductionFactor ?? 4;
    this.minEarlyStoppingRate = options.minEarlyStoppingRate ?? 0;
    if (!(this.minResource >= 1) || !(this.reductionFactor >= 2)) {
      throw new Error(`ASHA needs minResource ≥ 1 and reductionFactor ≥ 2 (got ${this.minResource}, ${this.reductionFactor}); use the defaults 1 and 4.`);
    }
  }

  rungStep(rung: number): number {
    return this.minResource * this.reductionFactor ** (this.minEarlyStoppingRate + rung);
  }

  /** The trial's value when it first reached the rung, or undefined if it has not reached it. */
  private valueAtRung(trial: PrunerTrial, rung: number): number | undefined {
    const step = this.rungStep(rung);
    return trial.intermediate.find((point) => point.step >= step)?.value;
  }

  shouldPrune(trial: PrunerTrial, others: readonly PrunerTrial[]): boolean {
    const last = trial.intermediate[trial.intermediate.length - 1];
    if (!last) return false;
    if (Number.isNaN(last.value)) return true;
    for (let rung = 0; this.rungStep(rung) <= last.step; rung++) {
      // Only the rung just crossed decides now; earlier rungs were decided when they were crossed.
      const previous = trial.intermediate.length >= 2 ? trial.intermediate[trial.intermediate.length - 2]!.step : -Infinity;
      if (previous >= this.rungStep(rung)) continue;
      const value = this.valueAtRung(trial, rung)!;
      const competing = others
        .filter((other) => other.number !== trial.number)
        .map((other) => this.valueAtRung(other, rung))
        .filter((v): v is number => v !== undefined && !Number.isNaN(v));
      competing.push(value);
      competing.sort((a, b) => a - b);
      const promotable = Math.max(0, Math.floor(competing.length / this.reductionFactor) - 1);
      if (value > competing[promotable]!) return true;
    }
    return false;
  }
}
