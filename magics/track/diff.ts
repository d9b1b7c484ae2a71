// Side-by-side differences between runs: params, metrics, environment, data hashes, and a line diff of code.
import type { JSONValue } from "../../kernel/types.js";
import type { RunRecord } from "../../store/types.js";

export interface DiffRow {
  key: string;
  values: unknown[];
  differs: boolean;
}

function same(values: unknown[]): boolean {
  const first = JSON.stringify(values[0] ?? null);
  return values.every((value) => JSON.stringify(value ?? null) === first);
}

export function diffRecords(records: Array<Record<string, unknown>>, onlyDifferent = false): DiffRow[] {
  const keys = [...new Set(records.flatMap((record) => Object.keys(record)))].sort();
  return keys
    .map((key) => {
      const values = records.map((record) => record[key]);
      return { key, values, differs: !same(values) };
    })
    .filter((row) => !onlyDifferent || row.differs);
}

/** Nested objects flattened to "a.b.c" keys (environment). */
export function flatten(value: unknown, prefix = "", into: Record<string, JSONValue> = {}): Record<string, JSONValue> {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    for (const [key, inner] of Object.entries(value)) flatten(inner, prefix ? `${prefix}.${key}` : key, into);
  } else if (prefix) into[prefix] = value as JSONValue;
  return into;
}

/** A unified-style line diff ("  " same, "- " only in a, "+ " only in b). */
export function lineDiff(a: string, b: string): string {
  const left = a.split("\n").slice(0, 2000);
  const right = b.split("\n").slice(0, 2000);
  const n = left.length;
  const m = right.length;
  const lengths = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) lengths[i][j] = left[i] === right[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (left[i] === right[j]) {
      out.push(`  ${left[i]}`);
      i++;
      j++;
    } else if (lengths[i + 1][j] >= lengths[i][j + 1]) out.push(`- ${left[i++]}`);
    else out.push(`+ ${right[j++]}`);
  }
  while (i < n) out.push(`- ${left[i++]}`);
  while (j < m) out.push(`+ ${right[j++]}`);
  return out.join("\n");
}

export interface RunComparison {
  runs: Array<{ id: string; name: string; status: string }>;
  params: DiffRow[];
  metrics: DiffRow[];
  /** Only the environment entries that differ. */
  env: DiffRow[];
  data: DiffRow[];
  /** Code of each later run against the first, as a line diff; "" when identical. */
  code: string[];
}

export function compareRecords(runs: RunRecord[]): RunComparison {
  const first = runs[0];
  return {
    runs: runs.map((run) => ({ id: run.id, name: run.name, status: run.status })),
    params: diffRecords(runs.map((run) => run.params)),
    metrics: diffRecords(runs.map((run) => run.summary)),
    env: diffRecords(runs.map((run) => flatten(run.env)), true),
    data: diffRecords(runs.map((run) => run.dataHashes ?? {})),
    code: runs.slice(1).map((run) => ((run.code ?? "") === (first.code ?? "") ? "" : lineDiff(first.code ?? "", run.code ?? ""))),
  };
}
