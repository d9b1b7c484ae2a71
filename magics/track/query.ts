// The --where language of `%track runs`: a small, safe expression language (no eval) over run records.
//   params.lr < 0.01 and val.acc > 0.9      name contains "mlp" or tags contains "baseline"      not status == "crashed"
//   params.act in ("relu", "tanh")      params.lr between 0.001 and 0.01      name ~ /mlp-\d+/i      tags ~ /^base/
// Paths: params.*, env.*, summary.* / metrics.*, name, status, id, tags, seed, notes; any other path is a final
// metric ("val.acc", "loss", "wall_time_s"). Missing values make comparisons false (and != true).
import type { RunRecord } from "../../store/types.js";

type Token = (
  | { kind: "number"; value: number }
  | { kind: "string"; value: string }
  | { kind: "word"; value: string }
  | { kind: "op"; value: string }
  | { kind: "regex"; value: string; flags: string }
  | { kind: "paren"; value: "(" | ")" }
  | { kind: "comma"; value: "," }
) & { position: number };

type CompareOp = "<" | "<=" | ">" | ">=" | "==" | "!=" | "contains";

export type Expression =
  | { kind: "literal"; value: string | number | boolean | null }
  | { kind: "path"; path: string }
  | { kind: "not"; operand: Expression }
  | { kind: "and" | "or"; left: Expression; right: Expression }
  | { kind: "compare"; op: CompareOp; left: Expression; right: Expression }
  /** `x in (a, b)`; `x not in (…)` parses as not(in). */
  | { kind: "in"; operand: Expression; values: Expression[] }
  /** `x between A and B`, both ends included. */
  | { kind: "between"; operand: Expression; low: Expression; high: Expression }
  /** `name ~ /mlp-\d+/i`: on arrays (tags) any element matching counts. */
  | { kind: "match"; operand: Expression; pattern: RegExp };

/** A malformed --where; `position` is the 1-based character where parsing failed (the UI points at it). */
export class QueryError extends Error {
  override readonly name = "QueryError";
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const EXAMPLE = `e.g. --where "params.lr < 0.01 and val.acc > 0.9"`;
const KEYWORDS = ["and", "or", "not", "contains", "in", "between"];
const OPERATORS = "comparisons (< <= > >= == != contains ~ /regex/ in (…) between A and B) joined by and/or/not";

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const previous = (): Token | undefined => tokens[tokens.length - 1];
  while (i < text.length) {
    const char = text[i]!;
    const position = i + 1;
    if (/\s/.test(char)) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const before = previous();
    // A regex literal only right after `~` or `!~`, so `/` never needs to mean anything else.
    if (char === "/" && before?.kind === "op" && (before.value === "~" || before.value === "!~")) {
      let end = i + 1;
      while (end < text.length && text[end] !== "/") end += text[end] === "\\" ? 2 : 1;
      if (end >= text.length) throw new QueryError(`--where: the regular expression starting at position ${position} is not closed; end it with "/".`, position);
      const flags = /^[a-z]*/.exec(text.slice(end + 1))![0];
      tokens.push({ kind: "regex", value: text.slice(i + 1, end), flags, position });
      i = end + 1 + flags.length;
      continue;
    }
    const number = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(rest);
    if (number && (char !== "-" || before === undefined || before.kind === "op" || before.kind === "paren" || before.kind === "comma" || isKeyword(before))) {
      tokens.push({ kind: "number", value: Number(number[0]), position });
      i += number[0].length;
      continue;
    }
    const operator = /^(<=|>=|==|!=|!~|&&|\|\||<|>|=|!|~)/.exec(rest);
    if (operator) {
      const value = operator[0] === "=" ? "==" : operator[0] === "&&" ? "and" : operator[0] === "||" ? "or" : operator[0] === "!" ? "not" : operator[0];
      tokens.push(value === "and" || value === "or" || value === "not" ? { kind: "word", value, position } : { kind: "op", value, position });
      i += operator[0].length;
      continue;
    }
    if (char === "(" || char === ")") {
      tokens.push({ kind: "paren", value: char, position });
      i++;
      continue;
    }
    if (char === ",") {
      tokens.push({ kind: "comma", value: ",", position });
      i++;
      continue;
    }
    if (char === '"' || char === "'") {
      const end = text.indexOf(char, i + 1);
      if (end < 0) throw new QueryError(`--where: the string starting at position ${position} is not closed; add the closing ${char}.`, position);
      tokens.push({ kind: "string", value: text.slice(i + 1, end), position });
      i = end + 1;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*/.exec(rest);
    if (word) {
      tokens.push({ kind: "word", value: word[0], position });
      i += word[0].length;
      continue;
    }
    throw new QueryError(`--where: unexpected "${char}" at position ${position}; use paths, numbers, "strings", ${OPERATORS}, ${EXAMPLE}.`, position);
  }
  return tokens;
}

function isKeyword(token: Token): boolean {
  return token.kind === "word" && KEYWORDS.includes(token.value.toLowerCase());
}

function describeToken(token: Token): string {
  return token.kind === "regex" ? `/${token.value}/${token.flags}` : token.kind === "string" ? JSON.stringify(token.value) : String(token.value);
}

export function parseQuery(text: string): Expression {
  const tokens = tokenize(text);
  let position = 0;
  const endPosition = text.length + 1;
  const peek = (): Token | undefined => tokens[position];
  const isWord = (value: string, at = position): boolean => {
    const token = tokens[at];
    return token !== undefined && token.kind === "word" && token.value.toLowerCase() === value;
  };
  const expectWord = (value: string, context: string): void => {
    if (isWord(value)) {
      position++;
      return;
    }
    const token = peek();
    throw new QueryError(
      token === undefined
        ? `--where: ${context} needs "${value}" but the expression ends at position ${endPosition}.`
        : `--where: ${context} needs "${value}" at position ${token.position}, not "${describeToken(token)}".`,
      token?.position ?? endPosition,
    );
  };
  const parseOr = (): Expression => {
    let left = parseAnd();
    while (isWord("or")) {
      position++;
      left = { kind: "or", left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): Expression => {
    let left = parseNot();
    while (isWord("and")) {
      position++;
      left = { kind: "and", left, right: parseNot() };
    }
    return left;
  };
  const parseNot = (): Expression => {
    if (isWord("not")) {
      position++;
      return { kind: "not", operand: parseNot() };
    }
    return parseComparison();
  };
  const parseInList = (operand: Expression): Expression => {
    const open = tokens[position];
    if (open?.kind !== "paren" || open.value !== "(") {
      throw new QueryError(`--where: "in" needs a list in parentheses at position ${open?.position ?? endPosition}, e.g. params.act in ("relu", "tanh").`, open?.position ?? endPosition);
    }
    position++;
    const values: Expression[] = [];
    for (;;) {
      values.push(parseValue());
      const next = tokens[position++];
      if (next?.kind === "comma") continue;
      if (next?.kind === "paren" && next.value === ")") break;
      throw new QueryError(`--where: the "in" list opened at position ${open.position} needs "," between values and ")" at its end (position ${next?.position ?? endPosition}).`, next?.position ?? endPosition);
    }
    return { kind: "in", operand, values };
  };
  const parseComparison = (): Expression => {
    const left = parseValue();
    const token = peek();
    if (token === undefined) return left;
    if (token.kind === "op" && (token.value === "~" || token.value === "!~")) {
      position++;
      const pattern = tokens[position++];
      if (pattern?.kind !== "regex") {
        throw new QueryError(`--where: "${token.value}" needs a regular expression like /mlp-\\d+/i at position ${pattern?.position ?? endPosition}.`, pattern?.position ?? endPosition);
      }
      let compiled: RegExp;
      try {
        compiled = new RegExp(pattern.value, pattern.flags.replace(/[gy]/g, ""));
      } catch (error) {
        throw new QueryError(`--where: the regular expression at position ${pattern.position} is invalid (${error instanceof Error ? error.message : String(error)}).`, pattern.position);
      }
      const match: Expression = { kind: "match", operand: left, pattern: compiled };
      return token.value === "~" ? match : { kind: "not", operand: match };
    }
    if (token.kind === "op" || isWord("contains")) {
      position++;
      const op = (token.kind === "op" ? token.value : "contains") as CompareOp;
      return { kind: "compare", op, left, right: parseValue() };
    }
    if (isWord("in")) {
      position++;
      return parseInList(left);
    }
    if (isWord("not") && isWord("in", position + 1)) {
      position += 2;
      return { kind: "not", operand: parseInList(left) };
    }
    if (isWord("between")) {
      position++;
      const low = parseValue();
      expectWord("and", `"between" (position ${token.position})`);
      return { kind: "between", operand: left, low, high: parseValue() };
    }
    return left;
  };
  const parseValue = (): Expression => {
    const token = tokens[position++];
    if (token === undefined) throw new QueryError(`--where: the expression ends too early at position ${endPosition}; complete it, ${EXAMPLE}.`, endPosition);
    if (token.kind === "paren" && token.value === "(") {
      const inner = parseOr();
      const close = tokens[position++];
      if (close?.kind !== "paren" || close.value !== ")") {
        throw new QueryError(`--where: the "(" at position ${token.position} is not closed; add ")".`, close?.position ?? endPosition);
      }
      return inner;
    }
    if (token.kind === "number" || token.kind === "string") return { kind: "literal", value: token.value };
    if (token.kind === "word" && !isKeyword(token)) {
      if (token.value === "true" || token.value === "false") return { kind: "literal", value: token.value === "true" };
      if (token.value === "null") return { kind: "literal", value: null };
      return { kind: "path", path: token.value };
    }
    throw new QueryError(`--where: unexpected "${describeToken(token)}" at position ${token.position}; ${EXAMPLE}.`, token.position);
  };
  const expression = parseOr();
  const extra = tokens[position];
  if (extra !== undefined) {
    throw new QueryError(
      `--where: unexpected "${describeToken(extra)}" at position ${extra.position} after a complete expression; join conditions with and/or, ${EXAMPLE}.`,
      extra.position,
    );
  }
  return expression;
}

/** An accessor for a path, split once (queries run over thousands of runs). */
export function pathAccessor(path: string): (run: RunRecord) => unknown {
  const [head, ...rest] = path.split(".");
  const tail = rest.join(".");
  if (rest.length === 0) {
    switch (head) {
      case "name":
      case "status":
      case "id":
      case "tags":
      case "seed":
      case "host":
      case "code":
      case "notebook":
        return (run) => run[head];
      case "study":
        return (run) => run.studyName;
      case "started":
      case "startedAt":
        return (run) => run.startedAt;
      case "endedAt":
        return (run) => run.endedAt;
      case "duration":
        return (run) => (run.endedAt ?? run.heartbeatAt) / 1000 - run.startedAt / 1000;
      case "versionId":
        return (run) => run.versionId;
      case "backend":
        return (run) => backendName(run.env.backend);
      case "notes":
        return (run) => run.summary.notes;
    }
  }
  switch (head) {
    case "params":
      return (run) => run.params[tail];
    case "summary":
    case "metrics":
      return (run) => run.summary[tail];
    case "env":
      return (run) => rest.reduce<unknown>((value, key) => (value !== null && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined), run.env);
  }
  return (run) => run.summary[path];
}

/** The backend a run recorded: env.backend is { name, reason } (or a bare name in older runs). */
export function backendName(backend: unknown): string | null {
  if (typeof backend === "string") return backend;
  if (backend !== null && typeof backend === "object" && typeof (backend as { name?: unknown }).name === "string") return (backend as { name: string }).name;
  return null;
}

/** The value a path names in a run record (undefined when absent). */
export function resolvePath(run: RunRecord, path: string): unknown {
  return pathAccessor(path)(run);
}

function compare(op: string, left: unknown, right: unknown): boolean {
  if (op === "contains") {
    if (Array.isArray(left)) return left.some((item) => String(item) === String(right));
    return typeof left === "string" && right !== undefined && right !== null && left.includes(String(right));
  }
  if (left === undefined || right === undefined) return op === "!=";
  let a = left;
  let b = right;
  if (typeof a === "number" && typeof b === "string" && b.trim() !== "" && Number.isFinite(Number(b))) b = Number(b);
  if (typeof b === "number" && typeof a === "string" && a.trim() !== "" && Number.isFinite(Number(a))) a = Number(a);
  if (op === "==") return a === b || (a !== null && b !== null && typeof a === "object" && JSON.stringify(a) === JSON.stringify(b));
  if (op === "!=") return !compare("==", a, b);
  if (typeof a !== typeof b || (typeof a !== "number" && typeof a !== "string")) return false;
  const x = a as number | string;
  const y = b as number | string;
  return op === "<" ? x < y : op === "<=" ? x <= y : op === ">" ? x > y : x >= y;
}

type Compiled = (run: RunRecord) => unknown;

function compile(expression: Expression): Compiled {
  switch (expression.kind) {
    case "literal": {
      const value = expression.value;
      return () => value;
    }
    case "path":
      return pathAccessor(expression.path);
    case "not": {
      const operand = compile(expression.operand);
      return (run) => !truthy(operand(run));
    }
    case "and": {
      const [left, right] = [compile(expression.left), compile(expression.right)];
      return (run) => truthy(left(run)) && truthy(right(run));
    }
    case "or": {
      const [left, right] = [compile(expression.left), compile(expression.right)];
      return (run) => truthy(left(run)) || truthy(right(run));
    }
    case "in": {
      const operand = compile(expression.operand);
      const values = expression.values.map(compile);
      return (run) => {
        const value = operand(run);
        return values.some((candidate) => compare("==", value, candidate(run)));
      };
    }
    case "between": {
      const [operand, low, high] = [compile(expression.operand), compile(expression.low), compile(expression.high)];
      return (run) => {
        const value = operand(run);
        return compare(">=", value, low(run)) && compare("<=", value, high(run));
      };
    }
    case "match": {
      const operand = compile(expression.operand);
      const pattern = expression.pattern;
      const test = (value: unknown): boolean => (typeof value === "string" || typeof value === "number") && pattern.test(String(value));
      return (run) => {
        const value = operand(run);
        return Array.isArray(value) ? value.some(test) : test(value);
      };
    }
    case "compare": {
      const left = compile(expression.left);
      let right = compile(expression.right);
      // `tags contains baseline`: a bare word that names nothing is the word itself.
      if (expression.op === "contains" && expression.right.kind === "path") {
        const word = expression.right.path;
        const named = right;
        right = (run) => named(run) ?? word;
      }
      const op = expression.op;
      return (run) => compare(op, left(run), right(run));
    }
  }
}

function truthy(value: unknown): boolean {
  return Array.isArray(value) ? value.length > 0 : Boolean(value);
}

/** A predicate over runs from --where text. */
export function compileQuery(text: string): (run: RunRecord) => boolean {
  const compiled = compile(parseQuery(text));
  return (run) => truthy(compiled(run));
}

/** Sorts runs by "[-]path" (descending with "-"); runs without the value go last. */
export function sortRuns(runs: RunRecord[], key: string): RunRecord[] {
  const descending = key.startsWith("-");
  const path = key.replace(/^[-+]/, "");
  const accessor = pathAccessor(path);
  const decorated = runs.map((run) => ({ run, value: accessor(run) }));
  decorated.sort((a, b) => {
    const aMissing = a.value === undefined || a.value === null || (typeof a.value === "number" && Number.isNaN(a.value));
    const bMissing = b.value === undefined || b.value === null || (typeof b.value === "number" && Number.isNaN(b.value));
    if (aMissing || bMissing) return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
    const order = (a.value as number | string) < (b.value as number | string) ? -1 : (a.value as number | string) > (b.value as number | string) ? 1 : 0;
    return descending ? -order : order;
  });
  return decorated.map((entry) => entry.run);
}
