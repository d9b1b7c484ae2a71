// Adam as one WGSL compute shader per variable on tfjs-backend-webgpu: param, m and v are updated in place in
// one pass, instead of ~10 elementwise tfjs ops (each a dispatch, a uniform buffer and a bind group) per variable.
// On any other backend it is tf.train.adam, unchanged.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "../backends/types.js";
import type { GpuBufferLike, GpuDeviceLike, GpuPipelineLike, WebGpuBackendInternals } from "./gpu-types.js";
import { BUFFER_USAGE } from "./gpu-types.js";
import { registerPerStepBuffer } from "./step-recorder.js";

const WORKGROUP = 256;
let optimizerCount = 0;

export const FUSED_ADAM_WGSL = /* wgsl */ `
struct StepConstants { lr: f32, beta1: f32, beta2: f32, epsilon: f32, correction1: f32, correction2: f32, pad0: f32, pad1: f32 }
struct Size { count: u32, rowWidth: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<storage, read_write> param: array<f32>;
@group(0) @binding(1) var<storage, read_write> m: array<f32>;
@group(0) @binding(2) var<storage, read_write> v: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<uniform> constants: StepConstants;
@group(0) @binding(5) var<uniform> size: Size;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.y * size.rowWidth + id.x;
  if (i >= size.count) { return; }
  let g = grad[i];
  let mNew = constants.beta1 * m[i] + (1.0 - constants.beta1) * g;
  let vNew = constants.beta2 * v[i] + (1.0 - constants.beta2) * g * g;
  m[i] = mNew;
  v[i] = vNew;
  param[i] = param[i] - constants.lr * (mNew * constants.correction1) / (sqrt(vNew * constants.correction2) + constants.epsilon);
}`;

interface SlotState {
  m: tfTypes.Variable;
  v: tfTypes.Variable;
  sizeBuffer: GpuBufferLike;
  groupsX: number;
  groupsY: number;
}

export interface AdamSettings {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam whose update runs as one fused shader per variable on webgpu; elsewhere it defers to tf.train.adam. */
export function createFusedAdam(tf: Tf, settings: AdamSettings): tfTypes.Optimizer {
  const beta1 = settings.beta1 ?? 0.9;
  const beta2 = settings.beta2 ?? 0.999;
  const epsilon = settings.epsilon ?? tf.backend().epsilon();
  const fallback = tf.train.adam(settings.learningRate, beta1, beta2, epsilon);
  const slots = new Map<string, SlotState>();
  const instance = ++optimizerCount; // slot variable names must be unique across optimizers
  let pipeline: GpuPipelineLike | undefined;
  let constantsBuffer: GpuBufferLike | undefined;
  let step = 0;

  class FusedAdamOptimizer extends tf.Optimizer {
    override applyGradients(gradients: Parameters<tfTypes.Optimizer["applyGradients"]>[0]): void {
      if (tf.getBackend() !== "webgpu") return fallback.applyGradients(gradients as Parameters<typeof fallback.applyGradients>[0]);
      const backend = tf.backend() as unknown as WebGpuBackendInternals;
      const named: { name: string; tensor: tfTypes.Tensor }[] = Array.isArray(gradients)
        ? gradients
        : Object.entries(gradients).map(([name, tensor]) => ({ name, tensor }));
      const device = backend.device;
      pipeline ??= device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code: FUSED_ADAM_WGSL }), entryPoint: "main" } });
      if (!constantsBuffer) {
        constantsBuffer = device.createBuffer({ size: 32, usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST });
        // A replayed step (capture.ts) skips applyGradients: the next step's bias correction is written here.
        registerPerStepBuffer(constantsBuffer, () => {
          writeStepConstants(backend);
          this.incrementIterations();
        });
      }
      // Everything that may record tfjs work (new slots, uploads) happens before our compute pass: an upload ends
      // the backend's open pass, and a pass we hold must stay open while we dispatch.
      const updates: { variable: tfTypes.Variable; slot: SlotState; buffers: GpuBufferLike[]; grad: tfTypes.Tensor }[] = [];
      for (const { name, tensor: grad } of named) {
        const variable = tf.engine().registeredVariables[name];
        if (!variable || grad == null) continue;
        const slot = slots.get(name) ?? createSlot(tf, backend, name, variable);
        updates.push({ variable, slot, grad, buffers: [variable, slot.m, slot.v, grad].map((tensor) => gpuBuffer(backend, tensor)) });
      }
      // The constants buffer is shared by all steps: submit what earlier steps recorded before rewriting it.
      if (backend.commandEncoder) {
        backend.endComputePassEncoder();
        backend.submitQueue();
      }
      writeStepConstants(backend);
      backend.ensureCommandEncoderReady();
      const pass = backend.commandEncoder!.beginComputePass();
      backend.computePassEncoder = pass; // tfjs's next ops continue in this pass
      pass.setPipeline(pipeline);
      for (const { variable, slot, buffers, grad } of updates) {
        const bindGroup = device.createBindGroup({
          layout: pipeline.getBindGroupLayout(0),
          entries: [
            ...buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
            { binding: 4, resource: { buffer: constantsBuffer } },
            { binding: 5, resource: { buffer: slot.sizeBuffer } },
          ],
        });
        pass.setBindGroup(0, bindGroup);
        pass.dispatchWorkgroups(slot.groupsX, slot.groupsY);
        backend.dispatchCountInPass++;
        // tfjs caches values read back on the host; after an in-place update those copies are stale.
        for (const tensor of [variable, slot.m, slot.v]) backend.tensorMap.get(tensor.dataId)!.values = null;
        // The gradient may be disposed right after this call; keep its buffer until the submit that reads it.
        backend.commandQueueOwnedIds.add(grad.dataId);
      }
      this.incrementIterations();
    }

    override getConfig(): tfTypes.serialization.ConfigDict {
      return { learningRate: settings.learningRate, beta1, beta2, epsilon };
    }

    override dispose(): void {
      fallback.dispose();
      for (const slot of slots.values()) {
        tf.dispose([slot.m, slot.v]);
        slot.sizeBuffer.destroy();
      }
      slots.clear();
      constantsBuffer?.destroy();
      super.dispose();
    }

    static get className(): string {
      return "LabnoteFusedAdam";
    }
  }

  function writeStepConstants(backend: WebGpuBackendInternals): void {
    step++;
    const constants = new Float32Array([settings.learningRate, beta1, beta2, epsilon, 1 / (1 - beta1 ** step), 1 / (1 - beta2 ** step), 0, 0]);
    backend.queue.writeBuffer(constantsBuffer!, 0, constants);
  }

  function createSlot(tfModule: Tf, backend: WebGpuBackendInternals, name: string, variable: tfTypes.Variable): SlotState {
    // In-place updates must not show through another tensor sharing this buffer: give the variable its own copy.
    if (backend.tensorMap.get(variable.dataId)!.refCount > 1) variable.assign(tfModule.tidy(() => tfModule.add(variable, 0)));
    const m = tfModule.variable(tfModule.zerosLike(variable), false, `${name}/labnote_adam${instance}_m`);
    const v = tfModule.variable(tfModule.zerosLike(variable), false, `${name}/labnote_adam${instance}_v`);
    const count = variable.size;
    const groups = Math.ceil(count / WORKGROUP);
    const maxPerDimension = backend.device.limits.maxComputeWorkgroupsPerDimension || 65535;
    const groupsX = Math.min(groups, maxPerDimension);
    const groupsY = Math.ceil(groups / groupsX);
    const sizeBuffer = backend.device.createBuffer({ size: 16, usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST });
    backend.queue.writeBuffer(sizeBuffer, 0, new Uint32Array([count, groupsX * WORKGROUP, 0, 0]));
    const slot = { m, v, sizeBuffer, groupsX, groupsY };
    slots.set(name, slot);
    return slot;
  }

  return new FusedAdamOptimizer();
}

function gpuBuffer(backend: WebGpuBackendInternals, tensor: tfTypes.Tensor): GpuBufferLike {
  if (tensor.dtype !== "float32") throw new Error(`fused Adam needs float32 tensors, got ${tensor.dtype}`);
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId)?.resource as GpuBufferLike | undefined;
  if (!resource || typeof resource.size !== "number") throw new Error("fused Adam: tensor has no GPU buffer (texture-backed?)");
  return resource;
}

export type { GpuDeviceLike };
