import { describe, expect, it } from "vitest";
import { GPSampler, refitPoint } from "../../../magics/tune/samplers/gp.js";
import { gridValues } from "../../../magics/tune/samplers/grid.js";
import { Study } from "../../../magics/tune/study.js";
import type { Trial } from "../../../magics/tune/trial.js";
import { choleskyInPlace, logExpectedImprovement, solveLower, solveUpperTransposed } from "../../../magics/tune/samplers/linalg.js";
import { normalCdf } from "../../../magics/math/normal.js";
import { floatDistribution, intDistribution } from "../../../magics/tune/space.js";

const branin = (trial: Trial): number => {
  const x1 = trial.float("x1", -5, 10);
  const x2 = trial.float("x2", 0, 15);
  return (x2 - (5.1 / (4 * Math.PI ** 2)) * x1 ** 2 + (5 / Math.PI) * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1) + 10;
};

async function bestOf(sampler: string, seed: number, trials: number, objective = branin): Promise<number> {
  const study = await Study.open({ name: "s", sampler, seed });
  return (await study.optimize(objective, { trials })).best!.value;
}

describe("linear algebra", () => {
  it("solves a symmetric positive-definite system via Cholesky", () => {
    const a = Float64Array.from([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
    const b = Float64Array.from([1, 2, 3]);
    const l = Float64Array.from(a);
    expect(choleskyInPlace(l, 3)).toBe(true);
    const x = solveUpperTransposed(l, 3, solveLower(l, 3, b, new Float64Array(3)), new Float64Array(3));
    for (let i = 0; i < 3; i++) expect(a[i * 3]! * x[0]! + a[i * 3 + 1]! * x[1]! + a[i * 3 + 2]! * x[2]!).toBeCloseTo(b[i]!, 10);
    expect(choleskyInPlace(Float64Array.from([1, 2, 2, 1]), 2)).toBe(false);
  });
  it("has a normal CDF and a log-EI that stays finite far in the tail", () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.96)).toBeCloseTo(0.975, 4);
    const near = logExpectedImprovement(0, 1, 0);
    expect(Math.exp(near)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 5);
    const far = logExpectedImprovement(40, 1, 0);
    expect(Number.isFinite(far)).toBe(true);
    expect(far).toBeLessThan(logExpectedImprovement(20, 1, 0));
  });
});

describe("samplers", () => {
  it("GP-EI finds branin's minimum (0.398) far better than random search at 40 trials", async () => {
    const gp: number[] = [];
    const random: number[] = [];
    for (const seed of [1, 2, 3]) {
      gp.push(await bestOf("gp", seed, 40));
      random.push(await bestOf("random", seed, 40));
    }
    for (const value of gp) expect(value).toBeLessThan(0.5);
    expect(Math.max(...gp)).toBeLessThan(Math.min(...random));
  });
  it("TPE (independent and multivariate) beats random search (median of 5 seeds, 100 trials)", async () => {
    const median = async (sampler: string): Promise<number> => {
      const values: number[] = [];
      for (const seed of [1, 2, 3, 4, 5]) values.push(await bestOf(sampler, seed, 100));
      return values.sort((a, b) => a - b)[2]!;
    };
    const random = await median("random");
    expect(await median("tpe")).toBeLessThan(random);
    expect(await median("tpe-multivariate")).toBeLessThan(random);
  });
  it("every sampler stays inside mixed int / log / categorical spaces", async () => {
    for (const sampler of ["gp", "tpe", "tpe-multivariate", "random", "grid"]) {
      const study = await Study.open({ name: "mixed", sampler, seed: 3 });
      const result = await study.optimize((trial) => {
        const lr = trial.float("lr", 1e-5, 1e-1, { log: true });
        const layers = trial.int("layers", 1, 8);
        const width = trial.int("width", 16, 256, { step: 16 });
        const act = trial.choice("act", ["relu", "tanh", "sigmoid"]);
        expect(lr).toBeGreaterThanOrEqual(1e-5);
        expect(lr).toBeLessThanOrEqual(1e-1);
        expect(Number.isInteger(layers) && layers >= 1 && layers <= 8).toBe(true);
        expect(width % 16).toBe(0);
        expect(["relu", "tanh", "sigmoid"]).toContain(act);
        return (Math.log10(lr) + 2.5) ** 2 + 0.1 * (layers - 4) ** 2 + (act === "tanh" ? 0 : 0.2) + width / 1000;
      }, { trials: 25 });
      expect(result.trials.every((t) => t.state === "complete")).toBe(true);
    }
  });
  it("GP handles conditional parameters (sampled only in some branches)", async () => {
    const study = await Study.open({ name: "cond", sampler: "gp", seed: 5 });
    const result = await study.optimize((trial) => {
      const model = trial.choice("model", ["linear", "mlp"]);
      if (model === "mlp") return (trial.int("width", 8, 128, { log: true }) - 64) ** 2 / 1000;
      return 1 + Math.abs(trial.float("alpha", 0, 1) - 0.5);
    }, { trials: 30 });
    expect(result.trials.filter((t) => t.state === "complete")).toHaveLength(30);
    expect(result.trials.some((t) => "width" in t.params)).toBe(true);
    expect(result.trials.some((t) => "alpha" in t.params)).toBe(true);
    expect(result.best!.params["model"]).toBe("mlp");
  });
  it("grid search visits every combination exactly once per sweep", async () => {
    const study = await Study.open({ name: "grid", sampler: "grid", seed: 1 });
    const result = await study.optimize((trial) => trial.choice("a", [1, 2, 3]) * 10 + trial.choice("b", ["x", "y"]).length, { trials: 7 });
    const combos = result.trials.slice(1).map((t) => `${t.params["a"]}${t.params["b"]}`);
    // Trial 0 has no known space yet (define-by-run); from trial 1 on the grid walks the 6 cells.
    expect(new Set(combos).size).toBe(6);
    expect(gridValues(floatDistribution("lr", 1e-4, 1e-1, { log: true }), 4)).toEqual([0.0001, 0.001, 0.01, 0.1]);
    expect(gridValues(intDistribution("n", 1, 3), 5)).toEqual([1, 2, 3]);
  });
  it("refits GP hyperparameters on a geometric schedule (bounded cost)", () => {
    expect(refitPoint(10)).toBe(10);
    const points = new Set(Array.from({ length: 1000 }, (_, i) => refitPoint(i + 1)));
    expect(points.size).toBeLessThan(60);
    expect(new GPSampler().name).toBe("gp");
  });
});
