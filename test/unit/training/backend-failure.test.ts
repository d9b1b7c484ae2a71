// A backend that breaks mid-session (the GPU device lost): a clear error, %backend moves on, nothing else is lost.
import { beforeAll, describe, expect, it } from "vitest";
import { magics } from "../../../magics/backend/command.js";
import type { MagicResult, ParsedArgs } from "../../../magics/types.js";
import { UsageError } from "../../../magics/types.js";
import { backendInfo, loadTf, switchBackend, trainLoop } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";

let tf: Tf;
const backendMagic = magics.find((magic) => magic.name === "backend")!;
const runMagic = (rest: string) =>
  backendMagic.line!.run({ options: {}, positionals: {}, rest, body: "" } as ParsedArgs, {} as never) as Promise<MagicResult>;

beforeAll(async () => {
  tf = await loadTf();
});

/** A backend named "flaky": the cpu backend's kernels, until `breakIt()` makes matMul fail like a lost device. */
async function installFlakyBackend(): Promise<() => void> {
  const cpu = await import("@tensorflow/tfjs-backend-cpu");
  tf.registerBackend("flaky", () => new cpu.MathBackendCPU());
  for (const kernel of tf.getKernelsForBackend("cpu")) tf.registerKernel({ ...kernel, backendName: "flaky" });
  await tf.setBackend("flaky");
  return () => {
    tf.unregisterKernel("BatchMatMul", "flaky");
    tf.registerKernel({ kernelName: "BatchMatMul", backendName: "flaky", kernelFunc: () => { throw new Error("GPU device was lost (simulated)"); } });
  };
}

describe("a backend failing mid-session", () => {
  it("fails the training cell with what happened and what to do; %backend shows it and switches; training resumes", async () => {
    const breakIt = await installFlakyBackend();
    const w = tf.variable(tf.zeros([2, 1]), true, "survivor_w");
    const x = tf.tensor2d([[1, 2], [3, 4], [5, 6], [7, 8]]);
    const y = tf.tensor2d([[5], [11], [17], [23]]);
    const options = { params: [w], lossFn: (a: never, b: never) => tf.losses.meanSquaredError(b, tf.matMul(a, w)), optimizer: tf.train.sgd(0.01), data: { x, y }, batchSize: 4, readEvery: 5, run: null };
    const first = await trainLoop({ ...options, steps: 10 });
    expect(first.backend).not.toBe("cpu");
    const learned = Array.from(await w.data());

    breakIt();
    await expect(trainLoop({ ...options, steps: 10 })).rejects.toThrow(
      /a training step failed on the flaky backend \(GPU device was lost \(simulated\)\)\. Your variables and other cells are kept: switch with %backend NAME/,
    );
    const shown = await runMagic("");
    expect(shown.text).toMatch(/FAILED: training step failed: GPU device was lost/);
    expect((shown.data as { failure?: string }).failure).toMatch(/device was lost/);

    const switched = await runMagic("cpu");
    expect(switched.text).toMatch(/^switched from \w+ to cpu/);
    expect((switched.data as { name: string; failure?: string }).name).toBe("cpu");
    expect((switched.data as { failure?: string }).failure).toBeUndefined();
    // The variable trained before the failure is still there, and training continues from it on the new backend.
    expect(Array.from(await w.data())).toEqual(learned);
    const resumed = await trainLoop({ ...options, steps: 200 });
    expect(resumed.backend).toBe("cpu");
    expect(resumed.finalLoss).toBeLessThan(first.finalLoss);
  });

  it("%backend shows the backend, the reason and the skipped rungs as data and text", async () => {
    await switchBackend("wasm");
    const result = await runMagic("");
    expect(result.data).toMatchObject({ name: "wasm", skipped: [] });
    expect(result.text.split("\n")[0]).toBe("backend: wasm");
    expect(result.html).toContain("tfjs backend: wasm");
    expect(backendInfo()!.name).toBe("wasm");
  });

  it("%backend rejects an unknown name with the usage, and reports a backend it cannot reach", async () => {
    await expect(runMagic("tpu")).rejects.toBeInstanceOf(UsageError);
    await expect(runMagic("webgpu")).rejects.toThrow(/cannot switch to webgpu: .*Still on wasm/);
    expect(tf.getBackend()).toBe("wasm");
  });
});
