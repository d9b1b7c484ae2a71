// The comparisons behind %version repro --run: curves step by step, text and JSON with tolerance, ids and clocks
// that legitimately change, system readings and late data hashes left out; and the kernel's record of outputs.
import { describe, expect, it } from "vitest";
import { recordOutputs } from "../../../kernel/engine/output-record.js";
import type { CellRecord } from "../../../kernel/types.js";
import { ExecutedNotebook } from "../../../magics/version/executed-notebook.js";
import { compareCurve, compareJson, compareOutputs, compareRun, compareText, normaliser, pairRuns } from "../../../magics/version/repro/compare.js";
import { curvesFromPoints } from "../../../magics/version/repro/curves.js";
import { skipReason } from "../../../magics/version/repro/run.js";

const plain = normaliser(new Map());

describe("curves", () => {
  it("finds the largest differences and the first step beyond tolerance", () => {
    const recorded: [number, number][] = [[0, 1], [1, 0.5], [2, 0.25], [3, 0.125]];
    expect(compareCurve("train.loss", recorded, recorded, 1e-6)).toMatchObject({ verdict: "identical", maxAbs: 0, firstStepBeyondTolerance: null, points: 4 });
    const close = compareCurve("train.loss", recorded, [[0, 1], [1, 0.5 + 1e-9], [2, 0.25], [3, 0.125]], 1e-6);
    expect(close).toMatchObject({ verdict: "within-tolerance", firstStepBeyondTolerance: null });
    const moved = compareCurve("train.loss", recorded, [[0, 1], [1, 0.5], [2, 0.3], [3, 0.2]], 1e-6);
    expect(moved.verdict).toBe("differs");
    expect(moved.firstStepBeyondTolerance).toBe(2);
    expect(moved.maxAbs).toBeCloseTo(0.075, 12);
    expect(moved.maxRel).toBeCloseTo(0.075 / 0.2, 12);
    const short = compareCurve("train.loss", recorded, recorded.slice(0, 2), 1e-6);
    expect(short).toMatchObject({ verdict: "differs", firstStepBeyondTolerance: 2, note: "step 2 is missing in the re-run" });
  });

  it("keeps system readings out of the stored curves", () => {
    const points = [
      { runId: "r", key: "loss", split: "train", step: 1, value: 0.5, wallTime: 2 },
      { runId: "r", key: "loss", split: "train", step: 0, value: 1, wallTime: 1 },
      { runId: "r", key: "cpu_percent", split: "system", step: 0, value: 80, wallTime: 1 },
      { runId: "r", key: "acc", split: "", step: 0, value: Number.NaN, wallTime: 1 },
    ];
    expect(curvesFromPoints(points)).toEqual({ "train.loss": [[0, 1], [1, 0.5]], acc: [[0, "NaN"]] });
  });
});

describe("runs", () => {
  const recorded = { id: "r1", name: "fit", params: { lr: 0.05 }, summary: { "train.loss": 0.02, wall_time_s: 1.5, steps: 40 }, curves: { "train.loss": [[0, 9.5], [1, 0.28]] as [number, number][] } };
  it("ignores wall time, names the param, final metric and curve that moved", () => {
    const same = compareRun(recorded, { ...recorded, id: "r2", summary: { ...recorded.summary, wall_time_s: 2.4 } }, 1e-6);
    expect(same.verdict).toBe("identical");
    const changed = compareRun(recorded, { ...recorded, id: "r2", params: { lr: 0.052 }, summary: { ...recorded.summary, "train.loss": 0.021 }, curves: { "train.loss": [[0, 9.5], [1, 0.3]] } }, 1e-6);
    expect(changed.verdict).toBe("differs");
    expect(changed.params).toEqual([{ key: "lr", recorded: 0.05, rerun: 0.052 }]);
    expect(changed.metrics.find((metric) => metric.key === "train.loss")).toMatchObject({ verdict: "differs", recorded: 0.02, rerun: 0.021 });
    expect(changed.curves[0]).toMatchObject({ metric: "train.loss", firstStepBeyondTolerance: 1 });
    expect(compareRun(recorded, undefined, 1e-6)).toMatchObject({ verdict: "differs", first: "run fit: the re-run produced no run of that name" });
    const older = compareRun({ ...recorded, curves: null }, { ...recorded, id: "r2" }, 1e-6);
    expect(older).toMatchObject({ verdict: "identical", curves: [], note: expect.stringContaining("stored no curves") });
  });

  it("pairs the k-th run of a name with the k-th, taking a version's runs from the end", () => {
    const rerun = [{ name: "a", id: 1 }, { name: "b", id: 2 }, { name: "a", id: 3 }];
    expect(pairRuns([{ name: "a" }, { name: "b" }, { name: "a" }], rerun).map((run) => run?.id)).toEqual([1, 2, 3]);
    expect(pairRuns([{ name: "a" }], rerun).map((run) => run?.id)).toEqual([3]);
    expect(pairRuns([{ name: "c" }], rerun)).toEqual([undefined]);
  });
});

describe("outputs", () => {
  it("compares text by its words exactly and its numbers within tolerance", () => {
    expect(compareText("loss 0.5 at step 3", "loss 0.5 at step 3", 1e-6, "c").verdict).toBe("identical");
    expect(compareText("loss 0.5000001 at step 3", "loss 0.5000002 at step 3", 1e-6, "c").verdict).toBe("within-tolerance");
    expect(compareText("loss 0.5 at step 3", "loss 0.6 at step 3", 1e-6, "c")).toMatchObject({ verdict: "differs", first: "c: recorded 0.5, re-run 0.6" });
    expect(compareText("loss 0.5", "gain 0.5", 1e-6, "c").verdict).toBe("differs");
  });

  it("replaces run ids (whole or as printed prefixes) and clocks, but not other text", () => {
    const ids = normaliser(new Map([["01a233c821a7254a24d8", "<run:fit>"], ["01a233c8f4b7254a24d9", "<run:fit>"]]));
    expect(ids.text("run fit (01a233c821) at 2026-12-01T22:48:42.123Z")).toBe("run fit (<run:fit>) at <time>");
    expect(ids.text("run fit (01a233c8f4)")).toBe("run fit (<run:fit>)");
    expect(ids.text("loss 0.25")).toBe("loss 0.25");
  });

  it("compares charts by their data, without renderings, system rows or system panels", () => {
    const chart = (loss: number, cpu: number, panels: string[]) => ({
      "image/svg+xml": `<svg>${Math.random()}</svg>`,
      "application/vnd.vegalite.v5+json": {
        data: { values: [{ metric: "loss", split: "train", step: 0, value: loss }, { metric: "cpu_percent", split: "system", step: 0, value: cpu }] },
        vconcat: panels.map((title) => ({ title, mark: "line" })),
      },
    });
    const recorded = [{ output_type: "display_data", data: chart(0.5, 40, ["loss", "cpu_percent"]) }];
    expect(compareOutputs(recorded, [{ output_type: "display_data", data: chart(0.5, 95, ["loss"]) }], 1e-6, "cell 1", plain).verdict).toBe("identical");
    const moved = compareOutputs(recorded, [{ output_type: "display_data", data: chart(0.7, 40, ["loss", "cpu_percent"]) }], 1e-6, "cell 1", plain);
    expect(moved.verdict).toBe("differs");
    expect(moved.first).toContain("data.values[0].value: recorded 0.5, re-run 0.7");
  });

  it("names an error in the re-run, and reports hashes present on one side only as record-keeping", () => {
    const recorded = [{ output_type: "execute_result", data: { "text/plain": "4" } }];
    const failed = compareOutputs(recorded, [{ output_type: "error", ename: "Error", evalue: "boom" }], 1e-6, "cell 2", plain);
    expect(failed).toMatchObject({ verdict: "differs", first: "cell 2: the re-run failed with Error: boom" });
    const late: string[] = [];
    const sha = "a".repeat(64);
    const compared = compareJson({ provenance: { dataHashes: { "d.csv": sha } }, rows: [{ differs: true, values: [null, sha] }] }, { rows: [{ differs: false, values: [sha, sha] }] }, 1e-6, "cell 3", plain, (path) => late.push(path));
    expect(compared.verdict).toBe("identical");
    expect(late).toEqual(["cell 3 .provenance", "cell 3 .rows[0].values[0]"]);
  });

  it("leaves throughput warnings (machine load) out, and says so", () => {
    const seen: string[] = [];
    const recorded = [{ output_type: "stream", name: "stderr", text: "⚠ labnote: throughput fell to 3.0 steps/s at step 9 in run \"fit\" (from a median of 90.0): check for a memory leak.\n" }, { output_type: "execute_result", data: { "application/json": { warnings: ["throughput-collapse"], loss: 0.5 } } }];
    const rerun = [{ output_type: "execute_result", data: { "application/json": { warnings: [], loss: 0.5 } } }];
    expect(compareOutputs(recorded, rerun, 1e-6, "cell 4", plain, undefined, (where) => seen.push(where)).verdict).toBe("identical");
    expect(seen).toEqual(["cell 4"]);
  });

  it("never re-runs commands that act on the repository", () => {
    expect(skipReason('%version commit -m "x"')).toMatch(/%version/);
    expect(skipReason("%seed 1\n%version push http://x")).toMatch(/%version/);
    expect(skipReason("%version data data/x.csv")).toBeNull();
    expect(skipReason("%%track --name a\nrun.log({ a: 1 })")).toBeNull();
  });
});

describe("the kernel's record of a cell", () => {
  it("merges streams, applies display updates and clear_output, appends the result or the error", () => {
    const forwarded: string[] = [];
    const recorder = recordOutputs({ stream: (name) => forwarded.push(name), displayData: () => forwarded.push("display"), updateDisplayData: () => forwarded.push("update"), clearOutput: () => forwarded.push("clear") });
    recorder.sink.stream("stdout", "a");
    recorder.sink.stream("stdout", "b\n");
    recorder.sink.displayData({ "text/plain": "0%" }, {}, { display_id: "bar" });
    recorder.sink.updateDisplayData({ "text/plain": "100%" }, {}, { display_id: "bar" });
    expect(recorder.finish({ result: { "text/plain": "42" }, executionCount: 3 })).toEqual([
      { output_type: "stream", name: "stdout", text: "ab\n" },
      { output_type: "display_data", data: { "text/plain": "100%" }, metadata: {}, displayId: "bar" },
      { output_type: "execute_result", execution_count: 3, data: { "text/plain": "42" }, metadata: {} },
    ]);
    expect(forwarded).toEqual(["stdout", "stdout", "display", "update"]);
    recorder.sink.clearOutput(true);
    recorder.sink.stream("stderr", "late");
    expect(recorder.finish({ ename: "Error", evalue: "x", traceback: [] })).toEqual([{ output_type: "stream", name: "stderr", text: "late" }, { output_type: "error", ename: "Error", evalue: "x", traceback: [] }]);
  });

  it("keeps the last run of each cell id in place; without ids, every execution", () => {
    const cell = (code: string, executionCount: number, cellId?: string): CellRecord => ({ code, executionCount, startedAt: new Date(0), durationMs: 1, status: "ok", outputs: { streams: 0, displays: 0, errors: 0, mimeTypes: [] }, outputList: [{ output_type: "stream", name: "stdout", text: code }], ...(cellId ? { cellId } : {}) });
    const notebook = new ExecutedNotebook();
    notebook.record(cell("a = 1", 1, "A"));
    notebook.record(cell("b = 1", 2, "B"));
    notebook.record(cell("a = 2", 3, "A"));
    const document = notebook.document({});
    expect(document.cells.map((entry) => [entry.id, entry.source, entry.execution_count])).toEqual([["A", "a = 2", 3], ["B", "b = 1", 2]]);
    expect(document.cells[0]!.outputs).toEqual([{ output_type: "stream", name: "stdout", text: "a = 2" }]);
    const anonymous = new ExecutedNotebook();
    anonymous.record(cell("x", 1));
    anonymous.record(cell("x", 2));
    expect(anonymous.document({}).cells.map((entry) => entry.execution_count)).toEqual([1, 2]);
  });
});
