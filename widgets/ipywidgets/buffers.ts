// Binary buffers in widget state (ipywidgets protocol 2.x): binary values travel as message buffers, and the
// JSON state carries `buffer_paths` saying where each buffer goes back in.
import type { JSONObject, JSONValue } from "../../kernel/types.js";

export type BufferPath = (string | number)[];
/** Widget state as the kernel holds it: JSON plus binary values anywhere in the tree. */
export type StateValue = JSONValue | ArrayBuffer | ArrayBufferView | StateValue[] | { [key: string]: StateValue };
export type WidgetState = { [key: string]: StateValue };

function asBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  return undefined;
}

/** Splits binary values out of `state`: the JSON left behind, where each buffer was, and the buffers in that order. */
export function removeBuffers(state: { [key: string]: StateValue }): { state: JSONObject; bufferPaths: BufferPath[]; buffers: Uint8Array[] } {
  const bufferPaths: BufferPath[] = [];
  const buffers: Uint8Array[] = [];
  const walk = (value: StateValue, path: BufferPath): JSONValue | undefined => {
    const bytes = asBytes(value);
    if (bytes) {
      bufferPaths.push(path);
      buffers.push(bytes);
      return undefined;
    }
    if (Array.isArray(value)) return value.map((item, index) => walk(item, [...path, index]) ?? null);
    if (value !== null && typeof value === "object") {
      const out: JSONObject = {};
      for (const [key, item] of Object.entries(value as { [key: string]: StateValue })) {
        const kept = walk(item, [...path, key]);
        if (kept !== undefined) out[key] = kept;
      }
      return out;
    }
    return value as JSONValue;
  };
  return { state: walk(state, []) as JSONObject, bufferPaths, buffers };
}

/** Puts received buffers back into `state` at `bufferPaths` (the frontend → kernel direction). */
export function putBuffers(state: JSONObject, bufferPaths: BufferPath[], buffers: Uint8Array[]): WidgetState {
  const result = structuredClone(state) as WidgetState;
  bufferPaths.forEach((path, index) => {
    const buffer = buffers[index];
    if (buffer === undefined || path.length === 0) return;
    let target: StateValue = result;
    for (const key of path.slice(0, -1)) {
      const next: StateValue | undefined = (target as Record<string | number, StateValue>)[key];
      if (next === undefined || next === null || typeof next !== "object") return;
      target = next;
    }
    (target as Record<string | number, StateValue>)[path[path.length - 1] as string | number] = buffer;
  });
  return result;
}

export function isBufferPathList(value: unknown): value is BufferPath[] {
  return Array.isArray(value) && value.every((path) => Array.isArray(path) && path.every((key) => typeof key === "string" || typeof key === "number"));
}
