// Our fixes for tfjs-backend-webgpu's per-op overhead, switchable one by one so the bench can compare them.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "../backends/types.js";
import { createFusedAdam } from "./fused-adam.js";
import type { AdamSettings } from "./fused-adam.js";
import { setUniformArena } from "./uniform-arena.js";
import { setExplicitTransposes } from "./explicit-transpose.js";
import type { ExplicitTransposes } from "./explicit-transpose.js";

export interface WebGpuSpeedups {
  /** One uniform arena per submit instead of a GPUBuffer + writeBuffer per op. */
  uniformArena: boolean;
  /** Submit every 200 dispatches instead of 15, and never forward small ops to the CPU backend (no sync). */
  submitBatching: boolean;
  /** Transpose matmul operands explicitly so tfjs's vec4 shader applies (explicit-transpose.ts); off when absent. */
  explicitTransposes?: ExplicitTransposes;
}

export const ALL_SPEEDUPS: WebGpuSpeedups = { uniformArena: true, submitBatching: true };
export const NO_SPEEDUPS: WebGpuSpeedups = { uniformArena: false, submitBatching: false };

/** Applies `speedups` to the live webgpu backend; a no-op on other backends. */
export function setWebGpuSpeedups(tf: Tf, speedups: WebGpuSpeedups): void {
  if (tf.getBackend() !== "webgpu") return;
  tf.env().set("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE", speedups.submitBatching ? 200 : 15);
  tf.env().set("WEBGPU_CPU_FORWARD", !speedups.submitBatching);
  setUniformArena(tf.backend(), speedups.uniformArena);
  setExplicitTransposes(tf, speedups.explicitTransposes ?? { a: false, b: false });
}

/** Adam for training: the fused WGSL update on webgpu (unless `fused` is false), tf.train.adam elsewhere. */
export function adam(tf: Tf, settings: AdamSettings & { fused?: boolean }): tfTypes.Optimizer {
  if (settings.fused === false || tf.getBackend() !== "webgpu") {
    return tf.train.adam(settings.learningRate, settings.beta1, settings.beta2, settings.epsilon);
  }
  return createFusedAdam(tf, settings);
}

export { createFusedAdam, FUSED_ADAM_WGSL } from "./fused-adam.js";
export { layoutUniforms, setUniformArena } from "./uniform-arena.js";
export { compileTrainStep, pinBuffers } from "./capture.js";
export type { CompiledTrainStep, TrainStepOptions, CaptureMode } from "./capture.js";
export { recordStep, replay, registerPerStepBuffer } from "./step-recorder.js";
export type { RecordedCommand, Recording } from "./step-recorder.js";
export { setExplicitTransposes, checkTiledMatmul } from "./explicit-transpose.js";
export { tiledMatmulWgsl } from "./tiled-matmul.js";
export { wideMatmulWgsl, emulateWideMatmul, wideMatmulDispatches, WIDE_ACTIVATIONS } from "./wide-matmul.js";
export type { WideVariant, WideActivation, WideShaderOptions } from "./wide-matmul.js";
export { enableWideMatmul, matmulChoice, activeWideMatmul, wideMatmulFailure, wideMatmulValidated, setWideMatmul } from "./wide-route.js";
export type { MatmulChoice } from "./wide-route.js";
export { adapterSubgroupInfo, withSubgroups } from "./device-features.js";
export type { ExplicitTransposes } from "./explicit-transpose.js";
