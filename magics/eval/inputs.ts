// Checks and encodes what the user passes to the evaluation library: labels, predictions, probabilities.
// Every error names the argument and the problem, and says what to do, because the user sees it in the notebook.

export type Label = number | string | boolean;
export type LabelArray = ArrayLike<Label>;
/** Binary: P(positive class) per example. Multiclass: one row per example, one column per class. */
export type ProbabilityInput = ArrayLike<number> | ArrayLike<ArrayLike<number>>;

/** Bad input to an evaluation function. `argument` names the offending argument (labels, preds, probs, slices, …). */
export class EvalInputError extends Error {
  override readonly name = "EvalInputError";
  constructor(readonly argument: string, message: string) {
    super(`${argument}: ${message}`);
  }
}

/** Labels encoded as class indices into `classes` (sorted like numpy's unique). */
export interface EncodedLabels {
  classes: Label[];
  indices: Int32Array;
}

/** Row-major n × k probability matrix. */
export interface ProbabilityMatrix {
  rows: number;
  columns: number;
  values: Float64Array;
}

const ROW_SUM_TOLERANCE = 1e-5;

export function compareLabels(a: Label, b: Label): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "boolean" && typeof b === "boolean") return Number(a) - Number(b);
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

export function checkLabels(name: string, values: unknown): asserts values is LabelArray {
  if (values === null || values === undefined || typeof (values as { length?: unknown }).length !== "number") {
    throw new EvalInputError(name, `expected an array of labels, got ${describe(values)}; pass one label per example.`);
  }
  const array = values as ArrayLike<unknown>;
  if (array.length === 0) throw new EvalInputError(name, "is empty; pass at least one example.");
  let kind: string | undefined;
  for (let i = 0; i < array.length; i++) {
    const value = array[i];
    const type = typeof value;
    if (type !== "number" && type !== "string" && type !== "boolean") {
      throw new EvalInputError(name, `element ${i} is ${describe(value)}; labels must be numbers, strings or booleans.`);
    }
    if (type === "number" && !Number.isFinite(value as number)) {
      throw new EvalInputError(name, `element ${i} is ${String(value)}; labels must be finite.`);
    }
    if (kind === undefined) kind = type;
    else if (kind !== type) {
      throw new EvalInputError(name, `mixes ${kind} and ${type} labels (element ${i}); use one type for every label.`);
    }
  }
}

export function checkNumbers(name: string, values: unknown): asserts values is ArrayLike<number> {
  if (values === null || values === undefined || typeof (values as { length?: unknown }).length !== "number") {
    throw new EvalInputError(name, `expected an array of numbers, got ${describe(values)}.`);
  }
  const array = values as ArrayLike<unknown>;
  if (array.length === 0) throw new EvalInputError(name, "is empty; pass at least one example.");
  for (let i = 0; i < array.length; i++) {
    const value = array[i];
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw new EvalInputError(name, `element ${i} is ${describe(value)}; expected a finite number.`);
    }
  }
}

export function checkSameLength(lengths: Record<string, number>): void {
  const entries = Object.entries(lengths);
  const [firstName, firstLength] = entries[0]!;
  for (const [name, length] of entries.slice(1)) {
    if (length !== firstLength) {
      throw new EvalInputError(
        name,
        `has ${length} elements but ${firstName} has ${firstLength}; mismatched lengths — pass one value per example in both.`,
      );
    }
  }
}

/** Sorted unique labels, like numpy.unique / sklearn's unique_labels. */
export function uniqueSorted(...arrays: LabelArray[]): Label[] {
  const seen = new Set<Label>();
  for (const array of arrays) for (let i = 0; i < array.length; i++) seen.add(array[i]!);
  return [...seen].sort(compareLabels);
}

/** Encodes `values` as indices into `classes`; a value outside the classes is an error naming it. */
export function encode(name: string, values: LabelArray, classes: readonly Label[]): Int32Array {
  const lookup = new Map<Label, number>();
  classes.forEach((label, index) => lookup.set(label, index));
  const indices = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const index = lookup.get(values[i]!);
    if (index === undefined) {
      throw new EvalInputError(
        name,
        `element ${i} is ${JSON.stringify(values[i])}, outside the classes [${classes.map((c) => JSON.stringify(c)).join(", ")}]; ` +
          "fix the label or pass `classes` listing every class.",
      );
    }
    indices[i] = index;
  }
  return indices;
}

function isMatrix(probs: ProbabilityInput): probs is ArrayLike<ArrayLike<number>> {
  return probs.length > 0 && typeof probs[0] === "object" && probs[0] !== null;
}

/** Number of probability columns: 1-D input means binary (P(positive)), i.e. 2 columns. */
export function probabilityColumns(probs: ProbabilityInput): number {
  return isMatrix(probs) ? probs[0]!.length : 2;
}

/**
 * Checks probabilities are in [0, 1] and rows sum to 1 (within 1e-5), and returns them as an n × k matrix.
 * A 1-D input is P(positive class) and becomes [1 − p, p].
 */
export function toProbabilityMatrix(probs: unknown, expectedRows: number): ProbabilityMatrix {
  if (probs === null || probs === undefined || typeof (probs as { length?: unknown }).length !== "number") {
    throw new EvalInputError("probs", `expected an array of probabilities, got ${describe(probs)}.`);
  }
  const input = probs as ProbabilityInput;
  if (input.length !== expectedRows) {
    throw new EvalInputError(
      "probs",
      `has ${input.length} rows but labels has ${expectedRows}; mismatched lengths — pass one probability row per example.`,
    );
  }
  if (!isMatrix(input)) {
    const values = new Float64Array(2 * input.length);
    for (let i = 0; i < input.length; i++) {
      const p = checkProbability(input[i], `element ${i}`);
      values[2 * i] = 1 - p;
      values[2 * i + 1] = p;
    }
    return { rows: input.length, columns: 2, values };
  }
  const columns = input[0]!.length;
  if (columns < 2) throw new EvalInputError("probs", "rows need one probability per class (at least 2 columns).");
  const values = new Float64Array(columns * input.length);
  for (let i = 0; i < input.length; i++) {
    const row = input[i]!;
    if (row === null || typeof row !== "object" || row.length !== columns) {
      throw new EvalInputError("probs", `row ${i} has ${describeRow(row)} but row 0 has ${columns} columns; every row needs one probability per class.`);
    }
    let sum = 0;
    for (let j = 0; j < columns; j++) {
      const p = checkProbability(row[j], `row ${i}, column ${j}`);
      values[i * columns + j] = p;
      sum += p;
    }
    if (Math.abs(sum - 1) > ROW_SUM_TOLERANCE) {
      throw new EvalInputError(
        "probs",
        `row ${i} sums to ${sum} instead of 1 (tolerance ${ROW_SUM_TOLERANCE}); pass probabilities (apply softmax), not scores.`,
      );
    }
  }
  return { rows: input.length, columns, values };
}

function checkProbability(value: unknown, where: string): number {
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new EvalInputError("probs", `${where} is ${describe(value)}; expected a probability in [0, 1].`);
  }
  if (value < 0 || value > 1) {
    throw new EvalInputError("probs", `${where} is ${value}, outside [0, 1]; pass probabilities (apply sigmoid/softmax), not scores.`);
  }
  return value;
}

function describeRow(row: unknown): string {
  return row !== null && typeof row === "object" && "length" in row ? `${(row as ArrayLike<unknown>).length} columns` : describe(row);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return typeof value === "object" ? `an object (${value.constructor?.name ?? "Object"})` : typeof value;
}

/**
 * Decides the classes: `classes` when given; else sorted unique labels ∪ preds; when probabilities name more
 * classes than appear and labels are integers, the classes are 0 … k−1 (the column indices).
 */
export function resolveClasses(labels: LabelArray, preds: LabelArray | undefined, probColumns: number | undefined, classes?: readonly Label[]): Label[] {
  if (classes) {
    if (classes.length < 2) throw new EvalInputError("classes", "needs at least two classes.");
    if (probColumns !== undefined && probColumns !== classes.length) {
      throw new EvalInputError("probs", `has ${probColumns} columns but classes lists ${classes.length}; give one column per class.`);
    }
    return [...classes];
  }
  const found = preds ? uniqueSorted(labels, preds) : uniqueSorted(labels);
  if (probColumns === undefined || found.length === probColumns) return found;
  if (found.length < probColumns && found.every((label) => typeof label === "number" && Number.isInteger(label) && label >= 0 && label < probColumns)) {
    return Array.from({ length: probColumns }, (_, index) => index);
  }
  const outside = found.find((label) => typeof label !== "number" || !Number.isInteger(label) || label < 0 || label >= probColumns);
  throw new EvalInputError(
    "labels",
    `the labels and predictions name ${found.length} classes but probs has ${probColumns} columns` +
      (outside !== undefined ? ` (label ${JSON.stringify(outside)} is outside the classes 0…${probColumns - 1})` : "") +
      "; pass `classes` in the column order of probs.",
  );
}
