// When tfjs's webgpu matmuls take labnote's 64×256-tile kernel (wide-matmul.ts), and the run-time self-check that
// decides whether they may: before the kernel is used on a device it multiplies a few small random problems
// (transposes, ragged sizes, a batch, bias and activations) and compares them with tfjs's own webgpu matmul; any
// difference beyond fp32 rounding turns that variant off for the rest of the process, with one line saying why.
// LABNOTE_WEBGPU_MATMUL: auto (default: subgroup kernel when the adapter has subgroups and the check passes),
// subgroup, shared (the same tiling without subgroup operations), tiled (labnote's 128×128 kernel only), tfjs.
import type { Tf } from "../backends/types.js";
import { errorText } from "../backends/types.js";
import type { WebGpuBackendInternals } from "./gpu-types.js";
import { runWideMatmul, wideProblem, wideWorkgroupBytes, wideWorthIt } from "./wide-matmul.js";
import type { TensorInfoLike, WideActivation, WideCall, WideProblem, WideVariant } from "./wide-matmul.js";
import { WIDE_ACTIVATIONS } from "./wide-matmul.js";
import { adapterSubgroupInfo } from "./device-features.js";

export type MatmulChoice = "auto" | "subgroup" | "shared" | "tiled" | "tfjs";
const CHOICES: readonly MatmulChoice[] = ["auto", "subgroup", "shared", "tiled", "tfjs"];

/** LABNOTE_WEBGPU_MATMUL, or auto when unset or not one of the choices. */
export function matmulChoice(): MatmulChoice {
  const wanted = (process.env.LABNOTE_WEBGPU_MATMUL ?? "auto").trim().toLowerCase() as MatmulChoice;
  return CHOICES.includes(wanted) ? wanted : "auto";
}

/** Largest difference relative to the largest reference value that still counts as the same fp32 product. */
export const WIDE_TOLERANCE = 1e-4;

interface RouteState {
  variant: WideVariant | undefined;
  /** Self-check only: every supported call takes the kernel, whatever its size. */
  force: boolean;
}
const state: RouteState = { variant: undefined, force: false };
/** Variants that failed their self-check (or could not run) in this process, with the reason: never used again. */
const failed = new Map<WideVariant, string>();
/** Variants that passed their self-check in this process. */
const validated = new Set<WideVariant>();

/** Routes large matmuls to `variant` (undefined: off). Refused, with the reason, for a variant that failed its check. */
export function setWideMatmul(variant: WideVariant | undefined): string | undefined {
  if (variant && failed.has(variant)) {
    state.variant = undefined;
    return failed.get(variant);
  }
  state.variant = variant;
  return undefined;
}
/** For tests: forget which variants passed or failed. */
export function resetWideMatmulForTests(): void {
  failed.clear();
  validated.clear();
  state.variant = undefined;
  state.force = false;
}
export function activeWideMatmul(): WideVariant | undefined {
  return state.variant;
}
export function wideMatmulFailure(variant: WideVariant): string | undefined {
  return failed.get(variant);
}
export function wideMatmulValidated(variant: WideVariant): boolean {
  return validated.has(variant);
}

const ACTIVATIONS = new Set<string>(WIDE_ACTIVATIONS);
export function asWideActivation(name: unknown): WideActivation | undefined {
  const activation = (name ?? "linear") as string;
  return ACTIVATIONS.has(activation) ? (activation as WideActivation) : undefined;
}

/** The problem when the active variant should take this call (supported, and large enough unless forced). */
export function wideRoute(call: WideCall): WideProblem | undefined {
  if (!state.variant) return undefined;
  const problem = wideProblem(call);
  if (typeof problem === "string") return undefined;
  return state.force || wideWorthIt(problem) ? problem : undefined;
}

/** Runs `call` on the active variant if it takes it; undefined leaves the call to the caller's path. */
export function tryWideMatmul(backend: unknown, call: WideCall, submitBatchSize: () => number): TensorInfoLike | undefined {
  const problem = wideRoute(call);
  if (!problem) return undefined;
  return runWideMatmul(backend as never, state.variant!, call, problem, submitBatchSize());
}

// ---------------------------------------------------------------------------------------------------------------

export interface CheckProblem {
  M: number;
  K: number;
  N: number;
  /** 0: plain 2-D matrices; otherwise a batch of this many (B broadcast when broadcastB). */
  batch: number;
  broadcastB?: boolean;
  transposeA: boolean;
  transposeB: boolean;
  bias: boolean;
  activation: WideActivation;
  alpha?: number;
}

/** Small problems with ragged tiles in M, N and K, every transpose, a batch, bias and each activation. */
export const SELF_CHECK_PROBLEMS: readonly CheckProblem[] = [
  { M: 67, K: 33, N: 261, batch: 0, transposeA: false, transposeB: true, bias: true, activation: "relu" },
  { M: 130, K: 47, N: 300, batch: 0, transposeA: true, transposeB: false, bias: false, activation: "linear" },
  { M: 64, K: 48, N: 256, batch: 0, transposeA: true, transposeB: true, bias: true, activation: "elu" },
  { M: 150, K: 70, N: 520, batch: 0, transposeA: false, transposeB: false, bias: true, activation: "leakyrelu", alpha: 0.2 },
  { M: 45, K: 21, N: 129, batch: 2, transposeA: false, transposeB: false, bias: false, activation: "linear" },
  { M: 70, K: 16, N: 300, batch: 3, broadcastB: true, transposeA: true, transposeB: true, bias: true, activation: "sigmoid" },
  { M: 9, K: 200, N: 17, batch: 0, transposeA: false, transposeB: false, bias: true, activation: "relu6" },
];

export function describeProblem(problem: CheckProblem): string {
  const parts = [`${problem.batch ? `${problem.batch}×` : ""}${problem.M}×${problem.K}×${problem.N}`];
  if (problem.transposeA) parts.push("transposeA");
  if (problem.transposeB) parts.push("transposeB");
  if (problem.bias) parts.push("bias");
  if (problem.activation !== "linear") parts.push(problem.activation);
  return parts.join(" ");
}

/** The kernel's view of a check problem (batch strides; B broadcast over the batch when broadcastB). */
export function checkProblemDimensions(problem: CheckProblem): WideProblem {
  const { M, N, K } = problem;
  return { M, N, K, batch: problem.batch || 1, strideA: problem.batch ? M * K : 0, strideB: problem.batch && !problem.broadcastB ? K * N : 0, alpha: problem.alpha ?? 0.2 };
}

/** Computes `problem` with the kernel (wide) or with the reference; values come back on the host. */
export type ProblemRunner = (problem: CheckProblem, wide: boolean) => Promise<Float32Array>;

export type CheckResult = { ok: true; worst: number } | { ok: false; reason: string };

/** Compares the kernel with the reference on every problem; the first mismatch (or error) is the reason. */
export async function selfCheckWide(run: ProblemRunner, problems: readonly CheckProblem[] = SELF_CHECK_PROBLEMS, tolerance = WIDE_TOLERANCE): Promise<CheckResult> {
  let worst = 0;
  for (const problem of problems) {
    let expected: Float32Array;
    let actual: Float32Array;
    try {
      expected = await run(problem, false);
      actual = await run(problem, true);
    } catch (error) {
      return { ok: false, reason: `self-check failed on ${describeProblem(problem)}: ${errorText(error)}` };
    }
    if (expected.length !== actual.length) return { ok: false, reason: `self-check on ${describeProblem(problem)}: ${actual.length} values, expected ${expected.length}` };
    let difference = 0;
    let scale = 1e-6;
    for (let i = 0; i < expected.length; i++) {
      const gap = Math.abs(expected[i]! - actual[i]!);
      difference = Number.isNaN(gap) ? Number.POSITIVE_INFINITY : Math.max(difference, gap);
      scale = Math.max(scale, Math.abs(expected[i]!));
    }
    const relative = difference / scale;
    if (!(relative <= tolerance)) {
      return { ok: false, reason: `self-check mismatch on ${describeProblem(problem)}: error ${relative.toExponential(1)} of the largest value > ${tolerance}` };
    }
    worst = Math.max(worst, relative);
  }
  return { ok: true, worst };
}

/** Deterministic inputs in [-1, 1) (no RNG dependency), different per seed. */
export function checkValues(count: number, seed: number): Float32Array {
  return Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.7317 + seed * 1.91) * Math.cos(i * 0.0139 + seed));
}

/** Input arrays and shapes of a problem as tfjs takes them (A M×K or K×M, B K×N or N×K, batched or not). */
export function problemInputs(problem: CheckProblem): { a: Float32Array; aShape: number[]; b: Float32Array; bShape: number[]; bias?: Float32Array } {
  const { M, K, N, batch } = problem;
  const aMatrix = problem.transposeA ? [K, M] : [M, K];
  const bMatrix = problem.transposeB ? [N, K] : [K, N];
  const aShape = batch ? [batch, ...aMatrix] : aMatrix;
  const bShape = batch ? [problem.broadcastB ? 1 : batch, ...bMatrix] : bMatrix;
  const size = (shape: number[]) => shape.reduce((x, y) => x * y, 1);
  return {
    a: checkValues(size(aShape), 1),
    aShape,
    b: checkValues(size(bShape), 2),
    bShape,
    bias: problem.bias ? checkValues(N, 3) : undefined,
  };
}

/** The runner on a live tfjs backend: tf.fused.matMul with the kernel forced on (wide) or off (tfjs's own kernel). */
export function tfProblemRunner(tf: Tf, variant: WideVariant): ProblemRunner {
  return async (problem, wide) => {
    const inputs = problemInputs(problem);
    const saved = { ...state };
    const a = tf.tensor(inputs.a, inputs.aShape);
    const b = tf.tensor(inputs.b, inputs.bShape);
    const bias = inputs.bias ? tf.tensor1d(inputs.bias) : undefined;
    let product: ReturnType<typeof tf.matMul> | undefined;
    try {
      state.variant = wide ? variant : undefined;
      state.force = wide;
      const fusedActivation = problem.activation as Parameters<typeof tf.fused.matMul>[0]["activation"];
      product = tf.fused.matMul({ a, b, transposeA: problem.transposeA, transposeB: problem.transposeB, bias, activation: fusedActivation, leakyreluAlpha: problem.alpha });
    } finally {
      state.variant = saved.variant;
      state.force = saved.force;
    }
    try {
      return Float32Array.from(await product.data());
    } finally {
      tf.dispose([a, b, ...(bias ? [bias] : []), product]);
    }
  };
}

/** Why `variant` cannot run on this backend's device, or undefined. */
export function wideUnavailable(tf: Tf, variant: WideVariant, options: { anySubgroupSize?: boolean } = {}): string | undefined {
  if (tf.getBackend() !== "webgpu") return "not on webgpu";
  const backend = tf.backend() as unknown as WebGpuBackendInternals & { device: { features?: { has(name: string): boolean }; limits: { maxComputeWorkgroupStorageSize?: number } } };
  const storage = backend.device.limits.maxComputeWorkgroupStorageSize ?? 16384;
  if (storage < wideWorkgroupBytes(variant)) return `the device allows ${storage} bytes of workgroup memory, the kernel needs ${wideWorkgroupBytes(variant)}`;
  if (variant !== "subgroup") return undefined;
  if (!backend.device.features?.has("subgroups")) return "the device has no subgroups feature";
  const sizes = adapterSubgroupInfo();
  // The lane layout needs 32 consecutive invocations in one subgroup: subgroups of 32 or more (NVIDIA: 32).
  if (!options.anySubgroupSize && sizes.minSize !== undefined && sizes.minSize < 32) {
    return `subgroups may be ${sizes.minSize}–${sizes.maxSize ?? "?"} lanes here, the kernel needs 32 or more`;
  }
  return undefined;
}

/**
 * Validates `variant` on the live device and routes large matmuls to it when it passes; a failure is permanent for
 * this process. `runner` replaces the device run (tests). Returns whether it is on and the line %backend shows.
 */
export async function enableWideMatmul(tf: Tf, variant: WideVariant, options: { runner?: ProblemRunner; anySubgroupSize?: boolean } = {}): Promise<{ on: boolean; note: string }> {
  const label = variant === "subgroup" ? "subgroup matmul" : "wide shared-memory matmul";
  const known = failed.get(variant);
  if (known) {
    state.variant = undefined;
    return { on: false, note: `${label} off: ${known}` };
  }
  if (!options.runner) {
    const missing = wideUnavailable(tf, variant, options);
    if (missing) {
      state.variant = undefined;
      return { on: false, note: `${label} off: ${missing}` };
    }
  }
  const result = await selfCheckWide(options.runner ?? tfProblemRunner(tf, variant));
  if (!result.ok) {
    failed.set(variant, result.reason);
    state.variant = undefined;
    return { on: false, note: `${label} off: ${result.reason}` };
  }
  validated.add(variant);
  state.variant = variant;
  return { on: true, note: `${label} (64×256 tiles; self-check error ${result.worst.toExponential(1)} over ${SELF_CHECK_PROBLEMS.length} problems)` };
}
