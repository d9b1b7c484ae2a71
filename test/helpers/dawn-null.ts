// tfjs-backend-webgpu on Dawn's null backend (shaders compile, API calls are validated, nothing is computed), as the
// webgpu unit tests set it up: Dawn's globals, `navigator.gpu`, the backend, and the device's validation errors
// collected in `errors`.
import * as tf from "@tensorflow/tfjs";

export interface DawnErrorDevice {
  onuncapturederror: ((event: { error: { message: string } }) => void) | null;
}

/** Resolves after Dawn has had time to report what the calls before it did wrong. */
export const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

/**
 * Makes webgpu on Dawn's null backend tfjs's backend. `wrapGpu` may wrap `navigator.gpu` first (as the webgpu rung
 * does). Errors the device reports land in `errors`; `detach()` stops collecting.
 */
export async function startDawnNullWebgpu<D = object>(wrapGpu: (gpu: never) => unknown = (gpu) => gpu): Promise<{ device: D & DawnErrorDevice; errors: string[]; detach(): void }> {
  process.env.XDG_RUNTIME_DIR ??= "/tmp";
  const dawn = (await import("webgpu" as string)) as { create(flags: string[]): never; globals: Record<string, unknown> };
  for (const [name, value] of Object.entries(dawn.globals)) if (!(name in globalThis)) (globalThis as Record<string, unknown>)[name] = value;
  Object.defineProperty(globalThis, "navigator", { value: { gpu: wrapGpu(dawn.create(["backend=null"])) }, configurable: true, writable: true });
  await import("@tensorflow/tfjs-backend-webgpu");
  if (!(await tf.setBackend("webgpu"))) throw new Error("tfjs-backend-webgpu did not start on Dawn's null backend");
  const device = (tf.backend() as unknown as { device: D & DawnErrorDevice }).device;
  const errors: string[] = [];
  device.onuncapturederror = (event) => errors.push(event.error.message);
  return { device, errors, detach: () => (device.onuncapturederror = null) };
}
