// The ladder must not pick a CPU implementation of WebGPU (lavapipe, SwiftShader) over wasm unless told to.
import { describe, expect, it } from "vitest";
import { softwareAdapterName } from "../../../training/backends/webgpu.js";

describe("software WebGPU adapters", () => {
  it("recognises lavapipe, llvmpipe, SwiftShader and fallback adapters, and not real GPUs", () => {
    expect(softwareAdapterName({ info: { vendor: "mesa", architecture: "", description: "llvmpipe (LLVM 15.0.6, 256 bits)" } })).toMatch(/llvmpipe/);
    expect(softwareAdapterName({ info: { vendor: "mesa", device: "lavapipe" } })).toMatch(/lavapipe/);
    expect(softwareAdapterName({ info: { vendor: "google", architecture: "swiftshader", description: "SwiftShader Device (Subzero)" } })).toMatch(/SwiftShader/i);
    expect(softwareAdapterName({ isFallbackAdapter: true, info: { vendor: "unknown" } })).toBe("unknown");
    expect(softwareAdapterName({ info: { vendor: "nvidia", architecture: "", description: "NVIDIA: 580.159.04 580.159.4.0" } })).toBeUndefined();
    expect(softwareAdapterName({ info: { vendor: "amd", architecture: "rdna-3", description: "AMD Radeon RX 7900 XTX (RADV NAVI31)" } })).toBeUndefined();
  });
});
