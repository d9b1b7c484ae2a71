// Magic arguments as a user types them, through nbclient on the real labnote kernel: TypeScript expressions with
// spaces, a single --slices column, unbalanced expressions refused, and a study that keeps its sampler.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook } from "../helpers/jupyter.js";

type Output = ReturnType<typeof allOutputs>[number];

function text(value: unknown): string {
  return Array.isArray(value) ? value.join("") : String(value);
}

function jsonResult(outputs: Output[], cell: number): Record<string, unknown> {
  const result = outputs.find((output) => output.cell === cell && output.output_type === "execute_result");
  expect(result, `execute_result of cell ${cell}`).toBeDefined();
  return (result!.data as Record<string, unknown>)["application/json"] as Record<string, unknown>;
}

function errorOf(outputs: Output[], cell: number): { ename: string; evalue: string } | undefined {
  return outputs.find((output) => output.cell === cell && output.output_type === "error") as { ename: string; evalue: string } | undefined;
}

describe("magic arguments on the labnote kernel", () => {
  it("take TypeScript expressions with spaces; --slices takes one column; bad ones are refused by name", async () => {
    const dir = join(ARTIFACTS, "magic-arguments", `run-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    writeNotebook(join(dir, "arguments.ipynb"), [
      'const y = [0, 1, 1, 0, 1, 0];\nconst isl = ["a", "a", "b", "b", "b", "a"];\nconst preds = [0, 1, 0, 0, 1, 1];',
      "%eval report --labels y --preds [0, 1, 1, 0, 1, 1] --slices {island: isl} --baselines {rule: preds.map(p => 1 - p)} --no-charts",
      "%eval report --labels y --preds preds --slices isl --no-charts",
      "%eval report --labels y --preds [0, 1 --no-charts",
      "%eval report --labels y --preds preds.map(p => `${p}`).slice(2) --no-charts",
      '%%tune --trials 2 --sampler random --study keeps-sampler --seed 1\nreturn (trial.float("x", 0, 1) - 0.5) ** 2;',
      '%%tune --trials 3 --sampler tpe --study keeps-sampler\nreturn (trial.float("x", 0, 1) - 0.5) ** 2;',
      '%%tune --trials 3 --study keeps-sampler\nreturn (trial.float("x", 0, 1) - 0.5) ** 2;',
    ]);
    const nb = await executeNotebook(join(dir, "arguments.ipynb"), { cwd: dir, allowErrors: true, timeoutSec: 180 });
    const outputs = allOutputs(nb);
    expect(errorOf(outputs, 0)).toBeUndefined();

    const literal = jsonResult(outputs, 1) as { metrics: { accuracy: number }; slices: Array<{ name: string }>; baselines: Array<{ name: string; metrics: { accuracy: number } }> };
    expect(errorOf(outputs, 1)).toBeUndefined();
    expect(literal.metrics.accuracy).toBeCloseTo(5 / 6, 12);
    expect(literal.slices.map((slice) => slice.name)).toEqual(["island=a", "island=b"]);
    expect(literal.baselines.find((baseline) => baseline.name === "rule")?.metrics.accuracy).toBeCloseTo(2 / 6, 12);

    const column = jsonResult(outputs, 2) as { slices: Array<{ name: string; count: number }> };
    expect(column.slices.map((slice) => [slice.name, slice.count])).toEqual([["isl=a", 3], ["isl=b", 3]]);

    const unbalanced = errorOf(outputs, 3);
    expect(unbalanced?.evalue).toMatch(/--preds \[0, 1 --no-charts: "\[" is never closed; add \]/);
    expect(outputs.some((output) => output.cell === 3 && output.output_type === "execute_result")).toBe(false);
    expect(errorOf(outputs, 4)?.evalue).toMatch(/--preds preds\.map\(p => `\$\{p\}`\)\.slice\(2\): has 4 elements but labels has 6/);

    const study = jsonResult(outputs, 5) as { sampler: string; trials: unknown[] };
    expect(study).toMatchObject({ sampler: "random" });
    expect(study.trials).toHaveLength(2);
    expect(errorOf(outputs, 6)?.evalue).toMatch(/created with --sampler random; it cannot resume with --sampler tpe/);
    const resumed = jsonResult(outputs, 7) as { sampler: string; trials: unknown[] };
    expect(resumed).toMatchObject({ sampler: "random" });
    expect(resumed.trials).toHaveLength(3);
    expect(text(nb.cells[7]!.outputs!.map((output) => text(output.text ?? "")).join(""))).not.toMatch(/Error/);
  }, 240_000);
});
