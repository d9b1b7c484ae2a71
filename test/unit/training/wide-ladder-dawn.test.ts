// The webgpu rung on Dawn's null backend (LABNOTE_DAWN_FLAGS=backend=null): the probe child and the rung pass the
// flags to Dawn, navigator.gpu gives tfjs's device `subgroups`, and the availability check refuses the subgroup kernel
// with the null adapter's 4–128-lane subgroups. (The ladder itself rejects the null backend at its 2×3 matmul check,
// since nothing is computed, so the rung is driven directly here.)
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import { webgpuRung } from "../../../training/backends/webgpu.js";
import type { Tf } from "../../../training/index.js";
import { activeWideMatmul, adapterSubgroupInfo, enableWideMatmul, matmulChoice } from "../../../training/webgpu/index.js";

const saved = { flags: process.env.LABNOTE_DAWN_FLAGS, backend: process.env.LABNOTE_BACKEND, matmul: process.env.LABNOTE_WEBGPU_MATMUL };
beforeAll(() => {
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  process.env.LABNOTE_DAWN_FLAGS = "backend=null";
  process.env.LABNOTE_BACKEND = "webgpu";
  delete process.env.LABNOTE_WEBGPU_MATMUL;
});
afterAll(() => {
  for (const [name, value] of [["LABNOTE_DAWN_FLAGS", saved.flags], ["LABNOTE_BACKEND", saved.backend], ["LABNOTE_WEBGPU_MATMUL", saved.matmul]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("webgpu rung with the subgroup matmul, on Dawn's null backend", () => {
  it("asks for subgroups on tfjs's device and refuses the kernel for subgroups narrower than 32, saying why", async () => {
    expect(matmulChoice()).toBe("auto");
    const detail = await webgpuRung.prepare(tf as unknown as Tf);
    expect(detail).toMatch(/ via Dawn$/);
    expect(await tf.setBackend("webgpu")).toBe(true);
    expect(adapterSubgroupInfo()).toMatchObject({ offered: true, requested: true, minSize: 4, maxSize: 128 });
    const device = (tf.backend() as unknown as { device: { features: { has(name: string): boolean } } }).device;
    expect(device.features.has("subgroups")).toBe(true);
    expect(await enableWideMatmul(tf as unknown as Tf, "subgroup")).toEqual({ on: false, note: "subgroup matmul off: subgroups may be 4–128 lanes here, the kernel needs 32 or more" });
    expect(activeWideMatmul()).toBeUndefined();
  });

  it("with LABNOTE_WEBGPU_MATMUL=tiled or tfjs the devices it makes do not get subgroups", async () => {
    const gpu = (globalThis as unknown as { navigator: { gpu: { requestAdapter(): Promise<{ requestDevice(d?: object): Promise<{ features: { has(n: string): boolean }; destroy(): void }> }> } } }).navigator.gpu;
    for (const [choice, expected] of [["tiled", false], ["tfjs", false], ["subgroup", true]] as const) {
      process.env.LABNOTE_WEBGPU_MATMUL = choice;
      const made = await (await gpu.requestAdapter()).requestDevice({ requiredFeatures: [] });
      expect(made.features.has("subgroups")).toBe(expected);
      made.destroy();
    }
    delete process.env.LABNOTE_WEBGPU_MATMUL;
  });

  it("LABNOTE_WEBGPU_MATMUL picks the route; anything else means auto", () => {
    for (const [value, expected] of [["tfjs", "tfjs"], ["Shared", "shared"], ["tiled", "tiled"], ["subgroup", "subgroup"], ["fastest", "auto"]] as const) {
      process.env.LABNOTE_WEBGPU_MATMUL = value;
      expect(matmulChoice()).toBe(expected);
    }
    delete process.env.LABNOTE_WEBGPU_MATMUL;
  });
});
