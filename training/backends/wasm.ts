// WASM rung: @tensorflow/tfjs-backend-wasm with its .wasm files read from node_modules (or beside a bundle).
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { BackendRung, Tf } from "./types.js";
import { patchWasmRowGather } from "./wasm-gather.js";
import { patchWasmHeapSlice } from "./wasm-slice.js";
import { patchWasmTransposedMatmul } from "./wasm-matmul.js";

const WASM_FILES = ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"];

/** The folder holding the .wasm files: LABNOTE_WASM_DIR (set by the GPU bundle), else the package's dist/. */
export function wasmDirectory(): string {
  const fromEnv = process.env.LABNOTE_WASM_DIR;
  if (fromEnv) return fromEnv;
  const require = createRequire(import.meta.url);
  return dirname(require.resolve("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm"));
}

export const wasmRung: BackendRung = {
  backend: "wasm",
  label: "wasm (@tensorflow/tfjs-backend-wasm)",
  async prepare(tf: Tf): Promise<string> {
    const directory = wasmDirectory();
    const missing = WASM_FILES.filter((file) => !existsSync(join(directory, file)));
    if (missing.length === WASM_FILES.length) throw new Error(`no .wasm files in ${directory}`);
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    if (!tf.findBackendFactory("wasm")) {
      // The node bundle of tfjs-backend-wasm registers itself on import; setWasmPaths must come before init.
      throw new Error("@tensorflow/tfjs-backend-wasm registered no backend (a second copy of tfjs-core?)");
    }
    wasm.setWasmPaths(directory.endsWith("/") ? directory : `${directory}/`);
    const [simd, threads] = await Promise.all([
      tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"),
      tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT"),
    ]);
    const fastTranspose = patchWasmTransposedMatmul(tf) ? ", transposed matmuls via explicit transpose" : "";
    const fastGather = patchWasmRowGather(tf) ? ", gather by slice copy" : "";
    const fastSlice = patchWasmHeapSlice(tf) ? ", slice on the heap" : "";
    return `${simd ? "SIMD" : "no SIMD"}, ${threads ? "threads" : "1 thread (Node has no wasm threads here)"}${fastTranspose}${fastGather}${fastSlice}`;
  },
};
