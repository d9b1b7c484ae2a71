// %version diff: per-cell unified code diff, data added/removed/modified with sizes, environment and run metrics.
import type { JSONValue } from "../../kernel/types.js";
import type { ManifestEntry } from "./data.js";
import type { DataConflict } from "./diverged.js";
import { cellSource, type NotebookDocument, type VersionRecord } from "./versions.js";

/** Line-level unified diff (LCS based; cells are small) with `context` lines around each change. */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  if (before === after) return "";
  const a = before.split("\n");
  const b = after.split("\n");
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  type Op = { kind: " " | "-" | "+"; text: string; aLine: number; bLine: number };
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) ops.push({ kind: " ", text: a[i]!, aLine: i++, bLine: j++ });
    // Deletions first on ties, as git and diff -u print them.
    else if (i < a.length && (j === b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) ops.push({ kind: "-", text: a[i]!, aLine: i++, bLine: j });
    else ops.push({ kind: "+", text: b[j]!, aLine: i, bLine: j++ });
  }
  const lines = [`--- ${labels.from}`, `+++ ${labels.to}`];
  let index = 0;
  while (index < ops.length) {
    if (ops[index]!.kind === " ") {
      index++;
      continue;
    }
    const start = Math.max(0, index - context);
    let end = index;
    // Extend the hunk while the next change is within 2*context lines.
    for (let k = index; k < ops.length; k++) {
      if (ops[k]!.kind !== " ") end = k;
      else if (k - end > 2 * context) break;
    }
    end = Math.min(ops.length - 1, end + context);
    const hunk = ops.slice(start, end + 1);
    const aCount = hunk.filter((op) => op.kind !== "+").length;
    const bCount = hunk.filter((op) => op.kind !== "-").length;
    lines.push(`@@ -${hunk[0]!.aLine + 1},${aCount} +${hunk[0]!.bLine + 1},${bCount} @@`);
    for (const op of hunk) lines.push(`${op.kind}${op.text}`);
    index = end + 1;
  }
  return `${lines.join("\n")}\n`;
}

export interface CellDiff {
  cell: number;
  change: "added" | "removed" | "modified";
  diff: string;
}

export function codeCells(notebook: NotebookDocument): string[] {
  return notebook.cells.filter((cell) => cell.cell_type === "code").map(cellSource);
}

export function diffCells(before: string[], after: string[], labels: { from: string; to: string }): CellDiff[] {
  const out: CellDiff[] = [];
  for (let index = 0; index < Math.max(before.length, after.length); index++) {
    const a = before[index];
    const b = after[index];
    if (a === b) continue;
    const change = a === undefined ? "added" : b === undefined ? "removed" : "modified";
    out.push({ cell: index + 1, change, diff: unifiedDiff(a ?? "", b ?? "", { from: `${labels.from} cell ${index + 1}`, to: `${labels.to} cell ${index + 1}` }) });
  }
  return out;
}

export interface DataDiff {
  added: ManifestEntry[];
  removed: ManifestEntry[];
  modified: { path: string; before: ManifestEntry; after: ManifestEntry }[];
}

export function diffData(before: ManifestEntry[], after: ManifestEntry[]): DataDiff {
  const old = new Map(before.map((entry) => [entry.path, entry]));
  const now = new Map(after.map((entry) => [entry.path, entry]));
  return {
    added: after.filter((entry) => !old.has(entry.path)),
    removed: before.filter((entry) => !now.has(entry.path)),
    modified: after.filter((entry) => old.has(entry.path) && old.get(entry.path)!.sha256 !== entry.sha256).map((entry) => ({ path: entry.path, before: old.get(entry.path)!, after: entry })),
  };
}

export function diffRecords(before: Record<string, unknown>, after: Record<string, unknown>): { key: string; before: unknown; after: unknown }[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys.filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key])).map((key) => ({ key, before: before[key] ?? null, after: after[key] ?? null }));
}

export interface MetricDiff {
  run: string;
  metric: string;
  before: JSONValue | null;
  after: JSONValue | null;
}

/** Final metrics of runs of the same name (or the single run on each side) side by side. */
export function diffMetrics(before: VersionRecord["runs"], after: VersionRecord["runs"]): MetricDiff[] {
  const pairs: [string, Record<string, JSONValue>, Record<string, JSONValue>][] = [];
  const names = [...new Set([...before.map((run) => run.name), ...after.map((run) => run.name)])];
  for (const name of names) {
    const a = [...before].reverse().find((run) => run.name === name);
    const b = [...after].reverse().find((run) => run.name === name);
    pairs.push([name, a?.summary ?? {}, b?.summary ?? {}]);
  }
  return pairs.flatMap(([run, a, b]) => diffRecords(a, b).map((entry) => ({ run, metric: entry.key, before: (entry.before ?? null) as JSONValue | null, after: (entry.after ?? null) as JSONValue | null })));
}

export interface VersionDiff {
  from: string;
  to: string;
  cells: CellDiff[];
  data: DataDiff;
  env: { key: string; before: unknown; after: unknown }[];
  metrics: MetricDiff[];
  /** Open data conflicts of a pulled, diverged history (settle with %version resolve PATH --take ours|theirs). */
  conflicts?: DataConflict[];
}

export function diffVersions(a: VersionRecord, aNotebook: NotebookDocument, b: VersionRecord, bNotebook: NotebookDocument): VersionDiff {
  const from = a.id.slice(0, 10);
  const to = b.id.slice(0, 10);
  return {
    from: a.id,
    to: b.id,
    cells: diffCells(codeCells(aNotebook), codeCells(bNotebook), { from, to }),
    data: diffData(a.data.files, b.data.files),
    env: diffRecords(a.env as unknown as Record<string, unknown>, b.env as unknown as Record<string, unknown>),
    metrics: diffMetrics(a.runs, b.runs),
  };
}

function bytes(size: number): string {
  return size < 1024 ? `${size} B` : size < 1024 ** 2 ? `${(size / 1024).toFixed(1)} KiB` : size < 1024 ** 3 ? `${(size / 1024 ** 2).toFixed(1)} MiB` : `${(size / 1024 ** 3).toFixed(2)} GiB`;
}

export function formatBytes(size: number): string {
  return bytes(size);
}

export function renderVersionDiff(diff: VersionDiff): string {
  const out: string[] = [`version ${diff.from.slice(0, 10)} → ${diff.to.slice(0, 10)}`, ""];
  out.push(diff.cells.length === 0 ? "code: no cell changed" : `code: ${diff.cells.length} cell(s) changed`);
  for (const cell of diff.cells) out.push(`cell ${cell.cell} ${cell.change}`, cell.diff);
  const { added, removed, modified } = diff.data;
  out.push(added.length + removed.length + modified.length === 0 ? "data: unchanged" : "data:");
  for (const entry of added) out.push(`  + ${entry.path} (${bytes(entry.size)})`);
  for (const entry of removed) out.push(`  - ${entry.path} (${bytes(entry.size)})`);
  for (const entry of modified) out.push(`  ~ ${entry.path} (${bytes(entry.before.size)} → ${bytes(entry.after.size)})`);
  if (modified.some((entry) => /\.(csv|tsv|tab|jsonl|ndjson|json)$/i.test(entry.path))) out.push(`  rows added, removed and changed: %version diff ${diff.from.slice(0, 10)} ${diff.to.slice(0, 10)} --rows [--key COL]`);
  out.push(diff.env.length === 0 ? "environment: unchanged" : "environment:");
  for (const entry of diff.env) out.push(`  ${entry.key}: ${JSON.stringify(entry.before)} → ${JSON.stringify(entry.after)}`);
  out.push(diff.metrics.length === 0 ? "metrics: unchanged" : "metrics:");
  for (const entry of diff.metrics) out.push(`  ${entry.run} ${entry.metric}: ${JSON.stringify(entry.before)} → ${JSON.stringify(entry.after)}`);
  if (diff.conflicts && diff.conflicts.length > 0) out.push("data conflicts (settle each with %version resolve PATH --take ours|theirs):");
  for (const conflict of diff.conflicts ?? []) out.push(`  ${conflict.path}: ours ${conflict.ours.sha256.slice(0, 12)}… (${conflict.ours.version.slice(0, 10)}), theirs ${conflict.theirs.sha256.slice(0, 12)}… (${conflict.theirs.version.slice(0, 10)}, from ${conflict.remote})`);
  return out.join("\n");
}
