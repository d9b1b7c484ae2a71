import * as tf from "@tensorflow/tfjs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { magics } from "../../../magics/seed/command.js";
import { clearSeed, currentSeed } from "../../../magics/seed/state.js";
import { createRandom } from "../../../magics/seed/prng.js";
import { evaluate } from "../../../magics/eval/index.js";
import { track } from "../../../magics/track/index.js";
import { createMemoryStore } from "../../../store/index.js";
import { fakeContext, parsed } from "../eval/fake-context.js";

const seedCommand = magics[0]!.line!;
const runSeed = (text: string) => seedCommand.run(parsed({}, text), fakeContext({}));

afterEach(() => clearSeed());

describe("sfc32 PRNG", () => {
  it("is deterministic per seed, different across seeds, and uniform in [0, 1)", () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
    const random = createRandom(1);
    const values = Array.from({ length: 100000 }, random);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...values)).toBeLessThan(1);
    const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
  });
});

describe("%seed", () => {
  it("%seed N makes Math.random repeat from the start of its stream", async () => {
    const result = await runSeed("42");
    expect(result!.data).toMatchObject({ seed: 42 });
    const first = [Math.random(), Math.random(), Math.random()];
    await runSeed("42");
    expect([Math.random(), Math.random(), Math.random()]).toEqual(first);
    await runSeed("7");
    expect(Math.random()).not.toBe(first[0]);
  });

  it("makes TensorFlow.js random ops and layer initialisers reproducible", async () => {
    await tf.setBackend("cpu");
    const draw = () => {
      const normal = tf.randomNormal([4]).arraySync() as number[];
      const dense = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] })] });
      const kernel = dense.getWeights()[0]!.arraySync() as number[][];
      return { normal, kernel };
    };
    await runSeed("123");
    const first = draw();
    await runSeed("123");
    expect(draw()).toEqual(first);
    await runSeed("124");
    expect(draw().normal).not.toEqual(first.normal);
  });

  it("%seed alone shows the seed in force; %seed off restores Math.random", async () => {
    expect((await runSeed(""))!.text).toMatch(/No seed in force/);
    await runSeed("5");
    expect((await runSeed(""))!.data).toEqual({ seed: 5 });
    expect(currentSeed()).toBe(5);
    await runSeed("off");
    expect(currentSeed()).toBeNull();
    await expect(runSeed("abc")).rejects.toThrow(/expected an integer seed or "off"/);
  });

  it("records the seed in the current run, and eval reports attach their metrics to it", async () => {
    const run = track.start({ name: "seeded", store: createMemoryStore(), captureEnvironment: false, systemIntervalMs: 0 });
    try {
      const result = await runSeed("2024");
      expect(run.params.seed).toBe(2024);
      expect(result!.text).toMatch(new RegExp(`recorded in run ${run.id}`));
      const summary = vi.spyOn(run, "summary");
      const report = await evaluate.report({ labels: [0, 1, 1, 0], preds: [0, 1, 0, 0] });
      expect(summary).toHaveBeenCalledWith(expect.objectContaining({ "eval/accuracy": 0.75, "eval/delta/zero-rule/accuracy": 0.25 }));
      expect(report.provenance?.runId).toBe(run.id);
    } finally {
      await run.end();
    }
  });

  it("random baselines follow the seed in force", async () => {
    const labels = Array.from({ length: 200 }, (_, i) => i % 3);
    await runSeed("9");
    const a = await evaluate.report({ labels, preds: labels });
    await runSeed("10");
    const b = await evaluate.report({ labels, preds: labels });
    await runSeed("9");
    const c = await evaluate.report({ labels, preds: labels });
    expect(c.baselines[0]!.metrics.accuracy).toBe(a.baselines[0]!.metrics.accuracy);
    expect(b.baselines[0]!.metrics.accuracy).not.toBe(a.baselines[0]!.metrics.accuracy);
  });
});
