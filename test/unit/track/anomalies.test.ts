import { describe, expect, it } from "vitest";
import { detectFlat, detectGradientNorm, detectTensorLeak, detectThroughputCollapse, detectWideningGap, findNonFinite } from "../../../magics/track/anomalies.js";

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

describe("anomaly detectors on synthetic series", () => {
  it("finds the first NaN or Infinity", () => {
    expect(findNonFinite([1, 0.5, 0.2])).toBe(-1);
    expect(findNonFinite([1, 0.5, NaN, 3])).toBe(2);
    expect(findNonFinite([1, Infinity])).toBe(1);
    expect(findNonFinite([1, -Infinity, NaN], 3, 2)).toBe(2);
  });

  it("flags a loss that stays flat over the window, not a decreasing one", () => {
    expect(detectFlat(range(150, () => 0.6931), 150)).toBe(true);
    expect(detectFlat(range(150, (i) => 1 / (i + 1)), 150)).toBe(false);
    expect(detectFlat(range(50, () => 0.69), 50)).toBe(false); // too short to judge
    expect(detectFlat(range(150, (i) => 0.5 + 0.01 * Math.sin(i)), 150)).toBe(false); // noisy but moving
  });

  it("flags exploding and vanishing gradient norms", () => {
    const steady = range(30, (i) => 1 + 0.1 * Math.sin(i));
    expect(detectGradientNorm(steady)).toBeUndefined();
    expect(detectGradientNorm([...steady, 500])).toBe("exploding");
    expect(detectGradientNorm([1, 2, 1e6])).toBe("exploding");
    expect(detectGradientNorm([...steady, ...range(5, () => 1e-9)])).toBe("vanishing");
    expect(detectGradientNorm([...steady, ...range(4, () => 1e-9), 1])).toBeUndefined();
  });

  it("flags a train/val gap that widens at every evaluation while val loss rises", () => {
    const trainSteps = range(100, (i) => i);
    const train = { steps: trainSteps, values: range(100, (i) => 1 / (1 + i / 10)), length: 100 };
    const overfit = { steps: [20, 40, 60, 80, 99], values: [0.4, 0.35, 0.4, 0.5, 0.6], length: 5 };
    expect(detectWideningGap(train, overfit)).toBe(true);
    const healthy = { steps: [20, 40, 60, 80, 99], values: [0.4, 0.3, 0.25, 0.2, 0.18], length: 5 };
    expect(detectWideningGap(train, healthy)).toBe(false);
  });

  it("flags tensor counts that grow at every observation", () => {
    expect(detectTensorLeak(range(12, (i) => 100 + 3 * i))).toBe(true);
    expect(detectTensorLeak(range(12, (i) => 100 + (i % 2)))).toBe(false);
    expect(detectTensorLeak([1, 2, 3])).toBe(false);
  });

  it("flags throughput that collapses against its median", () => {
    expect(detectThroughputCollapse([50, 100, 101, 99, 100, 102, 10])).toBe(true);
    expect(detectThroughputCollapse([50, 100, 101, 99, 100, 102, 90])).toBe(false);
    expect(detectThroughputCollapse([100, 5])).toBe(false); // not enough history
  });
});
