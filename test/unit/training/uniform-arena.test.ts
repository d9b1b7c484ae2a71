// The uniform arena must hand every tfjs-webgpu shader the same uniform bytes its own makeUniforms would.
// Checked against tfjs-backend-webgpu's real WebGPUBackend.prototype, driven through a fake device (no GPU here).
import { describe, expect, it } from "vitest";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import { layoutUniforms, setUniformArena } from "../../../training/webgpu/uniform-arena.js";
import type { UniformField } from "../../../training/webgpu/gpu-types.js";
import { BUFFER_USAGE } from "../../../training/webgpu/gpu-types.js";

// What Dawn's globals provide in a real session; tfjs reads GPUBufferUsage from the global scope.
(globalThis as Record<string, unknown>).GPUBufferUsage ??= { ...BUFFER_USAGE, MAP_READ: 1, MAP_WRITE: 2, INDEX: 16, VERTEX: 32, INDIRECT: 256, QUERY_RESOLVE: 512 };

interface FakeBuffer { size: number; usage: number; bytes: Uint8Array; destroy(): void }

function fakeBackend() {
  const writes: { buffer: FakeBuffer; offset: number; bytes: Uint8Array }[] = [];
  const submits: number[] = [];
  const created: FakeBuffer[] = [];
  const device = {
    limits: { minUniformBufferOffsetAlignment: 256, maxComputeWorkgroupsPerDimension: 65535 },
    createBuffer: ({ size, usage }: { size: number; usage: number }) => {
      const buffer: FakeBuffer = { size, usage, bytes: new Uint8Array(size), destroy() {} };
      created.push(buffer);
      return buffer;
    },
  };
  const queue = {
    writeBuffer(buffer: FakeBuffer, offset: number, data: ArrayBuffer, dataOffset = 0, size?: number) {
      const bytes = new Uint8Array(data, dataOffset, size ?? data.byteLength - dataOffset);
      buffer.bytes.set(bytes, offset);
      writes.push({ buffer, offset, bytes: bytes.slice() });
    },
    submit: () => submits.push(writes.length),
  };
  const backend = Object.create(WebGPUBackend.prototype) as Record<string, unknown>;
  Object.assign(backend, {
    device,
    queue,
    commandEncoder: { finish: () => ({}) },
    uniformPendingDisposal: [],
    tensorDataPendingDisposal: [],
    stagingPendingDisposal: [],
    bufferManager: { acquireBuffer: (size: number, usage: number) => device.createBuffer({ size, usage }), releaseBuffer() {} },
  });
  return { backend, writes, submits, created };
}

const programs: UniformField[][] = [
  [{ type: "float32", data: [Number.NaN] }, { type: "float32", data: [Infinity] }, { type: "int32", data: [512, 784] }, { type: "int32", data: [784, 1] }, { type: "int32", data: [401408] }],
  [{ type: "float32", data: [Number.NaN] }, { type: "float32", data: [Infinity] }, { type: "int32", data: [2, 3, 4] }, { type: "int32", data: [12, 4] }, { type: "int32", data: [1, 2, 3, 4, 5] }, { type: "int32", data: [7] }, { type: "float32", data: [0.5, 0.25] }],
  [{ type: "uint32", data: [4, 5, 6, 7, 8, 9] }, { type: "int32", data: [] }, { type: "float32", data: [3] }],
];
const copy = (fields: UniformField[]) => fields.map((f) => ({ ...f, data: [...f.data] }));

describe("uniform arena for tfjs-backend-webgpu", () => {
  it("packs each program's uniforms byte-for-byte as tfjs does, one arena write per submit", () => {
    const reference = fakeBackend();
    const expected = programs.map((fields) => {
      const binding = (reference.backend as { makeUniforms(f: UniformField[]): { buffer: FakeBuffer; size: number } }).makeUniforms(copy(fields));
      return binding.buffer.bytes.slice(0, binding.size);
    });

    const patched = fakeBackend();
    setUniformArena(patched.backend, true);
    const call = patched.backend as { makeUniforms(f: UniformField[]): { buffer: FakeBuffer; offset: number; size: number }; submitQueue(): void };
    const bindings = programs.map((fields) => call.makeUniforms(copy(fields)));
    expect(new Set(bindings.map((b) => b.buffer)).size).toBe(1); // one arena, not one buffer per op
    expect(bindings.map((b) => b.offset)).toEqual([0, 256, 512]); // offsets honour minUniformBufferOffsetAlignment
    expect(patched.writes).toHaveLength(0); // nothing written before the submit
    call.submitQueue();
    expect(patched.writes).toHaveLength(1);
    expect(patched.submits).toEqual([1]); // the arena write lands before the submit that reads it
    bindings.forEach((binding, i) => {
      expect(binding.size).toBe(expected[i]!.length);
      expect(binding.buffer.bytes.slice(binding.offset, binding.offset + binding.size)).toEqual(expected[i]);
    });
    // The next batch starts at offset 0 again (queue order keeps it behind the previous submit).
    expect(call.makeUniforms(copy(programs[0]!)).offset).toBe(0);

    setUniformArena(patched.backend, false);
    const plain = call.makeUniforms(copy(programs[0]!));
    expect(plain.buffer).not.toBe(bindings[0]!.buffer);
    expect(plain.buffer.bytes).toEqual(expected[0]);
  });

  it("lays out vectors with WGSL alignment (vec3/vec4 on 16 bytes, after a 5- or 6-vector on 16)", () => {
    expect(layoutUniforms(copy(programs[1]!))).toEqual({ offsets: [0, 4, 16, 32, 48, 80, 88], size: 96 });
  });
});
