// Every metric both libraries compute equals scikit-learn 1.2 (Debian's python3-sklearn) to 1e-9, on generated data
// (ties, zero-division, clipped probabilities, string labels) and on the data sets scikit-learn ships. ECE/MCE, which
// scikit-learn lacks, are checked against numpy code written from the stated definition.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createRandom } from "../../../magics/seed/prng.js";
import { classificationMetrics, languageModelMetrics, regressionMetricsChecked } from "../../../magics/eval/tasks.js";

const PYTHON = "/usr/bin/python3";
const TOLERANCE = 1e-9;

interface Case {
  name: string;
  task: "classification" | "regression" | "lm";
  labels?: Array<number | string>;
  preds?: Array<number | string>;
  probs?: number[] | number[][];
  targets?: number[];
  predictions?: number[];
  logLikelihoods?: number[];
  expected?: Record<string, unknown>;
}

function softmaxRow(random: () => number, k: number, sharpness: number, roundTo?: number): number[] {
  const raw = Array.from({ length: k }, () => Math.exp(sharpness * random()));
  const sum = raw.reduce((a, b) => a + b, 0);
  const row = raw.map((value) => value / sum);
  if (roundTo === undefined) return row;
  // rounded rows (many ties) that still sum to exactly 1: the last column takes the remainder
  const rounded = row.slice(0, -1).map((value) => Math.round(value * roundTo) / roundTo);
  const rest = 1 - rounded.reduce((a, b) => a + b, 0);
  return rest < 0 ? softmaxRow(random, k, sharpness, roundTo) : [...rounded, rest];
}

function generatedCases(): Case[] {
  const random = createRandom(7);
  const cases: Case[] = [];
  for (const [name, n, tieSteps, imbalance] of [["binary", 500, undefined, 0.5], ["binary-ties", 400, 10, 0.3], ["binary-imbalanced", 300, 20, 0.05]] as const) {
    const labels = Array.from({ length: n }, () => (random() < imbalance ? 1 : 0));
    let probs = labels.map((y) => Math.min(1, Math.max(0, 0.5 + (y ? 0.25 : -0.25) + (random() - 0.5) * 0.9)));
    if (tieSteps) probs = probs.map((p) => Math.round(p * tieSteps) / tieSteps);
    probs[0] = 0; // exercises log-loss clipping
    probs[1] = 1;
    cases.push({ name, task: "classification", labels, preds: probs.map((p) => (p > 0.5 ? 1 : 0)), probs });
  }
  for (const [name, k, n, round] of [["multiclass", 4, 600, undefined], ["multiclass-ties", 3, 300, 10]] as const) {
    const labels = Array.from({ length: n }, () => Math.floor(random() * k));
    const probs = labels.map((y) => {
      const row = softmaxRow(random, k, 2, round);
      if (random() < 0.6) {
        const top = row.indexOf(Math.max(...row));
        [row[top], row[y]] = [row[y]!, row[top]!];
      }
      return row;
    });
    const preds = probs.map((row) => row.indexOf(Math.max(...row)));
    cases.push({ name, task: "classification", labels, preds, probs });
  }
  // zero division: class "c" is never predicted, class "d" appears only as a prediction
  const words = ["a", "b", "c"];
  const labels = Array.from({ length: 120 }, () => words[Math.floor(random() * 3)]!);
  const preds = labels.map((y, i) => (y === "c" ? (i % 2 ? "a" : "d") : random() < 0.8 ? y : "b"));
  cases.push({ name: "strings-zero-division", task: "classification", labels, preds });
  const targets = Array.from({ length: 300 }, () => random() * 100 - 20);
  cases.push({ name: "regression", task: "regression", targets, predictions: targets.map((t) => t + (random() - 0.5) * 30) });
  cases.push({ name: "regression-constant", task: "regression", targets: [3, 3, 3, 3], predictions: [3, 2, 4, 3] });
  cases.push({ name: "lm", task: "lm", logLikelihoods: Array.from({ length: 1000 }, () => Math.log(0.01 + random() * 0.99)) });
  return cases;
}

function referenceCases(): Case[] {
  const dir = mkdtempSync(join(tmpdir(), "labnote-sklearn-"));
  writeFileSync(join(dir, "cases.json"), JSON.stringify(generatedCases()));
  execFileSync(PYTHON, [join(import.meta.dirname, "sklearn_reference.py"), join(dir, "cases.json"), join(dir, "expected.json")], { stdio: "pipe" });
  return JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")) as Case[];
}

function expectClose(actual: unknown, expected: unknown, path: string): number {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), path).toBe(true);
    expect((actual as unknown[]).length, path).toBe(expected.length);
    return expected.reduce((count: number, value, i) => count + expectClose((actual as unknown[])[i], value, `${path}[${i}]`), 0);
  }
  expect(typeof actual, `${path} is a number`).toBe("number");
  expect(Math.abs((actual as number) - (expected as number)), `${path}: labnote ${String(actual)} vs sklearn ${String(expected)}`).toBeLessThanOrEqual(TOLERANCE);
  return 1;
}

describe("metrics equal scikit-learn 1.2 to 1e-9", () => {
  const cases = referenceCases();

  it("covers generated data and every data set scikit-learn ships", () => {
    const names = cases.map((c) => c.name);
    for (const shipped of ["iris", "breast_cancer", "wine", "digits", "diabetes"]) expect(names).toContain(`sklearn:${shipped}`);
    expect(names).toContain("binary-ties");
    expect(names).toContain("strings-zero-division");
  });

  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, testCase) => {
    const expected = testCase.expected!;
    let compared = 0;
    if (testCase.task === "classification") {
      const ours = classificationMetrics({ labels: testCase.labels!, preds: testCase.preds!, probs: testCase.probs });
      for (const [key, value] of Object.entries(expected)) {
        if (key === "perClass") {
          const perClass = value as Record<string, number[]>;
          for (const field of ["precision", "recall", "f1", "support"] as const) {
            compared += expectClose(ours.perClass.map((row) => row[field]), perClass[field], `perClass.${field}`);
          }
        } else if (key === "confusionMatrix") {
          compared += expectClose(ours.confusionMatrix, value, key);
        } else {
          compared += expectClose(ours.metrics[key], value, key);
        }
      }
    } else if (testCase.task === "regression") {
      const ours = regressionMetricsChecked(testCase.targets!, testCase.predictions!);
      for (const [key, value] of Object.entries(expected)) compared += expectClose(ours[key], value, key);
    } else {
      const ours = languageModelMetrics(testCase.logLikelihoods!);
      compared += expectClose(ours.perplexity, expected.perplexity, "perplexity");
    }
    expect(compared).toBeGreaterThan(testCase.task === "lm" ? 0 : 3);
  });

  it("warns like scikit-learn when precision or recall is 0/0", () => {
    const ours = classificationMetrics({ labels: ["a", "b", "c", "c"], preds: ["a", "b", "a", "d"] });
    expect(ours.warnings.join("\n")).toMatch(/Precision is ill-defined.*"c"/);
    expect(ours.warnings.join("\n")).toMatch(/Recall is ill-defined.*"d"/);
  });
});
