// A study: trials stored in a Store (memory, SQLite or PostgreSQL), numbered atomically by the store so many
// kernels can share one study; the sampler rebuilds from stored trials on every trial, so re-running resumes.
import type { JSONObject, JSONValue } from "../../kernel/types.js";
import type { Store, StudyRecord, TrialRecord } from "../../store/types.js";
import type { Pruner, PrunerTrial } from "./pruners/types.js";
import { createPruner, createSampler, DEFAULT_SAMPLER } from "./registry.js";
import type { Sampler, SamplingContext, TrialHistory } from "./samplers/types.js";
import { intersectionSearchSpace } from "./samplers/types.js";
import { distributionFromJSON, distributionToJSON, sameDistribution, SearchSpaceError, type Distribution, type ParamValue } from "./space.js";
import { Trial, TrialPruned, type TrialHost } from "./trial.js";
import { failTrialsOfDeadOwners, type StudyCoordinator } from "./coordination.js";

export type Mode = "min" | "max";

export interface StudyOptions {
  name: string;
  mode?: Mode;
  sampler?: string | Sampler;
  pruner?: string | Pruner;
  /** Fixes every random draw; without it a seed is drawn once and stored with the study. */
  seed?: number;
  /** Default: a fresh in-memory store. */
  store?: Store;
  kernelId?: string;
  /** Extra settings recorded in the study's config (e.g. the metric). */
  config?: JSONObject;
  heartbeatMs?: number;
  /** A running trial whose heartbeat is older than this is marked failed (its kernel died). */
  staleAfterMs?: number;
  /**
   * Many processes on one PostgreSQL study (coordination.ts): exactly `trials` trials started among them, a dead
   * process's trial marked failed at once, and optimize() returns when every trial of the study has finished.
   */
  coordinator?: StudyCoordinator;
}

export interface TrialResult {
  number: number;
  state: TrialRecord["state"];
  value: number | null;
  params: Record<string, ParamValue>;
  distributions: Record<string, Distribution>;
  intermediate: { step: number; value: number }[];
  error: string | null;
  runId: string | null;
  durationMs: number | null;
}

export interface StudySummary {
  name: string;
  mode: Mode;
  sampler: string;
  pruner: string;
  seed: number;
  best: { value: number; params: Record<string, ParamValue>; trial: number } | null;
  trials: TrialResult[];
}

export type Objective = (trial: Trial) => unknown;

export interface OptimizeOptions {
  /** The study's size: run trials until this many have finished (earlier runs of the study count: re-running resumes). */
  trials: number;
  parallel?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Turns what the objective returned into the trial's value (e.g. read --metric from the run's log). */
  onTrialStart?(trial: Trial): void | Promise<void>;
  onTrialEnd?(trial: Trial, result: TrialResult): void | Promise<void>;
}

const ABANDONED = "kernel died (no heartbeat); the trial was marked failed";

/**
 * The sampler of a study being opened: a resumed study keeps the sampler it was created with (its trials were drawn
 * by it; mixing samplers makes a seeded study irreproducible), so asking for another is an error saying which.
 */
function resumedSampler(studyName: string, storedConfig: JSONObject, requested: Sampler | undefined): Sampler {
  const stored = typeof storedConfig["sampler"] === "string" ? storedConfig["sampler"] : undefined;
  if (requested === undefined) return createSampler(stored ?? DEFAULT_SAMPLER);
  if (stored !== undefined && stored !== requested.name) {
    throw new Error(
      `Study "${studyName}" was created with --sampler ${stored}; it cannot resume with --sampler ${requested.name}. ` +
        `Re-run with --sampler ${stored} (or without --sampler), or start a new study with another --study name.`,
    );
  }
  return requested;
}

export class Study {
  /** Milliseconds spent inside the sampler (bench and diagnostics). */
  samplerMs = 0;
  private records = new Map<number, TrialRecord>();
  private readonly active = new Map<number, { trial: Trial; id: string }>();
  private readonly pendingWrites = new Set<Promise<void>>();

  private constructor(
    readonly name: string,
    readonly mode: Mode,
    readonly seed: number,
    readonly sampler: Sampler,
    readonly pruner: Pruner,
    private readonly record: StudyRecord,
    private readonly store: Store,
    private readonly options: StudyOptions,
  ) {}

  static async open(options: StudyOptions): Promise<Study> {
    const store = options.store ?? (await import("../../store/memory.js")).createMemoryStore();
    const mode = options.mode ?? "min";
    const direction = mode === "max" ? "maximize" : "minimize";
    const requestedSampler = typeof options.sampler === "object" ? options.sampler : options.sampler === undefined ? undefined : createSampler(options.sampler);
    const pruner = typeof options.pruner === "object" ? options.pruner : createPruner(options.pruner ?? "none");
    const drawnSeed = Math.floor(Math.random() * 2 ** 31);
    const config: JSONObject = { sampler: requestedSampler?.name ?? DEFAULT_SAMPLER, pruner: pruner.name, seed: options.seed ?? drawnSeed, ...(options.config ?? {}) };
    const record = await store.ensureStudy(options.name, direction, config);
    if (record.direction !== direction) {
      throw new Error(`Study "${options.name}" already exists and ${record.direction === "maximize" ? "maximises" : "minimises"}; use --mode ${record.direction === "maximize" ? "max" : "min"} or a new --study name.`);
    }
    const sampler = resumedSampler(options.name, record.config, requestedSampler);
    const storedSeed = typeof record.config["seed"] === "number" ? (record.config["seed"] as number) : drawnSeed;
    const seed = options.seed ?? storedSeed;
    if (seed !== storedSeed) await store.updateStudyConfig(record.id, { ...record.config, seed });
    return new Study(options.name, mode, seed, sampler, pruner, record, store, options);
  }

  get id(): string {
    return this.record.id;
  }

  async optimize(objective: Objective, options: OptimizeOptions): Promise<StudySummary> {
    if (!Number.isInteger(options.trials) || options.trials < 1) throw new Error(`trials must be a positive integer, got ${options.trials}.`);
    const parallel = options.parallel ?? 1;
    if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`parallel must be a positive integer, got ${parallel}.`);
    const deadline = options.timeoutMs !== undefined ? Date.now() + options.timeoutMs : Infinity;
    await this.store.failStaleTrials(this.record.id, Date.now() - (this.options.staleAfterMs ?? 120_000));
    const coordinator = this.options.coordinator;
    if (coordinator && this.options.kernelId !== undefined) await coordinator.register(this.options.kernelId);
    await this.refresh();
    const heartbeat = setInterval(() => {
      if (coordinator) this.track(this.failTrialsOfDeadProcesses(coordinator).then(() => undefined));
      const ids = [...this.active.values()].map((entry) => entry.id);
      if (ids.length > 0) this.track(this.store.heartbeatTrials(ids, Date.now()));
      // Another kernel on this study may have died meanwhile: its trials must not stay "running".
      this.track(this.store.failStaleTrials(this.record.id, Date.now() - (this.options.staleAfterMs ?? 120_000)).then(() => undefined));
    }, this.options.heartbeatMs ?? 10_000);
    heartbeat.unref?.();
    let reserving = 0;
    // The study's size counts every trial any kernel created (numbers come from the store), so many kernels
    // sharing one study stop together at `trials` (give or take the trials being created at that moment).
    const reserve = async (): Promise<TrialRecord | undefined> => {
      await this.refresh();
      if (this.records.size + reserving >= options.trials) return undefined;
      reserving++;
      try {
        const record = await this.store.createTrial(this.record.id, { kernelId: this.options.kernelId });
        this.records.set(record.number, record);
        return record;
      } finally {
        reserving--;
      }
    };
    // With a coordinator, counting and creating are one step across every process of the study: no overshoot. The
    // lock is held for a count and an insert only; the sampler's history is read before it.
    const reserveExclusively = async (coordinator: StudyCoordinator): Promise<TrialRecord | undefined> => {
      await this.refresh();
      return coordinator.exclusive(this.record.id, async (trialCount) => {
        if (trialCount >= options.trials) return undefined;
        const record = await this.store.createTrial(this.record.id, { kernelId: this.options.kernelId });
        this.records.set(record.number, record);
        return record;
      });
    };
    const worker = async (): Promise<void> => {
      while (options.signal?.aborted !== true && Date.now() < deadline) {
        const record = coordinator ? await reserveExclusively(coordinator) : await reserve();
        if (!record) return;
        await this.runOne(record, objective, options);
      }
    };
    try {
      await Promise.all(Array.from({ length: parallel }, () => worker()));
      if (coordinator) await this.waitForOtherProcesses(coordinator, options.signal, deadline);
    } finally {
      clearInterval(heartbeat);
      await this.flush();
    }
    return this.summary();
  }

  /** Marks failed the running trials of processes that have died (their PostgreSQL session ended). */
  private async failTrialsOfDeadProcesses(coordinator: StudyCoordinator): Promise<number[]> {
    return failTrialsOfDeadOwners(this.store, coordinator, this.records.values(), (number) => this.active.has(number));
  }

  /** The budget is spent: wait until the trials other processes are running finish (or their process dies). */
  private async waitForOtherProcesses(coordinator: StudyCoordinator, signal: AbortSignal | undefined, deadline: number): Promise<void> {
    for (;;) {
      await this.refresh();
      if (await this.failTrialsOfDeadProcesses(coordinator).then((failed) => failed.length > 0)) await this.refresh();
      const othersRunning = [...this.records.values()].some((record) => record.state === "running" && !this.active.has(record.number));
      if (!othersRunning || signal?.aborted === true || Date.now() >= deadline) return;
      await new Promise((resolveWait) => setTimeout(resolveWait, 250));
    }
  }

  /** Every trial of the study (all kernels), freshly read from the store. */
  async summary(): Promise<StudySummary> {
    await this.flush();
    await this.refresh();
    const trials = [...this.records.values()].sort((a, b) => a.number - b.number).map(toResult);
    let best: StudySummary["best"] = null;
    for (const trial of trials) {
      if (trial.state !== "complete" || trial.value === null) continue;
      if (!best || (this.mode === "min" ? trial.value < best.value : trial.value > best.value)) best = { value: trial.value, params: trial.params, trial: trial.number };
    }
    return { name: this.name, mode: this.mode, sampler: this.sampler.name, pruner: this.pruner.name, seed: this.seed, best, trials };
  }

  private async runOne(record: TrialRecord, objective: Objective, options: OptimizeOptions): Promise<void> {
    const context = this.samplingContext(record.number);
    const started = performance.now();
    const relativeSpace = intersectionSearchSpace(context.history);
    const relative = this.sampler.sampleRelative(context, relativeSpace);
    this.samplerMs += performance.now() - started;
    const host: TrialHost = {
      sample: (_trial, name, distribution) => {
        const proposed = relative[name];
        if (proposed !== undefined && sameDistribution(relativeSpace[name], distribution)) return proposed;
        const begin = performance.now();
        const value = this.sampler.sampleIndependent(context, name, distribution);
        this.samplerMs += performance.now() - begin;
        return value;
      },
      shouldPrune: (trial) => this.pruner.shouldPrune(this.prunerView(trial), this.prunerHistory(trial.number)),
      report: (_trial, step, value) => this.track(this.store.reportIntermediate(record.id, step, value)),
    };
    const trial = new Trial(record.number, this.name, host);
    this.active.set(record.number, { trial, id: record.id });
    let outcome: { state: TrialRecord["state"]; value: number | null; error: string | null };
    try {
      await options.onTrialStart?.(trial);
      outcome = this.judge(await objective(trial), trial);
    } catch (error) {
      outcome = error instanceof TrialPruned
        ? { state: "pruned", value: trial.intermediate.at(-1)?.value ?? null, error: null }
        : { state: "failed", value: null, error: describeFailure(error) };
    }
    this.active.delete(record.number);
    await this.flush();
    const finished: TrialRecord = {
      ...record,
      state: outcome.state,
      value: outcome.value,
      error: outcome.error,
      params: trial.params as Record<string, JSONValue>,
      distributions: Object.fromEntries(Object.entries(trial.distributions).map(([name, d]) => [name, distributionToJSON(d)])),
      intermediate: [...trial.intermediate],
      runId: trial.runId,
      endedAt: Date.now(),
    };
    await this.store.updateTrial(record.id, {
      state: finished.state, value: finished.value, error: finished.error, params: finished.params,
      distributions: finished.distributions, runId: finished.runId, endedAt: finished.endedAt,
    });
    this.records.set(record.number, finished);
    await options.onTrialEnd?.(trial, toResult(finished));
  }

  private judge(returned: unknown, trial: Trial): { state: "complete" | "failed"; value: number | null; error: string | null } {
    if (typeof returned === "number" && Number.isFinite(returned)) return { state: "complete", value: returned, error: null };
    if (typeof returned === "number") {
      return { state: "failed", value: null, error: `the objective returned ${returned}; return a finite number (a NaN usually means the loss diverged: lower the learning rate range)` };
    }
    const hint = trial.intermediate.length > 0 ? " (trial.report values are for pruning, not the result)" : "";
    return { state: "failed", value: null, error: `the objective returned ${returned === undefined ? "nothing" : typeof returned}; end the body with \`return value\` or use --metric${hint}` };
  }

  private async refresh(): Promise<void> {
    const stored = await this.store.listTrials(this.record.id);
    this.records = new Map(stored.map((record) => [record.number, record]));
  }

  private orient(value: number): number {
    return this.mode === "max" ? -value : value;
  }

  private samplingContext(trialNumber: number): SamplingContext {
    const history: TrialHistory[] = [];
    for (const record of this.records.values()) {
      if (record.number === trialNumber) continue;
      const live = this.active.get(record.number)?.trial;
      const params = (live ? live.params : record.params) as Record<string, ParamValue>;
      const distributions: Record<string, Distribution> = live
        ? live.distributions
        : Object.fromEntries(Object.entries(record.distributions).map(([name, json]) => [name, distributionFromJSON(json)]));
      const last = record.intermediate.at(-1);
      history.push({
        number: record.number,
        state: record.state,
        params,
        distributions,
        value: record.state === "complete" && record.value !== null ? this.orient(record.value) : null,
        lastIntermediate: last ? { step: last.step, value: this.orient(last.value) } : null,
      });
    }
    history.sort((a, b) => a.number - b.number);
    return { seed: this.seed, trialNumber, history };
  }

  private prunerView(trial: Trial): PrunerTrial {
    return { number: trial.number, state: "running", intermediate: trial.intermediate.map((p) => ({ step: p.step, value: this.orient(p.value) })) };
  }

  private prunerHistory(exclude: number): PrunerTrial[] {
    const others: PrunerTrial[] = [];
    for (const record of this.records.values()) {
      if (record.number === exclude) continue;
      const live = this.active.get(record.number)?.trial;
      const points = live ? live.intermediate : record.intermediate;
      others.push({ number: record.number, state: record.state, intermediate: points.map((p) => ({ step: p.step, value: this.orient(p.value) })) });
    }
    return others;
  }

  private track(write: Promise<void>): void {
    const guarded = write.catch(() => undefined).finally(() => this.pendingWrites.delete(guarded));
    this.pendingWrites.add(guarded);
  }

  private async flush(): Promise<void> {
    while (this.pendingWrites.size > 0) await Promise.all([...this.pendingWrites]);
  }
}

function toResult(record: TrialRecord): TrialResult {
  return {
    number: record.number,
    state: record.state,
    value: record.value,
    params: record.params as Record<string, ParamValue>,
    distributions: Object.fromEntries(Object.entries(record.distributions).map(([name, json]) => [name, distributionFromJSON(json)])),
    intermediate: record.intermediate,
    error: record.state === "failed" && record.error === null ? ABANDONED : record.error,
    runId: record.runId,
    durationMs: record.endedAt !== null ? record.endedAt - record.startedAt : null,
  };
}

function describeFailure(error: unknown): string {
  if (error instanceof SearchSpaceError) return error.message;
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return `the objective threw ${JSON.stringify(error)}`;
}
