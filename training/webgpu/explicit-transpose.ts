// tfjs-backend-webgpu 4.22 runs a matmul with transposeB (every backward dX = dY·Wᵀ) on its scalar shader path:
// its vec4 path requires !transposeB. Transposing the operand first (one shared-memory transpose, ~0.1 ms for a
// 4096×4096 weight on an H100) puts the big backward matmuls on the vec4 path. Optionally the same for transposeA
// (dW = Xᵀ·dY). Installed as a wrapper around the webgpu BatchMatMul kernel, switchable for the bench.
import type { Tf } from "../backends/types.js";

export interface ExplicitTransposes {
  /** Transpose B before a transposeB matmul (so the vec4 shader applies). */
  b: boolean;
  /** Transpose A before a transposeA matmul. */
  a: boolean;
}

/** Below this many multiply-adds a matmul keeps tfjs's own path: the extra dispatch would cost more. */
const MIN_MULTIPLY_ADDS = 1 << 26;

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}
type KernelFunc = (args: { inputs: Record<string, TensorInfoLike>; backend: unknown; attrs?: Record<string, unknown> }) => TensorInfoLike | TensorInfoLike[];

let active: ExplicitTransposes = { a: false, b: false };
let minMultiplyAdds = MIN_MULTIPLY_ADDS;
const installedOn = new Set<string>();

function swapLast(shape: number[]): number[] {
  const perm = shape.map((_, i) => i);
  perm[perm.length - 1] = perm.length - 2;
  perm[perm.length - 2] = perm.length - 1;
  return perm;
}

/**
 * Sets which operands are transposed explicitly (installs the BatchMatMul wrapper once per backend; webgpu by
 * default, another backend only for tests).
 */
export function setExplicitTransposes(tf: Tf, wanted: ExplicitTransposes, options: { backendName?: string; minMultiplyAdds?: number } = {}): void {
  const backendName = options.backendName ?? "webgpu";
  active = { ...wanted };
  minMultiplyAdds = options.minMultiplyAdds ?? MIN_MULTIPLY_ADDS;
  if (installedOn.has(backendName) || !tf.findBackendFactory(backendName)) return;
  const original = tf.getKernel("BatchMatMul", backendName);
  const transposeKernel = tf.getKernel("Transpose", backendName);
  if (!original || !transposeKernel) return;
  const matmul = original.kernelFunc as unknown as KernelFunc;
  const transpose = transposeKernel.kernelFunc as unknown as KernelFunc;
  tf.unregisterKernel("BatchMatMul", backendName);
  const kernelFunc: KernelFunc = (args) => {
    const { a, b } = args.inputs as { a: TensorInfoLike; b: TensorInfoLike };
    const transposeA = Boolean(args.attrs?.transposeA);
    const transposeB = Boolean(args.attrs?.transposeB);
    const rows = transposeA ? a.shape[a.shape.length - 1]! : a.shape[a.shape.length - 2]!;
    const inner = transposeA ? a.shape[a.shape.length - 2]! : a.shape[a.shape.length - 1]!;
    const columns = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const fixA = transposeA && active.a && a.dtype === "float32";
    const fixB = transposeB && active.b && b.dtype === "float32";
    if ((!fixA && !fixB) || rows * inner * columns < minMultiplyAdds) return matmul(args);
    const backend = args.backend as { disposeData(dataId: object): void };
    const made: TensorInfoLike[] = [];
    const flip = (x: TensorInfoLike): TensorInfoLike => {
      const flipped = transpose({ inputs: { x }, backend, attrs: { perm: swapLast(x.shape) } }) as TensorInfoLike;
      made.push(flipped);
      return flipped;
    };
    try {
      return matmul({
        inputs: { a: fixA ? flip(a) : a, b: fixB ? flip(b) : b },
        backend,
        attrs: { ...args.attrs, transposeA: transposeA && !fixA, transposeB: transposeB && !fixB },
      });
    } finally {
      for (const tensor of made) backend.disposeData(tensor.dataId);
    }
  };
  tf.registerKernel({ kernelName: "BatchMatMul", backendName, kernelFunc: kernelFunc as never });
  installedOn.add(backendName);
}
