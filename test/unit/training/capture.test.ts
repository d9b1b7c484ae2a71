// Step capture and replay, checked without a GPU: a fake WebGPU device that runs each dispatch as JavaScript on
// its buffers at submit time, and a fake backend that issues commands the way tfjs-backend-webgpu 4.22 does
// (pooled buffers released after submit, per-op uniform buffers, uploads through a staging copy).
import { beforeAll, describe, expect, it } from "vitest";
import { loadTf, switchBackend } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";
import { adam, compileTrainStep } from "../../../training/webgpu/index.js";
import { pinBuffers } from "../../../training/webgpu/capture.js";
import { recordStep, registerPerStepBuffer, replay } from "../../../training/webgpu/step-recorder.js";
import type { GpuBufferLike, UniformField, WebGpuBackendInternals } from "../../../training/webgpu/gpu-types.js";
import { packUniforms } from "../../../training/webgpu/uniform-arena.js";

class FakeBuffer {
  readonly bytes: Uint8Array;
  destroyed = false;
  constructor(readonly size: number, readonly usage: number) {
    this.bytes = new Uint8Array(size);
  }
  f32(offset = 0, size = this.size - offset): Float32Array {
    return new Float32Array(this.bytes.buffer, offset, size / 4);
  }
  destroy(): void {
    this.destroyed = true;
  }
}
type Kernel = (views: Float32Array[]) => void;
interface FakePipeline { kernel: Kernel; getBindGroupLayout(): object }
interface Entry { binding: number; resource: { buffer: FakeBuffer; offset?: number; size?: number } }

function fakeDevice() {
  const stats = { submits: 0, dispatches: 0 };
  const queue = {
    writeBuffer(buffer: FakeBuffer, offset: number, data: ArrayBuffer | ArrayBufferView, dataOffset = 0, size?: number) {
      const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
      const unit = ArrayBuffer.isView(data) ? (data as Float32Array).BYTES_PER_ELEMENT : 1;
      buffer.bytes.set(bytes.subarray(dataOffset * unit, size === undefined ? undefined : (dataOffset + size) * unit), offset);
    },
    submit(commandBuffers: (() => void)[][]) {
      stats.submits++;
      for (const commands of commandBuffers) for (const command of commands) command();
    },
  };
  const device = {
    queue,
    limits: { minUniformBufferOffsetAlignment: 256, maxComputeWorkgroupsPerDimension: 65535 },
    lost: new Promise<never>(() => {}),
    createBuffer: ({ size, usage }: { size: number; usage: number }) => new FakeBuffer(size, usage),
    createShaderModule: () => ({}),
    createComputePipeline: () => ({ kernel: () => {}, getBindGroupLayout: () => ({}) }),
    createBindGroup: ({ entries }: { entries: Entry[] }) => ({ entries }),
    createCommandEncoder() {
      const commands: (() => void)[] = [];
      return {
        beginComputePass() {
          let pipeline: FakePipeline | undefined;
          let group: { entries: Entry[] } | undefined;
          return {
            setPipeline: (next: FakePipeline) => commands.push(() => (pipeline = next)),
            setBindGroup: (_: number, next: { entries: Entry[] }) => commands.push(() => (group = next)),
            dispatchWorkgroups: () =>
              commands.push(() => {
                stats.dispatches++;
                pipeline!.kernel(group!.entries.map(({ resource }) => resource.buffer.f32(resource.offset ?? 0, resource.size ?? resource.buffer.size - (resource.offset ?? 0))));
              }),
            end: () => {},
          };
        },
        copyBufferToBuffer: (source: FakeBuffer, sourceOffset: number, destination: FakeBuffer, destinationOffset: number, size: number) =>
          commands.push(() => destination.bytes.set(source.bytes.subarray(sourceOffset, sourceOffset + size), destinationOffset)),
        finish: () => commands,
      };
    },
  };
  return { device, stats };
}

const STORAGE = 0x80 | 0x4 | 0x8;

/** tfjs-backend-webgpu's BufferManager, reduced to the pool logic. */
class FakePool {
  freeBuffers = new Map<string, GpuBufferLike[]>();
  usedBuffers = new Map<string, GpuBufferLike[]>();
  numFreeBuffers = 0;
  numUsedBuffers = 0;
  numBytesUsed = 0;
  constructor(private readonly device: ReturnType<typeof fakeDevice>["device"]) {}
  acquireBuffer(size: number, usage: number): FakeBuffer {
    const key = `${size}_${usage}`;
    const free = this.freeBuffers.get(key) ?? [];
    this.freeBuffers.set(key, free);
    const buffer = (free.pop() as FakeBuffer | undefined) ?? this.device.createBuffer({ size, usage });
    if (!this.usedBuffers.has(key)) this.usedBuffers.set(key, []);
    this.usedBuffers.get(key)!.push(buffer);
    return buffer;
  }
  releaseBuffer(buffer: GpuBufferLike): void {
    const key = `${buffer.size}_${buffer.usage}`;
    const used = this.usedBuffers.get(key)!;
    used.splice(used.indexOf(buffer), 1);
    this.freeBuffers.get(key)!.push(buffer);
  }
}

interface TensorData { resource?: FakeBuffer | null; values?: Float32Array | null; refCount: number; dtype: string; size: number }

/** Issues commands the way WebGPUBackend does: the methods the recorder wraps live on the prototype. */
class FakeBackend {
  commandEncoder: ReturnType<ReturnType<typeof fakeDevice>["device"]["createCommandEncoder"]> | null = null;
  computePassEncoder: ReturnType<NonNullable<FakeBackend["commandEncoder"]>["beginComputePass"]> | null = null;
  dispatchCountInPass = 0;
  commandQueueOwnedIds = new WeakSet<object>();
  uniformPendingDisposal: FakeBuffer[] = [];
  pendingRelease: object[] = [];
  tensorMap = new Map<object, TensorData>();
  bufferManager: FakePool;
  queue: ReturnType<typeof fakeDevice>["device"]["queue"];
  reads = 0;
  constructor(public device: ReturnType<typeof fakeDevice>["device"]) {
    this.queue = device.queue;
    this.bufferManager = new FakePool(device);
  }
  ensureCommandEncoderReady(): void {
    if (!this.commandEncoder) this.commandEncoder = this.device.createCommandEncoder();
  }
  endComputePassEncoder(): void {
    this.computePassEncoder?.end();
    this.computePassEncoder = null;
  }
  submitQueue(): void {
    this.queue.submit([this.commandEncoder!.finish()]);
    this.commandEncoder = null;
    this.dispatchCountInPass = 0;
    for (const buffer of this.uniformPendingDisposal) this.bufferManager.releaseBuffer(buffer);
    for (const id of this.pendingRelease) {
      this.bufferManager.releaseBuffer(this.tensorMap.get(id)!.resource!);
      this.tensorMap.delete(id);
    }
    this.uniformPendingDisposal = [];
    this.pendingRelease = [];
  }
  uploadToGPU(id: object): void {
    const data = this.tensorMap.get(id)!;
    if (data.resource) return;
    data.resource = this.bufferManager.acquireBuffer(data.size * 4, STORAGE);
    if (!data.values) return;
    const staging = this.device.createBuffer({ size: data.size * 4, usage: 0x2 | 0x4 });
    staging.f32().set(data.values);
    this.ensureCommandEncoderReady();
    this.endComputePassEncoder();
    this.commandEncoder!.copyBufferToBuffer(staging, 0, data.resource, 0, data.size * 4);
    data.values = null;
  }
  makeUniforms(fields: UniformField[]) {
    const bytes = packUniforms(fields);
    const buffer = this.bufferManager.acquireBuffer(bytes.byteLength, 0x40 | 0x8);
    this.queue.writeBuffer(buffer, 0, bytes);
    this.uniformPendingDisposal.push(buffer);
    return { offset: 0, size: bytes.byteLength, buffer };
  }
  readSync(id: object): Float32Array {
    this.reads++;
    if (this.commandEncoder) this.submitQueue();
    return this.tensorMap.get(id)!.resource!.f32().slice();
  }
  async read(id: object): Promise<Float32Array> {
    return this.readSync(id);
  }
  tensor(values: number[]): object {
    const id = {};
    this.tensorMap.set(id, { values: Float32Array.from(values), refCount: 1, dtype: "float32", size: values.length });
    return id;
  }
  /** One tfjs op: output buffer from the pool, a uniform buffer, a bind group, a dispatch (submit every 2). */
  run(kernel: Kernel, inputs: object[], scalar: number, output?: object): object {
    const out = output ?? {};
    if (!output) this.tensorMap.set(out, { refCount: 1, dtype: "float32", size: this.tensorMap.get(inputs[0]!)!.size });
    this.uploadToGPU(out);
    inputs.forEach((id) => this.uploadToGPU(id));
    const uniforms = this.makeUniforms([{ type: "float32", data: [scalar] }]);
    const entries = [out, ...inputs].map((id, binding) => ({ binding, resource: { buffer: this.tensorMap.get(id)!.resource! } }));
    const group = this.device.createBindGroup({ entries: [...entries, { binding: entries.length, resource: uniforms }] });
    this.ensureCommandEncoderReady();
    this.computePassEncoder ??= this.commandEncoder!.beginComputePass();
    this.computePassEncoder.setPipeline({ kernel, getBindGroupLayout: () => ({}) });
    this.computePassEncoder.setBindGroup(0, group);
    this.computePassEncoder.dispatchWorkgroups(1);
    if (++this.dispatchCountInPass >= 2) {
      this.dispatchCountInPass = 0;
      this.endComputePassEncoder();
      this.submitQueue();
    }
    return out;
  }
  dispose(id: object): void {
    this.pendingRelease.push(id);
  }
}

// Kernels, cached like tfjs's pipelines: one object per program.
const scale: Kernel = ([out, input, uniform]) => out!.forEach((_, i) => (out![i] = input![i]! * uniform![0]!));
const addScaledInPlace: Kernel = ([weights, delta, rate, uniform]) => weights!.forEach((_, i) => (weights![i] = weights![i]! + delta![i]! * rate![0]! * uniform![0]!));

/** One "training step": w += stepNumber · 2 · (x · 0.5 + c), with c a constant uploaded inside the step. */
function makeStep(backend: FakeBackend, weights: object, x: object, rate: { buffer: FakeBuffer; id: object }, readInside = false) {
  return () => {
    const constant = backend.tensor([1, 1, 1, 1]);
    const half = backend.run(scale, [x], 0.5);
    const shifted = backend.run(([out, a, b]) => out!.forEach((_, i) => (out![i] = a![i]! + b![i]!)), [half, constant], 0);
    if (readInside) backend.readSync(shifted);
    backend.run(addScaledInPlace, [shifted, rate.id], 2, weights);
    [constant, half, shifted].forEach((id) => backend.dispose(id));
  };
}

function setup(readInside = false) {
  const { device, stats } = fakeDevice();
  const backend = new FakeBackend(device);
  const weights = backend.tensor([0, 0, 0, 0]);
  const x = backend.tensor([2, 4, 6, 8]);
  let stepNumber = 0;
  const rateId = backend.tensor([0]);
  backend.uploadToGPU(rateId);
  backend.submitQueue(); // the upload's copy must land before the first per-step write
  const rate = { id: rateId, buffer: backend.tensorMap.get(rateId)!.resource! };
  const writeRate = () => backend.queue.writeBuffer(rate.buffer, 0, new Float32Array([++stepNumber]));
  registerPerStepBuffer(rate.buffer, writeRate);
  const step = makeStep(backend, weights, x, rate, readInside);
  const internals = backend as unknown as WebGpuBackendInternals;
  const weightsNow = () => Array.from(backend.tensorMap.get(weights)!.resource!.f32());
  return { backend, internals, stats, step: () => (writeRate(), step()), weightsNow, stepNumber: () => stepNumber };
}

/** w after n steps: Σ k · 2 · (x/2 + 1) for k = 1..n. */
const expected = (n: number) => [2, 4, 6, 8].map((x) => ((n * (n + 1)) / 2) * 2 * (x / 2 + 1));

describe("step capture and replay (fake WebGPU device)", () => {
  it("replays a recorded step with the same results as running it, in one submit per step", () => {
    const { internals, stats, step, weightsNow, stepNumber } = setup();
    step(); // warm-up through the "framework"
    const { recording } = recordStep(internals, step);
    expect(recording.unsupported).toBeUndefined();
    expect(recording.commands.filter((c) => c.kind === "dispatch")).toHaveLength(3);
    expect(recording.refreshers).toHaveLength(1); // the per-step rate, rewritten before each replay
    expect(weightsNow()).toEqual(expected(2));
    const unpin = pinBuffers(internals.bufferManager, recording.poolBuffers);
    for (let n = 3; n <= 6; n++) {
      const submitsBefore = stats.submits;
      for (const refresh of recording.refreshers) refresh();
      replay(internals.device, recording.commands);
      expect(stats.submits - submitsBefore).toBe(1);
      expect(weightsNow()).toEqual(expected(n));
    }
    expect(stepNumber()).toBe(6);
    unpin();
  });

  it("keeps the recorded buffers away from other tensors until unpinned", () => {
    const { backend, internals, step } = setup();
    step();
    const { recording } = recordStep(internals, step);
    const unpin = pinBuffers(internals.bufferManager, recording.poolBuffers);
    backend.ensureCommandEncoderReady();
    backend.submitQueue(); // releases what the step disposed after its last submit: pinned, so held back
    // The step's intermediates went back to the pool after its submit; new tensors of that size get new buffers.
    const handedOut = Array.from({ length: 4 }, () => backend.bufferManager.acquireBuffer(16, STORAGE));
    expect(handedOut.some((buffer) => recording.poolBuffers.has(buffer))).toBe(false);
    handedOut.forEach((buffer) => backend.bufferManager.releaseBuffer(buffer));
    unpin();
    const afterUnpin = Array.from({ length: 8 }, () => backend.bufferManager.acquireBuffer(16, STORAGE));
    expect(afterUnpin.some((buffer) => recording.poolBuffers.has(buffer))).toBe(true);
  });

  it("restores the backend after recording: later ops run through the original methods", () => {
    const { backend, internals, step } = setup();
    step();
    recordStep(internals, step);
    for (const key of ["makeUniforms", "uploadToGPU", "ensureCommandEncoderReady", "read", "readSync"]) expect(Object.hasOwn(backend, key)).toBe(false);
    expect(backend.queue).toBe(backend.device.queue);
    const before = backend.bufferManager.usedBuffers.get("4_72")?.length ?? 0;
    backend.makeUniforms([{ type: "float32", data: [1] }]);
    expect(backend.bufferManager.usedBuffers.get("4_72")!.length).toBe(before + 1); // a pooled uniform again
  });

  it("refuses to replay a step that reads a tensor back to the CPU", () => {
    const { internals, step } = setup(true);
    step();
    const { recording } = recordStep(internals, step);
    expect(recording.unsupported).toMatch(/reads a tensor back to the CPU/);
  });
});

describe("compileTrainStep off webgpu", () => {
  let tf: Tf;
  beforeAll(async () => {
    tf = await loadTf();
    await switchBackend("cpu");
  });

  it("trains eagerly and says why it did not replay", async () => {
    const w = tf.variable(tf.tensor2d([[0.5], [-0.5]]), true, `capture_w_${Math.random()}`);
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6]]);
    const y = tf.tensor2d([[1], [2], [3]]);
    const optimizer = adam(tf, { learningRate: 0.05 });
    const compiled = compileTrainStep(tf, { lossFn: (input, target) => tf.losses.meanSquaredError(target!, tf.matMul(input!, w)) as never, variables: [w], optimizer, inputs: [x, y] });
    const losses: number[] = [];
    for (let i = 0; i < 20; i++) {
      compiled.step();
      losses.push(await compiled.loss());
    }
    expect(compiled.mode).toBe("eager");
    expect(compiled.reason).toMatch(/replay needs the webgpu backend \(this is cpu\)/);
    expect(losses[19]!).toBeLessThan(losses[0]! / 2);
    const tensorsBefore = tf.memory().numTensors;
    compiled.step();
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    compiled.dispose();
    optimizer.dispose();
    tf.dispose([w, x, y]);
  });
});
