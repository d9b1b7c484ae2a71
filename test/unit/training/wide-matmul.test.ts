// The 64×256-tile matmul (training/webgpu/wide-matmul.ts) without a GPU: its tile and lane layouts cover every
// element once, a JS emulation of the shader's tile loop (the same index formulas the WGSL is generated from) equals
// tfjs's cpu backend on the self-check problems, and a mismatching kernel is switched off for good with its reason.
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs";
import type { Tf } from "../../../training/index.js";
import { WIDE_TILE, aLaneSlot, aLaneSource, aLoadsPerThread, aTileSlot, bLoadsPerThread, bTileSlot, emulateWideMatmul, numberOps, shuffleSource, threadColumn, threadRow, tileAddress, wideBlockK, wideMatmulWgsl } from "../../../training/webgpu/wide-matmul.js";
import type { WideVariant } from "../../../training/webgpu/wide-matmul.js";
import {
  SELF_CHECK_PROBLEMS,
  activeWideMatmul,
  checkProblemDimensions,
  describeProblem,
  enableWideMatmul,
  problemInputs,
  resetWideMatmulForTests,
  selfCheckWide,
  setWideMatmul,
  wideRoute,
} from "../../../training/webgpu/wide-route.js";
import type { CheckProblem, ProblemRunner } from "../../../training/webgpu/wide-route.js";
import { fastestRoute } from "../../../training/webgpu/matmul-timing.js";

beforeAll(async () => {
  await tf.setBackend("cpu");
});
afterEach(() => resetWideMatmulForTests());

/** tfjs's cpu backend: the independent reference. */
async function reference(problem: CheckProblem): Promise<Float32Array> {
  const inputs = problemInputs(problem);
  const a = tf.tensor(inputs.a, inputs.aShape);
  const b = tf.tensor(inputs.b, inputs.bShape);
  const bias = inputs.bias ? tf.tensor1d(inputs.bias) : undefined;
  const product = tf.fused.matMul({ a, b, transposeA: problem.transposeA, transposeB: problem.transposeB, bias, activation: problem.activation, leakyreluAlpha: problem.alpha });
  const values = Float32Array.from(await product.data());
  tf.dispose([a, b, product, ...(bias ? [bias] : [])]);
  return values;
}

function emulated(variant: WideVariant, transposeAOverride?: boolean): ProblemRunner {
  return async (problem, wide) => {
    if (!wide) return reference(problem);
    const inputs = problemInputs(problem);
    const options = { variant, transposeA: transposeAOverride ?? problem.transposeA, transposeB: problem.transposeB, bias: problem.bias, activation: problem.activation };
    return emulateWideMatmul(options, checkProblemDimensions(problem), inputs.a, inputs.b, inputs.bias);
  };
}

describe("wide matmul layouts", () => {
  for (const variant of ["subgroup", "shared"] as const) {
    for (const transposed of [false, true]) {
      it(`${variant}: every element of the B${variant === "shared" ? " and A" : ""} tile is loaded by exactly one thread (transposed ${transposed})`, () => {
        const bk = wideBlockK(variant);
        const tiles: [string, number, number, (o: ReturnType<typeof numberOps>, j: number) => { mn: number; k: number }][] = [["B", WIDE_TILE.N, bLoadsPerThread(bk), (o, j) => bTileSlot(o, bk, transposed, j)]];
        if (variant === "shared") tiles.push(["A", WIDE_TILE.M, aLoadsPerThread(bk), (o, j) => aTileSlot(o, bk, transposed, j)]);
        for (const [, width, loads, slot] of tiles) {
          const seen = new Uint8Array(bk * width);
          for (let t = 0; t < WIDE_TILE.threads; t++) {
            for (let j = 0; j < loads; j++) {
              const { mn, k } = slot(numberOps({ t }), j);
              expect(mn).toBeLessThan(width);
              expect(k).toBeLessThan(bk);
              seen[k * width + mn]!++;
            }
          }
          expect([...new Set(seen)]).toEqual([1]);
        }
      });
    }
  }

  it("the swizzled shared-memory layout is one-to-one, and a warp's tile stores hit each bank at most twice", () => {
    const o = numberOps({});
    for (const width of [WIDE_TILE.N, WIDE_TILE.M]) {
      const seen = new Set<number>();
      for (let k = 0; k < 16; k++) {
        for (let mn = 0; mn < width; mn++) {
          const at = tileAddress(o, width, k, mn);
          expect(at.slot).toBeLessThan((16 * width) / 4);
          seen.add(at.slot * 4 + at.component);
        }
      }
      expect(seen.size).toBe(16 * width);
    }
    const worstBank = (address: (t: number) => { slot: number; component: number }) => {
      const banks = new Map<number, number>();
      for (let t = 0; t < 32; t++) {
        const at = address(t);
        const bank = (at.slot * 4 + at.component) % 32;
        banks.set(bank, (banks.get(bank) ?? 0) + 1);
      }
      return Math.max(...banks.values());
    };
    for (const variant of ["subgroup", "shared"] as const) {
      const bk = wideBlockK(variant);
      for (const transposed of [false, true]) {
        for (let j = 0; j < bLoadsPerThread(bk); j++) {
          expect(worstBank((t) => { const slot = bTileSlot(numberOps({ t }), bk, transposed, j); return tileAddress(o, WIDE_TILE.N, slot.k, slot.mn); })).toBeLessThanOrEqual(2);
        }
        if (variant === "shared") {
          for (let j = 0; j < aLoadsPerThread(bk); j++) {
            expect(worstBank((t) => { const slot = aTileSlot(numberOps({ t }), bk, transposed, j); return tileAddress(o, WIDE_TILE.M, slot.k, slot.mn); })).toBeLessThanOrEqual(2);
          }
        }
      }
    }
  });

  for (const transposeA of [false, true]) {
    it(`subgroup: each lane's two registers hold 8 of the warp's 16×16 A values once, and aLaneSource finds them (transposeA ${transposeA})`, () => {
      const owner = new Map<string, string>();
      for (let lane = 0; lane < WIDE_TILE.lanes; lane++) {
        for (let g = 0; g < 2; g++) {
          for (let c = 0; c < 4; c++) {
            const { mn, k } = aLaneSlot(numberOps({ lane }), transposeA, g, c);
            expect(mn).toBeLessThan(WIDE_TILE.warpRows);
            expect(k).toBeLessThan(16);
            expect(owner.has(`${mn},${k}`)).toBe(false);
            owner.set(`${mn},${k}`, `${lane}.${g}.${c}`);
          }
        }
      }
      expect(owner.size).toBe(WIDE_TILE.warpRows * 16);
      for (let row = 0; row < WIDE_TILE.warpRows; row++) {
        for (let k = 0; k < 16; k++) {
          const source = aLaneSource(transposeA, row, k);
          expect(`${source.lane}.${source.register}.${source.component}`).toBe(owner.get(`${row},${k}`));
        }
      }
    });
  }

  it("each thread's rows and columns cover the 64×256 tile once, and its shuffles name the lane that holds its A value", () => {
    const covered = new Set<number>();
    for (let t = 0; t < WIDE_TILE.threads; t++) {
      const o = numberOps({ lane: t % 32, warp: Math.floor(t / 32) });
      for (let i = 0; i < WIDE_TILE.rowsPerThread; i++) {
        for (let h = 0; h < 2; h++) for (let c = 0; c < 4; c++) covered.add(threadRow(o, i) * WIDE_TILE.N + threadColumn(o, h, c));
      }
    }
    expect(covered.size).toBe(WIDE_TILE.M * WIDE_TILE.N);
    expect(Math.max(...covered)).toBe(WIDE_TILE.M * WIDE_TILE.N - 1);
    for (const transposeA of [false, true]) {
      for (let i = 0; i < 8; i++) {
        for (let k = 0; k < 16; k++) {
          const source = shuffleSource(transposeA, i, k);
          for (const half of [0, 1]) {
            // Lane `half·16 + x` owns rows 8·half + i of the warp: the shuffle must land on the owner of that row.
            const owner = aLaneSource(transposeA, half * 8 + i, k);
            expect(source.lane + half * source.perHalf).toBe(owner.lane);
            expect([source.register, source.component]).toEqual([owner.register, owner.component]);
          }
        }
      }
    }
  });

  it("the shader's shuffles read the lanes shuffleSource names", () => {
    const wgsl = wideMatmulWgsl({ variant: "subgroup", transposeA: true, transposeB: false, bias: false, activation: "linear" });
    const source = shuffleSource(true, 5, 9);
    expect(wgsl).toContain(`a5 = subgroupShuffle(aCur${source.register}.${"xyzw"[source.component]}, laneBase + ${source.lane}u + half * ${source.perHalf}u)`);
    expect(wideMatmulWgsl({ variant: "shared", transposeA: true, transposeB: false, bias: false, activation: "linear" })).not.toMatch(/subgroup/);
  });
});

describe("the emulated tile loop against tfjs's cpu backend", () => {
  for (const variant of ["subgroup", "shared"] as const) {
    it(`${variant}: every self-check problem within fp32 rounding`, async () => {
      const result = await selfCheckWide(emulated(variant), SELF_CHECK_PROBLEMS, 1e-5);
      expect(result).toMatchObject({ ok: true });
    });
  }

  it("a larger ragged problem over several tiles in each direction (both transposes)", async () => {
    const problem: CheckProblem = { M: 200, K: 75, N: 700, batch: 0, transposeA: true, transposeB: true, bias: true, activation: "relu" };
    expect(await selfCheckWide(emulated("subgroup"), [problem], 1e-5)).toMatchObject({ ok: true });
  });
});

describe("self-check and fallback", () => {
  it("a kernel that reads A the wrong way round is caught on the first transposed problem, with the reason", async () => {
    const result = await selfCheckWide(emulated("subgroup", false));
    expect(result.ok).toBe(false);
    const firstTransposed = SELF_CHECK_PROBLEMS.find((problem) => problem.transposeA)!;
    if (!result.ok) expect(result.reason).toContain(`self-check mismatch on ${describeProblem(firstTransposed)}`);
  });

  it("a forced mismatch turns the variant off for good; %backend gets one line saying why", async () => {
    const tfLike = tf as unknown as Tf;
    let runs = 0;
    const wrong: ProblemRunner = async (problem, wide) => {
      runs++;
      const values = await reference(problem);
      if (wide) values[values.length - 1]! += 0.5;
      return values;
    };
    const first = await enableWideMatmul(tfLike, "subgroup", { runner: wrong });
    expect(first.on).toBe(false);
    expect(first.note).toMatch(/^subgroup matmul off: self-check mismatch on 67×33×261 transposeB bias relu: error .* > 0\.0001$/);
    expect(activeWideMatmul()).toBeUndefined();
    // Asked for again (a bench variant, a backend switch): refused without running anything.
    expect(setWideMatmul("subgroup")).toContain("self-check mismatch");
    expect(activeWideMatmul()).toBeUndefined();
    const before = runs;
    expect((await enableWideMatmul(tfLike, "subgroup", { runner: emulated("subgroup") })).on).toBe(false);
    expect(runs).toBe(before);
    // The route takes nothing, however large.
    const big = { dataId: {}, shape: [4096, 4096], dtype: "float32" };
    expect(wideRoute({ a: big, b: big, transposeA: false, transposeB: false, activation: "linear", alpha: 0 })).toBeUndefined();
  });

  it("a passing kernel is routed large matmuls only", async () => {
    const result = await enableWideMatmul(tf as unknown as Tf, "shared", { runner: emulated("shared") });
    expect(result.on).toBe(true);
    expect(result.note).toMatch(/^wide shared-memory matmul \(64×256 tiles; self-check error/);
    expect(activeWideMatmul()).toBe("shared");
    const tensor = (shape: number[]) => ({ dataId: {}, shape, dtype: "float32" });
    const call = (a: number[], b: number[], extra: object = {}) => ({ a: tensor(a), b: tensor(b), transposeA: false, transposeB: false, activation: "linear" as const, alpha: 0, ...extra });
    expect(wideRoute(call([4096, 784], [784, 4096]))).toMatchObject({ M: 4096, K: 784, N: 4096 });
    expect(wideRoute(call([4096, 4096], [4096, 4096], { transposeA: true }))).toMatchObject({ M: 4096, K: 4096, N: 4096 });
    expect(wideRoute(call([4096, 784], [4096, 4096], { transposeA: true }))).toMatchObject({ M: 784, K: 4096, N: 4096 }); // dW0 = Xᵀ·dZ0
    expect(wideRoute(call([4096, 4096], [4096, 10]))).toBeUndefined(); // N = 10: one column of tiles
    expect(wideRoute(call([64, 64], [64, 64]))).toBeUndefined();
    expect(wideRoute(call([4096, 4096], [4000, 4096]))).toBeUndefined(); // inner dimensions differ
    expect(wideRoute({ ...call([4096, 4096], [4096, 4096]), bias: tensor([1, 4096]) })).toBeUndefined();
    expect(wideRoute(call([70000, 64, 4096], [70000, 4096, 256]))).toBeUndefined(); // batch above 65,535 workgroups
    expect(wideRoute(call([8, 4096, 4096], [1, 4096, 4096]))).toMatchObject({ batch: 8, strideB: 0 });
  });
});

describe("choosing the route by timing", () => {
  it("takes the fastest route that ran, the earlier one on a tie, none when all failed", () => {
    expect(fastestRoute([{ route: "tiled", seconds: 3e-3 }, { route: "subgroup", seconds: 2e-3 }, { route: "shared", seconds: 2.5e-3 }])?.route).toBe("subgroup");
    expect(fastestRoute([{ route: "tiled", seconds: 2e-3 }, { route: "subgroup", seconds: 2e-3 }])?.route).toBe("tiled");
    expect(fastestRoute([{ route: "tiled", seconds: 2e-3 }, { route: "subgroup", seconds: Number.POSITIVE_INFINITY, error: "lost" }])?.route).toBe("tiled");
    expect(fastestRoute([{ route: "subgroup", seconds: Number.POSITIVE_INFINITY }])).toBeUndefined();
  });
});
