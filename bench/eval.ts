// npm run bench:eval — accuracy + Brier + ECE over 10 million binary predictions, against scikit-learn on the same
// data (sklearn accuracy_score + brier_score_loss + a numpy ECE with the same definition), timed in a python process
// this script spawns. The data go to python as raw binary files, so both sides score identical numbers.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { binaryAccuracyBrierEce } from "../magics/eval/calibration.js";
import { createRandom } from "../magics/seed/prng.js";

const N = Number(process.env.LABNOTE_BENCH_EVAL_N ?? 10_000_000);
const REPEATS = 5;

const PYTHON_SCRIPT = `
import sys, time, json
import numpy as np
from sklearn.metrics import accuracy_score, brier_score_loss
labels = np.fromfile(sys.argv[1], dtype=np.uint8)
probs = np.fromfile(sys.argv[2], dtype=np.float64)
def run():
    accuracy = accuracy_score(labels, (probs > 0.5).astype(np.uint8))
    brier = brier_score_loss(labels, probs)
    confidence = np.where(probs > 0.5, probs, 1 - probs)
    correct = ((probs > 0.5) == (labels == 1)).astype(np.float64)
    bins = np.clip(np.ceil(confidence * 10).astype(np.int64) - 1, 0, 9)
    counts = np.bincount(bins, minlength=10)
    conf_sums = np.bincount(bins, weights=confidence, minlength=10)
    correct_sums = np.bincount(bins, weights=correct, minlength=10)
    filled = counts > 0
    ece = float(np.sum(counts[filled] / labels.size * np.abs(correct_sums[filled] / counts[filled] - conf_sums[filled] / counts[filled])))
    return accuracy, brier, ece
times = []
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    result = run()
    times.append(time.perf_counter() - start)
print(json.dumps({"accuracy": result[0], "brier": result[1], "ece": result[2], "times": times}))
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function main(): void {
  const random = createRandom(20240601);
  const labels = new Uint8Array(N);
  const probs = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const p = random();
    probs[i] = p;
    labels[i] = random() < p * 0.9 + 0.05 ? 1 : 0; // slightly miscalibrated, so the ECE is not ~0
  }
  const dir = mkdtempSync(join(tmpdir(), "labnote-bench-eval-"));
  try {
    writeFileSync(join(dir, "labels.u8"), labels);
    writeFileSync(join(dir, "probs.f64"), new Uint8Array(probs.buffer));
    const times: number[] = [];
    let scores = binaryAccuracyBrierEce(labels, probs);
    for (let r = 0; r < REPEATS; r++) {
      const start = process.hrtime.bigint();
      scores = binaryAccuracyBrierEce(labels, probs);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    const python = JSON.parse(
      execFileSync("/usr/bin/python3", ["-c", PYTHON_SCRIPT, join(dir, "labels.u8"), join(dir, "probs.f64"), String(REPEATS)], { encoding: "utf8", maxBuffer: 1 << 20 }),
    ) as { accuracy: number; brier: number; ece: number; times: number[] };
    const sklearnMs = median(python.times) * 1000;
    const labnoteMs = median(times);
    console.log(`accuracy + Brier + ECE over ${N.toLocaleString("en")} binary predictions (median of ${REPEATS}):`);
    console.log(`  labnote (one pass, typed arrays): ${labnoteMs.toFixed(1)} ms   [runs: ${times.map((t) => t.toFixed(0)).join(", ")} ms]`);
    console.log(`  scikit-learn 1.2 + numpy ECE:     ${sklearnMs.toFixed(1)} ms   [runs: ${python.times.map((t) => (t * 1000).toFixed(0)).join(", ")} ms]`);
    console.log(`  ratio sklearn / labnote: ${(sklearnMs / labnoteMs).toFixed(2)}×   target: labnote < 1000 ms → ${labnoteMs < 1000 ? "MET" : "NOT MET"}`);
    console.log(`  values: accuracy ${scores.accuracy} (sklearn ${python.accuracy}), brier ${scores.brier} (sklearn ${python.brier}), ece ${scores.ece} (sklearn ${python.ece})`);
    const worst = Math.max(Math.abs(scores.accuracy - python.accuracy), Math.abs(scores.brier - python.brier), Math.abs(scores.ece - python.ece));
    console.log(`  largest difference from sklearn: ${worst.toExponential(2)}${worst <= 1e-9 ? " (≤ 1e-9)" : " (ABOVE 1e-9)"}`);
    if (worst > 1e-9) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
