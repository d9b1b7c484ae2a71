// tfjs-backend-wasm 4.22's Slice reads the whole input back (readSync copies every byte off the heap) before it
// copies the slice: measured here, a 256-row batch of a 2,048×784 tensor cost as much as a matmul of the step, and
// trainLoop slices every batch so. We re-register Slice to copy the slice's rows on the heap with copyWithin when
// the slice is contiguous or a rank-2 block; other slices and string tensors keep tfjs's kernel.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./types.js";
import type { WasmBackendInternals } from "./wasm-internals.js";

type KernelConfig = tfTypes.KernelConfig;
type TensorInfo = tfTypes.TensorInfo;
const PATCHED = Symbol.for("labnote.wasmHeapSlice");


const BYTES: Partial<Record<string, number>> = { float32: 4, int32: 4, bool: 1 };

function sliceOnHeap(tf: Tf, backend: WasmBackendInternals, x: TensorInfo, begin: number | number[], size: number | number[]): TensorInfo | undefined {
  const bytes = BYTES[x.dtype];
  if (bytes === undefined) return undefined;
  const [start, extent] = tf.slice_util.parseSliceParams(x as tfTypes.Tensor, begin, size);
  const contiguous = tf.slice_util.isSliceContinous(x.shape, start, extent);
  if (!contiguous && x.shape.length !== 2) return undefined;
  const out = backend.makeOutput(extent, x.dtype);
  const count = extent.reduce((total, value) => total * value, 1);
  if (count === 0) return out;
  // The heap after makeOutput: its allocation may have grown (replaced) the buffer.
  const heap = backend.wasm.HEAPU8;
  const from = backend.dataIdMap.get(x.dataId)!.memoryOffset;
  const to = backend.dataIdMap.get(out.dataId)!.memoryOffset;
  if (contiguous) {
    const offset = tf.slice_util.computeFlatOffset(start, tf.util.computeStrides(x.shape)) * bytes;
    heap.copyWithin(to, from + offset, from + offset + count * bytes);
    return out;
  }
  const [rowStart, columnStart] = start as [number, number];
  const [rows, columns] = extent as [number, number];
  const rowBytes = x.shape[1]! * bytes;
  for (let row = 0; row < rows; row++) {
    const source = from + (rowStart + row) * rowBytes + columnStart * bytes;
    heap.copyWithin(to + row * columns * bytes, source, source + columns * bytes);
  }
  return out;
}

/** Re-registers wasm's Slice with the heap copy; false when there is no wasm Slice to replace. */
export function patchWasmHeapSlice(tf: Tf): boolean {
  const original = tf.getKernel("Slice", "wasm") as (KernelConfig & { [PATCHED]?: true }) | undefined;
  if (!original) return false;
  if (original[PATCHED]) return true;
  const kernelFunc: KernelConfig["kernelFunc"] = (args) => {
    const { begin, size } = (args.attrs ?? {}) as { begin: number | number[]; size: number | number[] };
    const out = sliceOnHeap(tf, args.backend as unknown as WasmBackendInternals, (args.inputs as { x: TensorInfo }).x, begin, size);
    return out ?? original.kernelFunc(args);
  };
  tf.unregisterKernel("Slice", "wasm");
  tf.registerKernel({ ...original, kernelFunc, [PATCHED]: true } as KernelConfig);
  return true;
}
