// npm run bench:gpu — MLP training speed on every available tfjs backend, our webgpu fixes on/off, and PyTorch.
// FLOPs per step are counted as 6 · parameters · batch (forward 2, backward 4 per weight per example).
// Flags: --backends=webgpu,wasm,cpu  --shapes=small,large  --pytorch  --seconds=N  --json=PATH  --check-steps=N
//        --matmul-seconds=N (time per route in the large-MLP matmul table; 0 skips it)
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { backendInfo, defaultWebGpuSpeedups, lastFitRoute, loadTf, switchBackend, trainLoop } from "../training/index.js";
import type { BackendName, Tf } from "../training/index.js";
import { adam, adapterSubgroupInfo, checkTiledMatmul, compileTrainStep, enableWideMatmul, setWebGpuSpeedups, wideMatmulDispatches, wideMatmulValidated } from "../training/webgpu/index.js";
import type { WebGpuSpeedups, WideVariant } from "../training/webgpu/index.js";
import { measureMatmuls } from "./gpu-matmul.js";
import { dawnFlags } from "../training/backends/webgpu.js";
import type * as tfTypes from "@tensorflow/tfjs";

interface Shape {
  id: "small" | "large";
  hidden: number;
  batch: number;
}
const SHAPES: Shape[] = [
  { id: "small", hidden: 1024, batch: 512 },
  { id: "large", hidden: 4096, batch: 4096 },
];
const INPUTS = 784;
/**
 * Losses compared against the baseline: 6 steps by default, so a captured step is checked over 4 replays;
 * --check-steps=100 checks 98 replays (the slow baselines then read 100 steps one by one).
 */
const CHECKED_STEPS = Math.max(3, Number(argument("check-steps") ?? 6));
const CLASSES = 10;

interface Variant {
  name: string;
  speedups: WebGpuSpeedups;
  fusedAdam: boolean;
  /** Step capture and replay (training/webgpu/capture.ts) instead of trainLoop. */
  capture?: boolean;
  /** What a user gets: trainLoop with tf.train.adam and no options, on the speed-ups the backend started with. */
  userDefaults?: boolean;
  /** Captured step on the speed-ups the backend started with (the subgroup matmul when its self-check passed). */
  backendDefaults?: boolean;
}
/** The speed-ups labnote turned on before the subgroup matmul existed: the "without" of the side-by-side rows. */
const TILED_DEFAULTS: WebGpuSpeedups = { uniformArena: true, submitBatching: true, explicitTransposes: { a: false, b: true, tiled: true } };
const withWide = (wide: WideVariant): WebGpuSpeedups => ({ ...TILED_DEFAULTS, explicitTransposes: { ...TILED_DEFAULTS.explicitTransposes!, wide } });
const NO_SUBGROUP_ROW = "+step capture, tiled matmul, no subgroup kernel";
const SUBGROUP_ROW = "+step capture +subgroup matmul";
// Trimmed after the second H100 run (docs/bench/gpu-h100-run2.log): submit batching alone, uniform arena alone and
// transposed A,B without capture changed nothing or lost; kept are the baseline, fused Adam, the best capture
// variants, labnote's defaults, and what a user gets through trainLoop.
const WEBGPU_VARIANTS: Variant[] = [
  { name: "baseline (tfjs defaults)", speedups: { uniformArena: false, submitBatching: false }, fusedAdam: false },
  { name: "+fused Adam", speedups: { uniformArena: false, submitBatching: false }, fusedAdam: true },
  { name: "+fused Adam +tiled matmul", speedups: { uniformArena: false, submitBatching: true, explicitTransposes: { a: true, b: true, tiled: true } }, fusedAdam: true },
  { name: "+step capture +transposed B", speedups: { uniformArena: false, submitBatching: true, explicitTransposes: { a: false, b: true } }, fusedAdam: true, capture: true },
  { name: "+step capture +tiled matmul", speedups: { uniformArena: false, submitBatching: true, explicitTransposes: { a: true, b: true, tiled: true } }, fusedAdam: true, capture: true },
  { name: NO_SUBGROUP_ROW, speedups: TILED_DEFAULTS, fusedAdam: true, capture: true },
  { name: SUBGROUP_ROW, speedups: withWide("subgroup"), fusedAdam: true, capture: true },
  { name: "+step capture +wide shared-memory matmul", speedups: withWide("shared"), fusedAdam: true, capture: true },
  { name: "+step capture (labnote defaults)", speedups: TILED_DEFAULTS, fusedAdam: true, capture: true, backendDefaults: true },
  { name: "trainLoop (default settings)", speedups: { uniformArena: true, submitBatching: true }, fusedAdam: false, userDefaults: true },
];
const PLAIN: Variant = { name: "default", speedups: { uniformArena: false, submitBatching: false }, fusedAdam: false };

export interface Measurement {
  backend: string;
  shape: string;
  variant: string;
  steps: number;
  stepsPerSecond: number;
  tflops: number;
  firstLosses: number[];
  check: string;
  /** Steps per second of this process's CPU time (user + system): robust to other load on a shared machine. */
  stepsPerCpuSecond?: number;
  /** Extra facts about the variant (e.g. whether the captured step replayed, and why not). */
  note?: string;
}

/**
 * What `chromium-experimental-subgroup-matrix` offers here: Dawn lists the feature and its configurations only on an
 * instance with allow_unsafe_apis, so a separate instance is asked (labnote's own device never uses unsafe APIs).
 */
async function subgroupMatrixSupport(): Promise<string> {
  try {
    const specifier: string = "webgpu";
    const dawn = (await import(specifier)) as { create(flags: string[]): { requestAdapter(o?: object): Promise<{ features: Set<string>; info?: { subgroupMatrixConfigs?: Record<string, unknown>[] } } | null> } };
    const flags = [...dawnFlags().filter((flag) => !flag.startsWith("enable-dawn-features=")), "enable-dawn-features=allow_unsafe_apis"];
    const adapter = await dawn.create(flags).requestAdapter({ powerPreference: "high-performance" });
    if (!adapter) return "no adapter on the second instance";
    if (!adapter.features.has("chromium-experimental-subgroup-matrix")) return "feature not offered";
    const configs = adapter.info?.subgroupMatrixConfigs ?? [];
    const described = Array.from(configs, (c) => `${String(c.componentType)}→${String(c.resultComponentType)} ${String(c.M)}×${String(c.N)}×${String(c.K)}`);
    return `feature offered; configurations: ${described.length ? described.join(", ") : "none"}`;
  } catch (error) {
    return `could not ask (${error instanceof Error ? error.message : String(error)})`;
  }
}

/** Which matmul kernels a set of speed-ups routes large matmuls to. */
function matmulLabel(speedups: WebGpuSpeedups): string {
  const routing = speedups.explicitTransposes;
  if (routing?.wide) return `${routing.wide} 64×256 kernel${routing.tiled ? ", else tiled" : ""}`;
  if (routing?.tiled) return "tiled 128×128";
  return routing?.b ? "tfjs + transposed B" : "tfjs";
}

function argument(name: string): string | undefined {
  const prefix = `--${name}=`;
  const found = process.argv.find((arg) => arg === `--${name}` || arg.startsWith(prefix));
  if (!found) return undefined;
  return found === `--${name}` ? "" : found.slice(prefix.length);
}

function parameterCount(shape: Shape): number {
  return INPUTS * shape.hidden + shape.hidden + shape.hidden * shape.hidden + shape.hidden + shape.hidden * CLASSES + CLASSES;
}

/** Deterministic values (same start for every backend and variant) without a host-side RNG dependency. */
function seededUniform(count: number, seed: number, scale: number): Float32Array {
  const values = new Float32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = ((state / 4294967296) * 2 - 1) * scale;
  }
  return values;
}

function buildMlp(tf: Tf, shape: Shape) {
  const sizes = [INPUTS, shape.hidden, shape.hidden, CLASSES];
  const params: tfTypes.Variable[] = [];
  for (let layer = 0; layer < 3; layer++) {
    const fanIn = sizes[layer]!;
    const fanOut = sizes[layer + 1]!;
    params.push(tf.variable(tf.tensor2d(seededUniform(fanIn * fanOut, 17 + layer, Math.sqrt(6 / (fanIn + fanOut))), [fanIn, fanOut]), true, `w${layer}_${Math.random()}`));
    params.push(tf.variable(tf.zeros([fanOut]), true, `b${layer}_${Math.random()}`));
  }
  const x = tf.tensor2d(seededUniform(shape.batch * INPUTS, 5, 1), [shape.batch, INPUTS]);
  const labels = Array.from({ length: shape.batch }, (_, i) => (i * 7) % CLASSES);
  const y = tf.oneHot(tf.tensor1d(labels, "int32"), CLASSES).toFloat();
  const lossFn = (input: tfTypes.Tensor, target: tfTypes.Tensor): tfTypes.Tensor => {
    const [w0, b0, w1, b1, w2, b2] = params as unknown as [tfTypes.Tensor2D, tfTypes.Tensor1D, tfTypes.Tensor2D, tfTypes.Tensor1D, tfTypes.Tensor2D, tfTypes.Tensor1D];
    // Bias and ReLU fused into the matmul (one kernel on webgpu and wasm).
    const h0 = tf.fused.matMul({ a: input as tfTypes.Tensor2D, b: w0, bias: b0, activation: "relu" });
    const h1 = tf.fused.matMul({ a: h0, b: w1, bias: b1, activation: "relu" });
    const logits = tf.fused.matMul({ a: h1, b: w2, bias: b2 });
    return tf.losses.softmaxCrossEntropy(target, logits);
  };
  return { params, x, y, lossFn, dispose: () => tf.dispose([...params, x, y]) };
}

/** The captured step: the first steps read one by one (warm-up, recording, then replays) for the loss check, then timed. */
async function measureCaptured(tf: Tf, backend: string, shape: Shape, variant: Variant, seconds: number, maxSteps: number): Promise<Measurement> {
  const speedups = variant.backendDefaults ? defaultWebGpuSpeedups() : variant.speedups;
  setWebGpuSpeedups(tf, speedups);
  const wideBefore = wideMatmulDispatches();
  const mlp = buildMlp(tf, shape);
  const optimizer = adam(tf, { learningRate: 1e-3, fused: variant.fusedAdam });
  const compiled = compileTrainStep(tf, {
    lossFn: (x, y) => tf.mean(mlp.lossFn(x, y)) as tfTypes.Scalar,
    variables: mlp.params,
    optimizer,
    inputs: [mlp.x, mlp.y],
  });
  try {
    const firstLosses: number[] = [];
    for (let i = 0; i < CHECKED_STEPS; i++) {
      compiled.step();
      firstLosses.push(await compiled.loss());
    }
    const probeStarted = performance.now();
    for (let i = 0; i < 5; i++) compiled.step();
    await compiled.loss();
    const perStep = (performance.now() - probeStarted) / 5000;
    const steps = Math.max(1, Math.min(maxSteps * 4, Math.round(seconds / Math.max(perStep, 1e-5))));
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < steps; i++) {
      compiled.step();
      if ((i + 1) % 100 === 0 && i + 1 < steps) await compiled.loss(); // as trainLoop: one read per 100 steps
    }
    await compiled.loss();
    const elapsed = (performance.now() - started) / 1000;
    const cpuUsed = process.cpuUsage(cpuBefore);
    const stepsPerSecond = steps / elapsed;
    const tflops = (6 * parameterCount(shape) * shape.batch * stepsPerSecond) / 1e12;
    return {
      backend, shape: shape.id, variant: variant.name, steps, stepsPerSecond, tflops, firstLosses, check: "",
      stepsPerCpuSecond: steps / ((cpuUsed.user + cpuUsed.system) / 1e6),
      note: `${compiled.mode}: ${compiled.reason}; matmul ${matmulLabel(speedups)}, ${wideMatmulDispatches() - wideBefore} wide-kernel dispatches recorded`,
    };
  } finally {
    compiled.dispose();
    optimizer.dispose();
    mlp.dispose();
  }
}

async function measure(tf: Tf, backend: string, shape: Shape, variant: Variant, seconds: number, maxSteps: number): Promise<Measurement> {
  if (variant.capture) return measureCaptured(tf, backend, shape, variant, seconds, maxSteps);
  setWebGpuSpeedups(tf, variant.userDefaults ? defaultWebGpuSpeedups() : variant.speedups);
  const mlp = buildMlp(tf, shape);
  // The user path: tf.train.adam and trainLoop's defaults (fused Adam + step capture on webgpu when capturable).
  const optimizer = variant.userDefaults ? tf.train.adam(1e-3) : adam(tf, { learningRate: 1e-3, fused: variant.fusedAdam });
  // The other variants measure the plain tfjs path with their own settings: no capture.
  const common = { params: mlp.params, lossFn: mlp.lossFn, optimizer, data: { x: mlp.x, y: mlp.y }, batchSize: shape.batch, run: null, capture: variant.userDefaults === true };
  try {
    // Warm-up: shader compilation and buffer pools; its losses check the variant computes what the baseline does.
    // Slow backends (pure JS, wasm on the large MLP) time a single step with no warm-up, to keep the bench short.
    const slow = maxSteps <= 2;
    const warm = slow ? undefined : await trainLoop({ ...common, steps: CHECKED_STEPS, readEvery: 1 });
    // A captured loop's first two steps are slow (warm-up, recording): probe past them before sizing the timed run.
    const probe = variant.userDefaults && !slow ? await trainLoop({ ...common, steps: 40, readEvery: 40 }) : warm;
    const perStep = probe ? probe.seconds / probe.steps : Number.POSITIVE_INFINITY;
    const steps = Math.max(1, Math.min(maxSteps, Math.round(seconds / Math.max(perStep, 1e-4))));
    const cpuBefore = process.cpuUsage();
    const timed = await trainLoop({ ...common, steps, readEvery: Math.min(steps, 100) });
    const cpuUsed = process.cpuUsage(cpuBefore);
    const stepsPerCpuSecond = steps / ((cpuUsed.user + cpuUsed.system) / 1e6);
    const stepsPerSecond = timed.stepsPerSecond;
    const tflops = (6 * parameterCount(shape) * shape.batch * stepsPerSecond) / 1e12;
    return {
      backend, shape: shape.id, variant: variant.name, steps, stepsPerSecond, tflops, firstLosses: (warm ?? timed).losses.slice(0, CHECKED_STEPS), check: "", stepsPerCpuSecond,
      note: variant.userDefaults ? `capture ${timed.capture}` : undefined,
    };
  } finally {
    optimizer.dispose();
    mlp.dispose();
  }
}

type LayersHow = "fit" | "fit, tfjs's own loop" | "trainLoop, capture: false" | "trainLoop (default settings)";
/** The variants printed against PyTorch as "what a user gets without options". */
const LAYERS_USER_PATHS = ["trainLoop (default settings)", "layers model + trainLoop (default settings)", "layers model model.fit", "layers model model.fit (tfjs's own loop)"];
const LAYERS_HOWS: LayersHow[] = ["fit", "fit, tfjs's own loop", "trainLoop, capture: false", "trainLoop (default settings)"];

/**
 * The same MLP as a layers model (seeded initial weights, so every variant starts equal): model.fit (one epoch =
 * one step here), trainLoop on the plain tfjs path, and trainLoop as a user calls it (fused Adam + capture on webgpu).
 */
async function measureLayers(tf: Tf, backend: string, shape: Shape, how: LayersHow, seconds: number): Promise<Measurement> {
  const dense = (units: number, activation: "relu" | "softmax", seed: number, inputShape?: number[]) =>
    tf.layers.dense({ units, activation, inputShape, kernelInitializer: tf.initializers.glorotUniform({ seed }) });
  const model = tf.sequential({ layers: [dense(shape.hidden, "relu", 101, [INPUTS]), dense(shape.hidden, "relu", 102), dense(CLASSES, "softmax", 103)] });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  const { x, y, dispose } = buildMlp(tf, shape);
  let capture: string | undefined;
  try {
    const run = async (steps: number, readEvery = Math.min(steps, 100)): Promise<{ seconds: number; losses: number[] }> => {
      const started = performance.now();
      let losses: number[];
      if (how === "fit" || how === "fit, tfjs's own loop") {
        // The user's unchanged call. labnote routes it through trainLoop's step (fused Adam + capture on webgpu);
        // LABNOTE_FAST_FIT=0 gives tfjs's own fit loop for the comparison.
        if (how !== "fit") process.env.LABNOTE_FAST_FIT = "0";
        try {
          const history = await model.fit(x, y, { batchSize: shape.batch, epochs: steps, verbose: 0, shuffle: false });
          losses = (history.history.loss ?? []).map(Number);
        } finally {
          delete process.env.LABNOTE_FAST_FIT;
        }
        capture = lastFitRoute();
      } else {
        const result = await trainLoop({ model, loss: "categoricalCrossentropy", data: { x, y }, batchSize: shape.batch, steps, readEvery, run: null, capture: how !== "trainLoop, capture: false" });
        losses = result.losses;
        capture = result.capture;
      }
      return { seconds: (performance.now() - started) / 1000, losses };
    };
    const first = await run(CHECKED_STEPS, 1);
    const probe = await run(40);
    const perStep = probe.seconds / 40;
    const steps = Math.max(1, Math.min(5000, Math.round(seconds / Math.max(perStep, 1e-4))));
    const stepsPerSecond = steps / (await run(steps)).seconds;
    const tflops = (6 * parameterCount(shape) * shape.batch * stepsPerSecond) / 1e12;
    const variant = how === "fit" ? "layers model model.fit" : how === "fit, tfjs's own loop" ? "layers model model.fit (tfjs's own loop)" : `layers model + ${how}`;
    const note = capture === undefined ? undefined : how.startsWith("fit") ? capture : `capture ${capture}`;
    return { backend, shape: shape.id, variant, steps, stepsPerSecond, tflops, firstLosses: first.losses, check: "", note };
  } finally {
    dispose();
    model.dispose();
  }
}

function compareLosses(result: Measurement, reference: Measurement | undefined): string {
  if (!reference || reference === result) return "reference";
  const worst = Math.max(...result.firstLosses.map((loss, i) => Math.abs(loss - reference.firstLosses[i]!) / Math.max(1e-6, Math.abs(reference.firstLosses[i]!))));
  return Number.isFinite(worst) && worst < 2e-2 ? `losses match (${worst.toExponential(1)})` : `LOSSES DIFFER (${worst.toExponential(1)})`;
}

/** One JSON line of bench/gpu_pytorch.py: a shape and variant (eager, fused Adam, fused Adam + CUDA graph, …). */
interface TorchResult {
  shape: string;
  variant: string;
  device?: string;
  stepsPerSecond: number;
  tflops: number;
  lossCheck?: string;
  /** Set instead of the numbers when the variant failed (e.g. torch.compile without Triton). */
  error?: string;
}

function runPytorch(shapes: Shape[], seconds: number): TorchResult[] {
  const here = dirname(fileURLToPath(import.meta.url));
  const script = process.env.LABNOTE_TORCH_SCRIPT ?? join(here, "gpu_pytorch.py");
  const python = process.env.LABNOTE_PYTHON ?? "python3";
  const args = [script, "--seconds", String(seconds), ...shapes.flatMap((s) => ["--shape", `${s.id}:${s.hidden}:${s.batch}`])];
  if (process.env.LABNOTE_TORCH_COMPILE === "1") args.push("--compile");
  const child = spawnSync(python, args, { encoding: "utf8", timeout: 600_000 });
  if (child.status !== 0) {
    console.log(`PyTorch run failed: ${(child.stderr || child.error?.message || "").trim().split("\n").slice(-3).join(" | ")}`);
    return [];
  }
  const results = child.stdout.trim().split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as TorchResult);
  for (const failed of results.filter((result) => result.error)) console.log(`PyTorch ${failed.shape} ${failed.variant}: FAILED ${failed.error}`);
  return results.filter((result) => !result.error);
}

function pytorchAvailable(): boolean {
  const python = process.env.LABNOTE_PYTHON ?? "python3";
  return spawnSync(python, ["-c", "import torch"], { encoding: "utf8" }).status === 0;
}

async function main(): Promise<void> {
  const seconds = Number(argument("seconds") ?? 4);
  const shapeIds = (argument("shapes") ?? "small,large").split(",");
  const shapes = SHAPES.filter((shape) => shapeIds.includes(shape.id));
  const tf = await loadTf();
  const chosen = backendInfo()!;
  console.log(chosen.reason);
  const wanted = (argument("backends") ?? "tensorflow,webgpu,wasm,cpu").split(",") as BackendName[];
  const results: Measurement[] = [];
  for (const backend of wanted) {
    try {
      if (tf.getBackend() !== backend) await switchBackend(backend);
    } catch (error) {
      console.log(`${backend}: not available (${error instanceof Error ? error.message.split(". ")[0] : String(error)})`);
      continue;
    }
    let variants = backend === "webgpu" ? WEBGPU_VARIANTS : [PLAIN];
    if (backend === "webgpu") {
      // The tiled shader is ours: check it against tfjs's matmul on this GPU before timing it.
      let error = Number.NaN;
      try {
        error = await checkTiledMatmul(tf);
      } catch (failure) {
        console.log(`tiled matmul check failed: ${failure instanceof Error ? failure.message : String(failure)}`);
      }
      const usable = Number.isFinite(error) && error < 1e-4;
      console.log(`tiled matmul check (fused bias+ReLU, ragged tiles) vs tfjs: max error ${error.toExponential(2)} of the largest value — ${usable ? "ok" : "NOT USED"}`);
      if (!usable) variants = variants.filter((variant) => !variant.speedups.explicitTransposes?.tiled);
      // labnote's 64×256 matmul: what the adapter offers, then each variant's run-time self-check against tfjs.
      const sub = adapterSubgroupInfo();
      console.log(`subgroups: ${sub.offered ? `offered, ${sub.minSize ?? "?"}–${sub.maxSize ?? "?"} lanes` : "not offered"}${sub.requested ? ", requested for tfjs's device" : ""}`);
      console.log(`subgroup matrices (a second Dawn instance with allow_unsafe_apis, for a future f32 subgroup-matrix kernel): ${await subgroupMatrixSupport()}`);
      for (const wide of ["subgroup", "shared"] as const) {
        const check = await enableWideMatmul(tf, wide).catch((failure: unknown) => ({ on: false, note: `${wide} matmul check threw: ${failure instanceof Error ? failure.message : String(failure)}` }));
        console.log(`${wide} matmul self-check (7 small problems: transposes, ragged tiles, batch, bias, activations) vs tfjs: ${check.note}`);
      }
      variants = variants.filter((variant) => !variant.speedups.explicitTransposes?.wide || wideMatmulValidated(variant.speedups.explicitTransposes.wide));
      console.log(`webgpu defaults this run (set at backend start, see the first line): large matmuls on ${matmulLabel(defaultWebGpuSpeedups())}`);
      const matmulSeconds = Number(argument("matmul-seconds") ?? 0.5);
      if (matmulSeconds > 0 && shapes.some((shape) => shape.id === "large")) {
        const large = shapes.find((shape) => shape.id === "large")!;
        const routes = [
          { name: "tfjs's own kernels", speedups: { uniformArena: true, submitBatching: true } as WebGpuSpeedups },
          { name: "tiled + transposed B (no subgroup)", speedups: TILED_DEFAULTS },
          ...(["subgroup", "shared"] as const).filter((wide) => wideMatmulValidated(wide)).map((wide) => ({ name: `${wide} 64×256 kernel`, speedups: withWide(wide) })),
        ];
        await measureMatmuls(tf, { batch: large.batch, hidden: large.hidden, inputs: INPUTS }, routes, matmulSeconds, (line) => console.log(line));
      }
      setWebGpuSpeedups(tf, defaultWebGpuSpeedups());
    }
    for (const shape of shapes) {
      // Pure JS needs ~10 s a step on the small MLP here and minutes on the large one: a few steps of the small only.
      if (backend === "cpu" && shape.id === "large") {
        console.log("cpu large: skipped (pure JS would need minutes per step)");
        continue;
      }
      const maxSteps = backend === "cpu" || (backend === "wasm" && shape.id === "large") ? 1 : 5000;
      let reference: Measurement | undefined;
      for (const variant of variants) {
        // The small MLP's products are below the 64×256 kernel's size rule (too few workgroups): rows with it would
        // repeat the tiled row there.
        if (shape.id === "small" && variant.speedups.explicitTransposes?.wide) continue;
        try {
          const result = await measure(tf, backend, shape, variant, seconds, maxSteps);
          reference ??= result;
          result.check = compareLosses(result, reference);
          results.push(result);
          console.log(`${backend.padEnd(10)} ${shape.id.padEnd(5)} ${variant.name.padEnd(44)} ${result.stepsPerSecond.toFixed(2).padStart(9)} steps/s ${result.tflops.toFixed(3).padStart(8)} TFLOP/s  (${result.steps} steps; ${result.check})${result.note ? `  [${result.note}]` : ""}`);
        } catch (error) {
          console.log(`${backend} ${shape.id} ${variant.name}: FAILED ${error instanceof Error ? error.message : String(error)}`);
        }
      }
      // model.fit vs trainLoop on a layers model: webgpu on both shapes, other fast backends on the small one.
      if (backend === "webgpu" || (shape.id === "small" && backend !== "cpu")) {
        setWebGpuSpeedups(tf, defaultWebGpuSpeedups());
        let layersReference: Measurement | undefined;
        for (const how of LAYERS_HOWS) {
          try {
            const result = await measureLayers(tf, backend, shape, how, seconds);
            const check = compareLosses(result, layersReference);
            layersReference ??= result;
            result.check = "layers";
            results.push(result);
            console.log(`${backend.padEnd(10)} ${shape.id.padEnd(5)} ${result.variant.padEnd(44)} ${result.stepsPerSecond.toFixed(2).padStart(9)} steps/s ${result.tflops.toFixed(3).padStart(8)} TFLOP/s  (${result.steps} steps; ${check === "reference" ? "layers reference" : check})${result.note ? `  [${result.note}]` : ""}`);
          } catch (error) {
            console.log(`${backend} ${shape.id} layers ${how}: FAILED ${error instanceof Error ? error.message : String(error)}`);
          }
        }
      }
    }
  }
  const torch = argument("pytorch") !== undefined || pytorchAvailable() ? runPytorch(shapes, seconds) : [];
  console.log("\nsummary (FLOPs/step = 6 x params x batch)");
  // Like for like: the custom loop (fused matmuls, trainLoop) on each backend, not the layers-model extras.
  const best = (backend: string, shape: string) =>
    results.filter((r) => r.backend === backend && r.shape === shape && r.check !== "layers").sort((a, b) => b.stepsPerSecond - a.stepsPerSecond)[0];
  for (const shape of shapes) {
    const fastest = results.filter((r) => r.shape === shape.id).sort((a, b) => b.stepsPerSecond - a.stepsPerSecond)[0];
    const defaultRun = best(chosen.name, shape.id);
    const cpu = best("cpu", shape.id);
    if (defaultRun && cpu) {
      console.log(`${shape.id}: default backend ${chosen.name} / cpu = ${(defaultRun.stepsPerSecond / cpu.stepsPerSecond).toFixed(1)}x wall-clock (custom loop, same run)`);
      if (defaultRun.stepsPerCpuSecond && cpu.stepsPerCpuSecond) {
        const perCpu = defaultRun.stepsPerCpuSecond / cpu.stepsPerCpuSecond;
        console.log(`${shape.id}: default backend ${chosen.name} / cpu = ${perCpu.toFixed(1)}x per CPU-second (${defaultRun.stepsPerCpuSecond.toFixed(2)} vs ${cpu.stepsPerCpuSecond.toFixed(3)} steps per CPU-second; both single-threaded)`);
      }
    }
    // Two anchors: eager PyTorch (default Adam) and the best PyTorch variant measured (fused Adam, CUDA graph, …).
    const torchRuns = torch.filter((t) => t.shape === shape.id);
    for (const t of torchRuns) {
      console.log(`${shape.id}: PyTorch ${t.variant ?? "eager"} ${t.device} ${t.stepsPerSecond.toFixed(1)} steps/s ${t.tflops.toFixed(2)} TFLOP/s${t.lossCheck ? ` (${t.lossCheck})` : ""}`);
    }
    const eager = torchRuns.find((t) => (t.variant ?? "eager") === "eager");
    const strongest = [...torchRuns].sort((a, b) => b.stepsPerSecond - a.stepsPerSecond)[0];
    const anchors = [eager ? { label: "PyTorch eager", run: eager } : undefined, strongest && strongest !== eager ? { label: `PyTorch best (${strongest.variant})`, run: strongest } : undefined]
      .filter((anchor): anchor is { label: string; run: TorchResult } => anchor !== undefined);
    for (const { label, run: t } of anchors) {
      if (fastest) console.log(`${shape.id}: tfjs best (${fastest.backend}, ${fastest.variant}) / ${label} = ${(fastest.stepsPerSecond / t.stepsPerSecond).toFixed(3)}x`);
      const webgpuBaseline = results.find((r) => r.backend === "webgpu" && r.shape === shape.id && r.variant.startsWith("baseline"));
      if (webgpuBaseline) console.log(`${shape.id}: tfjs webgpu baseline / ${label} = ${(webgpuBaseline.stepsPerSecond / t.stepsPerSecond).toFixed(3)}x`);
      const captured = results.find((r) => r.backend === "webgpu" && r.shape === shape.id && r.variant === "+step capture (labnote defaults)");
      if (captured) console.log(`${shape.id}: compileTrainStep (labnote defaults) / ${label} = ${(captured.stepsPerSecond / t.stepsPerSecond).toFixed(3)}x [${captured.note}]`);
      // The subgroup matmul side by side with the path without it (labnote's tiled matmul + transposed B).
      for (const row of [SUBGROUP_ROW, NO_SUBGROUP_ROW]) {
        const measured = results.find((r) => r.backend === "webgpu" && r.shape === shape.id && r.variant === row);
        if (measured) console.log(`${shape.id}: compileTrainStep ${row.replace("+step capture", "").replace(/^[ ,]+/, "")} / ${label} = ${(measured.stepsPerSecond / t.stepsPerSecond).toFixed(3)}x`);
      }
      // What a user gets without options: trainLoop on a custom loss and on a layers model, and plain model.fit.
      for (const name of LAYERS_USER_PATHS) {
        const user = results.find((r) => r.backend === "webgpu" && r.shape === shape.id && r.variant === name);
        if (user) console.log(`${shape.id}: user path ${name} / ${label} = ${(user.stepsPerSecond / t.stepsPerSecond).toFixed(3)}x${user.note ? ` [${user.note}]` : ""}`);
      }
    }
  }
  for (const shape of shapes) {
    const [withSubgroup, without] = [SUBGROUP_ROW, NO_SUBGROUP_ROW].map((row) => results.find((r) => r.backend === "webgpu" && r.shape === shape.id && r.variant === row));
    if (withSubgroup && without) console.log(`${shape.id}: compileTrainStep with / without the subgroup matmul = ${(withSubgroup.stepsPerSecond / without.stepsPerSecond).toFixed(3)}x (losses: ${withSubgroup.check})`);
  }
  const jsonPath = argument("json");
  if (jsonPath) writeFileSync(jsonPath, JSON.stringify({ backend: chosen, results, torch }, null, 1));
}

await main();
process.exit(0);
