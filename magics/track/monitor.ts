// The periodic side of a run (never per log call): throughput, anomaly checks, weight norms, system metrics,
// the live chart (updated in place, throttled) and the context recorded at start and end.
import type { JSONObject, JSONValue } from "../../kernel/types.js";
import type { Display, DisplayHandle } from "../types.js";
import type { SampleRow, Store } from "../../store/types.js";
import { buildRunChartSpec, type ChartSeries } from "../../widgets/charts/metric-panels.js";
import { detectFlat, detectGradientNorm, detectTensorLeak, detectThroughputCollapse, detectWideningGap } from "./anomalies.js";
import { DEAD_UNITS_SPLIT, HealthChecks } from "./health-checks.js";
import { WatchProbe } from "./watch-probe.js";
import { captureEnvironment, currentSeedIfKnown, sessionDataHashesIfKnown } from "./environment.js";
import { weightNorms, type WatchableModel } from "./model-hooks.js";
import type { MetricSeries, SeriesTable } from "./series.js";
import { SystemSampler, tensorsAlive } from "./system-metrics.js";
import { samplesHtml, samplesText } from "./tables.js";

interface MonitoredRun {
  readonly id: string;
  readonly name: string;
  readonly projectDir: string;
  readonly series: SeriesTable;
  readonly lastStep: number;
  /** Steps the training loop plans to run (trainLoop says it). */
  readonly plannedSteps?: number;
  readonly options: { seed?: number | null };
  /** Samples and tokens counted by `run.log(…, { samples, tokens })`. */
  readonly processed?: { readonly samples: number; readonly tokens: number };
  record(metrics: Record<string, number>, options?: { step?: number; split?: string }): void;
  warnOnce(kind: string, message: string): void;
}

export interface MonitorOptions {
  display: Display | undefined;
  chartIntervalMs: number;
  systemIntervalMs: number;
  anomalies: boolean;
  /** `%%track --panels`: the chart panels to show (see widgets/charts/panel-groups.ts). */
  panels?: readonly string[];
}

const COUNTER_KEYS = ["samples", "tokens"] as const;
/** The next live chart waits this many times as long as the last one took (chart work ≤ 0.5% of a run's time). */
export const CHART_TIME_FACTOR = 200;

export class RunMonitor {
  private handle: DisplayHandle | undefined;
  private lastChartAt = 0;
  private chartIntervalMs: number;
  private chartedPoints = -1;
  private throughputAt = performance.now();
  private throughputStep = -1;
  private readonly counterSeen = new Map<MetricSeries, number>();
  private readonly processedSeen = { samples: 0, tokens: 0 };
  private readonly rates: number[] = [];
  private readonly tensorCounts: number[] = [];
  private tensorStep = -1;
  private readonly checkedLength = new Map<MetricSeries, number>();
  /** Gradient norms already run through the detector. */
  private gradientNormsChecked = 0;
  private watched: { model: WatchableModel; everySteps: number; lastStep: number } | undefined;
  private readonly sampler: SystemSampler;
  private context: Promise<{ env: JSONObject; seed: number | null }> | undefined;
  /** Dead units, unstable weights, underfitting, memory pressure. */
  private readonly health: HealthChecks;

  constructor(private readonly run: MonitoredRun, private readonly options: MonitorOptions) {
    this.chartIntervalMs = options.chartIntervalMs;
    this.health = new HealthChecks(run);
    this.sampler = new SystemSampler((sample) => {
      if (!this.stopped) this.run.record(sample, { step: Math.max(this.run.lastStep, 0), split: "system" });
    }, options.systemIntervalMs);
    this.sampler.start();
  }

  private stopped = false;

  stop(): void {
    this.sampler.stop(!this.stopped);
    this.stopped = true;
    void this.unitProbe?.dispose();
  }

  private unitProbe: WatchProbe | undefined;
  /** run.watch(model, { probe: x }): dead units per ReLU-family layer every `everySteps` logged steps. */
  probeUnits(model: ConstructorParameters<typeof WatchProbe>[0], x: ConstructorParameters<typeof WatchProbe>[1], everySteps: number): void {
    void this.unitProbe?.dispose();
    const failed = (error: unknown) => this.run.warnOnce("watch-probe", `labnote: run.watch could not probe the model's units (${String(error)}); pass a built tf.LayersModel and a batch of its inputs.`);
    // A reading that lands while the run ends is still recorded (and saved if the final flush has not run yet).
    this.unitProbe = new WatchProbe(model, x, everySteps, (shares, step) => this.run.record(shares, { step, split: DEAD_UNITS_SPLIT }), failed);
  }

  /** Called from run.log for a NaN/±Infinity value: warn at once, with the step. */
  nonFinite(series: MetricSeries, step: number): void {
    if (!this.options.anomalies) return;
    const value = series.last;
    this.run.warnOnce(
      "non-finite",
      `labnote: ${label(series)} is ${value} at step ${step} in run "${this.run.name}". Training has diverged: lower the learning rate, ` +
        `clip gradients, or check the inputs for NaN/Infinity.`,
    );
  }

  watch(model: WatchableModel, everySteps: number): void {
    this.watched = { model, everySteps: this.epochWatch ? Infinity : everySteps, lastStep: -Infinity };
  }

  private epochWatch = false;
  /** A model.fit callback logs weight norms at each epoch end; stop the step-based ones. */
  watchByEpochs(): void {
    this.epochWatch = true;
    if (this.watched) this.watched.everySteps = Infinity;
  }

  tick(now: number, final = false): void {
    const stepsAdvanced = this.run.lastStep > this.throughputStep;
    if (!final) this.sampler.catchUp();
    this.measureThroughput(final);
    if (stepsAdvanced) this.observeTensors();
    if (this.unitProbe && !final && this.run.lastStep >= 0) this.unitProbe.maybe(this.run.lastStep, (error) => this.run.warnOnce("watch-probe", `labnote: run.watch could not probe the model's units (${String(error)}).`));
    if (this.watched && !final && this.run.lastStep - this.watched.lastStep >= this.watched.everySteps) {
      this.watched.lastStep = this.run.lastStep;
      try {
        this.run.record(weightNorms(this.watched.model), { step: this.run.lastStep, split: "weights" });
      } catch (error) {
        this.run.warnOnce("watch", `labnote: run.watch could not read the model's weights (${String(error)}); pass a tf.LayersModel.`);
      }
    }
    if (this.options.anomalies) this.checkAnomalies();
    if (this.options.display && !final && now - this.lastChartAt >= this.chartIntervalMs) this.updateChart(now);
  }

  checkGradients(): void {
    const norms = this.run.series.get("train", "grad_norm");
    if (!norms || !this.options.anomalies) return;
    // Every norm logged since the last check, each against the ones before it: trainLoop logs them in bursts (one per
    // read-back), and a burst can end in NaN after the norm that exploded.
    let verdict: ReturnType<typeof detectGradientNorm>;
    let at = this.gradientNormsChecked + 1;
    for (; at <= norms.length && !verdict; at++) verdict = detectGradientNorm(norms.values, at);
    this.gradientNormsChecked = norms.length;
    if (verdict) {
      const index = at - 2;
      const step = norms.steps[index];
      const advice = verdict === "exploding" ? "lower the learning rate, or clip gradients (trainLoop({ clipNorm: 1, … }))" : "check activations (ReLU dying, sigmoid saturation), initialisation and the learning rate";
      this.run.warnOnce(`${verdict}-gradient`, `labnote: ${verdict} gradient norm ${norms.values[index]!.toExponential(2)} at step ${step} in run "${this.run.name}": ${advice}.`);
    }
  }

  private measureThroughput(final: boolean): void {
    const now = performance.now();
    const elapsed = (now - this.throughputAt) / 1000;
    if (elapsed < 1 && !final) return;
    if (elapsed <= 0 || this.run.lastStep < 0) return;
    const rates: Record<string, number> = {};
    if (this.run.lastStep > this.throughputStep) rates.steps_per_sec = (this.run.lastStep - this.throughputStep) / elapsed;
    for (const key of COUNTER_KEYS) {
      const counted = (this.run.processed?.[key] ?? 0) - this.processedSeen[key];
      this.processedSeen[key] += counted;
      if (counted > 0) rates[`${key}_per_sec`] = counted / elapsed;
      for (const series of this.run.series.all) {
        if (series.key !== key || series.split === "system") continue;
        const from = this.counterSeen.get(series) ?? 0;
        let sum = 0;
        for (let i = from; i < series.length; i++) sum += series.values[i];
        this.counterSeen.set(series, series.length);
        if (sum > 0) rates[`${key}_per_sec`] = (rates[`${key}_per_sec`] ?? 0) + sum / elapsed;
      }
    }
    this.throughputAt = now;
    this.throughputStep = this.run.lastStep;
    if (Object.keys(rates).length === 0) return;
    this.run.record(rates, { step: this.run.lastStep, split: "system" });
    if (rates.steps_per_sec !== undefined) {
      this.rates.push(rates.steps_per_sec);
      if (this.options.anomalies && !final && detectThroughputCollapse(this.rates)) {
        this.run.warnOnce("throughput-collapse", `labnote: throughput fell to ${rates.steps_per_sec.toFixed(1)} steps/s at step ${this.run.lastStep} in run "${this.run.name}" (from a median of ${median(this.rates).toFixed(1)}): check for a memory leak, swapping, or another process on the machine.`);
      }
    }
  }

  /** Tensors alive, once per check in which the step advanced: growing every time means a leak. */
  observeTensors(): void {
    const count = tensorsAlive();
    if (count === undefined || this.run.lastStep === this.tensorStep) return;
    this.tensorStep = this.run.lastStep;
    this.tensorCounts.push(count);
    if (this.options.anomalies && detectTensorLeak(this.tensorCounts)) {
      this.run.warnOnce("tensor-leak", `labnote: ${count} tensors alive and growing at every check up to step ${this.run.lastStep} in run "${this.run.name}": wrap the step in tf.tidy(() => …) or dispose() tensors you create.`);
    }
  }

  private checkAnomalies(): void {
    for (const series of this.run.series.all) {
      if (series.split === "system" || series.split === "weights") continue;
      const checked = this.checkedLength.get(series) ?? 0;
      if (checked === series.length) continue;
      this.checkedLength.set(series, series.length);
      if (/loss/i.test(series.key) && detectFlat(series.values, series.length)) {
        this.run.warnOnce(`flat-loss`, `labnote: ${label(series)} has not changed over the last 100 points (step ${series.steps[series.length - 1]}) in run "${this.run.name}": the model is not learning — check the learning rate (too small, or decayed to 0), that gradients reach the weights, and that inputs are not constant.`);
      }
      if (series.split === "val" && /loss/i.test(series.key)) {
        const train = this.run.series.get("train", series.key);
        // Every window ending at a point logged since the last check: a check can come after several evaluations.
        let widenedAt = -1;
        for (let end = Math.max(checked + 1, 1); end <= series.length && train && widenedAt < 0; end++) {
          if (detectWideningGap(train, { steps: series.steps, values: series.values, length: end })) widenedAt = end - 1;
        }
        if (widenedAt >= 0) {
          this.run.warnOnce("overfitting", `labnote: the gap between val and train ${series.key} has widened at each of the last 4 evaluations (step ${series.steps[widenedAt]}) in run "${this.run.name}": the model is overfitting — add regularisation or data, or stop earlier.`);
        }
      }
    }
    this.checkGradients();
    this.health.check();
  }

  chartSeries(): ChartSeries[] {
    // --panels may ask for per-layer weights and dead units: the chart builder hides per-layer series otherwise.
    if (this.options.panels) {
      return this.run.series.all.map((series) => ({ key: series.split === "weights" && series.key === "global" ? "weight_norm" : series.key, split: series.split, steps: series.steps, values: series.values, length: series.length }));
    }
    return this.run.series.all
      .filter((series) => (series.split !== "weights" || series.key === "global") && series.split !== DEAD_UNITS_SPLIT)
      .map((series) => ({ key: series.split === "weights" ? "weight_norm" : series.key, split: series.split, steps: series.steps, values: series.values, length: series.length }));
  }

  private updateChart(now: number): void {
    let points = 0;
    for (const series of this.run.series.all) points += series.length;
    if (points === this.chartedPoints) return;
    this.chartedPoints = points;
    this.lastChartAt = now;
    const started = performance.now();
    const spec = buildRunChartSpec(this.chartSeries(), { title: this.run.name, panels: this.options.panels });
    this.handle ??= this.options.display!.handle();
    this.handle.vegaLite(spec, { svg: false }).catch(() => undefined);
    // Big runs make specs slower to build and send: keep live-chart work under ~0.5% of the loop's time.
    this.chartIntervalMs = Math.max(this.options.chartIntervalMs, CHART_TIME_FACTOR * (performance.now() - started));
  }

  /** The final chart, with the SVG fallback so nbconvert and GitHub show the curves. */
  async finalChart(): Promise<void> {
    if (!this.options.display || this.run.series.all.length === 0) return;
    this.handle ??= this.options.display.handle();
    try {
      await this.handle.vegaLite(buildRunChartSpec(this.chartSeries(), { title: this.run.name, panels: this.options.panels }));
    } catch (error) {
      this.run.warnOnce("chart", `labnote: the final chart of run "${this.run.name}" could not be drawn (${String(error)}); the data is stored: %track show ${this.run.name}.`);
    }
  }

  showSamples(rows: readonly SampleRow[]): void {
    if (!this.options.display || rows.length === 0) return;
    this.options.display.bundle({ "text/html": samplesHtml(rows, { runRef: this.run.id.slice(0, 10) }), "text/plain": samplesText(rows) });
  }

  captureContext(store: Store): Promise<void> {
    this.context = (async () => {
      const [env, seed] = await Promise.all([captureEnvironment(this.run.projectDir), currentSeedIfKnown()]);
      return { env, seed: this.run.options.seed ?? seed };
    })();
    return this.context.then((context) => store.updateRun(this.run.id, context)).catch(() => undefined);
  }

  async contextForEnd(): Promise<{ env?: JSONObject; seed?: number | null; dataHashes?: Record<string, string> }> {
    const context = this.context ? await this.context.catch(() => undefined) : undefined;
    const dataHashes = await sessionDataHashesIfKnown();
    return { ...(context ?? {}), ...(Object.keys(dataHashes).length > 0 ? { dataHashes } : {}) };
  }
}

function label(series: MetricSeries): string {
  return series.split ? `${series.split} ${series.key}` : series.key;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

export type { JSONValue };
