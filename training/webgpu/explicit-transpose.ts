// tfjs-backend-webgpu 4.22 runs a matmul with transposeB (every backward dX = dY·Wᵀ) on its scalar shader path:
// its vec4 path requires !transposeB. Transposing the operand first (one shared-memory transpose, ~0.1 ms for a
// 4096×4096 weight on an H100) puts the big backward matmuls on the vec4 path. Optionally the same for transposeA
// (dW = Xᵀ·dY). Installed as a wrapper around the webgpu BatchMatMul kernel, switchable for the bench.
import type { Tf } from "../backends/types.js";
import { setSubmitBatchSizeSource, tiledMatmul, tiledMatmulFits } from "./tiled-matmul.js";
import type { WideVariant } from "./wide-matmul.js";
import { asWideActivation, setWideMatmul, tryWideMatmul } from "./wide-route.js";

export interface ExplicitTransposes {
  /** Also run large plain 2-D matmuls (after the transposes) on labnote's 128×128-tile shader (tiled-matmul.ts). */
  tiled?: boolean;
  /** Transpose B before a transposeB matmul (so the vec4 shader applies). */
  b: boolean;
  /** Transpose A before a transposeA matmul. */
  a: boolean;
  /**
   * Large matmuls (transposes, bias and activation included) on labnote's 64×256-tile kernel (wide-matmul.ts), ahead
   * of everything above; a variant whose run-time self-check failed stays off (wide-route.ts).
   */
  wide?: WideVariant;
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
  setWideMatmul(wanted.wide);
  if (installedOn.has(backendName) || !tf.findBackendFactory(backendName)) return;
  const submitBatchSize = () => tf.env().getNumber("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE");
  setSubmitBatchSizeSource(submitBatchSize);
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
    const wide = tryWideMatmul(args.backend, { a, b, transposeA, transposeB, activation: "linear", alpha: 0 }, submitBatchSize);
    if (wide) return wide;
    const rows = transposeA ? a.shape[a.shape.length - 1]! : a.shape[a.shape.length - 2]!;
    const inner = transposeA ? a.shape[a.shape.length - 2]! : a.shape[a.shape.length - 1]!;
    const columns = transposeB ? b.shape[b.shape.length - 2]! : b.shape[b.shape.length - 1]!;
    const fixA = transposeA && active.a && a.dtype === "float32";
    const fixB = transposeB && active.b && b.dtype === "float32";
    if (active.tiled && !transposeA && !transposeB && tiledMatmulFits(a, b, undefined)) return tiledMatmul(args.backend as never, a, b, undefined, "linear");
    if ((!fixA && !fixB) || rows * inner * columns < minMultiplyAdds) return matmul(args);
    const backend = args.backend as { disposeData(dataId: object): void };
    const made: TensorInfoLike[] = [];
    const flip = (x: TensorInfoLike): TensorInfoLike => {
      const flipped = transpose({ inputs: { x }, backend, attrs: { perm: swapLast(x.shape) } }) as TensorInfoLike;
      made.push(flipped);
      return flipped;
    };
    try {
      const left = fixA ? flip(a) : a;
      const right = fixB ? flip(b) : b;
      if (active.tiled && !(transposeA && !fixA) && !(transposeB && !fixB) && tiledMatmulFits(left, right, undefined)) {
        return tiledMatmul(backend as never, left, right, undefined, "linear");
      }
      return matmul({
        inputs: { a: left, b: right },
        backend,
        attrs: { ...args.attrs, transposeA: transposeA && !fixA, transposeB: transposeB && !fixB },
      });
    } finally {
      for (const tensor of made) backend.disposeData(tensor.dataId);
    }
  };
  tf.registerKernel({ kernelName: "BatchMatMul", backendName, kernelFunc: kernelFunc as never });
  installedOn.add(backendName);
  if (backendName !== "webgpu") return;
  const fused = tf.getKernel("_FusedMatMul", backendName);
  if (!fused) return;
  const fusedMatmul = fused.kernelFunc as unknown as KernelFunc;
  tf.unregisterKernel("_FusedMatMul", backendName);
  const fusedKernelFunc: KernelFunc = (args) => {
    const { a, b, bias, preluActivationWeights } = args.inputs as Record<string, TensorInfoLike | undefined>;
    const activation = (args.attrs?.activation as string | undefined) ?? "linear";
    const wideActivation = asWideActivation(activation);
    if (wideActivation && !preluActivationWeights) {
      const call = { a: a!, b: b!, bias, transposeA: Boolean(args.attrs?.transposeA), transposeB: Boolean(args.attrs?.transposeB), activation: wideActivation, alpha: Number(args.attrs?.leakyreluAlpha ?? 0.2) };
      const wide = tryWideMatmul(args.backend, call, submitBatchSize);
      if (wide) return wide;
    }
    const plain = !args.attrs?.transposeA && !args.attrs?.transposeB && !preluActivationWeights;
    if (active.tiled && plain && (activation === "linear" || activation === "relu") && tiledMatmulFits(a!, b!, bias)) {
      return tiledMatmul(args.backend as never, a!, b!, bias, activation);
    }
    return fusedMatmul(args);
  };
  tf.registerKernel({ kernelName: "_FusedMatMul", backendName, kernelFunc: fusedKernelFunc as never });
}

/**
 * Runs one product through the tiled shader and through tfjs's own (bias, ReLU, ragged M and N included) and
 * returns the largest difference relative to the largest value; the tiled shader should not be used if it is big.
 */
export async function checkTiledMatmul(tf: Tf): Promise<number> {
  const saved = { ...active };
  const [m, k, n] = [1032, 64, 2052]; // ragged last tiles in M and N; 9×17 workgroups, above the shader's threshold
  const values = (count: number, seed: number) => Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.731 + seed));
  const a = tf.tensor2d(values(m * k, 1), [m, k]);
  const b = tf.tensor2d(values(k * n, 2), [k, n]);
  const bias = tf.tensor1d(values(n, 3));
  const product = (tiled: boolean) => {
    active = { a: false, b: false, tiled };
    return tf.fused.matMul({ a, b, bias, activation: "relu" });
  };
  try {
    const read = async (tensor: ReturnType<typeof product>) => {
      const data = await tensor.data();
      tensor.dispose();
      return data;
    };
    const expected = await read(product(false));
    const actual = await read(product(true));
    let worst = 0;
    let scale = 1e-6;
    for (let i = 0; i < expected.length; i++) {
      worst = Math.max(worst, Math.abs(expected[i]! - actual[i]!));
      scale = Math.max(scale, Math.abs(expected[i]!));
    }
    return worst / scale;
  } finally {
    active = saved;
    tf.dispose([a, b, bias]);
  }
}
