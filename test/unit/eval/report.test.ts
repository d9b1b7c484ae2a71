import { describe, expect, it } from "vitest";
import { evaluate } from "../../../magics/eval/index.js";
import { createRandom } from "../../../magics/seed/prng.js";

function imbalanced(n: number, positiveShare: number, seed = 1) {
  const random = createRandom(seed);
  const labels = Array.from({ length: n }, () => (random() < positiveShare ? 1 : 0));
  return { labels, random };
}

describe("evaluate.report: metrics beside baselines", () => {
  it("puts random, zero-rule and stratified baselines beside the model with deltas", async () => {
    const { labels, random } = imbalanced(400, 0.5);
    const probs = labels.map((y) => Math.min(1, Math.max(0, (y ? 0.75 : 0.25) + (random() - 0.5) * 0.6)));
    const report = await evaluate.report({ labels, probs });
    expect(report.task).toBe("classification");
    expect(report.baselines.map((b) => b.name)).toEqual(["random", "zero-rule", "stratified"]);
    const zeroRule = report.baselines.find((b) => b.kind === "zero-rule")!;
    expect(zeroRule.delta.accuracy).toBeCloseTo(report.metrics.accuracy! - zeroRule.metrics.accuracy!, 12);
    expect(report.metrics.accuracy).toBeGreaterThan(0.8);
    expect(zeroRule.metrics.accuracy).toBeLessThan(0.6);
    expect(zeroRule.modelBetter).toBe(true);
    expect(report.baselines.find((b) => b.kind === "random")!.metrics.logLoss).toBeCloseTo(Math.log(2), 12);
    expect(report.warnings.filter((w) => /zero-rule/.test(w))).toEqual([]);
    expect(Object.keys(report.metrics)).toEqual(expect.arrayContaining(["accuracy", "precision", "recall", "f1", "rocAuc", "prAuc", "logLoss", "brier", "ece", "mce", "eceQuantile"]));
  });

  it("warns when a model on imbalanced classes does not beat always-majority", async () => {
    const { labels, random } = imbalanced(500, 0.05, 3);
    const preds = labels.map(() => (random() < 0.1 ? 1 : 0)); // random guesses
    const report = await evaluate.report({ labels, preds });
    const warning = report.warnings.find((w) => w.includes("does not beat the zero-rule"));
    expect(warning).toMatch(/always 0/);
    expect(warning).toMatch(/imbalanced/);
  });

  it("scores user baselines: an existing solution, a heuristic over inputs, and a human score", async () => {
    const inputs = Array.from({ length: 100 }, (_, i) => ({ size: i }));
    const labels = inputs.map((x) => (x.size >= 50 ? "big" : "small"));
    const preds = inputs.map((x) => (x.size >= 45 ? "big" : "small"));
    const report = await evaluate.report({
      labels,
      preds,
      inputs,
      baselines: {
        legacy: inputs.map((x) => (x.size >= 30 ? "big" : "small")),
        rule: (input) => ((input as { size: number }).size >= 60 ? "big" : "small"),
        annotators: 0.97,
      },
    });
    const byName = Object.fromEntries(report.baselines.map((b) => [b.name, b]));
    expect(byName.legacy!.kind).toBe("existing");
    expect(byName.legacy!.metrics.accuracy).toBeCloseTo(0.8, 12);
    expect(byName.rule!.kind).toBe("heuristic");
    expect(byName.rule!.metrics.accuracy).toBeCloseTo(0.9, 12);
    expect(byName.annotators!.kind).toBe("human");
    expect(byName.annotators!.delta.accuracy).toBeCloseTo(0.95 - 0.97, 12);
    expect(byName.annotators!.modelBetter).toBe(false);
    expect(evaluate.text(report)).toMatch(/legacy/);
  });

  it("says so when probabilities passed as preds made the task regression", async () => {
    const report = await evaluate.report({ labels: [0, 1, 1, 0], preds: [0.2, 0.7, 0.9, 0.4] });
    expect(report.task).toBe("regression");
    expect(report.warnings[0]).toMatch(/Treated as regression .* pass probs \(--probs\)/);
  });

  it("handles regression (mean zero-rule) and language models (perplexity vs uniform)", async () => {
    const labels = [1.5, 2.5, 3.5, 4.5, 10.25];
    const regression = await evaluate.report({ labels, preds: [1.4, 2.7, 3.1, 4.9, 9.0] });
    expect(regression.task).toBe("regression");
    expect(regression.metrics.mae).toBeCloseTo((0.1 + 0.2 + 0.4 + 0.4 + 1.25) / 5, 12);
    expect(regression.baselines.find((b) => b.kind === "zero-rule")!.description).toMatch(/mean 4\.45/);
    const lm = await evaluate.report({ task: "lm", preds: [[Math.log(0.5), Math.log(0.25)], [Math.log(0.125)]], vocabSize: 100 });
    expect(lm.metrics.perplexity).toBeCloseTo(4, 12);
    expect(lm.baselines[0]!.metrics.perplexity).toBe(100);
  });
});

describe("evaluate.report: bad input names the problem and the argument", () => {
  it("mismatched lengths", async () => {
    await expect(evaluate.report({ labels: [0, 1, 1], preds: [0, 1] })).rejects.toThrow(/^preds: has 2 elements but labels has 3; mismatched lengths/);
    await expect(evaluate.report({ labels: [0, 1, 1], probs: [0.2, 0.9] })).rejects.toThrow(/^probs: has 2 rows but labels has 3/);
  });
  it("labels outside the classes", async () => {
    await expect(evaluate.report({ labels: [0, 1, 2], preds: [0, 1, 1], classes: [0, 1] })).rejects.toThrow(/^labels: element 2 is 2, outside the classes \[0, 1\]/);
    await expect(evaluate.report({ labels: [0, 1, 5], probs: [[0.5, 0.5], [0.1, 0.9], [0.3, 0.7]] })).rejects.toThrow(/^labels: .*label 5 is outside the classes 0…1/);
  });
  it("probabilities outside [0, 1] or rows not summing to 1", async () => {
    await expect(evaluate.report({ labels: [0, 1], probs: [0.2, 1.3] })).rejects.toThrow(/^probs: element 1 is 1.3, outside \[0, 1\]/);
    await expect(evaluate.report({ labels: [0, 1, 2], probs: [[0.2, 0.3, 0.5], [0.2, 0.2, 0.2], [0, 0, 1]] })).rejects.toThrow(/^probs: row 1 sums to 0.6.* instead of 1/);
  });
  it("empty slices", async () => {
    await expect(evaluate.report({ labels: [0, 1, 1], preds: [0, 1, 0], slices: { never: () => false } })).rejects.toThrow(/^slices.never: slice "never" selects no examples/);
  });
});
