// The fused Adam update's plumbing (slots, bindings, uniforms, workgroup counts, in-place writes, submit order),
// checked without a GPU: a fake webgpu backend whose buffers are the cpu backend's own arrays and whose compute
// pass runs the WGSL's arithmetic in JavaScript. The result must match tf.train.adam step for step.
import { beforeAll, describe, expect, it } from "vitest";
import { loadTf, switchBackend } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";
import { createFusedAdam, FUSED_ADAM_WGSL } from "../../../training/webgpu/fused-adam.js";

let tf: Tf;
beforeAll(async () => {
  tf = await loadTf();
  await switchBackend("cpu");
});

interface FakeBuffer { size: number; bytes: Uint8Array; f32: Float32Array; destroy(): void }
type Entry = { binding: number; resource: { buffer: FakeBuffer } };

function fakeWebgpu(realTf: Tf) {
  const cpu = realTf.backend() as unknown as { data: { get(id: object): { values: Float32Array } }; refCount(id: object): number };
  const events: string[] = [];
  let workgroupsRun = 0;
  const makeBuffer = (size: number, bytes = new Uint8Array(size)): FakeBuffer => ({ size, bytes, f32: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4), destroy() {} });
  const entries = new Map<object, { resource?: FakeBuffer; values?: unknown; refCount: number }>();
  let bindGroup: Entry[] = [];
  const pass = {
    setPipeline: () => {},
    setBindGroup: (_: number, group: { entries: Entry[] }) => (bindGroup = group.entries),
    dispatchWorkgroups(groupsX: number, groupsY = 1) {
      events.push("dispatch");
      const [param, m, v, grad, constants, size] = bindGroup.map((entry) => entry.resource.buffer);
      const [lr, beta1, beta2, epsilon, correction1, correction2] = constants!.f32;
      const [count, rowWidth] = new Uint32Array(size!.bytes.buffer, 0, 2);
      // The WGSL body, invocation by invocation.
      for (let gy = 0; gy < groupsY; gy++) {
        for (let gx = 0; gx < groupsX * 256; gx++) {
          const i = gy * rowWidth! + gx;
          if (i >= count!) continue;
          const g = grad!.f32[i]!;
          const mNew = Math.fround(beta1! * m!.f32[i]! + (1 - beta1!) * g);
          const vNew = Math.fround(beta2! * v!.f32[i]! + (1 - beta2!) * g * g);
          m!.f32[i] = mNew;
          v!.f32[i] = vNew;
          param!.f32[i] = param!.f32[i]! - (lr! * (mNew * correction1!)) / (Math.sqrt(vNew * correction2!) + epsilon!);
        }
      }
      workgroupsRun += groupsX * groupsY;
    },
    end: () => events.push("end pass"),
  };
  const backend = {
    epsilon: () => 1e-7,
    device: {
      limits: { minUniformBufferOffsetAlignment: 256, maxComputeWorkgroupsPerDimension: 4 }, // tiny, to exercise 2-D dispatch
      createShaderModule: ({ code }: { code: string }) => ({ code }),
      createComputePipeline: () => ({ getBindGroupLayout: () => ({}) }),
      createBuffer: ({ size }: { size: number }) => makeBuffer(size),
      createBindGroup: (descriptor: { entries: Entry[] }) => descriptor,
    },
    queue: {
      writeBuffer(buffer: FakeBuffer, offset: number, data: ArrayBufferView) {
        buffer.bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
        events.push(`write ${data.byteLength}`);
      },
    },
    commandEncoder: null as null | { beginComputePass(): typeof pass },
    computePassEncoder: null as null | typeof pass,
    dispatchCountInPass: 0,
    commandQueueOwnedIds: new WeakSet<object>(),
    tensorMap: {
      get(id: object) {
        if (!entries.has(id)) entries.set(id, { refCount: cpu.refCount(id) });
        return entries.get(id);
      },
    },
    ensureCommandEncoderReady() {
      this.commandEncoder ??= { beginComputePass: () => pass };
    },
    endComputePassEncoder() {
      this.computePassEncoder?.end();
      this.computePassEncoder = null;
    },
    submitQueue() {
      events.push("submit");
      this.commandEncoder = null;
    },
    uploadToGPU(id: object) {
      const values = cpu.data.get(id).values;
      const entry = entries.get(id) ?? { refCount: cpu.refCount(id) };
      entry.resource = makeBuffer(values.byteLength, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      entries.set(id, entry);
    },
  };
  const fake = new Proxy(realTf, {
    get(target, property, receiver) {
      if (property === "getBackend") return () => "webgpu";
      if (property === "backend") return () => backend;
      return Reflect.get(target, property, receiver);
    },
  });
  return { fake, backend, events, workgroups: () => workgroupsRun };
}

describe("fused Adam (WGSL) plumbing", () => {
  it("updates params, m and v in place exactly as tf.train.adam does, one dispatch per variable", async () => {
    const start = Array.from({ length: 1500 }, (_, i) => Math.sin(i));
    const reference = tf.variable(tf.tensor2d(start, [3, 500]), true, "adam_ref");
    const fused = tf.variable(tf.tensor2d(start, [3, 500]), true, "adam_fused");
    const bias = tf.variable(tf.tensor1d([0.5, -0.5, 2]), true, "adam_fused_bias");
    const target = tf.tensor2d(start.map((v) => v * 0.5 + 1), [3, 500]);
    const loss = (w: typeof fused) => () => tf.mean(tf.square(tf.sub(w, target))) as never;
    const { fake, backend, events, workgroups } = fakeWebgpu(tf);
    const referenceAdam = tf.train.adam(0.05);
    const fusedAdam = createFusedAdam(fake, { learningRate: 0.05 });
    backend.ensureCommandEncoderReady(); // earlier tfjs work pending in the encoder
    for (let step = 0; step < 5; step++) {
      referenceAdam.minimize(loss(reference), false, [reference]);
      fusedAdam.minimize(() => tf.add(loss(fused)(), tf.sum(tf.square(bias))) as never, false, [fused, bias]);
    }
    const got = Array.from(fused.dataSync());
    const want = Array.from(reference.dataSync());
    expect(got.some((value, i) => value !== start[i])).toBe(true);
    expect(Math.max(...got.map((value, i) => Math.abs(value - want[i]!)))).toBeLessThan(1e-5);
    // Bias: d/db sum(b^2) = 2b; Adam's first step moves each element by ~lr toward 0.
    expect(Array.from(bias.dataSync()).map((v) => Math.round(v * 100) / 100)).toEqual([0.25, -0.25, 1.75]);
    // 1500 elements / 256 = 6 workgroups, split 4 × 2 under the fake's 4-per-dimension limit; bias 1 group.
    expect(workgroups()).toBe(5 * (8 + 1));
    // Each step: submit pending work, then write the step constants, then dispatch (never rewrite in-flight constants).
    const stepEvents = events.filter((e) => e === "submit" || e === "write 32" || e === "dispatch");
    expect(stepEvents.slice(0, 4)).toEqual(["submit", "write 32", "dispatch", "dispatch"]);
    expect(stepEvents.filter((e) => e === "write 32")).toHaveLength(5);
    expect(backend.computePassEncoder).not.toBeNull(); // left open for tfjs's next ops
    fusedAdam.dispose();
    referenceAdam.dispose();
  });

  it("is valid-looking WGSL with the six bindings the dispatch binds", () => {
    for (let binding = 0; binding < 6; binding++) expect(FUSED_ADAM_WGSL).toContain(`@binding(${binding})`);
    expect(FUSED_ADAM_WGSL).toContain("@compute @workgroup_size(256)");
  });
});
