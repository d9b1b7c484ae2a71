// Standard test functions for bench/tune.ts — the same definitions, domains and pseudo-noise as bench/tune_optuna.py.
import type { Trial } from "../magics/tune/trial.js";

export interface BenchFunction {
  name: string;
  /** Known global minimum (for the report). */
  optimum: number;
  objective(trial: Trial, seed: number): number;
  /** The noise-free value of a finished trial's params (differs from the objective only for noisy functions). */
  trueValue?(params: Record<string, unknown>): number;
}

const HARTMANN_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]];
const HARTMANN_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]];
const HARTMANN_ALPHA = [1.0, 1.2, 3.0, 3.2];

export function branin([x1, x2]: number[]): number {
  return (x2! - (5.1 / (4 * Math.PI ** 2)) * x1! ** 2 + (5 / Math.PI) * x1! - 6) ** 2 + 10 * (1 - 1 / (8 * Math.PI)) * Math.cos(x1!) + 10;
}

export function hartmann6(x: number[]): number {
  let total = 0;
  for (let i = 0; i < 4; i++) {
    let inner = 0;
    for (let j = 0; j < 6; j++) inner += HARTMANN_A[i]![j]! * (x[j]! - HARTMANN_P[i]![j]! * 1e-4) ** 2;
    total -= HARTMANN_ALPHA[i]! * Math.exp(-inner);
  }
  return total;
}

export function rosenbrock(x: number[]): number {
  let total = 0;
  for (let i = 0; i < x.length - 1; i++) total += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
  return total;
}

export function ackley(x: number[]): number {
  const d = x.length;
  const s1 = x.reduce((s, v) => s + v * v, 0) / d;
  const s2 = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0) / d;
  return -20 * Math.exp(-0.2 * Math.sqrt(s1)) - Math.exp(s2) + 20 + Math.E;
}

export function levy(x: number[]): number {
  const w = x.map((v) => 1 + (v - 1) / 4);
  let total = Math.sin(Math.PI * w[0]!) ** 2;
  for (const wi of w.slice(0, -1)) total += (wi - 1) ** 2 * (1 + 10 * Math.sin(Math.PI * wi + 1) ** 2);
  const last = w[w.length - 1]!;
  return total + (last - 1) ** 2 * (1 + Math.sin(2 * Math.PI * last) ** 2);
}

export function styblinskiTang(x: number[]): number {
  return x.reduce((s, v) => s + v ** 4 - 16 * v ** 2 + 5 * v, 0) / 2;
}

export function sixHumpCamel([a, b]: number[]): number {
  return (4 - 2.1 * a! ** 2 + a! ** 4 / 3) * a! ** 2 + a! * b! + (-4 + 4 * b! ** 2) * b! ** 2;
}

/** Deterministic pseudo-noise in [−1, 1], identical to the Python side's. */
export function benchNoise(trialNumber: number, seed: number): number {
  const h = (seed * 2654435761 + trialNumber * 40503 + 12345) % 4294967296;
  return ((h % 100000) / 100000 - 0.5) * 2;
}

export function mixedValue(lr: number, layers: number, act: string): number {
  const penalty = ({ relu: 0.05, tanh: 0, sigmoid: 0.3 } as Record<string, number>)[act]!;
  return (Math.log10(lr) + 2.5) ** 2 + 0.1 * (layers - 4) ** 2 + penalty;
}

function box(name: string, fn: (x: number[]) => number, bounds: [number, number][], optimum: number): BenchFunction {
  return { name, optimum, objective: (trial) => fn(bounds.map(([low, high], i) => trial.float(`x${i}`, low, high))) };
}

const repeat = (n: number, bound: [number, number]): [number, number][] => Array.from({ length: n }, () => bound);

export const BENCH_FUNCTIONS: BenchFunction[] = [
  box("branin", branin, [[-5, 10], [0, 15]], 0.397887),
  box("hartmann6", hartmann6, repeat(6, [0, 1]), -3.32237),
  box("rosenbrock4", rosenbrock, repeat(4, [-2, 2]), 0),
  box("ackley5", ackley, repeat(5, [-32.768, 32.768]), 0),
  box("levy4", levy, repeat(4, [-10, 10]), 0),
  box("styblinski_tang4", styblinskiTang, repeat(4, [-5, 5]), -39.16617 * 4),
  box("six_hump_camel", sixHumpCamel, [[-3, 3], [-2, 2]], -1.0316),
  {
    name: "noisy_branin",
    optimum: 0.397887,
    objective: (trial, seed) => branin([trial.float("x0", -5, 10), trial.float("x1", 0, 15)]) + 0.5 * benchNoise(trial.number, seed),
    trueValue: (params) => branin([params["x0"] as number, params["x1"] as number]),
  },
  {
    name: "mixed",
    optimum: 0,
    objective: (trial) => mixedValue(trial.float("lr", 1e-5, 1e-1, { log: true }), trial.int("layers", 1, 8), trial.choice("act", ["relu", "tanh", "sigmoid"])),
  },
];
