// notebooks/tracking.ipynb executed through nbclient on the real labnote kernel: live charts end with an SVG
// fallback, %%track results are data, the broken run warns, the runs table and compare render.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, REPO_ROOT } from "../helpers/jupyter.js";
import { chartSvgOf } from "../../kernel/display.js";

type Output = ReturnType<typeof allOutputs>[number];
const data = (output: Output): Record<string, unknown> => (output.data ?? {}) as Record<string, unknown>;
const text = (output: Output): string => String(output.text ?? "");

describe("notebooks/tracking.ipynb", () => {
  it("trains, tracks, warns and compares through a real Jupyter client", async () => {
    // A fresh project directory inside the repository, so node_modules (tfjs, vega-datasets, labnote) resolve.
    const projectDir = join(ARTIFACTS, `track-notebook-${Date.now()}`);
    mkdirSync(projectDir, { recursive: true });
    const notebook = join(projectDir, "tracking.ipynb");
    copyFileSync(join(REPO_ROOT, "notebooks", "tracking.ipynb"), notebook);
    const nb = await executeNotebook(notebook, { cwd: projectDir, timeoutSec: 240 });
    const outputs = allOutputs(nb);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);

    const cellIndex = (needle: string): number => nb.cells.findIndex((cell) => [cell.source].flat().join("").includes(needle));
    const results = (cell: number) => outputs.filter((output) => output.cell === cell && output.output_type === "execute_result");

    // Live charts: the last state of each chart carries Vega-Lite and the SVG and PNG fallbacks.
    const fastCell = cellIndex("--name lr-0.1 ");
    const charts = outputs.filter((output) => output.cell === fastCell && data(output)["application/vnd.vegalite.v5+json"]);
    expect(charts.length).toBeGreaterThan(0);
    expect(chartSvgOf(data(charts.at(-1)!))).toContain("<svg");
    expect(String(data(charts.at(-1)!)["image/png"])).toMatch(/^iVBORw0KGgo/);

    // model.fit with run.callback() shows an epoch progress bar, updated in place to the last epoch: a <progress>
    // element, or an ipywidgets IntProgress view (with its text line) when the client has a widget manager.
    const bars = outputs.filter((output) => output.cell === fastCell && /^epoch \d+\/30/.test(String(data(output)["text/plain"] ?? "")));
    expect(bars).toHaveLength(1);
    expect(String(data(bars[0]!)["text/html"] ?? "").includes('<progress value="30" max="30">') || data(bars[0]!)["application/vnd.jupyter.widget-view+json"] !== undefined).toBe(true);
    expect(String(data(bars[0]!)["text/plain"])).toMatch(/^epoch 30\/30 loss \d+\.\d{4} acc \d\.\d{4} val_loss \d+\.\d{4} val_acc \d\.\d{4} \[#+\] 30\/30 \(100%\)$/);

    // %%track returns the run as application/json.
    const fast = data(results(fastCell)[0])["application/json"] as { name: string; params: { lr: number }; metrics: Record<string, number> };
    expect(fast).toMatchObject({ name: "lr-0.1", params: { lr: 0.1 } });
    expect(fast.metrics["val.acc"]).toBeGreaterThan(0.8);
    expect(fast.metrics["train.loss"]).toBeLessThan(0.5);

    // The broken run warns inline with the step, and still completes.
    const brokenCell = cellIndex("--name broken-lr");
    const warning = outputs.filter((output) => output.cell === brokenCell && output.output_type === "stream").map(text).join("");
    expect(warning).toMatch(/loss is NaN at step \d+ in run "broken-lr"/);
    expect((data(results(brokenCell)[0])["application/json"] as { metrics: Record<string, unknown> }).metrics["train.loss"]).toBe("NaN");

    // Runs table: data, text and HTML.
    const runsCell = cellIndex("%track runs --where \"tags contains penguins\"");
    const table = results(runsCell)[0];
    const listed = (data(table)["application/json"] as { runs: Array<{ name: string }> }).runs.map((run) => run.name);
    expect(listed[0]).toBe("lr-0.1"); // sorted by -val.acc
    expect(listed).toEqual(expect.arrayContaining(["lr-0.01", "lr-0.1", "broken-lr"]));
    expect(String(data(table)["text/html"])).toContain("<table");
    const filtered = (data(results(cellIndex("params.lr < 1 and val.acc > 0.5"))[0])["application/json"] as { runs: Array<{ name: string }> }).runs.map((run) => run.name);
    expect(filtered).not.toContain("broken-lr");

    // Compare: overlaid chart and a params diff.
    const compareCell = cellIndex("%track compare");
    expect(outputs.some((output) => output.cell === compareCell && data(output)["application/vnd.vegalite.v5+json"])).toBe(true);
    const comparison = data(results(compareCell)[0])["application/json"] as { params: Array<{ key: string; values: unknown[]; differs: boolean }> };
    expect(comparison.params.find((row) => row.key === "lr")).toEqual({ key: "lr", values: [0.01, 0.1], differs: true });

    // trainLoop inside a cell shows a step progress bar, ending at its last step and epoch; every loss is in the run.
    const loopCell = cellIndex("--name penguins-trainloop");
    const stepBars = outputs.filter((output) => output.cell === loopCell && /^step \d+\//.test(String(data(output)["text/plain"] ?? "")));
    expect(stepBars).toHaveLength(1);
    expect(String(data(stepBars[0]!)["text/plain"])).toMatch(/^step (\d+)\/\1 epoch 10\/10 loss \S+ \[#+\] (\d+)\/\2 \(100%\)$/);
    expect(String(data(stepBars[0]!)["text/html"] ?? "")).toContain("<progress");
    const looped = data(results(loopCell)[0])["application/json"] as { metrics: Record<string, number> };
    expect(looped.metrics["train.loss"]).toBeLessThan(0.5);

    // track.start outside a magic, with display: true, draws its chart too and returns its result.
    const manualCell = cellIndex("manual-schedule");
    expect(outputs.some((output) => output.cell === manualCell && (chartSvgOf(data(output)) ?? "").includes("<svg"))).toBe(true);
  });
});
