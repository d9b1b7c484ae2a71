// A larger-tile fp32 matmul for tfjs-backend-webgpu: 128×128 output tile per workgroup, 8×8 outputs per thread,
// K in steps of 16 through shared memory, vec4 loads; bias and ReLU fused in the store. tfjs 4.22's own shader
// uses 32×32 tiles with 4×4 per thread, which leaves most of an H100's fp32 rate unused on 4096-wide layers.
// Used for plain 2-D float32 matmuls whose K is a multiple of 16 and N of 4; everything else stays on tfjs.
import type { GpuBufferLike, GpuPipelineLike, WebGpuBackendInternals } from "./gpu-types.js";

const TILE = 128;
const TILE_K = 16;
const MIN_WORKGROUPS = 128;

export type Epilogue = "linear" | "relu";

/** WGSL for C = A·B (+ bias) (then ReLU): A is M×K, B is K×N, row-major. Unrolled so accumulators stay in registers. */
export function tiledMatmulWgsl(withBias: boolean, epilogue: Epilogue): string {
  const lines: string[] = [];
  const rows = [0, 1, 2, 3, 4, 5, 6, 7];
  for (const i of rows) lines.push(`  var acc${i}a = vec4<f32>(0.0); var acc${i}b = vec4<f32>(0.0);`);
  const declarations = lines.join("\n");
  const component = ["x", "y", "z", "w"];
  const fma = rows
    .map((i) => {
      const a = i < 4 ? `a0.${component[i]}` : `a1.${component[i - 4]}`;
      return `      acc${i}a = fma(vec4<f32>(${a}), b0, acc${i}a); acc${i}b = fma(vec4<f32>(${a}), b1, acc${i}b);`;
    })
    .join("\n");
  const store = rows
    .map((i) => {
      const row = i < 4 ? `ty * 4u + ${i}u` : `64u + ty * 4u + ${i - 4}u`;
      return `  storeRow(m0 + ${row}, acc${i}a, acc${i}b);`;
    })
    .join("\n");
  const finish = (value: string) => {
    let expression = value;
    if (withBias) expression = `${expression} + bias[col4]`;
    if (epilogue === "relu") expression = `max(${expression}, vec4<f32>(0.0))`;
    return expression;
  };
  return /* wgsl */ `
struct Dimensions { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<storage, read_write> result: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> A: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B: array<vec4<f32>>;
@group(0) @binding(3) var<uniform> dims: Dimensions;
${withBias ? "@group(0) @binding(4) var<storage, read> bias: array<vec4<f32>>;" : ""}
var<workgroup> tileA: array<vec4<f32>, ${(TILE_K * TILE) / 4}>;
var<workgroup> tileB: array<vec4<f32>, ${(TILE_K * TILE) / 4}>;

fn storeRow(row: u32, left: vec4<f32>, right: vec4<f32>) {
  if (row >= dims.M) { return; }
  let n4 = dims.N / 4u;
  let tx = storeColumn;
  var col4 = workgroupColumn4 + tx;
  if (col4 < n4) { result[row * n4 + col4] = ${finish("left")}; }
  col4 = workgroupColumn4 + 16u + tx;
  if (col4 < n4) { result[row * n4 + col4] = ${finish("right")}; }
}
var<private> storeColumn: u32;
var<private> workgroupColumn4: u32;

@compute @workgroup_size(16, 16, 1)
fn main(@builtin(local_invocation_id) local: vec3<u32>, @builtin(workgroup_id) group: vec3<u32>) {
  let tx = local.x;
  let ty = local.y;
  let thread = ty * 16u + tx;
  let m0 = group.y * ${TILE}u;
  let n0 = group.x * ${TILE}u;
  let k4 = dims.K / 4u;
  let n4 = dims.N / 4u;
  storeColumn = tx;
  workgroupColumn4 = n0 / 4u;
${declarations}
  for (var k0 = 0u; k0 < dims.K; k0 = k0 + ${TILE_K}u) {
    // A: 128 rows × 16 k, as 4-row × 4-k blocks (one per thread of the first 128), transposed in registers and
    // stored k-major as whole vec4s along m (no partial-vector writes to shared memory).
    if (thread < 128u) {
      let rowGroup = thread / 4u;
      let kGroup = thread % 4u;
      let kIndex = (k0 + kGroup * 4u) / 4u;
      let row = m0 + rowGroup * 4u;
      var v0 = vec4<f32>(0.0);
      var v1 = vec4<f32>(0.0);
      var v2 = vec4<f32>(0.0);
      var v3 = vec4<f32>(0.0);
      if (row < dims.M) { v0 = A[row * k4 + kIndex]; }
      if (row + 1u < dims.M) { v1 = A[(row + 1u) * k4 + kIndex]; }
      if (row + 2u < dims.M) { v2 = A[(row + 2u) * k4 + kIndex]; }
      if (row + 3u < dims.M) { v3 = A[(row + 3u) * k4 + kIndex]; }
      let base = kGroup * 128u + rowGroup;
      tileA[base] = vec4<f32>(v0.x, v1.x, v2.x, v3.x);
      tileA[base + 32u] = vec4<f32>(v0.y, v1.y, v2.y, v3.y);
      tileA[base + 64u] = vec4<f32>(v0.z, v1.z, v2.z, v3.z);
      tileA[base + 96u] = vec4<f32>(v0.w, v1.w, v2.w, v3.w);
    }
    // B: 16 k × 128 columns = 512 vec4 along n, two per thread.
    for (var part = 0u; part < 2u; part = part + 1u) {
      let index = thread + part * 256u;
      let kr = index / 32u;
      let c4 = index % 32u;
      var value = vec4<f32>(0.0);
      if (n0 / 4u + c4 < n4) { value = B[(k0 + kr) * n4 + n0 / 4u + c4]; }
      tileB[kr * 32u + c4] = value;
    }
    workgroupBarrier();
    for (var k = 0u; k < ${TILE_K}u; k = k + 1u) {
      let a0 = tileA[k * 32u + ty];
      let a1 = tileA[k * 32u + 16u + ty];
      let b0 = tileB[k * 32u + tx];
      let b1 = tileB[k * 32u + 16u + tx];
${fma}
    }
    workgroupBarrier();
  }
${store}
}`;
}

interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}
interface BackendWithTensors extends WebGpuBackendInternals {
  makeTensorInfo(shape: number[], dtype: string): TensorInfoLike;
}

const pipelines = new WeakMap<object, Map<string, GpuPipelineLike>>();
let batchSizeFlag: () => number = () => 15;

/** How many dispatches tfjs lets into one submit (its WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE flag). */
export function setSubmitBatchSizeSource(source: () => number): void {
  batchSizeFlag = source;
}

/** 2-D, or 3-D with a batch of one (tfjs's fused matmul and gradients reshape to 3-D). */
function isMatrix(tensor: TensorInfoLike): boolean {
  return tensor.shape.length === 2 || (tensor.shape.length === 3 && tensor.shape[0] === 1);
}
function matrixShape(tensor: TensorInfoLike): [number, number] {
  const rank = tensor.shape.length;
  return [tensor.shape[rank - 2]!, tensor.shape[rank - 1]!];
}

/** True when tiledMatmul can take A (M×K) · B (K×N). */
export function tiledMatmulFits(a: TensorInfoLike, b: TensorInfoLike, bias: TensorInfoLike | undefined): boolean {
  if (!isMatrix(a) || !isMatrix(b) || a.dtype !== "float32" || b.dtype !== "float32") return false;
  const [m, k] = matrixShape(a);
  const [innerB, n] = matrixShape(b);
  if (innerB !== k || k % TILE_K !== 0 || n % 4 !== 0 || m * n * k < 1 << 24) return false;
  // Too few 128×128 tiles leave most of a big GPU idle: tfjs's 32×32 tiles do better there.
  if (Math.ceil(m / TILE) * Math.ceil(n / TILE) < MIN_WORKGROUPS) return false;
  return !bias || (bias.shape.length === 1 && bias.shape[0] === n && bias.dtype === "float32");
}

function bufferOf(backend: WebGpuBackendInternals, tensor: TensorInfoLike): GpuBufferLike {
  backend.uploadToGPU(tensor.dataId);
  return backend.tensorMap.get(tensor.dataId)!.resource as GpuBufferLike;
}

/** Records C = A·B (+bias)(ReLU) into tfjs's open compute pass, as tfjs's own kernels do. */
export function tiledMatmul(backend: BackendWithTensors, a: TensorInfoLike, b: TensorInfoLike, bias: TensorInfoLike | undefined, epilogue: Epilogue): TensorInfoLike {
  const [m, k] = matrixShape(a);
  const n = matrixShape(b)[1];
  const key = `${bias ? "bias" : "plain"}_${epilogue}`;
  let cache = pipelines.get(backend);
  if (!cache) pipelines.set(backend, (cache = new Map()));
  let pipeline = cache.get(key);
  if (!pipeline) {
    const device = backend.device;
    pipeline = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code: tiledMatmulWgsl(Boolean(bias), epilogue) }), entryPoint: "main" } });
    cache.set(key, pipeline);
  }
  const output = backend.makeTensorInfo(a.shape.length === 3 || b.shape.length === 3 ? [1, m, n] : [m, n], "float32");
  const buffers = [bufferOf(backend, output), bufferOf(backend, a), bufferOf(backend, b)];
  const uniforms = backend.makeUniforms([
    { type: "uint32", data: [m] },
    { type: "uint32", data: [n] },
    { type: "uint32", data: [k] },
  ]);
  const entries: { binding: number; resource: { buffer: GpuBufferLike; offset?: number; size?: number } }[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
  entries.push({ binding: 3, resource: uniforms });
  if (bias) entries.push({ binding: 4, resource: { buffer: bufferOf(backend, bias) } });
  const bindGroup = backend.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass();
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(Math.ceil(n / TILE), Math.ceil(m / TILE), 1);
  for (const tensor of [output, a, b, ...(bias ? [bias] : [])]) backend.commandQueueOwnedIds.add(tensor.dataId);
  if (++backend.dispatchCountInPass >= batchSizeFlag()) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  return output;
}
