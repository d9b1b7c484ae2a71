// Records every GPU command one tfjs-webgpu training step issues (dispatches, buffer copies, uploads, uniform
// writes) so the step can be replayed later without tfjs: same pipelines, same bind groups, same buffers.
// Recording wraps the live backend's encoder, queue and device with plain JS objects; nothing native is patched.
import type {
  GpuBindGroupLike,
  GpuBufferLike,
  GpuCommandEncoderLike,
  GpuComputePassLike,
  GpuDeviceLike,
  GpuPipelineLike,
  GpuQueueLike,
  UniformField,
  WebGpuBackendInternals,
} from "./gpu-types.js";
import { BUFFER_USAGE } from "./gpu-types.js";
import { packUniforms } from "./uniform-arena.js";

export type RecordedCommand =
  | { kind: "dispatch"; pipeline: GpuPipelineLike; bindGroup: GpuBindGroupLike; dynamicOffsets?: number[]; workgroups: [number, number, number] }
  | { kind: "copy"; source: GpuBufferLike; sourceOffset: number; destination: GpuBufferLike; destinationOffset: number; size: number };

export interface Recording {
  commands: RecordedCommand[];
  /** Buffers from tfjs's pool that the commands touch: they must not be handed to other tensors while replayable. */
  poolBuffers: Set<GpuBufferLike>;
  /** Buffers labnote created for the recording (uniforms, constants); destroyed with it. */
  ownedBuffers: GpuBufferLike[];
  /** Per-step writers seen (e.g. Adam's bias correction): called before each replay. */
  refreshers: (() => void)[];
  /** Why the step cannot be replayed, if it cannot. */
  unsupported: string | undefined;
}

/** Buffers whose content changes every step (written by their owner before each replay), with their writers. */
const perStepBuffers = new WeakMap<GpuBufferLike, () => void>();

/** Declares `buffer` as rewritten every step by `refresh` (which must write the next step's value). */
export function registerPerStepBuffer(buffer: GpuBufferLike, refresh: () => void): void {
  perStepBuffers.set(buffer, refresh);
}

const UNIFORM_CHUNK = 64 * 1024;

/** Runs `step` on the live backend while recording its GPU commands; the step itself executes normally. */
export function recordStep<T>(backend: WebGpuBackendInternals, step: () => T): { result: T; recording: Recording } {
  const realDevice = backend.device;
  const realQueue = backend.queue;
  const recording: Recording = { commands: [], poolBuffers: new Set(), ownedBuffers: [], refreshers: [], unsupported: undefined };
  const bindGroupBuffers = new WeakMap<GpuBindGroupLike, GpuBufferLike[]>();
  const owned = new Set<GpuBufferLike>();
  const alignment = realDevice.limits.minUniformBufferOffsetAlignment || 256;
  let uniformChunk: { buffer: GpuBufferLike; used: number } | undefined;
  let insideUpload = false;

  const markUnsupported = (why: string): void => {
    recording.unsupported ??= why;
  };
  const touch = (buffer: GpuBufferLike): void => {
    if (!owned.has(buffer)) recording.poolBuffers.add(buffer);
  };
  const constantBuffer = (bytes: ArrayBuffer | ArrayBufferView, offset = 0, size?: number): GpuBufferLike => {
    const view = ArrayBuffer.isView(bytes) ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : new Uint8Array(bytes);
    const slice = view.subarray(offset, size === undefined ? undefined : offset + size);
    const buffer = realDevice.createBuffer({ size: Math.ceil(slice.byteLength / 4) * 4, usage: BUFFER_USAGE.COPY_SRC | BUFFER_USAGE.COPY_DST });
    const padded = new Uint8Array(buffer.size);
    padded.set(slice);
    realQueue.writeBuffer(buffer, 0, padded);
    owned.add(buffer);
    recording.ownedBuffers.push(buffer);
    return buffer;
  };

  const wrapPass = (pass: GpuComputePassLike): GpuComputePassLike => {
    let pipeline: GpuPipelineLike | undefined;
    let bindGroup: GpuBindGroupLike | undefined;
    let dynamicOffsets: number[] | undefined;
    return {
      setPipeline(next) {
        pipeline = next;
        pass.setPipeline(next);
      },
      setBindGroup(index, group, offsets) {
        if (index !== 0) markUnsupported("a dispatch uses a bind group other than 0");
        bindGroup = group;
        dynamicOffsets = offsets;
        if (offsets) pass.setBindGroup(index, group, offsets);
        else pass.setBindGroup(index, group);
      },
      dispatchWorkgroups(x, y = 1, z = 1) {
        if (!pipeline || !bindGroup) markUnsupported("a dispatch without pipeline or bind group");
        else recording.commands.push({ kind: "dispatch", pipeline, bindGroup, dynamicOffsets, workgroups: [x, y, z] });
        pass.dispatchWorkgroups(x, y, z);
      },
      end() {
        pass.end();
      },
    };
  };
  const wrapEncoder = (encoder: GpuCommandEncoderLike): GpuCommandEncoderLike => ({
    beginComputePass(descriptor) {
      if (descriptor && Object.keys(descriptor).length > 0) markUnsupported("a timed compute pass (tf.time or profiling) inside the step");
      return wrapPass(encoder.beginComputePass(descriptor));
    },
    copyBufferToBuffer(source, sourceOffset, destination, destinationOffset, size) {
      // An upload's staging copy is replaced by a copy from a labnote constant buffer (the staging buffer is freed).
      if (!insideUpload) {
        touch(source);
        touch(destination);
        recording.commands.push({ kind: "copy", source, sourceOffset, destination, destinationOffset, size });
      }
      encoder.copyBufferToBuffer(source, sourceOffset, destination, destinationOffset, size);
    },
    finish() {
      return encoder.finish();
    },
  });
  const queue: GpuQueueLike = {
    writeBuffer(buffer, offset, data, dataOffset, size) {
      const refresh = perStepBuffers.get(buffer);
      if (refresh) {
        if (!recording.refreshers.includes(refresh)) recording.refreshers.push(refresh);
      } else if (!owned.has(buffer)) {
        // Any other host write becomes a copy from a constant buffer, in stream order (writeBuffer would jump ahead).
        const elementBytes = ArrayBuffer.isView(data) && !(data instanceof DataView) ? (data as Uint8Array).BYTES_PER_ELEMENT : 1;
        const source = constantBuffer(data, (dataOffset ?? 0) * elementBytes, size === undefined ? undefined : size * elementBytes);
        touch(buffer);
        recording.commands.push({ kind: "copy", source, sourceOffset: 0, destination: buffer, destinationOffset: offset, size: source.size });
      }
      realQueue.writeBuffer(buffer, offset, data, dataOffset, size);
    },
    submit(buffers) {
      realQueue.submit(buffers);
    },
  };
  const device = new Proxy(realDevice, {
    get(target, key) {
      if (key === "createBindGroup") {
        return (descriptor: Parameters<GpuDeviceLike["createBindGroup"]>[0]) => {
          const group = target.createBindGroup(descriptor);
          const buffers = descriptor.entries.map((entry) => entry.resource.buffer);
          buffers.forEach(touch);
          bindGroupBuffers.set(group, buffers);
          return group;
        };
      }
      if (key === "queue") return queue;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

  // Instance-level overrides shadow the prototype (uniform arena included); deleting them restores it.
  const instance = backend as unknown as Record<string, unknown>;
  const overrides: Record<string, unknown> = {
    device,
    queue,
    ensureCommandEncoderReady(this: WebGpuBackendInternals) {
      if (!this.commandEncoder) this.commandEncoder = wrapEncoder(realDevice.createCommandEncoder());
    },
    makeUniforms(fields: UniformField[]) {
      // Each op's uniforms get their own never-rewritten slot, so one submit can replay them all.
      const bytes = packUniforms(fields);
      const at = uniformChunk ? Math.ceil(uniformChunk.used / alignment) * alignment : 0;
      if (!uniformChunk || at + bytes.byteLength > UNIFORM_CHUNK) {
        const buffer = realDevice.createBuffer({ size: UNIFORM_CHUNK, usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST });
        owned.add(buffer);
        recording.ownedBuffers.push(buffer);
        uniformChunk = { buffer, used: 0 };
        return place(uniformChunk, 0, bytes);
      }
      return place(uniformChunk, at, bytes);
    },
    uploadToGPU(this: WebGpuBackendInternals, dataId: object) {
      const data = this.tensorMap.get(dataId);
      const values = data && data.resource == null ? (data.values as ArrayLike<number> | null | undefined) : undefined;
      insideUpload = true;
      try {
        Object.getPrototypeOf(this).uploadToGPU.call(this, dataId);
      } finally {
        insideUpload = false;
      }
      if (!values) return;
      const destination = this.tensorMap.get(dataId)!.resource as GpuBufferLike;
      const dtype = this.tensorMap.get(dataId)!.dtype;
      const typed = dtype === "int32" || dtype === "bool" ? Int32Array.from(values) : Float32Array.from(values);
      const source = constantBuffer(typed);
      touch(destination);
      recording.commands.push({ kind: "copy", source, sourceOffset: 0, destination, destinationOffset: 0, size: Math.min(source.size, destination.size) });
    },
    read(this: WebGpuBackendInternals, dataId: object) {
      markUnsupported("the step reads a tensor back to the CPU (data(), array() or a data-dependent shape)");
      return Object.getPrototypeOf(this).read.call(this, dataId);
    },
    readSync(this: WebGpuBackendInternals, dataId: object) {
      markUnsupported("the step reads a tensor back to the CPU (dataSync(), arraySync() or a data-dependent shape)");
      return Object.getPrototypeOf(this).readSync.call(this, dataId);
    },
  };
  function place(chunk: { buffer: GpuBufferLike; used: number }, at: number, bytes: ArrayBuffer) {
    realQueue.writeBuffer(chunk.buffer, at, bytes);
    chunk.used = at + bytes.byteLength;
    return { offset: at, size: bytes.byteLength, buffer: chunk.buffer };
  }

  flush(backend);
  const saved = { device: instance.device, queue: instance.queue };
  Object.assign(instance, overrides);
  try {
    const result = step();
    flush(backend);
    return { result, recording };
  } finally {
    for (const key of Object.keys(overrides)) delete instance[key];
    Object.assign(instance, saved);
    if (backend.commandEncoder) backend.commandEncoder = null; // a half-built wrapped encoder must not outlive us
  }
}

/** Submits whatever tfjs has recorded so far, so later work (ours or tfjs's) is ordered after it. */
export function flush(backend: WebGpuBackendInternals): void {
  if (!backend.commandEncoder) return;
  backend.endComputePassEncoder();
  backend.submitQueue();
}

/** Encodes the recording (between `before` and `after`) into one command encoder (one compute pass between copies) and submits it. */
export function replay(device: GpuDeviceLike, commands: readonly RecordedCommand[], before: readonly RecordedCommand[] = [], after: readonly RecordedCommand[] = []): void {
  const encoder = device.createCommandEncoder();
  let pass: GpuComputePassLike | undefined;
  let pipeline: GpuPipelineLike | undefined;
  for (const command of before.length > 0 || after.length > 0 ? [...before, ...commands, ...after] : commands) {
    if (command.kind === "copy") {
      pass?.end();
      pass = undefined;
      encoder.copyBufferToBuffer(command.source, command.sourceOffset, command.destination, command.destinationOffset, command.size);
      continue;
    }
    if (!pass) {
      pass = encoder.beginComputePass();
      pipeline = undefined;
    }
    if (command.pipeline !== pipeline) {
      pass.setPipeline(command.pipeline);
      pipeline = command.pipeline;
    }
    if (command.dynamicOffsets) pass.setBindGroup(0, command.bindGroup, command.dynamicOffsets);
    else pass.setBindGroup(0, command.bindGroup);
    pass.dispatchWorkgroups(...command.workgroups);
  }
  pass?.end();
  device.queue.submit([encoder.finish()]);
}
