// One streaming pass over a table file (CSV, TSV, JSON Lines, JSON array) for the row diff: per row a 64-bit identity
// hash (the key column's value, or the whole row) and a 64-bit content hash, its byte range (to show examples later),
// and per column the statistics drift needs. Memory is bounded by the row count (28 bytes a row), never the file size.
// Self-contained (no imports of this project) so a worker thread can run it as it is.
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
const CHUNK = 4 * 1024 * 1024;

export function formatOf(path: string): TableFormat | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === ".csv") return "csv";
  if (extension === ".tsv" || extension === ".tab") return "tsv";
  if (extension === ".jsonl" || extension === ".ndjson") return "jsonl";
  if (extension === ".json") return "json";
  return undefined;
}

// Two independent 32-bit hashes per cell (FNV-1a and a multiply-rotate), each finished with murmur3's mixer.
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

function stringSeed(text: string, seed: number): number {
  let h = seed;
  for (let index = 0; index < text.length; index++) h = Math.imul(h ^ text.charCodeAt(index), 16777619);
  return mix32(h);
}

class Growable {
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
class ColumnAccumulator {
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
function parseNumber(buffer: Buffer, start: number, end: number): number {
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

interface RowSink {
  row(idHigh: number, idLow: number, high: number, low: number, offset: number, length: number, line: number): void;
}

/** CSV / TSV (RFC 4180 quoting: "" inside quotes; quoted fields may hold delimiters and newlines). */
function scanDelimited(path: string, options: ScanOptions, delimiter: number, sink: Growable): { columns: string[]; accumulators: ColumnAccumulator[]; missingKeys: number } {
  const fd = openSync(path, "r");
  let buffer = Buffer.allocUnsafe(CHUNK);
  let filled = 0;
  let base = 0; // file offset of buffer[0]
  let eof = false;
  const refill = (keepFrom: number): void => {
    const keep = filled - keepFrom;
    if (keepFrom === 0 && filled === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, filled);
      buffer = bigger;
    } else if (keep > 0) buffer.copy(buffer, 0, keepFrom, filled);
    base += keepFrom;
    filled = keep;
    const read = readSync(fd, buffer, filled, buffer.length - filled, base + filled);
    if (read === 0) eof = true;
    filled += read;
  };
  try {
    refill(0);
    let line = 1;
    let position = 0;
    // Skip a UTF-8 byte order mark.
    if (buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf) position = 3;

    // Field boundaries of the record being parsed, reused: start, end, quoted (1) or not.
    let starts = new Int32Array(64);
    let ends = new Int32Array(64);
    let quoted = new Uint8Array(64);
    let fields = 0;
    let newlinesInRecord = 0;

    /** Parses one record at `position`; returns the index after it, or -1 when the buffer ends first. */
    const bufferNow = () => buffer;
    const filledNow = () => filled;
    const eofNow = () => eof;
    // Each field's two hashes are computed while its end is searched for: every byte is read once.
    let fieldHigh = new Int32Array(64);
    let fieldLow = new Int32Array(64);
    const growFields = (): void => {
      const growInt = (array: Int32Array) => {
        const next = new Int32Array(array.length * 2);
        next.set(array);
        return next;
      };
      starts = growInt(starts);
      ends = growInt(ends);
      fieldHigh = growInt(fieldHigh);
      fieldLow = growInt(fieldLow);
      const nextQuoted = new Uint8Array(quoted.length * 2);
      nextQuoted.set(quoted);
      quoted = nextQuoted;
    };

    const parseRecord = (from: number): number => {
      fields = 0;
      newlinesInRecord = 0;
      let index = from;
      // Locals, not the closure's variables: V8 keeps them in registers through the byte loops.
      const buffer = bufferNow();
      const filled = filledNow();
      const eof = eofNow();
      const separator = delimiter;
      for (;;) {
        if (fields === starts.length) growFields();
        let h1 = 0x811c9dc5;
        let h2 = 0x3c6ef372;
        if (index < filled && buffer[index] === 34) {
          // Quoted field: runs to the closing quote ("" is an escaped quote, hashed once).
          const start = index + 1;
          let escapes = 0;
          index = start;
          for (;;) {
            if (index >= filled) return -1;
            const c = buffer[index]!;
            if (c === 34) {
              if (index + 1 >= filled && !eof) return -1;
              if (buffer[index + 1] !== 34) break;
              index++;
              escapes++;
            } else if (c === 10) newlinesInRecord++;
            h1 = Math.imul(h1 ^ c, 16777619);
            h2 = Math.imul(h2 ^ c, 0x9e3779b1);
            h2 = (h2 << 13) | (h2 >>> 19);
            index++;
          }
          const length = index - start - escapes;
          starts[fields] = start;
          ends[fields] = index;
          quoted[fields] = 1;
          fieldHigh[fields] = mix32(h1 ^ length);
          fieldLow[fields] = mix32(h2 + length);
          fields++;
          index++;
          if (index >= filled) {
            if (!eof) return -1;
            return index;
          }
          const after = buffer[index]!;
          if (after === separator) {
            index++;
            continue;
          }
          if (after === 13 && buffer[index + 1] === 10) return index + 2;
          if (after === 10) return index + 1;
          if (after === 13 && index + 1 >= filled && !eof) return -1;
          throw new TableFormatError(path, line, `text after a closing quote in field ${fields}: quote the whole field and double the quotes inside it ("").`);
        }
        const start = index;
        let crlf = false;
        while (index < filled) {
          const c = buffer[index]!;
          if (c === separator || c === 10) break;
          if (c === 13) {
            if (index + 1 >= filled) {
              if (!eof) return -1;
              crlf = true;
              break;
            }
            if (buffer[index + 1] === 10) {
              crlf = true;
              break;
            }
          }
          h1 = Math.imul(h1 ^ c, 16777619);
          h2 = Math.imul(h2 ^ c, 0x9e3779b1);
          h2 = (h2 << 13) | (h2 >>> 19);
          index++;
        }
        if (index >= filled && !eof) return -1;
        const length = index - start;
        starts[fields] = start;
        ends[fields] = index;
        quoted[fields] = 0;
        fieldHigh[fields] = mix32(h1 ^ length);
        fieldLow[fields] = mix32(h2 + length);
        fields++;
        if (crlf) return index + 2 > filled ? filled : index + 2;
        if (index >= filled) return index;
        if (buffer[index] === 10) return index + 1;
        index++; // delimiter
      }
    };

    const fieldText = (field: number): string => {
      const text = buffer.toString("utf8", starts[field], ends[field]);
      return quoted[field] === 1 ? text.replace(/""/g, '"') : text;
    };

    const nextRecord = (): number => {
      for (;;) {
        const next = parseRecord(position);
        if (next !== -1) return next;
        if (eof) throw new TableFormatError(path, line, "a quoted field is never closed: add the closing quote.");
        const before = position;
        refill(position);
        position -= before;
      }
    };

    // Header.
    if (filled - position === 0) throw new TableFormatError(path, 1, "the file is empty: a CSV/TSV file needs a header row naming its columns.");
    const headerEnd = nextRecord();
    const columns: string[] = [];
    for (let field = 0; field < fields; field++) columns.push(fieldText(field));
    line += 1 + newlinesInRecord;
    position = headerEnd;
    const seen = new Set<string>();
    for (const column of columns) {
      if (seen.has(column)) throw new TableFormatError(path, 1, `the column "${column}" appears twice in the header: give every column its own name.`);
      seen.add(column);
    }
    const keyIndex = options.keyColumn === undefined ? -1 : columns.indexOf(options.keyColumn);
    if (options.keyColumn !== undefined && keyIndex === -1) throw new TableFormatError(path, 1, `there is no column "${options.keyColumn}" to key rows by (columns: ${columns.join(", ")}): pick one with --key COL.`);
    const hashed = options.hashColumns ? new Set(options.hashColumns) : null;
    const accumulators = columns.map((name) => new ColumnAccumulator(name, options.sampleSize ?? 10_000, stringSeed(name, 0x811c9dc5), stringSeed(name, 0x3c6ef372)));
    const inHash = columns.map((name) => (hashed === null || hashed.has(name) ? 1 : 0));
    const columnCount = columns.length;
    let missingKeys = 0;

    for (;;) {
      if (position >= filled) {
        if (eof) break;
        const before = position;
        refill(position);
        position -= before;
        if (position >= filled) break;
      }
      const next = nextRecord();
      // nextRecord may have moved the buffer: the record starts at `position` now.
      const recordStart = position;
      const recordLine = line;
      line += 1 + newlinesInRecord;
      // A blank line (also the one a trailing newline does not make) is not a row.
      if (fields === 1 && ends[0] === starts[0] && quoted[0] === 0) {
        position = next;
        continue;
      }
      if (fields !== columnCount) throw new TableFormatError(path, recordLine, `${fields} field(s), but the header names ${columnCount} column(s): every row needs one value per column (quote values that contain "${delimiter === 9 ? "\\t" : ","}").`);
      let rowHigh = 0;
      let rowLow = 0;
      let keyHigh = 0;
      let keyLow = 0;
      for (let field = 0; field < columnCount; field++) {
        const start = starts[field]!;
        const end = ends[field]!;
        const isQuoted = quoted[field] === 1;
        const h1 = fieldHigh[field]!;
        const h2 = fieldLow[field]!;
        const accumulator = accumulators[field]!;
        if (field === keyIndex) {
          keyHigh = h1;
          keyLow = h2;
          if (end === start) missingKeys++;
        }
        if (inHash[field] === 1) {
          rowHigh = (rowHigh + Math.imul(h1 ^ accumulator.seedHigh, 0x9e3779b1)) | 0;
          rowLow = (rowLow + Math.imul(h2 ^ accumulator.seedLow, 0x85ebca6b)) | 0;
        }
        if (end === start) {
          accumulator.scan.missing++;
          continue;
        }
        // A CSV column with any text is a text column: its later cells need no number parse.
        const value = isQuoted || accumulator.scan.text > 0 ? NaN : parseNumber(buffer, start, end);
        if (Number.isNaN(value)) accumulator.scan.text++;
        else accumulator.number(value);
        if (accumulator.categoryHashed(h1, h2)) accumulator.nameCategory(h1, fieldText(field));
      }
      if (keyIndex === -1) sink.push(rowHigh, rowLow, rowHigh, rowLow, base + recordStart, next - recordStart, recordLine);
      else sink.push(keyHigh, keyLow, rowHigh, rowLow, base + recordStart, next - recordStart, recordLine);
      position = next;
    }
    return { columns, accumulators, missingKeys };
  } finally {
    closeSync(fd);
  }
}

/** A JSON value's text for hashing and categories: strings as they are, everything else as JSON. */
function cellText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function hashText(text: string): [number, number] {
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

/** Calls `onRow(text, offset, length, line)` for each JSON Lines line or each element of a top-level JSON array. */
function forEachJsonRecord(path: string, format: "jsonl" | "json", onRow: (text: string, offset: number, length: number, line: number) => void): void {
  const fd = openSync(path, "r");
  let buffer = Buffer.allocUnsafe(CHUNK);
  let filled = 0;
  let base = 0;
  let eof = false;
  const refill = (keepFrom: number): void => {
    const keep = filled - keepFrom;
    if (keepFrom === 0 && filled === buffer.length) {
      const bigger = Buffer.allocUnsafe(buffer.length * 2);
      buffer.copy(bigger, 0, 0, filled);
      buffer = bigger;
    } else if (keep > 0) buffer.copy(buffer, 0, keepFrom, filled);
    base += keepFrom;
    filled = keep;
    const read = readSync(fd, buffer, filled, buffer.length - filled, base + filled);
    if (read === 0) eof = true;
    filled += read;
  };
  try {
    refill(0);
    let position = buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
    let line = 1;
    if (format === "jsonl") {
      for (;;) {
        let newline = buffer.indexOf(10, position);
        if (newline === -1 || newline >= filled) {
          if (!eof) {
            refill(position);
            position = 0;
            continue;
          }
          newline = filled;
        }
        if (position >= filled) return;
        const text = buffer.toString("utf8", position, newline);
        if (text.trim() !== "") onRow(text, base + position, newline - position, line);
        line++;
        position = newline + 1;
      }
    }
    // A JSON array, streamed element by element: track strings and nesting to find each top-level element's end.
    const skipSpace = (): boolean => {
      for (;;) {
        while (position < filled) {
          const c = buffer[position]!;
          if (c === 10) line++;
          else if (c !== 32 && c !== 9 && c !== 13) return true;
          position++;
        }
        if (eof) return false;
        const before = position;
        refill(position);
        position -= before;
      }
    };
    if (!skipSpace() || buffer[position] !== 91) throw new TableFormatError(path, line, "a .json data file must be an array of row objects ([{...}, {...}]); for one object per line use .jsonl.");
    position++;
    let expectElement = true;
    for (;;) {
      if (!skipSpace()) throw new TableFormatError(path, line, "the array is never closed: the file ends before its final ].");
      const c = buffer[position]!;
      if (c === 93) break;
      if (c === 44 && !expectElement) {
        position++;
        expectElement = true;
        continue;
      }
      if (!expectElement) throw new TableFormatError(path, line, "expected , or ] between array elements.");
      const startLine = line;
      let index = position;
      let depth = 0;
      let inString = false;
      let newlines = 0;
      for (;;) {
        if (index >= filled) {
          if (eof) throw new TableFormatError(path, startLine, "an array element is never closed: the file ends inside it.");
          const before = position;
          refill(position);
          index -= before;
          position = 0;
          continue;
        }
        const b = buffer[index]!;
        if (inString) {
          if (b === 92) index++;
          else if (b === 34) inString = false;
        } else if (b === 34) inString = true;
        else if (b === 123 || b === 91) depth++;
        else if (b === 125 || b === 93) {
          if (depth === 0) break;
          depth--;
          if (depth === 0) {
            index++;
            break;
          }
        } else if (b === 44 && depth === 0) break;
        if (b === 10) newlines++;
        index++;
      }
      onRow(buffer.toString("utf8", position, index), base + position, index - position, startLine);
      line += newlines;
      position = index;
      expectElement = false;
    }
  } finally {
    closeSync(fd);
  }
}

function scanJson(path: string, options: ScanOptions, sink: Growable): { columns: string[]; accumulators: ColumnAccumulator[]; missingKeys: number } {
  const columns: string[] = [];
  const accumulators = new Map<string, ColumnAccumulator>();
  const hashed = options.hashColumns ? new Set(options.hashColumns) : null;
  let missingKeys = 0;
  let rows = 0;
  const column = (name: string): ColumnAccumulator => {
    let accumulator = accumulators.get(name);
    if (!accumulator) {
      accumulator = new ColumnAccumulator(name, options.sampleSize ?? 10_000, stringSeed(name, 0x811c9dc5), stringSeed(name, 0x3c6ef372));
      // Rows before this column first appeared lacked it.
      accumulator.scan.missing = rows;
      accumulators.set(name, accumulator);
      columns.push(name);
    }
    return accumulator;
  };
  forEachJsonRecord(path, options.format as "jsonl" | "json", (text, offset, length, line) => {
    let row: unknown;
    try {
      row = JSON.parse(text);
    } catch (error) {
      throw new TableFormatError(path, line, `not valid JSON (${error instanceof Error ? error.message : String(error)}): each ${options.format === "jsonl" ? "line" : "element"} must be one JSON object.`);
    }
    if (row === null || typeof row !== "object" || Array.isArray(row)) throw new TableFormatError(path, line, `a row must be a JSON object ({"column": value, …}), not ${Array.isArray(row) ? "an array" : JSON.stringify(row)}.`);
    const record = row as Record<string, unknown>;
    let rowHigh = 0;
    let rowLow = 0;
    let keyHigh = 0;
    let keyLow = 0;
    let keyFound = false;
    for (const name of Object.keys(record)) column(name);
    for (const [name, accumulator] of accumulators) {
      const value = record[name];
      if (value === undefined || value === null || value === "") {
        accumulator.scan.missing++;
        if (name === options.keyColumn) missingKeys++;
        if (value === undefined) continue;
      }
      const text = cellText(value);
      const [h1, h2] = hashText(text);
      if (name === options.keyColumn) {
        keyHigh = h1;
        keyLow = h2;
        keyFound = true;
      }
      if (hashed === null || hashed.has(name)) {
        rowHigh = (rowHigh + Math.imul(h1 ^ accumulator.seedHigh, 0x9e3779b1)) | 0;
        rowLow = (rowLow + Math.imul(h2 ^ accumulator.seedLow, 0x85ebca6b)) | 0;
      }
      if (value === null || value === "") continue;
      if (typeof value === "number") accumulator.number(value);
      else if (typeof value === "boolean") accumulator.scan.booleans++;
      else if (typeof value === "object") accumulator.scan.objects++;
      else accumulator.scan.text++;
      if (accumulator.categoryHashed(h1, h2)) accumulator.nameCategory(h1, text);
    }
    if (options.keyColumn !== undefined && !keyFound) {
      missingKeys++;
      [keyHigh, keyLow] = hashText("");
    }
    rows++;
    if (options.keyColumn === undefined) sink.push(rowHigh, rowLow, rowHigh, rowLow, offset, length, line);
    else sink.push(keyHigh, keyLow, rowHigh, rowLow, offset, length, line);
  });
  return { columns, accumulators: [...accumulators.values()], missingKeys };
}

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

function parseHeaderLine(text: string, delimiter: string): string[] {
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
