// What `%%tune` does: compile the body once, run the study with each trial as a tracked run, show a live progress
// bar and history chart, then the best parameters, parallel coordinates, importances and slices; return the study as data.
import { createHash } from "node:crypto";
import type { MagicContext, MagicResult, ParsedArgs } from "../types.js";
import { MagicError, UsageError } from "../types.js";
import { createProgress } from "../../widgets/progress.js";
import { historyChart, importanceChart, parallelCoordinatesChart, sliceChart } from "./charts.js";
import { IMPORTANCE_ESTIMATOR, parameterImportances } from "./importance.js";
import type { Distribution, ParamValue } from "./space.js";
import { Study, type Mode, type StudySummary, type TrialResult } from "./study.js";
import { coordinatorFor } from "./coordination.js";
import { assertNotTestMetric, parseMetric, TestDataError, testDataError, testPathsNamedIn } from "./test-guard.js";
import type { Trial } from "./trial.js";
import { TUNE_USAGE } from "./usage.js";

export { TUNE_USAGE };

/** The parts of the track library a trial uses (kept structural so %tune works, untracked, without it). */
interface TrialRun {
  readonly id: string;
  log(metrics: Record<string, number>, options?: { step?: number; split?: string }): void;
  param(key: string, value: ParamValue): void;
  summary(values: Record<string, ParamValue>): void;
  onLog(listener: (metrics: Record<string, number>, step: number, split: string) => void): () => void;
  end(status?: "finished" | "failed"): Promise<void>;
}

interface VersionHooks {
  declaredTestData(): string[];
  sessionDataHashes(): Record<string, string>;
  isTestData(path: string): boolean;
}

export interface TuneCellResult {
  name: string;
  mode: Mode;
  sampler: string;
  pruner: string;
  seed: number;
  metric: string | null;
  best: StudySummary["best"];
  trials: TrialResult[];
  importances: Record<string, number>;
  importanceEstimator: string;
}

function option<T>(args: ParsedArgs, name: string): T | undefined {
  return args.options[name] as T | undefined;
}

export async function runTuneCell(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  const trials = option<number>(args, "trials") ?? 20;
  const mode = (option<string>(args, "mode") ?? "min") as Mode;
  const metric = option<string>(args, "metric");
  const reduce = option<string>(args, "reduce") ?? "last";
  const parallel = option<number>(args, "parallel") ?? 1;
  const timeoutSeconds = option<number>(args, "timeout");
  if (!Number.isInteger(trials) || trials < 1) throw new UsageError(`--trials must be a positive integer, got ${trials}.`, TUNE_USAGE);
  if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError(`--parallel must be a positive integer, got ${parallel}.`, TUNE_USAGE);
  if (timeoutSeconds !== undefined && !(timeoutSeconds > 0)) throw new UsageError(`--timeout must be a positive number of seconds, got ${timeoutSeconds}.`, TUNE_USAGE);
  if (!args.body.trim()) throw new UsageError("%%tune needs a body: sample with trial.float/int/choice and return the objective (or log --metric).", TUNE_USAGE);
  const versionHooks = await loadOptional<VersionHooks>("../version/index.js");
  try {
    assertNotTestMetric(metric);
    const named = testPathsNamedIn(args.body, versionHooks?.declaredTestData() ?? []);
    if (named.length > 0) throw testDataError(named, "reads");
  } catch (error) {
    if (error instanceof TestDataError) throw new MagicError(error.message);
    throw error;
  }

  const objectiveBody = await ctx.compileFunction(args.body, [
    { name: "trial", type: 'import("labnote").Trial' },
    { name: "run", type: 'import("labnote").Run' },
  ]);
  const { getStore, resolveStoreLocation } = await import("../../store/index.js");
  const store = await getStore(ctx.session.projectDir);
  // On PostgreSQL, kernels and `labnote worker`s share the study through PostgreSQL's own locks (coordination.ts).
  const coordinator = await coordinatorFor(resolveStoreLocation(ctx.session.projectDir));
  const seedModule = await loadOptional<{ currentSeed(): number | null }>("../seed/state.js");
  const seed = option<number>(args, "seed") ?? seedModule?.currentSeed() ?? undefined;
  const studyName = option<string>(args, "study") ?? `cell-${createHash("sha1").update(args.body).digest("hex").slice(0, 10)}`;
  let study: Study;
  try {
    study = await Study.open({
      name: studyName,
      mode,
      sampler: option<string>(args, "sampler") ?? undefined,
      pruner: option<string>(args, "pruner") ?? "none",
      seed,
      store,
      kernelId: ctx.session.kernelId,
      config: { metric: metric ?? null, reduce, body: args.body },
      ...(coordinator ? { coordinator } : {}),
    });
  } catch (error) {
    await coordinator?.close();
    throw new MagicError(error instanceof Error ? error.message : String(error));
  }
  const track = await loadOptional<{ track: { start(options: object): TrialRun } }>("../track/index.js");
  if (!track) ctx.warn("labnote: the track library is unavailable, so trials are not recorded as runs.");

  const progress = createProgress(ctx.display, { total: trials, description: `%%tune ${studyName}` });
  const chart = ctx.display.handle();
  const existing = (await study.summary()).trials;
  let finished = existing.filter((t) => t.state !== "running").length;
  let lastChartAt = 0;
  const warnedErrors = new Set<string>();
  const live: TrialResult[] = [...existing];
  const objective = async (trial: Trial): Promise<unknown> => {
    const run = track?.track.start({ name: `${studyName}/trial-${trial.number}`, projectDir: ctx.session.projectDir, store, studyName, trialNumber: trial.number, kernelId: ctx.session.kernelId, code: args.body, seed: study.seed, warn: (message: string) => ctx.warn(message), systemIntervalMs: 0 });
    if (run) trial.runId = run.id;
    const readsBefore = new Set(Object.keys(versionHooks?.sessionDataHashes() ?? {}));
    const metricValues: number[] = [];
    const target = metric ? parseMetric(metric) : undefined;
    const unsubscribe = run && target
      ? run.onLog((metrics, step, split) => {
          const value = metrics[target.key];
          if (split !== target.split || value === undefined) return;
          metricValues.push(value);
          trial.report(value, step);
          if (trial.shouldPrune()) throw trial.prune();
        })
      : undefined;
    let status: "finished" | "failed" = "failed";
    try {
      const returned = await objectiveBody(trial, run);
      const newReads = Object.keys(versionHooks?.sessionDataHashes() ?? {}).filter((path) => !readsBefore.has(path) && versionHooks?.isTestData(path));
      if (newReads.length > 0) throw testDataError(newReads, "read");
      status = "finished";
      if (!target) return returned;
      if (!run) throw new Error(`--metric ${metric} needs the track library to read the run's log; return the objective instead.`);
      if (metricValues.length === 0) throw new Error(`the body never logged ${metric}; log it with run.log({ ${target.key}: value }, { split: "${target.split}" }) or drop --metric and return the value.`);
      if (reduce === "best") return mode === "min" ? Math.min(...metricValues) : Math.max(...metricValues);
      return metricValues[metricValues.length - 1];
    } finally {
      unsubscribe?.();
      if (run) {
        for (const [key, value] of Object.entries(trial.params)) run.param(key, value);
        await run.end(status);
      }
    }
  };

  let summary: StudySummary;
  // Other processes' trials (workers) appear live too: the bar and chart follow the whole study in the store.
  // (A headless `labnote worker` has no one to show it to: it skips the refresh and the per-trial chart.)
  const headless = process.env.LABNOTE_HEADLESS_WORKER === "1";
  const showOthers = coordinator && !headless
    ? setInterval(() => {
        void study.summary().then(async (whole) => {
          const done = whole.trials.filter((t) => t.state !== "running");
          if (done.length <= finished) return;
          finished = done.length;
          live.splice(0, live.length, ...done);
          const best = bestOf(live, mode);
          progress.update(Math.min(finished, trials), `%%tune ${studyName} (all processes)${best ? ` — best ${formatNumber(best.value!)} (trial ${best.number})` : ""}`);
          await chart.vegaLite(historyChart(live, mode, `${studyName}: optimisation history`), { svg: false });
        }, () => undefined);
      }, 2000)
    : undefined;
  try {
    summary = await study.optimize(objective, {
      trials,
      parallel,
      timeoutMs: timeoutSeconds !== undefined ? timeoutSeconds * 1000 : undefined,
      signal: ctx.signal,
      onTrialEnd: async (_trial, result) => {
        // (The refresh of other processes' trials may have brought this one in already.)
        if (!live.some((t) => t.number === result.number)) {
          finished++;
          live.push(result);
        }
        if (result.state === "failed" && result.error) {
          if (result.error.startsWith("TestDataError")) ctx.warn(`labnote: trial ${result.number} refused: ${result.error}`);
          else if (!warnedErrors.has(result.error)) ctx.warn(`labnote: trial ${result.number} failed: ${result.error} (the study continues)`);
          warnedErrors.add(result.error);
        }
        const best = bestOf(live, mode);
        progress.update(finished, `%%tune ${studyName}${best ? ` — best ${formatNumber(best.value!)} (trial ${best.number})` : ""}`);
        if (!headless && Date.now() - lastChartAt > 1000) {
          lastChartAt = Date.now();
          await chart.vegaLite(historyChart(live, mode, `${studyName}: optimisation history`), { svg: false });
        }
      },
    });
  } catch (error) {
    throw new MagicError(`%%tune ${studyName} stopped: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    clearInterval(showOthers);
    await coordinator?.close();
  }
  const interrupted = ctx.signal.aborted ? " (interrupted: no new trials were started; re-run the cell to resume)" : "";
  progress.done(`%%tune ${studyName} — ${summary.trials.length} trials${interrupted}`);
  if (interrupted) ctx.warn(`labnote: %%tune ${studyName} was interrupted after ${summary.trials.length} trials; re-run the cell to resume the study.`);
  await chart.vegaLite(historyChart(summary.trials, mode, `${studyName}: optimisation history`));
  return finishStudy(summary, metric ?? null, ctx);
}

async function finishStudy(summary: StudySummary, metric: string | null, ctx: MagicContext): Promise<MagicResult> {
  const distributions = lastDistributions(summary);
  const complete = summary.trials.filter((t) => t.state === "complete" && t.value !== null);
  const importances = parameterImportances(
    complete.map((t) => ({ params: t.params, distributions, value: t.value! })),
    { seed: summary.seed },
  );
  if (complete.length >= 2 && Object.keys(distributions).length > 0) {
    await ctx.display.vegaLite(parallelCoordinatesChart(summary.trials, distributions, `${summary.name}: parallel coordinates`));
    if (Object.keys(importances).length > 0) await ctx.display.vegaLite(importanceChart(importances, IMPORTANCE_ESTIMATOR));
    await ctx.display.vegaLite(sliceChart(summary.trials, distributions, `${summary.name}: slices`));
  }
  const data: TuneCellResult = {
    name: summary.name, mode: summary.mode, sampler: summary.sampler, pruner: summary.pruner, seed: summary.seed, metric,
    best: summary.best, trials: summary.trials, importances, importanceEstimator: IMPORTANCE_ESTIMATOR,
  };
  const counts = countStates(summary.trials);
  const bestLine = summary.best
    ? `best ${formatNumber(summary.best.value)} at trial ${summary.best.trial}: ${Object.entries(summary.best.params).map(([k, v]) => `${k}=${formatParam(v)}`).join(", ")}`
    : `no trial completed${failureReasons(summary.trials)}`;
  const text = `study ${summary.name} (${summary.sampler}, ${summary.pruner} pruner, seed ${summary.seed}): ${counts}; ${bestLine}`;
  return { data, text, html: bestTable(summary, counts, importances) };
}

function lastDistributions(summary: StudySummary): Record<string, Distribution> {
  // The latest definition of each parameter wins (a study may have widened a range between runs).
  const result: Record<string, Distribution> = {};
  for (const trial of summary.trials) Object.assign(result, trial.distributions);
  return result;
}

function bestOf(trials: TrialResult[], mode: Mode): TrialResult | undefined {
  let best: TrialResult | undefined;
  for (const t of trials) {
    if (t.state !== "complete" || t.value === null) continue;
    if (!best || (mode === "min" ? t.value < best.value! : t.value > best.value!)) best = t;
  }
  return best;
}

const STATE_ORDER = ["complete", "pruned", "failed", "running", "waiting"];

function countStates(trials: TrialResult[]): string {
  const counts: Record<string, number> = {};
  for (const t of trials) counts[t.state] = (counts[t.state] ?? 0) + 1;
  // A fixed order, whichever state the first trial happened to end in (workers finish in any order).
  const rank = (state: string): number => { const i = STATE_ORDER.indexOf(state); return i < 0 ? STATE_ORDER.length : i; };
  const states = Object.keys(counts).sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  return `${trials.length} trials (${states.map((state) => `${counts[state]} ${state}`).join(", ")})`;
}

function failureReasons(trials: TrialResult[]): string {
  const reasons = [...new Set(trials.map((t) => t.error).filter((e): e is string => !!e))].slice(0, 3);
  return reasons.length ? `; failures: ${reasons.join(" | ")}` : "";
}

function formatNumber(value: number): string {
  return Math.abs(value) >= 1e4 || (Math.abs(value) < 1e-3 && value !== 0) ? value.toExponential(4) : Number(value.toPrecision(6)).toString();
}

function formatParam(value: ParamValue): string {
  return typeof value === "number" ? formatNumber(value) : JSON.stringify(value);
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function bestTable(summary: StudySummary, counts: string, importances: Record<string, number>): string {
  const head = `<p><b>study ${escapeHtml(summary.name)}</b> — ${escapeHtml(summary.sampler)} sampler, ${escapeHtml(summary.pruner)} pruner, seed ${summary.seed}; ${escapeHtml(counts)}</p>`;
  if (!summary.best) return `${head}<p>No trial completed${escapeHtml(failureReasons(summary.trials))}</p>`;
  const rows = Object.entries(summary.best.params)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(formatParam(v))}</td><td>${importances[k] !== undefined ? `${(importances[k]! * 100).toFixed(0)}%` : ""}</td></tr>`)
    .join("");
  return `${head}<table><thead><tr><th>parameter</th><th>best value</th><th>importance</th></tr></thead><tbody>${rows}<tr><td><b>objective</b></td><td><b>${escapeHtml(formatNumber(summary.best.value))}</b> (trial ${summary.best.trial})</td><td></td></tr></tbody></table>`;
}

async function loadOptional<T>(specifier: string): Promise<T | undefined> {
  try {
    return (await import(specifier)) as T;
  } catch {
    return undefined;
  }
}
