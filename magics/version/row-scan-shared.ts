// What the row scanners (row-scan-delimited.ts, row-scan-json.ts) share: the scan's types, the per-row arrays, the
// per-column statistics, cell hashing and number parsing, the file window both read through. No imports of the rest of the project (worker threads).
import { closeSync, openSync, readSync } from "node:fs";
import { extname } from "node:path";

export type TableFormat = "csv" | "tsv" | "jsonl" | "json";

export interface ScanOptions {
  format: TableFormat;
  /** Identity of a row: this column's value; absent: the row's whole content. */
  keyColumn?: string | undefined;
  /** Columns that count toward a row's content hash (those both files have); absent: all. */
  hashColumns?: string[] | undefined;
  /** How many numbers a column keeps for the population stability index (a seeded reservoir sample). */
  sampleSize?: number | undefined;
  /** Keep only rows whose identity hash falls in partition `partition` of `partitions` (a diff too big for memory
   * runs one pass per partition; equal identities always share a partition). */
  partitions?: number | undefined;
  partition?: number | undefined;
}

export interface NumericStats {
  count: number;
  integers: number;
  mean: number;
  /** Sum of squared deviations (Welford). */
  m2: number;
  min: number;
  max: number;
  /** Uniform sample (all values while fewer than the sample size). */
  sample: Float64Array;
  seen: number;
}

export interface ColumnScan {
  name: string;
  /** Cells that were empty / JSON null. */
  missing: number;
  /** Non-empty cells that are not numbers (CSV text, JSON strings, booleans, objects). */
  text: number;
  booleans: number;
  objects: number;
  numeric: NumericStats;
  /** value → count while the column has few distinct values; null once it has more than MAX_CATEGORIES. */
  categories: Map<string, number> | null;
}

export interface TableScan {
  path: string;
  format: TableFormat;
  columns: string[];
  /** Rows kept (of this partition). */
  rows: number;
  /** Rows in the whole file. */
  totalRows: number;
  identityHigh: Int32Array;
  identityLow: Int32Array;
  contentHigh: Int32Array;
  contentLow: Int32Array;
  offsets: Float64Array;
  lengths: Uint32Array;
  /** 1-based line where each row starts (for messages and examples). */
  lines: Uint32Array;
  stats: ColumnScan[];
  /** Rows without the key column (JSON) or with an empty key. */
  missingKeys: number;
}

export class TableFormatError extends Error {
  override readonly name = "TableFormatError";
  constructor(readonly path: string, readonly line: number, readonly problem: string) {
    super(`${path}, line ${line}: ${problem}`);
  }
}

export const MAX_CATEGORIES = 1000;
export const CHUNK = 4 * 1024 * 1024;

/**
 * A file read through one growing window: `buffer[0..filled)` holds the bytes at file offset `base` onwards.
 * `refill(keepFrom)` drops the bytes before `keepFrom`, moves the rest to the front and reads more after them
 * (doubling the window when a record fills it whole); `eof` is set once a read returns nothing.
 */
export class FileWindow {
  buffer = Buffer.allocUnsafe(CHUNK);
  filled = 0;
  base = 0;
  eof = false;
  private readonly fd: number;

  constructor(path: string) {
    this.fd = openSync(path, "r");
  }

  refill(keepFrom: number): void {
    const keep = this.filled - keepFrom;
    if (keepFrom === 0 && this.filled === this.buffer.length) {
      const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(bigger, 0, 0, this.filled);
      this.buffer = bigger;
    } else if (keep > 0) this.buffer.copy(this.buffer, 0, keepFrom, this.filled);
    this.base += keepFrom;
    this.filled = keep;
    const read = readSync(this.fd, this.buffer, this.filled, this.buffer.length - this.filled, this.base + this.filled);
    if (read === 0) this.eof = true;
    this.filled += read;
  }

  close(): void {
    closeSync(this.fd);
  }
}

export function formatOf(path: string): TableFormat | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === ".csv") return "csv";
  if (extension === ".tsv" || extension === ".tab") return "tsv";
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  if (extension === ".json") return "json";
  return undefined;
}

// Two independent 32-bit hashes per cell (FNV-1a and a multiply-rotate), each finished with murmur3's mixer.
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export function stringSeed(text: string, seed: number): number {
  let h = seed;
  for (let index = 0; index < text.length; index++) h = Math.imul(h ^ text.charCodeAt(index), 16777619);
  return mix32(h);
}

export class Growable {
  identityHigh = new Int32Array(1024);
  identityLow = new Int32Array(1024);
  contentHigh = new Int32Array(1024);
  contentLow = new Int32Array(1024);
  offsets = new Float64Array(1024);
  lengths = new Uint32Array(1024);
  lines = new Uint32Array(1024);
  count = 0;
  total = 0;

  constructor(expected: number, private readonly partitions = 1, private readonly partition = 0) {
    if (expected > 1024) this.resize(expected);
  }

  private resize(capacity: number): void {
    const grow = <T extends Int32Array | Float64Array | Uint32Array>(array: T, make: (n: number) => T): T => {
      const next = make(capacity);
      next.set(array.subarray(0, this.count));
      return next;
    };
    this.identityHigh = grow(this.identityHigh, (n) => new Int32Array(n));
    this.identityLow = grow(this.identityLow, (n) => new Int32Array(n));
    this.contentHigh = grow(this.contentHigh, (n) => new Int32Array(n));
    this.contentLow = grow(this.contentLow, (n) => new Int32Array(n));
    this.offsets = grow(this.offsets, (n) => new Float64Array(n));
    this.lengths = grow(this.lengths, (n) => new Uint32Array(n));
    this.lines = grow(this.lines, (n) => new Uint32Array(n));
  }

  push(idHigh: number, idLow: number, high: number, low: number, offset: number, length: number, line: number): void {
    this.total++;
    if (this.partitions > 1 && (idHigh >>> 0) % this.partitions !== this.partition) return;
    if (this.count === this.offsets.length) this.resize(Math.ceil(this.count * 1.5));
    const at = this.count++;
    this.identityHigh[at] = idHigh;
    this.identityLow[at] = idLow;
    this.contentHigh[at] = high;
    this.contentLow[at] = low;
    this.offsets[at] = offset;
    this.lengths[at] = length;
    this.lines[at] = line;
  }
}

/** Per-column accumulation: numbers (Welford + reservoir), categories (capped), and the row hashes' inputs. */
export class ColumnAccumulator {
  readonly scan: ColumnScan;
  private random: number;
  constructor(name: string, private readonly sampleSize: number, readonly seedHigh: number, readonly seedLow: number) {
    this.scan = {
      name,
      missing: 0,
      text: 0,
      booleans: 0,
      objects: 0,
      numeric: { count: 0, integers: 0, mean: 0, m2: 0, min: Infinity, max: -Infinity, sample: new Float64Array(0), seen: 0 },
      categories: new Map(),
    };
    this.random = stringSeed(name, 0x2545f491) || 1;
  }

  number(value: number): void {
    const stats = this.scan.numeric;
    stats.count++;
    if (Number.isInteger(value)) stats.integers++;
    const delta = value - stats.mean;
    stats.mean += delta / stats.count;
    stats.m2 += delta * (value - stats.mean);
    if (value < stats.min) stats.min = value;
    if (value > stats.max) stats.max = value;
    // Reservoir sampling, Li's Algorithm L with a seeded xorshift: the same file always gives the same sample, and once
    // the reservoir is full most values cost one comparison (the next value to keep is drawn ahead).
    const seen = stats.seen++;
    if (seen < this.sampleSize) {
      if (stats.sample.length === seen) {
        const next = new Float64Array(Math.min(this.sampleSize, Math.max(64, seen * 2)));
        next.set(stats.sample);
        stats.sample = next;
      }
      stats.sample[seen] = value;
      if (seen + 1 === this.sampleSize) {
        this.weight = Math.exp(Math.log(this.uniform()) / this.sampleSize);
        this.nextKept = seen + 1 + Math.floor(Math.log(this.uniform()) / Math.log(1 - this.weight));
      }
    } else if (seen === this.nextKept) {
      stats.sample[Math.floor(this.uniform() * this.sampleSize)] = value;
      this.weight *= Math.exp(Math.log(this.uniform()) / this.sampleSize);
      this.nextKept += 1 + Math.floor(Math.log(this.uniform()) / Math.log(1 - this.weight));
    }
  }

  private weight = 1;
  private nextKept = Infinity;

  /** A uniform number in (0, 1) from the column's xorshift. */
  private uniform(): number {
    this.random ^= this.random << 13;
    this.random ^= this.random >>> 17;
    this.random ^= this.random << 5;
    return ((this.random >>> 0) + 0.5) / 4294967296;
  }

  // Categories are counted by the cell's hash (a small integer key, no string per cell); the text is decoded once per
  // distinct value. Two values whose first hashes collide but whose second differ end the counting honestly.
  private readonly categoryCounts = new Map<number, number>();
  private readonly categoryChecks = new Map<number, number>();
  private readonly categoryNames = new Map<number, string>();
  private countingCategories = true;

  /** Counts a value by its hashes; true when it is new and needs its text (nameCategory). */
  categoryHashed(high: number, low: number): boolean {
    if (!this.countingCategories) return false;
    const count = this.categoryCounts.get(high);
    if (count !== undefined) {
      if (this.categoryChecks.get(high) !== low) this.stopCategories();
      else this.categoryCounts.set(high, count + 1);
      return false;
    }
    if (this.categoryCounts.size >= MAX_CATEGORIES) {
      this.stopCategories();
      return false;
    }
    this.categoryCounts.set(high, 1);
    this.categoryChecks.set(high, low);
    return true;
  }

  nameCategory(high: number, text: string): void {
    this.categoryNames.set(high, text);
  }

  private stopCategories(): void {
    this.countingCategories = false;
    this.categoryCounts.clear();
    this.categoryNames.clear();
    this.categoryChecks.clear();
  }

  get countsCategories(): boolean {
    return this.countingCategories;
  }

  finish(): ColumnScan {
    this.scan.categories = this.countingCategories ? new Map([...this.categoryCounts].map(([hash, count]) => [this.categoryNames.get(hash)!, count])) : null;
    const stats = this.scan.numeric;
    if (stats.sample.length > Math.min(stats.seen, this.sampleSize)) stats.sample = stats.sample.slice(0, Math.min(stats.seen, this.sampleSize));
    return this.scan;
  }
}

/** Parses a decimal number from bytes without making a string (the common case); NaN when it is not one. */
export function parseNumber(buffer: Buffer, start: number, end: number): number {
  let index = start;
  let negative = false;
  const first = buffer[index];
  if (first === 45 || first === 43) {
    negative = first === 45;
    index++;
  }
  if (index === end) return NaN;
  let integer = 0;
  let digits = 0;
  while (index < end) {
    const c = buffer[index]!;
    if (c < 48 || c > 57) break;
    integer = integer * 10 + (c - 48);
    digits++;
    index++;
  }
  let value = integer;
  if (index < end && buffer[index] === 46) {
    index++;
    let fraction = 0;
    let scale = 1;
    while (index < end) {
      const c = buffer[index]!;
      if (c < 48 || c > 57) break;
      fraction = fraction * 10 + (c - 48);
      scale *= 10;
      digits++;
      index++;
    }
    value = integer + fraction / scale;
    // Long fractions lose precision this way: let the engine parse them.
    if (scale > 1e15) value = NaN;
  }
  if (digits === 0) return NaN;
  // Only an exponent may follow the digits (dates, versions and ids are text).
  if (index !== end && buffer[index] !== 101 && buffer[index] !== 69) return NaN;
  if (index !== end || digits > 15 || Number.isNaN(value)) {
    const text = buffer.toString("latin1", start, end).trim();
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return NaN;
    return Number(text);
  }
  return negative ? -value : value;
}

/** A JSON value's text for hashing and categories: strings as they are, everything else as JSON. */
export function cellText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function hashText(text: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x3c6ef372;
  let ascii = true;
  for (let index = 0; index < text.length; index++) {
    const c = text.charCodeAt(index);
    if (c >= 128) {
      ascii = false;
      break;
    }
    h1 = Math.imul(h1 ^ c, 16777619);
    h2 = Math.imul(h2 ^ c, 0x9e3779b1);
    h2 = (h2 << 13) | (h2 >>> 19);
  }
  let length = text.length;
  if (!ascii) {
    // Hash the UTF-8 bytes, as the CSV path does, so a CSV and a JSON file with the same values agree.
    const bytes = Buffer.from(text, "utf8");
    length = bytes.length;
    h1 = 0x811c9dc5;
    h2 = 0x3c6ef372;
    for (const c of bytes) {
      h1 = Math.imul(h1 ^ c, 16777619);
      h2 = Math.imul(h2 ^ c, 0x9e3779b1);
      h2 = (h2 << 13) | (h2 >>> 19);
    }
  }
  return [mix32(h1 ^ length), mix32(h2 + length)];
}

export function parseHeaderLine(text: string, delimiter: string): string[] {
  const fields: string[] = [];
  let index = 0;
  for (;;) {
    if (text[index] === '"') {
      let value = "";
      index++;
      while (index < text.length) {
        if (text[index] === '"') {
          if (text[index + 1] === '"') {
            value += '"';
            index += 2;
            continue;
          }
          index++;
          break;
        }
        value += text[index++];
      }
      fields.push(value);
    } else {
      let end = index;
      while (end < text.length && text[end] !== delimiter && text[end] !== "\n") end++;
      fields.push(text.slice(index, end).replace(/\r$/, ""));
      index = end;
    }
    if (index >= text.length || text[index] === "\n" || (text[index] === "\r" && text[index + 1] === "\n")) break;
    index++;
  }
  return fields;
}
