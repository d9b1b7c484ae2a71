// The few WebGPU shapes labnote touches, typed structurally (the project's TypeScript lib has no WebGPU types).
export interface GpuBufferLike {
  readonly size: number;
  readonly usage: number;
  destroy(): void;
}
export interface GpuBindGroupLike {
  readonly __bindGroup?: never;
}
export interface GpuPipelineLike {
  getBindGroupLayout(index: number): unknown;
}
export interface GpuComputePassLike {
  setPipeline(pipeline: GpuPipelineLike): void;
  setBindGroup(index: number, group: GpuBindGroupLike, dynamicOffsets?: number[]): void;
  dispatchWorkgroups(x: number, y?: number, z?: number): void;
  end(): void;
}
export interface GpuCommandEncoderLike {
  beginComputePass(descriptor?: object): GpuComputePassLike;
  copyBufferToBuffer(source: GpuBufferLike, sourceOffset: number, destination: GpuBufferLike, destinationOffset: number, size: number): void;
  finish(): unknown;
}
export interface GpuQueueLike {
  writeBuffer(buffer: GpuBufferLike, offset: number, data: ArrayBuffer | ArrayBufferView, dataOffset?: number, size?: number): void;
  submit(buffers: unknown[]): void;
}
export interface GpuDeviceLike {
  readonly queue: GpuQueueLike;
  readonly limits: { minUniformBufferOffsetAlignment: number; maxComputeWorkgroupsPerDimension: number };
  readonly lost: Promise<{ reason?: string; message: string }>;
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean }): GpuBufferLike;
  createCommandEncoder(): GpuCommandEncoderLike;
  createShaderModule(descriptor: { code: string }): unknown;
  createComputePipeline(descriptor: { layout: "auto"; compute: { module: unknown; entryPoint: string } }): GpuPipelineLike;
  createBindGroup(descriptor: { layout: unknown; entries: { binding: number; resource: { buffer: GpuBufferLike; offset?: number; size?: number } }[] }): GpuBindGroupLike;
}
export interface GpuAdapterLike {
  readonly info?: { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
  readonly isFallbackAdapter?: boolean;
}
export interface GpuLike {
  requestAdapter(options?: { powerPreference?: string }): Promise<GpuAdapterLike | null>;
}

/** GPUBufferUsage flag values from the WebGPU specification (the global object exists only once Dawn is loaded). */
export const BUFFER_USAGE = { COPY_SRC: 0x0004, COPY_DST: 0x0008, UNIFORM: 0x0040, STORAGE: 0x0080 } as const;

/**
 * The parts of tfjs-backend-webgpu's WebGPUBackend that the speed-ups use. They are public JavaScript members of
 * the class in 4.22 (TypeScript-private or undeclared in its .d.ts), so this interface pins what we rely on.
 */
export interface WebGpuBackendInternals {
  device: GpuDeviceLike;
  queue: GpuQueueLike;
  commandEncoder: GpuCommandEncoderLike | null;
  computePassEncoder: GpuComputePassLike | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GpuBufferLike[];
  tensorMap: { get(dataId: object): { resource?: unknown; values?: unknown; refCount: number; dtype?: string } | undefined };
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  uploadToGPU(dataId: object): void;
  makeUniforms(programUniform: UniformField[]): { offset: number; size: number; buffer: GpuBufferLike };
  bufferManager: GpuBufferManagerInternals;
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
}

/** tfjs-backend-webgpu's buffer pool (BufferManager): buffers keyed by `${size}_${usage}`. */
export interface GpuBufferManagerInternals {
  freeBuffers: Map<string, GpuBufferLike[]>;
  usedBuffers: Map<string, GpuBufferLike[]>;
  numFreeBuffers: number;
  numUsedBuffers: number;
  numBytesUsed: number;
  releaseBuffer(buffer: GpuBufferLike, reuse?: boolean): void;
}
export interface UniformField {
  type: string;
  data: number[];
}
