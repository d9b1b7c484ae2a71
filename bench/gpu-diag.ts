// Diagnostic for the GPU machine: where do the losses of replayed steps go? Prints, per step, the loss read from a
// device-side slot and from the step's own loss tensor, for step() and stepRows(), and trainLoop's losses.
import type * as tfTypes from "@tensorflow/tfjs";
import { adam, compileTrainStep, loadTf, trainLoop } from "../training/index.js";

const tf = await loadTf();
console.log("backend", tf.getBackend());
if (tf.getBackend() !== "webgpu") { console.log("diag needs webgpu"); process.exit(0); }
const rows = 512;
const random = (shape: number[], scale: number) => tf.mul(tf.randomUniform(shape, -1, 1, "float32", 7), scale);
function mlp() {
  const params = [random([784, 256], 0.05), tf.zeros([256]), random([256, 10], 0.05), tf.zeros([10])].map((t) => tf.variable(t as tfTypes.Tensor));
  const lossFn = (x: tfTypes.Tensor, y: tfTypes.Tensor): tfTypes.Scalar => {
    const [w0, b0, w1, b1] = params as unknown as [tfTypes.Tensor2D, tfTypes.Tensor1D, tfTypes.Tensor2D, tfTypes.Tensor1D];
    const h = tf.fused.matMul({ a: x as tfTypes.Tensor2D, b: w0, bias: b0, activation: "relu" });
    return tf.mean(tf.losses.softmaxCrossEntropy(y, tf.fused.matMul({ a: h, b: w1, bias: b1 }))) as tfTypes.Scalar;
  };
  return { params, lossFn };
}
const x = random([rows, 784], 1) as tfTypes.Tensor2D;
const y = tf.oneHot(tf.tensor1d(Array.from({ length: rows }, (_, i) => i % 10), "int32"), 10).toFloat();

for (const how of ["step", "stepRows"] as const) {
  for (const separate of ["0", "1"]) {
    process.env.LABNOTE_CAPTURE_SEPARATE_COPY = separate;
    const { params, lossFn } = mlp();
    const optimizer = adam(tf, { learningRate: 1e-3, fused: true });
    const compiled = compileTrainStep(tf, { lossFn, variables: params, optimizer, inputs: [x, y] });
    const ring = tf.zeros([1]);
    const line: string[] = [];
    for (let i = 0; i < 6; i++) {
      const slot = { into: ring, index: 0 };
      if (how === "stepRows" && compiled.mode === "replay") compiled.stepRows([x, y], 0, slot);
      else compiled.step(undefined, slot);
      const fromSlot = (await ring.data())[0]!;
      const fromLoss = await compiled.loss();
      line.push(`${compiled.mode[0]}:${fromSlot.toFixed(4)}/${fromLoss.toFixed(4)}`);
    }
    console.log(`${how} separateCopy=${separate}: ${line.join("  ")}   (${compiled.reason})`);
    compiled.dispose();
    optimizer.dispose();
    tf.dispose([...params, ring]);
  }
}
for (const withRows of [true, false]) {
  const { params, lossFn } = mlp();
  const data = withRows ? { x: tf.concat([x, x]), y: tf.concat([y, y]) } : { x, y };
  const result = await trainLoop({ params, lossFn, optimizer: tf.train.adam(1e-3), data, batchSize: rows, steps: 6, readEvery: 1, run: null });
  console.log(`trainLoop rows=${data.x.shape[0]}: ${result.losses.map((l) => l.toFixed(4)).join(" ")} (${result.capture})`);
  tf.dispose(params);
}
