// tfjs-backend-wasm 4.22 multiplies transposed operands on a slow path (measured here: A^T·B 1,496 ms where
// transpose(A)·B takes 57 ms for 784×512·512×1024), and every matmul gradient uses one. We re-register its
// BatchMatMul and _FusedMatMul kernels to transpose explicitly first, then call the fast untransposed kernel.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./types.js";

type KernelConfig = tfTypes.KernelConfig;
type TensorInfo = tfTypes.TensorInfo;
const PATCHED = Symbol.for("labnote.wasmMatmulTranspose");

function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1]!, perm[rank - 2]!];
  return perm;
}

export function patchWasmTransposedMatmul(tf: Tf): boolean {
  const transpose = tf.getKernel("Transpose", "wasm");
  if (!transpose) return false;
  let patched = false;
  for (const kernelName of ["BatchMatMul", "_FusedMatMul"]) {
    const original = tf.getKernel(kernelName, "wasm") as (KernelConfig & { [PATCHED]?: true }) | undefined;
    if (!original || original[PATCHED]) continue;
    const kernelFunc: KernelConfig["kernelFunc"] = ({ inputs, backend, attrs }) => {
      const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
      if (!transposeA && !transposeB) return original.kernelFunc({ inputs, backend, attrs });
      const made: TensorInfo[] = [];
      const flip = (tensor: TensorInfo): TensorInfo => {
        const result = transpose.kernelFunc({ inputs: { x: tensor }, backend, attrs: { perm: swapLastTwo(tensor.shape.length) } }) as TensorInfo;
        made.push(result);
        return result;
      };
      const a = inputs.a as TensorInfo;
      const b = inputs.b as TensorInfo;
      const newInputs = { ...inputs, a: transposeA ? flip(a) : a, b: transposeB ? flip(b) : b };
      try {
        return original.kernelFunc({ inputs: newInputs, backend, attrs: { ...attrs, transposeA: false, transposeB: false } });
      } finally {
        for (const info of made) (backend as unknown as { disposeData(id: object): void }).disposeData(info.dataId);
      }
    };
    tf.unregisterKernel(kernelName, "wasm");
    tf.registerKernel({ ...original, kernelFunc, [PATCHED]: true } as KernelConfig);
    patched = true;
  }
  return patched;
}
