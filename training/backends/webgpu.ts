// WebGPU rung: Dawn through the `webgpu` npm package (Vulkan on Linux), then @tensorflow/tfjs-backend-webgpu.
// Dawn is first probed in a child process (webgpu-probe.ts) so a machine without a GPU prints no Dawn warnings.
// The backend registers itself only when navigator.gpu exists, so navigator.gpu is installed first.
import type { BackendRung, Tf } from "./types.js";
import { errorText, withTimeout } from "./types.js";
import type { GpuAdapterLike, GpuDeviceLike, GpuLike } from "../webgpu/gpu-types.js";
import { probeWebGpuAdapter } from "./webgpu-probe.js";
import { withSubgroups } from "../webgpu/device-features.js";
import { matmulChoice } from "../webgpu/wide-route.js";

const ADAPTER_TIMEOUT_MS = 10_000;

interface DawnModule {
  create(options: string[]): GpuLike;
  globals: Record<string, unknown>;
}

/** Why the last device was lost, if it was (Dawn reports device loss through a promise). */
let deviceLostReason: string | undefined;
export function webgpuDeviceLost(): string | undefined {
  return deviceLostReason;
}

/** Flags for dawn.create from LABNOTE_DAWN_FLAGS (space-separated); none by default. */
export function dawnFlags(): string[] {
  return (process.env.LABNOTE_DAWN_FLAGS ?? "").split(/\s+/).filter(Boolean);
}

const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|software rasterizer|softpipe/i;

/** The adapter's name when it is a CPU implementation of Vulkan/WebGPU (lavapipe, SwiftShader), else undefined. */
export function softwareAdapterName(adapter: GpuAdapterLike): string | undefined {
  const info = adapter.info ?? {};
  const text = [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(" ");
  if (SOFTWARE_ADAPTER.test(text)) return text;
  if (adapter.isFallbackAdapter || info.isFallbackAdapter) return text || "fallback adapter";
  return undefined;
}

async function installNavigatorGpu(): Promise<{ gpu: GpuLike; adapter: GpuAdapterLike }> {
  // Dawn's warnings on a machine without a GPU go to fd 2, not through Node: ask a child process first.
  const probe = await probeWebGpuAdapter();
  if (!probe.ok) throw new Error(probe.reason);
  const probedSoftware = softwareAdapterName({ info: probe.adapter, isFallbackAdapter: probe.adapter.isFallbackAdapter });
  if (probedSoftware && process.env.LABNOTE_BACKEND !== "webgpu") {
    throw new Error(`only a software WebGPU adapter (${probedSoftware}), slower than wasm; set LABNOTE_BACKEND=webgpu to use it anyway`);
  }
  let dawn: DawnModule;
  try {
    const specifier: string = "webgpu";
    dawn = (await import(specifier)) as DawnModule;
  } catch (error) {
    throw new Error(`the webgpu package (Dawn) did not load: ${errorText(error)}`);
  }
  // tfjs-backend-webgpu checks `instanceof GPUBuffer` and reads GPUBufferUsage etc. from the global scope.
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  }
  // The device tfjs creates gets `subgroups` too when offered (labnote's subgroup matmul, wide-matmul.ts).
  // LABNOTE_DAWN_FLAGS (space-separated Dawn flags, e.g. "backend=null" for Dawn's null backend) is for development:
  // the same flags go to the probe, so the whole rung can be exercised without a GPU.
  const gpu = withSubgroups(dawn.create(dawnFlags()), () => ["auto", "subgroup"].includes(matmulChoice()));
  const adapter = await withTimeout(gpu.requestAdapter({ powerPreference: "high-performance" }), ADAPTER_TIMEOUT_MS, "navigator.gpu.requestAdapter");
  if (!adapter) throw new Error("no WebGPU adapter (no GPU, or no Vulkan driver: libvulkan1 and the vendor's ICD)");
  const software = softwareAdapterName(adapter);
  if (software && process.env.LABNOTE_BACKEND !== "webgpu") {
    throw new Error(`only a software WebGPU adapter (${software}), slower than wasm; set LABNOTE_BACKEND=webgpu to use it anyway`);
  }
  const navigatorLike = (globalThis as unknown as { navigator?: Record<string, unknown> }).navigator;
  if (navigatorLike && typeof navigatorLike === "object") {
    Object.defineProperty(navigatorLike, "gpu", { value: gpu, configurable: true });
  } else {
    Object.defineProperty(globalThis, "navigator", { value: { gpu }, configurable: true, writable: true });
  }
  return { gpu, adapter };
}

export const webgpuRung: BackendRung = {
  backend: "webgpu",
  label: "webgpu (Dawn via the webgpu package)",
  async prepare(tf: Tf): Promise<string> {
    const { adapter } = await installNavigatorGpu();
    await import("@tensorflow/tfjs-backend-webgpu");
    if (!tf.findBackendFactory("webgpu")) throw new Error("@tensorflow/tfjs-backend-webgpu registered no backend");
    const info = adapter.info;
    const name = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(" ") : "adapter";
    return `${name || "GPU"} via Dawn`;
  },
};

/** Called once the backend is live: watch for device loss so %backend can say what happened. */
export function watchWebgpuDevice(tf: Tf): void {
  const backend = tf.findBackend("webgpu") as unknown as { device?: GpuDeviceLike } | null;
  const device = backend?.device;
  if (!device) return;
  deviceLostReason = undefined;
  void device.lost.then((info) => {
    deviceLostReason = `${info.reason ?? "unknown"}: ${info.message}`;
  });
}
