// The parts of tfjs-backend-wasm 4.22's BackendWasm that labnote's re-registered kernels (wasm-gather.ts,
// wasm-slice.ts) use: its heap, where each tensor lives on it, and how it makes an output tensor.
import type * as tfTypes from "@tensorflow/tfjs";

export interface WasmBackendInternals {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  readSync(dataId: object): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tfTypes.DataType): tfTypes.TensorInfo;
}
