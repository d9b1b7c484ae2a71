// CSV and TSV for the row scan: RFC 4180 quoting, one pass over the bytes through a 4 MiB window, each field's hashes
// computed while its end is searched for.
import { ColumnAccumulator, FileWindow, mix32, parseNumber, stringSeed, TableFormatError, type Growable, type ScanOptions } from "./row-scan-shared.js";

/** CSV / TSV (RFC 4180 quoting: "" inside quotes; quoted fields may hold delimiters and newlines). */
export function scanDelimited(path: string, options: ScanOptions, delimiter: number, sink: Growable): { columns: string[]; accumulators: ColumnAccumulator[]; missingKeys: number } {
  const file = new FileWindow(path);
  try {
    file.refill(0);
    let line = 1;
    let position = 0;
    // Skip a UTF-8 byte order mark.
    if (file.buffer[0] === 0xef && file.buffer[1] === 0xbb && file.buffer[2] === 0xbf) position = 3;

    // Field boundaries of the record being parsed, reused: start, end, quoted (1) or not.
    let starts = new Int32Array(64);
    let ends = new Int32Array(64);
    let quoted = new Uint8Array(64);
    let fields = 0;
    let newlinesInRecord = 0;

    /** Parses one record at `position`; returns the index after it, or -1 when the buffer ends first. */
    const bufferNow = () => file.buffer;
    const filledNow = () => file.filled;
    const eofNow = () => file.eof;
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
      const text = file.buffer.toString("utf8", starts[field], ends[field]);
      return quoted[field] === 1 ? text.replace(/""/g, '"') : text;
    };

    const nextRecord = (): number => {
      for (;;) {
        const next = parseRecord(position);
        if (next !== -1) return next;
        if (file.eof) throw new TableFormatError(path, line, "a quoted field is never closed: add the closing quote.");
        const before = position;
        file.refill(position);
        position -= before;
      }
    };

    // Header.
    if (file.filled - position === 0) throw new TableFormatError(path, 1, "the file is empty: a CSV/TSV file needs a header row naming its columns.");
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
      if (position >= file.filled) {
        if (file.eof) break;
        const before = position;
        file.refill(position);
        position -= before;
        if (position >= file.filled) break;
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
        const value = isQuoted || accumulator.scan.text > 0 ? NaN : parseNumber(file.buffer, start, end);
        if (Number.isNaN(value)) accumulator.scan.text++;
        else accumulator.number(value);
        if (accumulator.categoryHashed(h1, h2)) accumulator.nameCategory(h1, fieldText(field));
      }
      if (keyIndex === -1) sink.push(rowHigh, rowLow, rowHigh, rowLow, file.base + recordStart, next - recordStart, recordLine);
      else sink.push(keyHigh, keyLow, rowHigh, rowLow, file.base + recordStart, next - recordStart, recordLine);
      position = next;
    }
    return { columns, accumulators, missingKeys };
  } finally {
    file.close();
  }
}
