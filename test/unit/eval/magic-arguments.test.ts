// %eval report with expressions as a user types them: parsed by the magic parser, evaluated in a (fake) notebook scope.
import { describe, expect, it } from "vitest";
import { magics } from "../../../magics/eval/command.js";
import { evaluate } from "../../../magics/eval/index.js";
import { parseArguments } from "../../../magics/parser.js";
import { fakeContext } from "./fake-context.js";

const command = magics[0]!.subcommands!.report!;
const scope = {
  y: [0, 1, 1, 0, 1, 0],
  preds: [0, 1, 0, 0, 1, 1],
  isl: ["a", "a", "b", "b", "b", "a"],
};

async function report(args: string, names: Record<string, unknown> = scope) {
  const ctx = fakeContext(names);
  const result = await command.run(parseArguments(command, args), ctx);
  return { data: result!.data as { metrics: Record<string, number>; slices: Array<{ name: string; count: number }>; baselines: Array<{ name: string; metrics: Record<string, number> }> }, ctx };
}

describe("%eval report arguments", () => {
  it("takes literal arrays, object literals and arrow functions with spaces", async () => {
    const { data } = await report("--labels y --preds [0, 1, 1, 0, 1, 1] --slices {island: isl} --baselines {rule: preds.map(p => 1 - p)} --no-charts");
    expect(data.metrics.accuracy).toBeCloseTo(5 / 6, 12);
    expect(data.slices.map((slice) => [slice.name, slice.count])).toEqual([["island=a", 3], ["island=b", 3]]);
    const rule = data.baselines.find((baseline) => baseline.name === "rule")!;
    expect(rule.metrics.accuracy).toBeCloseTo(2 / 6, 12); // 1 - preds is right where preds is wrong (2 of 6)
  });

  it("--slices COLUMN slices by that one column, named after the expression", async () => {
    const { data } = await report("--labels y --preds preds --slices isl --no-charts");
    expect(data.slices.map((slice) => slice.name)).toEqual(["isl=a", "isl=b"]);
    const { data: mapped } = await report("--labels y --preds preds --slices isl.map(v => v.toUpperCase()) --no-charts");
    expect(mapped.slices.map((slice) => slice.name)).toEqual(["isl.map(v => v.toUpperCase())=A", "isl.map(v => v.toUpperCase())=B"]);
  });

  it("errors name the option and show the expression", async () => {
    await expect(report("--labels y --preds [0, 1]")).rejects.toThrow(/^--preds \[0, 1\]: has 2 elements but labels has 6/);
    await expect(report("--labels y --preds preds --slices isl.slice(1)")).rejects.toThrow(/^--slices isl\.slice\(1\): slice "isl\.slice\(1\)" has 5 values but labels has 6/);
  });
});

describe("the class-imbalance advice", () => {
  it("is given only when classes are imbalanced", async () => {
    // Balanced labels, a model worse than the majority: the zero-rule warning, without imbalance advice.
    const balanced = await evaluate.report({ labels: [0, 1, 0, 1, 0, 1], preds: [1, 0, 1, 0, 0, 1] });
    const balancedWarning = balanced.warnings.find((warning) => warning.includes("zero-rule"));
    expect(balancedWarning).toBeDefined();
    expect(balancedWarning).not.toMatch(/imbalanced/);
    // Labels 5:1, the same kind of model: the advice is there.
    const skewed = await evaluate.report({ labels: [0, 0, 0, 0, 0, 1], preds: [1, 0, 1, 0, 0, 0] });
    expect(skewed.warnings.find((warning) => warning.includes("zero-rule"))).toMatch(/Classes are imbalanced \(the largest class is 83\.3% of labels, the smallest 16\.7%\)/);
  });
});
