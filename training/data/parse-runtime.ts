// The dataset parser: reads one file in chunks, hashes every byte as it is read (SHA-256, streaming) and parses
// rows into blocks of float32. It is one self-contained function with no outer references, because the same code
// runs on the main thread (small data) and, turned into source text, inside worker threads (block-sources.ts) —
// which is why it is one long file: what a worker runs cannot import.
import type * as FsModule from "node:fs";
import type * as CryptoModule from "node:crypto";

/** How a selected column's text becomes a number. */
export type ColumnKind = { kind: "number" } | { kind: "bool" } | { kind: "category"; values: string[] };

export type FileFormat = "csv" | "tsv" | "jsonl" | "shard";

/** One file to parse: what to select from it and how. Plain data, so it can be posted to a worker. */
export interface ParseJob {
  path: string;
  /** A descriptor the main thread opened (so %version's read observer sees the read); the parser never closes it. */
  fd?: number;
  format: FileFormat;
  /** The column names every file must have, in file order (CSV/TSV header, shard header, JSON keys to read). */
  columns: string[];
  /** For each output position, the index in `columns` it comes from (features first, then the label). */
  select: number[];
  /** For each output position, how to read it. */
  kinds: ColumnKind[];
  /** CSV/TSV: whether the file's first line is a header (checked against `columns`). */
  header: boolean;
  skipBad: boolean;
  hash: boolean;
  /** Rows per block handed to the consumer. */
  blockRows: number;
  /** Bytes read per system call. */
  chunkBytes: number;
}

export interface ParsedBlock {
  /** count × width values, row-major. */
  values: Float32Array;
  count: number;
}

/** What is known about a file once it has been read to its end. */
export interface FileSummary {
  path: string;
  size: number;
  mtimeMs: number;
  ino: number;
  /** Hex SHA-256 of every byte read, or undefined when hashing was off. */
  sha256: string | undefined;
  rows: number;
  skipped: number;
  /** The first few rows skipped with skipBad, with why. */
  skippedExamples: string[];
}

/** A malformed row or a file that cannot be parsed: the message names the file, the line and the column. */
export interface ParseFailure {
  message: string;
  path: string;
  line: number;
  column: string | undefined;
}

export interface ParserRuntime {
  /** Yields blocks of rows; returns the file's summary. Throws a DatasetParseError-shaped object for bad rows. */
  parseFile(job: ParseJob): Generator<ParsedBlock, FileSummary, void>;
}

/** A streaming SHA-256: node:crypto's Hash, or one that hashes on another thread (hash-thread.ts). */
export interface StreamingHasher {
  update(bytes: Uint8Array): unknown;
  digest(encoding: "hex"): string;
}

/**
 * Builds the parser over the given modules (the main thread passes its imports, a worker its require()s). With
 * `hasherFactory` the bytes are hashed elsewhere (a parse worker hands them to its hash thread).
 */
export function createParserRuntime(fs: typeof FsModule, crypto: typeof CryptoModule, hasherFactory?: () => StreamingHasher): ParserRuntime {
  const newHasher = hasherFactory ?? ((): StreamingHasher => crypto.createHash("sha256"));
  const COMMA = 44;
  const TAB = 9;
  const QUOTE = 34;
  const LF = 10;
  const CR = 13;
  const MINUS = 45;
  const PLUS = 43;
  const DOT = 46;
  const ZERO = 48;
  const NINE = 57;
  const LOWER_E = 101;
  const UPPER_E = 69;
  const POW10: number[] = [];
  for (let i = 0; i <= 22; i++) POW10.push(10 ** i);
  const SHARD_MAGIC = "LNSHARD1";

  class ParseFailureError extends Error {
    constructor(readonly failure: { message: string; path: string; line: number; column: string | undefined }) {
      super(failure.message);
    }
  }

  function fail(job: ParseJob, line: number, column: string | undefined, what: string): never {
    const where = column === undefined ? `${job.path}, line ${line}` : `${job.path}, line ${line}, column ${column}`;
    const hint = job.skipBad ? "" : " Fix the row, or pass skipBad: true to skip such rows and count them.";
    throw new ParseFailureError({ message: `dataset: ${where}: ${what}.${hint}`, path: job.path, line, column });
  }

  /** A bad row: skipped and counted with skipBad, else an error. Returns true when the row is to be skipped. */
  function badRow(job: ParseJob, state: { skipped: number; examples: string[] }, line: number, column: string | undefined, what: string): true {
    if (!job.skipBad) fail(job, line, column, what);
    state.skipped++;
    if (state.examples.length < 5) state.examples.push(`line ${line}${column === undefined ? "" : `, column ${column}`}: ${what}`);
    return true;
  }

  /** Fast ASCII decimal parse of bytes [start, end); NaN when the text is not a plain decimal number. */
  function parseDecimal(bytes: Uint8Array, start: number, end: number): number {
    let position = start;
    let negative = false;
    if (position < end && (bytes[position] === MINUS || bytes[position] === PLUS)) {
      negative = bytes[position] === MINUS;
      position++;
    }
    let mantissa = 0;
    let digits = 0;
    let fractionDigits = 0;
    let sawDot = false;
    for (; position < end; position++) {
      const byte = bytes[position]!;
      if (byte >= ZERO && byte <= NINE) {
        mantissa = mantissa * 10 + (byte - ZERO);
        digits++;
        if (sawDot) fractionDigits++;
      } else if (byte === DOT && !sawDot) sawDot = true;
      else break;
    }
    if (digits === 0 || digits > 15) return Number.NaN;
    let exponent = 0;
    if (position < end && (bytes[position] === LOWER_E || bytes[position] === UPPER_E)) {
      position++;
      let exponentNegative = false;
      if (position < end && (bytes[position] === MINUS || bytes[position] === PLUS)) {
        exponentNegative = bytes[position] === MINUS;
        position++;
      }
      const exponentStart = position;
      for (; position < end && bytes[position]! >= ZERO && bytes[position]! <= NINE; position++) exponent = exponent * 10 + (bytes[position]! - ZERO);
      if (position === exponentStart) return Number.NaN;
      if (exponentNegative) exponent = -exponent;
    }
    if (position !== end) return Number.NaN;
    const scale = exponent - fractionDigits;
    let value: number;
    if (scale === 0) value = mantissa;
    else if (scale > 0 && scale <= 22) value = mantissa * POW10[scale]!;
    else if (scale < 0 && scale >= -22) value = mantissa / POW10[-scale]!;
    else return Number.NaN;
    return negative ? -value : value;
  }

  /** A field's text as a number of the column's kind; undefined when it cannot be one. */
  function convertText(text: string, kind: ColumnKind): number | undefined {
    const trimmed = text.trim();
    if (kind.kind === "number") {
      if (trimmed === "") return undefined;
      const value = Number(trimmed);
      if (Number.isNaN(value) && trimmed.toLowerCase() !== "nan") return undefined;
      return value;
    }
    if (kind.kind === "bool") {
      const lower = trimmed.toLowerCase();
      if (lower === "true" || lower === "1") return 1;
      if (lower === "false" || lower === "0") return 0;
      return undefined;
    }
    const index = kind.values.indexOf(trimmed);
    return index === -1 ? undefined : index;
  }

  function describeExpected(kind: ColumnKind): string {
    if (kind.kind === "number") return "a number";
    if (kind.kind === "bool") return "true/false or 1/0";
    return `one of ${kind.values.slice(0, 8).map((value) => JSON.stringify(value)).join(", ")}${kind.values.length > 8 ? ", …" : ""}`;
  }

  function openFile(job: ParseJob): { fd: number; owned: boolean; size: number; mtimeMs: number; ino: number } {
    if (job.fd !== undefined) {
      const stat = fs.fstatSync(job.fd);
      return { fd: job.fd, owned: false, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
    }
    let fd: number;
    try {
      fd = fs.openSync(job.path, "r");
    } catch (error) {
      const code = (error as { code?: string }).code;
      const why = code === "ENOENT" ? "does not exist (was it moved or deleted after the dataset was made?)" : code === "EACCES" ? "cannot be read (permission denied): fix its permissions" : `cannot be opened (${(error as Error).message})`;
      throw new ParseFailureError({ message: `dataset: ${job.path} ${why}.`, path: job.path, line: 0, column: undefined });
    }
    const stat = fs.fstatSync(fd);
    return { fd, owned: true, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino };
  }

  function* parseDelimited(job: ParseJob): Generator<ParsedBlock, FileSummary, void> {
    const file = openFile(job);
    const hash = job.hash ? newHasher() : undefined;
    const delimiter = job.format === "tsv" ? TAB : COMMA;
    const width = job.select.length;
    const columnCount = job.columns.length;
    // For each file column: its output position, or -1 when not selected.
    const outputOf = new Int32Array(columnCount).fill(-1);
    job.select.forEach((column, output) => (outputOf[column] = output));
    const kinds = job.kinds;
    const numeric = new Uint8Array(width);
    kinds.forEach((kind, output) => (numeric[output] = kind.kind === "number" ? 1 : 0));
    const state = { skipped: 0, examples: [] as string[] };
    let buffer = Buffer.allocUnsafe(job.chunkBytes * 2);
    let filled = 0;
    let fileOffset = 0;
    let eof = false;
    let line = 1;
    let headerPending = job.header;
    let block = new Float32Array(job.blockRows * width);
    let count = 0;
    let rows = 0;
    const row = new Float64Array(width);
    try {
      for (;;) {
        if (!eof) {
          if (buffer.length - filled < job.chunkBytes) {
            const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, filled + job.chunkBytes));
            buffer.copy(grown, 0, 0, filled);
            buffer = grown;
          }
          const read = fs.readSync(file.fd, buffer, filled, job.chunkBytes, fileOffset);
          if (read === 0) eof = true;
          else {
            hash?.update(buffer.subarray(filled, filled + read));
            filled += read;
            fileOffset += read;
          }
        }
        const bytes = buffer;
        const end = filled;
        let position = 0;
        // Parse every complete row in [position, end). A row is complete when its newline is seen (or at EOF).
        rowLoop: while (position < end) {
          const rowStart = position;
          const rowLine = line;
          // Blank lines (including a trailing one) are skipped.
          if (bytes[position] === LF || bytes[position] === CR) {
            if (bytes[position] === CR && position + 1 >= end && !eof) break;
            position += bytes[position] === CR && bytes[position + 1] === LF ? 2 : 1;
            line++;
            continue;
          }
          let column = 0;
          let bad: { column: string | undefined; what: string } | undefined;
          let headerFields: string[] | undefined = headerPending ? [] : undefined;
          for (;;) {
            // One field starting at `position`.
            let fieldStart = position;
            let fieldEnd: number;
            let quotedText: string | undefined;
            if (bytes[position] === QUOTE) {
              // Quoted: ends at a quote not followed by another quote; "" is a literal quote; newlines allowed.
              let scan = position + 1;
              let newlines = 0;
              for (;;) {
                if (scan >= end) {
                  if (!eof) {
                    position = rowStart;
                    line = rowLine;
                    break rowLoop;
                  }
                  fail(job, rowLine, undefined, "a quoted field is not closed before the end of the file");
                }
                const byte = bytes[scan]!;
                if (byte === QUOTE) {
                  if (scan + 1 < end && bytes[scan + 1] === QUOTE) {
                    scan += 2;
                    continue;
                  }
                  if (scan + 1 >= end && !eof) {
                    position = rowStart;
                    line = rowLine;
                    break rowLoop;
                  }
                  break;
                }
                if (byte === LF) newlines++;
                scan++;
              }
              quotedText = bytes.toString("utf8", position + 1, scan).replace(/""/g, '"');
              line += newlines;
              fieldStart = position + 1;
              fieldEnd = scan;
              position = scan + 1;
              if (position < end && bytes[position] !== delimiter && bytes[position] !== LF && bytes[position] !== CR) {
                bad ??= { column: job.columns[column] === undefined ? `${column + 1}` : `${column + 1} ("${job.columns[column]}")`, what: "unexpected text after a closing quote" };
                while (position < end && bytes[position] !== delimiter && bytes[position] !== LF && bytes[position] !== CR) position++;
              }
            } else {
              while (position < end && bytes[position] !== delimiter && bytes[position] !== LF && bytes[position] !== CR) position++;
              fieldEnd = position;
            }
            if (position >= end && !eof) {
              position = rowStart;
              line = rowLine;
              break rowLoop;
            }
            if (headerFields) headerFields.push((quotedText ?? bytes.toString("utf8", fieldStart, fieldEnd)).replace(/^\uFEFF/, "").trim());
            else if (column < columnCount && bad === undefined) {
              const output = outputOf[column]!;
              if (output !== -1) {
                let value: number | undefined;
                if (quotedText === undefined && numeric[output] === 1) {
                  value = parseDecimal(bytes, fieldStart, fieldEnd);
                  if (Number.isNaN(value)) value = convertText(bytes.toString("latin1", fieldStart, fieldEnd), kinds[output]!);
                } else value = convertText(quotedText ?? bytes.toString("utf8", fieldStart, fieldEnd), kinds[output]!);
                if (value === undefined) {
                  const text = quotedText ?? bytes.toString("utf8", fieldStart, fieldEnd);
                  bad = { column: `${column + 1} ("${job.columns[column]}")`, what: text.trim() === "" ? `empty value where ${describeExpected(kinds[output]!)} is expected` : `${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)} is not ${describeExpected(kinds[output]!)}` };
                } else row[output] = value;
              }
            }
            column++;
            if (position < end && bytes[position] === delimiter) {
              position++;
              continue;
            }
            // End of row: a newline, or the end of the file. A CR ending the chunk may have its LF in the next one.
            if (position + 1 >= end && bytes[position] === CR && !eof) {
              position = rowStart;
              line = rowLine;
              break rowLoop;
            }
            if (position < end && bytes[position] === CR) position++;
            if (position < end && bytes[position] === LF) position++;
            line++;
            break;
          }
          if (headerFields) {
            headerPending = false;
            const expected = job.columns.join(",");
            if (headerFields.join(",") !== expected) {
              fail(job, rowLine, undefined, `the header is ${headerFields.join(",")} but the dataset's columns are ${expected} (every file must have the same header)`);
            }
            continue;
          }
          if (bad === undefined && column !== columnCount) bad = { column: undefined, what: `expected ${columnCount} columns, found ${column}` };
          if (bad !== undefined) {
            badRow(job, state, rowLine, bad.column, bad.what);
            continue;
          }
          const base = count * width;
          for (let output = 0; output < width; output++) block[base + output] = row[output]!;
          count++;
          rows++;
          if (count === job.blockRows) {
            // The buffer is untouched while suspended: parsing resumes in this chunk afterwards.
            yield { values: block, count };
            block = new Float32Array(job.blockRows * width);
            count = 0;
          }
        }
        // Keep the incomplete tail for the next read.
        if (position > 0) {
          buffer.copy(buffer, 0, position, filled);
          filled -= position;
        }
        if (eof && filled === 0) break;
        if (eof && filled > 0) fail(job, line, undefined, "the file ends inside a row");
      }
      if (headerPending) fail(job, 1, undefined, "the file is empty (no header line)");
      if (count > 0) yield { values: block.subarray(0, count * width), count };
      return { path: job.path, size: fileOffset, mtimeMs: file.mtimeMs, ino: file.ino, sha256: hash?.digest("hex"), rows, skipped: state.skipped, skippedExamples: state.examples };
    } finally {
      if (file.owned) fs.closeSync(file.fd);
    }
  }

  function* parseJsonLines(job: ParseJob): Generator<ParsedBlock, FileSummary, void> {
    const file = openFile(job);
    const hash = job.hash ? newHasher() : undefined;
    const width = job.select.length;
    const names = job.select.map((column) => job.columns[column]!);
    const state = { skipped: 0, examples: [] as string[] };
    let buffer = Buffer.allocUnsafe(job.chunkBytes * 2);
    let filled = 0;
    let fileOffset = 0;
    let eof = false;
    let line = 1;
    let block = new Float32Array(job.blockRows * width);
    let count = 0;
    let rows = 0;
    try {
      while (!(eof && filled === 0)) {
        if (!eof) {
          if (buffer.length - filled < job.chunkBytes) {
            const grown = Buffer.allocUnsafe(Math.max(buffer.length * 2, filled + job.chunkBytes));
            buffer.copy(grown, 0, 0, filled);
            buffer = grown;
          }
          const read = fs.readSync(file.fd, buffer, filled, job.chunkBytes, fileOffset);
          if (read === 0) eof = true;
          else {
            hash?.update(buffer.subarray(filled, filled + read));
            filled += read;
            fileOffset += read;
          }
        }
        let position = 0;
        for (;;) {
          let newline = buffer.indexOf(LF, position);
          if (newline === -1 || newline >= filled) {
            if (!eof || position >= filled) break;
            newline = filled; // the last line has no newline
          }
          const rowLine = line++;
          const text = buffer.toString("utf8", position, newline).trim();
          position = Math.min(newline + 1, filled);
          if (text === "") continue;
          let object: unknown;
          try {
            object = JSON.parse(text);
          } catch (error) {
            const at = /position (\d+)/.exec((error as Error).message);
            badRow(job, state, rowLine, at ? `${Number(at[1]) + 1} (character)` : undefined, `not valid JSON (${(error as Error).message})`);
            continue;
          }
          if (typeof object !== "object" || object === null || Array.isArray(object)) {
            badRow(job, state, rowLine, undefined, "each line must be a JSON object");
            continue;
          }
          const record = object as Record<string, unknown>;
          const base = count * width;
          let bad = false;
          for (let output = 0; output < width; output++) {
            const name = names[output]!;
            const raw = record[name];
            const kind = job.kinds[output]!;
            let value: number | undefined;
            if (typeof raw === "number" && kind.kind === "number") value = raw;
            else if (typeof raw === "boolean" && kind.kind !== "category") value = raw ? 1 : 0;
            else if (typeof raw === "string" || typeof raw === "number") value = convertText(String(raw), kind);
            if (value === undefined) {
              bad = badRow(job, state, rowLine, `"${name}"`, raw === undefined ? `the key is missing` : `${JSON.stringify(raw)} is not ${describeExpected(kind)}`);
              break;
            }
            block[base + output] = value;
          }
          if (bad) continue;
          count++;
          rows++;
          if (count === job.blockRows) {
            buffer.copy(buffer, 0, position, filled);
            filled -= position;
            position = 0;
            yield { values: block, count };
            block = new Float32Array(job.blockRows * width);
            count = 0;
          }
        }
        if (position > 0) {
          buffer.copy(buffer, 0, position, filled);
          filled -= position;
        }
      }
      if (count > 0) yield { values: block.subarray(0, count * width), count };
      return { path: job.path, size: fileOffset, mtimeMs: file.mtimeMs, ino: file.ino, sha256: hash?.digest("hex"), rows, skipped: state.skipped, skippedExamples: state.examples };
    } finally {
      if (file.owned) fs.closeSync(file.fd);
    }
  }

  function* parseShard(job: ParseJob): Generator<ParsedBlock, FileSummary, void> {
    const file = openFile(job);
    const hash = job.hash ? newHasher() : undefined;
    try {
      const prefix = Buffer.alloc(12);
      const got = fs.readSync(file.fd, prefix, 0, 12, 0);
      if (got < 12 || prefix.toString("latin1", 0, 8) !== SHARD_MAGIC) fail(job, 0, undefined, `not a labnote shard (it must start with "${SHARD_MAGIC}"; write shards with writeShard)`);
      const headerLength = prefix.readUInt32LE(8);
      const headerBytes = Buffer.alloc(headerLength);
      fs.readSync(file.fd, headerBytes, 0, headerLength, 12);
      hash?.update(prefix);
      hash?.update(headerBytes);
      const header = JSON.parse(headerBytes.toString("utf8")) as { columns: string[]; rows: number };
      if (header.columns.join(",") !== job.columns.join(",")) fail(job, 0, undefined, `the shard's columns are ${header.columns.join(",")} but the dataset's are ${job.columns.join(",")}`);
      const columnCount = header.columns.length;
      const width = job.select.length;
      const rowBytes = columnCount * 4;
      const dataStart = 12 + headerLength;
      const expectedSize = dataStart + header.rows * rowBytes;
      if (file.size !== expectedSize) fail(job, 0, undefined, `the shard is ${file.size} bytes but its header promises ${header.rows} rows (${expectedSize} bytes): it is truncated or damaged`);
      const chunkRows = Math.max(1, Math.min(job.blockRows, Math.floor(job.chunkBytes / rowBytes)));
      const chunk = Buffer.allocUnsafeSlow(chunkRows * rowBytes); // unpooled: offset 0, so float32-aligned
      let offset = dataStart;
      let rows = 0;
      while (rows < header.rows) {
        const take = Math.min(chunkRows, header.rows - rows);
        const read = fs.readSync(file.fd, chunk, 0, take * rowBytes, offset);
        if (read !== take * rowBytes) fail(job, 0, undefined, "the shard ended early while it was read (was it rewritten?)");
        hash?.update(chunk.subarray(0, read));
        offset += read;
        const source = new Float32Array(chunk.buffer, chunk.byteOffset, take * columnCount);
        const values = new Float32Array(take * width);
        for (let rowIndex = 0; rowIndex < take; rowIndex++) {
          const from = rowIndex * columnCount;
          const to = rowIndex * width;
          for (let output = 0; output < width; output++) values[to + output] = source[from + job.select[output]!]!;
        }
        rows += take;
        yield { values, count: take };
      }
      return { path: job.path, size: offset, mtimeMs: file.mtimeMs, ino: file.ino, sha256: hash?.digest("hex"), rows, skipped: 0, skippedExamples: [] };
    } finally {
      if (file.owned) fs.closeSync(file.fd);
    }
  }

  return {
    parseFile(job: ParseJob): Generator<ParsedBlock, FileSummary, void> {
      if (job.format === "jsonl") return parseJsonLines(job);
      if (job.format === "shard") return parseShard(job);
      return parseDelimited(job);
    },
  };
}

/** The failure inside an error thrown by the runtime, when it is one. */
export function parseFailureOf(error: unknown): ParseFailure | undefined {
  const failure = (error as { failure?: ParseFailure } | undefined)?.failure;
  return failure && typeof failure.message === "string" ? failure : undefined;
}
