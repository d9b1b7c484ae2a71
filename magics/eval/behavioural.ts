// CheckList-style behavioural tests. Each test runs a batched model function (sync or async) on its examples and
// reports the pass rate and failing examples:
//   MFT  minimum functionality — the output for each input equals the expected label (or satisfies a check);
//   INV  invariance            — the prediction does not change under a label-preserving perturbation;
//   DIR  directional           — the change from the original to the perturbed output satisfies an expectation;
//   robustness                 — the flip rate of predictions under a user perturbation stays ≤ maxFlipRate.
import { EvalInputError } from "./inputs.js";

export type ModelFunction<I, O> = (inputs: I[]) => O[] | Promise<O[]>;

interface CommonOptions<O> {
  name: string;
  /** How to compare outputs: defaults to arg-max for number arrays (probabilities), the value itself otherwise. */
  toLabel?: (output: O) => unknown;
  /** Pass rate needed for the test to pass (default 1 for MFT/INV/DIR). */
  minPassRate?: number;
}

export type BehaviouralTest<I = unknown, O = unknown> =
  | (CommonOptions<O> & { kind: "mft"; inputs: I[]; expected?: unknown[]; check?: (output: O, input: I) => boolean })
  | (CommonOptions<O> & { kind: "inv"; inputs: I[]; perturb: (input: I) => I })
  | (CommonOptions<O> & { kind: "dir"; inputs: I[]; perturb: (input: I) => I; expect: (before: O, after: O) => boolean })
  | (CommonOptions<O> & { kind: "robustness"; inputs: I[]; perturb: (input: I, index: number) => I; maxFlipRate?: number });

export interface FailingExample {
  index: number;
  input: unknown;
  output: unknown;
  perturbed?: unknown;
  perturbedOutput?: unknown;
  expected?: unknown;
}

export interface BehaviouralResult {
  name: string;
  kind: "mft" | "inv" | "dir" | "robustness";
  total: number;
  passed: number;
  failed: number;
  passRate: number;
  /** Robustness only: share of predictions that changed under the perturbation. */
  flipRate?: number;
  threshold: string;
  pass: boolean;
  failures: FailingExample[];
}

const MAX_FAILURES_SHOWN = 5;

export function defaultToLabel(output: unknown): unknown {
  if (Array.isArray(output) || ArrayBuffer.isView(output)) {
    const values = Array.from(output as ArrayLike<number>);
    return values.indexOf(Math.max(...values));
  }
  return output;
}

const MAX_ITEMS_SHOWN = 50;

/** A JSON-safe copy of an example for the report (tensors, class instances and functions become short text). */
export function jsonSafe(value: unknown, depth = 0): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") return Number.isFinite(value) ? value : String(value);
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "function") return "[function]";
  if (typeof value !== "object") return String(value);
  if (depth > 4) return "[…]";
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) value = Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS_SHOWN).map((item) => jsonSafe(item, depth + 1));
    return value.length > MAX_ITEMS_SHOWN ? [...items, `… ${value.length - MAX_ITEMS_SHOWN} more`] : items;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) {
    const text = String(value);
    return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  }
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, jsonSafe(item, depth + 1)]));
}

function same(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

async function predict<I, O>(model: ModelFunction<I, O>, inputs: I[], batchSize: number, testName: string): Promise<O[]> {
  const outputs: O[] = [];
  for (let start = 0; start < inputs.length; start += batchSize) {
    const batch = inputs.slice(start, start + batchSize);
    const result = await model(batch);
    if (!Array.isArray(result) || result.length !== batch.length) {
      throw new EvalInputError(`tests.${testName}`, `the model returned ${Array.isArray(result) ? result.length : typeof result} outputs for a batch of ${batch.length}; a model function takes an array of inputs and returns one output per input.`);
    }
    outputs.push(...result);
  }
  return outputs;
}

export async function runBehaviouralTest<I, O>(test: BehaviouralTest<I, O>, model: ModelFunction<I, O>, options: { batchSize?: number } = {}): Promise<BehaviouralResult> {
  const batchSize = options.batchSize ?? 64;
  if (!Array.isArray(test.inputs) || test.inputs.length === 0) throw new EvalInputError(`tests.${test.name}`, "has no inputs; give at least one example.");
  const toLabel = test.toLabel ?? defaultToLabel;
  const outputs = await predict(model, test.inputs, batchSize, test.name);
  const failures: FailingExample[] = [];
  let passed = 0;
  let perturbedInputs: I[] | undefined;
  let perturbedOutputs: O[] | undefined;
  if (test.kind !== "mft") {
    perturbedInputs = test.inputs.map((input, index) => (test.kind === "robustness" ? test.perturb(input, index) : test.perturb(input)));
    perturbedOutputs = await predict(model, perturbedInputs, batchSize, test.name);
  }
  if (test.kind === "mft" && test.expected && test.expected.length !== test.inputs.length) {
    throw new EvalInputError(`tests.${test.name}`, `has ${test.inputs.length} inputs but ${test.expected.length} expected labels; mismatched lengths.`);
  }
  if (test.kind === "mft" && !test.expected && !test.check) throw new EvalInputError(`tests.${test.name}`, "an MFT needs `expected` labels or a `check` function.");
  test.inputs.forEach((input, index) => {
    const output = outputs[index]!;
    let ok: boolean;
    let expected: unknown;
    if (test.kind === "mft") {
      expected = test.expected?.[index];
      ok = test.check ? test.check(output, input) : same(toLabel(output), expected);
    } else if (test.kind === "dir") {
      ok = test.expect(output, perturbedOutputs![index]!);
    } else {
      ok = same(toLabel(output), toLabel(perturbedOutputs![index]!));
    }
    if (ok) passed++;
    else if (failures.length < MAX_FAILURES_SHOWN) {
      failures.push({
        index,
        input: jsonSafe(input),
        output: jsonSafe(output),
        ...(perturbedInputs ? { perturbed: jsonSafe(perturbedInputs[index]), perturbedOutput: jsonSafe(perturbedOutputs![index]) } : {}),
        ...(expected !== undefined ? { expected: jsonSafe(expected) } : {}),
      });
    }
  });
  const total = test.inputs.length;
  const passRate = passed / total;
  if (test.kind === "robustness") {
    const maxFlipRate = test.maxFlipRate ?? 0.05;
    const flipRate = 1 - passRate;
    return { name: test.name, kind: test.kind, total, passed, failed: total - passed, passRate, flipRate, threshold: `flip rate ≤ ${maxFlipRate}`, pass: flipRate <= maxFlipRate, failures };
  }
  const minPassRate = test.minPassRate ?? 1;
  return { name: test.name, kind: test.kind, total, passed, failed: total - passed, passRate, threshold: `pass rate ≥ ${minPassRate}`, pass: passRate >= minPassRate, failures };
}

export async function runBehaviouralTests<I, O>(tests: Array<BehaviouralTest<I, O>>, model: ModelFunction<I, O>, options: { batchSize?: number } = {}): Promise<BehaviouralResult[]> {
  const results: BehaviouralResult[] = [];
  for (const test of tests) results.push(await runBehaviouralTest(test, model, options));
  return results;
}

/** Builders, so tests read like CheckList's: evaluate.mft({...}), evaluate.inv({...}), … */
export const checklist = {
  mft: <I, O>(options: Omit<Extract<BehaviouralTest<I, O>, { kind: "mft" }>, "kind">): BehaviouralTest<I, O> => ({ kind: "mft", ...options }),
  inv: <I, O>(options: Omit<Extract<BehaviouralTest<I, O>, { kind: "inv" }>, "kind">): BehaviouralTest<I, O> => ({ kind: "inv", ...options }),
  dir: <I, O>(options: Omit<Extract<BehaviouralTest<I, O>, { kind: "dir" }>, "kind">): BehaviouralTest<I, O> => ({ kind: "dir", ...options }),
  robustness: <I, O>(options: Omit<Extract<BehaviouralTest<I, O>, { kind: "robustness" }>, "kind">): BehaviouralTest<I, O> => ({ kind: "robustness", ...options }),
};
