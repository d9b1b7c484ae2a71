// SHA-256 beside the parser: a parse worker copies each chunk it reads into a small ring of shared-memory slots and
// goes on parsing while its own hash thread digests the ring, so hashing overlaps parsing instead of adding to it.
// The bytes are still those the parser read (one read of the file); the ring (4 × 1 MB) bounds the memory.
// Both functions are self-contained: they run as source text inside worker threads (see block-sources.ts).
import type * as WorkerThreads from "node:worker_threads";
import type * as CryptoModule from "node:crypto";
import type { StreamingHasher } from "./parse-runtime.js";

// Shared control words (Int32): [0] chunks written (head), [1] chunks hashed (tail), [2] digests done, [3] stop;
// [8 + slot] the length of each slot's chunk (-1: end of file, digest now; -2: a new file starts). The digest's 32
// bytes follow the lengths.

/** The hash thread's loop (runs with workerData = { control, data, slots, slotBytes }). */
export function hashThreadMain(workerThreads: typeof WorkerThreads, crypto: typeof CryptoModule): void {
  const { control, data, slots, slotBytes } = workerThreads.workerData as { control: SharedArrayBuffer; data: SharedArrayBuffer; slots: number; slotBytes: number };
  const words = new Int32Array(control);
  const bytes = new Uint8Array(data);
  const digestBytes = new Uint8Array(control, (8 + slots) * 4, 32);
  let hash = crypto.createHash("sha256");
  let tail = 0;
  for (;;) {
    let head = Atomics.load(words, 0);
    while (head === tail) {
      if (Atomics.load(words, 3) === 1) return;
      Atomics.wait(words, 0, head, 1000);
      head = Atomics.load(words, 0);
    }
    const slot = tail % slots;
    const length = Atomics.load(words, 8 + slot);
    if (length >= 0) hash.update(bytes.subarray(slot * slotBytes, slot * slotBytes + length));
    else if (length === -1) {
      digestBytes.set(hash.digest());
      hash = crypto.createHash("sha256");
      Atomics.add(words, 2, 1);
      Atomics.notify(words, 2);
    } else hash = crypto.createHash("sha256"); // -2: a new file starts (a file abandoned half-read leaves nothing behind)
    tail++;
    Atomics.store(words, 1, tail);
    Atomics.notify(words, 1);
  }
}

/** In a parse worker: starts its hash thread and returns a factory of hashers that feed it. */
export function offThreadHasherFactory(workerThreads: typeof WorkerThreads, threadSource: string, slots: number, slotBytes: number): () => StreamingHasher {
  const control = new SharedArrayBuffer((8 + slots) * 4 + 32);
  const data = new SharedArrayBuffer(slots * slotBytes);
  const words = new Int32Array(control);
  const bytes = new Uint8Array(data);
  const digestBytes = new Uint8Array(control, (8 + slots) * 4, 32);
  const thread = new workerThreads.Worker(threadSource, { eval: true, workerData: { control, data, slots, slotBytes } });
  thread.unref();
  let head = 0;
  let digests = 0;
  const push = (length: number, source?: Uint8Array): void => {
    // Wait for a free slot: the ring is full when the hash thread is `slots` chunks behind.
    for (let tail = Atomics.load(words, 1); head - tail >= slots; tail = Atomics.load(words, 1)) Atomics.wait(words, 1, tail, 1000);
    const slot = head % slots;
    if (source) bytes.set(source, slot * slotBytes);
    Atomics.store(words, 8 + slot, length);
    head++;
    Atomics.store(words, 0, head);
    Atomics.notify(words, 0);
  };
  return () => {
    push(-2);
    return {
      update(chunk: Uint8Array) {
        for (let offset = 0; offset < chunk.length; offset += slotBytes) {
          const piece = chunk.subarray(offset, Math.min(chunk.length, offset + slotBytes));
          push(piece.length, piece);
        }
      },
      digest() {
        push(-1);
        digests++;
        for (let seen = Atomics.load(words, 2); seen < digests; seen = Atomics.load(words, 2)) Atomics.wait(words, 2, seen, 1000);
        let hex = "";
        for (const byte of digestBytes) hex += byte.toString(16).padStart(2, "0");
        return hex;
      },
    };
  };
}
