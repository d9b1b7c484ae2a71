// One contract suite for every Store implementation (memory, SQLite, PostgreSQL): what %track and %tune rely on.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { MetricPoint, Store } from "../../../store/types.js";
import { runWorkers } from "./workers.js";

export interface StoreUnderTest {
  store: Store;
  /** A LABNOTE_STORE value other processes can open to reach the same data (omitted for the memory store). */
  location?: string;
}

export function storeContract(name: string, makeStore: () => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    let location: string | undefined;

    beforeEach(async () => {
      ({ store, location } = await makeStore());
    });
    afterEach(async () => {
      await store.close();
    });

    describe("runs", () => {
      it("creates a run with defaults and reads every field back", async () => {
        const before = Date.now();
        const run = await store.createRun({ name: "baseline" });
        expect(run).toMatchObject({ name: "baseline", status: "running", params: {}, tags: [], summary: {}, env: {}, seed: null });
        expect(run.id).toMatch(/^[0-9a-f]{20}$/);
        expect(run.startedAt).toBeGreaterThanOrEqual(before);
        expect(run.heartbeatAt).toBe(run.startedAt);
        expect(await store.getRun(run.id)).toEqual(run);
      });

      it("round-trips every field, nested JSON and NaN/±Infinity in params and summary", async () => {
        const run = await store.createRun({
          name: "full ✓",
          status: "finished",
          params: { lr: 0.003, layers: [64, 32], optimizer: { name: "adam", beta: [0.9, 0.999] }, warm: true, note: null },
          tags: ["mlp", "baseline"],
          summary: { "val.acc": 0.93, "train.loss": Number.NaN, best: Number.POSITIVE_INFINITY, worst: Number.NEGATIVE_INFINITY, label: "null" },
          env: { node: "v20", tfjs: { version: "4.22", backend: "cpu" } },
          seed: 42,
          code: "%%track\nrun.log({ loss: 1 })",
          notebook: "/work/x.ipynb",
          dataHashes: { "data/penguins.csv": "ab".repeat(32) },
          versionId: "v-1",
          studyName: "lr-search",
          trialNumber: 3,
          kernelId: "k-1",
          host: "box",
          pid: 1234,
          startedAt: 1_700_000_000_000,
          endedAt: 1_700_000_005_000,
          heartbeatAt: 1_700_000_004_000,
        });
        const read = await store.getRun(run.id);
        expect(read).toEqual(run);
        expect(Number.isNaN(read!.summary["train.loss"])).toBe(true);
        expect(read!.summary.best).toBe(Number.POSITIVE_INFINITY);
        expect(read!.summary.worst).toBe(Number.NEGATIVE_INFINITY);
        expect(read!.summary.label).toBe("null");
        expect(read!.params.note).toBeNull();
      });

      it("gives unique, time-ordered hex ids whose prefix finds the run", async () => {
        const runs = [];
        for (let index = 0; index < 50; index++) runs.push(await store.createRun({ name: `r${index}` }));
        const ids = runs.map((run) => run.id);
        expect(new Set(ids).size).toBe(50);
        expect([...ids].sort()).toEqual(ids);
        const target = runs[17]!;
        const found = await store.findRuns({ idPrefix: target.id.slice(0, 16) });
        expect(found.map((run) => run.id)).toContain(target.id);
        expect(await store.findRuns({ idPrefix: target.id })).toEqual([target]);
        expect(await store.findRuns({ idPrefix: "zz" })).toEqual([]);
        expect(await store.findRuns({ idPrefix: "%" })).toEqual([]);
      });

      it("rejects a duplicate explicit id and an unknown status", async () => {
        await store.createRun({ name: "a", id: "00000000000000000001" });
        await expect(store.createRun({ name: "b", id: "00000000000000000001" })).rejects.toThrow(/already exists/);
        await expect(store.createRun({ name: "c", status: "paused" as never })).rejects.toThrow(/Unknown run status "paused"/);
      });

      it("updates only the fields a patch names, and says when the run is missing", async () => {
        const run = await store.createRun({ name: "p", params: { lr: 1 }, tags: ["x"] });
        await store.updateRun(run.id, { status: "finished", summary: { "val.acc": 0.5 }, endedAt: run.startedAt + 10, seed: undefined });
        const read = await store.getRun(run.id);
        expect(read).toEqual({ ...run, status: "finished", summary: { "val.acc": 0.5 }, endedAt: run.startedAt + 10 });
        await expect(store.updateRun("ffffffffffffffffffff", { status: "finished" })).rejects.toThrow(/No run with id "ffffffffffffffffffff"/);
        await expect(store.updateRun(run.id, { status: "exploded" as never })).rejects.toThrow(/Unknown run status/);
        expect(await store.getRun("ffffffffffffffffffff")).toBeUndefined();
      });

      it("finds runs by name, status, study and ids, newest first unless asked, with a limit", async () => {
        const a = await store.createRun({ name: "alpha", startedAt: 1000, studyName: "s1", status: "finished" });
        const b = await store.createRun({ name: "beta", startedAt: 2000, studyName: "s1" });
        const c = await store.createRun({ name: "alpha", startedAt: 3000, status: "failed" });
        const d = await store.createRun({ name: "gamma", startedAt: 3000 });
        const ids = (runs: { id: string }[]) => runs.map((run) => run.id);
        expect(ids(await store.findRuns())).toEqual([d.id, c.id, b.id, a.id]);
        expect(ids(await store.findRuns({ order: "oldest" }))).toEqual([a.id, b.id, c.id, d.id]);
        expect(ids(await store.findRuns({ limit: 2 }))).toEqual([d.id, c.id]);
        expect(ids(await store.findRuns({ limit: 0 }))).toEqual([]);
        expect(ids(await store.findRuns({ name: "alpha" }))).toEqual([c.id, a.id]);
        expect(ids(await store.findRuns({ status: ["running"] }))).toEqual([d.id, b.id]);
        expect(ids(await store.findRuns({ status: ["finished", "failed"] }))).toEqual([c.id, a.id]);
        expect(ids(await store.findRuns({ studyName: "s1", order: "oldest" }))).toEqual([a.id, b.id]);
        expect(ids(await store.findRuns({ ids: [a.id, d.id, "nope"] }))).toEqual([d.id, a.id]);
        expect(ids(await store.findRuns({ ids: [] }))).toEqual([]);
        expect(ids(await store.findRuns({ name: "alpha", status: ["finished"] }))).toEqual([a.id]);
      });

      it("deletes a run with its metrics, samples and artifacts, leaving other runs whole", async () => {
        const doomed = await store.createRun({ name: "doomed" });
        const kept = await store.createRun({ name: "kept" });
        for (const run of [doomed, kept]) {
          await store.appendMetrics([point(run.id, "loss", "train", 0, 1)]);
          await store.appendSamples([{ runId: run.id, index: 0, input: [1], pred: 1, label: 0 }]);
          await store.addArtifact({ runId: run.id, name: "model.json", location: "/tmp/m", sha256: "00", size: 1, createdAt: 5 });
        }
        await store.deleteRun(doomed.id);
        expect(await store.getRun(doomed.id)).toBeUndefined();
        expect(await store.getMetrics(doomed.id)).toEqual([]);
        expect(await store.countSamples(doomed.id)).toBe(0);
        expect(await store.listArtifacts(doomed.id)).toEqual([]);
        expect(await store.findRuns()).toHaveLength(1);
        expect(await store.getMetrics(kept.id)).toHaveLength(1);
        expect(await store.countSamples(kept.id)).toBe(1);
        expect(await store.listArtifacts(kept.id)).toHaveLength(1);
        await store.deleteRun(doomed.id); // deleting twice is harmless
      });

      it("marks running runs whose heartbeat is stale as crashed, and only those", async () => {
        const stale = await store.createRun({ name: "stale", startedAt: 1000 });
        const fresh = await store.createRun({ name: "fresh", startedAt: 1000 });
        const done = await store.createRun({ name: "done", startedAt: 1000, status: "finished" });
        await store.heartbeat([fresh.id], 9000);
        expect(await store.markStaleRuns(5000)).toEqual([stale.id]);
        expect(await store.getRun(stale.id)).toMatchObject({ status: "crashed", endedAt: 1000 });
        expect(await store.getRun(fresh.id)).toMatchObject({ status: "running", heartbeatAt: 9000 });
        expect((await store.getRun(done.id))!.status).toBe("finished");
        expect(await store.markStaleRuns(5000)).toEqual([]);
      });
    });

    describe("metrics", () => {
      it("keeps append order across calls and filters by key and split", async () => {
        const run = await store.createRun({ name: "m" });
        await store.appendMetrics([point(run.id, "loss", "train", 0, 2.5), point(run.id, "loss", "val", 0, 2.7), point(run.id, "acc", "val", 0, 0.1)]);
        await store.appendMetrics([point(run.id, "loss", "train", 1, 1.5), point(run.id, "lr", "", 1, 0.001)]);
        await store.appendMetrics([]);
        const all = await store.getMetrics(run.id);
        expect(all.map((p) => `${p.split}.${p.key}@${p.step}=${p.value}`)).toEqual([
          "train.loss@0=2.5",
          "val.loss@0=2.7",
          "val.acc@0=0.1",
          "train.loss@1=1.5",
          ".lr@1=0.001",
        ]);
        expect(all[0]).toEqual(point(run.id, "loss", "train", 0, 2.5));
        expect((await store.getMetrics(run.id, { key: "loss" })).map((p) => p.value)).toEqual([2.5, 2.7, 1.5]);
        expect((await store.getMetrics(run.id, { key: "loss", split: "train" })).map((p) => p.step)).toEqual([0, 1]);
        expect((await store.getMetrics(run.id, { split: "" })).map((p) => p.key)).toEqual(["lr"]);
        expect(await store.getMetrics(run.id, { key: "missing" })).toEqual([]);
      });

      it("round-trips NaN, ±Infinity, tiny, huge and fractional-step values exactly", async () => {
        const run = await store.createRun({ name: "edge" });
        const values = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 5e-324, 1.7976931348623157e308, -1 / 3, 0];
        await store.appendMetrics(values.map((value, step) => point(run.id, "x", "train", step + 0.5, value)));
        const read = await store.getMetrics(run.id);
        expect(read.map((p) => p.value)).toEqual(values);
        expect(Number.isNaN(read[0]!.value)).toBe(true);
        expect(read.map((p) => p.step)).toEqual(values.map((_, step) => step + 0.5));
      });

      it("stores a 100,000-point batch in one call, every point in order", async () => {
        const run = await store.createRun({ name: "big" });
        const points: MetricPoint[] = [];
        for (let step = 0; step < 100_000; step++) points.push(point(run.id, step % 2 ? "loss" : "acc", step % 3 ? "train" : "val", step, Math.sin(step)));
        await store.appendMetrics(points);
        const read = await store.getMetrics(run.id);
        expect(read.length).toBe(100_000);
        expect(read[99_999]).toEqual(points[99_999]);
        expect(read.every((p, index) => p.step === index && p.value === Math.sin(index))).toBe(true);
        expect((await store.getMetrics(run.id, { key: "loss", split: "train" })).length).toBe(points.filter((p) => p.key === "loss" && p.split === "train").length);
      });

      it("rejects points for an unknown run and stores nothing from that batch", async () => {
        const run = await store.createRun({ name: "ok" });
        const batch = [point(run.id, "loss", "train", 0, 1), point("ffffffffffffffffffff", "loss", "train", 0, 1)];
        await expect(store.appendMetrics(batch)).rejects.toThrow(/No run with id "ffffffffffffffffffff"/);
        expect(await store.getMetrics(run.id)).toEqual([]);
      });
    });

    describe("samples and artifacts", () => {
      it("pages sample rows by index, replaces a re-sent index and counts them", async () => {
        const run = await store.createRun({ name: "s" });
        await store.appendSamples([3, 1, 2, 0].map((index) => ({ runId: run.id, index, input: { pixels: [index, NaN] }, pred: index % 2, label: "cat" })));
        await store.appendSamples([{ runId: run.id, index: 2, input: "new", pred: [0.1, 0.9], label: null, extra: { loss: 0.7 } }]);
        expect(await store.countSamples(run.id)).toBe(4);
        const all = await store.getSamples(run.id);
        expect(all.map((row) => row.index)).toEqual([0, 1, 2, 3]);
        expect(all[2]).toEqual({ runId: run.id, index: 2, input: "new", pred: [0.1, 0.9], label: null, extra: { loss: 0.7 } });
        expect(all[0]).toEqual({ runId: run.id, index: 0, input: { pixels: [0, NaN] }, pred: 0, label: "cat" });
        expect((await store.getSamples(run.id, 1, 2)).map((row) => row.index)).toEqual([1, 2]);
        expect((await store.getSamples(run.id, 3)).map((row) => row.index)).toEqual([3]);
        expect(await store.getSamples(run.id, 10, 5)).toEqual([]);
        expect(await store.countSamples("ffffffffffffffffffff")).toBe(0);
        await expect(store.appendSamples([{ runId: "ffffffffffffffffffff", index: 0, input: 1, pred: 1, label: 1 }])).rejects.toThrow(/No run/);
      });

      it("lists artifacts in creation order; re-adding a name replaces it", async () => {
        const run = await store.createRun({ name: "a" });
        await store.addArtifact({ runId: run.id, name: "weights.bin", location: "/p/1", sha256: "aa", size: 10, createdAt: 100 });
        await store.addArtifact({ runId: run.id, name: "model.json", location: "/p/2", sha256: "bb", size: 20, createdAt: 200 });
        await store.addArtifact({ runId: run.id, name: "weights.bin", location: "/p/3", sha256: "cc", size: 30, createdAt: 300 });
        expect(await store.listArtifacts(run.id)).toEqual([
          { runId: run.id, name: "model.json", location: "/p/2", sha256: "bb", size: 20, createdAt: 200 },
          { runId: run.id, name: "weights.bin", location: "/p/3", sha256: "cc", size: 30, createdAt: 300 },
        ]);
        await expect(store.addArtifact({ runId: "ffffffffffffffffffff", name: "x", location: "/x", sha256: "", size: 0, createdAt: 1 })).rejects.toThrow(/No run/);
      });
    });

    describe("studies and trials", () => {
      it("creates a study once and returns the same study afterwards", async () => {
        const first = await store.ensureStudy("lr-search", "minimize", { sampler: "tpe", seed: 1 });
        const again = await store.ensureStudy("lr-search", "maximize", { sampler: "random" });
        expect(again).toEqual(first);
        expect(first).toMatchObject({ name: "lr-search", direction: "minimize", config: { sampler: "tpe", seed: 1 } });
        expect(await store.getStudy("lr-search")).toEqual(first);
        expect(await store.getStudy("nope")).toBeUndefined();
        await store.updateStudyConfig(first.id, { sampler: "tpe", space: { lr: { type: "float", low: 1e-5, high: 1, log: true } } });
        expect((await store.getStudy("lr-search"))!.config).toEqual({ sampler: "tpe", space: { lr: { type: "float", low: 1e-5, high: 1, log: true } } });
        const other = await store.ensureStudy("other", "maximize", {});
        expect((await store.listStudies()).map((study) => study.name)).toEqual(["lr-search", "other"]);
        expect(other.id).not.toBe(first.id);
        await expect(store.ensureStudy("bad", "sideways" as never, {})).rejects.toThrow(/minimize/);
        await expect(store.updateStudyConfig("ffffffffffffffffffff", {})).rejects.toThrow(/No study/);
      });

      it("numbers trials 0, 1, 2… per study and stores their params, values and intermediate reports", async () => {
        const study = await store.ensureStudy("s", "minimize", {});
        const other = await store.ensureStudy("t", "minimize", {});
        const t0 = await store.createTrial(study.id, { params: { lr: 0.01 }, distributions: { lr: { type: "float", low: 0.001, high: 0.1, log: true } }, kernelId: "k1" });
        const t1 = await store.createTrial(study.id);
        const u0 = await store.createTrial(other.id);
        expect([t0.number, t1.number, u0.number]).toEqual([0, 1, 0]);
        expect(t0).toMatchObject({ studyId: study.id, state: "running", value: null, intermediate: [], runId: null, error: null, kernelId: "k1", endedAt: null });
        await store.reportIntermediate(t0.id, 2, 0.5);
        await store.reportIntermediate(t0.id, 1, 0.9);
        await store.reportIntermediate(t0.id, 2, 0.4);
        await store.reportIntermediate(t0.id, 3, Number.NaN);
        await store.updateTrial(t0.id, { state: "complete", value: 0.25, runId: "r1", endedAt: t0.startedAt + 5 });
        await store.updateTrial(t1.id, { state: "failed", value: Number.NaN, error: "loss became NaN" });
        const trials = await store.listTrials(study.id);
        expect(trials.map((trial) => trial.number)).toEqual([0, 1]);
        expect(trials[0]).toEqual({ ...t0, state: "complete", value: 0.25, runId: "r1", endedAt: t0.startedAt + 5, intermediate: [{ step: 1, value: 0.9 }, { step: 2, value: 0.4 }, { step: 3, value: Number.NaN }] });
        expect(trials[1]).toMatchObject({ state: "failed", error: "loss became NaN" });
        expect(Number.isNaN(trials[1]!.value)).toBe(true);
        expect(await store.listTrials(other.id)).toHaveLength(1);
        await expect(store.createTrial("ffffffffffffffffffff")).rejects.toThrow(/No study/);
        await expect(store.updateTrial("ffffffffffffffffffff", { state: "complete" })).rejects.toThrow(/No trial/);
        await expect(store.reportIntermediate("ffffffffffffffffffff", 1, 1)).rejects.toThrow(/No trial/);
        await expect(store.updateTrial(t0.id, { state: "done" as never })).rejects.toThrow(/Unknown trial state/);
      });

      it("fails running trials whose kernel stopped heartbeating, and only those", async () => {
        const study = await store.ensureStudy("stale", "maximize", {});
        const dead = await store.createTrial(study.id);
        const alive = await store.createTrial(study.id);
        const finished = await store.createTrial(study.id);
        await store.updateTrial(finished.id, { state: "complete", value: 1, heartbeatAt: 0 });
        await store.updateTrial(dead.id, { heartbeatAt: 1_000 });
        await store.heartbeatTrials([alive.id], Date.now() + 60_000);
        const cutoff = Date.now() + 30_000;
        expect(await store.failStaleTrials(study.id, cutoff)).toEqual([dead.id]);
        const trials = await store.listTrials(study.id);
        expect(trials[0]).toMatchObject({ state: "failed", error: "kernel died: no heartbeat since 1970-01-01T00:00:01.000Z" });
        expect(trials[0]!.endedAt).not.toBeNull();
        expect(trials[1]!.state).toBe("running");
        expect(trials[2]!.state).toBe("complete");
        expect(await store.failStaleTrials(study.id, cutoff)).toEqual([]);
      });

      it("never hands out a trial number twice to 60 concurrent createTrial calls", async () => {
        const study = await store.ensureStudy("race", "minimize", {});
        const trials = await Promise.all(Array.from({ length: 60 }, (_, index) => store.createTrial(study.id, { params: { index } })));
        expect(trials.map((trial) => trial.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, index) => index));
        expect((await store.listTrials(study.id)).map((trial) => trial.number)).toEqual(Array.from({ length: 60 }, (_, index) => index));
      });

      if (name !== "memory") {
        it("never hands out a trial number twice to four processes creating trials at once", async () => {
          const study = await store.ensureStudy("multi-process", "minimize", {});
          await store.createTrial(study.id); // number 0 taken here, so the workers must continue from 1
          const outputs = await runWorkers(4, (worker) => ["create-trials", location!, study.name, "20", `k${worker}`]);
          const numbers = outputs.flatMap((output) => JSON.parse(output) as number[]);
          expect(numbers).toHaveLength(80);
          expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, index) => index + 1));
          const stored = await store.listTrials(study.id);
          expect(stored.map((trial) => trial.number)).toEqual(Array.from({ length: 81 }, (_, index) => index));
          expect(new Set(stored.map((trial) => trial.kernelId))).toEqual(new Set([null, "k0", "k1", "k2", "k3"]));
        });
      }
    });

    describe("readers (labnote ui)", () => {
      it("runChanges returns created and changed runs after a revision, with the run count; listRunIds sees deletions", async () => {
        const first = await store.createRun({ name: "a", startedAt: 1000 });
        const second = await store.createRun({ name: "b", startedAt: 2000 });
        const all = await store.runChanges(0);
        expect(all.runs.map((run) => run.name)).toEqual(["a", "b"]);
        expect(all.total).toBe(2);
        expect(all.runs[0]).toEqual(first);
        expect((await store.runChanges(all.revision)).runs).toEqual([]);
        await store.updateRun(first.id, { summary: { "val.acc": 0.5 } });
        const updated = await store.runChanges(all.revision);
        expect(updated.runs.map((run) => [run.name, run.summary])).toEqual([["a", { "val.acc": 0.5 }]]);
        expect(updated.revision).toBeGreaterThan(all.revision);
        await store.heartbeat([second.id], 5000);
        expect((await store.runChanges(updated.revision)).runs.map((run) => run.heartbeatAt)).toEqual([5000]);
        expect((await store.runChanges(0, 1)).runs).toHaveLength(1);
        await store.updateRun(second.id, { code: "%%track\nrun.log({ loss: 1 })" });
        const withoutCode = await store.runChanges(0, undefined, { code: false });
        expect(withoutCode.runs.map((run) => run.code)).toEqual([null, null]);
        expect((await store.runChanges(0)).runs.find((run) => run.id === second.id)!.code).toBe("%%track\nrun.log({ loss: 1 })");
        await store.deleteRun(first.id);
        expect(await store.listRunIds()).toEqual([second.id]);
        expect((await store.runChanges(0)).total).toBe(1);
      });

      it("keeps series stats and summary blocks at append time: a spike, NaN and a block split across appends", async () => {
        const run = await store.createRun({ name: "curve" });
        const values = Array.from({ length: 600 }, (_, step) => 1 / (step + 1));
        values[300] = 50; // one spike
        values[10] = Number.NaN;
        const points = values.map((value, step) => point(run.id, "loss", "train", step, value));
        await store.appendMetrics(points.slice(0, 100));
        await store.appendMetrics([...points.slice(100), point(run.id, "acc", "val", 0, 0.25)]);
        const series = await store.listSeries({ runIds: [run.id] });
        const loss = series.find((one) => one.key === "loss")!;
        expect(loss).toMatchObject({ runId: run.id, split: "train", count: 600, min: 1 / 600, max: 50, last: 1 / 600, firstStep: 0, lastStep: 599 });
        expect(series.find((one) => one.key === "acc")).toMatchObject({ split: "val", count: 1, min: 0.25, max: 0.25, last: 0.25 });
        const blocks = await store.getMetricBlocks(run.id, "loss", "train");
        expect(blocks.map((block) => [block.index, block.count, block.x0, block.x1])).toEqual([
          [0, 256, 0, 255],
          [1, 256, 256, 511],
          [2, 88, 512, 599],
        ]);
        expect(blocks[0]).toMatchObject({ max: 1, last: 1 / 256, t: points[255]!.wallTime });
        expect(blocks[1]).toMatchObject({ max: 50, min: 1 / 512 });
        expect(await store.getMetricBlocks(run.id, "loss", "val")).toEqual([]);
        const seq = await store.lastMetricSeq();
        expect(await store.listSeries({ afterSeq: seq })).toEqual([]);
        await store.appendMetrics([point(run.id, "acc", "val", 1, 0.5)]);
        expect((await store.listSeries({ afterSeq: seq })).map((one) => [one.key, one.count, one.max])).toEqual([["acc", 2, 0.5]]);
      });

      it("getMetricsAfter returns the given runs' points appended after a position, in order, and deleteRun drops the summaries", async () => {
        const run = await store.createRun({ name: "live" });
        const other = await store.createRun({ name: "other" });
        expect(await store.getMetricsAfter([run.id], 0, 10)).toEqual([]);
        await store.appendMetrics([point(run.id, "loss", "train", 0, 1), point(other.id, "loss", "train", 0, 9)]);
        const start = await store.lastMetricSeq();
        await store.appendMetrics([point(run.id, "loss", "train", 1, 0.5), point(other.id, "loss", "train", 1, 8), point(run.id, "acc", "val", 1, 0.7)]);
        const after = await store.getMetricsAfter([run.id], start, 10);
        expect(after.map((one) => [one.key, one.step, one.value])).toEqual([
          ["loss", 1, 0.5],
          ["acc", 1, 0.7],
        ]);
        expect(after[0]!.seq).toBeGreaterThan(start);
        expect(after[1]!.seq).toBeGreaterThan(after[0]!.seq);
        expect(await store.getMetricsAfter([run.id], after[1]!.seq, 10)).toEqual([]);
        expect(await store.getMetricsAfter([run.id, other.id], start, 1)).toHaveLength(1);
        await store.deleteRun(run.id);
        expect(await store.listSeries({ runIds: [run.id] })).toEqual([]);
        expect(await store.getMetricBlocks(run.id, "loss", "train")).toEqual([]);
      });
    });
  });
}

export function point(runId: string, key: string, split: string, step: number, value: number): MetricPoint {
  return { runId, key, split, step, value, wallTime: 1_700_000_000_000 + step };
}
