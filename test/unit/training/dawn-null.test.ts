// Real tfjs-backend-webgpu on real Dawn, without a GPU: Dawn's null backend compiles every WGSL shader (Tint) and
// validates every API call, but computes nothing. So this checks that labnote's shaders compile, that step capture
// records and replays through the real objects with no validation error, and that nothing leaks; the numbers
// themselves are checked on a GPU by `npm run bench:gpu` ("losses match", tiled matmul check).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { adam, checkTiledMatmul, compileTrainStep, setExplicitTransposes, setWebGpuSpeedups } from "../../../training/webgpu/index.js";
import type { ExplicitTransposes } from "../../../training/webgpu/index.js";
import type { Tf } from "../../../training/index.js";
import { settle, startDawnNullWebgpu } from "../../helpers/dawn-null.js";

interface DawnDevice {
  createShaderModule(descriptor: { code: string }): unknown;
  createComputePipeline(descriptor: object): unknown;
}
let errors: string[];
let device: DawnDevice;
let detach: () => void;

beforeAll(async () => {
  ({ device, errors, detach } = await startDawnNullWebgpu<DawnDevice>());
});
afterAll(() => {
  detach();
});

describe("webgpu speed-ups on Dawn's null backend", () => {
  it("reports a broken shader (so silence below means the shaders compiled)", async () => {
    device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code: "fn main( {" }), entryPoint: "main" } });
    await settle();
    expect(errors.join("\n")).toMatch(/WGSL/);
    errors.length = 0;
  });

  const configurations: ExplicitTransposes[] = [{ a: false, b: false }, { a: true, b: true }, { a: true, b: true, tiled: true }];
  for (const transposes of configurations) {
    it(`records step 2 and replays later steps with fused Adam, transposes ${JSON.stringify(transposes)}`, async () => {
      setWebGpuSpeedups(tf as unknown as Tf, { uniformArena: false, submitBatching: true });
      setExplicitTransposes(tf as unknown as Tf, transposes, { minMultiplyAdds: 1 });
      const [inputs, hidden, batch] = [784, 2048, 1024]; // big enough for the tiled shader's first layer
      const w0 = tf.variable(tf.zeros([inputs, hidden]), true, `null_w0_${Math.random()}`);
      const b0 = tf.variable(tf.zeros([hidden]), true, `null_b0_${Math.random()}`);
      const w1 = tf.variable(tf.zeros([hidden, 10]), true, `null_w1_${Math.random()}`);
      const x = tf.zeros([batch, inputs]);
      const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), "int32"), 10).toFloat();
      const optimizer = adam(tf as unknown as Tf, { learningRate: 1e-3 });
      const compiled = compileTrainStep(tf as unknown as Tf, {
        lossFn: (input, target) => tf.losses.softmaxCrossEntropy(target!, tf.matMul(tf.fused.matMul({ a: input as tf.Tensor2D, b: w0, bias: b0, activation: "relu" }), w1)) as tf.Scalar,
        variables: [w0, b0, w1],
        optimizer: optimizer as unknown as tf.Optimizer,
        inputs: [x, y],
      });
      const modes: string[] = [];
      for (let i = 0; i < 4; i++) {
        compiled.step(i === 3 ? [x.clone(), y] : undefined);
        modes.push(compiled.mode);
      }
      expect(modes).toEqual(["recording", "replay", "replay", "replay"]);
      expect(compiled.reason).toMatch(/^\d+ GPU commands replayed per step$/);
      expect(Number.isNaN(await compiled.loss())).toBe(false);
      const tensors = tf.memory().numTensors;
      compiled.step();
      expect(tf.memory().numTensors).toBe(tensors);
      compiled.dispose();
      optimizer.dispose();
      tf.dispose([w0, b0, w1, x, y]);
      await settle();
      expect(errors).toEqual([]);
    });
  }

  it("compiles and dispatches the tiled matmul self-check (bias + ReLU pipeline)", async () => {
    await checkTiledMatmul(tf as unknown as Tf);
    await settle();
    expect(errors).toEqual([]);
  });
});
