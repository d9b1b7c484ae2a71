// Speed-up for tfjs-backend-webgpu: per-op uniforms go into one arena buffer per submit instead of one
// GPUBuffer + one queue.writeBuffer per op. The arena is staged on the host and written once, just before the
// submit that reads it; WebGPU's queue order keeps the next batch's write behind that submit.
import type { GpuBufferLike, UniformField, WebGpuBackendInternals } from "./gpu-types.js";
import { BUFFER_USAGE } from "./gpu-types.js";

const ARENA_BYTES = 1 << 20;
const PATCHED = Symbol.for("labnote.uniformArena");

interface Arena {
  staging: ArrayBuffer;
  gpu: GpuBufferLike;
  used: number;
  alignment: number;
}

type Prototype = WebGpuBackendInternals & { [PATCHED]?: { makeUniforms: WebGpuBackendInternals["makeUniforms"]; submitQueue: () => void } };

const arenas = new WeakMap<object, Arena>();
let enabled = false;

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

/** WGSL layout rules as tfjs-backend-webgpu 4.22 applies them (makeUniforms), so the shaders read the same bytes. */
export function layoutUniforms(fields: UniformField[]): { offsets: number[]; size: number } {
  let offset = 0;
  let previousLength = 0;
  let maxAlignment = 1;
  const offsets: number[] = [];
  for (const field of fields) {
    if (field.data.length === 0) field.data = [1];
    const length = field.data.length;
    let alignment = length === 1 ? 4 : length === 2 ? 8 : 16;
    if (length > 6) throw new Error(`Unsupported ${length}D shape`);
    if (previousLength === 5 || previousLength === 6) alignment = 16;
    maxAlignment = Math.max(maxAlignment, alignment);
    offset = alignUp(offset, alignment);
    previousLength = length;
    offsets.push(offset);
    offset += length * 4;
  }
  return { offsets, size: alignUp(offset, maxAlignment) };
}

/** The bytes tfjs would write for `fields` (zero padding included). */
export function packUniforms(fields: UniformField[]): ArrayBuffer {
  const { offsets, size } = layoutUniforms(fields);
  const bytes = new ArrayBuffer(size);
  writeFields(bytes, 0, fields, offsets);
  return bytes;
}

function writeFields(target: ArrayBuffer, base: number, fields: UniformField[], offsets: number[]): void {
  fields.forEach((field, index) => {
    const at = base + offsets[index]!;
    if (field.type === "int32") new Int32Array(target, at, field.data.length).set(field.data);
    else if (field.type === "uint32") new Uint32Array(target, at, field.data.length).set(field.data);
    else new Float32Array(target, at, field.data.length).set(field.data);
  });
}

function arenaFor(backend: WebGpuBackendInternals): Arena {
  let arena = arenas.get(backend);
  if (!arena) {
    const gpu = backend.device.createBuffer({ size: ARENA_BYTES, usage: BUFFER_USAGE.UNIFORM | BUFFER_USAGE.COPY_DST });
    arena = { staging: new ArrayBuffer(ARENA_BYTES), gpu, used: 0, alignment: backend.device.limits.minUniformBufferOffsetAlignment || 256 };
    arenas.set(backend, arena);
  }
  return arena;
}

/** Patches WebGPUBackend.prototype (found through a live backend instance); `on` false restores the originals. */
export function setUniformArena(backend: object, on: boolean): void {
  const prototype = Object.getPrototypeOf(backend) as Prototype;
  if (!prototype[PATCHED]) {
    const original = { makeUniforms: prototype.makeUniforms, submitQueue: prototype.submitQueue };
    prototype[PATCHED] = original;
    prototype.makeUniforms = function (this: WebGpuBackendInternals, fields: UniformField[]) {
      if (!enabled) return original.makeUniforms.call(this, fields);
      const arena = arenaFor(this);
      const { offsets, size } = layoutUniforms(fields);
      const at = alignUp(arena.used, arena.alignment);
      if (at + size > ARENA_BYTES) return original.makeUniforms.call(this, fields); // full until the next submit
      new Uint8Array(arena.staging, at, size).fill(0);
      writeFields(arena.staging, at, fields, offsets);
      arena.used = at + size;
      return { offset: at, size, buffer: arena.gpu };
    };
    prototype.submitQueue = function (this: WebGpuBackendInternals) {
      const arena = arenas.get(this);
      if (arena && arena.used > 0) {
        this.queue.writeBuffer(arena.gpu, 0, arena.staging, 0, alignUp(arena.used, 4));
        arena.used = 0;
      }
      original.submitQueue.call(this);
    };
  }
  // Switching off mid-batch is safe: staged uniforms are still flushed by the next submit.
  enabled = on;
}
