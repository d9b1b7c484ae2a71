// The backend ladder: try each rung in order, keep the first that initialises and multiplies correctly.
// Nothing here runs until loadTf() is first called, so a notebook that never touches `tf` pays nothing.
import { cpuRung } from "./backends/cpu.js";
import { tensorflowCpuRung, tensorflowGpuRung } from "./backends/tensorflow.js";
import type { BackendName, BackendRung, Tf } from "./backends/types.js";
import { BACKEND_NAMES, errorText, withTimeout } from "./backends/types.js";
import { wasmRung } from "./backends/wasm.js";
import { installFitFastPath } from "./fit-fast-path.js";
import { ALL_SPEEDUPS, NO_SPEEDUPS, checkTiledMatmul, enableWideMatmul, matmulChoice, setWebGpuSpeedups } from "./webgpu/index.js";
import type { WebGpuSpeedups, WideVariant } from "./webgpu/index.js";
import { fastestRoute, timeMatmulRoutes } from "./webgpu/matmul-timing.js";
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

/** Largest relative error of the tiled matmul against tfjs's own that still counts as correct (fp32 sums). */
const TILED_MATMUL_TOLERANCE = 1e-4;

/** The speed-ups the webgpu backend runs with unless a bench variant changes them (set at backend start). */
let webgpuDefaults: WebGpuSpeedups = NO_SPEEDUPS;
export function defaultWebGpuSpeedups(): WebGpuSpeedups {
  return webgpuDefaults;
}

/**
 * Our fixes for tfjs-webgpu (training/webgpu), measured wins on an H100: uniform arena, submit batching, explicit
 * transpose of B, and the 128×128 tiled matmul when its self-check against tfjs's matmul passes on this GPU; then the
 * 64×256 matmul for large layers (with subgroups where the device has them, and without), each kept only if its
 * self-check passes, and in auto mode only if it is faster than the tiled path when timed here
 * (LABNOTE_WEBGPU_MATMUL: auto, subgroup, shared, tiled, tfjs). Everything is kept only if the matmul check still
 * passes with it on.
 */
async function enableWebGpuSpeedups(tf: Tf): Promise<string> {
  webgpuDefaults = NO_SPEEDUPS;
  if (process.env.LABNOTE_WEBGPU_SPEEDUPS === "0") return "; labnote speed-ups off (LABNOTE_WEBGPU_SPEEDUPS=0)";
  const choice = matmulChoice();
  let tiled = false;
  let tiledNote: string;
  // Installs the matmul wrapper first: the self-checks compare labnote's shaders through it with tfjs's own.
  setWebGpuSpeedups(tf, { ...ALL_SPEEDUPS, explicitTransposes: { a: false, b: true } });
  if (choice === "tfjs") {
    tiledNote = "matmuls on tfjs's own kernels (LABNOTE_WEBGPU_MATMUL=tfjs)";
  } else {
    try {
      const error = await withTimeout(checkTiledMatmul(tf), INIT_TIMEOUT_MS, "tiled matmul self-check");
      tiled = Number.isFinite(error) && error < TILED_MATMUL_TOLERANCE;
      tiledNote = tiled ? `tiled matmul (self-check error ${error.toExponential(1)})` : `tiled matmul off: self-check error ${error.toExponential(1)} > ${TILED_MATMUL_TOLERANCE}`;
    } catch (error) {
      tiledNote = `tiled matmul off: self-check failed (${errorText(error)})`;
    }
  }
  let wide: WideVariant | undefined;
  if (choice === "tiled") tiledNote += "; 64×256 matmul off (LABNOTE_WEBGPU_MATMUL=tiled)";
  else if (choice !== "tfjs") {
    // auto: both 64×256 variants are self-checked (subgroup only where the device has subgroups), then the passing
    // ones and the tiled path are timed on 2048³ products and the fastest takes large matmuls.
    const variants: WideVariant[] = choice === "auto" ? ["subgroup", "shared"] : [choice];
    const passed: WideVariant[] = [];
    for (const variant of variants) {
      try {
        const result = await withTimeout(enableWideMatmul(tf, variant), INIT_TIMEOUT_MS, `${variant} matmul self-check`);
        if (result.on) passed.push(variant);
        tiledNote += `; ${result.note}`;
      } catch (error) {
        tiledNote += `; ${variant} matmul off: ${errorText(error)}`;
      }
    }
    if (choice !== "auto" || passed.length === 0) wide = passed[0];
    else {
      const label = (route: WideVariant | undefined) => (route ? `${route} 64×256` : tiled ? "tiled 128×128" : "tfjs");
      try {
        const apply = (route: WideVariant | undefined) => setWebGpuSpeedups(tf, { ...ALL_SPEEDUPS, explicitTransposes: { a: false, b: true, tiled, wide: route } });
        const timed = await withTimeout(timeMatmulRoutes<WideVariant | undefined>(tf, [undefined, ...passed], apply), INIT_TIMEOUT_MS, "matmul timing");
        wide = fastestRoute(timed)?.route;
        const times = timed.map((entry) => `${label(entry.route)} ${Number.isFinite(entry.seconds) ? `${(entry.seconds * 1000).toFixed(2)} ms` : `failed (${entry.error})`}`);
        tiledNote += `; large matmuls on ${label(wide)} (timed, 3 forms of 2048³: ${times.join(", ")})`;
      } catch (error) {
        wide = undefined;
        tiledNote += `; large matmuls on ${label(undefined)} (timing failed: ${errorText(error)})`;
      }
    }
  }
  const wanted: WebGpuSpeedups = { ...ALL_SPEEDUPS, explicitTransposes: { a: false, b: true, tiled, wide } };
  setWebGpuSpeedups(tf, wanted);
  try {
    await withTimeout(matmulCheck(tf), INIT_TIMEOUT_MS, "webgpu matmul check with speed-ups");
    webgpuDefaults = wanted;
    return `; labnote speed-ups on (uniform arena, submit batching, transposed B, ${tiledNote}; trainLoop and model.fit: fused Adam + step capture)`;
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
  // model.fit takes trainLoop's step (fused Adam + step capture) when on webgpu and the call qualifies.
  installFitFastPath(tf);
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
