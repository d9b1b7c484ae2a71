// Reads one TypeScript expression out of a magic's argument text, so options that name data (`--preds [1, 0, 1]`,
// `--slices {island: isl}`, `--baselines {rule: preds.map(p => 1)}`) need no shell quoting.
//
// The expression runs to the first whitespace outside brackets, braces, parentheses, strings, template literals,
// regular expressions and comments — unless the text on either side of that whitespace says the expression goes on
// (`a + b`, `x ? 1 : 0`, `xs .map(f)`, `await load()`, `v as number[]`). Whatever follows (`--labels y`) is left for
// the argument parser. This is a scanner, not a parser: the kernel type-checks the expression when it evaluates it.

/** Why the text after an option is not a whole expression; the parser adds the option's name. */
export class ExpressionScanError extends Error {
  override readonly name = "ExpressionScanError";
  constructor(message: string, readonly expression: string) {
    super(message);
  }
}

export interface ScannedExpression {
  /** The expression's text, trimmed. */
  expression: string;
  /** Index in the argument text just after the expression. */
  end: number;
}

const CLOSER_OF: Record<string, string> = { "(": ")", "[": "]", "{": "}" };
const CLOSERS = new Set([")", "]", "}"]);
/** A word that cannot end an expression: what follows it belongs to it (`await f()`, `typeof x`, `v as T`). */
const WORDS_NEEDING_MORE = new Set(["new", "typeof", "await", "void", "delete", "as", "satisfies", "instanceof", "in", "keyof", "yield"]);
/** A word that continues the expression before it (`v as number[]`, `k in table`). */
const CONTINUING_WORDS = new Set(["as", "satisfies", "instanceof", "in"]);
/** After one of these a `/` starts a regular expression, not a division. */
const REGEX_MAY_FOLLOW = /^$|[(,=:[!&|?{};+\-*%<>~^]$/;

function isSpace(char: string | undefined): boolean {
  return char !== undefined && /\s/.test(char);
}

function skipSpace(text: string, from: number): number {
  let index = from;
  while (isSpace(text[index])) index++;
  return index;
}

function describePosition(text: string, index: number): string {
  return `"${text[index]}"`;
}

/** Index just after the string literal opened by the quote at `start`. */
function endOfString(text: string, start: number): number {
  const quote = text[start]!;
  for (let index = start + 1; index < text.length; index++) {
    if (text[index] === "\\") index++;
    else if (text[index] === quote) return index + 1;
  }
  throw new ExpressionScanError(`the string opened by ${describePosition(text, start)} is never closed; close it with ${quote}.`, text.slice(start));
}

/** Index just after the template literal opened at `start`, `${…}` substitutions included. */
function endOfTemplate(text: string, start: number): number {
  for (let index = start + 1; index < text.length; index++) {
    const char = text[index];
    if (char === "\\") index++;
    else if (char === "`") return index + 1;
    else if (char === "$" && text[index + 1] === "{") index = endOfGroup(text, index + 1) - 1;
  }
  throw new ExpressionScanError(`the template literal opened by ${describePosition(text, start)} is never closed; close it with \`.`, text.slice(start));
}

/** Index just after the regular expression literal opened by the `/` at `start` (and its flags). */
function endOfRegex(text: string, start: number): number {
  let inClass = false;
  for (let index = start + 1; index < text.length; index++) {
    const char = text[index];
    if (char === "\\") index++;
    else if (char === "[") inClass = true;
    else if (char === "]") inClass = false;
    else if (char === "/" && !inClass) {
      let end = index + 1;
      while (end < text.length && /[a-z]/i.test(text[end]!)) end++;
      return end;
    }
  }
  throw new ExpressionScanError(`the regular expression opened by ${describePosition(text, start)} is never closed; close it with /.`, text.slice(start));
}

/** Index after a string, template, comment or regex starting at `index`, or -1 when none starts there. */
function endOfLiteral(text: string, index: number, previous: string): number {
  const char = text[index];
  if (char === "'" || char === '"') return endOfString(text, index);
  if (char === "`") return endOfTemplate(text, index);
  if (char !== "/") return -1;
  if (text[index + 1] === "/") {
    throw new ExpressionScanError(`a // comment would swallow the rest of the line; use /* … */ or remove it.`, text.slice(index));
  }
  if (text[index + 1] === "*") {
    const close = text.indexOf("*/", index + 2);
    if (close < 0) throw new ExpressionScanError(`the /* comment is never closed; close it with */.`, text.slice(index));
    return close + 2;
  }
  return REGEX_MAY_FOLLOW.test(previous) ? endOfRegex(text, index) : -1;
}

/** Index just after the bracket that closes the opener at `start`; everything inside may hold spaces. */
function endOfGroup(text: string, start: number): number {
  const closer = CLOSER_OF[text[start]!]!;
  let previous = text[start]!;
  for (let index = start + 1; index < text.length; ) {
    const char = text[index]!;
    if (isSpace(char)) {
      index++;
      continue;
    }
    const literalEnd = endOfLiteral(text, index, previous);
    if (literalEnd >= 0) {
      previous = "a";
      index = literalEnd;
      continue;
    }
    if (char in CLOSER_OF) {
      index = endOfGroup(text, index);
      previous = ")";
      continue;
    }
    if (CLOSERS.has(char)) {
      if (char === closer) return index + 1;
      throw new ExpressionScanError(`${describePosition(text, index)} does not match ${describePosition(text, start)}, which needs ${closer}.`, text.slice(start, index + 1));
    }
    previous = char;
    index++;
  }
  throw new ExpressionScanError(`${describePosition(text, start)} is never closed; add ${closer}.`, text.slice(start));
}

/** Whether whitespace between `before` and `after` (both non-empty, trimmed at the join) is inside one expression. */
function continuesAcross(before: string, after: string): boolean {
  if (/^--?[A-Za-z]/.test(after)) return false; // the next option
  if (/(?:=>|[+\-*/%&|^~<>=?:,.!])$/.test(before) && !/(?:\+\+|--|!)$/.test(before)) return true;
  const lastWord = /(?:^|[^\w$.])([A-Za-z]+)$/.exec(before)?.[1];
  if (lastWord !== undefined && WORDS_NEEDING_MORE.has(lastWord)) return true;
  if (/^(?:=>|\?\?|\?\.?|:|\.(?!\.\.)|[*/%<>=&|^]|!==?|[+-]\s)/.test(after)) return true;
  const nextWord = /^([A-Za-z]+)(?:\s|$)/.exec(after)?.[1];
  return nextWord !== undefined && CONTINUING_WORDS.has(nextWord);
}

/**
 * Scans the expression that starts at `start` (after any whitespace). Throws ExpressionScanError when a bracket,
 * string, template literal, regex or comment is left open or closed by the wrong bracket.
 */
export function scanExpression(text: string, start: number): ScannedExpression {
  const begin = skipSpace(text, start);
  let previous = "";
  let index = begin;
  try {
    while (index < text.length) {
      const char = text[index]!;
      if (isSpace(char)) {
        const next = skipSpace(text, index);
        if (next >= text.length || !continuesAcross(text.slice(begin, index), text.slice(next))) break;
        index = next;
        continue;
      }
      const literalEnd = endOfLiteral(text, index, previous);
      if (literalEnd >= 0) {
        previous = "a";
        index = literalEnd;
        continue;
      }
      if (char in CLOSER_OF) {
        index = endOfGroup(text, index);
        previous = ")";
        continue;
      }
      if (CLOSERS.has(char)) throw new ExpressionScanError(`${describePosition(text, index)} closes nothing; remove it or add its opening bracket.`, "");
      previous = char;
      index++;
    }
  } catch (error) {
    if (error instanceof ExpressionScanError) throw new ExpressionScanError(error.message, text.slice(begin).trim());
    throw error;
  }
  return { expression: text.slice(begin, index).trim(), end: index };
}

/** A value wholly in shell quotes (`'{ a: b }'`, the only way before expressions could hold spaces) is unquoted. */
export function unquoteShellQuoted(expression: string): string {
  const single = /^'([^']*)'$/.exec(expression);
  if (single) return single[1]!;
  const double = /^"((?:[^"\\]|\\.)*)"$/.exec(expression);
  if (double) return double[1]!.replace(/\\(["\\$`])/g, "$1");
  return expression;
}
