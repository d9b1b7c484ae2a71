// Axis and scale choices that keep charts readable whatever the data: whole-number axes (step, epoch, trial) without
// fractional ticks, and constant series (a learning rate of 0.001) on a padded axis labelled with their value
// instead of a degenerate domain Vega labels "0". Pure functions over the values a panel shows.

export interface ValueRange {
  min: number;
  max: number;
  /** Finite values seen. */
  count: number;
  allIntegers: boolean;
}

/** The finite values' range, or undefined when there is none. */
export function rangeOf(values: Iterable<number | null | undefined>): ValueRange | undefined {
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  let allIntegers = true;
  for (const value of values) {
    if (value === null || value === undefined || !Number.isFinite(value)) continue;
    count++;
    if (value < min) min = value;
    if (value > max) max = value;
    if (allIntegers && !Number.isInteger(value)) allIntegers = false;
  }
  return count === 0 ? undefined : { min, max, count, allIntegers };
}

/** Whether a range is one value (up to floating-point noise): Vega would give it a zero-width domain. */
export function isConstant(range: ValueRange): boolean {
  return range.max - range.min <= Math.abs(range.max) * 1e-12;
}

/** Up to this many whole numbers, a step axis lists each of them as a tick (Vega's tickMinStep alone does not hold). */
const MAX_LISTED_STEPS = 10;
/** The same for a value axis, which is shorter (and system panels shorter still). */
const MAX_LISTED_VALUES = 5;

/** Ticks for whole-number values: every whole number over a short span, else at least 1 apart. */
function wholeNumberTicks(range: ValueRange, maxListed: number): Record<string, unknown> {
  const span = range.max - range.min;
  if (span <= maxListed) return { values: Array.from({ length: span + 1 }, (_, i) => range.min + i), format: "d" };
  return { tickMinStep: 1, format: "d" };
}

/** Axis properties for a counting axis (step, epoch, trial): whole-number ticks when every value is whole. */
export function countAxis(range: ValueRange | undefined): Record<string, unknown> {
  return range?.allIntegers ? wholeNumberTicks(range, MAX_LISTED_STEPS) : {};
}

/** Scale and axis for a value axis: not forced to include zero; a constant gets a padded domain and one tick at its value. */
export function valueScaleAndAxis(range: ValueRange | undefined): { scale: Record<string, unknown>; axis: Record<string, unknown> } {
  if (!range) return { scale: { zero: false }, axis: {} };
  if (isConstant(range)) {
    const value = range.max;
    const half = value === 0 ? 1 : Math.abs(value) / 2;
    return { scale: { zero: false, nice: false, domain: [value - half, value + half] }, axis: { values: [value], format: ".6~g" } };
  }
  return { scale: { zero: false }, axis: range.allIntegers ? wholeNumberTicks(range, MAX_LISTED_VALUES) : {} };
}

/** A number as a person reads it on a chart label: up to `digits` significant digits, no trailing zeros. */
export function readableNumber(value: number, digits = 4): string {
  if (!Number.isFinite(value)) return String(value);
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-4)) return value.toExponential(Math.max(0, digits - 2)).replace(/\.?0+e/, "e");
  return String(Number(value.toPrecision(digits)));
}
