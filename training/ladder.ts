// The backend ladder: try each rung in order, keep the first that initialises and multiplies correctly.
// Nothing here runs until loadTf() is first called, so a notebook that never touches `tf` pays nothing.
import { cpuRung } from "./backends/cpu.js";
import { tensorflowCpuRung, tensorflowGpuRung } from "./backends/tensorflow.js";
import type { BackendName, BackendRung, Tf } from "./backends/types.js";
import { BACKEND_NAMES, errorText, withTimeout } from "./backends/types.js";
import { wasmRung } from "./backends/wasm.js";
import { ALL_SPEEDUPS, NO_SPEEDUPS, setWebGpuSpeedups } from "./webgpu/index.js";
import { watchWebgpuDevice, webgpuDeviceLost, webgpuRung } from "./backends/webgpu.js";

export interface SkippedBackend {
  name: string;
  why: string;
}

export interface BackendInfo {
  /** The tfjs backend name in use: tensorflow, webgpu, wasm or cpu. */
  name: string;
  /** One line: which backend and why the ones above it were skipped. */
  reason: string;
  skipped: SkippedBackend[];
  /** Set when the backend broke after it was chosen (e.g. the GPU device was lost). */
  failure?: string;
}

/** The order of preference (PRODUCT.md): CUDA, WebGPU, libtensorflow CPU, WASM, pure JS. */
export const LADDER: readonly BackendRung[] = [tensorflowGpuRung, webgpuRung, tensorflowCpuRung, wasmRung, cpuRung];

const INIT_TIMEOUT_MS = 30_000;

let tfPromise: Promise<Tf> | undefined;
let info: BackendInfo | undefined;

/** Multiplies a small matrix with known result; a backend that gets it wrong is not used. */
export async function matmulCheck(tf: Tf): Promise<void> {
  const a = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
  const b = tf.tensor2d([7, 8, 9, 10, 11, 12], [3, 2]);
  const product = tf.matMul(a, b);
  try {
    const values = Array.from(await product.data());
    const expected = [58, 64, 139, 154];
    if (values.some((value, index) => Math.abs(value - expected[index]!) > 1e-3)) {
      throw new Error(`matmul check gave [${values.join(", ")}], expected [${expected.join(", ")}]`);
    }
  } finally {
    tf.dispose([a, b, product]);
  }
}

/** Makes `rung` the active backend: import, register, initialise, check. Throws with the reason. */
async function activate(tf: Tf, rung: BackendRung): Promise<string> {
  const detail = await withTimeout(rung.prepare(tf), INIT_TIMEOUT_MS, `${rung.backend} set-up`);
  const ok = await withTimeout(tf.setBackend(rung.backend), INIT_TIMEOUT_MS, `${rung.backend} initialisation`);
  if (!ok) throw new Error(`${rung.backend} failed to initialise`);
  await tf.ready();
  // The pure-JS backend prints a "install tfjs-node" banner on first use; %backend already says why it was chosen.
  if (rung.backend === "cpu") Object.assign(tf.backend(), { firstUse: false });
  await withTimeout(matmulCheck(tf), INIT_TIMEOUT_MS, `${rung.backend} matmul check`);
  if (rung.backend === "webgpu") {
    watchWebgpuDevice(tf);
    return `${detail}${await enableWebGpuSpeedups(tf)}`;
  }
  return detail;
}

/** Our per-op overhead fixes (training/webgpu), kept only if the matmul check still passes with them on. */
async function enableWebGpuSpeedups(tf: Tf): Promise<string> {
  if (process.env.LABNOTE_WEBGPU_SPEEDUPS === "0") return "; labnote speed-ups off (LABNOTE_WEBGPU_SPEEDUPS=0)";
  setWebGpuSpeedups(tf, ALL_SPEEDUPS);
  try {
    await withTimeout(matmulCheck(tf), INIT_TIMEOUT_MS, "webgpu matmul check with speed-ups");
    return "; labnote speed-ups on (uniform arena, submit batching)";
  } catch (error) {
    setWebGpuSpeedups(tf, NO_SPEEDUPS);
    return `; labnote speed-ups off (${errorText(error)})`;
  }
}

function describe(name: string, label: string, detail: string, skipped: SkippedBackend[]): string {
  const chosen = `${label}: ${detail}`;
  if (skipped.length === 0) return `tfjs backend ${name} — ${chosen}`;
  return `tfjs backend ${name} — ${chosen}; skipped ${skipped.map((s) => `${s.name} (${s.why})`).join("; ")}`;
}

function requestedRungs(): readonly BackendRung[] {
  const wanted = process.env.LABNOTE_BACKEND;
  if (!wanted) return LADDER;
  const rungs = LADDER.filter((rung) => rung.backend === wanted);
  return rungs.length > 0 ? rungs : LADDER;
}

async function climb(): Promise<Tf> {
  const tf = await import("@tensorflow/tfjs");
  // tfjs otherwise tries WebGL first in Node and prints noise; the ladder decides.
  tf.env().set("IS_BROWSER", false);
  const skipped: SkippedBackend[] = [];
  for (const rung of requestedRungs()) {
    try {
      const detail = await activate(tf, rung);
      info = { name: rung.backend, reason: describe(rung.backend, rung.label, detail, skipped), skipped };
      return tf;
    } catch (error) {
      skipped.push({ name: rung.label, why: errorText(error) });
    }
  }
  throw new Error(`no TensorFlow.js backend works here: ${skipped.map((s) => `${s.name}: ${s.why}`).join("; ")}`);
}

/** TensorFlow.js on the best backend that works here (memoised). */
export function loadTf(): Promise<Tf> {
  tfPromise ??= climb().catch((error: unknown) => {
    tfPromise = undefined;
    throw error;
  });
  return tfPromise;
}

/** The backend in use and why; undefined until loadTf() has finished. */
export function backendInfo(): BackendInfo | undefined {
  if (!info) return undefined;
  const lost = info.name === "webgpu" ? webgpuDeviceLost() : undefined;
  const failure = info.failure ?? (lost ? `GPU device lost (${lost})` : undefined);
  return failure ? { ...info, failure } : { ...info };
}

/** Records that the active backend broke (trainLoop calls this), so %backend can say so. */
export function markBackendFailed(reason: string): void {
  if (info) info = { ...info, failure: reason };
}

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/**
 * Switches to `name` (tensorflow, webgpu, wasm, cpu). On failure the previous backend stays active and the error
 * says why and which backends to try. Tensors made on the old backend move over when next used.
 */
export async function switchBackend(name: BackendName): Promise<BackendInfo> {
  const tf = await loadTf();
  const previous = tf.getBackend();
  const reasons: string[] = [];
  for (const rung of LADDER.filter((candidate) => candidate.backend === name)) {
    try {
      const detail = await activate(tf, rung);
      info = { name, reason: describe(name, rung.label, detail, []), skipped: [] };
      return { ...info };
    } catch (error) {
      reasons.push(`${rung.label}: ${errorText(error)}`);
    }
  }
  if (previous && previous !== tf.getBackend()) await tf.setBackend(previous).catch(() => false);
  const others = BACKEND_NAMES.filter((other) => other !== name).join(", ");
  throw new Error(`cannot switch to ${name}: ${reasons.join("; ")}. Still on ${tf.getBackend()}; try one of ${others}.`);
}

/** For tests: forget the loaded state so the ladder runs again. */
export function resetLadderForTests(): void {
  tfPromise = undefined;
  info = undefined;
}
