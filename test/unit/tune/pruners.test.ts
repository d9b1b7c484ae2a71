import { describe, expect, it } from "vitest";
import { SuccessiveHalvingPruner } from "../../../magics/tune/pruners/asha.js";
import { MedianPruner } from "../../../magics/tune/pruners/median.js";
import type { PrunerTrial } from "../../../magics/tune/pruners/types.js";

const curve = (number: number, values: number[], state: PrunerTrial["state"] = "complete"): PrunerTrial => ({
  number,
  state,
  intermediate: values.map((value, step) => ({ step, value })),
});

describe("median pruner (Optuna semantics)", () => {
  const finished = [curve(0, [1.0, 0.8, 0.6]), curve(1, [1.2, 0.9, 0.7]), curve(2, [0.9, 0.7, 0.5])];
  it("prunes a trial whose best value is worse than the median of completed trials at that step", () => {
    const pruner = new MedianPruner({ startupTrials: 3 });
    expect(pruner.shouldPrune(curve(9, [1.5, 1.4]), finished)).toBe(true);
    expect(pruner.shouldPrune(curve(9, [1.0, 0.75]), finished)).toBe(false);
  });
  it("waits for n_startup_trials completed trials and n_warmup_steps", () => {
    expect(new MedianPruner({ startupTrials: 4 }).shouldPrune(curve(9, [5, 5]), finished)).toBe(false);
    expect(new MedianPruner({ startupTrials: 3, warmupSteps: 2 }).shouldPrune(curve(9, [5, 5]), finished)).toBe(false);
    expect(new MedianPruner({ startupTrials: 3, warmupSteps: 2 }).shouldPrune(curve(9, [5, 5, 5]), finished)).toBe(true);
  });
  it("ignores running and pruned trials when taking the median", () => {
    const others = [...finished, curve(3, [9, 9], "running"), curve(4, [9, 9], "pruned")];
    expect(new MedianPruner({ startupTrials: 3 }).shouldPrune(curve(9, [1.0, 0.75]), others)).toBe(false);
  });
});

describe("successive halving (ASHA)", () => {
  it("places rungs at minResource · reductionFactor^k", () => {
    const pruner = new SuccessiveHalvingPruner({ minResource: 2, reductionFactor: 3 });
    expect([0, 1, 2].map((k) => pruner.rungStep(k))).toEqual([2, 6, 18]);
  });
  it("keeps only the top 1/reductionFactor at a rung", () => {
    const pruner = new SuccessiveHalvingPruner({ minResource: 1, reductionFactor: 2 });
    const others = [curve(0, [1, 0.5]), curve(1, [1, 0.6]), curve(2, [1, 0.7])];
    // At rung 0 (step 1): competing values 0.5, 0.6, 0.7 plus ours; the top half passes.
    expect(pruner.shouldPrune(curve(9, [1, 0.55]), others)).toBe(false);
    expect(pruner.shouldPrune(curve(9, [1, 0.65]), others)).toBe(true);
  });
  it("lets the first trials through (nothing to compare with) and prunes NaN", () => {
    const pruner = new SuccessiveHalvingPruner();
    expect(pruner.shouldPrune(curve(0, [3, 2]), [])).toBe(false);
    expect(pruner.shouldPrune(curve(1, [NaN]), [])).toBe(true);
  });
});
