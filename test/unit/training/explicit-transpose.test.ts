// The BatchMatMul wrapper that transposes operands first must give the same products as the transposed matmul,
// and free its temporary transposes. Checked on the cpu backend (the wrapper is backend-agnostic).
import { beforeAll, describe, expect, it } from "vitest";
import { loadTf, switchBackend } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";
import { setExplicitTransposes } from "../../../training/webgpu/explicit-transpose.js";

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
  await switchBackend("cpu");
});

const values = (count: number, seed: number) => Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.37 + seed));

describe("explicit transposes around BatchMatMul", () => {
  it("computes A·Bᵀ, Aᵀ·B and their gradients exactly as the plain kernels, with no leaked buffers", async () => {
    const a = tf.tensor2d(values(6 * 5, 1), [6, 5]);
    const b = tf.tensor2d(values(7 * 5, 2), [7, 5]);
    const c = tf.tensor2d(values(6 * 4, 3), [6, 4]);
    const read = async (tensor: ReturnType<typeof tf.matMul>) => {
      const array = await tensor.array();
      tensor.dispose();
      return array;
    };
    const reference = async () => [
      await read(tf.matMul(a, b, false, true)),
      await read(tf.matMul(a, c, true, false)),
      await read(tf.grad((w: typeof b) => tf.matMul(a, w, false, true).sum())(b) as ReturnType<typeof tf.matMul>),
    ];
    const kernelBefore = tf.getKernel("BatchMatMul", "cpu")!.kernelFunc;
    setExplicitTransposes(tf, { a: false, b: false }, { backendName: "cpu", minMultiplyAdds: 1 });
    expect(tf.getKernel("BatchMatMul", "cpu")!.kernelFunc).not.toBe(kernelBefore); // the wrapper is what runs
    const plain = await reference();
    setExplicitTransposes(tf, { a: true, b: true }, { backendName: "cpu", minMultiplyAdds: 1 });
    const dataIdsBefore = tf.engine().backend.numDataIds();
    const flipped = await reference();
    expect(tf.engine().backend.numDataIds()).toBe(dataIdsBefore);
    expect(flipped).toEqual(plain);
    setExplicitTransposes(tf, { a: false, b: false }, { backendName: "cpu" });
    tf.dispose([a, b, c]);
  });
});
