// A tracked run. `log` is the hot path: it validates, appends into columnar buffers and, at most every ~250 ms,
// runs the periodic work (flush to the store, live chart, anomaly checks, throughput). Everything that touches
// the store is asynchronous, batched and tracked so `end()` can wait for it; nothing awaits inside `log`.
import { hookGradients, type GradientWatchedModel } from "./gradient-hook.js";
import type { JSONObject, JSONValue } from "../../kernel/types.js";
import type { Display } from "../types.js";
import type { ArtifactRecord, RunRecord, RunStatus, SampleRow, Store } from "../../store/types.js";
import { storeSink, workerSink, type MetricChunk, type MetricSink } from "./metric-sink.js";
import { newId } from "../../store/ids.js";
import { SeriesTable, type MetricSeries } from "./series.js";
import { RunMonitor } from "./monitor.js";
import { copyArtifact } from "./artifacts.js";
import { createProgress } from "../../widgets/progress.js";
import { makeCallback, type EpochProgress, type FitCallback, type CallbackOptions, globalNorm, type NormTensor, type WatchableModel } from "./model-hooks.js";
import { finalMetrics, runResult, type RunResult } from "./summary.js";

export interface LogOptions {
  step?: number;
  /** "train", "val", … An identifier; a run started with `splits` allows only those (plus "system"). */
  split?: string;
  /** Samples processed since the previous log call: the run records samples_per_sec (a system metric). */
  samples?: number;
  /** Tokens processed since the previous log call: the run records tokens_per_sec (a system metric). */
  tokens?: number;
}

export interface RunOptions {
  name?: string;
  params?: Record<string, JSONValue>;
  tags?: string[];
  notes?: string;
  /** Where runs are stored (.labnote/ inside it) and artifacts must live. Default: process.cwd(). */
  projectDir?: string;
  /** A store to use instead of the project's shared one (getStore(projectDir)). */
  store?: Store | Promise<Store>;
  /** Live charts are drawn (and updated in place) here; `true` uses the notebook's `display` global. Default: none. */
  display?: Display | boolean;
  /** Where anomaly and store warnings go. Default: stderr. */
  warn?: (message: string) => void;
  code?: string;
  notebook?: string;
  kernelId?: string;
  seed?: number | null;
  studyName?: string;
  trialNumber?: number;
  /** Allowed splits; default any identifier. */
  splits?: string[];
  /** Background flush interval; a crash loses at most this much. Default 500 ms, at most 1000. */
  flushIntervalMs?: number;
  /** Minimum ms between two live chart updates. Default 250. */
  chartIntervalMs?: number;
  /** System metrics sampling interval (0 disables). Default 1000 (GPU readings at most every 2 s); one more reading at the end. */
  systemIntervalMs?: number;
  /** Record environment, seed and data hashes. Default true. */
  captureEnvironment?: boolean;
  /** Anomaly warnings. Default true. */
  anomalies?: boolean;
  /** The live chart's panels (`%%track --panels loss,val.acc,gradients.*`); default: every group, key metrics first. */
  panels?: string[];
}

export type LogListener = (metrics: Record<string, number>, step: number, split: string) => void;

let currentRun: Run | undefined;

function processedCount(name: "samples" | "tokens", value: unknown, run: string): number {
  if (typeof value === "number" && Number.isFinite(value) && value >= 0) return value;
  throw new Error(`run.log: ${name} counts the ${name} processed since the previous log call and must be a number ≥ 0, got ${String(value)} (run "${run}"); e.g. run.log({ loss }, { step, ${name}: batchSize${name === "tokens" ? " * sequenceLength" : ""} }).`);
}

/** At most this many log calls share one clock read (only while they all fall in the same millisecond). */
const MAX_CLOCK_STRIDE = 32;

export function currentTrackedRun(): Run | undefined {
  return currentRun;
}

/** A batch of a model's inputs (a tf.Tensor) for run.watch's unit probe. */
export interface ProbeBatch {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}

/** run.watch(model, { gradients: true }) measures every this many batches by default. */
const DEFAULT_FIT_GRADIENT_EVERY = 10;

export class Run {
  readonly id: string;
  readonly name: string;
  readonly params: Record<string, JSONValue>;
  readonly tags: string[];
  readonly projectDir: string;
  readonly startedAt = Date.now();
  /** Resolves once the run is recorded in the store (logging works before that; points wait in memory). */
  readonly ready: Promise<void>;
  readonly series: SeriesTable;
  status: RunStatus = "running";

  private store: Store | undefined;
  private sink: MetricSink | undefined;
  private lastFlushAt = Date.now();
  private autoStep = 0;
  /** Highest step logged so far (throughput). */
  lastStep = -1;
  /** Steps the training loop plans to run (trainLoop says it through planSteps); the underfitting check reads it. */
  plannedSteps: number | undefined;
  private nextCheckAt = 0;
  private readonly checkEveryMs: number;
  readonly flushIntervalMs: number;
  private lastHeartbeatAt = 0;
  private closed = false;
  private ending: Promise<void> | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  /** Ranges whose write failed; re-read from the series buffers (which keep every point) at the next flush. */
  private failedRanges: Array<{ series: MetricSeries; from: number; to: number }> = [];
  private readonly listeners: LogListener[] = [];
  private lastSeries: MetricSeries | undefined;
  private clockValue = 0;
  private clockStride = 1;
  private clockCountdown = 0;
  private lastExplicitStep = NaN;
  private readonly warned = new Set<string>();
  private readonly userSummary: Record<string, JSONValue> = {};
  private recordDirty = false;
  private sampleCount = 0;
  private readonly monitor: RunMonitor;
  /** Where live charts and progress bars go (undefined: nowhere). */
  private readonly display: Display | undefined;
  watchedModel: WatchableModel | undefined;

  constructor(readonly options: RunOptions = {}) {
    this.id = newId();
    this.name = options.name ?? `run-${this.id.slice(-6)}`;
    this.params = { ...(options.params ?? {}) };
    this.tags = [...(options.tags ?? [])];
    this.projectDir = options.projectDir ?? process.cwd();
    this.series = new SeriesTable(options.splits);
    this.flushIntervalMs = Math.min(1000, Math.max(10, options.flushIntervalMs ?? 500));
    this.checkEveryMs = Math.min(this.flushIntervalMs, options.chartIntervalMs ?? 250);
    if (options.notes) this.userSummary.notes = options.notes;
    this.display = resolveDisplay(options.display);
    this.monitor = new RunMonitor(this, { display: this.display, chartIntervalMs: options.chartIntervalMs ?? 250, systemIntervalMs: options.systemIntervalMs ?? 1000, anomalies: options.anomalies ?? true, panels: options.panels });
    this.ready = this.register();
    this.ready.catch((error: unknown) => this.warnOnce("store-open", `labnote: run "${this.name}" is not being saved: ${errorText(error)}. Its points stay in memory; fix the store (LABNOTE_STORE) and start a new run.`));
    const timer = setInterval(() => this.periodic(Date.now(), true), this.flushIntervalMs);
    timer.unref();
    this.stopTimer = () => clearInterval(timer);
    currentRun = this;
  }

  private readonly stopTimer: () => void;

  /** Samples and tokens counted by log calls (`{ samples, tokens }`), for the samples/s and tokens/s system metrics. */
  readonly processed = { samples: 0, tokens: 0 };

  /** Log scalar metrics: `run.log({ loss }, { step, split: "train" })`. Values must be numbers (NaN/Infinity are kept and flagged). */
  log(metrics: Record<string, number>, options?: LogOptions): void {
    if (this.closed) throw new Error(`run.log: run "${this.name}" has ended; start a new run (track.start or %%track) to log more.`);
    this.record(metrics, options);
  }

  /** log without the ended check: the run's own final measurements (throughput, system) go in while it ends. */
  record(metrics: Record<string, number>, options?: LogOptions): void {
    let step: number;
    let split = "";
    if (options !== undefined) {
      if (options.split !== undefined) split = options.split;
      if (options.samples !== undefined) this.processed.samples += processedCount("samples", options.samples, this.name);
      if (options.tokens !== undefined) this.processed.tokens += processedCount("tokens", options.tokens, this.name);
      if (options.step !== undefined) {
        step = options.step;
        if (typeof step !== "number" || !Number.isFinite(step)) throw new Error(`run.log: step must be a finite number, got ${String(step)}; pass { step: 10 } or leave it out to count automatically.`);
        if (step >= this.autoStep) this.autoStep = step + 1;
        if (step !== this.lastExplicitStep) {
          this.lastExplicitStep = step;
          this.clockCountdown = 0; // a new step of a training loop: time may have passed, read the clock
        }
      } else step = this.autoStep++;
    } else step = this.autoStep++;
    const splitSeries = this.series.forSplit(split);
    for (const key in metrics) {
      const value = metrics[key];
      if (typeof value !== "number") throw badValue(key, value, this.name);
    }
    let now = -1;
    for (const key in metrics) {
      const value = metrics[key];
      // The same key and split as the last call (a tight loop's usual case) skips the map lookup.
      let series = this.lastSeries;
      if (series !== undefined && series.key === key && series.split === split) {
        if (now < 0) now = this.wallClock();
      } else {
        series = splitSeries.get(key) ?? this.series.create(splitSeries, key, split);
        this.lastSeries = series;
        if (now < 0) now = this.freshWallClock();
      }
      series.push(step, value, now);
      if (value - value !== 0) this.monitor.nonFinite(series, step);
    }
    if (step > this.lastStep) this.lastStep = step;
    if (this.listeners.length > 0) for (const listener of this.listeners) listener(metrics, step, split);
    if (now >= this.nextCheckAt) this.periodic(now);
  }

  /**
   * Wall time for a point of the same series as the previous call. Date.now() has millisecond resolution and costs
   * ~35 ns, a third of a log call: while successive reads land in the same millisecond, read it every 2, 4, … up to
   * 32 calls (those calls share that millisecond anyway). A tick, a call for another series, a new explicit step, or
   * the run's timer firing (the loop yielded) resets it to every call; so only a burst of auto-stepped calls of one
   * series followed by slow ones that never yield can date up to 31 points early.
   */
  private wallClock(): number {
    if (--this.clockCountdown > 0) return this.clockValue;
    const now = Date.now();
    this.clockStride = now === this.clockValue ? Math.min(this.clockStride * 2, MAX_CLOCK_STRIDE) : 1;
    this.clockCountdown = this.clockStride;
    this.clockValue = now;
    return now;
  }

  /** Wall time read now; the next same-series call reads it again. */
  private freshWallClock(): number {
    this.clockValue = Date.now();
    this.clockStride = 1;
    this.clockCountdown = 1;
    return this.clockValue;
  }

  /** Record (or change) a hyperparameter. */
  param(key: string, value: JSONValue): void {
    this.params[key] = value;
    this.recordDirty = true;
  }

  /** Summary values shown with the run's final metrics (e.g. best accuracy, test score). */
  summary(values: Record<string, JSONValue>): void {
    Object.assign(this.userSummary, values);
    this.recordDirty = true;
  }

  /** Sample rows (input / prediction / label) stored with the run and shown as a paged table. */
  samples(rows: ReadonlyArray<Record<string, unknown>>): void {
    if (!Array.isArray(rows)) throw new Error("run.samples: pass an array of rows such as [{ input, pred, label }].");
    const stored: SampleRow[] = rows.map((row, offset) => toSampleRow(this.id, this.sampleCount + offset, row));
    this.sampleCount += stored.length;
    this.afterReady((store) => store.appendSamples(stored));
    this.monitor.showSamples(stored);
  }

  /** Copies a file of the project into .labnote/artifacts/<runId>/, hashes it and records it. */
  artifact(path: string): Promise<ArtifactRecord> {
    const copied = copyArtifact(this.projectDir, this.id, path);
    const recorded = copied.then(async (record) => {
      await this.ready;
      await this.store!.addArtifact(record);
      return record;
    });
    this.trackPromise(recorded.catch(() => undefined));
    return recorded;
  }

  /** A tf.CustomCallback-compatible object for model.fit: batch loss/metrics (train), epoch val_* (val), learning rate. */
  callback(options: CallbackOptions = {}): FitCallback {
    this.monitor.watchByEpochs();
    return makeCallback(this, options, (totalEpochs) => this.epochProgress(totalEpochs));
  }

  /**
   * An epoch progress bar in the cell: the run's display, else the notebook's `display` global when there is one —
   * except for a %tune trial's run, whose cell already shows the trials' bar (one bar per trial would bury it).
   */
  private epochProgress(totalEpochs: number): EpochProgress | undefined {
    const fallback = this.options.display === false || this.options.studyName !== undefined ? undefined : notebookDisplay();
    const display = this.display ?? fallback;
    if (display === undefined) return undefined;
    try {
      return createProgress(display, { total: totalEpochs, description: `epoch 0/${totalEpochs}`, throttleMs: 100 });
    } catch (error) {
      this.warnOnce("progress", `labnote: the epoch progress bar could not be shown (${errorText(error)}); training and tracking go on.`);
      return undefined;
    }
  }

  /** Log global and per-layer weight norms at each epoch end (with callback()) or every `everySteps` logged steps. */
  /**
   * Weight norms every `everySteps` steps; with `gradients`, also the global and per-layer gradient norms of the
   * batches model.fit / fitDataset applies (every 10th batch by default, or `gradients: { everySteps: N }`).
   */
  watch(model: WatchableModel, options: { everySteps?: number; gradients?: boolean | { everySteps?: number }; probe?: ProbeBatch } = {}): void {
    this.watchedModel = model;
    this.monitor.watch(model, options.everySteps ?? 100);
    // A batch of inputs: dead units per ReLU-family layer every everySteps steps (split "dead_units"), as trainLoop probes.
    if (options.probe) this.monitor.probeUnits(model as unknown as Parameters<RunMonitor["probeUnits"]>[0], options.probe as unknown as Parameters<RunMonitor["probeUnits"]>[1], options.everySteps ?? 100);
    if (options.gradients) {
      const every = typeof options.gradients === "object" ? options.gradients.everySteps ?? DEFAULT_FIT_GRADIENT_EVERY : DEFAULT_FIT_GRADIENT_EVERY;
      if (!(Number.isInteger(every) && every > 0)) throw new Error(`run.watch: gradients.everySteps must be a positive whole number; got ${every}.`);
      this.unhookGradients?.();
      this.unhookGradients = hookGradients(model as unknown as GradientWatchedModel, {
        nextStep: () => this.lastStep + 1,
        record: (train, gradients, step) => {
          this.log(train, { step, split: "train" });
          this.log(gradients, { step, split: "gradients" });
          this.monitor.checkGradients();
        },
      }, every);
    }
  }

  private unhookGradients: (() => void) | undefined;

  /** The training loop's planned step count (trainLoop calls it when it knows the count): the underfitting check waits
   * for a share of it and judges whether the loss is on course within the steps that remain. */
  planSteps(total: number): void {
    this.plannedSteps = Number.isFinite(total) && total > 0 ? total : undefined;
  }

  /** Global L2 norm of gradients (tensors or a name → tensor map); logged as grad_norm and checked for explosion. */
  gradNorm(grads: NormTensor[] | Record<string, NormTensor>, options: { step?: number } = {}): number {
    const norm = globalNorm(Array.isArray(grads) ? grads : Object.values(grads));
    this.log({ grad_norm: norm }, { step: options.step ?? Math.max(this.lastStep, 0), split: "train" });
    this.monitor.checkGradients();
    return norm;
  }

  onLog(listener: LogListener): () => void {
    this.listeners.push(listener);
    return () => {
      const index = this.listeners.indexOf(listener);
      if (index >= 0) this.listeners.splice(index, 1);
    };
  }

  /** Final value of every metric, keyed "split.key" (or "key" without a split). */
  finalMetrics(): Record<string, JSONValue> {
    return finalMetrics(this.series.all);
  }

  /** What %%track returns: id, name, params, final metrics. */
  result(): RunResult {
    return runResult(this);
  }

  /** Stops tracking: flushes every point, records summary, environment and status. Safe to call twice. */
  end(status: Exclude<RunStatus, "running"> = "finished"): Promise<void> {
    if (this.ending) return this.ending;
    this.closed = true;
    this.stopTimer();
    if (currentRun === this) currentRun = undefined;
    this.ending = this.finish(status);
    return this.ending;
  }

  get ended(): boolean {
    return this.closed;
  }

  warnOnce(kind: string, message: string): void {
    if (this.warned.has(kind)) return;
    this.warned.add(kind);
    try {
      (this.options.warn ?? ((text: string) => process.stderr.write(`⚠ ${text}\n`)))(message);
    } catch {
      // A warning must never break training.
    }
  }

  get warnings(): string[] {
    return [...this.warned];
  }

  /**
   * Periodic work; runs from log (when due) and from the background timer. With a background writer thread a flush
   * is only a copy of new typed-array slices, so it happens from inside the loop too (durable even if the loop never
   * yields); otherwise only the timer flushes, since turning points into rows here costs ~1 µs each.
   */
  private periodic(now: number, fromTimer = false): void {
    this.nextCheckAt = now + this.checkEveryMs;
    if (fromTimer) this.clockCountdown = 0; // the loop yielded: the next point reads the clock afresh
    if (fromTimer || (this.sink?.offThread === true && now - this.lastFlushAt >= this.flushIntervalMs)) this.flush(now);
    this.monitor.tick(now);
  }

  /** Hands every unflushed point to the store (one batched transaction). Synchronous start; tracked completion. */
  flush(now: number = Date.now()): void {
    this.lastFlushAt = now;
    const store = this.store;
    const sink = this.sink;
    if (store === undefined || sink === undefined) return; // not registered yet: points wait in the buffers
    const ranges = this.failedRanges;
    this.failedRanges = [];
    for (const series of this.series.all) {
      if (series.flushed === series.length) continue;
      ranges.push({ series, from: series.flushed, to: series.length });
      series.flushed = series.length;
    }
    if (ranges.length > 0) {
      // Views into the shared columns: flushed ranges are never written again, so no copy is needed.
      const chunks: MetricChunk[] = ranges.map(({ series, from, to }) => ({ key: series.key, split: series.split, steps: series.steps.subarray(from, to), values: series.values.subarray(from, to), wallTimes: series.wallTimes.subarray(from, to) }));
      this.trackPromise(
        sink.write(this.id, chunks).catch((error: unknown) => {
          this.failedRanges.push(...ranges); // retried on the next flush; nothing is dropped
          this.warnOnce("store-write", `labnote: could not save points of run "${this.name}" (${errorText(error)}); retrying at the next flush.`);
        }),
      );
    }
    if (this.recordDirty) {
      this.recordDirty = false;
      this.trackPromise(store.updateRun(this.id, { params: this.params, summary: { ...this.userSummary } }).catch(() => (this.recordDirty = true)));
    }
    if (now - this.lastHeartbeatAt >= 5000) {
      this.lastHeartbeatAt = now;
      this.trackPromise(sink.heartbeat([this.id], now).catch(() => undefined));
    }
  }

  private async register(): Promise<void> {
    const store = await (this.options.store ?? (await import("../../store/index.js")).getStore(this.projectDir));
    await store.createRun({
      id: this.id,
      name: this.name,
      status: "running",
      params: this.params,
      tags: this.tags,
      code: this.options.code ?? null,
      notebook: this.options.notebook ?? null,
      kernelId: this.options.kernelId ?? null,
      seed: this.options.seed ?? null,
      studyName: this.options.studyName ?? null,
      trialNumber: this.options.trialNumber ?? null,
      host: (await import("node:os")).hostname(),
      pid: process.pid,
      startedAt: this.startedAt,
      heartbeatAt: Date.now(),
      summary: { ...this.userSummary },
    });
    this.sink = this.options.store ? storeSink(store) : await projectSink(this.projectDir, store);
    this.store = store;
    this.lastHeartbeatAt = Date.now();
    if (this.options.captureEnvironment !== false) this.trackPromise(this.monitor.captureContext(store));
  }

  private afterReady(work: (store: Store) => Promise<unknown>): void {
    this.trackPromise(this.ready.then(() => work(this.store!)).catch((error: unknown) => this.warnOnce("store-write", `labnote: could not save data of run "${this.name}": ${errorText(error)}.`)));
  }

  private trackPromise(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }

  private async finish(status: Exclude<RunStatus, "running">): Promise<void> {
    this.unhookGradients?.();
    this.unhookGradients = undefined;
    this.monitor.stop();
    try {
      await this.ready;
    } catch (error) {
      await this.monitor.finalChart();
      throw new Error(`run "${this.name}" could not be saved: ${errorText(error)}. Fix the store (LABNOTE_STORE) and run again.`);
    }
    this.monitor.tick(Date.now(), true);
    this.flush();
    while (this.pending.size > 0) await Promise.all([...this.pending]);
    if (this.failedRanges.length > 0) {
      this.flush();
      while (this.pending.size > 0) await Promise.all([...this.pending]);
    }
    const endedAt = Date.now();
    this.status = status;
    const summary: Record<string, JSONValue> = { ...this.finalMetrics(), ...this.userSummary, wall_time_s: (endedAt - this.startedAt) / 1000, steps: this.lastStep + 1 };
    const context = await this.monitor.contextForEnd();
    await this.store!.updateRun(this.id, { status, endedAt, heartbeatAt: endedAt, params: this.params, summary, ...context });
    await this.monitor.finalChart();
    if (this.failedRanges.length > 0) {
      throw new Error(`run "${this.name}": ${this.failedRanges.reduce((sum, range) => sum + range.to - range.from, 0)} points could not be saved to the store; check the store (LABNOTE_STORE) and that the disk is not full.`);
    }
  }
}

/** The project's store writes through a background thread when it is SQLite or PostgreSQL. */
async function projectSink(projectDir: string, store: Store): Promise<MetricSink> {
  if (store.kind === "memory" || process.env.LABNOTE_TRACK_WRITER === "inline") return storeSink(store);
  return workerSink(projectDir, process.env.LABNOTE_STORE ?? "") ?? storeSink(store);
}

/** The notebook's `display` global when running inside the labnote kernel. */
export function notebookDisplay(): Display | undefined {
  const global = (globalThis as { display?: unknown }).display;
  return typeof global === "function" && typeof (global as { handle?: unknown }).handle === "function" ? (global as Display) : undefined;
}

function resolveDisplay(display: Display | boolean | undefined): Display | undefined {
  if (display !== true) return display === false ? undefined : display;
  const global = notebookDisplay();
  if (global) return global;
  throw new Error("track.start: display: true needs the notebook's display global (run inside the labnote kernel), or pass a Display.");
}

function badValue(key: string, value: unknown, runName: string): Error {
  const shown = typeof value === "string" ? `the string "${value.slice(0, 40)}"` : typeof value === "object" && value !== null ? "an object (a tensor?)" : `${typeof value} ${String(value)}`;
  return new TypeError(
    `run.log: "${key}" must be a number, got ${shown}. Pass a plain number, e.g. run.log({ ${key}: Number(x) }) or, for a tensor, ` +
      `run.log({ ${key}: t.dataSync()[0] }). Nothing was logged from this call; everything logged before in run "${runName}" is kept.`,
  );
}

function toSampleRow(runId: string, index: number, row: Record<string, unknown>): SampleRow {
  const { input, pred, prediction, label, ...extra } = row as Record<string, JSONValue>;
  return { runId, index, input: input ?? null, pred: pred ?? prediction ?? null, label: label ?? null, extra: extra as JSONObject };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type { RunRecord, MetricSeries, RunResult };
