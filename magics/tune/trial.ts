// The Trial a %%tune body (or an objective function) receives: define-by-run parameters, intermediate reports
// for pruning, and the trial's identity. Parameters are sampled on first use and fixed afterwards.
import {
  choiceDistribution,
  floatDistribution,
  intDistribution,
  isValidValue,
  sameDistribution,
  SearchSpaceError,
  type ChoiceValue,
  type Distribution,
  type NumericOptions,
  type ParamValue,
} from "./space.js";

/** Thrown by `trial.prune()` (or whenever the body decides to stop): the trial ends as pruned, not failed. */
export class TrialPruned extends Error {
  override readonly name = "TrialPruned";
  constructor(message = "pruned") {
    super(message);
  }
}

/** What a Trial needs from its study: sampling, pruning decisions and persistence of reports. */
export interface TrialHost {
  sample(trial: Trial, name: string, distribution: Distribution): ParamValue;
  shouldPrune(trial: Trial): boolean;
  report(trial: Trial, step: number, value: number): void;
}

export class Trial {
  readonly params: Record<string, ParamValue> = {};
  readonly distributions: Record<string, Distribution> = {};
  readonly intermediate: { step: number; value: number }[] = [];
  /** The tracked run of this trial, when the track library is present. */
  runId: string | null = null;

  constructor(
    /** 0-based, unique in the study. */
    readonly number: number,
    readonly studyName: string,
    private readonly host: TrialHost,
  ) {}

  /** A real number in [low, high]; `log: true` samples on a log scale, `step` makes it discrete. */
  float(name: string, low: number, high: number, options: NumericOptions = {}): number {
    return this.suggest(name, floatDistribution(name, low, high, options)) as number;
  }

  /** An integer in [low, high] (inclusive). */
  int(name: string, low: number, high: number, options: NumericOptions = {}): number {
    return this.suggest(name, intDistribution(name, low, high, options)) as number;
  }

  /** One of `options`. */
  choice<T extends ChoiceValue>(name: string, options: readonly T[]): T {
    return this.suggest(name, choiceDistribution(name, options)) as T;
  }

  /** Records the objective's value at a step (an epoch) so the pruner can compare trials. */
  report(value: number, step: number): void {
    if (typeof value !== "number") throw new TypeError(`trial.report(value, step): value must be a number, got ${typeof value}.`);
    if (!Number.isInteger(step) || step < 0) throw new TypeError(`trial.report(value, step): step must be a non-negative integer, got ${step}.`);
    const existing = this.intermediate.findIndex((point) => point.step === step);
    if (existing >= 0) this.intermediate.splice(existing, 1);
    this.intermediate.push({ step, value });
    this.intermediate.sort((a, b) => a.step - b.step);
    this.host.report(this, step, value);
  }

  /** True when the pruner says this trial is unpromising; then `throw trial.prune()` or return early. */
  shouldPrune(): boolean {
    return this.host.shouldPrune(this);
  }

  /** An error to throw to end the trial as pruned: `if (trial.shouldPrune()) throw trial.prune();` */
  prune(message?: string): TrialPruned {
    const last = this.intermediate[this.intermediate.length - 1];
    return new TrialPruned(message ?? (last ? `pruned at step ${last.step} (value ${last.value})` : "pruned"));
  }

  private suggest(name: string, distribution: Distribution): ParamValue {
    const known = this.distributions[name];
    if (known) {
      if (!sameDistribution(known, distribution)) {
        throw new SearchSpaceError(`Parameter "${name}" was already defined in this trial with another range; give each distinct parameter its own name.`);
      }
      return this.params[name]!;
    }
    const value = this.host.sample(this, name, distribution);
    if (!isValidValue(distribution, value)) throw new Error(`Sampler returned ${JSON.stringify(value)} for "${name}", outside its range (a labnote bug; please report it).`);
    this.distributions[name] = distribution;
    this.params[name] = value;
    return value;
  }
}
