import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { track, type RunOptions } from "../../../magics/track/index.js";
import { fakeDisplay } from "./fakes.js";

function quietRun(options: RunOptions = {}) {
  const store = createMemoryStore();
  const warnings: string[] = [];
  const run = track.start({ store, captureEnvironment: false, systemIntervalMs: 0, warn: (message) => warnings.push(message), ...options });
  return { run, store, warnings };
}

describe("Run", () => {
  it("stores every logged point with step, split and wall time once the run ends", async () => {
    const { run, store } = quietRun({ name: "all-points", params: { lr: 0.01 } });
    for (let step = 0; step < 5000; step++) {
      run.log({ loss: 1 / (step + 1) }, { step, split: "train" });
      if (step % 1000 === 0) run.log({ loss: 2 / (step + 1), acc: step / 5000 }, { step, split: "val" });
    }
    await run.end();
    const train = await store.getMetrics(run.id, { key: "loss", split: "train" });
    expect(train).toHaveLength(5000);
    expect(train[4999]).toMatchObject({ step: 4999, value: 1 / 5000, split: "train" });
    expect(train[0].wallTime).toBeGreaterThan(0);
    expect(await store.getMetrics(run.id, { split: "val" })).toHaveLength(10);
    const record = await store.getRun(run.id);
    expect(record?.status).toBe("finished");
    expect(record?.params).toEqual({ lr: 0.01 });
    expect(record?.summary["train.loss"]).toBe(1 / 5000);
    expect(record?.summary["val.acc"]).toBe(0.8);
    expect(run.result()).toMatchObject({ name: "all-points", params: { lr: 0.01 }, metrics: { "train.loss": 1 / 5000, "val.loss": 2 / 4001 } });
  });

  it("counts steps automatically when none is given", async () => {
    const { run, store } = quietRun();
    run.log({ x: 1 });
    run.log({ x: 2 });
    run.log({ x: 3 }, { step: 10 });
    run.log({ x: 4 });
    await run.end();
    expect((await store.getMetrics(run.id, { key: "x" })).map((point) => point.step)).toEqual([0, 1, 10, 11]);
  });

  it("rejects a string value with an error naming the key, and keeps what was logged before", async () => {
    const { run, store } = quietRun();
    run.log({ loss: 0.5 }, { step: 0 });
    expect(() => run.log({ loss: 0.4, acc: "0.9" as unknown as number }, { step: 1 })).toThrow(/"acc" must be a number, got the string "0.9".*Nothing was logged from this call/);
    run.log({ loss: 0.3 }, { step: 2 });
    await run.end();
    expect((await store.getMetrics(run.id, { key: "loss" })).map((point) => point.value)).toEqual([0.5, 0.3]);
  });

  it("explains split rules: identifiers only, and the allowed set when one is configured", async () => {
    const { run } = quietRun({ splits: ["train", "val"] });
    expect(() => run.log({ loss: 1 }, { split: "val set" })).toThrow(/split "val set" is not allowed.*identifier/);
    expect(() => run.log({ loss: 1 }, { split: "test" })).toThrow(/unknown split "test".*"train", "val"/);
    expect(() => run.log({ "val.acc": 1 })).toThrow(/contain no "\."/);
    run.log({ loss: 1 }, { split: "val" });
    await run.end();
    expect(run.result().metrics).toEqual({ "val.loss": 1 });
  });

  it("warns once about NaN with the step, keeps the NaN, and never throws", async () => {
    const { run, store, warnings } = quietRun({ name: "diverged" });
    run.log({ loss: 1 }, { step: 0 });
    run.log({ loss: NaN }, { step: 1 });
    run.log({ loss: Infinity }, { step: 2 });
    await run.end();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/loss is NaN at step 1 in run "diverged".*lower the learning rate/);
    const values = (await store.getMetrics(run.id, { key: "loss" })).map((point) => point.value);
    expect(values[1]).toBeNaN();
    expect(values[2]).toBe(Infinity);
    expect(run.result().metrics.loss).toBe("Infinity");
  });

  it("warns about a flat loss and an exploding gradient norm", async () => {
    const { run, warnings } = quietRun({ name: "stuck" });
    for (let step = 0; step < 150; step++) {
      run.log({ loss: 0.6931 }, { step, split: "train" });
      run.gradNorm([{ dataSync: () => [0.3, 0.4] }], { step }); // norm 0.5
    }
    run.gradNorm([{ dataSync: () => [300, 400] }], { step: 150 });
    await run.end();
    expect(warnings.some((warning) => /train loss has not changed over the last 100 points/.test(warning))).toBe(true);
    expect(warnings.some((warning) => /exploding gradient norm 5\.00e\+2 at step 150/.test(warning))).toBe(true);
  });

  it("model.fit callback logs batch loss as train, val_* at epoch end as val, and the learning rate", async () => {
    const { run, store } = quietRun();
    const model = { layers: [{ name: "dense", getWeights: () => [{ dataSync: () => [3, 4] }] }], optimizer: { learningRate: 0.05 } };
    run.watch(model);
    const callback = run.callback();
    await callback.onTrainBegin();
    for (let epoch = 0; epoch < 2; epoch++) {
      for (let batch = 0; batch < 3; batch++) await callback.onBatchEnd(batch, { loss: 1 - epoch * 0.3 - batch * 0.1, acc: 0.5 });
      await callback.onEpochEnd(epoch, { loss: 0.9, val_loss: 1.1 - epoch * 0.2, val_acc: 0.6 });
    }
    await run.end();
    expect(await store.getMetrics(run.id, { key: "loss", split: "train" })).toHaveLength(6);
    const val = await store.getMetrics(run.id, { key: "loss", split: "val" });
    expect(val.map((point) => point.step)).toEqual([2, 5]);
    expect(val[1].value).toBeCloseTo(0.9);
    expect((await store.getMetrics(run.id, { key: "learning_rate" })).map((point) => point.value)).toEqual([0.05, 0.05]);
    expect((await store.getMetrics(run.id, { split: "weights", key: "global" }))[0].value).toBe(5);
    expect(run.params.learning_rate).toBe(0.05);
  });

  it("draws a live chart updated in place and a final one carrying the SVG fallback", async () => {
    const { display, events } = fakeDisplay();
    const { run } = quietRun({ display, chartIntervalMs: 1 });
    // Log until two live charts were drawn: the live interval grows with the time a chart takes (200× it), which a
    // loaded machine stretches past a fixed number of steps. Capped at 400 steps (~12 s).
    const liveCharts = () => events.filter((event) => event.data["application/vnd.vegalite.v5+json"]).length;
    for (let step = 0; step < 400 && (step < 20 || liveCharts() < 2); step++) {
      run.log({ loss: 1 / (step + 1) }, { step, split: "train" });
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    await run.end();
    const charts = events.filter((event) => event.data["application/vnd.vegalite.v5+json"]);
    expect(charts.length).toBeGreaterThan(2);
    expect(new Set(charts.map((event) => event.displayId)).size).toBe(1);
    expect(charts[0].kind).toBe("display");
    expect(charts.slice(1).every((event) => event.kind === "update")).toBe(true);
    expect(charts.slice(0, -1).every((event) => !("image/svg+xml" in event.data))).toBe(true);
    expect(charts[charts.length - 1].data["image/svg+xml"]).toBeDefined();
  });

  it("stores sample rows and shows them as a paged table", async () => {
    const { display, events } = fakeDisplay();
    const { run, store } = quietRun({ display });
    run.samples(Array.from({ length: 45 }, (_, i) => ({ input: `text ${i}`, pred: i % 3, label: i % 2, confidence: 0.5 })));
    await run.end();
    expect(await store.countSamples(run.id)).toBe(45);
    expect((await store.getSamples(run.id, 40, 10)).map((row) => row.index)).toEqual([40, 41, 42, 43, 44]);
    const html = String(events.find((event) => event.data["text/html"])?.data["text/html"]);
    expect(html).toContain("rows 1–20");
    expect(html).toContain("rows 41–45");
    expect(html).toContain("confidence");
  });

  it("copies and hashes artifacts inside the project and refuses paths outside it", async () => {
    const projectDir = mkdtempSync(join(tmpdir(), "labnote-track-"));
    writeFileSync(join(projectDir, "model.json"), '{"w":[1,2]}');
    const { run, store } = quietRun({ projectDir });
    const record = await run.artifact("model.json");
    expect(record.sha256).toBe(createHash("sha256").update('{"w":[1,2]}').digest("hex"));
    expect(record.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(readFileSync(record.location, "utf8")).toBe('{"w":[1,2]}');
    expect(record.location).toContain(join(".labnote", "artifacts", run.id));
    await expect(run.artifact("../../etc/passwd")).rejects.toThrow(/outside the project directory/);
    await expect(run.artifact("missing.bin")).rejects.toThrow(/does not exist/);
    await run.end();
    expect((await store.listArtifacts(run.id)).map((artifact) => artifact.name)).toEqual(["model.json"]);
    expect(existsSync(record.location)).toBe(true);
  });

  it("records throughput, samples/s and system metrics without being asked", async () => {
    const { run, store } = quietRun({ systemIntervalMs: 20 });
    for (let step = 0; step < 30; step++) {
      run.log({ loss: 1, samples: 32 }, { step });
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await run.end();
    const system = await store.getMetrics(run.id, { split: "system" });
    const keys = new Set(system.map((point) => point.key));
    for (const key of ["steps_per_sec", "samples_per_sec", "cpu_percent", "rss_mb", "heap_mb", "event_loop_lag_ms"]) expect(keys).toContain(key);
    const samplesPerSec = system.filter((point) => point.key === "samples_per_sec").map((point) => point.value);
    const stepsPerSec = system.filter((point) => point.key === "steps_per_sec").map((point) => point.value);
    expect(samplesPerSec.at(-1)! / stepsPerSec.at(-1)!).toBeCloseTo(32, -1);
  });

  it("warns about a tensor leak when tfjs's tensor count grows at every check (without loading tfjs)", async () => {
    let tensors = 100;
    const global = globalThis as { _tfengine?: unknown };
    global._tfengine = { memory: () => ({ numTensors: tensors }) };
    try {
      const { run, store, warnings } = quietRun({ name: "leaky", chartIntervalMs: 5, systemIntervalMs: 20 });
      for (let step = 0; step < 15; step++) {
        tensors += 7; // e.g. a forgotten tf.tidy
        run.log({ loss: 1 / (step + 1) }, { step });
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      await run.end();
      expect(warnings.some((warning) => /tensors alive and growing at every check up to step \d+ in run "leaky".*tf\.tidy/.test(warning))).toBe(true);
      expect((await store.getMetrics(run.id, { split: "system", key: "tensors" })).length).toBeGreaterThan(0);
    } finally {
      delete global._tfengine;
    }
  });

  it("onLog listeners see each call until unsubscribed; track.current follows the live run", async () => {
    const { run } = quietRun();
    expect(track.current()).toBe(run);
    const seen: number[] = [];
    const unsubscribe = run.onLog((metrics, step) => seen.push(step));
    run.log({ a: 1 }, { step: 3 });
    unsubscribe();
    run.log({ a: 1 }, { step: 4 });
    await run.end();
    expect(seen).toEqual([3]);
    expect(track.current()).toBeUndefined();
    expect(() => run.log({ a: 1 })).toThrow(/has ended/);
  });
});
