// Smoke test of the webgpu speed-ups against real Dawn API objects on Dawn's null backend (no GPU needed):
// WGSL is compiled and every call validated, but nothing is computed (values are meaningless).
// Usage: npx tsx bench/gpu-null-smoke.ts
import * as tf from "@tensorflow/tfjs";
import { adam, checkTiledMatmul, compileTrainStep, setExplicitTransposes, setWebGpuSpeedups, wideMatmulDispatches, withSubgroups } from "../training/webgpu/index.js";
import type { GpuLike } from "../training/webgpu/gpu-types.js";
import { measureMatmuls } from "./gpu-matmul.js";
import type { ExplicitTransposes } from "../training/webgpu/index.js";

const dawn = (await import("webgpu" as string)) as { create(flags: string[]): unknown; globals: Record<string, unknown> };
for (const [name, value] of Object.entries(dawn.globals)) if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
const gpu = withSubgroups(dawn.create(["backend=null"]) as GpuLike, () => true);
Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
await import("@tensorflow/tfjs-backend-webgpu");
await tf.setBackend("webgpu");
await tf.ready();
const device = (tf.backend() as unknown as { device: { addEventListener?: unknown; onuncapturederror: unknown; pushErrorScope(f: string): void; popErrorScope(): Promise<{ message: string } | null> } }).device;
const errors: string[] = [];
device.onuncapturederror = (event: { error: { message: string } }) => errors.push(event.error.message);

// The error channel works: a broken shader must be reported.
{
  const realDevice = (tf.backend() as unknown as { device: { createShaderModule(d: { code: string }): unknown; createComputePipeline(d: object): unknown } }).device;
  realDevice.createComputePipeline({ layout: "auto", compute: { module: realDevice.createShaderModule({ code: "fn main( {" }), entryPoint: "main" } });
  await new Promise((resolve) => setTimeout(resolve, 100));
  console.log(`a broken shader is reported: ${errors.length > 0}`);
  if (errors.length === 0) process.exit(1);
  errors.length = 0;
}
const hidden = 2048;
const batch = 1024;
const configurations: ExplicitTransposes[] = [{ a: false, b: false }, { a: true, b: true }, { a: true, b: true, tiled: true }, { a: false, b: true, tiled: true, wide: "subgroup" }, { a: false, b: true, wide: "shared" }];
for (const transposes of configurations) {
  const explicit = JSON.stringify(transposes);
  setWebGpuSpeedups(tf, { uniformArena: false, submitBatching: true });
  setExplicitTransposes(tf, transposes, { minMultiplyAdds: 1 });
  const w0 = tf.variable(tf.randomNormal([784, hidden]), true, `w0${explicit}`);
  const b0 = tf.variable(tf.zeros([hidden]), true, `b0${explicit}`);
  const w1 = tf.variable(tf.randomNormal([hidden, 10]), true, `w1${explicit}`);
  const b1 = tf.variable(tf.zeros([10]), true, `b1${explicit}`);
  const x = tf.randomNormal([batch, 784]);
  const y = tf.oneHot(tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), "int32"), 10).toFloat();
  const optimizer = adam(tf, { learningRate: 1e-3 });
  const compiled = compileTrainStep(tf, {
    lossFn: (input, target) => tf.losses.softmaxCrossEntropy(target!, tf.fused.matMul({ a: tf.fused.matMul({ a: input as tf.Tensor2D, b: w0, bias: b0, activation: "relu" }), b: w1, bias: b1 })) as tf.Scalar,
    variables: [w0, b0, w1, b1],
    optimizer,
    inputs: [x, y],
  });
  const modes: string[] = [];
  for (let i = 0; i < 6; i++) {
    compiled.step(i === 5 ? [x.add(0), y] : undefined);
    modes.push(compiled.mode);
  }
  const loss = await compiled.loss();
  const tensors = tf.memory().numTensors;
  compiled.step();
  console.log(`${explicit}: modes ${modes.join(",")}; ${compiled.reason}; loss read ${loss}; tensors flat ${tf.memory().numTensors === tensors}`);
  compiled.dispose();
  optimizer.dispose();
  tf.dispose([w0, b0, w1, b1, x, y]);
}
console.log(`tiled matmul check ran (values are meaningless on the null backend): ${await checkTiledMatmul(tf)}`);
// bench:gpu's matmul table on small shapes (timings and differences are meaningless here; the paths must run).
const tiledRoute = { uniformArena: true, submitBatching: true, explicitTransposes: { a: false, b: true, tiled: true } };
await measureMatmuls(tf, { batch: 512, hidden: 1024, inputs: 784 }, [
  { name: "tfjs", speedups: { uniformArena: true, submitBatching: true } },
  { name: "tiled", speedups: tiledRoute },
  { name: "subgroup", speedups: { ...tiledRoute, explicitTransposes: { ...tiledRoute.explicitTransposes, wide: "subgroup" } } },
  { name: "shared", speedups: { ...tiledRoute, explicitTransposes: { ...tiledRoute.explicitTransposes, wide: "shared" } } },
], 0.05, (line) => console.log(line));
console.log(`wide-kernel dispatches in this run: ${wideMatmulDispatches()}`);
await new Promise((resolve) => setTimeout(resolve, 200));
console.log(errors.length === 0 ? "no WebGPU validation errors" : `WebGPU errors:\n${[...new Set(errors)].join("\n")}`);
process.exit(errors.length === 0 ? 0 : 1);
