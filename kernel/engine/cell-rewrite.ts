// Source and output rewrites that close gaps in tslab's cross-cell scoping.
// tslab turns a reference to an earlier cell's variable `q` into `exports.q`, but misses shorthand properties
// (`({ q })` ran as an undefined `q`) and rejects `export const` (it exports every local itself). Closures keep
// reading their own cell's `let`, so a later cell's `r = 7` was invisible to `() => r` defined earlier.
import type * as TS from "typescript";
import type { Diagnostic } from "./typescript.js";

interface Insertion {
  /** Offset in the original source. */
  at: number;
  text: string;
}

export interface PreparedSource {
  /** What the converter type-checks and emits. */
  source: string;
  /** Maps a diagnostic about `source` back to the user's text (same lines; columns before insertions). */
  mapDiagnostic(diagnostic: Diagnostic): Diagnostic;
}

const MAY_HAVE_SHORTHAND = /[{,]\s*[A-Za-z_$][\w$]*\s*[,}=]/;
const MAY_HAVE_EXPORT = /(^|[\n;])\s*export\s/;
const DECLARES_MUTABLE = /(^|[\n;])\s*(let|var)\s/;

function parse(ts: typeof TS, text: string, kind: TS.ScriptKind): TS.SourceFile {
  return ts.createSourceFile(kind === ts.ScriptKind.JS ? "cell.js" : "cell.ts", text, ts.ScriptTarget.Latest, true, kind);
}

/**
 * Expands shorthand properties (`{ q }` → `{ q: q }`, same meaning, and then tslab rewrites `q`) and blanks the
 * `export` keyword of top-level declarations (tslab exports every top-level name already). Cheap no-op for
 * cells without either.
 */
export function prepareCellSource(ts: typeof TS, source: string): PreparedSource {
  const identity: PreparedSource = { source, mapDiagnostic: (d) => d };
  const shorthand = MAY_HAVE_SHORTHAND.test(source);
  const exported = MAY_HAVE_EXPORT.test(source);
  if (!shorthand && !exported) return identity;
  const file = parse(ts, source, ts.ScriptKind.TS);
  const insertions: Insertion[] = [];
  const blanks: { start: number; end: number }[] = [];
  if (exported) {
    for (const statement of file.statements) {
      if (!isExportableDeclaration(ts, statement)) continue;
      const modifiers = ts.canHaveModifiers(statement) ? (ts.getModifiers(statement) ?? []) : [];
      if (modifiers.some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)) continue;
      const keyword = modifiers.find((m) => m.kind === ts.SyntaxKind.ExportKeyword);
      if (keyword) blanks.push({ start: keyword.getStart(file), end: keyword.end });
    }
  }
  if (shorthand) {
    const visit = (node: TS.Node): void => {
      if (ts.isShorthandPropertyAssignment(node)) insertions.push({ at: node.name.end, text: `: ${node.name.text}` });
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  if (insertions.length === 0 && blanks.length === 0) return identity;
  let text = source;
  for (const blank of blanks) text = text.slice(0, blank.start) + " ".repeat(blank.end - blank.start) + text.slice(blank.end);
  insertions.sort((a, b) => a.at - b.at);
  let rewritten = "";
  let cursor = 0;
  for (const insertion of insertions) {
    rewritten += text.slice(cursor, insertion.at) + insertion.text;
    cursor = insertion.at;
  }
  rewritten += text.slice(cursor);
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  const toOriginal = (offset: number): number => {
    let shift = 0;
    for (const insertion of insertions) {
      const insertedAt = insertion.at + shift;
      if (offset <= insertedAt) break;
      if (offset < insertedAt + insertion.text.length) return insertion.at;
      shift += insertion.text.length;
    }
    return offset - shift;
  };
  const position = (offset: number): Diagnostic["start"] => {
    let line = 0;
    while (line + 1 < lineStarts.length && lineStarts[line + 1] <= offset) line++;
    return { offset, line, character: offset - lineStarts[line] };
  };
  return {
    source: rewritten,
    mapDiagnostic: (d) => (d.fileName ? d : { ...d, start: position(toOriginal(d.start.offset)), end: position(toOriginal(d.end.offset)) }),
  };
}

function isExportableDeclaration(ts: typeof TS, statement: TS.Statement): boolean {
  return (
    ts.isVariableStatement(statement) ||
    ts.isFunctionDeclaration(statement) ||
    ts.isClassDeclaration(statement) ||
    ts.isInterfaceDeclaration(statement) ||
    ts.isTypeAliasDeclaration(statement) ||
    ts.isEnumDeclaration(statement)
  );
}

/** The handoff function the emitted code calls to bind `exports.name` to the cell's own `let`/`var`. */
export const BIND_FUNCTION = "bindLocal";

/**
 * After each top-level `let`/`var` statement of the emitted CommonJS, makes `exports.name` an accessor of the
 * local binding: a later cell's `exports.r = 7` then reaches closures that read `r`.
 */
export function bindMutableLocals(ts: typeof TS, output: string, handoff: string): string {
  if (!DECLARES_MUTABLE.test(output)) return output;
  const file = parse(ts, output, ts.ScriptKind.JS);
  const insertions: Insertion[] = [];
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    const flags = statement.declarationList.flags;
    if (flags & (ts.NodeFlags.Const | ts.NodeFlags.Using | ts.NodeFlags.AwaitUsing)) continue;
    const names: string[] = [];
    for (const declaration of statement.declarationList.declarations) collectNames(ts, declaration.name, names);
    const binds = names.map((n) => `${handoff}.${BIND_FUNCTION}(exports, ${JSON.stringify(n)}, () => ${n}, (v) => { ${n} = v; });`);
    if (binds.length > 0) insertions.push({ at: statement.end, text: ` ${binds.join(" ")}` });
  }
  let rewritten = "";
  let cursor = 0;
  for (const insertion of insertions) {
    rewritten += output.slice(cursor, insertion.at) + insertion.text;
    cursor = insertion.at;
  }
  return rewritten + output.slice(cursor);
}

function collectNames(ts: typeof TS, name: TS.BindingName, into: string[]): void {
  if (ts.isIdentifier(name)) {
    into.push(name.text);
    return;
  }
  for (const element of name.elements) if (!ts.isOmittedExpression(element)) collectNames(ts, element.name, into);
}
