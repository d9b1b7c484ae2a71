// One streaming pass over a table file (CSV, TSV, JSON Lines, JSON array) for the row diff: per row a 64-bit identity
// hash (the key column's value, or the whole row) and a 64-bit content hash, its byte range (to show examples later),
// and per column the statistics drift needs. Memory is bounded by the row count (28 bytes a row), never the file size.
// No imports of the rest of the project, so a worker thread runs it as it is.
import { closeSync, openSync, readSync } from "node:fs";
import { scanDelimited } from "./row-scan-delimited.js";
import { forEachJsonRecord, scanJson } from "./row-scan-json.js";
import { cellText, Growable, parseHeaderLine, TableFormatError, type TableFormat, type ScanOptions, type TableScan } from "./row-scan-shared.js";

export { formatOf, MAX_CATEGORIES, TableFormatError } from "./row-scan-shared.js";
export type { ColumnScan, NumericStats, ScanOptions, TableFormat, TableScan } from "./row-scan-shared.js";

/** Scans a whole table file. Throws TableFormatError (file, line, what to fix) on malformed input. */
export function scanTable(path: string, options: ScanOptions, sizeHint = 0): TableScan {
  const partitions = options.partitions ?? 1;
  const sink = new Growable(Math.min(50_000_000, Math.ceil(sizeHint / 40 / partitions)), partitions, options.partition ?? 0);
  const delimited = options.format === "csv" || options.format === "tsv";
  const { columns, accumulators, missingKeys } = delimited ? scanDelimited(path, options, options.format === "tsv" ? 9 : 44, sink) : scanJson(path, options, sink);
  if (!delimited && options.keyColumn !== undefined && !columns.includes(options.keyColumn)) {
    throw new TableFormatError(path, 1, `no row has a "${options.keyColumn}" field to key rows by (fields: ${columns.join(", ") || "none"}): pick one with --key COL.`);
  }
  const n = sink.count;
  return {
    path,
    format: options.format,
    columns,
    rows: n,
    totalRows: sink.total,
    identityHigh: sink.identityHigh.slice(0, n),
    identityLow: sink.identityLow.slice(0, n),
    contentHigh: sink.contentHigh.slice(0, n),
    contentLow: sink.contentLow.slice(0, n),
    offsets: sink.offsets.slice(0, n),
    lengths: sink.lengths.slice(0, n),
    lines: sink.lines.slice(0, n),
    stats: accumulators.map((accumulator) => accumulator.finish()),
    missingKeys,
  };
}

/** The header of a CSV/TSV file, or the fields of the first rows of a JSON file (to agree on shared columns first). */
export function peekColumns(path: string, format: TableFormat, maxRows = 1000): string[] {
  const columns = new Set<string>();
  if (format === "csv" || format === "tsv") {
    const fd = openSync(path, "r");
    try {
      const buffer = Buffer.allocUnsafe(1 << 20);
      const read = readSync(fd, buffer, 0, buffer.length, 0);
      const slice = buffer.subarray(0, read);
      const text = slice.toString("utf8").replace(/^\uFEFF/, "");
      // The header rarely holds quoted newlines; a full parse of row one follows in scanTable anyway.
      const header = parseHeaderLine(text, format === "tsv" ? "\t" : ",");
      header.forEach((column) => columns.add(column));
    } finally {
      closeSync(fd);
    }
    return [...columns];
  }
  let rows = 0;
  const stop = new Error("enough rows");
  try {
    forEachJsonRecord(path, format, (text) => {
      try {
        const row = JSON.parse(text) as unknown;
        if (row && typeof row === "object" && !Array.isArray(row)) for (const key of Object.keys(row)) columns.add(key);
      } catch {
        // scanTable reports it with its line
      }
      if (++rows >= maxRows) throw stop;
    });
  } catch (error) {
    if (error !== stop && !(error instanceof TableFormatError)) throw error;
  }
  return [...columns];
}

/** Reads one row back by its byte range, as column → value text. */
export function readRow(scan: Pick<TableScan, "path" | "format" | "columns">, offset: number, length: number): Record<string, string | null> {
  const fd = openSync(scan.path, "r");
  try {
    const buffer = Buffer.allocUnsafe(length);
    readSync(fd, buffer, 0, length, offset);
    const text = buffer.toString("utf8");
    if (scan.format === "jsonl" || scan.format === "json") {
      const row = JSON.parse(text) as Record<string, unknown>;
      return Object.fromEntries(Object.entries(row).map(([key, value]) => [key, value === null || value === undefined ? null : cellText(value)]));
    }
    const values = parseHeaderLine(text.replace(/\r?\n$/, ""), scan.format === "tsv" ? "\t" : ",");
    return Object.fromEntries(scan.columns.map((column, index) => [column, values[index] ?? null]));
  } finally {
    closeSync(fd);
  }
}
