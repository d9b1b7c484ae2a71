// One rung of the backend ladder: how to make one TensorFlow.js backend available in this process.
export type Tf = typeof import("@tensorflow/tfjs");

/** The tfjs backend names a user can ask for with `%backend NAME`. */
export const BACKEND_NAMES = ["tensorflow", "webgpu", "wasm", "cpu"] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface BackendRung {
  /** The tfjs backend name this rung registers. */
  readonly backend: BackendName;
  /** What the user sees in `%backend`, e.g. "tensorflow (@tensorflow/tfjs-node-gpu, CUDA)". */
  readonly label: string;
  /**
   * Imports and registers the backend. Resolves to a short detail ("NVIDIA H100 via Vulkan", "SIMD, 1 thread");
   * throws an Error whose message says, in a few words, why it cannot work here.
   */
  prepare(tf: Tf): Promise<string>;
}

/** Rejects after `ms` so a probe that hangs (a GPU driver that never answers) cannot stall the kernel. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export function errorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!.trim();
}
