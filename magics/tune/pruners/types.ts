// The interface every pruner implements: given the current trial's reported values and the other trials, stop it now?
// Values are oriented for minimisation (the study flips them for --mode max).

export interface IntermediateValue {
  step: number;
  value: number;
}

export interface PrunerTrial {
  number: number;
  state: "running" | "complete" | "pruned" | "failed";
  /** Sorted by step. */
  intermediate: IntermediateValue[];
}

export interface Pruner {
  readonly name: string;
  /** `trial.intermediate` ends with the value just reported. */
  shouldPrune(trial: PrunerTrial, others: readonly PrunerTrial[]): boolean;
}

export class NopPruner implements Pruner {
  readonly name = "none";
  shouldPrune(): boolean {
    return false;
  }
}
