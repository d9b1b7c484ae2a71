// Runtime errors point into the JavaScript a cell was compiled to (types stripped, imports and exports rewritten to
// CommonJS, a preamble added), whose line numbers are not the cell's. tslab gives no source map, so the generated
// lines are aligned with the cell's own lines by their tokens (identifiers, numbers, strings keep their order through
// the compile), and stack frames `cell[N]:line:column` are reported with the cell's line and its text.

/** Cells remembered for tracebacks (a frame can point into any earlier cell's functions); oldest go first. */
const MAX_CELLS = 2000;
/** Above this many line pairs the alignment is skipped (the frame keeps the generated line number). */
const MAX_ALIGNMENT_CELLS = 4_000_000;
/** A generated line matches a source line when at least this share of its tokens appear there, in any order. */
const MATCH_THRESHOLD = 0.5;

interface CellLines {
  /** The code as the user wrote it (magic lines excluded). */
  lines: string[];
  /** Lines before the code in the cell (magic lines): added to report the cell's own numbering. */
  firstLine: number;
  source: string;
  generated: string;
  /** 1-based generated line → 0-based source line, or -1 when nothing matched; aligned on first use. */
  sourceLineOf?: Int32Array;
}

const cells = new Map<string, CellLines>();

const TOKEN = /[A-Za-z_$][\w$]*|\d+(?:\.\d+)?|"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`/g;
/** Words the compile adds or removes on its own: they say nothing about which source line a generated line is. */
const NOISE = new Set(["exports", "require", "Object", "defineProperty", "__esModule", "value", "true", "void", "0", "const", "let", "var", "use", "strict", "default"]);

function tokens(line: string): string[] {
  return (line.match(TOKEN) ?? []).filter((token) => !NOISE.has(token));
}

function similarity(generated: string[], source: Set<string>): number {
  if (generated.length === 0) return 0;
  let found = 0;
  for (const token of generated) if (source.has(token)) found++;
  return found / generated.length;
}

/**
 * For every generated line (1-based index), the 0-based source line it came from: a monotone alignment that
 * maximises the matched tokens (longest-common-subsequence style); unmatched generated lines take the next matched
 * line's source line (a statement's first line), or the previous one at the end.
 */
export function alignLines(source: string, generated: string): Int32Array {
  const sourceLines = source.split("\n");
  const generatedLines = generated.split("\n");
  const result = new Int32Array(generatedLines.length + 1).fill(-1);
  const g = generatedLines.length;
  const s = sourceLines.length;
  if (g * s > MAX_ALIGNMENT_CELLS) return result;
  const generatedTokens = generatedLines.map(tokens);
  const sourceSets = sourceLines.map((line) => new Set(tokens(line)));
  // score[i][j]: best total for generated[i..] and source[j..]; row-major in one array.
  const width = s + 1;
  const score = new Float64Array((g + 1) * width);
  const matchScore = (i: number, j: number): number => {
    const value = similarity(generatedTokens[i]!, sourceSets[j]!);
    return value >= MATCH_THRESHOLD ? value : 0;
  };
  for (let i = g - 1; i >= 0; i--) {
    for (let j = s - 1; j >= 0; j--) {
      const match = matchScore(i, j);
      // A generated line may stay on the same source line (a statement the compile split in two): j, not j + 1.
      const matched = match > 0 ? match + Math.max(score[(i + 1) * width + j + 1]!, score[(i + 1) * width + j]!) : 0;
      score[i * width + j] = Math.max(matched, score[(i + 1) * width + j]!, score[i * width + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < g && j < s) {
    const here = score[i * width + j]!;
    const match = matchScore(i, j);
    if (match > 0 && here === match + Math.max(score[(i + 1) * width + j + 1]!, score[(i + 1) * width + j]!)) {
      result[i + 1] = j;
      if (score[(i + 1) * width + j]! > score[(i + 1) * width + j + 1]!) i++;
      else {
        i++;
        j++;
      }
    } else if (here === score[(i + 1) * width + j]) i++;
    else j++;
  }
  // Fill the gaps: the next matched line below, else the last one above.
  let next = -1;
  for (let line = g; line >= 1; line--) {
    if (result[line]! >= 0) next = result[line]!;
    else result[line] = next;
  }
  let previous = -1;
  for (let line = 1; line <= g; line++) {
    if (result[line]! >= 0) previous = result[line]!;
    else result[line] = previous;
  }
  return result;
}

/** Remembers how the cell `filename` was compiled, for tracebacks that point into it later. */
export function rememberCellLines(filename: string, source: string, generated: string, firstLine: number): void {
  cells.delete(filename);
  cells.set(filename, { lines: source.split("\n"), firstLine, source, generated });
  if (cells.size > MAX_CELLS) cells.delete(cells.keys().next().value as string);
}

/**
 * A stack frame line with `cell[N]:line:column` in the cell's own numbering, followed by that line of the cell
 * (indented) — or the frame unchanged when the cell is unknown.
 */
export function mapCellFrame(frame: string): string[] {
  const match = /(cell\[\d+\]):(\d+):(\d+)/.exec(frame);
  if (!match) return [frame];
  const cell = cells.get(match[1]!);
  if (!cell) return [frame];
  cell.sourceLineOf ??= alignLines(cell.source, cell.generated);
  const generatedLine = Number(match[2]);
  // Past the compiled code: the engine's call of the cell's wrapper function, not the user's code.
  if (generatedLine >= cell.sourceLineOf.length) return [];
  const sourceLine = cell.sourceLineOf[generatedLine]!;
  if (sourceLine < 0) return [frame];
  const text = cell.lines[sourceLine]!.trim();
  const mapped = frame.replace(match[0], `${match[1]}, line ${sourceLine + 1 + cell.firstLine}`);
  return text ? [mapped, `        ${text}`] : [mapped];
}
