// tfjs-backend-webgpu asks Dawn for a device with only `timestamp-query` (and bgra8unorm-storage); WGSL that says
// `enable subgroups;` then fails to compile. withSubgroups wraps navigator.gpu so the device tfjs creates also has
// `subgroups` when the adapter offers it (unless LABNOTE_WEBGPU_MATMUL rules the subgroup kernel out), and keeps what
// the adapter says about its subgroups for %backend and the bench.
import type { GpuLike } from "./gpu-types.js";

export interface SubgroupInfo {
  /** The adapter offers the `subgroups` feature. */
  offered: boolean;
  /** labnote added `subgroups` to the device tfjs requested. */
  requested: boolean;
  minSize?: number;
  maxSize?: number;
  /** The adapter's subgroup-matrix configurations (chromium-experimental-subgroup-matrix), as text; [] when none. */
  matrixConfigs: string[];
}

let info: SubgroupInfo = { offered: false, requested: false, matrixConfigs: [] };
export function adapterSubgroupInfo(): SubgroupInfo {
  return info;
}
/** For tests: what a device with the given subgroup sizes would report. */
export function setAdapterSubgroupInfo(next: SubgroupInfo): void {
  info = next;
}

interface AdapterLike {
  features: { has(name: string): boolean };
  info?: { subgroupMinSize?: number; subgroupMaxSize?: number; subgroupMatrixConfigs?: unknown[] };
  requestDevice(descriptor?: { requiredFeatures?: unknown[] }): Promise<unknown>;
}

function describeConfig(config: unknown): string {
  const c = config as Record<string, unknown>;
  return `${String(c.componentType)}→${String(c.resultComponentType)} ${String(c.M)}×${String(c.N)}×${String(c.K)}`;
}

/** Proxies that call through to Dawn's objects, binding methods to the real object (native getters need it). */
function forward<T extends object>(target: T, overrides: Record<string | symbol, unknown>): T {
  return new Proxy(target, {
    get(object, property) {
      if (property in overrides) return overrides[property];
      const value = Reflect.get(object, property, object) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(object) : value;
    },
  });
}

/** navigator.gpu whose adapters create devices with `subgroups` when offered and `wanted()` says so. */
export function withSubgroups(gpu: GpuLike, wanted: () => boolean): GpuLike {
  const requestAdapter = async (options?: { powerPreference?: string }) => {
    const adapter = (await gpu.requestAdapter(options)) as unknown as AdapterLike | null;
    if (!adapter) return null;
    const offered = adapter.features.has("subgroups");
    const details = adapter.info ?? {};
    info = {
      offered,
      requested: false,
      minSize: details.subgroupMinSize,
      maxSize: details.subgroupMaxSize,
      matrixConfigs: Array.from(details.subgroupMatrixConfigs ?? [], describeConfig),
    };
    const requestDevice = (descriptor: { requiredFeatures?: unknown[] } = {}) => {
      if (!offered || !wanted()) return adapter.requestDevice(descriptor);
      const features = [...(descriptor.requiredFeatures ?? [])];
      if (!features.includes("subgroups")) features.push("subgroups");
      info = { ...info, requested: true };
      return adapter.requestDevice({ ...descriptor, requiredFeatures: features });
    };
    return forward(adapter as unknown as object, { requestDevice });
  };
  return forward(gpu as unknown as object, { requestAdapter }) as GpuLike;
}
