// Pure comparisons of a re-run with what a version recorded: cell outputs (text and JSON equal, numbers within
// tolerance, charts by their data, ids and timestamps that legitimately change ignored), tracked runs (params,
// final metrics, whole curves) and the data hashes read. No I/O here: every input is passed in.
import type { JSONValue } from "../../../kernel/types.js";
import { curveValue, type RunCurves } from "./curves.js";

export type Verdict = "identical" | "within-tolerance" | "differs";

/** The worse of two verdicts. */
export function worse(a: Verdict, b: Verdict): Verdict {
  const rank = { identical: 0, "within-tolerance": 1, differs: 2 } as const;
  return rank[a] >= rank[b] ? a : b;
}

/** Largest differences seen, and the first one beyond tolerance. */
export interface NumberDifferences {
  maxAbs: number;
  maxRel: number;
  beyond: number;
}

export function numbersVerdict(a: number, b: number, tolerance: number): Verdict {
  if (Object.is(a, b) || a === b) return "identical";
  if (Number.isNaN(a) && Number.isNaN(b)) return "identical";
  const abs = Math.abs(a - b);
  if (!Number.isFinite(abs)) return "differs";
  return abs <= tolerance * Math.max(1, Math.abs(a), Math.abs(b)) ? "within-tolerance" : "differs";
}

function relative(a: number, b: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b));
  return scale === 0 ? 0 : Math.abs(a - b) / scale;
}

// ---- values that legitimately change between runs ----

/** Keys whose values are ids, clocks or process facts: never compared. */
const VOLATILE_KEYS = new Set(["id", "runId", "kernelId", "createdAt", "startedAt", "endedAt", "heartbeatAt", "wallTime", "durationMs", "elapsedMs", "pid", "host", "timestamp", "date", "display_id", "snapshot"]);
/** Run summary entries that time the run rather than measure the experiment. */
const VOLATILE_SUMMARY_KEYS = new Set(["wall_time_s"]);
/** Metric names that time the run (tables such as %track compare list them as { key, values }). */
const VOLATILE_METRIC = /^(?:wall_time_s|.*_per_sec|.*_per_s)$/;
/** Hex tokens that look like ids (run, trial, commit): letters and digits mixed, 8 to 64 long. */
const HEX_ID = /(?<![0-9a-z])(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{8,64}(?![0-9a-z])/g;
const ISO_TIME = /\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?Z?/g;
const OBJECT_ID = /\b[0-9a-f]{40}\b/g;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `(?:a(?:b(?:c)?)?)?`: matches any prefix of `rest`. */
function nestedPrefix(rest: string): string {
  return rest === "" ? "" : `(?:${escapeRegExp(rest[0]!)}${nestedPrefix(rest.slice(1))})?`;
}

export interface Normaliser {
  /** Replaces run ids (recorded and re-run alike) with a stable name, and clocks with <time>. */
  text(value: string): string;
}

export function normaliser(runIds: Map<string, string>): Normaliser {
  const ids = [...runIds.keys()].sort((a, b) => b.length - a.length);
  return {
    text(value) {
      let out = value.replace(ISO_TIME, "<time>");
      // Whole ids and the short prefixes tables print (8+ characters).
      // Time-ordered ids share leading digits, so a token matches only when all of it is a prefix of the id.
      for (const id of ids) if (id.length >= 8 && out.includes(id.slice(0, 8))) out = out.replace(new RegExp(`(?<![0-9a-z])${escapeRegExp(id.slice(0, 8))}${nestedPrefix(id.slice(8))}(?![0-9a-z])`, "g"), runIds.get(id)!);
      return out.replace(OBJECT_ID, "<oid>").replace(HEX_ID, "<id>");
    },
  };
}

// ---- text and JSON ----

export interface ValueComparison {
  verdict: Verdict;
  maxAbs: number;
  maxRel: number;
  /** Where the first difference beyond tolerance is, and what it is. */
  first?: string;
}

const NUMBER = /-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?/g;

/** Text equal apart from numbers, which may differ within tolerance. */
export function compareText(recorded: string, rerun: string, tolerance: number, where: string): ValueComparison {
  if (recorded === rerun) return { verdict: "identical", maxAbs: 0, maxRel: 0 };
  const skeleton = (text: string) => text.replace(NUMBER, "#");
  if (skeleton(recorded) !== skeleton(rerun)) {
    const a = recorded.split("\n");
    const b = rerun.split("\n");
    const line = a.findIndex((text, index) => text !== b[index]);
    const index = line < 0 ? a.length : line;
    return { verdict: "differs", maxAbs: Infinity, maxRel: Infinity, first: `${where}, line ${index + 1}: recorded ${JSON.stringify((a[index] ?? "").slice(0, 120))}, re-run ${JSON.stringify((b[index] ?? "").slice(0, 120))}` };
  }
  const numbersA = recorded.match(NUMBER) ?? [];
  const numbersB = rerun.match(NUMBER) ?? [];
  const out: ValueComparison = { verdict: "identical", maxAbs: 0, maxRel: 0 };
  numbersA.forEach((textA, index) => {
    const a = Number(textA);
    const b = Number(numbersB[index]);
    if (textA === numbersB[index]) return;
    noteNumber(out, a, b, tolerance, () => `${where}: recorded ${textA}, re-run ${numbersB[index]}`);
  });
  // Equal numbers written differently (1.0 vs 1) are still "identical" in value but not in text.
  if (out.verdict === "identical") out.verdict = "within-tolerance";
  return out;
}

function noteNumber(out: ValueComparison, a: number, b: number, tolerance: number, describe: () => string): void {
  const verdict = numbersVerdict(a, b, tolerance);
  if (verdict === "identical") return;
  out.maxAbs = Math.max(out.maxAbs, Number.isFinite(a - b) ? Math.abs(a - b) : Infinity);
  out.maxRel = Math.max(out.maxRel, relative(a, b));
  if (verdict === "differs" && !out.first) out.first = describe();
  out.verdict = worse(out.verdict, verdict);
}

/** Names of metrics logged under the "system" split anywhere in a value (chart rows, tables). */
function systemMetricNames(value: JSONValue | undefined, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) systemMetricNames(item, into);
  else if (isObject(value)) {
    if (value.split === "system" && typeof (value.metric ?? value.key) === "string") into.add(String(value.metric ?? value.key));
    for (const item of Object.values(value)) systemMetricNames(item, into);
  }
  return into;
}

/** A sha256 on one side where the other side's record has none yet (hashed in the background, after the fact). */
function isLateHash(a: JSONValue | undefined, b: JSONValue | undefined): boolean {
  const sha = (value: JSONValue | undefined) => typeof value === "string" && /^[0-9a-f]{64}$/.test(value);
  const none = (value: JSONValue | undefined) => value === undefined || value === null || value === "pending";
  return (sha(a) && none(b)) || (sha(b) && none(a));
}

/** Warnings about the machine's state while the run trained (load, not the experiment): kinds and printed lines. */
const MACHINE_WARNING_KINDS = new Set(["throughput-collapse"]);
const MACHINE_WARNING_LINE = /^.*labnote: throughput fell to .*(?:\n|$)/gm;

/** Record-keeping that %version fills in the background (data hashes): never part of the experiment's result. */
const BOOKKEEPING_KEYS = new Set(["provenance", "dataHashes"]);

/**
 * JSON equal apart from volatile keys and system readings; numbers within tolerance; strings compared as text.
 * `onBookkeeping` hears of data hashes present on one side only (recorded before or after the background hashing).
 */
export function compareJson(recorded: JSONValue | undefined, rerun: JSONValue | undefined, tolerance: number, where: string, normalise: Normaliser, onBookkeeping: (path: string) => void = () => undefined): ValueComparison {
  const out: ValueComparison = { verdict: "identical", maxAbs: 0, maxRel: 0 };
  const systemNames = systemMetricNames(rerun, systemMetricNames(recorded));
  const walk = (a: JSONValue | undefined, b: JSONValue | undefined, path: string): void => {
    if (isLateHash(a, b)) return onBookkeeping(`${where} ${path}`);
    if (typeof a === "number" && typeof b === "number") return noteNumber(out, a, b, tolerance, () => `${where} ${path}: recorded ${a}, re-run ${b}`);
    if (typeof a === "string" && typeof b === "string") {
      const text = compareText(normalise.text(a), normalise.text(b), tolerance, `${where} ${path}`);
      out.maxAbs = Math.max(out.maxAbs, text.verdict === "differs" && !Number.isFinite(text.maxAbs) ? out.maxAbs : text.maxAbs);
      out.maxRel = Math.max(out.maxRel, text.verdict === "differs" && !Number.isFinite(text.maxRel) ? out.maxRel : text.maxRel);
      if (text.verdict === "differs" && !out.first) out.first = text.first;
      out.verdict = worse(out.verdict, text.verdict);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      // Chart rows of system readings (steps/s, CPU, memory) measure the machine, not the experiment.
      const measured = (items: JSONValue[]) =>
        items.filter((item) => !(typeof item === "string" && MACHINE_WARNING_KINDS.has(item)) && !(isObject(item) && (item.split === "system" || VOLATILE_METRIC.test(String(item.key ?? item.metric ?? "")) || (typeof item.title === "string" && systemNames.has(item.title)))));
      const [itemsA, itemsB] = [measured(a), measured(b)];
      if (itemsA.length !== itemsB.length) return differ(`${where} ${path}: recorded ${itemsA.length} item(s), re-run ${itemsB.length}`);
      itemsA.forEach((item, index) => walk(item, itemsB[index], `${path}[${index}]`));
      return;
    }
    if (isObject(a) && isObject(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      // A table row's `differs` flag is derived from its values: when those differ only by late hashes, so may it.
      const valuesA = a.values;
      const valuesB = b.values;
      const lateValues = Array.isArray(valuesA) && Array.isArray(valuesB) && valuesA.some((value, index) => isLateHash(value, valuesB[index]));
      for (const key of keys) {
        if (VOLATILE_KEYS.has(key) || (lateValues && key === "differs")) continue;
        if (BOOKKEEPING_KEYS.has(key) && (!(key in a) || !(key in b))) {
          onBookkeeping(`${where} ${path}.${key}`);
          continue;
        }
        if (!(key in a) || !(key in b)) return differ(`${where} ${path}.${key}: ${key in a ? "missing in the re-run" : "new in the re-run"}`);
        walk(a[key], b[key], `${path}.${key}`);
      }
      return;
    }
    if (a !== b) differ(`${where} ${path}: recorded ${JSON.stringify(a)?.slice(0, 80)}, re-run ${JSON.stringify(b)?.slice(0, 80)}`);
  };
  const differ = (description: string): void => {
    out.verdict = "differs";
    out.first ??= description;
  };
  walk(recorded, rerun, "");
  return out;
}

function isObject(value: unknown): value is { [key: string]: JSONValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

// ---- cell outputs ----

export interface RecordedOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

/**
 * Renderings of data that is compared in another form: a chart's SVG/PNG beside its Vega-Lite spec, a magic's text
 * and HTML tables beside its application/json result.
 */
function comparableBundle(data: Record<string, unknown>): Record<string, unknown> {
  const mimes = Object.keys(data);
  const hasSpec = mimes.some((mime) => /^application\/vnd\.vegalite\.v\d+\+json$/.test(mime));
  const hasJson = mimes.includes("application/json");
  const out: Record<string, unknown> = {};
  for (const mime of mimes) {
    if (hasSpec && (mime === "image/svg+xml" || mime === "image/png" || mime === "text/markdown" || mime === "text/html" || mime === "text/plain")) continue;
    if (hasJson && (mime === "text/plain" || mime === "text/html")) continue;
    if (mime === "application/vnd.jupyter.widget-view+json") continue;
    out[mime] = data[mime];
  }
  return out;
}

function joinText(text: string | string[] | undefined): string {
  return Array.isArray(text) ? text.join("") : (text ?? "");
}

/** Outputs of one cell: same kinds in the same order, each equal as text, JSON or chart data. */
/** Streams without the lines that describe the machine's load (throughput warnings); streams left empty go. */
function withoutMachineWarnings(outputs: RecordedOutput[], onMachine: () => void): RecordedOutput[] {
  const out: RecordedOutput[] = [];
  for (const output of outputs) {
    if (output.output_type !== "stream") {
      out.push(output);
      continue;
    }
    const text = joinText(output.text);
    const kept = text.replace(MACHINE_WARNING_LINE, "");
    if (kept !== text) onMachine();
    if (kept !== "") out.push({ ...output, text: kept });
  }
  return out;
}

export function compareOutputs(recordedOutputs: RecordedOutput[], rerunOutputs: RecordedOutput[], tolerance: number, where: string, normalise: Normaliser, onBookkeeping: (path: string) => void = () => undefined, onMachine: (where: string) => void = () => undefined): ValueComparison {
  const out: ValueComparison = { verdict: "identical", maxAbs: 0, maxRel: 0 };
  const recorded = withoutMachineWarnings(recordedOutputs, () => onMachine(where));
  const rerun = withoutMachineWarnings(rerunOutputs, () => onMachine(where));
  const kinds = (outputs: RecordedOutput[]) => outputs.map((output) => (output.output_type === "stream" ? `stream:${output.name}` : output.output_type));
  if (kinds(recorded).join(",") !== kinds(rerun).join(",")) {
    const errored = rerun.find((output) => output.output_type === "error");
    return { verdict: "differs", maxAbs: 0, maxRel: 0, first: errored ? `${where}: the re-run failed with ${errored.ename}: ${errored.evalue}` : `${where}: recorded outputs [${kinds(recorded).join(", ")}], re-run [${kinds(rerun).join(", ")}]` };
  }
  recorded.forEach((a, index) => {
    const b = rerun[index]!;
    const at = `${where} output ${index + 1}`;
    let one: ValueComparison;
    if (a.output_type === "stream") one = compareText(normalise.text(joinText(a.text)), normalise.text(joinText(b.text)), tolerance, at);
    else if (a.output_type === "error") one = compareText(normalise.text(`${a.ename}: ${a.evalue}`), normalise.text(`${b.ename}: ${b.evalue}`), tolerance, at);
    else {
      const bundleA = comparableBundle(a.data ?? {});
      const bundleB = comparableBundle(b.data ?? {});
      const asJson = (bundle: Record<string, unknown>) => Object.fromEntries(Object.entries(bundle).map(([mime, value]) => [mime, (Array.isArray(value) ? value.join("") : value) as JSONValue]));
      one = compareJson(asJson(bundleA), asJson(bundleB), tolerance, at, normalise, onBookkeeping);
    }
    out.maxAbs = Math.max(out.maxAbs, Number.isFinite(one.maxAbs) ? one.maxAbs : 0);
    out.maxRel = Math.max(out.maxRel, Number.isFinite(one.maxRel) ? one.maxRel : 0);
    if (one.verdict === "differs" && !out.first) out.first = one.first;
    out.verdict = worse(out.verdict, one.verdict);
  });
  return out;
}

// ---- runs ----

export interface RunSide {
  id: string;
  name: string;
  params: Record<string, JSONValue>;
  summary: Record<string, JSONValue>;
  /** null: not recorded (a version committed before versions stored curves). */
  curves: RunCurves | null;
}

export interface CurveComparison {
  metric: string;
  points: number;
  maxAbs: number;
  maxRel: number;
  /** The first step where the curves differ by more than the tolerance, or null. */
  firstStepBeyondTolerance: number | null;
  verdict: Verdict;
  note?: string;
}

export interface RunComparison {
  name: string;
  recordedId: string;
  rerunId: string | null;
  verdict: Verdict;
  params: { key: string; recorded: JSONValue | null; rerun: JSONValue | null }[];
  metrics: { key: string; recorded: JSONValue | null; rerun: JSONValue | null; abs: number | null; rel: number | null; verdict: Verdict }[];
  curves: CurveComparison[];
  first?: string;
  /** Why curves were not compared, when they were not. */
  note?: string;
}

export function compareCurve(metric: string, recorded: [number, number | string][], rerun: [number, number | string][], tolerance: number): CurveComparison {
  const out: CurveComparison = { metric, points: recorded.length, maxAbs: 0, maxRel: 0, firstStepBeyondTolerance: null, verdict: "identical" };
  const byStep = new Map<number, number[]>();
  for (const [step, value] of rerun) (byStep.get(step) ?? byStep.set(step, []).get(step)!).push(curveValue(value));
  const used = new Map<number, number>();
  for (const [step, value] of recorded) {
    const index = used.get(step) ?? 0;
    used.set(step, index + 1);
    const other = byStep.get(step)?.[index];
    if (other === undefined) {
      out.verdict = "differs";
      out.firstStepBeyondTolerance ??= step;
      out.note ??= `step ${step} is missing in the re-run`;
      continue;
    }
    const a = curveValue(value);
    const verdict = numbersVerdict(a, other, tolerance);
    if (verdict === "identical") continue;
    const abs = Math.abs(a - other);
    out.maxAbs = Math.max(out.maxAbs, Number.isFinite(abs) ? abs : Infinity);
    out.maxRel = Math.max(out.maxRel, relative(a, other));
    if (verdict === "differs") out.firstStepBeyondTolerance ??= step;
    out.verdict = worse(out.verdict, verdict);
  }
  if (rerun.length > recorded.length) {
    out.verdict = "differs";
    out.note ??= `the re-run logged ${rerun.length - recorded.length} more point(s)`;
  }
  return out;
}

export function compareRun(recorded: RunSide, rerun: RunSide | undefined, tolerance: number): RunComparison {
  const out: RunComparison = { name: recorded.name, recordedId: recorded.id, rerunId: rerun?.id ?? null, verdict: "identical", params: [], metrics: [], curves: [] };
  if (!rerun) return { ...out, verdict: "differs", first: `run ${recorded.name}: the re-run produced no run of that name` };
  const identity: Normaliser = { text: (value) => value };
  for (const key of new Set([...Object.keys(recorded.params), ...Object.keys(rerun.params)])) {
    const compared = compareJson(recorded.params[key], rerun.params[key], tolerance, `run ${recorded.name} param ${key}`, identity);
    if (compared.verdict === "identical") continue;
    out.params.push({ key, recorded: recorded.params[key] ?? null, rerun: rerun.params[key] ?? null });
    out.verdict = worse(out.verdict, compared.verdict);
    if (compared.verdict === "differs") out.first ??= `run ${recorded.name}: param ${key} was ${JSON.stringify(recorded.params[key] ?? null)}, re-run ${JSON.stringify(rerun.params[key] ?? null)}`;
  }
  for (const key of new Set([...Object.keys(recorded.summary), ...Object.keys(rerun.summary)])) {
    if (VOLATILE_SUMMARY_KEYS.has(key) || key.startsWith("system.")) continue;
    const a = recorded.summary[key];
    const b = rerun.summary[key];
    const numbers = (typeof a === "number" || typeof a === "string") && (typeof b === "number" || typeof b === "string") && !Number.isNaN(Number(a)) && !Number.isNaN(Number(b));
    const verdict = a === undefined || b === undefined ? "differs" : numbers ? numbersVerdict(Number(a), Number(b), tolerance) : JSON.stringify(a) === JSON.stringify(b) ? "identical" : "differs";
    const abs = numbers ? Math.abs(Number(a) - Number(b)) : null;
    out.metrics.push({ key, recorded: a ?? null, rerun: b ?? null, abs, rel: numbers ? relative(Number(a), Number(b)) : null, verdict });
    out.verdict = worse(out.verdict, verdict);
    if (verdict === "differs") out.first ??= `run ${recorded.name}: final ${key} was ${JSON.stringify(a ?? null)}, re-run ${JSON.stringify(b ?? null)}`;
  }
  if (recorded.curves === null || rerun.curves === null) return { ...out, note: "the version stored no curves for this run (committed before versions kept them): params and final metrics compared" };
  const [curvesA, curvesB] = [recorded.curves, rerun.curves];
  for (const metric of new Set([...Object.keys(curvesA), ...Object.keys(curvesB)])) {
    const curve = compareCurve(metric, curvesA[metric] ?? [], curvesB[metric] ?? [], tolerance);
    out.curves.push(curve);
    out.verdict = worse(out.verdict, curve.verdict);
    if (curve.verdict === "differs") out.first ??= `run ${recorded.name}: curve ${metric} first beyond tolerance at step ${curve.firstStepBeyondTolerance ?? "?"} (largest difference ${curve.maxAbs.toPrecision(3)}, ${(curve.maxRel * 100).toPrecision(3)}%)${curve.note ? `; ${curve.note}` : ""}`;
  }
  return out;
}

/** Pairs recorded runs with re-run runs by name, the k-th of a name with the k-th. */
export function pairRuns<T extends { name: string }>(recorded: { name: string }[], rerun: T[]): (T | undefined)[] {
  const byName = new Map<string, T[]>();
  for (const run of rerun) (byName.get(run.name) ?? byName.set(run.name, []).get(run.name)!).push(run);
  const seen = new Map<string, number>();
  return recorded.map((run) => {
    const index = seen.get(run.name) ?? 0;
    seen.set(run.name, index + 1);
    // The version lists only the runs since the previous version: take them from the end of the re-run's list.
    const all = byName.get(run.name) ?? [];
    const count = recorded.filter((other) => other.name === run.name).length;
    return all[all.length - count + index];
  });
}

// ---- data ----

export interface DataComparison {
  path: string;
  recorded: string | null;
  rerun: string | null;
  verdict: Verdict;
}

export function compareData(recorded: { path: string; sha256: string }[], read: Map<string, string>): DataComparison[] {
  const out: DataComparison[] = [];
  for (const file of recorded) {
    const rerun = read.get(file.path) ?? null;
    out.push({ path: file.path, recorded: file.sha256, rerun, verdict: rerun === null || rerun === file.sha256 ? "identical" : "differs" });
  }
  // Read by the re-run but not in the version (e.g. written by the notebook itself): listed, not judged.
  for (const [path, sha256] of read) if (!recorded.some((file) => file.path === path)) out.push({ path, recorded: null, rerun: sha256, verdict: "identical" });
  return out;
}
