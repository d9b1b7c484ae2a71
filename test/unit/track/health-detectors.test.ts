// The model-health detectors as functions and wired to a run: dead units, unstable weights, underfitting against the
// trivial baseline, memory pressure (LABNOTE_MEMORY_LIMIT), and trainLoop's out-of-memory error.
import { describe, expect, it } from "vitest";
import { detectDeadUnits, detectMemoryPressure, detectUnderfitting, findWeightGrowth } from "../../../magics/track/anomalies.js";
import { HealthChecks } from "../../../magics/track/health-checks.js";
import { parseBytes, tensorMemoryLimit } from "../../../magics/track/memory-limit.js";
import { SeriesTable } from "../../../magics/track/series.js";
import { isOutOfMemory, outOfMemoryError } from "../../../training/out-of-memory.js";
import { HEALTHY_BASELINE_LOSS, HEALTHY_LOSSES } from "./healthy-run-series.js";

describe("health detectors", () => {
  it("dead units: the latest probe's share at or above one half", () => {
    expect(detectDeadUnits([0, 0.1, 0.2])).toBe(false);
    expect(detectDeadUnits([0, 0.1, 0.5])).toBe(true);
    expect(detectDeadUnits([])).toBe(false);
  });

  it("unstable weights: the first norm beyond 10× the first finite one, or not finite", () => {
    expect(findWeightGrowth([4, 5, 6, 39])).toBe(-1);
    expect(findWeightGrowth([4, 5, 41, 400])).toBe(2);
    expect(findWeightGrowth([4, 5, NaN])).toBe(2);
    expect(findWeightGrowth([NaN])).toBe(0); // already diverged at the first probe
    expect(findWeightGrowth([4, 50, 60], 3, 10, 2)).toBe(2); // only points from `from` on are reported
  });

  it("underfitting: after the warm-up, the recent mean not below 0.9 × the baseline and not falling fast enough to get below it", () => {
    const flatAtBaseline = Array.from({ length: 260 }, () => 1.0);
    const learning = Array.from({ length: 260 }, (_, i) => 1 / (1 + i / 10));
    expect(detectUnderfitting(flatAtBaseline, 199, 1.05)).toBeUndefined(); // still warming up (200 points)
    expect(detectUnderfitting(flatAtBaseline, 200, 1.05)).toBeCloseTo(1);
    expect(detectUnderfitting(flatAtBaseline, 250, 1.05, { plannedSteps: 3000 })).toBeUndefined(); // < 10% of the planned steps
    expect(detectUnderfitting(flatAtBaseline, 260, 1.05, { plannedSteps: 2600 })).toBeCloseTo(1);
    expect(detectUnderfitting(learning, 260, 1.05)).toBeUndefined();
    expect(detectUnderfitting([...flatAtBaseline.slice(0, 259), NaN], 260, 1.05)).toBeUndefined();
    // Noisy but flat: the windows' difference is noise, so it counts as no fall.
    const noisyFlat = Array.from({ length: 300 }, (_, i) => 1.1 + 0.3 * Math.sin(i * 2.4));
    expect(detectUnderfitting(noisyFlat, 300, 1.1)).toBeCloseTo(1.1, 1);
    // Slowly descending above the bar (0.1% of the baseline per step): on course within the 2000 planned steps, not within 310.
    const slow = Array.from({ length: 300 }, (_, i) => 1.2 - 0.001 * i + 0.02 * Math.sin(i * 2.4));
    expect(detectUnderfitting(slow, 300, 1, { plannedSteps: 2000 })).toBeUndefined();
    expect(detectUnderfitting(slow, 300, 1)).toBeUndefined(); // unknown plan: as many steps again
    expect(detectUnderfitting(slow, 300, 1, { plannedSteps: 310 })).toBeCloseTo(0.925, 2);
    // Steps of the points: a loop that logs every 10th step falls 10× slower per step than per point.
    const everyTenth = Array.from({ length: 300 }, (_, i) => i * 10);
    expect(detectUnderfitting(slow, 300, 1, { steps: everyTenth, plannedSteps: 3100 })).toBeCloseTo(0.925, 2);
    expect(detectUnderfitting(slow, 300, 1, { steps: everyTenth, plannedSteps: 20_000 })).toBeUndefined();
    // trainLoop called once per epoch of 16 steps: the steps restart at 0, so the pace is taken per point.
    const perEpoch = Array.from({ length: 300 }, (_, i) => i % 16);
    const range300 = Array.from({ length: 300 }, (_, i) => i);
    expect(detectUnderfitting(slow, 300, 1, { steps: perEpoch, plannedSteps: 16 })).toBeUndefined();
    expect(detectUnderfitting(flatAtBaseline, 260, 1.05, { steps: perEpoch, plannedSteps: 16 })).toBeCloseTo(1);
    const gentle = Array.from({ length: 300 }, (_, i) => 0.96 - 0.00015 * i + 0.005 * Math.sin(i * 2.4)); // on course per point
    expect(detectUnderfitting(gentle, 300, 1, { steps: perEpoch, plannedSteps: 16 })).toBeUndefined();
    expect(detectUnderfitting(gentle, 300, 1, { steps: range300, plannedSteps: 310 })).toBeCloseTo(0.919, 2); // 10 steps left: not
  });

  it("underfitting: silent on bench:watch's healthy run, where Adam was still descending at step 100", () => {
    // The false alarm: at step 100 the mean of the last 50 losses (326) was not below 0.9 × the baseline (55.8).
    const at100 = HEALTHY_LOSSES.slice(50, 100).reduce((sum, loss) => sum + loss, 0) / 50;
    expect(at100).toBeGreaterThan(0.9 * HEALTHY_BASELINE_LOSS);
    for (let length = 1; length <= HEALTHY_LOSSES.length; length++) {
      expect(detectUnderfitting(HEALTHY_LOSSES, length, HEALTHY_BASELINE_LOSS, { plannedSteps: 10_000 }), `step ${length - 1}`).toBeUndefined();
      expect(detectUnderfitting(HEALTHY_LOSSES, length, HEALTHY_BASELINE_LOSS), `step ${length - 1}, plan unknown`).toBeUndefined();
      expect(detectUnderfitting(HEALTHY_LOSSES, length, HEALTHY_BASELINE_LOSS, { warmup: 100 }), `step ${length - 1}, warm-up 100`).toBeUndefined();
    }
  });

  it("memory pressure: 90% of a known limit", () => {
    expect(detectMemoryPressure(89, 100)).toBe(false);
    expect(detectMemoryPressure(90, 100)).toBe(true);
    expect(detectMemoryPressure(1e12, undefined)).toBe(false);
    expect(parseBytes("512MB")).toBe(512e6);
    expect(parseBytes("1.5GiB")).toBe(1.5 * 2 ** 30);
    expect(parseBytes("lots")).toBeUndefined();
    expect(tensorMemoryLimit("wasm", {})?.bytes).toBe(4 * 2 ** 30);
    expect(tensorMemoryLimit("webgpu", {})).toBeUndefined();
    expect(tensorMemoryLimit("webgpu", {}, 1024)).toEqual({ bytes: 2 ** 30, source: "the GPU's 1024 MiB (nvidia-smi)" });
    expect(tensorMemoryLimit("tensorflow", {}, 2048)?.bytes).toBe(2 ** 31);
    expect(tensorMemoryLimit("webgpu", { LABNOTE_MEMORY_LIMIT: "2GB" })).toEqual({ bytes: 2e9, source: "LABNOTE_MEMORY_LIMIT=2GB" });
  });

  it("out-of-memory errors are told from others, and the error names the steps and records them in the run", () => {
    expect(isOutOfMemory(new RangeError("Invalid typed array length: 10000000000"))).toBe(true);
    expect(isOutOfMemory(new Error("OOM when allocating tensor with shape[100000,100000]"))).toBe(true);
    expect(isOutOfMemory(new Error("Shapes [2,3] and [4] are not compatible"))).toBe(false);
    const summary: Record<string, unknown> = {};
    const error = outOfMemoryError(new Error("Array buffer allocation failed"), { failedStep: 12, lastGoodStep: 11, batchSize: 64, run: { summary: (values: object) => Object.assign(summary, values) } });
    expect(error.message).toMatch(/out of memory at step 12 \(Array buffer allocation failed\); the last good step was 11 .*batchSize \(now 64\)/);
    expect(summary).toEqual({ failure: "out of memory", failed_at_step: 12, last_good_step: 11 });
  });
});

describe("HealthChecks on a run's series", () => {
  function fakeRun() {
    const warnings: string[] = [];
    const run = { name: "r", series: new SeriesTable(undefined), lastStep: 0, plannedSteps: undefined as number | undefined, warnOnce: (_kind: string, message: string) => warnings.push(message) };
    const log = (metrics: Record<string, number>, step: number, split: string) => {
      const map = run.series.forSplit(split);
      for (const [key, value] of Object.entries(metrics)) (map.get(key) ?? run.series.create(map, key, split)).push(step, value, Date.now());
      run.lastStep = Math.max(run.lastStep, step);
    };
    return { run, warnings, log };
  }

  it("stays silent on a healthy run and names layer, share or growth, and step when something breaks", () => {
    const healthy = fakeRun();
    const checks = new HealthChecks(healthy.run);
    for (let step = 0; step < 200; step += 10) {
      healthy.log({ hidden: 0.05 }, step, "dead_units");
      healthy.log({ hidden: 4 + step / 100, global: 5 }, step, "weights");
    }
    healthy.log({ baseline_loss: 8 }, 0, "train");
    for (let step = 0; step < 200; step++) healthy.log({ loss: 8 / (1 + step) }, step, "train");
    checks.check();
    expect(healthy.warnings).toEqual([]);

    const broken = fakeRun();
    const brokenChecks = new HealthChecks(broken.run);
    broken.log({ hidden: 0.75 }, 49, "dead_units");
    broken.log({ hidden: 4 }, 0, "weights");
    broken.log({ hidden: 400 }, 50, "weights");
    broken.log({ baseline_loss: 1 }, 0, "train");
    broken.run.plannedSteps = 1000; // as trainLoop says through run.planSteps
    for (let step = 0; step < 220; step++) broken.log({ loss: 1.02 }, step, "train");
    brokenChecks.check();
    expect(broken.warnings.join("\n")).toMatch(/75% of the units of layer "hidden" output zero on the whole probe batch at step 49/);
    expect(broken.warnings.join("\n")).toMatch(/weight norm of layer "hidden" grew from 4 at step 0 to 400 at step 50/);
    expect(broken.warnings.join("\n")).toMatch(/train loss 1.02 .* at step 219 is no better than 1, the loss of always predicting .*underfitting \(the loss is not falling fast enough to beat it in the 1000 planned steps\)/);
  });

  it("warns when nvidia-smi's used GPU memory reaches 90% of the GPU's total", async () => {
    const gpu = fakeRun();
    const checks = new HealthChecks(gpu.run, Promise.resolve(80_000));
    await Promise.resolve();
    gpu.log({ gpu_memory_mb: 60_000 }, 10, "system");
    checks.check();
    expect(gpu.warnings).toEqual([]);
    gpu.log({ gpu_memory_mb: 76_000 }, 20, "system");
    checks.check();
    expect(gpu.warnings.join("\n")).toMatch(/the GPU has 76000 of its 80000 MiB in use at step 20 in run "r": out of memory is near/);
  });
});
