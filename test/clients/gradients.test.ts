// trainLoop's gradient watching through the real kernel (nbclient): a healthy tracked run records the global and
// per-layer gradient norms, the clipped norm and the learning rate and warns about nothing; a learning-rate schedule
// that keeps growing makes the exploding-gradient detector fire from trainLoop's own norms, naming the step.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook } from "../helpers/jupyter.js";

type Output = ReturnType<typeof allOutputs>[number];
const text = (value: unknown): string => (Array.isArray(value) ? value.join("") : String(value ?? ""));
const streamOf = (outputs: Output[], cell: number): string => outputs.filter((output) => output.cell === cell && output.output_type === "stream").map((output) => text(output.text)).join("");

describe("trainLoop gradient norms on the labnote kernel", () => {
  it("records global and per-layer norms, clipping and the learning rate; warns of exploding gradients only when they explode", async () => {
    const dir = join(ARTIFACTS, "gradients", `run-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    writeNotebook(join(dir, "gradients.ipynb"), [
      'import { trainLoop } from "labnote";\nconst x = tf.randomNormal([256, 8], 0, 1, "float32", 1);\nconst y = tf.sum(x, 1, true);\n' +
        "function mlp(seed: number) {\n  const model = tf.sequential();\n" +
        '  model.add(tf.layers.dense({ units: 16, inputShape: [8], activation: "relu", name: "hidden", kernelInitializer: tf.initializers.glorotUniform({ seed }) }));\n' +
        '  model.add(tf.layers.dense({ units: 1, name: "out", kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }));\n  return model;\n}',
      '%%track --name healthy\nawait trainLoop({ model: mlp(1), loss: "meanSquaredError", optimizer: tf.train.sgd(0.01), data: { x, y }, batchSize: 32, steps: 200, gradientNormEvery: 10, clipNorm: 5 });',
      '%%track --name exploding\nawait trainLoop({ model: mlp(2), loss: "meanSquaredError", optimizer: tf.train.sgd(1e-4), learningRate: (step) => 1e-4 * 1.25 ** step, data: { x, y: tf.mul(y, 10) }, batchSize: 32, steps: 80, gradientNormEvery: 1 });',
    ]);
    const nb = await executeNotebook(join(dir, "gradients.ipynb"), { cwd: dir, timeoutSec: 240 });
    const outputs = allOutputs(nb);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);
    const healthy = (outputs.find((output) => output.cell === 1 && output.output_type === "execute_result")!.data as Record<string, unknown>)["application/json"] as { metrics: Record<string, number> };
    for (const key of ["train.grad_norm", "train.grad_norm_clipped", "gradients.global", "gradients.hidden", "gradients.out", "learning_rate"]) {
      expect(healthy.metrics[key], key).toBeTypeOf("number");
    }
    expect(healthy.metrics["learning_rate"]).toBeCloseTo(0.01, 8);
    expect(healthy.metrics["train.grad_norm_clipped"]).toBeLessThanOrEqual(5 * (1 + 1e-5));
    expect(healthy.metrics["gradients.global"]).toBeCloseTo(Math.hypot(healthy.metrics["gradients.hidden"]!, healthy.metrics["gradients.out"]!), 3);
    expect(streamOf(outputs, 1)).not.toMatch(/gradient norm/);
    expect(streamOf(outputs, 2)).toMatch(/exploding gradient norm [\d.e+]+ at step \d+ in run "exploding"/);
  }, 300_000);
});
