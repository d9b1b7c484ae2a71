import { describe, expect, it } from "vitest";
import { createRandom } from "../../../magics/tune/rng.js";
import {
  buildParzenEstimator,
  DEFAULT_PARZEN_PARAMETERS,
  drawFrom,
  logDensity,
  neighbourBandwidths,
  trialWeights,
  type ParzenParameters,
} from "../../../magics/tune/samplers/parzen-estimator.js";
import { gamma, splitTrials, TPESampler } from "../../../magics/tune/samplers/tpe.js";
import type { TrialHistory } from "../../../magics/tune/samplers/types.js";
import { Study } from "../../../magics/tune/study.js";
import { choiceDistribution, floatDistribution, intDistribution } from "../../../magics/tune/space.js";

const unitFloat = floatDistribution("x", 0, 1);
const parameters = (overrides: Partial<ParzenParameters> = {}): ParzenParameters => ({ ...DEFAULT_PARZEN_PARAMETERS, ...overrides });

/** ∫₀¹ exp(logDensity) by the midpoint rule. */
function integrate(estimator: ReturnType<typeof buildParzenEstimator>, cells = 20000): number {
  let total = 0;
  for (let i = 0; i < cells; i++) total += Math.exp(logDensity(estimator, [(i + 0.5) / cells])) / cells;
  return total;
}

function trial(number: number, state: TrialHistory["state"], value: number | null, last: TrialHistory["lastIntermediate"] = null): TrialHistory {
  return { number, state, value, params: { x: number / 100 }, distributions: { x: unitFloat }, lastIntermediate: last };
}

describe("TPE: Optuna 3.1's split and weights", () => {
  it("puts min(⌈0.1n⌉, 25) trials in l(x) and ramps old trials' weights from 1/n to 1 past 25", () => {
    expect([1, 10, 11, 100, 250, 251, 1000].map(gamma)).toEqual([1, 1, 2, 10, 25, 25, 25]);
    expect(trialWeights(3)).toEqual([1, 1, 1]);
    const weights = trialWeights(30);
    expect(weights).toHaveLength(30);
    expect(weights[0]).toBeCloseTo(1 / 30, 12);
    expect(weights[4]).toBeCloseTo(1, 12);
    expect(weights.slice(5).every((w) => w === 1)).toBe(true);
    expect(weights[2]! - weights[1]!).toBeCloseTo(weights[1]! - weights[0]!, 12);
  });
  it("ranks complete trials, then pruned ones by most steps and their value, and keeps both halves oldest first", () => {
    const history = [
      trial(0, "complete", 5),
      trial(1, "pruned", null, { step: 3, value: 9 }),
      trial(2, "complete", 1),
      trial(3, "pruned", null, { step: 7, value: 20 }),
      trial(4, "pruned", null, null),
      trial(5, "complete", 3),
      trial(6, "failed", null),
      trial(7, "running", null),
    ];
    const split = splitTrials(history, () => 4);
    expect(split.finished).toBe(6);
    expect(split.below.map((t) => t.number)).toEqual([0, 2, 3, 5]);
    expect(split.above.map((t) => t.number)).toEqual([1, 4]);
  });
  it("with the constant liar, running trials join g(x) as the worst and do not count towards n", () => {
    const history = Array.from({ length: 12 }, (_, i) => trial(i, i >= 10 ? "running" : "complete", i >= 10 ? null : 10 - i));
    const split = splitTrials(history, gamma, true);
    expect(split.finished).toBe(10);
    expect(split.below.map((t) => t.number)).toEqual([9]);
    expect(split.above.map((t) => t.number)).toContain(11);
    expect(splitTrials(history, gamma, false).above.map((t) => t.number)).not.toContain(11);
  });
});

describe("TPE: Optuna 3.1's Parzen estimator", () => {
  it("takes each kernel's larger neighbour gap, bounds included, and the inner gap only at the two ends without endpoints", () => {
    const means = [0.5, 0.1, 0.2, 0.9];
    expect(neighbourBandwidths(means, true).map((v) => +v.toFixed(12))).toEqual([0.4, 0.1, 0.3, 0.4]);
    expect(neighbourBandwidths(means, false).map((v) => +v.toFixed(12))).toEqual([0.4, 0.1, 0.3, 0.4]);
    // Outermost points close to their bounds: with endpoints the bound's gap can win, without it never counts.
    expect(neighbourBandwidths([0.3, 0.35], true).map((v) => +v.toFixed(12))).toEqual([0.3, 0.65]);
    expect(neighbourBandwidths([0.3, 0.35], false).map((v) => +v.toFixed(12))).toEqual([0.05, 0.05]);
  });
  it("clips sds to 1/min(100, kernels + 1) (magic clip) and gives the prior kernel mean 0.5, sd 1 and weight priorWeight", () => {
    const estimator = buildParzenEstimator([[0.4], [0.41], [0.42]], [unitFloat], parameters({ priorWeight: 2 }));
    const axis = estimator.axes[0]!;
    if (axis.kind !== "numeric") throw new Error("numeric axis expected");
    expect(Array.from(axis.sds)).toEqual([0.2, 0.2, 0.2, 1]);
    expect(axis.means[3]).toBe(0.5);
    expect(Array.from(estimator.logWeights, Math.exp).map((w) => +w.toFixed(12))).toEqual([0.2, 0.2, 0.2, 0.4]);
    const unclipped = buildParzenEstimator([[0.4], [0.41], [0.42]], [unitFloat], parameters({ magicClip: false }));
    const unclippedAxis = unclipped.axes[0]!;
    if (unclippedAxis.kind !== "numeric") throw new Error("numeric axis expected");
    expect(unclippedAxis.sds[1]).toBeCloseTo(0.01, 12);
  });
  it("is a density (integrates to 1) with widthPower 0; with 1 each kernel is scaled by its sd, as Optuna 3.1's log-pdf does", () => {
    const observations = [[0.1], [0.15], [0.7], [0.95]];
    const plain = buildParzenEstimator(observations, [unitFloat], parameters({ widthPower: 0 }));
    expect(integrate(plain)).toBeCloseTo(1, 4);
    const weighted = buildParzenEstimator(observations, [unitFloat], parameters());
    const axis = weighted.axes[0]!;
    if (axis.kind !== "numeric") throw new Error("numeric axis expected");
    const weights = Array.from(weighted.logWeights, Math.exp);
    const expected = weights.reduce((sum, w, k) => sum + w * axis.sds[k]!, 0);
    expect(integrate(weighted)).toBeCloseTo(expected, 4);
  });
  it("gives categorical kernels priorWeight/(n+1) on every option plus 1 on the observed one; the prior kernel is uniform", () => {
    const act = choiceDistribution("act", ["relu", "tanh", "sigmoid"]);
    const estimator = buildParzenEstimator([[1], [0]], [act], parameters());
    const axis = estimator.axes[0]!;
    if (axis.kind !== "choice") throw new Error("choice axis expected");
    const rows = Array.from({ length: 3 }, (_, k) => Array.from(axis.logProbabilities.subarray(k * 3, k * 3 + 3), Math.exp).map((p) => +p.toFixed(12)));
    expect(rows).toEqual([[1 / 6, 2 / 3, 1 / 6].map((p) => +p.toFixed(12)), [2 / 3, 1 / 6, 1 / 6].map((p) => +p.toFixed(12)), [1 / 3, 1 / 3, 1 / 3].map((p) => +p.toFixed(12))]);
  });
  it("scores an int by its kernels' mass over the value's cell: the masses of all values sum to 1", () => {
    const layers = intDistribution("layers", 1, 8);
    const toUnit = (v: number): number => (v - 0.5) / 8;
    const estimator = buildParzenEstimator([[toUnit(3)], [toUnit(4)], [toUnit(8)]], [layers], parameters());
    let total = 0;
    for (let v = 1; v <= 8; v++) total += Math.exp(logDensity(estimator, [toUnit(v)]));
    expect(total).toBeCloseTo(1, 6); // Φ here is good to ~1e-7
  });
  it("draws candidates inside [0, 1] and on the int grid", () => {
    const layers = intDistribution("layers", 1, 8);
    const estimator = buildParzenEstimator([[0.02, 0.05], [0.98, 0.5]], [unitFloat, layers], parameters());
    const random = createRandom(7);
    for (let i = 0; i < 500; i++) {
      const [x, cell] = drawFrom(estimator, random);
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(1);
      expect(Math.abs(cell! * 8 + 0.5 - Math.round(cell! * 8 + 0.5))).toBeLessThan(1e-9);
    }
  });
});

describe("TPE sampler", () => {
  it("joint by default: one kernel per good trial over all shared parameters, so a candidate keeps a trial's coordinates together", () => {
    // Good trials lie on the diagonal x = y at both ends; independent sampling also proposes the off-diagonal corners.
    const finished = Array.from({ length: 40 }, (_, i) => {
      const good = i < 8;
      const corner = i % 2 === 0 ? 0.1 : 0.9;
      const x = good ? corner + (i % 4) * 0.005 : (i * 0.37) % 1;
      const y = good ? corner + (i % 3) * 0.005 : (i * 0.61) % 1;
      return { number: i, state: "complete" as const, value: good ? 0 : 1 + i, params: { x, y }, distributions: { x: unitFloat, y: unitFloat }, lastIntermediate: null };
    });
    const offDiagonal = (sampler: TPESampler): number => {
      let count = 0;
      for (let number = 40; number < 240; number++) {
        const context = { seed: 3, trialNumber: number, history: finished };
        const space = { x: unitFloat, y: unitFloat };
        const relative = sampler.sampleRelative(context, space);
        const x = (relative["x"] ?? sampler.sampleIndependent(context, "x", unitFloat)) as number;
        const y = (relative["y"] ?? sampler.sampleIndependent(context, "y", unitFloat)) as number;
        if (Math.abs(x - y) > 0.5) count++;
      }
      return count;
    };
    const joint = offDiagonal(new TPESampler());
    const independent = offDiagonal(new TPESampler({ joint: false }));
    expect(joint).toBeLessThan(independent / 3);
  });
  it("proposes near the good region of a 1-D quadratic after the start-up trials", async () => {
    const study = await Study.open({ name: "q", sampler: new TPESampler(), seed: 5 });
    const summary = await study.optimize((t) => (t.float("x", -10, 10) - 3) ** 2, { trials: 60 });
    const late = summary.trials.slice(40).map((t) => t.params["x"] as number);
    const near = late.filter((x) => Math.abs(x - 3) < 2).length;
    expect(near).toBeGreaterThan(10);
    expect(summary.best!.value).toBeLessThan(0.05);
  });
  it("with the constant liar, a point being evaluated counts against proposing it again", () => {
    const finished = Array.from({ length: 30 }, (_, i) => ({ ...trial(i, "complete", (i / 30 - 0.3) ** 2), params: { x: i / 30 } }));
    const running = [30, 31, 32].map((number) => ({ ...trial(number, "running", null), params: { x: 0.3 } }));
    const nearRunning = (sampler: TPESampler): number => {
      let count = 0;
      for (let number = 33; number < 433; number++) {
        const x = sampler.sampleIndependent({ seed: 1, trialNumber: number, history: [...finished, ...running] }, "x", unitFloat) as number;
        if (Math.abs(x - 0.3) < 0.02) count++;
      }
      return count;
    };
    expect(nearRunning(new TPESampler({ constantLiar: true }))).toBeLessThan(nearRunning(new TPESampler()));
  });
});
