// notebooks/evaluation.ipynb and %seed / %eval errors, executed through nbclient on the real labnote kernel.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, REPO_ROOT, writeNotebook, type NotebookJSON } from "../helpers/jupyter.js";

type Output = ReturnType<typeof allOutputs>[number];

function workDir(name: string): string {
  const dir = join(ARTIFACTS, "eval", `${name}-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** nbformat stores multi-line text as a list of lines. */
function text(value: unknown): string {
  return Array.isArray(value) ? value.join("") : String(value);
}

function codeCellIndex(nb: NotebookJSON, startsWith: string): number {
  const index = nb.cells.findIndex((cell) => cell.cell_type === "code" && (Array.isArray(cell.source) ? cell.source.join("") : cell.source).startsWith(startsWith));
  expect(index, `a cell starting with ${startsWith}`).toBeGreaterThanOrEqual(0);
  return index;
}

function resultOf(outputs: Output[], cell: number): Record<string, unknown> {
  const result = outputs.find((output) => output.cell === cell && output.output_type === "execute_result");
  expect(result, `execute_result of cell ${cell}`).toBeDefined();
  return result!.data as Record<string, unknown>;
}

interface ReportData {
  count: number;
  classes: string[];
  metrics: Record<string, number>;
  confusionMatrix: number[][];
  perClass: Array<{ label: string; support: number }>;
  baselines: Array<{ name: string; kind: string; metrics: Record<string, number>; delta: Record<string, number> }>;
  calibration: { uniform: { ece: number; bins: unknown[] } };
  slices: Array<{ name: string; count: number; flagged: boolean; interval: { lower: number; upper: number } }>;
  tests: Array<{ name: string; kind: string; pass: boolean; total: number }>;
  warnings: string[];
}

describe("notebooks/evaluation.ipynb on the labnote kernel", () => {
  it("reports the penguin model against baselines, with calibration, slices, behavioural tests and charts", async () => {
    const dir = workDir("notebook");
    copyFileSync(join(REPO_ROOT, "notebooks", "evaluation.ipynb"), join(dir, "evaluation.ipynb"));
    const nb = await executeNotebook(join(dir, "evaluation.ipynb"), { cwd: dir, timeoutSec: 240 });
    const outputs = allOutputs(nb);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);

    expect(resultOf(outputs, codeCellIndex(nb, "%seed"))["application/json"]).toMatchObject({ seed: 7 });
    const split = text(resultOf(outputs, codeCellIndex(nb, "import"))["text/plain"]);
    expect(split).toMatch(/train: 205/);
    expect(split).toMatch(/test: 137/);

    const evalCell = codeCellIndex(nb, "%eval report");
    const bundle = resultOf(outputs, evalCell);
    const report = bundle["application/json"] as ReportData;
    expect(report.count).toBe(137);
    expect(report.classes).toEqual(["Adelie", "Chinstrap", "Gentoo"]);
    const diagonal = report.confusionMatrix.reduce((sum, row, i) => sum + row[i]!, 0);
    expect(report.metrics.accuracy).toBeCloseTo(diagonal / report.count, 12);
    expect(report.metrics.accuracy).toBeGreaterThan(0.7);
    for (const key of ["precision", "recall", "f1", "f1Micro", "rocAuc", "prAuc", "logLoss", "brier", "ece", "mce"]) expect(report.metrics[key], key).toBeTypeOf("number");

    expect(report.baselines.map((b) => b.name)).toEqual(["random", "zero-rule", "stratified", "flipper rule"]);
    const zeroRule = report.baselines[1]!;
    expect(zeroRule.metrics.accuracy).toBeCloseTo(Math.max(...report.perClass.map((row) => row.support)) / report.count, 12);
    expect(zeroRule.delta.accuracy).toBeGreaterThan(0.2);
    expect(report.calibration.uniform.bins).toHaveLength(10);

    const slices = Object.fromEntries(report.slices.map((slice) => [slice.name, slice]));
    expect(Object.keys(slices)).toEqual(expect.arrayContaining(["island=Biscoe", "island=Dream", "island=Torgersen", "sex=MALE", "sex=FEMALE"]));
    expect(slices["island=Dream"]!.flagged).toBe(true); // Chinstraps live on Dream, and the model confuses them with Adélies
    expect(report.slices.reduce((sum, slice) => sum + (slice.name.startsWith("island=") ? slice.count : 0), 0)).toBe(137);

    expect(report.tests.map((test) => [test.kind, test.pass])).toEqual([["mft", true], ["inv", true], ["dir", true], ["robustness", true]]);

    expect(text(bundle["text/plain"])).toMatch(/zero-rule/);
    expect(text(bundle["text/html"])).toMatch(/<table class="labnote-eval">/);
    const charts = outputs.filter((output) => output.cell === evalCell && output.output_type === "display_data" && "application/vnd.vegalite.v5+json" in (output.data as object));
    expect(charts.length).toBe(4);
    const warnings = outputs.filter((output) => output.cell === evalCell && output.output_type === "stream").map((output) => text(output.text)).join("");
    expect(warnings).toMatch(/island=Dream/);

    // overfitOneBatch (imported from "labnote") on a tfjs MLP and one batch of penguins
    const verdict = text(resultOf(outputs, codeCellIndex(nb, 'import { overfitOneBatch }'))["text/plain"]);
    expect(verdict).toMatch(/can fit: loss [\d.]+ → [\d.e-]+ in \d+ steps/);
  });

  it("%seed reseeds Math.random in cells; %eval errors name the option and the problem", async () => {
    const dir = workDir("errors");
    writeNotebook(join(dir, "seed-errors.ipynb"), [
      "%seed 5",
      "const first = [Math.random(), Math.random()];",
      "%seed 5",
      "const second = [Math.random(), Math.random()];\nJSON.stringify(first) === JSON.stringify(second)",
      "%seed",
      "const y = [0, 1, 1];\nconst q = [0.2, 1.4, 0.9];",
      "%eval report --labels y --probs q",
      "%eval report --labels y --preds y.slice(1)",
      "%eval report --labels [0,1,1,0] --preds [0,1,0,0] --no-charts --interval bootstrap --slices {first:(i:number)=>i<2}",
    ]);
    const nb = await executeNotebook(join(dir, "seed-errors.ipynb"), { cwd: dir, allowErrors: true, timeoutSec: 120 });
    const outputs = allOutputs(nb);
    expect(text(resultOf(outputs, 3)["text/plain"])).toBe("true");
    expect(resultOf(outputs, 4)["application/json"]).toEqual({ seed: 5 });
    const errorOf = (cell: number) => outputs.find((output) => output.cell === cell && output.output_type === "error") as { evalue: string } | undefined;
    expect(errorOf(6)?.evalue).toMatch(/--probs q: element 1 is 1.4, outside \[0, 1\]/);
    expect(errorOf(7)?.evalue).toMatch(/--preds y\.slice\(1\): has 2 elements but labels has 3; mismatched lengths/);
    const small = resultOf(outputs, 8)["application/json"] as { metrics: { accuracy: number }; slices: Array<{ name: string; interval: { method: string } }> };
    expect(small.metrics.accuracy).toBe(0.75);
    expect(small.slices.map((slice) => [slice.name, slice.interval.method])).toEqual([["first", "bootstrap"]]);
    expect(outputs.filter((output) => output.cell === 8 && output.output_type === "display_data")).toEqual([]);
  });
});
