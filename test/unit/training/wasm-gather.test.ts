// The wasm GatherV2 that copies whole slices must give what tfjs's own gather gives (the cpu backend's, as the
// reference) for every axis, dtype and index shape, keep rejecting bad indices, and leave nothing allocated.
import { beforeAll, describe, expect, it } from "vitest";
import { loadTf, switchBackend } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";
import { patchWasmRowGather, unpatchWasmRowGather } from "../../../training/backends/wasm-gather.js";

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
  await switchBackend("wasm");
});

type Case = { name: string; shape: number[]; dtype: "float32" | "int32" | "bool"; indices: number[]; indicesShape: number[]; axis: number };
const CASES: Case[] = [
  { name: "rows of a matrix (model.fit's batches)", shape: [9, 7], dtype: "float32", indices: [8, 0, 3, 3, 5], indicesShape: [5], axis: 0 },
  { name: "columns (axis 1)", shape: [4, 6], dtype: "float32", indices: [5, 1, 1], indicesShape: [3], axis: 1 },
  { name: "the middle axis of a 3-D tensor with 2-D indices", shape: [3, 5, 4], dtype: "float32", indices: [4, 0, 2, 2], indicesShape: [2, 2], axis: 1 },
  { name: "the last axis, given as -1", shape: [2, 3, 5], dtype: "int32", indices: [0, 4], indicesShape: [2], axis: -1 },
  { name: "bool rows", shape: [5, 3], dtype: "bool", indices: [4, 1], indicesShape: [2], axis: 0 },
  { name: "no indices", shape: [5, 3], dtype: "float32", indices: [], indicesShape: [0], axis: 0 },
];

function values(case_: Case): number[] {
  const count = case_.shape.reduce((a, b) => a * b, 1);
  return Array.from({ length: count }, (_, i) => (case_.dtype === "bool" ? (i * 7) % 3 === 0 ? 1 : 0 : case_.dtype === "int32" ? i * 3 - 11 : Math.sin(i) * 100));
}

async function gatherOn(backend: string, case_: Case): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend(backend);
  const x = tf.tensor(values(case_), case_.shape, case_.dtype);
  const indices = tf.tensor(case_.indices, case_.indicesShape, "int32");
  const out = tf.gather(x, indices, case_.axis);
  const result = { shape: out.shape, values: Array.from(await out.data()) };
  tf.dispose([x, indices, out]);
  return result;
}

describe("wasm gather by slice copy", () => {
  it("is installed by the wasm rung, once", () => {
    expect(tf.getBackend()).toBe("wasm");
    const kernel = tf.getKernel("GatherV2", "wasm")!;
    expect((kernel as unknown as Record<symbol, unknown>)[Symbol.for("labnote.wasmRowGather")]).toBeDefined();
    expect(patchWasmRowGather(tf)).toBe(true);
    expect(tf.getKernel("GatherV2", "wasm")!.kernelFunc).toBe(kernel.kernelFunc);
    unpatchWasmRowGather(tf); // the bench's "before": tfjs's own kernel back
    expect((tf.getKernel("GatherV2", "wasm") as unknown as Record<symbol, unknown>)[Symbol.for("labnote.wasmRowGather")]).toBeUndefined();
    expect(patchWasmRowGather(tf)).toBe(true);
    expect((tf.getKernel("GatherV2", "wasm") as unknown as Record<symbol, unknown>)[Symbol.for("labnote.wasmRowGather")]).toBeDefined();
  });

  for (const case_ of CASES) {
    it(`matches tfjs's gather: ${case_.name}`, async () => {
      const expected = await gatherOn("cpu", case_);
      const actual = await gatherOn("wasm", case_);
      expect(actual).toEqual(expected);
    });
  }

  it("rejects an index outside the axis, as tfjs does", async () => {
    await tf.setBackend("wasm");
    const x = tf.zeros([3, 2]);
    const indices = tf.tensor1d([0, 3], "int32");
    expect(() => tf.gather(x, indices)).toThrow(/index value 3 is not in \[0, 2\]/);
    tf.dispose([x, indices]);
  });

  it("keeps the heap's data count flat and gathers from tensors made after the heap grew", async () => {
    await tf.setBackend("wasm");
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    // 64 MB of rows: allocating it grows the wasm memory, which replaces the heap's ArrayBuffer.
    const big = tf.tensor2d(Float32Array.from({ length: 4096 * 4096 }, (_, i) => i % 1009), [4096, 4096]);
    const indices = tf.tensor1d([4095, 0, 17], "int32");
    const rows = tf.gather(big, indices);
    const data = await rows.data();
    expect(Array.from(data.subarray(0, 3))).toEqual([(4095 * 4096) % 1009, (4095 * 4096 + 1) % 1009, (4095 * 4096 + 2) % 1009]);
    expect(data[4096]).toBe(0);
    expect(data[2 * 4096 + 5]).toBe((17 * 4096 + 5) % 1009);
    tf.dispose([big, indices, rows]);
    expect(backend.numDataIds()).toBe(before);
  });
});
