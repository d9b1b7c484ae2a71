// The statistics slices and baselines need: Wilson intervals, a normal-approximation test of a mean difference,
// and percentile bootstrap — small, dependency-free, deterministic given a seed.
import { normalCdf } from "../math/normal.js";
import { createRandom } from "../seed/prng.js";

export interface Interval {
  lower: number;
  upper: number;
  method: "wilson" | "bootstrap";
  level: number;
}

/** z for a two-sided interval at `level` (0.95 → 1.959964…). */
export function normalQuantile(p: number): number {
  // Acklam's rational approximation, refined by one Newton step on erfc.
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  const error = normalCdf(x) - p;
  return x - error * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
}


/** Wilson score interval for `successes` out of `n`. */
export function wilsonInterval(successes: number, n: number, level = 0.95): Interval {
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = successes / n;
  const denominator = 1 + (z * z) / n;
  const centre = (p + (z * z) / (2 * n)) / denominator;
  const halfWidth = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / denominator;
  return { lower: Math.max(0, centre - halfWidth), upper: Math.min(1, centre + halfWidth), method: "wilson", level };
}

/** Percentile bootstrap of `statistic` over example indices (resampled with replacement). */
export function bootstrapInterval(indices: number[], statistic: (sample: number[]) => number, options: { resamples?: number; level?: number; seed?: number } = {}): Interval {
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const random = createRandom(options.seed ?? 0);
  const values: number[] = [];
  const sample = new Array<number>(indices.length);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < indices.length; i++) sample[i] = indices[Math.floor(random() * indices.length)]!;
    values.push(statistic(sample));
  }
  values.sort((a, b) => a - b);
  const at = (q: number) => values[Math.min(values.length - 1, Math.max(0, Math.floor(q * (values.length - 1))))]!;
  return { lower: at((1 - level) / 2), upper: at(1 - (1 - level) / 2), method: "bootstrap", level };
}

export interface MeanDifferenceTest {
  z: number;
  pValue: number;
}

/** Two-sided pooled two-proportion z-test (successes / n in each group). */
export function twoProportionTest(successesA: number, nA: number, successesB: number, nB: number): MeanDifferenceTest {
  const pooled = (successesA + successesB) / (nA + nB);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  const difference = successesA / nA - successesB / nB;
  if (standardError === 0) return { z: 0, pValue: 1 };
  const z = difference / standardError;
  return { z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}

/**
 * Two-sided Welch z-test that the mean per-example score differs between two groups (normal approximation, for large groups).
 */
export function meanDifferenceTest(groupA: { mean: number; variance: number; n: number }, groupB: { mean: number; variance: number; n: number }): MeanDifferenceTest {
  const standardError = Math.sqrt(groupA.variance / groupA.n + groupB.variance / groupB.n);
  if (standardError === 0) return { z: groupA.mean === groupB.mean ? 0 : Number.POSITIVE_INFINITY, pValue: groupA.mean === groupB.mean ? 1 : 0 };
  const z = (groupA.mean - groupB.mean) / standardError;
  return { z, pValue: 2 * (1 - normalCdf(Math.abs(z))) };
}
