// How much memory a run's tensors may take before allocation fails, so the monitor can warn before an out-of-memory
// error: LABNOTE_MEMORY_LIMIT when set, else what the tfjs backend can address, and the GPU's total from nvidia-smi.
import { execFile } from "node:child_process";
import { totalmem } from "node:os";

export interface MemoryLimit {
  bytes: number;
  /** What the limit is, for the warning ("the wasm backend's 4 GiB address space"). */
  source: string;
}

const UNITS: Record<string, number> = { "": 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30 };

/** "512MB", "1.5GiB", "1000000" → bytes; undefined when unreadable. */
export function parseBytes(text: string): number | undefined {
  const match = /^\s*([\d.]+(?:e\d+)?)\s*([kmg]i?b|b)?\s*$/i.exec(text);
  if (!match) return undefined;
  const bytes = Number(match[1]) * UNITS[(match[2] ?? "").toLowerCase()]!;
  return Number.isFinite(bytes) && bytes > 0 ? bytes : undefined;
}

/**
 * The limit on tfjs tensor memory for `backend` (tfjs's backend name), read each time so a cell may set the variable.
 * `gpuTotalMb` (nvidia-smi) is the limit where tensors live on the GPU: webgpu/webgl, and `tensorflow` when it has one.
 */
export function tensorMemoryLimit(backend: string | undefined, env: NodeJS.ProcessEnv = process.env, gpuTotalMb?: number): MemoryLimit | undefined {
  const configured = env.LABNOTE_MEMORY_LIMIT;
  if (configured) {
    const bytes = parseBytes(configured);
    if (bytes !== undefined) return { bytes, source: `LABNOTE_MEMORY_LIMIT=${configured}` };
  }
  switch (backend) {
    case "wasm":
      return { bytes: 4 * 2 ** 30, source: "the wasm backend's 4 GiB address space" };
    case "cpu":
      return { bytes: totalmem(), source: "the machine's memory" };
    case "tensorflow":
      return gpuTotalMb !== undefined ? gpuLimit(gpuTotalMb) : { bytes: totalmem(), source: "the machine's memory" };
    default:
      return gpuTotalMb !== undefined ? gpuLimit(gpuTotalMb) : undefined; // webgpu/webgl without nvidia-smi: unknown
  }
}

function gpuLimit(totalMb: number): MemoryLimit {
  return { bytes: totalMb * 2 ** 20, source: `the GPU's ${Math.round(totalMb)} MiB (nvidia-smi)` };
}

/** tfjs's bytes in tensors and its backend name, if tfjs is loaded (never loads it). */
export function tensorMemory(): { bytes: number; backend: string | undefined } | undefined {
  const engine = (globalThis as { _tfengine?: { memory(): { numBytes: number }; backendName?: string } })._tfengine;
  if (!engine) return undefined;
  try {
    return { bytes: engine.memory().numBytes, backend: engine.backendName };
  } catch {
    return undefined;
  }
}

let gpuTotal: Promise<number | undefined> | undefined;

/** Total memory of the first GPU nvidia-smi lists, in MiB (asked once per process); undefined without nvidia-smi. */
export function gpuMemoryTotalMb(): Promise<number | undefined> {
  gpuTotal ??= new Promise((resolve) => {
    execFile("nvidia-smi", ["--query-gpu=memory.total", "--format=csv,noheader,nounits"], { timeout: 2000 }, (error, stdout) => {
      const total = error ? NaN : Number(stdout.split("\n")[0]!.trim());
      resolve(Number.isFinite(total) && total > 0 ? total : undefined);
    });
  });
  return gpuTotal;
}

/** "1.2 GB" */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${(bytes / 1e9).toFixed(1)} GB`;
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(1)} MB`;
  return `${Math.round(bytes / 1e3)} kB`;
}
