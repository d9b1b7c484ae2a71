// The webgpu rung's probe: Dawn's own stderr becomes the reason %backend gives, without its C++ source locations.
import { describe, expect, it } from "vitest";
import { dawnMessages, noAdapterReason, probeWebGpuAdapter } from "../../../training/backends/webgpu-probe.js";

const DAWN_NO_VULKAN =
  "Warning: Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory\n" +
  "    at operator() (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/BackendVk.cpp:368)\n\n";

describe("webgpu probe", () => {
  it("turns Dawn's warnings into one line a user can act on", () => {
    expect(dawnMessages(DAWN_NO_VULKAN)).toBe("Couldn't load Vulkan: libvulkan.so.1: cannot open shared object file: No such file or directory");
    expect(noAdapterReason(DAWN_NO_VULKAN)).toMatch(/^no WebGPU adapter: Dawn could not load Vulkan \(Couldn't load Vulkan: libvulkan\.so\.1.*\); on a GPU machine install libvulkan1 and the vendor's Vulkan driver \(ICD\)$/);
    expect(noAdapterReason("")).toBe("no WebGPU adapter (no GPU, or no Vulkan driver: libvulkan1 and the vendor's ICD)");
    expect(noAdapterReason("Warning: No Vulkan ICD found\n")).toMatch(/Dawn said: No Vulkan ICD found$/);
  });

  it("answers with an adapter or a reason, never throwing", async () => {
    const probe = await probeWebGpuAdapter();
    if (probe.ok) expect(probe.adapter).toBeTypeOf("object");
    else expect(probe.reason.length).toBeGreaterThan(10);
  });
});
