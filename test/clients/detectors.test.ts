// notebooks/debugging.ipynb executed once through nbclient on the real labnote kernel: every anomaly detector fires on
// its deliberately broken tracked cell, naming what it saw and the step, and none fires on the healthy run.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, REPO_ROOT, type NotebookJSON } from "../helpers/jupyter.js";

type Output = ReturnType<typeof allOutputs>[number];
const text = (value: unknown): string => (Array.isArray(value) ? value.join("") : String(value ?? ""));

let notebook: NotebookJSON;
let outputs: Output[];

/** The index of the code cell whose source starts with `start` (e.g. "%%track --name healthy"). */
function cellIndex(start: string): number {
  const index = notebook.cells.findIndex((cell) => cell.cell_type === "code" && text(cell.source).startsWith(start));
  if (index < 0) throw new Error(`no cell starting with ${start}`);
  return index;
}

/** Everything a cell printed to its stream outputs (the detectors' warnings go to stderr). */
function streamOf(start: string): string {
  const cell = cellIndex(start);
  return outputs.filter((output) => output.cell === cell && output.output_type === "stream").map((output) => text(output.text)).join("");
}

function resultOf(start: string): { status?: string; metrics: Record<string, unknown>; warnings?: string[] } {
  const cell = cellIndex(start);
  const result = outputs.find((output) => output.cell === cell && output.output_type === "execute_result");
  return (result!.data as Record<string, unknown>)["application/json"] as { status?: string; metrics: Record<string, unknown>; warnings?: string[] };
}

beforeAll(async () => {
  const dir = join(ARTIFACTS, "detectors", `run-${Date.now()}`);
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(REPO_ROOT, "notebooks", "debugging.ipynb"), join(dir, "debugging.ipynb"));
  notebook = await executeNotebook(join(dir, "debugging.ipynb"), { cwd: dir, timeoutSec: 240, outputPath: join(dir, "debugging.executed.ipynb") });
  outputs = allOutputs(notebook);
}, 300_000);

describe("notebooks/debugging.ipynb: the detectors through the kernel", () => {
  it("runs start to end; the only error is the out-of-memory cell's, which says the step, the last good step and what to try", () => {
    const errors = outputs.filter((output) => output.output_type === "error");
    expect(errors.map((error) => error.cell)).toEqual([cellIndex("%%track --name out-of-memory")]);
    expect(String(errors[0]!.evalue)).toMatch(/trainLoop: out of memory at step 30 \(.+\); the last good step was 29 .*Try a smaller batchSize/);
    const oneBatch = outputs.find((output) => output.cell === cellIndex("const small") && output.output_type === "execute_result")!;
    expect(text((oneBatch.data as Record<string, unknown>)["text/plain"])).toMatch(/can fit: loss [\d.]+ → [\d.e-]+ in \d+ steps/);
  });

  it("the healthy run records probes, the baseline and val loss, and warns of nothing", () => {
    const healthy = resultOf("%%track --name healthy");
    for (const key of ["train.loss", "train.baseline_loss", "val.loss", "dead_units.hidden", "weights.global", "train.grad_norm"]) expect(healthy.metrics[key], key).toBeTypeOf("number");
    expect(healthy.metrics["dead_units.hidden"]).toBeLessThan(0.5);
    expect(healthy.metrics["train.loss"] as number).toBeLessThan(0.1 * (healthy.metrics["train.baseline_loss"] as number));
    expect(streamOf("%%track --name healthy")).not.toMatch(/labnote:/);
    expect(healthy.warnings ?? []).toEqual([]);
  });

  it("dead ReLUs from a bad bias: dead units, vanishing gradients, flat loss and underfitting", () => {
    const stream = streamOf("%%track --name dead-relu");
    expect(stream).toMatch(/100% of the units of layer "hidden" output zero on the whole probe batch at step \d+ in run "dead-relu" .*check the bias initialisation/);
    expect(stream).toMatch(/vanishing gradient norm 0\.00e\+0 at step \d+ in run "dead-relu"/);
    expect(stream).toMatch(/train loss has not changed over the last 100 points \(step \d+\) in run "dead-relu"/);
    expect(stream).toMatch(/at step \d+ is no better than [\d.]+, the loss of always predicting the labels' mean\/prior, in run "dead-relu": the model is underfitting/);
  });

  it("a huge learning rate: exploding gradients, unstable weights and NaN/Inf loss", () => {
    const stream = streamOf("%%track --name exploding");
    expect(stream).toMatch(/exploding gradient norm [\d.e+]+ at step \d+ in run "exploding": lower the learning rate/);
    expect(stream).toMatch(/the weight norm of layer "(hidden|out)" (grew from [\d.e+-]+ at step \d+ to [\d.e+-]+|became (NaN|Infinity)) at step \d+ in run "exploding" \(unstable weights\): lower the learning rate/);
    expect(stream).toMatch(/train loss is (NaN|Infinity) at step \d+ in run "exploding"\. Training has diverged/);
    expect(stream).not.toMatch(/output zero/); // NaN weights are not dead units
  });

  it("a linear model on y = x1·x2 underfits; 16 noisy rows overfit", () => {
    expect(streamOf("%%track --name underfitting")).toMatch(/train loss [\d.]+ \(mean of the last points\) at step \d+ is no better than [\d.]+.* in run "underfitting": the model is underfitting/);
    expect(streamOf("%%track --name overfitting")).toMatch(/the gap between val and train loss has widened at each of the last 4 evaluations \(step \d+\) in run "overfitting": the model is overfitting/);
  });

  it("a loop without tf.tidy leaks; a loop that slows down collapses; memory near the limit warns", () => {
    expect(streamOf("%%track --name leak")).toMatch(/\d+ tensors alive and growing at every check up to step \d+ in run "leak": wrap the step in tf\.tidy/);
    expect(streamOf("%%track --name slowdown")).toMatch(/throughput fell to [\d.]+ steps\/s at step \d+ in run "slowdown" \(from a median of [\d.]+\)/);
    expect(streamOf("%%track --name memory")).toMatch(/tensors hold [\d.]+ MB, \d+% of [\d.]+ MB \(LABNOTE_MEMORY_LIMIT=\d+\) at step \d+ in run "memory": out of memory is near/);
  });

  it("the out-of-memory run ends failed with its last good step, its losses kept", () => {
    const shown = outputs.find((output) => output.cell === cellIndex("%track show out-of-memory") && output.output_type === "execute_result")!;
    const plain = text((shown.data as Record<string, unknown>)["text/plain"]);
    expect(plain).toMatch(/failed/);
    expect(plain).toMatch(/last_good_step\s+29/);
    expect(plain).toMatch(/failed_at_step\s+30/);
  });
});
