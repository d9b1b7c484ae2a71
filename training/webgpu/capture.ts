// Step capture and replay for tfjs-backend-webgpu ("CUDA graphs for tfjs"): the first step runs through tfjs
// (compiling shaders, uploading weights), the second runs through tfjs while every GPU command is recorded, and
// every later step replays that list into one command encoder: no tfjs op dispatch, no per-op allocation.
// Valid while shapes stay the same and the optimizer updates variables in place (labnote's fused Adam does).
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "../backends/types.js";
import type { GpuBufferLike, GpuBufferManagerInternals, WebGpuBackendInternals } from "./gpu-types.js";
import { flush, recordStep, replay } from "./step-recorder.js";
import type { RecordedCommand, Recording } from "./step-recorder.js";

export interface TrainStepOptions {
  /** The loss of one batch; receives the step's inputs (the tensors given to step(), else `inputs`). */
  lossFn: (...inputs: tfTypes.Tensor[]) => tfTypes.Scalar;
  /** The variables to train (default: every trainable variable the loss touches). */
  variables?: tfTypes.Variable[];
  optimizer: tfTypes.Optimizer;
  /** Default inputs (e.g. x and y of a fixed batch). */
  inputs: tfTypes.Tensor[];
}

/** Where a step also leaves its loss: element `index` of the float32 tensor `into` (so many losses are read at once). */
export interface LossSlot {
  into: tfTypes.Tensor;
  index: number;
}

export type CaptureMode = "warm-up" | "recording" | "replay" | "eager";

export interface CompiledTrainStep {
  /** warm-up (before step 1), recording (before step 2), replay, or eager (replay not possible: see `reason`). */
  readonly mode: CaptureMode;
  readonly reason: string;
  /** One optimizer step. New batches: tensors with the shapes and dtypes of the recorded inputs. */
  step(inputs?: tfTypes.Tensor[], lossSlot?: LossSlot): void;
  /**
   * In replay: one step on rows [startRow, startRow + recorded rows) of whole-data tensors, copied into the step's
   * inputs on the device (no slice ops). Returns false, doing nothing, when not replaying or the rows do not fit
   * (then slice and call step()).
   */
  stepRows(sources: tfTypes.Tensor[], startRow: number, lossSlot?: LossSlot): boolean;
  /** The loss of the latest step (one read from the device). */
  loss(): Promise<number>;
  /** The latest step's loss on the device (owned by the step, overwritten by the next replay: copy it to keep it). */
  readonly lossTensor: tfTypes.Scalar | undefined;
  dispose(): void;
}

/** Reference counts of tfjs pool buffers pinned by live captures, per buffer manager. */
interface PinTable {
  counts: Map<GpuBufferLike, number>;
  /** Pinned buffers tfjs tried to release: returned to the pool when their last pin goes. */
  held: Set<GpuBufferLike>;
  release: GpuBufferManagerInternals["releaseBuffer"];
}
const pinTables = new WeakMap<GpuBufferManagerInternals, PinTable>();

function pinTable(manager: GpuBufferManagerInternals): PinTable {
  let table = pinTables.get(manager);
  if (table) return table;
  const release = manager.releaseBuffer;
  const created: PinTable = { counts: new Map(), held: new Set(), release };
  manager.releaseBuffer = function (buffer: GpuBufferLike, reuse?: boolean) {
    if (created.counts.has(buffer)) created.held.add(buffer);
    else release.call(this, buffer, reuse);
  };
  pinTables.set(manager, created);
  return created;
}

/** Keeps `buffers` away from other tensors: out of the free pool now, and held back when tfjs releases them. */
export function pinBuffers(manager: GpuBufferManagerInternals, buffers: Iterable<GpuBufferLike>): () => void {
  const table = pinTable(manager);
  const pinned = [...buffers];
  for (const buffer of pinned) table.counts.set(buffer, (table.counts.get(buffer) ?? 0) + 1);
  for (const [key, free] of manager.freeBuffers) {
    const kept = free.filter((buffer) => !table.counts.has(buffer));
    if (kept.length === free.length) continue;
    // Already back in the pool: count it as used again, and held, so unpinning returns it the normal way.
    for (const buffer of free) {
      if (!table.counts.has(buffer)) continue;
      manager.numFreeBuffers--;
      manager.numUsedBuffers++;
      manager.numBytesUsed += buffer.size;
      if (!manager.usedBuffers.has(key)) manager.usedBuffers.set(key, []);
      manager.usedBuffers.get(key)!.push(buffer);
      table.held.add(buffer);
    }
    manager.freeBuffers.set(key, kept);
  }
  return () => {
    for (const buffer of pinned) {
      const count = (table.counts.get(buffer) ?? 1) - 1;
      if (count > 0) {
        table.counts.set(buffer, count);
        continue;
      }
      table.counts.delete(buffer);
      if (table.held.delete(buffer)) table.release.call(manager, buffer);
    }
  };
}

function gpuBufferOf(backend: WebGpuBackendInternals, tensor: tfTypes.Tensor): GpuBufferLike | undefined {
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId)?.resource as GpuBufferLike | undefined;
  return resource && typeof resource.size === "number" ? resource : undefined;
}

/** The command that copies scalar `from` into `slot` (buffers resolved first: an upload may add tfjs work). */
function slotCopy(backend: WebGpuBackendInternals, from: tfTypes.Tensor, slot: LossSlot): RecordedCommand {
  const source = gpuBufferOf(backend, from);
  const destination = gpuBufferOf(backend, slot.into);
  if (!source || !destination || from.dtype !== "float32" || slot.into.dtype !== "float32") throw new Error("loss slot: the loss and the slot tensor must be float32 tensors in GPU buffers");
  if (slot.index < 0 || slot.index >= slot.into.size) throw new Error(`loss slot ${slot.index} is outside a tensor of ${slot.into.size} elements`);
  return { kind: "copy", source, sourceOffset: 0, destination, destinationOffset: slot.index * 4, size: 4 };
}

function markStale(backend: WebGpuBackendInternals, tensor: tfTypes.Tensor): void {
  const data = backend.tensorMap.get(tensor.dataId);
  if (data) data.values = null;
}

/** Copies the scalar `from` into `slot` on the device, after all work issued so far (webgpu only). */
export function copyScalarInto(tf: Tf, from: tfTypes.Tensor, slot: LossSlot): void {
  if (tf.getBackend() !== "webgpu") throw new Error(`loss slots need the webgpu backend (this is ${tf.getBackend()})`);
  const backend = tf.backend() as unknown as WebGpuBackendInternals;
  const command = slotCopy(backend, from, slot);
  flush(backend);
  replay(backend.device, [], [command]);
  markStale(backend, slot.into);
}

/** Why `recording` cannot be replayed, checked after it ran (undefined when it can). */
function replayBlocker(tf: Tf, recording: Recording, variablesBefore: Map<string, unknown>, backend: WebGpuBackendInternals): string | undefined {
  if (recording.unsupported) return recording.unsupported;
  for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) {
    const before = variablesBefore.get(name);
    if (before !== undefined && backend.tensorMap.get(variable.dataId)?.resource !== before) {
      return `the optimizer replaced variable ${name} instead of updating it in place (use labnote's adam(), fused on webgpu)`;
    }
  }
  if (!recording.commands.some((command) => command.kind === "dispatch")) return "the step issued no GPU work";
  return undefined;
}

/**
 * Compiles a training step for replay on webgpu. Step 1 runs through tfjs, step 2 is recorded, later steps replay.
 * On other backends, or when recording sees something replay cannot reproduce, every step runs through tfjs.
 */
export function compileTrainStep(tf: Tf, options: TrainStepOptions): CompiledTrainStep {
  let mode: CaptureMode = tf.getBackend() === "webgpu" ? "warm-up" : "eager";
  let reason = mode === "eager" ? `replay needs the webgpu backend (this is ${tf.getBackend()})` : "not recorded yet";
  let lastLoss: tfTypes.Scalar | undefined;
  let recording: Recording | undefined;
  let inputSlots: { tensor: tfTypes.Tensor; buffer: GpuBufferLike }[] = [];
  let unpin: (() => void) | undefined;
  let keptInputs: tfTypes.Tensor[] = [];

  const eagerStep = (inputs: tfTypes.Tensor[]): void => {
    const loss = tf.tidy(() => options.optimizer.minimize(() => options.lossFn(...inputs), true, options.variables)!);
    lastLoss?.dispose();
    lastLoss = loss;
  };

  const record = (inputs: tfTypes.Tensor[]): void => {
    const backend = tf.backend() as unknown as WebGpuBackendInternals;
    const variablesBefore = new Map<string, unknown>();
    for (const [name, variable] of Object.entries(tf.engine().registeredVariables)) {
      variablesBefore.set(name, backend.tensorMap.get(variable.dataId)?.resource);
    }
    const slots = inputs.map((tensor) => ({ tensor, buffer: gpuBufferOf(backend, tensor) }));
    let recorded: Recording;
    try {
      recorded = recordStep(backend, () => eagerStep(inputs)).recording;
    } catch (error) {
      mode = "eager";
      reason = `recording failed: ${error instanceof Error ? error.message : String(error)}`;
      return;
    }
    const blocker = replayBlocker(tf, recorded, variablesBefore, backend) ?? (slots.some((slot) => !slot.buffer) ? "an input is not a GPU buffer" : undefined);
    if (blocker) {
      for (const buffer of recorded.ownedBuffers) buffer.destroy();
      mode = "eager";
      reason = blocker;
      return;
    }
    const lossBuffer = gpuBufferOf(backend, lastLoss!);
    const pinned = new Set(recorded.poolBuffers);
    if (lossBuffer) pinned.add(lossBuffer);
    for (const slot of slots) pinned.add(slot.buffer!);
    unpin = pinBuffers(backend.bufferManager, pinned);
    // The recorded inputs' buffers are read by the replay: keep those tensors alive even if the caller drops them.
    keptInputs = inputs.map((tensor) => tf.keep(tensor.clone()));
    inputSlots = slots.map((slot) => ({ tensor: slot.tensor, buffer: slot.buffer! }));
    recording = recorded;
    mode = "replay";
    reason = `${recorded.commands.length} GPU commands replayed per step`;
  };

  const replayStep = (inputs: tfTypes.Tensor[] | undefined, lossSlot: LossSlot | undefined): void => {
    const backend = tf.backend() as unknown as WebGpuBackendInternals;
    const feeds: RecordedCommand[] = [];
    if (inputs) {
      if (inputs.length !== inputSlots.length) throw new Error(`step() got ${inputs.length} inputs; the recorded step has ${inputSlots.length}`);
      inputs.forEach((tensor, index) => {
        const slot = inputSlots[index]!;
        if (tensor.dtype !== slot.tensor.dtype || !tf.util.arraysEqual(tensor.shape, slot.tensor.shape)) {
          throw new Error(`step() input ${index} is ${tensor.dtype} [${tensor.shape}], the recorded one ${slot.tensor.dtype} [${slot.tensor.shape}]: compile a new step for new shapes`);
        }
        const source = gpuBufferOf(backend, tensor)!;
        if (source !== slot.buffer) feeds.push({ kind: "copy", source, sourceOffset: 0, destination: slot.buffer, destinationOffset: 0, size: slot.buffer.size });
      });
    }
    replayWith(backend, feeds, lossSlot);
  };

  const replayWith = (backend: WebGpuBackendInternals, feeds: RecordedCommand[], lossSlot: LossSlot | undefined): void => {
    // The loss copy rides in the replay's own submit, after the step.
    const after = lossSlot ? [slotCopy(backend, lastLoss!, lossSlot)] : [];
    flush(backend); // tfjs work recorded since the last step (e.g. the new batch) goes first
    for (const refresh of recording!.refreshers) refresh();
    replay(backend.device, recording!.commands, feeds, after);
    if (lossSlot) markStale(backend, lossSlot.into);
    // Values cached on the host are stale now.
    const variables = options.variables ?? Object.values(tf.engine().registeredVariables).filter((variable) => variable.trainable);
    for (const tensor of [...variables, lastLoss!]) {
      const data = backend.tensorMap.get(tensor.dataId);
      if (data) data.values = null;
    }
  };

  return {
    get mode() {
      return mode;
    },
    get reason() {
      return reason;
    },
    get lossTensor() {
      return lastLoss;
    },
    step(inputs?: tfTypes.Tensor[], lossSlot?: LossSlot): void {
      const batch = inputs ?? options.inputs;
      if (mode === "replay" && tf.getBackend() !== "webgpu") {
        mode = "eager";
        reason = `the backend changed to ${tf.getBackend()}`;
      }
      if (mode === "replay") return replayStep(inputs, lossSlot);
      if (mode === "warm-up") {
        eagerStep(batch);
        mode = "recording";
      } else if (mode === "recording") record(batch);
      else eagerStep(batch);
      // After recording ended, so the copy is not part of the recorded step.
      if (lossSlot) copyScalarInto(tf, lastLoss!, lossSlot);
    },
    stepRows(sources: tfTypes.Tensor[], startRow: number, lossSlot?: LossSlot): boolean {
      if (mode !== "replay" || tf.getBackend() !== "webgpu" || sources.length !== inputSlots.length) return false;
      const backend = tf.backend() as unknown as WebGpuBackendInternals;
      const feeds: RecordedCommand[] = [];
      for (const [index, source] of sources.entries()) {
        const slot = inputSlots[index]!;
        const [rows, ...rest] = slot.tensor.shape;
        // Row ranges are contiguous bytes for 4-byte types; anything else goes through slice + step().
        const fourBytes = slot.tensor.dtype === "float32" || slot.tensor.dtype === "int32";
        if (!fourBytes || source.dtype !== slot.tensor.dtype || !tf.util.arraysEqual(source.shape.slice(1), rest)) return false;
        if (startRow < 0 || startRow + rows! > source.shape[0]!) return false;
        const rowBytes = tf.util.sizeFromShape(rest) * 4;
        const buffer = gpuBufferOf(backend, source);
        if (!buffer || rows! * rowBytes > slot.buffer.size) return false;
        if (buffer !== slot.buffer || startRow !== 0) {
          feeds.push({ kind: "copy", source: buffer, sourceOffset: startRow * rowBytes, destination: slot.buffer, destinationOffset: 0, size: rows! * rowBytes });
        }
      }
      replayWith(backend, feeds, lossSlot);
      return true;
    },
    async loss(): Promise<number> {
      if (!lastLoss) throw new Error("loss(): no step has run yet");
      return (await lastLoss.data())[0]!;
    },
    dispose(): void {
      lastLoss?.dispose();
      lastLoss = undefined;
      tf.dispose(keptInputs);
      unpin?.();
      for (const buffer of recording?.ownedBuffers ?? []) buffer.destroy();
      recording = undefined;
      mode = "eager";
      reason = "disposed";
    },
  };
}
