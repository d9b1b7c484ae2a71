// Diagnostic for the GPU machine: where do the losses of replayed steps go? Prints, per step, the loss read from a
// device-side slot and from the step's own loss tensor, for step() and stepRows(), and trainLoop's losses.
import type * as tfTypes from "@tensorflow/tfjs";
import { adam, compileTrainStep, loadTf, trainLoop } from "../training/index.js";

const tf = await loadTf();
console.log("backend", tf.getBackend());
if (tf.getBackend() !== "webgpu" && !process.env.DIAG_ANY_BACKEND) { console.log("diag needs webgpu"); process.exit(0); }
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

for (const how of tf.getBackend() === "webgpu" ? (["step", "stepRows"] as const) : []) {
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
// trainLoop with capture on and off on the same data and initial weights: the losses must agree step for step.
// rows = batch (one batch per epoch: the data itself is the batch), two and three batches, and a partial last batch.
let mismatches = 0;
for (const total of [512, 1024, 1536, 1000]) {
  const data = total === rows ? { x, y } : { x: tf.concat([x, x, x]).slice(0, total), y: tf.concat([y, y, y]).slice(0, total) };
  const losses: Record<string, number[]> = {};
  for (const capture of [false, true]) {
    const { params, lossFn } = mlp();
    const result = await trainLoop({ params, lossFn, optimizer: "adam", data, batchSize: rows, steps: 8, readEvery: 4, run: null, capture, progress: false });
    losses[String(capture)] = result.losses;
    console.log(`trainLoop rows=${total} capture=${capture}: ${result.losses.map((l) => l.toFixed(4)).join(" ")} (${result.capture}; replayed ${result.replayedSteps}, uncaptured ${result.uncapturedSteps})`);
    tf.dispose(params);
  }
  const worst = Math.max(...losses.true!.map((loss, i) => Math.abs(loss - losses.false![i]!) / Math.max(1e-6, Math.abs(losses.false![i]!))));
  const ok = losses.true!.length === losses.false!.length && worst < 1e-3;
  if (!ok) mismatches++;
  console.log(`rows=${total}: ${ok ? "AGREE" : "DIFFER"} (largest relative difference ${worst.toExponential(2)})`);
  if (total !== rows) tf.dispose([data.x, data.y]);
}
console.log(`trainLoop capture check: ${mismatches === 0 ? "all agree" : `${mismatches} differ`}`);
