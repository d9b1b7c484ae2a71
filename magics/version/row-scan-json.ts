// JSON Lines and JSON arrays for the row scan: records streamed through a 4 MiB window (a top-level array element by
// element, tracking strings and nesting), each parsed with JSON.parse.
import { cellText, ColumnAccumulator, FileWindow, hashText, stringSeed, TableFormatError, type Growable, type ScanOptions } from "./row-scan-shared.js";

/** Calls `onRow(text, offset, length, line)` for each JSON Lines line or each element of a top-level JSON array. */
export function forEachJsonRecord(path: string, format: "jsonl" | "json", onRow: (text: string, offset: number, length: number, line: number) => void): void {
  const file = new FileWindow(path);
  try {
    file.refill(0);
    let position = file.buffer[0] === 0xef && file.buffer[1] === 0xbb && file.buffer[2] === 0xbf ? 3 : 0;
    let line = 1;
    if (format === "jsonl") {
      for (;;) {
        let newline = file.buffer.indexOf(10, position);
        if (newline === -1 || newline >= file.filled) {
          if (!file.eof) {
            file.refill(position);
            position = 0;
            continue;
          }
          newline = file.filled;
        }
        if (position >= file.filled) return;
        const text = file.buffer.toString("utf8", position, newline);
        if (text.trim() !== "") onRow(text, file.base + position, newline - position, line);
        line++;
        position = newline + 1;
      }
    }
    // A JSON array, streamed element by element: track strings and nesting to find each top-level element's end.
    const skipSpace = (): boolean => {
      for (;;) {
        while (position < file.filled) {
          const c = file.buffer[position]!;
          if (c === 10) line++;
          else if (c !== 32 && c !== 9 && c !== 13) return true;
          position++;
        }
        if (file.eof) return false;
        const before = position;
        file.refill(position);
        position -= before;
      }
    };
    if (!skipSpace() || file.buffer[position] !== 91) throw new TableFormatError(path, line, "a .json data file must be an array of row objects ([{...}, {...}]); for one object per line use .jsonl.");
    position++;
    let expectElement = true;
    for (;;) {
      if (!skipSpace()) throw new TableFormatError(path, line, "the array is never closed: the file ends before its final ].");
      const c = file.buffer[position]!;
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
        if (index >= file.filled) {
          if (file.eof) throw new TableFormatError(path, startLine, "an array element is never closed: the file ends inside it.");
          const before = position;
          file.refill(position);
          index -= before;
          position = 0;
          continue;
        }
        const b = file.buffer[index]!;
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
      onRow(file.buffer.toString("utf8", position, index), file.base + position, index - position, startLine);
      line += newlines;
      position = index;
      expectElement = false;
    }
  } finally {
    file.close();
  }
}

export function scanJson(path: string, options: ScanOptions, sink: Growable): { columns: string[]; accumulators: ColumnAccumulator[]; missingKeys: number } {
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
