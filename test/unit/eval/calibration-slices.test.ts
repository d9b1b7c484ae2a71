import { describe, expect, it } from "vitest";
import { calibration } from "../../../magics/eval/calibration.js";
import { evaluate } from "../../../magics/eval/index.js";
import { normalCdf } from "../../../magics/math/normal.js";
import { normalQuantile, twoProportionTest, wilsonInterval } from "../../../magics/eval/statistics.js";
import { createRandom } from "../../../magics/seed/prng.js";

describe("calibration (top-label confidence, 10 bins by default)", () => {
  it("computes ECE as the count-weighted |accuracy − confidence| and MCE as the largest gap", () => {
    // confidences 0.9 (4 examples, 3 right) and 0.6 (2 examples via p=0.4, both right; top label is class 0)
    const labels = [1, 1, 1, 0, 0, 0];
    const probs = [0.9, 0.9, 0.9, 0.9, 0.4, 0.4];
    const summary = evaluate.calibration({ labels, probs });
    const filled = summary.bins.filter((bin) => bin.count > 0);
    expect(filled.map((bin) => [bin.lower, bin.upper, bin.count])).toEqual([[0.5, 0.6, 2], [0.8, 0.9, 4]]);
    expect(filled[1]!.accuracy).toBe(0.75);
    const expectedEce = (4 / 6) * Math.abs(0.75 - 0.9) + (2 / 6) * Math.abs(1 - 0.6);
    expect(summary.ece).toBeCloseTo(expectedEce, 12);
    expect(summary.mce).toBeCloseTo(0.4, 12);
  });

  it("quantile bins hold equal counts; a calibrated model has a small ECE under both binnings", () => {
    const random = createRandom(11);
    const probs = Array.from({ length: 20000 }, () => random());
    const labels = probs.map((p) => (random() < p ? 1 : 0));
    const uniform = evaluate.calibration({ labels, probs });
    const quantile = evaluate.calibration({ labels, probs, binning: "quantile", bins: 5 });
    expect(quantile.bins.map((bin) => bin.count)).toEqual([4000, 4000, 4000, 4000, 4000]);
    expect(uniform.ece).toBeLessThan(0.02);
    expect(quantile.ece).toBeLessThan(0.02);
    const overconfident = evaluate.calibration({ labels, probs: probs.map((p) => (p > 0.5 ? Math.min(1, p + 0.3) : Math.max(0, p - 0.3))) });
    expect(overconfident.ece).toBeGreaterThan(0.15);
  });

  it("quantile bins split tied confidences as a stable sort by confidence would", () => {
    const random = createRandom(3);
    for (const n of [7, 100, 1003]) {
      const confidence = Float64Array.from({ length: n }, () => 0.5 + Math.round(random() * 5) / 10);
      const correct = Uint8Array.from({ length: n }, () => (random() < 0.7 ? 1 : 0));
      const order = Array.from(confidence.keys()).sort((a, b) => confidence[a]! - confidence[b]!);
      const expected = Array.from({ length: 10 }, (_, b) => {
        const ranks = order.slice(Math.floor((b * n) / 10), Math.floor(((b + 1) * n) / 10));
        return { count: ranks.length, correct: ranks.reduce((sum, index) => sum + correct[index]!, 0) };
      });
      const bins = calibration({ confidence, correct }, { binning: "quantile" }).bins;
      expect(bins.map((bin) => ({ count: bin.count, correct: bin.count === 0 ? 0 : Math.round(bin.accuracy * bin.count) }))).toEqual(expected);
    }
  });

  it("the one-pass binary path agrees with the general one", () => {
    const random = createRandom(5);
    const probs = Float64Array.from({ length: 5000 }, () => random());
    const labels = Uint8Array.from(probs, (p) => (random() < p ? 1 : 0));
    const fast = evaluate.binaryAccuracyBrierEce(labels, probs);
    const general = evaluate.classification({ labels: Array.from(labels), probs: Array.from(probs) });
    expect(fast.accuracy).toBeCloseTo(general.metrics.accuracy!, 12);
    expect(fast.brier).toBeCloseTo(general.metrics.brier!, 12);
    expect(fast.ece).toBeCloseTo(general.metrics.ece!, 12);
    expect(fast.mce).toBeCloseTo(general.metrics.mce!, 12);
  });

  it("confidence curve: accuracy rises and coverage falls as the threshold rises", () => {
    const random = createRandom(2);
    const probs = Array.from({ length: 3000 }, () => random());
    const labels = probs.map((p) => (random() < p ? 1 : 0));
    const curve = evaluate.confidenceCurve({ labels, probs, thresholds: [0.5, 0.7, 0.9] });
    expect(curve[0]!.coverage).toBe(1);
    expect(curve[2]!.coverage).toBeLessThan(curve[1]!.coverage);
    expect(curve[2]!.accuracy).toBeGreaterThan(curve[1]!.accuracy);
    expect(curve[1]!.accuracy).toBeGreaterThan(curve[0]!.accuracy);
  });
});

describe("statistics", () => {
  it("Wilson interval and normal quantiles match scipy", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 6);
    const interval = wilsonInterval(8, 10);
    expect(interval.lower).toBeCloseTo(0.49016247153664183, 6);
    expect(interval.upper).toBeCloseTo(0.9433178485456247, 6);
    expect(2 * normalCdf(-2.5)).toBeCloseTo(0.012419330651552265, 6);
    const test = twoProportionTest(30, 40, 50, 60);
    expect(test.z).toBeCloseTo(-1.020620726159658, 9);
    expect(test.pValue).toBeCloseTo(0.30743416592739514, 6);
  });
});

describe("slices", () => {
  const random = createRandom(9);
  const island = Array.from({ length: 600 }, (_, i) => ["Biscoe", "Dream", "Torgersen"][i % 3]!);
  const labels = island.map(() => (random() < 0.5 ? 1 : 0));
  // the model is right 95% of the time, except on Torgersen (60%)
  const preds = labels.map((y, i) => ((island[i] === "Torgersen" ? random() < 0.6 : random() < 0.95) ? y : 1 - y));

  it("gives each column value a count, accuracy, Wilson interval, and flags the significantly worse slice", async () => {
    const report = await evaluate.report({ labels, preds, slices: { island, first: (i) => i < 100 } });
    const names = report.slices.map((slice) => slice.name);
    expect(names).toEqual(["island=Biscoe", "island=Dream", "island=Torgersen", "first"]);
    const torgersen = report.slices.find((slice) => slice.name === "island=Torgersen")!;
    expect(torgersen.count).toBe(200);
    expect(torgersen.interval.method).toBe("wilson");
    expect(torgersen.interval.lower).toBeLessThan(torgersen.value);
    expect(torgersen.interval.upper).toBeGreaterThan(torgersen.value);
    expect(torgersen.flagged).toBe(true);
    expect(report.slices.filter((slice) => slice.flagged).map((slice) => slice.name)).toEqual(["island=Torgersen"]);
    expect(torgersen.test).toBe("two-proportion z");
    expect(report.warnings.join("\n")).toMatch(/Slice island=Torgersen \(n=200\) is significantly worse.*two-proportion z-test, Bonferroni over 4 slices/);
  });

  it("bootstrap intervals on request, deterministic for a seed", async () => {
    const a = await evaluate.report({ labels, preds, slices: { island }, sliceOptions: { interval: "bootstrap" }, seed: 4 });
    const b = await evaluate.report({ labels, preds, slices: { island }, sliceOptions: { interval: "bootstrap" }, seed: 4 });
    expect(a.slices[0]!.interval.method).toBe("bootstrap");
    expect(a.slices.map((s) => s.interval)).toEqual(b.slices.map((s) => s.interval));
  });

  it("regression slices use MAE with bootstrap intervals and a Welch z-test", async () => {
    const targets = Array.from({ length: 300 }, (_, i) => i / 10);
    const region = targets.map((_, i) => (i < 100 ? "north" : "south"));
    const predictions = targets.map((t, i) => t + (i < 100 ? 3 : 0.5) * (random() - 0.5));
    const report = await evaluate.report({ labels: targets, preds: predictions, slices: { region } });
    const north = report.slices.find((slice) => slice.name === "region=north")!;
    expect(north.metric).toBe("mae");
    expect(north.interval.method).toBe("bootstrap");
    expect(north.test).toBe("Welch z");
    expect(north.interval.lower).toBeLessThan(north.value);
    expect(north.flagged).toBe(true);
    expect(report.slices.find((slice) => slice.name === "region=south")!.flagged).toBe(false);
  });

  it("rejects a column of the wrong length, naming it", async () => {
    await expect(evaluate.report({ labels, preds, slices: { island: island.slice(1) } })).rejects.toThrow(/^slices.island: slice "island" has 599 values but labels has 600/);
  });
});
