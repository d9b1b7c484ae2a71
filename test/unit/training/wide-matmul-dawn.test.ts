// The 64×256-tile matmul on real tfjs-backend-webgpu and real Dawn, null backend (Tint compiles and Dawn validates
// everything; nothing is computed, so values are checked by wide-matmul.test.ts and, on a GPU, by the self-check).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { adam, compileTrainStep, setExplicitTransposes, setWebGpuSpeedups } from "../../../training/webgpu/index.js";
import { WIDE_ACTIVATIONS, wideMatmulDispatches, wideMatmulWgsl } from "../../../training/webgpu/wide-matmul.js";
import { SELF_CHECK_PROBLEMS, activeWideMatmul, enableWideMatmul, resetWideMatmulForTests, tfProblemRunner } from "../../../training/webgpu/wide-route.js";
import type { ProblemRunner } from "../../../training/webgpu/wide-route.js";
import { timeMatmulRoutes } from "../../../training/webgpu/matmul-timing.js";
import { adapterSubgroupInfo, withSubgroups } from "../../../training/webgpu/device-features.js";
import type { GpuLike } from "../../../training/webgpu/gpu-types.js";
import type { Tf } from "../../../training/index.js";
import { settle, startDawnNullWebgpu } from "../../helpers/dawn-null.js";

interface CompilationMessage {
  type: string;
  lineNum: number;
  message: string;
}
interface DawnDevice {
  features: { has(name: string): boolean };
  createShaderModule(descriptor: { code: string }): { getCompilationInfo(): Promise<{ messages: CompilationMessage[] }> };
  createComputePipeline(descriptor: object): unknown;
}
let errors: string[];
let device: DawnDevice;
let detach: () => void;
const tfLike = tf as unknown as Tf;

beforeAll(async () => {
  // As the webgpu rung installs it: the device tfjs creates gets `subgroups`.
  ({ device, errors, detach } = await startDawnNullWebgpu<DawnDevice>((gpu: GpuLike) => withSubgroups(gpu, () => true)));
});
afterAll(() => {
  detach();
});

describe("wide matmul on Dawn's null backend", () => {
  it("tfjs's device has `subgroups` (labnote asked for it) and the adapter's subgroup sizes are kept", () => {
    expect(device.features.has("subgroups")).toBe(true);
    expect(adapterSubgroupInfo()).toMatchObject({ offered: true, requested: true, minSize: 4, maxSize: 128 });
  });

  it("every shader variant (2 kernels × transposes × bias × 6 activations) compiles with Tint and validates", async () => {
    let count = 0;
    for (const variant of ["subgroup", "shared"] as const) {
      for (const transposeA of [false, true]) {
        for (const transposeB of [false, true]) {
          for (const bias of [false, true]) {
            for (const activation of WIDE_ACTIVATIONS) {
              const module = device.createShaderModule({ code: wideMatmulWgsl({ variant, transposeA, transposeB, bias, activation }) });
              const { messages } = await module.getCompilationInfo();
              errors.push(...messages.map((m) => `${variant} ${transposeA} ${transposeB} ${bias} ${activation}: ${m.type} line ${m.lineNum}: ${m.message}`));
              device.createComputePipeline({ layout: "auto", compute: { module, entryPoint: "main" } });
              count++;
            }
          }
        }
      }
    }
    await settle();
    expect(count).toBe(96);
    expect(errors).toEqual([]);
  });

  it("the subgroup kernel is refused where subgroups may be narrower than 32 lanes (the null adapter says 4–128)", async () => {
    resetWideMatmulForTests();
    const result = await enableWideMatmul(tfLike, "subgroup");
    expect(result).toEqual({ on: false, note: "subgroup matmul off: subgroups may be 4–128 lanes here, the kernel needs 32 or more" });
  });

  for (const variant of ["subgroup", "shared"] as const) {
    it(`${variant}: the run-time self-check dispatches every problem through tfjs with no validation error`, async () => {
      resetWideMatmulForTests();
      setWebGpuSpeedups(tfLike, { uniformArena: true, submitBatching: true, explicitTransposes: { a: false, b: true } });
      const device = tfProblemRunner(tfLike, variant);
      // The null backend reads back whatever is in memory: run every problem on the device, compare equal arrays.
      const blank: ProblemRunner = async (problem, wide) => new Float32Array((await device(problem, wide)).length);
      const before = wideMatmulDispatches();
      expect((await enableWideMatmul(tfLike, variant, { runner: blank })).on).toBe(true);
      expect(wideMatmulDispatches() - before).toBe(SELF_CHECK_PROBLEMS.length);
      await settle();
      expect(errors).toEqual([]);
    });
  }

  it("the real self-check on the null backend (which computes nothing) sees a mismatch and turns the kernel off", async () => {
    resetWideMatmulForTests();
    const result = await enableWideMatmul(tfLike, "subgroup", { anySubgroupSize: true });
    expect(result.on).toBe(false);
    expect(result.note).toMatch(/^subgroup matmul off: self-check mismatch on 67×33×261 transposeB bias relu: error/);
    expect(activeWideMatmul()).toBeUndefined();
    setExplicitTransposes(tfLike, { a: false, b: true, wide: "subgroup" });
    expect(activeWideMatmul()).toBeUndefined();
  });

  it("timing the routes at backend start runs every form on each route (the 64×256 one through the kernel)", async () => {
    resetWideMatmulForTests();
    const before = wideMatmulDispatches();
    const apply = (wide: "subgroup" | undefined) => setWebGpuSpeedups(tfLike, { uniformArena: true, submitBatching: true, explicitTransposes: { a: false, b: true, tiled: true, wide } });
    const timed = await timeMatmulRoutes<"subgroup" | undefined>(tfLike, [undefined, "subgroup"], apply, { size: 1024, repeats: 1 });
    expect(timed.map((entry) => entry.route)).toEqual([undefined, "subgroup"]);
    for (const entry of timed) {
      expect(entry.error).toBeUndefined();
      expect(entry.seconds).toBeGreaterThan(0);
    }
    // 3 forms × (1 warm-up product + 1 sample of 2), all on the kernel for the subgroup route only.
    expect(wideMatmulDispatches() - before).toBe(9);
    await settle();
    expect(errors).toEqual([]);
  });

  it("a captured train step routes its large matmuls (forward and backward) to the subgroup kernel and replays", async () => {
    resetWideMatmulForTests();
    setWebGpuSpeedups(tfLike, { uniformArena: true, submitBatching: true });
    setExplicitTransposes(tfLike, { a: false, b: true, tiled: true, wide: "subgroup" });
    expect(activeWideMatmul()).toBe("subgroup");
    const [inputs, hidden, batch] = [784, 2048, 1024];
    const w0 = tf.variable(tf.zeros([inputs, hidden]), true, `wide_w0_${Math.random()}`);
    const b0 = tf.variable(tf.zeros([hidden]), true, `wide_b0_${Math.random()}`);
    const w1 = tf.variable(tf.zeros([hidden, hidden]), true, `wide_w1_${Math.random()}`);
    const w2 = tf.variable(tf.zeros([hidden, 10]), true, `wide_w2_${Math.random()}`);
    const x = tf.zeros([batch, inputs]);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), "int32"), 10).toFloat();
    const optimizer = adam(tfLike, { learningRate: 1e-3 });
    const before = wideMatmulDispatches();
    const compiled = compileTrainStep(tfLike, {
      lossFn: (input, target) => {
        const h0 = tf.fused.matMul({ a: input as tf.Tensor2D, b: w0, bias: b0, activation: "relu" });
        const h1 = tf.relu(tf.matMul(h0, w1));
        return tf.losses.softmaxCrossEntropy(target!, tf.matMul(h1, w2)) as tf.Scalar;
      },
      variables: [w0, b0, w1, w2],
      optimizer: optimizer as unknown as tf.Optimizer,
      inputs: [x, y],
    });
    const modes: string[] = [];
    for (let i = 0; i < 4; i++) {
      compiled.step();
      modes.push(compiled.mode);
    }
    expect(modes).toEqual(["recording", "replay", "replay", "replay"]);
    // Warm-up and recording each ran: forward h0 and h1, backward dH0 (transposeB), dW1 and dW0 (transposeA).
    expect(wideMatmulDispatches() - before).toBe(2 * 5);
    expect(Number.isNaN(await compiled.loss())).toBe(false);
    const tensors = tf.memory().numTensors;
    compiled.step();
    expect(tf.memory().numTensors).toBe(tensors);
    compiled.dispose();
    optimizer.dispose();
    tf.dispose([w0, b0, w1, w2, x, y]);
    await settle();
    expect(errors).toEqual([]);
  });
});
