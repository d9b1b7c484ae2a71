// Anomaly detectors: pure functions over a series (values oldest → newest) that say whether something looks wrong.
// The run calls them at most a few times a second (never per log call) and warns once per kind.

export interface Anomaly {
  kind:
    | "non-finite"
    | "flat-loss"
    | "exploding-gradient"
    | "vanishing-gradient"
    | "overfitting"
    | "underfitting"
    | "tensor-leak"
    | "throughput-collapse"
    | "dead-units"
    | "unstable-weights"
    | "memory-pressure";
  /** Index (in the series passed) where the anomaly shows. */
  index: number;
  message: string;
}

function median(values: ArrayLike<number>, start: number, end: number): number {
  const copy = Array.prototype.slice.call(values, start, end).filter(Number.isFinite) as number[];
  if (copy.length === 0) return NaN;
  copy.sort((a, b) => a - b);
  const middle = copy.length >> 1;
  return copy.length % 2 ? copy[middle] : (copy[middle - 1] + copy[middle]) / 2;
}

/** First NaN or ±Infinity from `from` on, or -1. */
export function findNonFinite(values: ArrayLike<number>, length: number = values.length, from = 0): number {
  for (let i = from; i < length; i++) {
    const value = values[i];
    if (value !== value || value === Infinity || value === -Infinity) return i;
  }
  return -1;
}

export interface FlatOptions {
  /** Points in the window. */
  window?: number;
  /** (max − min) / max(|mean|, 1e-12) below this counts as flat. */
  relativeTolerance?: number;
}

/** Loss flat over the last `window` points: training has stalled (dead learning rate, frozen weights, saturated units). */
export function detectFlat(values: ArrayLike<number>, length: number = values.length, options: FlatOptions = {}): boolean {
  const window = options.window ?? 100;
  const tolerance = options.relativeTolerance ?? 1e-6;
  if (length < window) return false;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = length - window; i < length; i++) {
    const value = values[i];
    if (!Number.isFinite(value)) return false;
    if (value < min) min = value;
    if (value > max) max = value;
    sum += value;
  }
  const mean = sum / window;
  return (max - min) / Math.max(Math.abs(mean), 1e-12) < tolerance;
}

export interface GradientOptions {
  /** Earlier points whose median is the reference. */
  window?: number;
  /** Latest norm above factor × median explodes… */
  explodeFactor?: number;
  /**
   * …when it is also above the median of the run's first `startWindow` norms (its scale at initialisation): a bump
   * after the norms have converged towards 0 (Adam once the loss is ~0) that stays below where training started is
   * not an explosion.
   */
  startWindow?: number;
  /** Latest norm above this always explodes. */
  explodeAbsolute?: number;
  /** This many latest norms all below `vanishAbsolute` vanish. */
  vanishCount?: number;
  vanishAbsolute?: number;
}

/**
 * Exploding (huge, or a sudden jump above both the recent median and the run's starting scale) or vanishing (≈0 for
 * several steps) gradient norms.
 */
export function detectGradientNorm(norms: ArrayLike<number>, length: number = norms.length, options: GradientOptions = {}): "exploding" | "vanishing" | undefined {
  if (length === 0) return undefined;
  const latest = norms[length - 1];
  const explodeAbsolute = options.explodeAbsolute ?? 1e4;
  if (latest > explodeAbsolute) return "exploding";
  const window = options.window ?? 20;
  if (length > 5) {
    const reference = median(norms, Math.max(0, length - 1 - window), length - 1);
    const start = median(norms, 0, Math.min(options.startWindow ?? 5, length - 1));
    if (reference > 0 && latest > (options.explodeFactor ?? 50) * reference && !(latest <= start)) return "exploding";
  }
  const vanishCount = options.vanishCount ?? 5;
  const vanishAbsolute = options.vanishAbsolute ?? 1e-7;
  if (length >= vanishCount) {
    let all = true;
    for (let i = length - vanishCount; i < length; i++) if (!(Math.abs(norms[i]) < vanishAbsolute)) all = false;
    if (all) return "vanishing";
  }
  return undefined;
}

export interface GapOptions {
  /** Consecutive validation points over which the gap must widen. */
  window?: number;
  /** The gap must have grown by this factor over the window. */
  growth?: number;
}

/**
 * Train/val gap widening (overfitting): for the last `window` validation points, val loss − train loss (train taken at
 * the latest train step ≤ the val step) grows every time and ends `growth`× larger, while val loss rises.
 */
export function detectWideningGap(
  train: { steps: ArrayLike<number>; values: ArrayLike<number>; length: number },
  val: { steps: ArrayLike<number>; values: ArrayLike<number>; length: number },
  options: GapOptions = {},
): boolean {
  const window = options.window ?? 4;
  if (val.length < window || train.length === 0) return false;
  const gaps: number[] = [];
  let trainIndex = 0;
  for (let v = val.length - window; v < val.length; v++) {
    const step = val.steps[v];
    while (trainIndex + 1 < train.length && train.steps[trainIndex + 1] <= step) trainIndex++;
    gaps.push(val.values[v] - train.values[trainIndex]);
  }
  for (let i = 1; i < gaps.length; i++) if (!(gaps[i] > gaps[i - 1])) return false;
  const valRose = val.values[val.length - 1] > val.values[val.length - window];
  return valRose && gaps[gaps.length - 1] > 0 && gaps[gaps.length - 1] > (options.growth ?? 1.5) * Math.max(gaps[0], 1e-12);
}

/** Tensor count rose at every one of the last `window` observations (one per step or per check): a leak (missing tf.tidy / dispose). */
export function detectTensorLeak(counts: ArrayLike<number>, length: number = counts.length, window = 8): boolean {
  if (length < window + 1) return false;
  for (let i = length - window; i < length; i++) if (!(counts[i] > counts[i - 1])) return false;
  return true;
}

/** Latest throughput below `factor` × the median of the earlier ones (after at least `warmup` readings). */
export function detectThroughputCollapse(rates: ArrayLike<number>, length: number = rates.length, factor = 0.2, warmup = 5): boolean {
  if (length <= warmup) return false;
  const reference = median(rates, 1, length - 1); // the first reading includes start-up cost
  const latest = rates[length - 1];
  return reference > 0 && latest >= 0 && latest < factor * reference;
}

/** A layer whose share of units that output zero on a whole probe batch is at least this is reported dead. */
export const DEAD_UNIT_SHARE = 0.5;

/** The share of dead units (0…1, one probe per point) reached `share` at the latest probe. */
export function detectDeadUnits(shares: ArrayLike<number>, length: number = shares.length, share = DEAD_UNIT_SHARE): boolean {
  return length > 0 && shares[length - 1] >= share;
}

/**
 * Unstable weights: the first point (from `from` on) where a layer's weight norm is not finite or has grown to more
 * than `factor` × its first finite value; -1 when none.
 */
export function findWeightGrowth(norms: ArrayLike<number>, length: number = norms.length, factor = 10, from = 0): number {
  let first = NaN;
  for (let i = 0; i < length; i++) {
    if (Number.isFinite(norms[i])) {
      first = norms[i];
      break;
    }
  }
  for (let i = from; i < length; i++) {
    const value = norms[i];
    if (!Number.isFinite(value)) return i; // the first reading may already be NaN
    if (first > 0 && value > factor * first) return i;
  }
  return -1;
}

export interface UnderfitOptions {
  /** Train-loss points before the check starts (default 200). */
  warmup?: number;
  /** …and this share of the planned steps, when they are known (default 0.1). */
  warmupShare?: number;
  /** Steps the loop plans to run (trainLoop knows them); the rest of them is how long the loss still has to improve. */
  plannedSteps?: number;
  /** The step of each point (default: its index). */
  steps?: ArrayLike<number>;
  /** The mean of the last `window` points is compared with the baseline and with the `window` points before them (default 50). */
  window?: number;
  /** Not below ratio × baseline counts as no better than the baseline (default 0.9). */
  ratio?: number;
  /** A fall between the two windows counts as real only beyond this many standard errors (default 2). */
  significance?: number;
}

function windowStats(values: ArrayLike<number>, start: number, end: number): { mean: number; variance: number } | undefined {
  let sum = 0;
  for (let i = start; i < end; i++) {
    if (!Number.isFinite(values[i])) return undefined;
    sum += values[i];
  }
  const mean = sum / (end - start);
  let squares = 0;
  for (let i = start; i < end; i++) squares += (values[i] - mean) ** 2;
  return { mean, variance: end - start > 1 ? squares / (end - start - 1) : 0 };
}

/**
 * Underfitting: the train loss is no better than a trivial predictor's (the labels' mean or prior) and is not on
 * course to become better. After the warm-up (`warmup` points and `warmupShare` of the planned steps), the mean of
 * the last `window` points is not below `ratio` × the baseline, and the loss is not falling fast enough to get below
 * it: the fall from the `window` points before (counted as 0 unless beyond `significance` standard errors of the
 * noise), continued at the same pace per step over the planned steps that remain (or, when they are unknown, as many
 * steps again as the run has had), still ends above it. A loss still descending slowly is not underfitting, as
 * Keras's plateau callbacks wait for `patience`. Returns the recent mean, or undefined when it is not underfitting.
 */
export function detectUnderfitting(losses: ArrayLike<number>, length: number, baseline: number, options: UnderfitOptions = {}): number | undefined {
  const window = Math.max(1, options.window ?? 50);
  const warmup = Math.max(options.warmup ?? 200, 2 * window);
  if (length < warmup || length > losses.length || !(baseline > 0)) return undefined;
  const stepOf = (index: number): number => (options.steps ? options.steps[index] : index);
  const lastStep = stepOf(length - 1);
  const planned = options.plannedSteps !== undefined && options.plannedSteps > 0 ? options.plannedSteps : undefined;
  if (planned !== undefined && lastStep + 1 < (options.warmupShare ?? 0.1) * planned) return undefined;
  const recent = windowStats(losses, length - window, length);
  const earlier = windowStats(losses, length - 2 * window, length - window);
  if (!recent || !earlier) return undefined; // diverged: the non-finite warning says it
  const bar = (options.ratio ?? 0.9) * baseline;
  if (recent.mean < bar) return undefined;
  const fall = earlier.mean - recent.mean;
  const noise = (options.significance ?? 2) * Math.sqrt(earlier.variance / window + recent.variance / window);
  if (fall > noise) {
    // Pace per step between the windows' middles; trainLoop logs one point per step, other loops may log fewer.
    let span = (stepOf(length - 1) + stepOf(length - window)) / 2 - (stepOf(length - window - 1) + stepOf(length - 2 * window)) / 2;
    let remaining = planned !== undefined ? Math.max(planned - 1 - lastStep, 0) : lastStep + 1;
    // Steps that go back (a loop calling trainLoop once per epoch restarts at 0): the pace per point, as many points again.
    let increasing = true;
    for (let i = length - 2 * window + 1; i < length && increasing; i++) increasing = stepOf(i) > stepOf(i - 1);
    if (!increasing || !(span > 0)) [span, remaining] = [window, length];
    if (recent.mean - (fall / span) * remaining < bar) return undefined;
  }
  return recent.mean;
}

/** Memory in use has reached `fraction` of what can be had: an out-of-memory failure is near. */
export function detectMemoryPressure(usedBytes: number, limitBytes: number | undefined, fraction = 0.9): boolean {
  return limitBytes !== undefined && limitBytes > 0 && usedBytes >= fraction * limitBytes;
}
