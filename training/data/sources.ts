// Which files a dataset reads (a path, a directory or a glob) and in which format; and the columns they share.
import { closeSync, openSync, readSync, readdirSync, statSync } from "node:fs";
import { basename, extname, isAbsolute, join, resolve, sep } from "node:path";
import type { FileFormat } from "./parse-runtime.js";

export interface DataFile {
  path: string;
  size: number;
  format: FileFormat;
}

const FORMAT_BY_EXTENSION: Record<string, FileFormat> = {
  ".csv": "csv",
  ".tsv": "tsv",
  ".tab": "tsv",
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  ".lnshard": "shard",
};

export const SUPPORTED_EXTENSIONS = Object.keys(FORMAT_BY_EXTENSION);

/** The format of a file from its extension (a trailing .gz is not supported: the bytes must be hashed as read). */
export function formatOf(path: string, forced?: FileFormat): FileFormat | undefined {
  return forced ?? FORMAT_BY_EXTENSION[extname(path).toLowerCase()];
}

function hasGlob(pattern: string): boolean {
  return /[*?[\]{}]/.test(pattern);
}

/** A glob segment as a regular expression: *, ?, [abc], {a,b}. */
function segmentRegExp(segment: string): RegExp {
  let source = "";
  for (let index = 0; index < segment.length; index++) {
    const char = segment[index]!;
    if (char === "*") source += "[^/]*";
    else if (char === "?") source += "[^/]";
    else if (char === "[") {
      const close = segment.indexOf("]", index);
      if (close === -1) source += "\\[";
      else {
        source += `[${segment.slice(index + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\")}]`;
        index = close;
      }
    } else if (char === "{") {
      const close = segment.indexOf("}", index);
      if (close === -1) source += "\\{";
      else {
        source += `(?:${segment.slice(index + 1, close).split(",").map((part) => part.replace(/[.+^$()|\\]/g, "\\$&").replace(/\*/g, "[^/]*").replace(/\?/g, "[^/]")).join("|")})`;
        index = close;
      }
    } else source += char.replace(/[.+^$()|\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** Files matching a glob (segments may be **), sorted; hidden entries only when the pattern names them. */
export function expandGlob(pattern: string, cwd: string): string[] {
  const absolute = isAbsolute(pattern) ? pattern : join(cwd, pattern);
  const parts = absolute.split(sep);
  // The fixed prefix: the segments before the first one with a wildcard.
  let fixed = 0;
  while (fixed < parts.length && !hasGlob(parts[fixed]!)) fixed++;
  const root = parts.slice(0, fixed).join(sep) || sep;
  const rest = parts.slice(fixed);
  const out: string[] = [];
  const visit = (directory: string, index: number): void => {
    if (index === rest.length) return;
    const segment = rest[index]!;
    let entries;
    try {
      entries = readdirSync(directory, { withFileTypes: true });
    } catch {
      return;
    }
    if (segment === "**") {
      visit(directory, index + 1); // ** matches no directory at all
      for (const entry of entries) if (entry.isDirectory() && !entry.name.startsWith(".")) visit(join(directory, entry.name), index);
      if (index + 1 === rest.length) for (const entry of entries) if (entry.isFile()) out.push(join(directory, entry.name));
      return;
    }
    const matcher = segmentRegExp(segment);
    const last = index + 1 === rest.length;
    for (const entry of entries) {
      if (entry.name.startsWith(".") && !segment.startsWith(".")) continue;
      if (!matcher.test(entry.name)) continue;
      const child = join(directory, entry.name);
      const isFile = entry.isFile() || (entry.isSymbolicLink() && statSync(child, { throwIfNoEntry: false })?.isFile() === true);
      if (last && isFile) out.push(child);
      else if (!last && (entry.isDirectory() || entry.isSymbolicLink())) visit(child, index + 1);
    }
  };
  visit(root, 0);
  return [...new Set(out)].sort();
}

/** The files a source names, in a stable order; a clear error when there are none. */
export function resolveSource(source: string | string[], options: { cwd: string; format?: FileFormat | undefined }): DataFile[] {
  const sources = Array.isArray(source) ? source : [source];
  if (sources.length === 0) throw new Error("dataset: no source given. Pass a file path, a directory or a glob such as \"data/*.csv\".");
  const paths: string[] = [];
  for (const item of sources) {
    if (typeof item !== "string" || item === "") throw new Error(`dataset: the source must be a path, a directory or a glob (a non-empty string), got ${JSON.stringify(item)}.`);
    if (hasGlob(item)) {
      const matches = expandGlob(item, options.cwd).filter((path) => formatOf(path, options.format) !== undefined);
      if (matches.length === 0) {
        throw new Error(`dataset: the glob "${item}" matches no ${options.format ?? SUPPORTED_EXTENSIONS.join("/")} files (searched from ${options.cwd}). Check the pattern, or the working directory.`);
      }
      paths.push(...matches);
      continue;
    }
    const absolute = resolve(options.cwd, item);
    const stat = statSync(absolute, { throwIfNoEntry: false });
    if (!stat) throw new Error(`dataset: ${absolute} does not exist. Check the path (relative paths start from ${options.cwd}).`);
    if (stat.isDirectory()) {
      const inside = readdirSync(absolute, { recursive: true, withFileTypes: false })
        .map((name) => join(absolute, String(name)))
        .filter((path) => !basename(path).startsWith(".") && formatOf(path, options.format) !== undefined && statSync(path).isFile())
        .sort();
      if (inside.length === 0) throw new Error(`dataset: the directory ${absolute} holds no ${SUPPORTED_EXTENSIONS.join("/")} files. Put the data files there, or name them with a glob.`);
      paths.push(...inside);
    } else if (stat.isFile()) {
      if (formatOf(absolute, options.format) === undefined) {
        throw new Error(`dataset: cannot tell the format of ${absolute} from its extension. Use one of ${SUPPORTED_EXTENSIONS.join(", ")}, or pass format: "csv" | "tsv" | "jsonl" | "shard".`);
      }
      paths.push(absolute);
    } else throw new Error(`dataset: ${absolute} is not a regular file or directory.`);
  }
  const unique = [...new Set(paths)];
  const files = unique.map((path) => ({ path, size: statSync(path).size, format: formatOf(path, options.format)! }));
  const formats = new Set(files.map((file) => file.format));
  if (formats.size > 1) {
    throw new Error(`dataset: the source mixes formats (${[...formats].join(", ")}): every file of a dataset must have the same format and columns. Make one dataset per format.`);
  }
  return files;
}

/** The first `maxBytes` of a file (for headers and column inference). */
export function readHead(path: string, maxBytes = 1 << 20): Buffer {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.allocUnsafe(maxBytes);
    const read = readSync(fd, buffer, 0, maxBytes, 0);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/** Splits one delimited header line (quotes allowed). */
export function splitHeaderLine(text: string, delimiter: string): string[] {
  const fields: string[] = [];
  let current = "";
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index]!;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        current += '"';
        index++;
      } else if (char === '"') quoted = false;
      else current += char;
    } else if (char === '"' && current.trim() === "") {
      quoted = true;
      current = "";
    } else if (char === delimiter) {
      fields.push(current.trim());
      current = "";
    } else current += char;
  }
  fields.push(current.trim());
  return fields;
}

/** The column names of a dataset's first file. */
export function readColumns(file: DataFile, header: boolean): string[] {
  const head = readHead(file.path);
  if (file.format === "shard") {
    if (head.length < 12 || head.toString("latin1", 0, 8) !== "LNSHARD1") throw new Error(`dataset: ${file.path} is not a labnote shard (write shards with writeShard).`);
    const length = head.readUInt32LE(8);
    return (JSON.parse(head.toString("utf8", 12, 12 + length)) as { columns: string[] }).columns;
  }
  const text = head.toString("utf8").replace(/^\uFEFF/, "");
  const firstLine = text.split(/\r?\n/).find((line) => line.trim() !== "");
  if (firstLine === undefined) throw new Error(`dataset: ${file.path} is empty: it has no ${file.format === "jsonl" ? "JSON line" : "header line"} to read the columns from.`);
  if (file.format === "jsonl") {
    try {
      const object = JSON.parse(firstLine) as unknown;
      if (typeof object !== "object" || object === null || Array.isArray(object)) throw new Error("not an object");
      return Object.keys(object);
    } catch {
      throw new Error(`dataset: ${file.path}, line 1: not a JSON object, so the columns cannot be read from it. Fix the line, or pass columns: [...].`);
    }
  }
  const fields = splitHeaderLine(firstLine, file.format === "tsv" ? "\t" : ",");
  if (header) return fields;
  return fields.map((_, index) => `column${index + 1}`);
}

