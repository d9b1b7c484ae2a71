import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { describe, expect, it } from "vitest";
import { magics } from "../../../magics/eval/command.js";
import { evaluate } from "../../../magics/eval/index.js";
import { MagicError } from "../../../magics/types.js";
import { fakeContext, parsed } from "./fake-context.js";

// A toy sentiment model: positive when "good" appears, unless "not" does; it is fooled by capital letters.
const sentiment = (texts: string[]) => texts.map((text) => (text.includes("good") && !text.includes("not") ? "pos" : "neg"));
const asyncProbabilities = async (texts: string[]) => sentiment(texts).map((label) => (label === "pos" ? [0.1, 0.9] : [0.8, 0.2]));

describe("behavioural tests (CheckList)", () => {
  it("MFT: pass rate against expected labels, with the failing examples", async () => {
    const result = await evaluate.runTest(evaluate.mft({ name: "negation", inputs: ["good", "not good", "GOOD movie"], expected: ["pos", "neg", "pos"] }), sentiment);
    expect(result).toMatchObject({ kind: "mft", total: 3, passed: 2, failed: 1, pass: false });
    expect(result.failures).toEqual([{ index: 2, input: "GOOD movie", output: "neg", expected: "pos" }]);
  });

  it("INV and DIR with an async model returning probabilities, in batches", async () => {
    const batches: number[] = [];
    const model = async (texts: string[]) => {
      batches.push(texts.length);
      return asyncProbabilities(texts);
    };
    const inputs = ["good film", "bad film", "a good one", "not good"];
    const [inv, dir] = await evaluate.runTests(
      [
        evaluate.inv({ name: "add a name", inputs, perturb: (text: string) => `${text}, said Ann` }),
        evaluate.dir({ name: "adding 'not' never raises P(pos)", inputs, perturb: (text: string) => `not ${text}`, expect: (before: number[], after: number[]) => after[1]! <= before[1]! }),
      ],
      model,
      { batchSize: 3 },
    );
    expect(inv).toMatchObject({ kind: "inv", passed: 4, pass: true });
    expect(dir).toMatchObject({ kind: "dir", passed: 4, pass: true });
    expect(batches).toEqual([3, 1, 3, 1, 3, 1, 3, 1]);
  });

  it("robustness: flip rate under the user's perturbation, against maxFlipRate", async () => {
    const inputs = ["good", "good day", "bad", "not good", "so good", "meh"];
    const result = await evaluate.runTest(evaluate.robustness({ name: "upper-case", inputs, perturb: (text: string) => text.toUpperCase(), maxFlipRate: 0.2 }), sentiment);
    expect(result.flipRate).toBeCloseTo(3 / 6, 12);
    expect(result.pass).toBe(false);
    expect(result.failures.map((failure) => failure.perturbed)).toEqual(["GOOD", "GOOD DAY", "SO GOOD"]);
  });

  it("failing examples are JSON-safe: typed arrays become arrays, class instances and functions short text", async () => {
    class Tensorish {
      toString() {
        return "Tensor [1, 2]";
      }
    }
    const inputs = [{ pixels: new Float32Array([0.5, 1]), tensor: new Tensorish(), hook: () => 1 }];
    const result = await evaluate.runTest(evaluate.mft({ name: "odd inputs", inputs, expected: ["pos"] }), () => ["neg"]);
    expect(result.failures[0]!.input).toEqual({ pixels: [0.5, 1], tensor: "Tensor [1, 2]", hook: "[function]" });
    expect(() => JSON.stringify(result)).not.toThrow();
  });

  it("a model returning the wrong number of outputs is an error naming the test", async () => {
    await expect(evaluate.runTest(evaluate.mft({ name: "broken", inputs: ["a", "b"], expected: ["pos", "neg"] }), () => ["pos"])).rejects.toThrow(/^tests.broken: the model returned 1 outputs for a batch of 2/);
  });
});

describe("charts are pure Vega-Lite specs", () => {
  it("reliability diagram, confidence curve, slice bars and confusion matrix from a report", async () => {
    const labels = ["a", "b", "a", "c", "b", "a"];
    const probs = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.4, 0.3], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1], [0.9, 0.05, 0.05]];
    const report = await evaluate.report({ labels, probs, slices: { firstHalf: (i) => i < 3 } });
    const specs = evaluate.reportCharts(report) as Array<Record<string, unknown>>;
    expect(specs.map((spec) => spec.title)).toEqual([
      expect.stringMatching(/^Reliability diagram \(uniform bins\) — ECE/),
      "Accuracy vs coverage as the confidence threshold rises",
      expect.stringMatching(/^accuracy per slice/),
      "Confusion matrix",
    ]);
    const matrix = specs[3]!.data as { values: Array<{ actual: string; predicted: string; count: number }> };
    expect(matrix.values.filter((cell) => cell.count > 0)).toEqual([
      { actual: "a", predicted: "a", count: 2 },
      { actual: "a", predicted: "b", count: 1 },
      { actual: "b", predicted: "a", count: 1 },
      { actual: "b", predicted: "b", count: 1 },
      { actual: "c", predicted: "c", count: 1 },
    ]);
    expect(specs.every((spec) => spec.$schema === "https://vega.github.io/schema/vega-lite/v5.json")).toBe(true);
    // every spec compiles with Vega-Lite 5 and renders to SVG headlessly
    for (const spec of specs) {
      const view = new vega.View(vega.parse(compile(spec as unknown as TopLevelSpec).spec), { renderer: "none" });
      expect(await view.toSVG()).toMatch(/^<svg/);
    }
  });
});

describe("%eval report", () => {
  const command = magics[0]!.subcommands!.report!;
  const scope = { y: [0, 1, 1, 0, 1, 1, 0, 1], q: [0.1, 0.8, 0.7, 0.4, 0.9, 0.3, 0.2, 0.6], group: ["x", "x", "x", "x", "y", "y", "y", "y"] };

  it("evaluates the expressions, returns the report as data with text and HTML tables, and displays the charts", async () => {
    const ctx = fakeContext(scope);
    const result = await command.run(parsed({ labels: "y", probs: "q", slices: "({ group })", baselines: "({ coin: y.map((_, i) => i % 2) })" }), ctx);
    const data = result!.data as { metrics: Record<string, number>; baselines: Array<{ name: string }>; slices: unknown[] };
    expect(data.metrics.accuracy).toBeCloseTo(7 / 8, 12);
    expect(data.baselines.map((b) => b.name)).toEqual(["random", "zero-rule", "stratified", "coin"]);
    expect(data.slices).toHaveLength(2);
    expect(result!.text).toMatch(/accuracy ↑\s+0\.8750/);
    expect(result!.html).toMatch(/<table class="labnote-eval">/);
    expect(ctx.charts).toHaveLength(4);
  });

  it("--interval bootstrap gives bootstrap slice intervals; --no-charts skips the charts", async () => {
    const ctx = fakeContext(scope);
    const result = await command.run(parsed({ labels: "y", probs: "q", slices: "({ group })", interval: "bootstrap", charts: false }), ctx);
    const data = result!.data as { slices: Array<{ interval: { method: string } }> };
    expect(data.slices.map((slice) => slice.interval.method)).toEqual(["bootstrap", "bootstrap"]);
    expect(ctx.charts).toHaveLength(0);
  });

  it("turns bad input into an error naming the option", async () => {
    const ctx = fakeContext({ ...scope, bad: [0.1, 1.8] });
    await expect(command.run(parsed({ labels: "y", probs: "bad" }), ctx)).rejects.toThrow(MagicError);
    await expect(command.run(parsed({ labels: "y", probs: "bad" }), ctx)).rejects.toThrow(/^--probs bad: has 2 rows but labels has 8; mismatched lengths/);
    await expect(command.run(parsed({ labels: "y", probs: "q", slices: "({ none: () => false })" }), ctx)).rejects.toThrow(/^--slices \(\{ none: \(\) => false \}\): slice "none" selects no examples/);
    await expect(command.run(parsed({ labels: "missingName", preds: "y" }), ctx)).rejects.toThrow(/^--labels missingName: could not evaluate/);
  });
});
