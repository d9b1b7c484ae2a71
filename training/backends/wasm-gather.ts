// tfjs-backend-wasm 4.22 gathers element by element in C++ with per-element stride arithmetic: measured here, 256
// rows of a 2,048×784 float32 tensor took 11.9 ms (a third of a 784-256-10 training step), and model.fit gathers
// every batch by index. A gather copies whole contiguous slices, so we re-register GatherV2 to copy each selected
// slice with one copyWithin on the wasm heap. batchDims ≠ 0 and dtypes outside the heap keep tfjs's kernel.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "./types.js";
import type { WasmBackendInternals } from "./wasm-internals.js";

type KernelConfig = tfTypes.KernelConfig;
type TensorInfo = tfTypes.TensorInfo;
const PATCHED = Symbol.for("labnote.wasmRowGather");


const HEAP_VIEWS = {
  float32: Float32Array,
  int32: Int32Array,
  bool: Uint8Array,
} as const;

type HeapView = Float32Array | Int32Array | Uint8Array;
function heapView(View: (typeof HEAP_VIEWS)[keyof typeof HEAP_VIEWS], buffer: ArrayBufferLike): HeapView {
  return new (View as Float32ArrayConstructor)(buffer as ArrayBuffer) as HeapView;
}

function product(values: readonly number[]): number {
  return values.reduce((total, value) => total * value, 1);
}

/** Copies slices of x chosen by `indices` along `axis`; returns undefined when the original kernel should run. */
function gatherSlices(backend: WasmBackendInternals, x: TensorInfo, indices: TensorInfo, axisAttribute: number, batchDims: number): TensorInfo | undefined {
  const View = HEAP_VIEWS[x.dtype as keyof typeof HEAP_VIEWS];
  if (!View || batchDims !== 0) return undefined;
  const axis = axisAttribute < 0 ? axisAttribute + x.shape.length : axisAttribute;
  if (axis < 0 || axis >= x.shape.length) return undefined; // tfjs's kernel words the error
  const dimension = x.shape[axis]!;
  const chosen = backend.readSync(indices.dataId);
  for (let i = 0; i < chosen.length; i++) {
    const index = chosen[i]!;
    if (!(index >= 0 && index <= dimension - 1)) throw new Error(`GatherV2: the index value ${index} is not in [0, ${dimension - 1}]`);
  }
  const outer = product(x.shape.slice(0, axis));
  const slice = product(x.shape.slice(axis + 1));
  const out = backend.makeOutput([...x.shape.slice(0, axis), ...indices.shape, ...x.shape.slice(axis + 1)], x.dtype);
  const count = chosen.length;
  if (outer * count * slice === 0) return out;
  // Views after makeOutput: its allocation may grow (and so replace) the heap's buffer.
  const heap = heapView(View, backend.wasm.HEAPU8.buffer);
  const from = backend.dataIdMap.get(x.dataId)!.memoryOffset / View.BYTES_PER_ELEMENT;
  const to = backend.dataIdMap.get(out.dataId)!.memoryOffset / View.BYTES_PER_ELEMENT;
  for (let o = 0; o < outer; o++) {
    const source = from + o * dimension * slice;
    const target = to + o * count * slice;
    for (let i = 0; i < count; i++) {
      const start = source + chosen[i]! * slice;
      heap.copyWithin(target + i * slice, start, start + slice);
    }
  }
  return out;
}

type GatherConfig = KernelConfig & { [PATCHED]?: KernelConfig };

/** Re-registers wasm's GatherV2 with the slice copy; false when there is no wasm GatherV2 to replace. */
export function patchWasmRowGather(tf: Tf): boolean {
  const original = tf.getKernel("GatherV2", "wasm") as GatherConfig | undefined;
  if (!original) return false;
  if (original[PATCHED]) return true;
  const kernelFunc: KernelConfig["kernelFunc"] = (args) => {
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = (args.attrs ?? {}) as { axis?: number; batchDims?: number };
    const out = gatherSlices(args.backend as unknown as WasmBackendInternals, x, indices, axis ?? 0, batchDims ?? 0);
    return out ?? original.kernelFunc(args);
  };
  tf.unregisterKernel("GatherV2", "wasm");
  tf.registerKernel({ ...original, kernelFunc, [PATCHED]: original } as KernelConfig);
  return true;
}

/** For before/after benchmarks: puts tfjs's own wasm GatherV2 back (patchWasmRowGather installs ours again). */
export function unpatchWasmRowGather(tf: Tf): void {
  const current = tf.getKernel("GatherV2", "wasm") as GatherConfig | undefined;
  const original = current?.[PATCHED];
  if (!original) return;
  tf.unregisterKernel("GatherV2", "wasm");
  tf.registerKernel(original);
}
