// Row-level diff of two table files (CSV, TSV, JSON Lines, JSON arrays): rows added, removed and changed (by key
// column, or by content as a multiset of row hashes without one), examples of each, schema changes and per-column
// drift. Each file is scanned in its own worker thread (one pass, 28 bytes a row kept); the join is two open-
// addressing hash tables over the 64-bit identity hashes, so memory follows the row count, never the file size.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { columnDrift, columnType, type ColumnDrift, type ColumnType } from "./row-drift.js";
import { formatOf, peekColumns, readRow, scanTable, TableFormatError, type ScanOptions, type TableFormat, type TableScan } from "./row-scan.js";

export interface RowDiffOptions {
  /** Column whose value identifies a row; without it rows are compared by their whole content. */
  key?: string | undefined;
  /** How many examples of each kind to show (default 5). */
  examples?: number | undefined;
  /** Force a format instead of reading it from the file extension. */
  format?: TableFormat | undefined;
  /** Labels for the two sides in results (default: the paths). */
  labels?: { before: string; after: string } | undefined;
  /** Scan the two files in worker threads in parallel (default true; falls back to this thread if workers cannot start). */
  workers?: boolean | undefined;
  /** Memory the join may use (default 192 MiB); larger files are joined in hash partitions, one pass each. */
  memoryBudgetBytes?: number | undefined;
}

export type RowValues = Record<string, string | null>;

export interface ChangedRow {
  key: string | null;
  line: { before: number; after: number };
  columns: { column: string; before: string | null; after: string | null }[];
}

export interface RowDiff {
  before: { path: string; format: TableFormat; rows: number; columns: string[] };
  after: { path: string; format: TableFormat; rows: number; columns: string[] };
  key: string | null;
  rows: { added: number; removed: number; changed: number; unchanged: number };
  /** Rows sharing a key with an earlier row of the same file (only the first one is compared). */
  duplicateKeys: { before: number; after: number };
  examples: { added: { line: number; row: RowValues }[]; removed: { line: number; row: RowValues }[]; changed: ChangedRow[] };
  schema: { added: string[]; removed: string[]; retyped: { column: string; before: ColumnType; after: ColumnType }[] };
  drift: ColumnDrift[];
  /** How many passes the join took (1 unless the files were too big for the memory budget). */
  partitions: number;
}

export { TableFormatError };

function scanHere(path: string, options: ScanOptions, size: number): Promise<TableScan> {
  return new Promise((resolve, reject) => {
    try {
      resolve(scanTable(path, options, size));
    } catch (error) {
      reject(error);
    }
  });
}

/** Scans in a worker thread; resolves undefined when no worker can run here (e.g. under a loader that workers lack). */
function scanInWorker(path: string, options: ScanOptions, size: number): Promise<TableScan | undefined> {
  const source = import.meta.url.endsWith(".ts") ? "./row-scan-worker.ts" : "./row-scan-worker.js";
  return new Promise((resolve, reject) => {
    let worker: Worker;
    try {
      worker = new Worker(new URL(source, import.meta.url), { workerData: { path, options, size } });
    } catch {
      resolve(undefined);
      return;
    }
    let settled = false;
    worker.once("message", (message: { scan?: TableScan; error?: { message: string; path?: string; line?: number; problem?: string; formatError: boolean } }) => {
      settled = true;
      void worker.terminate();
      if (message.scan) resolve(message.scan);
      else if (message.error?.formatError) reject(new TableFormatError(message.error.path!, message.error.line!, message.error.problem!));
      else reject(Object.assign(new Error(message.error?.message ?? "the row scan failed"), message.error));
    });
    worker.once("error", () => {
      if (!settled) resolve(undefined);
    });
    worker.once("exit", () => {
      if (!settled) resolve(undefined);
    });
  });
}

async function scanBoth(paths: [string, string], options: [ScanOptions, ScanOptions], useWorkers: boolean): Promise<[TableScan, TableScan]> {
  const sizes = paths.map((path) => statSync(path).size) as [number, number];
  if (useWorkers) {
    const scans = await Promise.all([0, 1].map((side) => scanInWorker(paths[side]!, options[side]!, sizes[side]!)));
    return [scans[0] ?? (await scanHere(paths[0], options[0], sizes[0])), scans[1] ?? (await scanHere(paths[1], options[1], sizes[1]))];
  }
  return [await scanHere(paths[0], options[0], sizes[0]), await scanHere(paths[1], options[1], sizes[1])];
}

/**
 * An open-addressing table over one scan's identity hashes. Each slot is three integers side by side — the first
 * row with that identity (+1; 0 is empty), the identity's high hash, and how many rows have it — so a probe touches
 * one cache line.
 */
interface IdentityTable {
  low: Int32Array;
  entries: Int32Array;
  /** Slot of each row. */
  slotOf: Int32Array;
  /** 1 for the first row of each identity (read in row order, no probe needed). */
  firstOfIdentity: Uint8Array;
  mask: number;
  distinct: number;
}

function findSlot(table: Pick<IdentityTable, "low" | "entries" | "mask">, high: number, low: number): number {
  let slot = (high ^ Math.imul(low, 0x27d4eb2d)) & table.mask;
  const entries = table.entries;
  for (;;) {
    const at = entries[slot * 3]!;
    if (at === 0) return -slot - 1;
    if (entries[slot * 3 + 1] === high && table.low[at - 1] === low) return slot;
    slot = (slot + 1) & table.mask;
  }
}

function buildTable(high: Int32Array, low: Int32Array): IdentityTable {
  let capacity = 1024;
  while (capacity < high.length * 2) capacity *= 2;
  const table: IdentityTable = { low, entries: new Int32Array(capacity * 3), slotOf: new Int32Array(high.length), firstOfIdentity: new Uint8Array(high.length), mask: capacity - 1, distinct: 0 };
  const entries = table.entries;
  for (let row = 0; row < high.length; row++) {
    let slot = findSlot(table, high[row]!, low[row]!);
    if (slot < 0) {
      slot = -slot - 1;
      entries[slot * 3] = row + 1;
      entries[slot * 3 + 1] = high[row]!;
      table.firstOfIdentity[row] = 1;
      table.distinct++;
    }
    entries[slot * 3 + 2]!++;
    table.slotOf[row] = slot;
  }
  return table;
}

function lookup(table: IdentityTable, high: number, low: number): number {
  const slot = findSlot(table, high, low);
  return slot < 0 ? -1 : slot;
}

const firstRowAt = (table: IdentityTable, slot: number) => table.entries[slot * 3]! - 1;
const countAt = (table: IdentityTable, slot: number) => table.entries[slot * 3 + 2]!;

interface JoinState {
  keyed: boolean;
  key: string | undefined;
  shared: string[];
  exampleLimit: number;
  rows: RowDiff["rows"];
  duplicateKeys: RowDiff["duplicateKeys"];
  examples: RowDiff["examples"];
}

/** Joins one partition of the two files (all of them when there is one partition) into the running totals. */
function joinPartition(before: TableScan, after: TableScan, state: JoinState): void {
  const { keyed, rows, examples, exampleLimit } = state;
  const tableBefore = buildTable(before.identityHigh, before.identityLow);
  const tableAfter = buildTable(after.identityHigh, after.identityLow);
  if (keyed) {
    state.duplicateKeys.before += before.rows - tableBefore.distinct;
    state.duplicateKeys.after += after.rows - tableAfter.distinct;
  }
  const example = (scan: TableScan, row: number) => ({ line: scan.lines[row]!, row: readRow(scan, scan.offsets[row]!, scan.lengths[row]!) });
  for (let row = 0; row < after.rows; row++) {
    if (tableAfter.firstOfIdentity[row] === 0) continue;
    const countAfter = keyed ? 1 : countAt(tableAfter, tableAfter.slotOf[row]!);
    const slot = lookup(tableBefore, after.identityHigh[row]!, after.identityLow[row]!);
    const countBefore = slot < 0 ? 0 : keyed ? 1 : countAt(tableBefore, slot);
    if (countBefore === 0) {
      rows.added += countAfter;
      if (examples.added.length < exampleLimit) examples.added.push(example(after, row));
      continue;
    }
    if (keyed) {
      const match = firstRowAt(tableBefore, slot);
      if (before.contentHigh[match] === after.contentHigh[row] && before.contentLow[match] === after.contentLow[row]) rows.unchanged++;
      else {
        rows.changed++;
        if (examples.changed.length < exampleLimit) examples.changed.push(changedRow(before, match, after, row, state));
      }
    } else {
      rows.unchanged += Math.min(countBefore, countAfter);
      if (countAfter > countBefore) {
        rows.added += countAfter - countBefore;
        if (examples.added.length < exampleLimit) examples.added.push(example(after, row));
      }
    }
  }
  for (let row = 0; row < before.rows; row++) {
    if (tableBefore.firstOfIdentity[row] === 0) continue;
    const countBefore = keyed ? 1 : countAt(tableBefore, tableBefore.slotOf[row]!);
    const slot = lookup(tableAfter, before.identityHigh[row]!, before.identityLow[row]!);
    const countAfter = slot < 0 ? 0 : keyed ? 1 : countAt(tableAfter, slot);
    if (countBefore > countAfter) {
      rows.removed += countBefore - countAfter;
      if (examples.removed.length < exampleLimit) examples.removed.push(example(before, row));
    }
  }
}

function changedRow(before: TableScan, rowBefore: number, after: TableScan, rowAfter: number, state: JoinState): ChangedRow {
  const a = readRow(before, before.offsets[rowBefore]!, before.lengths[rowBefore]!);
  const b = readRow(after, after.offsets[rowAfter]!, after.lengths[rowAfter]!);
  return {
    key: state.key === undefined ? null : (b[state.key] ?? null),
    line: { before: before.lines[rowBefore]!, after: after.lines[rowAfter]! },
    columns: state.shared.filter((column) => (a[column] ?? null) !== (b[column] ?? null)).map((column) => ({ column, before: a[column] ?? null, after: b[column] ?? null })),
  };
}

/** Bytes a row costs while two files are joined (28 kept per row, ~40 for its share of the two hash tables). */
const BYTES_PER_ROW = 70;

/** Rows a file holds, estimated from the line lengths of its first megabyte. */
function estimatedRows(path: string): number {
  const size = statSync(path).size;
  const fd = openSync(path, "r");
  try {
    const head = Buffer.allocUnsafe(Math.min(size, 1 << 20));
    const read = readSync(fd, head, 0, head.length, 0);
    let lines = 0;
    for (let at = head.indexOf(10); at !== -1 && at < read; at = head.indexOf(10, at + 1)) lines++;
    return lines === 0 ? 1 : Math.ceil((size / read) * lines);
  } finally {
    closeSync(fd);
  }
}

/** Diffs two table files row by row. Throws TableFormatError naming file and line for malformed input. */
export async function diffDataRows(pathBefore: string, pathAfter: string, options: RowDiffOptions = {}): Promise<RowDiff> {
  const formats = [pathBefore, pathAfter].map((path) => options.format ?? formatOf(path)) as [TableFormat | undefined, TableFormat | undefined];
  formats.forEach((format, side) => {
    if (!format) throw new Error(`${side === 0 ? pathBefore : pathAfter} is not a table file labnote can diff by rows: use .csv, .tsv, .jsonl / .ndjson or .json (an array of objects).`);
  });
  const [formatBefore, formatAfter] = formats as [TableFormat, TableFormat];
  const columnsBefore = peekColumns(pathBefore, formatBefore);
  const columnsAfter = peekColumns(pathAfter, formatAfter);
  // Only columns both files have count toward "changed": an added column is a schema change, not a change of every row.
  const shared = columnsBefore.filter((column) => columnsAfter.includes(column));
  const labels = options.labels ?? { before: pathBefore, after: pathAfter };
  // Files whose rows would not fit the memory budget are joined in hash partitions, one pass over both per partition.
  const budget = options.memoryBudgetBytes ?? 192 * 1024 * 1024;
  const partitions = Math.max(1, Math.ceil(((estimatedRows(pathBefore) + estimatedRows(pathAfter)) * BYTES_PER_ROW) / budget));
  const state: JoinState = {
    keyed: options.key !== undefined,
    key: options.key,
    shared,
    exampleLimit: options.examples ?? 5,
    rows: { added: 0, removed: 0, changed: 0, unchanged: 0 },
    duplicateKeys: { before: 0, after: 0 },
    examples: { added: [], removed: [], changed: [] },
  };
  let first: [TableScan, TableScan] | undefined;
  for (let partition = 0; partition < partitions; partition++) {
    const scanOptions = (format: TableFormat): ScanOptions => ({ format, keyColumn: options.key, hashColumns: shared, partitions, partition });
    let scans: [TableScan, TableScan];
    try {
      scans = await scanBoth([pathBefore, pathAfter], [scanOptions(formatBefore), scanOptions(formatAfter)], options.workers ?? true);
    } catch (error) {
      // Name the file as the user knows it (a data path at a version), not the cache object it was read from.
      if (error instanceof TableFormatError) throw new TableFormatError(error.path === pathBefore ? labels.before : error.path === pathAfter ? labels.after : error.path, error.line, error.problem);
      throw error;
    }
    joinPartition(scans[0], scans[1], state);
    // Columns and statistics cover whole files: every pass computes them; the first pass's are kept.
    if (partition === 0) first = scans;
  }
  const [before, after] = first!;

  const statsBefore = new Map(before.stats.map((stats) => [stats.name, stats]));
  const statsAfter = new Map(after.stats.map((stats) => [stats.name, stats]));
  const sharedFinal = before.columns.filter((column) => statsAfter.has(column));
  // A key column's values are identities, not a distribution.
  const drift = sharedFinal.filter((column) => column !== options.key).map((column) => columnDrift(statsBefore.get(column)!, statsAfter.get(column)!));
  const retyped = sharedFinal
    .map((column) => ({ column, before: columnType(statsBefore.get(column)!), after: columnType(statsAfter.get(column)!) }))
    .filter((entry) => entry.before !== entry.after && entry.before !== "empty" && entry.after !== "empty");
  return {
    before: { path: labels.before, format: before.format, rows: before.totalRows, columns: before.columns },
    after: { path: labels.after, format: after.format, rows: after.totalRows, columns: after.columns },
    key: options.key ?? null,
    rows: state.rows,
    duplicateKeys: state.duplicateKeys,
    examples: state.examples,
    schema: { added: after.columns.filter((column) => !statsBefore.has(column)), removed: before.columns.filter((column) => !statsAfter.has(column)), retyped },
    drift,
    partitions,
  };
}
