// Where a watched trainLoop's CPU goes, counted from a V8 CPU profile of the main thread instead of an A/B of whole
// runs (which this shared 2-core machine's ±10% run-to-run swings drown). One tracked run with everything on (as
// bench:watch) is profiled after a warm-up of both sides; each sample is charged to the innermost frame of watching
// code on its stack — the run's log path, the periodic work it triggers (detectors, system metrics, live chart), the
// gradient-norm steps, the model probe and validation, the baseline, start and end — or to training. Contention slows
// both alike, so the share is steady where the A/B ratio is not. Not counted: the store's writer thread (the flush worker), the
// norm steps' own training (a norm step replaces a plain one: their surplus is estimated from per-call times).
// Usage: tsx bench/watch-profile.ts [STEPS]
import { mkdtempSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { track } from "../magics/track/index.js";
import { loadTf } from "../training/index.js";
import { machineLine, serializingDisplay, settle, squareSumData, timedTraining } from "./helpers.js";

const steps = Number(process.argv[2] ?? 10_000);
const tf = await loadTf();
const data = squareSumData(tf);
const projectDir = mkdtempSync(join(tmpdir(), "labnote-bench-watch-profile-"));

const watchedRun = (train: (more?: object) => Promise<void>) => async (): Promise<void> => {
  const run = track.start({ name: "bench-watch", projectDir, display: serializingDisplay() });
  await train({ run });
  await run.end();
};
console.log(machineLine());
// Warm-up both ways, as bench:watch.
await timedTraining(tf, data, { steps: Math.min(steps, 5000) }, (train) => train({ gradientNormEvery: 0, probeEvery: 0 }));
await timedTraining(tf, data, { steps: Math.min(steps, 5000) }, (train) => watchedRun(train)());
await settle();

const session = new Session();
session.connect();
await session.post("Profiler.enable");
await session.post("Profiler.setSamplingInterval", { interval: 200 });
await session.post("Profiler.start");
const cpu = await timedTraining(tf, data, { steps }, (train) => watchedRun(train)());
const { profile } = await session.post("Profiler.stop");
session.disconnect();

interface Node { id: number; callFrame: { functionName: string; url: string }; children?: number[] }
const nodes = new Map<number, Node>((profile.nodes as Node[]).map((node) => [node.id, node]));
const parent = new Map<number, number>();
for (const node of nodes.values()) for (const child of node.children ?? []) parent.set(child, node.id);

/** The watching category of a frame, or undefined for training and everything else. */
function category(frame: Node["callFrame"]): string | undefined {
  const file = frame.url.replace(/^file:\/\//, "");
  const name = frame.functionName;
  if (/\/training\/train-loop\.ts$/.test(file)) {
    if (name === "watchModel") return "probe + validation (every 100 steps)";
    if (name === "startWatching") return "baseline + probe set-up (once)";
    if (name === "logNorms") return "run.log of norms";
  }
  if (/\/training\/unit-probe\.ts$/.test(file)) return "model probe + baseline (unit-probe.ts)";
  if (/\/training\/gradient-watch\.ts$/.test(file) && name === "gradientStep") return "gradient-norm steps (whole step)";
  if (/\/magics\/track\/monitor\.ts$/.test(file)) return "periodic work (detectors, throughput, system metrics, chart)";
  if (/\/magics\/track\/(health-checks|anomalies|system-metrics)\.ts$/.test(file)) return "periodic work (detectors, throughput, system metrics, chart)";
  if (/\/widgets\/charts\//.test(file) || /\/bench\/helpers\.ts$/.test(file)) return "live chart (spec + serialising)";
  if (/\/magics\/track\/run\.ts$/.test(file)) {
    if (name === "end" || name === "finish" || /^(flush|final)/.test(name)) return "run start/end + flush";
    if (name === "Run" || name === "start") return "run start/end + flush";
    return "run.log path";
  }
  if (/\/magics\/track\/series\.ts$/.test(file)) return "run.log path";
  if (/\/magics\/track\/(metric-sink|environment|index)\.ts$/.test(file) || /\/store\//.test(file)) return "run start/end + flush";
  return undefined;
}

const charged = new Map<string, number>();
let total = 0;
let idle = 0;
const memo = new Map<number, string | undefined>();
function chargeOf(id: number): string | undefined {
  if (memo.has(id)) return memo.get(id);
  // The innermost watching frame decides: the periodic work that run.log triggers counts as periodic work, the
  // training kernels under a norm step as the norm step.
  let found: string | undefined;
  for (let at: number | undefined = id; at !== undefined && !found; at = parent.get(at)) found = category(nodes.get(at)!.callFrame);
  memo.set(id, found);
  return found;
}
const samples = profile.samples as number[];
const deltas = profile.timeDeltas as number[];
for (let index = 0; index < samples.length; index++) {
  const node = nodes.get(samples[index]!)!;
  const micros = deltas[index] ?? 0;
  if (node.callFrame.functionName === "(idle)") {
    idle += micros;
    continue;
  }
  total += micros;
  const kind = chargeOf(node.id);
  if (kind) charged.set(kind, (charged.get(kind) ?? 0) + micros);
}
// A norm step replaces a plain step: only its surplus over the plain steps' mean is watching.
const normSteps = Math.ceil(steps / 100);
const normKind = "gradient-norm steps (whole step)";
const normWhole = charged.get(normKind) ?? 0;
const otherWatching = [...charged].filter(([kind]) => kind !== normKind).reduce((sum, [, value]) => sum + value, 0);
const plainPerStep = (total - otherWatching - normWhole) / (steps - normSteps);
const normSurplus = normWhole - normSteps * plainPerStep;
const watching = otherWatching + normSurplus;
const training = total - watching;
console.log(`one watched run of ${steps} steps: ${cpu.toFixed(2)} s process CPU; profile ${(total / 1e6).toFixed(2)} s busy on the main thread (${(idle / 1e6).toFixed(2)} s idle), ${samples.length} samples`);
for (const [kind, micros] of [...charged].sort((a, b) => b[1] - a[1])) {
  if (kind === normKind) console.log(`  ${kind}: ${(micros / 1e6).toFixed(3)} s for ${normSteps} steps, ${(micros / normSteps / 1000).toFixed(2)} ms each against ${(plainPerStep / 1000).toFixed(2)} ms for a plain step: surplus ${(normSurplus / 1e6).toFixed(3)} s`);
  else console.log(`  ${kind}: ${(micros / 1e6).toFixed(3)} s`);
}
console.log(`watching on the main thread: ${(watching / 1e6).toFixed(3)} s against ${(training / 1e6).toFixed(3)} s of training → ${((watching / training) * 100).toFixed(2)}% overhead (target ≤ 3%)`);
