// Define-by-run search spaces: the distributions a trial can sample from, their validation (with errors that
// say how to fix the call), and the mapping between parameter values and the unit interval samplers work in.
import type { JSONObject } from "../../kernel/types.js";

export type ChoiceValue = string | number | boolean | null;
export type ParamValue = number | ChoiceValue;

export interface FloatDistribution {
  type: "float";
  low: number;
  high: number;
  log: boolean;
  step: number | null;
}
export interface IntDistribution {
  type: "int";
  low: number;
  high: number;
  log: boolean;
  step: number;
}
export interface ChoiceDistribution {
  type: "choice";
  choices: ChoiceValue[];
}
export type Distribution = FloatDistribution | IntDistribution | ChoiceDistribution;
export type NumericDistribution = FloatDistribution | IntDistribution;

/** A mistake in a trial.float/int/choice call; it fails the trial with this message and the study goes on. */
export class SearchSpaceError extends Error {
  override readonly name = "SearchSpaceError";
}

export interface NumericOptions {
  log?: boolean;
  step?: number;
}

export function floatDistribution(name: string, low: number, high: number, options: NumericOptions = {}): FloatDistribution {
  const log = options.log ?? false;
  const step = options.step ?? null;
  checkNumericRange(name, "float", low, high, log);
  if (step !== null) {
    if (log) throw new SearchSpaceError(`trial.float("${name}"): step and log cannot be combined; drop one of them.`);
    if (!(step > 0) || !Number.isFinite(step)) throw new SearchSpaceError(`trial.float("${name}"): step must be a positive number, got ${step}.`);
  }
  return { type: "float", low, high, log, step };
}

export function intDistribution(name: string, low: number, high: number, options: NumericOptions = {}): IntDistribution {
  const log = options.log ?? false;
  const step = options.step ?? 1;
  if (!Number.isInteger(low) || !Number.isInteger(high)) {
    throw new SearchSpaceError(`trial.int("${name}", ${low}, ${high}): bounds must be integers; use trial.float for real values.`);
  }
  checkNumericRange(name, "int", low, high, log);
  if (!Number.isInteger(step) || step < 1) throw new SearchSpaceError(`trial.int("${name}"): step must be a positive integer, got ${step}.`);
  if (log && step !== 1) throw new SearchSpaceError(`trial.int("${name}"): step and log cannot be combined; drop one of them.`);
  return { type: "int", low, high, log, step };
}

export function choiceDistribution(name: string, choices: readonly ChoiceValue[]): ChoiceDistribution {
  if (!Array.isArray(choices) || choices.length === 0) {
    throw new SearchSpaceError(`trial.choice("${name}"): the list of options is empty; give at least two options.`);
  }
  if (choices.length === 1) {
    throw new SearchSpaceError(
      `trial.choice("${name}", [${JSON.stringify(choices[0])}]): a choice of one is not a search; use the value directly or add options.`,
    );
  }
  for (const choice of choices) {
    const kind = typeof choice;
    if (choice !== null && kind !== "string" && kind !== "number" && kind !== "boolean") {
      throw new SearchSpaceError(`trial.choice("${name}"): options must be strings, numbers, booleans or null (got ${kind}); choose an index or a name instead.`);
    }
  }
  if (new Set(choices.map((c) => JSON.stringify(c))).size !== choices.length) {
    throw new SearchSpaceError(`trial.choice("${name}"): options contain duplicates; list each option once.`);
  }
  return { type: "choice", choices: [...choices] };
}

function checkNumericRange(name: string, kind: string, low: number, high: number, log: boolean): void {
  const call = `trial.${kind}("${name}", ${low}, ${high}${log ? ", { log: true }" : ""})`;
  if (!Number.isFinite(low) || !Number.isFinite(high)) throw new SearchSpaceError(`${call}: bounds must be finite numbers.`);
  if (!(low < high)) throw new SearchSpaceError(`${call}: the range is empty (low must be below high); swap or widen the bounds.`);
  if (log && low <= 0) throw new SearchSpaceError(`${call}: a log range needs low > 0; use a positive lower bound such as 1e-5, or drop log.`);
}

/** Field-by-field equality (hot: samplers compare every stored trial's distributions on every trial). */
export function sameDistribution(a: Distribution | undefined, b: Distribution | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.type !== b.type) return false;
  if (a.type === "choice") {
    const other = (b as ChoiceDistribution).choices;
    return a.choices.length === other.length && a.choices.every((choice, i) => choice === other[i]);
  }
  const n = b as NumericDistribution;
  return a.low === n.low && a.high === n.high && a.log === n.log && a.step === n.step;
}

/** Number of distinct values (Infinity for a continuous float). */
export function cardinality(distribution: Distribution): number {
  if (distribution.type === "choice") return distribution.choices.length;
  if (distribution.type === "float" && distribution.step === null) return Infinity;
  const step = distribution.step ?? 1;
  if (distribution.log) return distribution.high - distribution.low + 1;
  return Math.floor((distribution.high - distribution.low) / step + 1e-9) + 1;
}

/** Numeric value → [0, 1] (log-scaled when log). Ints span half a step beyond each end so every value gets equal mass. */
export function toUnit(distribution: NumericDistribution, value: number): number {
  const [low, high] = unitBounds(distribution);
  const x = distribution.log ? Math.log(value) : value;
  return Math.min(1, Math.max(0, (x - low) / (high - low)));
}

/** [0, 1] → a valid value of the distribution (rounded to its step, clipped to its bounds). */
export function fromUnit(distribution: NumericDistribution, unit: number): number {
  const [low, high] = unitBounds(distribution);
  const u = Math.min(1, Math.max(0, unit));
  const x = low + u * (high - low);
  const raw = distribution.log ? Math.exp(x) : x;
  return snap(distribution, raw);
}

export function snap(distribution: NumericDistribution, raw: number): number {
  const { low, high } = distribution;
  if (distribution.type === "int") {
    const step = distribution.step;
    const snapped = low + Math.round((raw - low) / step) * step;
    return Math.min(high - ((high - low) % step), Math.max(low, snapped));
  }
  if (distribution.step !== null) {
    const step = distribution.step;
    const snapped = low + Math.round((raw - low) / step) * step;
    const top = low + Math.floor((high - low) / step + 1e-9) * step;
    return Number(Math.min(top, Math.max(low, snapped)).toPrecision(15));
  }
  return Math.min(high, Math.max(low, raw));
}

function unitBounds(distribution: NumericDistribution): [number, number] {
  const pad = distribution.type === "int" ? (distribution.log ? 0.5 : distribution.step / 2) : 0;
  const low = distribution.low - pad;
  const high = distribution.high + pad;
  return distribution.log ? [Math.log(low), Math.log(high)] : [low, high];
}

export function choiceIndex(distribution: ChoiceDistribution, value: ParamValue): number {
  const direct = distribution.choices.indexOf(value as ChoiceValue);
  if (direct >= 0) return direct;
  const key = JSON.stringify(value);
  return distribution.choices.findIndex((choice) => JSON.stringify(choice) === key);
}

export function isValidValue(distribution: Distribution, value: ParamValue): boolean {
  if (distribution.type === "choice") return choiceIndex(distribution, value) >= 0;
  return typeof value === "number" && value >= distribution.low && value <= distribution.high;
}

export function distributionToJSON(distribution: Distribution): JSONObject {
  return { ...distribution } as unknown as JSONObject;
}

export function distributionFromJSON(json: unknown): Distribution {
  const value = json as Distribution;
  if (value && (value.type === "float" || value.type === "int" || value.type === "choice")) return value;
  throw new Error(`Stored distribution is not understood: ${JSON.stringify(json)}; the study was written by another version.`);
}
