// A 64×256-tile fp32 matmul for tfjs-backend-webgpu's MatMul / BatchMatMul / _FusedMatMul, in two variants:
//   "subgroup": the A operand never touches shared memory. Each warp of 32 lanes owns a 16×128 block of the output;
//               per 16-k block every lane loads 8 of the warp's 16×16 A values straight from global memory into two
//               vec4 registers, and the FMA loop takes each A value from its owner with subgroupShuffle (needs the
//               `subgroups` feature).
//   "shared":   the same tiling with A staged through shared memory (no subgroup operations), as the control.
// Both: B staged k-major through shared memory, 8×8 outputs per thread (8 rows × two vec4 column groups), the next
// block's global loads issued before the current block's FMAs, transposeA / transposeB read in place (no transpose
// dispatch), any M, N, K (bounds-checked scalar loads), a batch (equal, or 1 broadcast), and bias + activation in the
// store. The index arithmetic is written once against `IndexOps`: WGSL text for the shader, numbers for the JS
// emulation of one workgroup's tile loop (emulateWideMatmul) that the unit tests compare with tfjs's cpu backend.
import type { GpuBufferLike, GpuPipelineLike, WebGpuBackendInternals } from "./gpu-types.js";

export type WideVariant = "subgroup" | "shared";
export type WideActivation = "linear" | "relu" | "relu6" | "elu" | "sigmoid" | "leakyrelu";
export const WIDE_ACTIVATIONS: readonly WideActivation[] = ["linear", "relu", "relu6", "elu", "sigmoid", "leakyrelu"];

export interface WideShaderOptions {
  variant: WideVariant;
  transposeA: boolean;
  transposeB: boolean;
  bias: boolean;
  activation: WideActivation;
}

/**
 * Tile sizes: 64 rows × 256 columns per workgroup of 256 threads, 8 warps of 32 in a 4 × 2 grid, each warp 16 rows ×
 * 128 columns: lanes 0–15 take rows 0–7 of the warp's block, lanes 16–31 rows 8–15, and lane % 16 picks four
 * columns in each of two 64-column groups. A warp's B reads are then 16 distinct vec4s (2 shared-memory wavefronts,
 * not the 4 a 256-column warp would need) and its A values come from 2 addresses (or 16 rows of shuffles).
 */
export const WIDE_TILE = { M: 64, N: 256, threads: 256, lanes: 32, warpRows: 16, warpColumns: 128, rowsPerThread: 8 } as const;
const { M: BM, N: BN, threads: THREADS, lanes: LANES, warpRows: WARP_M, warpColumns: WARP_N, rowsPerThread: THREAD_ROWS } = WIDE_TILE;
const WARPS_N = BN / WARP_N;
/**
 * K per block: 16 for "subgroup" (B tile 16 KiB, WebGPU's default workgroup-storage limit), 8 for "shared"
 * (8 KiB B + 2 KiB A), so both fit the 16 KiB every adapter grants.
 */
export function wideBlockK(variant: WideVariant): number {
  return variant === "subgroup" ? 16 : 8;
}
export function wideWorkgroupBytes(variant: WideVariant): number {
  const bk = wideBlockK(variant);
  return (bk * BN + (variant === "shared" ? bk * BM : 0)) * 4;
}

/** The integer operations the index formulas use; WGSL text (u32) for the shader, numbers for the emulation. */
export interface IndexOps<T> {
  v(name: string): T;
  c(value: number): T;
  add(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  mod(a: T, b: T): T;
  xor(a: T, b: T): T;
}
export const WGSL_OPS: IndexOps<string> = {
  v: (name) => name,
  c: (value) => `${value}u`,
  add: (a, b) => `(${a} + ${b})`,
  mul: (a, b) => `(${a} * ${b})`,
  div: (a, b) => `(${a} / ${b})`,
  mod: (a, b) => `(${a} % ${b})`,
  xor: (a, b) => `(${a} ^ ${b})`,
};
export function numberOps(values: Record<string, number>): IndexOps<number> {
  return {
    v: (name) => {
      const value = values[name];
      if (value === undefined) throw new Error(`unbound index variable ${name}`);
      return value;
    },
    c: (value) => value,
    add: (a, b) => a + b,
    mul: (a, b) => a * b,
    div: (a, b) => Math.floor(a / b),
    mod: (a, b) => a % b,
    xor: (a, b) => a ^ b,
  };
}

/** Where a loaded element sits in the tile (row or column `mn` within BM / BN, and `k` within BK). */
interface TileSlot<T> {
  mn: T;
  k: T;
}

/**
 * Thread `t`'s j-th element of the 16×256 B tile. Coalesced along memory: along n when B is K×N, along k when
 * B is stored N×K (transposeB). 16 elements per thread.
 */
export function bTileSlot<T>(o: IndexOps<T>, bk: number, transposeB: boolean, j: number): TileSlot<T> {
  const t = o.v("t");
  if (!transposeB) return { k: o.c(j), mn: t };
  return { k: o.mod(t, o.c(bk)), mn: o.add(o.c(j * (THREADS / bk)), o.div(t, o.c(bk))) };
}
export const bLoadsPerThread = (bk: number) => (bk * BN) / THREADS;

/** Thread `t`'s j-th element of the 16×64 A tile ("shared" variant): along k when A is M×K, along m when K×M. */
export function aTileSlot<T>(o: IndexOps<T>, bk: number, transposeA: boolean, j: number): TileSlot<T> {
  const t = o.v("t");
  if (!transposeA) return { k: o.mod(t, o.c(bk)), mn: o.add(o.c(j * (THREADS / bk)), o.div(t, o.c(bk))) };
  return { mn: o.mod(t, o.c(BM)), k: o.add(o.c(j * (THREADS / BM)), o.div(t, o.c(BM))) };
}
export const aLoadsPerThread = (bk: number) => (bk * BM) / THREADS;
/** The "subgroup" variant's K block (its lane layout below assumes 16). */
const SG_BK = 16;

/**
 * "subgroup" variant: component `c` of register `g` (0, 1) of lane `lane` holds the warp's row `mn` (0..15) at `k`
 * (0..15). M×K A: row = lane % 16, k = 4·(2·(lane/16) + g) + c (8 consecutive k per lane). K×M A: k = lane % 16,
 * row = 8·(lane/16) + 4·g + c (8 consecutive rows per lane).
 */
export function aLaneSlot<T>(o: IndexOps<T>, transposeA: boolean, g: number, c: number): TileSlot<T> {
  const lane = o.v("lane");
  const low = o.mod(lane, o.c(16));
  const high = o.div(lane, o.c(16));
  if (!transposeA) return { mn: low, k: o.add(o.mul(high, o.c(8)), o.c(4 * g + c)) };
  return { k: low, mn: o.add(o.mul(high, o.c(8)), o.c(4 * g + c)) };
}
/** The inverse of aLaneSlot: which lane, register and component hold the warp's row `row` (0..15) at `k`. */
export function aLaneSource(transposeA: boolean, row: number, k: number): { lane: number; register: number; component: number } {
  if (!transposeA) return { lane: Math.floor(k / 8) * 16 + row, register: Math.floor(k / 4) % 2, component: k % 4 };
  return { lane: Math.floor(row / 8) * 16 + k, register: Math.floor(row / 4) % 2, component: row % 4 };
}
void SG_BK;

/** The warp's first output row and column in the workgroup tile (warps in a 4 × 2 grid). */
function warpRow0<T>(o: IndexOps<T>): T {
  return o.mul(o.div(o.v("warp"), o.c(WARPS_N)), o.c(WARP_M));
}
function warpColumn0<T>(o: IndexOps<T>): T {
  return o.mul(o.mod(o.v("warp"), o.c(WARPS_N)), o.c(WARP_N));
}
/** Row (within the workgroup tile) of a thread's accumulator row i (0..7): lanes 16–31 take the warp's rows 8–15. */
export function threadRow<T>(o: IndexOps<T>, i: number): T {
  return o.add(warpRow0(o), o.add(o.mul(o.div(o.v("lane"), o.c(16)), o.c(THREAD_ROWS)), o.c(i)));
}
/** Column (within the tile) of a thread's column group h (0, 1), component c: lane % 16 picks 4 of each 64. */
export function threadColumn<T>(o: IndexOps<T>, h: number, c: number): T {
  return o.add(warpColumn0(o), o.add(o.mul(o.mod(o.v("lane"), o.c(16)), o.c(4)), o.c(h * (WARP_N / 2) + c)));
}

/**
 * Where tile element (k, mn) lives in shared memory: vec4 `slot` (of a k-row of `width` / 4), component `component`.
 * The vec4 column is XOR-swizzled with k % 8, so a warp storing 16 k-values of one column (transposeB; transposed-K
 * A loads) spreads over the banks instead of hitting one bank 16 times; reads of a k-row stay one vec4 per lane.
 */
export function tileAddress<T>(o: IndexOps<T>, width: number, k: T, mn: T): { slot: T; component: T } {
  const column4 = o.xor(o.div(mn, o.c(4)), o.mod(k, o.c(8)));
  return { slot: o.add(o.mul(k, o.c(width / 4)), column4), component: o.mod(mn, o.c(4)) };
}

/** Element offset of A[m][k] (or of Aᵀ's element for (m, k) when transposeA) inside one batch. */
function aOffset<T>(o: IndexOps<T>, transposeA: boolean, m: T, k: T): T {
  return transposeA ? o.add(o.mul(k, o.v("M")), m) : o.add(o.mul(m, o.v("K")), k);
}
function bOffset<T>(o: IndexOps<T>, transposeB: boolean, k: T, n: T): T {
  return transposeB ? o.add(o.mul(n, o.v("K")), k) : o.add(o.mul(k, o.v("N")), n);
}

const ACTIVATION_WGSL: Record<WideActivation, (x: string) => string> = {
  linear: (x) => x,
  relu: (x) => `select(${x}, 0.0, ${x} < 0.0)`, // as tfjs: a NaN stays NaN (labnote's NaN detector sees it)
  relu6: (x) => `clamp(${x}, 0.0, 6.0)`,
  elu: (x) => `select(exp(${x}) - 1.0, ${x}, ${x} >= 0.0)`,
  sigmoid: (x) => `(1.0 / (1.0 + exp(-${x})))`,
  leakyrelu: (x) => `select(dims.alpha * ${x}, ${x}, ${x} >= 0.0)`,
};
export const ACTIVATION_JS: Record<WideActivation, (x: number, alpha: number) => number> = {
  linear: (x) => x,
  relu: (x) => Math.max(x, 0),
  relu6: (x) => Math.min(Math.max(x, 0), 6),
  elu: (x) => (x >= 0 ? x : Math.exp(x) - 1),
  sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  leakyrelu: (x, alpha) => (x >= 0 ? x : alpha * x),
};

function wgslOffsetIn(o: IndexOps<string>, slot: TileSlot<string>, kind: "A" | "B", transposed: boolean): { index: string; inBounds: string } {
  if (kind === "A") {
    const m = o.add(o.v("m0"), slot.mn);
    const k = o.add(o.v("k0"), slot.k);
    return { index: o.add(o.v("aBase"), aOffset(o, transposed, m, k)), inBounds: `${m} < M && ${k} < K` };
  }
  const n = o.add(o.v("n0"), slot.mn);
  const k = o.add(o.v("k0"), slot.k);
  return { index: o.add(o.v("bBase"), bOffset(o, transposed, k, n)), inBounds: `${n} < N && ${k} < K` };
}

/**
 * The shuffle a thread issues for its accumulator row i at k: its row is the warp's row 8·half + i (half = lane / 16,
 * known only at run time), so the source lane is `lane + half · perHalf`; register and component must not depend on
 * half (they are compile-time in the shader), which is checked here.
 */
export function shuffleSource(transposeA: boolean, i: number, k: number): { lane: number; register: number; component: number; perHalf: number } {
  const low = aLaneSource(transposeA, i, k);
  const high = aLaneSource(transposeA, THREAD_ROWS + i, k);
  if (low.register !== high.register || low.component !== high.component) throw new Error("A lane layout: register depends on the lane half");
  return { lane: low.lane, register: low.register, component: low.component, perHalf: high.lane - low.lane };
}

/** WGSL for one variant. Bindings: 0 result, 1 A, 2 B, 3 uniforms {M, N, K, strideA, strideB, alpha}, 4 bias. */
export function wideMatmulWgsl(options: WideShaderOptions): string {
  const { variant, transposeA, transposeB, bias, activation } = options;
  const o = WGSL_OPS;
  const subgroup = variant === "subgroup";
  const BK = wideBlockK(variant);
  const rows = Array.from({ length: THREAD_ROWS }, (_, i) => i);
  const ks = Array.from({ length: BK }, (_, k) => k);
  const xyzw = ["x", "y", "z", "w"];
  const indexVars = (inner: string) => inner.replace(/\b(M|N|K)\b/g, "dims.$1");

  const prefetch: string[] = [];
  for (let j = 0; j < bLoadsPerThread(BK); j++) {
    const { index, inBounds } = wgslOffsetIn(o, bTileSlot(o, BK, transposeB, j), "B", transposeB);
    prefetch.push(`    pB${j} = 0.0; if (${indexVars(inBounds)}) { pB${j} = B[${indexVars(index)}]; }`);
  }
  if (subgroup) {
    for (let g = 0; g < 2; g++) {
      for (let c = 0; c < 4; c++) {
        const slot = aLaneSlot(o, transposeA, g, c);
        const rowSlot = { mn: o.add(warpRow0(o), slot.mn), k: slot.k };
        const { index, inBounds } = wgslOffsetIn(o, rowSlot, "A", transposeA);
        prefetch.push(`    pA${g}.${xyzw[c]} = 0.0; if (${indexVars(inBounds)}) { pA${g}.${xyzw[c]} = A[${indexVars(index)}]; }`);
      }
    }
  } else {
    for (let j = 0; j < aLoadsPerThread(BK); j++) {
      const { index, inBounds } = wgslOffsetIn(o, aTileSlot(o, BK, transposeA, j), "A", transposeA);
      prefetch.push(`    pA${j} = 0.0; if (${indexVars(inBounds)}) { pA${j} = A[${indexVars(index)}]; }`);
    }
  }

  const stash: string[] = [];
  for (let j = 0; j < bLoadsPerThread(BK); j++) {
    const slot = bTileSlot(o, BK, transposeB, j);
    const at = tileAddress(o, BN, slot.k, slot.mn);
    stash.push(`    tileB[${at.slot}][${at.component}] = pB${j};`);
  }
  if (subgroup) stash.push("    aCur0 = pA0; aCur1 = pA1;");
  else {
    for (let j = 0; j < aLoadsPerThread(BK); j++) {
      const slot = aTileSlot(o, BK, transposeA, j);
      const at = tileAddress(o, BM, slot.k, slot.mn);
      stash.push(`    tileA[${at.slot}][${at.component}] = pA${j};`);
    }
  }

  const compute: string[] = [];
  for (const k of ks) {
    // The vec4 of B this lane multiplies for column group h: columns threadColumn(h, 0..3).
    const bRead = (h: number) => tileAddress(o, BN, o.c(k), threadColumn(o, h, 0)).slot;
    compute.push(`    b0 = tileB[${bRead(0)}]; b1 = tileB[${bRead(1)}];`);
    if (subgroup) {
      for (const i of rows) {
        const { lane, register, component, perHalf } = shuffleSource(transposeA, i, k);
        compute.push(`    a${i} = subgroupShuffle(aCur${register}.${xyzw[component]}, laneBase + ${lane}u + half * ${perHalf}u);`);
      }
    } else {
      const aRead = (q: number) => tileAddress(o, BM, o.c(k), threadRow(o, q * 4)).slot;
      compute.push(`    aLo = tileA[${aRead(0)}]; aHi = tileA[${aRead(1)}];`);
      for (const i of rows) compute.push(`    a${i} = ${i < 4 ? "aLo" : "aHi"}.${xyzw[i % 4]};`);
    }
    for (const i of rows) compute.push(`    acc${i}_0 = fma(vec4<f32>(a${i}), b0, acc${i}_0); acc${i}_1 = fma(vec4<f32>(a${i}), b1, acc${i}_1);`);
  }

  const store: string[] = [];
  for (const i of rows) {
    for (const h of [0, 1]) store.push(`  storeGroup(${threadRow(o, i)}, ${threadColumn(o, h, 0)}, acc${i}_${h});`);
  }
  const finish = (x: string, col: string) => ACTIVATION_WGSL[activation](bias ? `(${x} + bias[${col}])` : x);
  // Unrolled over the vec4's components (no dynamic index into the accumulator).
  const storeComponents = [0, 1, 2, 3]
    .map((c) => {
      const col = c === 0 ? "col" : `col + ${c}u`;
      return `  if (${col} < dims.N) { result[base + ${col}] = ${finish(`value.${xyzw[c]}`, col)}; }`;
    })
    .join("\n");

  return /* wgsl */ `${subgroup ? "enable subgroups;\n" : ""}
struct Dimensions { M: u32, N: u32, K: u32, strideA: u32, strideB: u32, alpha: f32 }
@group(0) @binding(0) var<storage, read_write> result: array<f32>;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dimensions;
${bias ? "@group(0) @binding(4) var<storage, read> bias: array<f32>;" : ""}
var<workgroup> tileB: array<vec4<f32>, ${(BK * BN) / 4}>;
${subgroup ? "" : `var<workgroup> tileA: array<vec4<f32>, ${(BK * BM) / 4}>;`}
var<private> m0: u32;
var<private> n0: u32;
var<private> lane: u32;
var<private> outBase: u32;

fn storeGroup(row: u32, column: u32, value: vec4<f32>) {
  let m = m0 + row;
  if (m >= dims.M) { return; }
  let base = outBase + m * dims.N;
  let col = n0 + column;
${storeComponents}
}

@compute @workgroup_size(${THREADS}, 1, 1)
fn main(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) group: vec3<u32>${subgroup ? ", @builtin(subgroup_invocation_id) subgroupLane: u32" : ""}) {
  m0 = group.y * ${BM}u;
  n0 = group.x * ${BN}u;
  lane = t % ${LANES}u;
  let warp = t / ${LANES}u;
  let half = lane / 16u;
  ${subgroup ? `// Lanes are taken as consecutive invocations (32-aligned); the self-check catches a GPU where they are not.
  let laneBase = subgroupLane - lane;` : ""}
  let aBase = group.z * dims.strideA;
  let bBase = group.z * dims.strideB;
  outBase = group.z * dims.M * dims.N;
${rows.map((i) => `  var acc${i}_0 = vec4<f32>(0.0); var acc${i}_1 = vec4<f32>(0.0);`).join("\n")}
${Array.from({ length: bLoadsPerThread(BK) }, (_, j) => `  var pB${j}: f32;`).join("\n")}
${subgroup ? "  var pA0 = vec4<f32>(0.0);\n  var pA1 = vec4<f32>(0.0);\n  var aCur0 = vec4<f32>(0.0);\n  var aCur1 = vec4<f32>(0.0);" : Array.from({ length: aLoadsPerThread(BK) }, (_, j) => `  var pA${j}: f32;`).join("\n")}
  var b0: vec4<f32>;
  var b1: vec4<f32>;
${subgroup ? "" : "  var aLo: vec4<f32>;\n  var aHi: vec4<f32>;"}
${rows.map((i) => `  var a${i}: f32;`).join("\n")}
  var k0 = 0u;
  // Block 0's loads; inside the loop the next block's loads go out before the current block's FMAs.
${prefetch.join("\n")}
  loop {
    if (k0 >= dims.K) { break; }
    workgroupBarrier();
${stash.join("\n")}
    workgroupBarrier();
    k0 = k0 + ${BK}u;
    if (k0 < dims.K) {
${prefetch.map((line) => `  ${line}`).join("\n")}
    }
${compute.join("\n")}
  }
${store.join("\n")}
}`;
}

// ---------------------------------------------------------------------------------------------------------------
// JS emulation of the shader's data flow: the same slot functions place every loaded value, the same lane sources
// feed the FMAs. Used by the unit tests (against tfjs's cpu backend) since the null backend computes nothing.

export interface WideProblem {
  M: number;
  N: number;
  K: number;
  batch: number;
  /** Batch stride of A and B in elements (0 broadcasts one matrix over the batch). */
  strideA: number;
  strideB: number;
  alpha: number;
}

/** C = op(A)·op(B) (+bias)(activation), computed workgroup by workgroup as the shader's tile loop does. */
export function emulateWideMatmul(options: WideShaderOptions, problem: WideProblem, a: Float32Array, b: Float32Array, biasValues?: Float32Array): Float32Array {
  const { variant, transposeA, transposeB, activation } = options;
  const { M, N, K, batch, strideA, strideB, alpha } = problem;
  const out = new Float32Array(batch * M * N);
  const fround = Math.fround;
  const BK = wideBlockK(variant);
  const constants = numberOps({});
  for (let z = 0; z < batch; z++) {
    for (let gy = 0; gy < Math.ceil(M / BM); gy++) {
      for (let gx = 0; gx < Math.ceil(N / BN); gx++) {
        const m0 = gy * BM;
        const n0 = gx * BN;
        const acc = Array.from({ length: THREADS }, () => new Float32Array(THREAD_ROWS * 8));
        for (let k0 = 0; k0 < K; k0 += BK) {
          const tileB = new Float32Array(BK * BN).fill(Number.NaN);
          const tileA = new Float32Array(BK * BM).fill(Number.NaN);
          const aRegs = Array.from({ length: THREADS }, () => new Float32Array(8).fill(Number.NaN));
          for (let t = 0; t < THREADS; t++) {
            const lane = t % LANES;
            const warp = Math.floor(t / LANES);
            const o = numberOps({ t, lane, warp, M, N, K });
            for (let j = 0; j < bLoadsPerThread(BK); j++) {
              const slot = bTileSlot(o, BK, transposeB, j);
              const [n, k] = [n0 + slot.mn, k0 + slot.k];
              const at = tileAddress(o, BN, slot.k, slot.mn);
              tileB[at.slot * 4 + at.component] = n < N && k < K ? b[z * strideB + bOffset(o, transposeB, k, n)]! : 0;
            }
            if (variant === "subgroup") {
              for (let g = 0; g < 2; g++) {
                for (let c = 0; c < 4; c++) {
                  const slot = aLaneSlot(o, transposeA, g, c);
                  const [m, k] = [m0 + warpRow0(o) + slot.mn, k0 + slot.k];
                  aRegs[t]![g * 4 + c] = m < M && k < K ? a[z * strideA + aOffset(o, transposeA, m, k)]! : 0;
                }
              }
            } else {
              for (let j = 0; j < aLoadsPerThread(BK); j++) {
                const slot = aTileSlot(o, BK, transposeA, j);
                const [m, k] = [m0 + slot.mn, k0 + slot.k];
                const at = tileAddress(o, BM, slot.k, slot.mn);
                tileA[at.slot * 4 + at.component] = m < M && k < K ? a[z * strideA + aOffset(o, transposeA, m, k)]! : 0;
              }
            }
          }
          for (let t = 0; t < THREADS; t++) {
            const lane = t % LANES;
            const warp = Math.floor(t / LANES);
            const half = Math.floor(lane / 16);
            const ow = numberOps({ lane, warp });
            for (let k = 0; k < BK; k++) {
              // The two vec4s of B this lane reads at k (columns threadColumn(h, 0..3)), as the shader's b0, b1.
              const bSlots = [0, 1].map((h) => tileAddress(constants, BN, k, threadColumn(ow, h, 0)).slot * 4);
              for (let i = 0; i < THREAD_ROWS; i++) {
                let value: number;
                if (variant === "subgroup") {
                  // As the shader's subgroupShuffle: register and component fixed, source lane shifted by half.
                  const source = shuffleSource(transposeA, i, k);
                  value = aRegs[warp * LANES + source.lane + half * source.perHalf]![source.register * 4 + source.component]!;
                } else {
                  // The shader reads the vec4 holding rows threadRow(4·(i/4)) … +3 and takes component i % 4.
                  const at = tileAddress(constants, BM, k, threadRow(ow, Math.floor(i / 4) * 4));
                  value = tileA[at.slot * 4 + (i % 4)]!;
                }
                const sums = acc[t]!;
                for (let h = 0; h < 2; h++) {
                  for (let c = 0; c < 4; c++) {
                    const slot = i * 8 + h * 4 + c;
                    // One rounding per step, as fma: the float32 product is exact in a double.
                    sums[slot] = fround(sums[slot]! + value * tileB[bSlots[h]! + c]!);
                  }
                }
              }
            }
          }
        }
        for (let t = 0; t < THREADS; t++) {
          const ow = numberOps({ lane: t % LANES, warp: Math.floor(t / LANES) });
          for (let i = 0; i < THREAD_ROWS; i++) {
            const m = m0 + threadRow(ow, i);
            if (m >= M) continue;
            for (let h = 0; h < 2; h++) {
              for (let c = 0; c < 4; c++) {
                const col = n0 + threadColumn(ow, h, c);
                if (col >= N) continue;
                const value = acc[t]![i * 8 + h * 4 + c]! + (biasValues ? biasValues[col]! : 0);
                out[z * M * N + m * N + col] = ACTIVATION_JS[activation](value, alpha);
              }
            }
          }
        }
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Dispatch into tfjs's open compute pass, as tfjs's own kernels do.

export interface TensorInfoLike {
  dataId: object;
  shape: number[];
  dtype: string;
}
interface BackendWithTensors extends WebGpuBackendInternals {
  makeTensorInfo(shape: number[], dtype: string): TensorInfoLike;
}

export interface WideCall {
  a: TensorInfoLike;
  b: TensorInfoLike;
  transposeA: boolean;
  transposeB: boolean;
  bias?: TensorInfoLike;
  activation: WideActivation;
  alpha: number;
}

/** The problem a call describes, or why the kernel cannot take it (rank, dtype, batch, bias shape). */
export function wideProblem(call: WideCall): WideProblem | string {
  const { a, b, bias } = call;
  if (a.dtype !== "float32" || b.dtype !== "float32") return "not float32";
  const rank = a.shape.length;
  if (rank !== b.shape.length || (rank !== 2 && rank !== 3)) return "rank";
  const [batchA, batchB] = rank === 3 ? [a.shape[0]!, b.shape[0]!] : [1, 1];
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return "batch";
  const [ra, ca] = a.shape.slice(-2) as [number, number];
  const [rb, cb] = b.shape.slice(-2) as [number, number];
  const [M, K] = call.transposeA ? [ca, ra] : [ra, ca];
  const [innerB, N] = call.transposeB ? [cb, rb] : [rb, cb];
  if (innerB !== K) return "inner dimensions differ";
  if (bias && (bias.dtype !== "float32" || bias.shape.length !== 1 || bias.shape[0] !== N)) return "bias shape";
  const batch = Math.max(batchA, batchB);
  // WebGPU's guaranteed 65,535 workgroups per dispatch dimension (x: columns, y: rows, z: batch).
  if (Math.max(Math.ceil(N / BN), Math.ceil(M / BM), batch) > 65535) return "too many workgroups";
  return { M, N, K, batch, strideA: batchA === 1 ? 0 : M * K, strideB: batchB === 1 ? 0 : K * N, alpha: call.alpha };
}

/** Large enough that 64×256 tiles fill a big GPU: the size rule for using the kernel outside the self-check. */
export function wideWorthIt(problem: WideProblem): boolean {
  const workgroups = Math.ceil(problem.M / BM) * Math.ceil(problem.N / BN) * problem.batch;
  // Narrow outputs (a 10-class head) would leave most of a 256-column tile idle: tfjs's kernels do better there.
  const shaped = problem.N >= BN / 2 && problem.M >= BM / 2 && problem.K >= 16;
  return shaped && problem.M * problem.N * problem.K * problem.batch >= 1 << 26 && workgroups >= 64;
}

const pipelines = new WeakMap<object, Map<string, GpuPipelineLike>>();
let dispatches = 0;
/** How many products this process has recorded on the kernel (tests and the bench check it was used). */
export function wideMatmulDispatches(): number {
  return dispatches;
}

export function widePipelineKey(options: WideShaderOptions): string {
  return `${options.variant}_${options.transposeA ? "tA" : "a"}_${options.transposeB ? "tB" : "b"}_${options.bias ? "bias" : "plain"}_${options.activation}`;
}

function bufferOf(backend: WebGpuBackendInternals, tensor: TensorInfoLike): GpuBufferLike {
  backend.uploadToGPU(tensor.dataId);
  return backend.tensorMap.get(tensor.dataId)!.resource as GpuBufferLike;
}

/** Records the product into tfjs's open compute pass and returns the output tensor info. */
export function runWideMatmul(backend: BackendWithTensors, variant: WideVariant, call: WideCall, problem: WideProblem, submitBatchSize: number): TensorInfoLike {
  const options: WideShaderOptions = { variant, transposeA: call.transposeA, transposeB: call.transposeB, bias: Boolean(call.bias), activation: call.activation };
  const key = widePipelineKey(options);
  let cache = pipelines.get(backend);
  if (!cache) pipelines.set(backend, (cache = new Map()));
  let pipeline = cache.get(key);
  if (!pipeline) {
    const device = backend.device;
    pipeline = device.createComputePipeline({ layout: "auto", compute: { module: device.createShaderModule({ code: wideMatmulWgsl(options) }), entryPoint: "main" } });
    cache.set(key, pipeline);
  }
  const { M, N, K, batch } = problem;
  const shape = call.a.shape.length === 3 ? [batch, M, N] : [M, N];
  const output = backend.makeTensorInfo(shape, "float32");
  const inputs = [call.a, call.b, ...(call.bias ? [call.bias] : [])];
  const uniforms = backend.makeUniforms([
    { type: "uint32", data: [M] },
    { type: "uint32", data: [N] },
    { type: "uint32", data: [K] },
    { type: "uint32", data: [problem.strideA] },
    { type: "uint32", data: [problem.strideB] },
    { type: "float32", data: [problem.alpha] },
  ]);
  const entries: { binding: number; resource: { buffer: GpuBufferLike; offset?: number; size?: number } }[] = [
    { binding: 0, resource: { buffer: bufferOf(backend, output) } },
    { binding: 1, resource: { buffer: bufferOf(backend, call.a) } },
    { binding: 2, resource: { buffer: bufferOf(backend, call.b) } },
    { binding: 3, resource: uniforms },
  ];
  if (call.bias) entries.push({ binding: 4, resource: { buffer: bufferOf(backend, call.bias) } });
  const bindGroup = backend.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass();
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(Math.ceil(N / BN), Math.ceil(M / BM), batch);
  dispatches++;
  for (const tensor of [output, ...inputs]) backend.commandQueueOwnedIds.add(tensor.dataId);
  if (++backend.dispatchCountInPass >= submitBatchSize) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  return output;
}
