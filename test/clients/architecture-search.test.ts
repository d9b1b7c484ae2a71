// notebooks/architecture-search.ipynb through nbclient on the real kernel: a define-by-run architecture space with
// conditional parameters, TPE + Hyperband, the best architecture retrained and evaluated once with %eval.
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, REPO_ROOT } from "../helpers/jupyter.js";

interface StudyData {
  name: string;
  sampler: string;
  pruner: string;
  trials: Array<{ number: number; state: string; params: Record<string, unknown>; intermediate: { step: number }[] }>;
  best: { trial: number; params: Record<string, unknown> };
}

describe("notebooks/architecture-search.ipynb", () => {
  it("searches depth, widths, activations and dropout with TPE + Hyperband and evaluates the best with %eval", async () => {
    const projectDir = join(ARTIFACTS, `architecture-search-${Date.now()}`);
    mkdirSync(projectDir, { recursive: true });
    copyFileSync(join(REPO_ROOT, "notebooks", "architecture-search.ipynb"), join(projectDir, "architecture-search.ipynb"));
    const nb = await executeNotebook(join(projectDir, "architecture-search.ipynb"), { cwd: projectDir, timeoutSec: 240 });
    const outputs = allOutputs(nb);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);
    const json = outputs.map((output) => (output.data as Record<string, unknown> | undefined)?.["application/json"]).filter((value): value is Record<string, unknown> => typeof value === "object" && value !== null);

    const study = json.find((value) => value["name"] === "penguins-architecture") as unknown as StudyData;
    expect(study).toMatchObject({ sampler: "tpe", pruner: "hyperband" });
    expect(study.trials).toHaveLength(24);
    const pruned = study.trials.filter((trial) => trial.state === "pruned");
    expect(pruned.length).toBeGreaterThan(0);
    // Hyperband's rungs sit at epochs 1, 3 and 9: pruned trials mostly stop early.
    expect(pruned.filter((trial) => trial.intermediate.length < 9).length).toBeGreaterThan(0);
    // Conditional parameters: a layer's width exists exactly when the depth has that layer; the rate only with dropout on.
    for (const trial of study.trials) {
      const depth = trial.params["depth"] as number;
      for (let layer = 1; layer <= 3; layer++) expect(`width_${layer}` in trial.params, `trial ${trial.number}`).toBe(layer <= depth);
      expect("dropout_rate" in trial.params).toBe(trial.params["dropout"] === "on");
    }
    expect(new Set(study.trials.map((trial) => trial.params["depth"])).size).toBeGreaterThan(1);

    const final = json.find((value) => "architecture" in value) as { bestTrial: number; architecture: { layers: unknown[] } };
    expect(final.bestTrial).toBe(study.best.trial);
    expect(final.architecture.layers).toHaveLength(study.best.params["depth"] as number);

    const report = json.find((value) => "metrics" in value && "baselines" in value) as { metrics: { accuracy: number; logLoss: number }; baselines: unknown };
    expect(report.metrics.accuracy).toBeGreaterThan(0.85);
    expect(report.metrics.logLoss).toBeGreaterThan(0);
  }, 300_000);
});
