// The model-health side of the anomaly checks: dead units and unstable weights (from the per-layer series trainLoop
// and run.watch log), underfitting (train loss against the trivial baseline trainLoop logs as train.baseline_loss)
// and memory approaching out-of-memory. Called from RunMonitor's periodic check, never per log call.
import { DEAD_UNIT_SHARE, detectDeadUnits, detectMemoryPressure, detectUnderfitting, findWeightGrowth } from "./anomalies.js";
import { formatBytes, gpuMemoryTotalMb, tensorMemory, tensorMemoryLimit } from "./memory-limit.js";
import type { MetricSeries, SeriesTable } from "./series.js";

interface CheckedRun {
  readonly name: string;
  readonly series: SeriesTable;
  readonly lastStep: number;
  /** Steps the training loop plans to run, when it said (trainLoop does). */
  readonly plannedSteps?: number;
  warnOnce(kind: string, message: string): void;
}

/** Split of the share of each ReLU-family layer's units that output zero on the probe batch (trainLoop's probe). */
export const DEAD_UNITS_SPLIT = "dead_units";
/** A layer's weight norm growing past this factor of its first value is unstable. */
const WEIGHT_GROWTH = 10;

export class HealthChecks {
  private readonly checkedLength = new Map<MetricSeries, number>();
  private gpuTotalMb: number | undefined;

  /** `gpuTotalMb`: the GPU's total memory (default: nvidia-smi's, asked once per process). */
  constructor(private readonly run: CheckedRun, gpuTotalMb: Promise<number | undefined> = gpuMemoryTotalMb()) {
    void gpuTotalMb.then((total) => (this.gpuTotalMb = total));
  }

  check(): void {
    for (const series of this.run.series.all) {
      if (series.split !== DEAD_UNITS_SPLIT && series.split !== "weights") continue;
      const from = this.checkedLength.get(series) ?? 0;
      if (from === series.length) continue;
      this.checkedLength.set(series, series.length);
      if (series.split === DEAD_UNITS_SPLIT) this.checkDeadUnits(series);
      else if (series.key !== "global") this.checkWeights(series, from);
    }
    this.checkUnderfitting();
    this.checkMemory();
  }

  private checkDeadUnits(series: MetricSeries): void {
    if (!detectDeadUnits(series.values, series.length)) return;
    const share = series.values[series.length - 1]!;
    this.run.warnOnce(
      "dead-units",
      `labnote: ${percent(share)} of the units of layer "${series.key}" output zero on the whole probe batch at step ${series.steps[series.length - 1]} ` +
        `in run "${this.run.name}" (dead ReLUs; warned from ${percent(DEAD_UNIT_SHARE)}): check the bias initialisation (a large negative bias kills them), ` +
        `lower the learning rate, or use leakyReLU / ELU.`,
    );
  }

  private checkWeights(series: MetricSeries, from: number): void {
    const at = findWeightGrowth(series.values, series.length, WEIGHT_GROWTH, from);
    if (at < 0) return;
    const firstIndex = Array.prototype.findIndex.call(series.values, (value: number) => Number.isFinite(value));
    const value = series.values[at]!;
    const seen = Number.isFinite(value) ? `grew from ${short(series.values[firstIndex]!)} at step ${series.steps[firstIndex]} to ${short(value)}` : `became ${value}`;
    this.run.warnOnce(
      "unstable-weights",
      `labnote: the weight norm of layer "${series.key}" ${seen} at step ${series.steps[at]} in run "${this.run.name}" (unstable weights): ` +
        `lower the learning rate, clip gradients (trainLoop({ clipNorm: 1, … })), or add weight decay / normalisation.`,
    );
  }

  private checkUnderfitting(): void {
    const baseline = this.run.series.get("train", "baseline_loss");
    const loss = this.run.series.get("train", "loss");
    if (!baseline || baseline.length === 0 || !loss) return;
    const reference = baseline.values[baseline.length - 1]!;
    const mean = detectUnderfitting(loss.values, loss.length, reference, { steps: loss.steps, plannedSteps: this.run.plannedSteps });
    if (mean === undefined) return;
    this.run.warnOnce(
      "underfitting",
      `labnote: train loss ${short(mean)} (mean of the last points) at step ${loss.steps[loss.length - 1]} is no better than ${short(reference)}, the loss of ` +
        `always predicting the labels' mean/prior, in run "${this.run.name}": the model is underfitting (the loss is not falling fast enough to beat it` +
        `${this.run.plannedSteps !== undefined ? ` in the ${this.run.plannedSteps} planned steps` : ""}) — give it more capacity (units, layers, ` +
        `non-linear activations), train longer or with a larger learning rate, and check that the inputs carry signal about the labels.`,
    );
  }

  private checkMemory(): void {
    const memory = tensorMemory();
    if (memory) {
      const limit = tensorMemoryLimit(memory.backend, process.env, this.gpuTotalMb);
      if (limit && detectMemoryPressure(memory.bytes, limit.bytes)) {
        this.warnMemory(`tensors hold ${formatBytes(memory.bytes)}, ${percent(memory.bytes / limit.bytes)} of ${formatBytes(limit.bytes)} (${limit.source})`);
        return;
      }
    }
    // TensorFlow reserves most of the GPU up front, so the GPU's used memory says nothing under the tensorflow backend.
    const gpu = memory?.backend === "tensorflow" ? undefined : this.run.series.get("system", "gpu_memory_mb");
    if (gpu && gpu.length > 0 && this.gpuTotalMb !== undefined) {
      const used = gpu.values[gpu.length - 1]!;
      if (detectMemoryPressure(used, this.gpuTotalMb)) this.warnMemory(`the GPU has ${Math.round(used)} of its ${Math.round(this.gpuTotalMb)} MiB in use`);
    }
  }

  private warnMemory(seen: string): void {
    this.run.warnOnce(
      "memory-pressure",
      `labnote: ${seen} at step ${Math.max(this.run.lastStep, 0)} in run "${this.run.name}": out of memory is near — use a smaller batchSize ` +
        `or model, dispose tensors you keep (tf.tidy), or free other runs' tensors.`,
    );
  }
}

function percent(share: number): string {
  return `${Math.round(share * 100)}%`;
}

function short(value: number): string {
  return Math.abs(value) >= 1e-3 && Math.abs(value) < 1e4 ? String(Number(value.toPrecision(3))) : value.toExponential(2);
}
