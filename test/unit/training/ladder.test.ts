import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { backendInfo, loadTf, switchBackend } from "../../../training/index.js";

const loadedTfjs = () => Object.keys(createRequire(import.meta.url).cache).filter((path) => path.includes("@tensorflow/tfjs-core"));

describe("backend ladder", () => {
  it("loads nothing until loadTf() is called", () => {
    expect(backendInfo()).toBeUndefined();
    expect(loadedTfjs()).toEqual([]);
  });

  it("picks the first working backend (wasm here: no GPU) and says why the others were skipped", async () => {
    const tf = await loadTf();
    const info = backendInfo()!;
    expect(info.name).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(info.reason).toMatch(/^tfjs backend wasm — .*SIMD/);
    expect(info.skipped.map((s) => s.name)).toEqual([
      "tensorflow (@tensorflow/tfjs-node-gpu, CUDA)",
      "webgpu (Dawn via the webgpu package)",
      "tensorflow (@tensorflow/tfjs-node)",
    ]);
    expect(info.skipped[1]!.why).toMatch(/no WebGPU adapter|webgpu package|software WebGPU adapter/);
    expect(info.skipped[0]!.why).toMatch(/not installed/);
    expect(await loadTf()).toBe(tf); // memoised
  });

  it("multiplies correctly on the chosen backend, including the transposed matmuls gradients use", async () => {
    const tf = await loadTf();
    const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
    const b = tf.tensor2d([1, 0, 2, 1, 1, 3], [3, 2]);
    expect(Array.from(await tf.matMul(a, b, true, false).data())).toEqual([12, 18, 16, 22]);
    expect(Array.from(await tf.matMul(a, b, false, true).data())).toEqual([1, 4, 7, 3, 10, 15, 5, 16, 23]);
    const fused = tf.fused.matMul({ a, b, transposeA: true, bias: tf.tensor1d([-20, 0]), activation: "relu" });
    expect(Array.from(await fused.data())).toEqual([0, 18, 0, 22]);
  });

  it("switches to cpu and back, and refuses an unavailable backend with a clear message, staying put", async () => {
    const tf = await loadTf();
    const kept = tf.tensor1d([1, 2, 3]);
    const cpu = await switchBackend("cpu");
    expect(cpu.name).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(Array.from(await kept.add(1).data())).toEqual([2, 3, 4]);
    await expect(switchBackend("webgpu")).rejects.toThrow(/cannot switch to webgpu: .*Still on cpu; try one of tensorflow, wasm, cpu/);
    expect(tf.getBackend()).toBe("cpu");
    expect(backendInfo()!.name).toBe("cpu");
    await switchBackend("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(Array.from(await kept.mul(2).data())).toEqual([2, 4, 6]);
  });
});
