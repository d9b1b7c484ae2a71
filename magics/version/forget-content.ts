// What %version forget searches for: the forgotten bytes themselves and, for text data, each of their rows (a row
// printed by a cell, stored as a sample or in a notebook's outputs is the same personal data). Stored outputs are
// mostly JSON, so every needle is also looked for JSON-escaped. Finding and redacting work on Buffers and strings.

/** Rows shorter than this are not searched for on their own ("1,2" would match everything). */
export const MIN_ROW_NEEDLE = 12;
/** Above this many needles, text is matched piece by piece (split at newlines and quotes) instead of by indexOf. */
const MAX_SUBSTRING_NEEDLES = 2000;
/** Content larger than this is only matched whole-file by hash, not searched for as text. */
export const MAX_TEXT_CONTENT = 64 * 1024 * 1024;

export interface ForgottenContent {
  /** Every form searched for: whole content and rows, raw and JSON-escaped; longest first. */
  needles: string[];
  /** Set of the same, for the piece-by-piece match. */
  pieces: Set<string>;
}

function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

function isBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, 8192).includes(0);
}

/** Needles for one forgotten file's bytes; `tabular` skips the first line (a CSV/TSV header is not personal data). */
export function needlesOf(contents: { bytes: Buffer; header: boolean }[]): ForgottenContent {
  const needles = new Set<string>();
  for (const { bytes, header } of contents) {
    if (bytes.length === 0 || bytes.length > MAX_TEXT_CONTENT) continue;
    const binary = isBinary(bytes);
    const text = bytes.toString(binary ? "latin1" : "utf8");
    const trimmed = text.replace(/\s+$/, "");
    if (trimmed.length >= MIN_ROW_NEEDLE || !binary) needles.add(trimmed.length > 0 ? trimmed : text);
    if (binary) continue;
    const lines = text.split(/\r?\n/);
    for (let index = header ? 1 : 0; index < lines.length; index++) {
      const line = lines[index]!.trim();
      if (line.length >= MIN_ROW_NEEDLE) needles.add(line);
    }
  }
  for (const needle of [...needles]) {
    const escaped = jsonEscaped(needle);
    if (escaped !== needle) needles.add(escaped);
  }
  const sorted = [...needles].filter((needle) => needle.length > 0).sort((a, b) => b.length - a.length);
  return { needles: sorted, pieces: new Set(sorted) };
}

// Pieces of stored text: split where a row printed in an output or a notebook would end.
const PIECE_SPLIT = /\\n|\\r|\\t|[\n\r\t"]/;

/** True when `text` holds any needle. */
export function containsForgotten(content: ForgottenContent, text: string): boolean {
  if (content.needles.length === 0) return false;
  if (content.needles.length <= MAX_SUBSTRING_NEEDLES) return content.needles.some((needle) => text.includes(needle));
  for (const piece of text.split(PIECE_SPLIT)) if (content.pieces.has(piece.trim())) return true;
  // The whole content (the longest needles) may still appear across pieces.
  return content.needles.slice(0, 4).some((needle) => text.includes(needle));
}

/** True when `bytes` (any file, e.g. SQLite) hold a needle. */
export function findForgottenBytes(content: ForgottenContent, bytes: Buffer): boolean {
  if (content.needles.length <= MAX_SUBSTRING_NEEDLES) return content.needles.some((needle) => bytes.includes(needle, 0, "utf8"));
  return containsForgotten(content, bytes.toString("utf8"));
}

/** A replacement that is safe inside JSON strings, CSV and code: no quotes, backslashes or newlines. */
export function redactionMark(reason: string, when: Date): string {
  return `[forgotten on ${when.toISOString().slice(0, 10)}: ${reason.replace(/["\\\r\n\t]+/g, " ").replace(/ {2,}/g, " ").trim()}]`;
}

/** `text` with every needle replaced by `mark` (longest first, so a whole file goes before its rows). */
export function redact(content: ForgottenContent, text: string, mark: string): string {
  if (!containsForgotten(content, text)) return text;
  let out = text;
  if (content.needles.length <= MAX_SUBSTRING_NEEDLES) {
    for (const needle of content.needles) if (out.includes(needle)) out = out.split(needle).join(mark);
    return out;
  }
  for (const needle of content.needles.slice(0, 4)) if (out.includes(needle)) out = out.split(needle).join(mark);
  // Many rows: replace whole pieces that are rows, keeping the separators around them.
  return out
    .split(/(\\n|\\r|\\t|[\n\r\t"])/)
    .map((piece) => (content.pieces.has(piece.trim()) ? mark : piece))
    .join("");
}
