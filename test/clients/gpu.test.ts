// notebooks/gpu-training.ipynb executed through nbclient on the real labnote kernel: %backend shows the backend
// the ladder chose (wasm here: no GPU) and why, trainLoop trains a layers model inside %%track (every loss logged,
// tensor count flat), a custom loss over variables, and %backend cpu switches with the trained model kept.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, REPO_ROOT } from "../helpers/jupyter.js";

type Output = ReturnType<typeof allOutputs>[number];
const data = (output: Output): Record<string, unknown> => (output.data ?? {}) as Record<string, unknown>;

describe("notebooks/gpu-training.ipynb", () => {
  it("shows the backend, trains with trainLoop inside %%track, and switches backend mid-session", async () => {
    const projectDir = join(ARTIFACTS, `gpu-notebook-${Date.now()}`);
    mkdirSync(projectDir, { recursive: true });
    const notebook = join(projectDir, "gpu-training.ipynb");
    copyFileSync(join(REPO_ROOT, "notebooks", "gpu-training.ipynb"), notebook);
    const nb = await executeNotebook(notebook, { cwd: projectDir, timeoutSec: 240 });
    const outputs = allOutputs(nb);
    expect(outputs.filter((o) => o.output_type === "error")).toEqual([]);
    const cellIndex = (needle: string): number => nb.cells.findIndex((cell) => cell.cell_type === "code" && [cell.source].flat().join("").includes(needle));
    const result = (cell: number) => data(outputs.find((o) => o.cell === cell && o.output_type === "execute_result")!)["application/json"] as Record<string, unknown>;
    const text = (cell: number) => outputs.filter((o) => o.cell === cell && o.output_type === "stream").map((o) => String(o.text)).join("");

    // %backend: wasm here, with the reason and the skipped rungs (webgpu: no adapter on this machine).
    const backend = result(cellIndex("%backend\n") >= 0 ? cellIndex("%backend\n") : cellIndex("%seed 7"));
    expect(backend.name).toBe("wasm");
    expect(String(backend.reason)).toMatch(/^tfjs backend wasm — .*SIMD/);
    expect((backend.skipped as { name: string; why: string }[]).map((s) => s.name.split(" ")[0])).toEqual(["tensorflow", "webgpu", "tensorflow"]);

    // The tracked training cell: the run's final train loss is low, the summary has accuracy, tensors stayed flat.
    const trackCell = cellIndex("%%track --name spiral-mlp");
    const run = result(trackCell) as { name: string; metrics: Record<string, unknown>; summary?: Record<string, unknown> };
    expect(run.name).toBe("spiral-mlp");
    const log = text(trackCell);
    const [, steps, trainedOn, firstLoss, finalLoss, accuracy] = /(\d+) steps on (\w+): loss ([\d.]+) -> ([\d.]+), accuracy ([\d.]+)/.exec(log)!;
    expect(Number(steps)).toBe(60 * 7);
    expect(trainedOn).toBe("wasm");
    expect(Number(finalLoss)).toBeLessThan(Number(firstLoss) / 3);
    expect(Number(accuracy)).toBeGreaterThan(0.9);
    // Step capture needs webgpu: here trainLoop says so and trains on the plain path.
    expect(log).toMatch(/step capture: off: step capture needs the webgpu backend \(this is wasm\)/);
    const [, before, after] = /tensors alive before (\d+), after (\d+)/.exec(log)!;
    // Only Adam's state is new: m and v per weight (3 layers x kernel+bias = 6) plus its two beta powers.
    expect(Number(after)).toBe(Number(before) + 2 * 6 + 2);
    expect(JSON.stringify(run.metrics)).toMatch(/loss/);

    // Custom loss over plain variables.
    const custom = JSON.parse(text(cellIndex("sigmoidCrossEntropy"))) as { steps: number; firstLoss: number; finalLoss: number };
    expect(custom.steps).toBe(200);
    expect(custom.finalLoss).toBeLessThan(custom.firstLoss);

    // %backend cpu switches; the trained model keeps training there.
    const switched = result(cellIndex("%backend cpu"));
    expect(switched).toMatchObject({ name: "cpu", switchedFrom: "wasm" });
    const more = JSON.parse(text(cellIndex("steps: 4"))) as { backend: string; steps: number; finalLoss: number };
    expect(more).toMatchObject({ backend: "cpu", steps: 4 });
    expect(more.finalLoss).toBeLessThan(Number(firstLoss) / 2);
  });
});
