// The large MLP's matmuls one by one on each matmul route (bench:gpu prints the table before the training rows):
// forward with fused bias + ReLU, and the three backward products (dH = dZ·Wᵀ, dW = Hᵀ·dZ for both hidden layers).
// Each route's output is compared with tfjs's own kernels on the same inputs (K up to 4096: fp32 sums at scale).
import type { Tf } from "../training/index.js";
import { setWebGpuSpeedups, wideMatmulDispatches } from "../training/webgpu/index.js";
import type { WebGpuSpeedups } from "../training/webgpu/index.js";
import type * as tfTypes from "@tensorflow/tfjs";

export interface MatmulRoute {
  name: string;
  speedups: WebGpuSpeedups;
}
interface Form {
  name: string;
  /** [rows, inner, columns] of the product. */
  mkn: [number, number, number];
  run(tf: Tf, a: tfTypes.Tensor2D, b: tfTypes.Tensor2D, bias: tfTypes.Tensor1D): tfTypes.Tensor;
}

function forms(batch: number, hidden: number, inputs: number): { form: Form; a: [number, number]; b: [number, number] }[] {
  return [
    { form: { name: "forward X·W0 + b, ReLU", mkn: [batch, inputs, hidden], run: (tf, a, b, bias) => tf.fused.matMul({ a, b, bias, activation: "relu" }) }, a: [batch, inputs], b: [inputs, hidden] },
    { form: { name: "forward H0·W1 + b, ReLU", mkn: [batch, hidden, hidden], run: (tf, a, b, bias) => tf.fused.matMul({ a, b, bias, activation: "relu" }) }, a: [batch, hidden], b: [hidden, hidden] },
    { form: { name: "backward dH0 = dZ1·W1ᵀ", mkn: [batch, hidden, hidden], run: (tf, a, b) => tf.matMul(a, b, false, true) }, a: [batch, hidden], b: [hidden, hidden] },
    { form: { name: "backward dW1 = H0ᵀ·dZ1", mkn: [hidden, batch, hidden], run: (tf, a, b) => tf.matMul(a, b, true, false) }, a: [batch, hidden], b: [batch, hidden] },
    { form: { name: "backward dW0 = Xᵀ·dZ0", mkn: [inputs, batch, hidden], run: (tf, a, b) => tf.matMul(a, b, true, false) }, a: [batch, inputs], b: [batch, hidden] },
  ];
}

/** Waits for everything queued so far: reading one element submits the queue and waits for it (in order). */
async function drain(tf: Tf, tensor: tfTypes.Tensor): Promise<void> {
  const one = tf.tidy(() => tensor.reshape([-1]).slice(0, 1));
  await one.data();
  one.dispose();
}

export async function measureMatmuls(tf: Tf, dims: { batch: number; hidden: number; inputs: number }, routes: MatmulRoute[], seconds: number, log: (line: string) => void): Promise<void> {
  log(`\nlarge-MLP matmuls (batch ${dims.batch}, hidden ${dims.hidden}, inputs ${dims.inputs}), TFLOP/s = 2·M·N·K per product; "vs tfjs" = largest difference / largest value`);
  for (const { form, a: aShape, b: bShape } of forms(dims.batch, dims.hidden, dims.inputs)) {
    const a = tf.randomUniform(aShape, -1, 1, "float32", 1) as tfTypes.Tensor2D;
    const b = tf.randomUniform(bShape, -1, 1, "float32", 2) as tfTypes.Tensor2D;
    const bias = tf.randomUniform([form.mkn[2]], -1, 1, "float32", 3) as tfTypes.Tensor1D;
    let reference: Float32Array | undefined;
    const cells: string[] = [];
    try {
      for (const route of routes) {
        // tfjs frees a disposed output only at the next submit: submitting every 15 products (tfjs's default)
        // instead of 200 keeps the timed loop's memory at a few outputs.
        setWebGpuSpeedups(tf, { ...route.speedups, submitBatching: false });
        try {
          const wideBefore = wideMatmulDispatches();
          const first = form.run(tf, a, b, bias);
          const values = (await first.data()) as Float32Array;
          first.dispose();
          let versus = "reference";
          if (!reference) reference = values;
          else {
            let worst = 0;
            let scale = 1e-6;
            for (let i = 0; i < values.length; i++) {
              worst = Math.max(worst, Math.abs(values[i]! - reference[i]!));
              scale = Math.max(scale, Math.abs(reference[i]!));
            }
            versus = `${(worst / scale).toExponential(1)} vs tfjs`;
          }
          const wideUsed = wideMatmulDispatches() > wideBefore;
          // Size the timed run from two warm products.
          let started = performance.now();
          for (let i = 0; i < 2; i++) {
            const out = form.run(tf, a, b, bias);
            await drain(tf, out);
            out.dispose();
          }
          const each = (performance.now() - started) / 2000;
          const repeats = Math.max(3, Math.min(500, Math.round(seconds / Math.max(each, 1e-5))));
          started = performance.now();
          let last: tfTypes.Tensor | undefined;
          for (let i = 0; i < repeats; i++) {
            last?.dispose();
            last = form.run(tf, a, b, bias);
          }
          await drain(tf, last!);
          last!.dispose();
          const perProduct = (performance.now() - started) / 1000 / repeats;
          const [m, k, n] = form.mkn;
          cells.push(`${route.name}: ${((2 * m * n * k) / perProduct / 1e12).toFixed(1)} TFLOP/s (${(perProduct * 1000).toFixed(2)} ms, ${versus}${wideUsed ? ", wide kernel" : ""})`);
        } catch (error) {
          cells.push(`${route.name}: FAILED ${error instanceof Error ? error.message : String(error)}`);
        }
      }
    } finally {
      tf.dispose([a, b, bias]);
    }
    log(`${form.name.padEnd(26)} ${form.mkn.join("×").padEnd(16)} ${cells.join(" | ")}`);
  }
  log("");
}
