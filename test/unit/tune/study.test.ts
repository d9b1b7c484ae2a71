import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { Study } from "../../../magics/tune/study.js";
import type { Trial } from "../../../magics/tune/trial.js";
import { tune } from "../../../magics/tune/index.js";

const quadratic = (trial: Trial): number => (trial.float("x", -5, 5) - 1) ** 2 + (trial.int("n", 1, 10) - 3) ** 2 / 10 + (trial.choice("c", ["a", "b"]) === "a" ? 0 : 0.5);

describe("studies", () => {
  it("a seeded study reproduces exactly (every sampler)", async () => {
    for (const sampler of ["gp", "tpe", "random", "grid", "tpe-multivariate"]) {
      const run = async () => (await (await Study.open({ name: "r", sampler, seed: 42 })).optimize(quadratic, { trials: 15 })).trials.map((t) => t.params);
      expect(await run()).toEqual(await run());
    }
  });
  it("re-running resumes: trial numbers continue, no start-up replay, same result as uninterrupted", async () => {
    const store = createMemoryStore();
    const first = await Study.open({ name: "resume", sampler: "tpe", seed: 7, store });
    await first.optimize(quadratic, { trials: 12 });
    const again = await Study.open({ name: "resume", sampler: "tpe", store });
    expect(again.seed).toBe(7);
    const resumed = await again.optimize(quadratic, { trials: 20 });
    expect(resumed.trials.map((t) => t.number)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const straight = await (await Study.open({ name: "straight", sampler: "tpe", seed: 7 })).optimize(quadratic, { trials: 20 });
    expect(resumed.trials.map((t) => t.params)).toEqual(straight.trials.map((t) => t.params));
    // Trial 12 is model-based, not a repeat of start-up point 0 or 2.
    expect(resumed.trials[12]!.params).not.toEqual(resumed.trials[0]!.params);
    // A finished study re-run does nothing new.
    const done = await (await Study.open({ name: "resume", sampler: "tpe", store })).optimize(quadratic, { trials: 20 });
    expect(done.trials).toHaveLength(20);
  });
  it("failed trials carry their reason and the study continues", async () => {
    const study = await Study.open({ name: "bad", sampler: "random", seed: 1 });
    const result = await study.optimize((trial) => {
      const x = trial.float("x", 0, 1);
      if (trial.number === 1) throw new Error("out of memory");
      if (trial.number === 2) return NaN;
      if (trial.number === 3) return trial.float("lr", 0, 1e-2, { log: true });
      if (trial.number === 4) return trial.choice("act", ["relu"]);
      if (trial.number === 5) return undefined;
      return x;
    }, { trials: 8 });
    const byNumber = (n: number) => result.trials[n]!;
    expect(byNumber(1)).toMatchObject({ state: "failed", error: "Error: out of memory" });
    expect(byNumber(2).error).toMatch(/returned NaN; return a finite number/);
    expect(byNumber(3).error).toMatch(/log range needs low > 0/);
    expect(byNumber(4).error).toMatch(/choice of one/);
    expect(byNumber(5).error).toMatch(/returned nothing/);
    expect(result.trials.filter((t) => t.state === "complete")).toHaveLength(3);
    expect(result.best!.trial).not.toBe(1);
  });
  it("--mode max picks the largest value", async () => {
    const result = await (await Study.open({ name: "max", mode: "max", sampler: "gp", seed: 3 })).optimize((t) => -((t.float("x", 0, 1) - 0.3) ** 2), { trials: 25 });
    expect(result.best!.value).toBeGreaterThan(-0.001);
    expect(Math.abs((result.best!.params["x"] as number) - 0.3)).toBeLessThan(0.05);
    await expect(Study.open({ name: "max", mode: "min", store: createMemoryStore() })).resolves.toBeDefined();
  });
  it("refuses to reopen a study with the opposite direction", async () => {
    const store = createMemoryStore();
    await Study.open({ name: "dir", mode: "max", store });
    await expect(Study.open({ name: "dir", mode: "min", store })).rejects.toThrow(/already exists and maximises; use --mode max/);
  });
  it("--parallel K runs K trials at once with unique numbers", async () => {
    let running = 0;
    let peak = 0;
    const study = await Study.open({ name: "par", sampler: "gp", seed: 2 });
    const result = await study.optimize(async (trial) => {
      running++;
      peak = Math.max(peak, running);
      const x = trial.float("x", 0, 1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      running--;
      return x;
    }, { trials: 16, parallel: 4 });
    expect(peak).toBe(4);
    expect(result.trials.map((t) => t.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(result.trials.every((t) => t.state === "complete")).toBe(true);
  });
  it("marks trials of a dead kernel failed by heartbeat, never left running", async () => {
    const store = createMemoryStore();
    const study = await Study.open({ name: "dead", sampler: "random", seed: 1, store, staleAfterMs: 20 });
    await store.createTrial(study.id, { kernelId: "dead-kernel" }); // a kernel that died mid-trial
    await new Promise((resolve) => setTimeout(resolve, 40));
    const result = await study.optimize((t) => t.float("x", 0, 1), { trials: 3 });
    expect(result.trials[0]).toMatchObject({ state: "failed" });
    expect(result.trials[0]!.error).toMatch(/kernel|heartbeat/i);
    expect(result.trials.filter((t) => t.state === "running")).toHaveLength(0);
  });
  it("keeps a long trial alive with heartbeats", async () => {
    const store = createMemoryStore();
    const study = await Study.open({ name: "alive", sampler: "random", seed: 1, store, heartbeatMs: 5, staleAfterMs: 60_000 });
    const result = await study.optimize(async (t) => {
      const before = (await store.listTrials(study.id))[t.number]!.heartbeatAt;
      await new Promise((resolve) => setTimeout(resolve, 40));
      const after = (await store.listTrials(study.id))[t.number]!.heartbeatAt;
      return after > before ? 0 : 1;
    }, { trials: 1 });
    expect(result.trials[0]!.value).toBe(0);
  });
  it("prunes with trial.report / shouldPrune (median pruner)", async () => {
    const study = await Study.open({ name: "prune", sampler: "random", pruner: "median", seed: 4 });
    const result = await study.optimize((trial) => {
      const rate = trial.float("rate", 0.01, 1, { log: true });
      let loss = 10;
      for (let epoch = 0; epoch < 20; epoch++) {
        loss *= 1 - rate * 0.5;
        trial.report(loss, epoch);
        if (trial.shouldPrune()) throw trial.prune();
      }
      return loss;
    }, { trials: 30 });
    const pruned = result.trials.filter((t) => t.state === "pruned");
    expect(pruned.length).toBeGreaterThan(5);
    for (const trial of pruned) expect(trial.intermediate.length).toBeLessThan(20);
    // Pruned trials were the slow learners.
    const medianRate = (trials: typeof pruned) => trials.map((t) => t.params["rate"] as number).sort((a, b) => a - b)[Math.floor(trials.length / 2)]!;
    expect(medianRate(pruned)).toBeLessThan(medianRate(result.trials.filter((t) => t.state === "complete")));
  });
  it("--timeout stops starting trials; an interrupt (abort signal) stops the study between trials", async () => {
    const slow = async (t: Trial) => {
      await new Promise((resolve) => setTimeout(resolve, 15));
      return t.float("x", 0, 1);
    };
    const timed = await (await Study.open({ name: "timeout", sampler: "random", seed: 1 })).optimize(slow, { trials: 1000, timeoutMs: 100 });
    expect(timed.trials.length).toBeGreaterThan(0);
    expect(timed.trials.length).toBeLessThan(20);
    const controller = new AbortController();
    const aborted = await (await Study.open({ name: "abort", sampler: "random", seed: 1 })).optimize(async (t) => {
      if (t.number === 2) controller.abort();
      return slow(t);
    }, { trials: 50, signal: controller.signal });
    expect(aborted.trials).toHaveLength(3);
    expect(aborted.trials.every((t) => t.state === "complete")).toBe(true);
  });
  it("tune.study(...).optimize works from code with an explicit store", async () => {
    const result = await tune.study({ name: "api", store: createMemoryStore(), seed: 1 }).optimize((t) => t.float("x", 0, 1), { trials: 12 });
    expect(result).toMatchObject({ name: "api", sampler: "gp" });
    expect(result.best!.value).toBeLessThan(0.05);
  });
});
