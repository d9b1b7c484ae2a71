// Hyperband (Optuna's HyperbandPruner semantics): brackets of successive halving, trials assigned by number in
// proportion to each bracket's budget, competing only within their bracket; maxResource "auto" waits for a trial
// to complete. And through a study: `--pruner hyperband` prunes the slow learners.
import { describe, expect, it } from "vitest";
import { HyperbandPruner } from "../../../magics/tune/pruners/hyperband.js";
import type { PrunerTrial } from "../../../magics/tune/pruners/types.js";
import { createPruner, PRUNER_NAMES } from "../../../magics/tune/registry.js";
import { Study } from "../../../magics/tune/study.js";

const curve = (number: number, values: number[], state: PrunerTrial["state"] = "complete"): PrunerTrial => ({
  number,
  state,
  intermediate: values.map((value, step) => ({ step: step + 1, value })),
});

/** The first `count` trial numbers that the pruner puts in `bracket`. */
function numbersIn(pruner: HyperbandPruner, bracket: number, count: number, from = 0): number[] {
  const out: number[] = [];
  for (let number = from; out.length < count; number++) if (pruner.bracketOf(number) === bracket) out.push(number);
  return out;
}

describe("Hyperband pruner", () => {
  it("has ⌊log_η(max/min)⌋ + 1 brackets and assigns trials in proportion to their budgets (27 : 12 : 6 : 4)", () => {
    expect(new HyperbandPruner({ maxResource: 27 }).bracketCount).toBe(4);
    expect(new HyperbandPruner({ maxResource: 26 }).bracketCount).toBe(3);
    expect(new HyperbandPruner({ maxResource: 100, reductionFactor: 4, minResource: 1 }).bracketCount).toBe(4);
    const pruner = new HyperbandPruner({ maxResource: 27 });
    const counts = [0, 0, 0, 0];
    for (let number = 0; number < 4900; number++) counts[pruner.bracketOf(number)!]!++;
    [27, 12, 6, 4].forEach((budget, bracket) => expect(Math.abs(counts[bracket]! - budget * 100) / (budget * 100)).toBeLessThan(0.2));
    // Deterministic: the same number always lands in the same bracket.
    expect(new HyperbandPruner({ maxResource: 27 }).bracketOf(123)).toBe(pruner.bracketOf(123));
  });

  it("makes a trial compete only with its own bracket, from that bracket's first rung on", () => {
    const pruner = new HyperbandPruner({ maxResource: 27 });
    const [candidate, ...bracketZero] = numbersIn(pruner, 0, 4);
    const otherBracket = numbersIn(pruner, 1, 3);
    const good = (numbers: number[]) => numbers.map((number) => curve(number, [0.1, 0.1, 0.1]));
    // Bracket 0's first rung is step 1: worse than its three peers there → pruned.
    expect(pruner.shouldPrune(curve(candidate!, [5]), good(bracketZero))).toBe(true);
    // The same values from another bracket's trials do not count.
    expect(pruner.shouldPrune(curve(candidate!, [5]), good(otherBracket))).toBe(false);
    // A bracket-3 trial (no early stopping before step 27) is never stopped early.
    const [late, ...lateBracket] = numbersIn(pruner, 3, 4);
    expect(pruner.shouldPrune(curve(late!, [5, 5, 5, 5, 5, 5, 5, 5, 5]), good(lateBracket))).toBe(false);
    // A bracket-1 trial is first judged at step η = 3.
    const [middle, ...middleBracket] = numbersIn(pruner, 1, 4);
    expect(pruner.shouldPrune(curve(middle!, [5, 5]), good(middleBracket))).toBe(false);
    expect(pruner.shouldPrune(curve(middle!, [5, 5, 5]), good(middleBracket))).toBe(true);
  });

  it("with maxResource auto, prunes nothing until a trial has completed, then takes its length", () => {
    const pruner = new HyperbandPruner();
    const running = [curve(1, [0.1, 0.1], "running"), curve(2, [0.1], "running")];
    expect(pruner.shouldPrune(curve(0, [9]), running)).toBe(false);
    expect(pruner.bracketCount).toBe(0);
    expect(pruner.shouldPrune(curve(0, [9]), [...running, curve(3, Array(9).fill(0.2))])).toBeTypeOf("boolean");
    expect(pruner.bracketCount).toBe(3); // 9 steps, η = 3: brackets start at steps 1, 3, 9
    expect(pruner.shouldPrune(curve(5, [Number.NaN]), [])).toBe(true);
  });

  it("is --pruner hyperband, and says what is wrong with bad settings", () => {
    expect(PRUNER_NAMES).toContain("hyperband");
    expect(createPruner("hyperband")).toBeInstanceOf(HyperbandPruner);
    expect(() => new HyperbandPruner({ reductionFactor: 1 })).toThrow(/reductionFactor ≥ 2/);
    expect(() => new HyperbandPruner({ maxResource: 0.5 })).toThrow(/maxResource must be an integer/);
  });

  it("prunes the slow learners of a study and keeps the best trial complete", async () => {
    const study = await Study.open({ name: "hyperband", sampler: "random", pruner: "hyperband", seed: 3 });
    const result = await study.optimize((trial) => {
      const rate = trial.float("rate", 0.01, 1, { log: true });
      let loss = 10;
      for (let epoch = 1; epoch <= 27; epoch++) {
        loss *= 1 - rate * 0.5;
        trial.report(loss, epoch);
        if (trial.shouldPrune()) throw trial.prune();
      }
      return loss;
    }, { trials: 40 });
    const pruned = result.trials.filter((t) => t.state === "pruned");
    const complete = result.trials.filter((t) => t.state === "complete");
    expect(pruned.length).toBeGreaterThan(5);
    // Rungs sit at steps 1, 3, 9 and 27: most pruned trials stop well before the end.
    expect(pruned.filter((trial) => trial.intermediate.length < 9).length).toBeGreaterThan(pruned.length / 2);
    const medianRate = (trials: typeof pruned) => trials.map((t) => t.params["rate"] as number).sort((a, b) => a - b)[Math.floor(trials.length / 2)]!;
    expect(medianRate(pruned)).toBeLessThan(medianRate(complete));
    expect(result.best?.trial).toBeDefined();
    expect(complete.map((t) => t.number)).toContain(result.best!.trial);
  });
});
