// The wasm Slice that copies on the heap must give what tfjs's own slice gives (the cpu backend's, as the reference)
// for contiguous and rank-2 blocks of every heap dtype, hand other slices to tfjs's kernel, and free what it makes.
import { beforeAll, describe, expect, it } from "vitest";
import { loadTf, switchBackend } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
  await switchBackend("wasm");
});

type Case = { name: string; shape: number[]; dtype: "float32" | "int32" | "bool"; begin: number[]; size: number[] };
const CASES: Case[] = [
  { name: "a batch of rows (trainLoop's batches)", shape: [9, 7], dtype: "float32", begin: [3, 0], size: [4, -1] },
  { name: "a block of columns (rank 2, not contiguous)", shape: [5, 6], dtype: "float32", begin: [1, 2], size: [3, 3] },
  { name: "contiguous rows of a 3-D tensor", shape: [4, 3, 2], dtype: "int32", begin: [1, 0, 0], size: [2, 3, 2] },
  { name: "a 3-D block that is not contiguous (tfjs's kernel)", shape: [4, 3, 2], dtype: "float32", begin: [1, 1, 0], size: [2, 2, 1] },
  { name: "bool rows", shape: [6, 2], dtype: "bool", begin: [2, 0], size: [3, 2] },
  { name: "an empty slice", shape: [6, 2], dtype: "float32", begin: [2, 0], size: [0, 2] },
];

async function sliceOn(backend: string, case_: Case): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend(backend);
  const count = case_.shape.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: count }, (_, i) => (case_.dtype === "bool" ? i % 3 === 0 ? 1 : 0 : case_.dtype === "int32" ? i * 5 - 7 : Math.cos(i) * 10));
  const x = tf.tensor(values, case_.shape, case_.dtype);
  const out = tf.slice(x, case_.begin, case_.size);
  const result = { shape: out.shape, values: Array.from(await out.data()) };
  tf.dispose([x, out]);
  return result;
}

describe("wasm slice on the heap", () => {
  it("is installed by the wasm rung", () => {
    expect((tf.getKernel("Slice", "wasm") as unknown as Record<symbol, unknown>)[Symbol.for("labnote.wasmHeapSlice")]).toBe(true);
  });

  for (const case_ of CASES) {
    it(`matches tfjs's slice: ${case_.name}`, async () => {
      expect(await sliceOn("wasm", case_)).toEqual(await sliceOn("cpu", case_));
    });
  }

  it("slices a tensor made after the heap grew, and frees what it makes", async () => {
    await tf.setBackend("wasm");
    const backend = tf.backend() as unknown as { numDataIds(): number };
    const before = backend.numDataIds();
    const big = tf.tensor2d(Float32Array.from({ length: 4096 * 4096 }, (_, i) => i % 997), [4096, 4096]);
    const rows = tf.slice(big, [4000, 0], [2, -1]);
    const data = await rows.data();
    expect(data[0]).toBe((4000 * 4096) % 997);
    expect(data[4096 + 9]).toBe((4001 * 4096 + 9) % 997);
    tf.dispose([big, rows]);
    expect(backend.numDataIds()).toBe(before);
  });
});
