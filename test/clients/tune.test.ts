// notebooks/tuning.ipynb executed through nbclient on the real labnote kernel: a pruned GP search over a tfjs
// model's learning rate and width on the penguins data, resumed, the test-split guard, and one final test score.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, REPO_ROOT } from "../helpers/jupyter.js";
import { chartSvgOf } from "../../kernel/display.js";

type Output = ReturnType<typeof allOutputs>[number];
const data = (output: Output): Record<string, unknown> => (output.data ?? {}) as Record<string, unknown>;

interface StudyData {
  name: string;
  sampler: string;
  pruner: string;
  best: { value: number; params: { lr: number; width: number }; trial: number };
  trials: Array<{ number: number; state: string; value: number | null; runId: string | null; params: Record<string, unknown> }>;
  importances: Record<string, number>;
}

describe("notebooks/tuning.ipynb", () => {
  it("tunes lr and width with pruning, resumes, refuses test data and scores test once", async () => {
    const projectDir = join(ARTIFACTS, `tune-notebook-${Date.now()}`);
    mkdirSync(projectDir, { recursive: true });
    const notebook = join(projectDir, "tuning.ipynb");
    copyFileSync(join(REPO_ROOT, "notebooks", "tuning.ipynb"), notebook);
    const nb = await executeNotebook(notebook, { cwd: projectDir, timeoutSec: 240 });
    const outputs = allOutputs(nb);
    const cellIndex = (needle: string): number => nb.cells.findIndex((cell) => [cell.source].flat().join("").includes(needle));
    const results = (cell: number) => outputs.filter((output) => output.cell === cell && output.output_type === "execute_result");

    // Only the guard cell errors, and it explains why.
    const errors = outputs.filter((output) => output.output_type === "error");
    const guardCell = cellIndex("--metric test.acc");
    expect(errors.map((e) => e.cell)).toEqual([guardCell]);
    expect(String(errors[0]!.evalue)).toMatch(/selection bias/);
    expect(String(errors[0]!.evalue)).toMatch(/validation split/);

    // The first search: 20 trials, some pruned, a sensible best, data in application/json.
    const searchCell = cellIndex("--trials 20");
    const study = data(results(searchCell)[0]!)["application/json"] as StudyData;
    expect(study).toMatchObject({ name: "penguins-mlp", sampler: "gp", pruner: "median" });
    expect(study.trials).toHaveLength(20);
    expect(study.trials.filter((t) => t.state === "pruned").length).toBeGreaterThan(0);
    expect(study.trials.every((t) => t.runId)).toBe(true);
    expect(study.best.value).toBeLessThan(0.3);
    expect(Object.keys(study.importances).sort()).toEqual(["lr", "width"]);
    expect(String(data(results(searchCell)[0]!)["text/html"])).toContain("<table>");

    // Live history chart updated in place, then final charts with SVG and PNG.
    const cellOutputs = outputs.filter((o) => o.cell === searchCell);
    expect(cellOutputs.some((o) => o.output_type === "update_display_data" || String(data(o)["text/plain"] ?? "").includes("20/20"))).toBe(true);
    const specs = cellOutputs.filter((o) => data(o)["application/vnd.vegalite.v5+json"]);
    const titles = specs.map((o) => JSON.stringify((data(o)["application/vnd.vegalite.v5+json"] as { title?: unknown }).title));
    for (const title of ["optimisation history", "parallel coordinates", "Parameter importance", "slices"]) expect(titles.some((t) => t.includes(title))).toBe(true);
    expect(specs.every((o) => (chartSvgOf(data(o)) ?? "").includes("<svg") && String(data(o)["image/png"] ?? "").startsWith("iVBORw0KGgo"))).toBe(true);

    // Re-running resumes: same first 20 trials, 6 more.
    const resumed = data(results(cellIndex("--trials 26"))[0]!)["application/json"] as StudyData;
    expect(resumed.trials).toHaveLength(26);
    expect(resumed.trials.slice(0, 20).map((t) => t.params)).toEqual(study.trials.map((t) => t.params));

    // The final, single test evaluation.
    const finalOutput = outputs.find((o) => o.cell === cellIndex("testAccuracy") && data(o)["application/json"])!;
    const final = data(finalOutput)["application/json"] as { testAccuracy: number; trials: number };
    expect(final.trials).toBe(26);
    expect(final.testAccuracy).toBeGreaterThan(0.85);
  });
});
